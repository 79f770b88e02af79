import pandas as pd

from custlab.data import privacy, reference


def test_mask_personal_columns_only():
    df = pd.DataFrame({"name": ["深圳华信科技有限公司"], "contact": ["张伟"], "phone": ["13800138000"],
                       "email": ["zhang.wei@huaxin.com.cn"], "credit_code": ["91350100M000100Y43"], "amount": [5.0]})
    m = privacy.mask(df)
    assert m.loc[0, "name"] == "深圳华信科技有限公司" and m.loc[0, "amount"] == 5.0
    assert m.loc[0, "contact"] == "张*"
    assert m.loc[0, "phone"] == "138****8000"
    assert m.loc[0, "email"] == "z***@huaxin.com.cn"
    assert m.loc[0, "credit_code"] == "9135************43"
    assert df.loc[0, "phone"] == "13800138000"  # the input is not modified


def test_scrub_text_finds_formats_but_not_base64():
    text = "call +86 138-0013-8000 or 13912345678, mail li.na@x.cn, code 91350100M000100Y43"
    out = privacy.scrub_text(text)
    for secret in ("0013-8000", "13912345678", "li.na@", "M000100Y"):
        assert secret not in out
    assert "138****8000" in out and "139****5678" in out
    blob = "iVBORw0KGgo13800138000AAAANSUhEUgAA"
    assert privacy.scrub_text(blob) == blob


def test_pseudonyms_are_stable_and_salted():
    s = pd.Series(["C1", "C2", "C1"])
    p = privacy.pseudonymize(s, "a")
    assert p[0] == p[2] != p[1] and p[0].startswith("P") and len(p[0]) == 13
    assert privacy.pseudonymize(s, "b")[0] != p[0]


def test_credit_codes_counted_present_valid_invalid_and_none_without_the_column():
    from custlab.data import cleaning

    customers = pd.DataFrame({"credit_code": ["91350100M000100Y43", "91350100M000100Y44", " ", None]})
    assert cleaning.credit_code_check(customers).to_dict() == {"present": 2, "valid": 1, "invalid": 1, "missing": 2}
    none = {"present": 0, "valid": 0, "invalid": 0, "missing": 4}
    assert cleaning.credit_code_check(customers.assign(credit_code=pd.Series([None] * 4, dtype="string"))).to_dict() == none
    assert cleaning.credit_code_check(customers.drop(columns="credit_code")).to_dict() == none


def test_credit_code_check_character():
    assert reference.is_valid_credit_code("91350100M000100Y43")
    assert not reference.is_valid_credit_code("91350100M000100Y44")
    assert not reference.is_valid_credit_code("91350100M000100Y4")
    assert reference.org_code_check("M000100Y") == "4"
