import numpy as np
import pandas as pd
import pytest

from custlab import matching
from custlab.errors import CleaningError


def test_company_name_variants_normalize_to_one_key():
    variants = ["深圳市华信宏达科技有限公司", "深圳 华信宏达科技股份有限公司", "深圳华信宏达科技（有限）公司 ",
                "深圳华信宏达科技有限公司（中国）", "深圳华信宏达科技集团有限公司", "ＳＨＥＮＺＨＥＮ华信宏达科技有限公司"]
    keys = matching.normalize_company(variants).tolist()
    assert keys[:5] == ["深圳华信宏达科技"] * 5
    assert keys[5] == "shenzhen华信宏达科技"  # full-width Latin folded, case folded
    latin = matching.normalize_company(["Acme Trading Co., Ltd.", "ACME TRADING CO LTD", "Costco Inc.", "Costco"]).tolist()
    assert latin == ["acmetrading", "acmetrading", "costco", "costco"]


def test_phones_to_one_mobile_or_area_code_form():
    raw = ["+86 138 0013 8000", "0086-13800138000", "(+86)13800138000", "138-0013-8000", "(010) 6552 9988",
           "+86 10 6552 9988", "0755 8888 1234", "12345", None, "电话待定"]
    assert matching.normalize_phone(raw).tolist() == ["13800138000"] * 4 + ["010-65529988", "010-65529988", "0755-88881234",
                                                                              pd.NA, pd.NA, pd.NA]


def test_emails_and_credit_codes():
    assert matching.normalize_email([" Li.Wei@Example.COM ", "not-an-email", None]).tolist() == ["li.wei@example.com", pd.NA, pd.NA]
    codes = matching.normalize_credit_code(["91350100m000100y43", "91350100M000100Y44", "９１３５０１００Ｍ０００１００Ｙ４３"]).tolist()
    assert codes == ["91350100M000100Y43", pd.NA, "91350100M000100Y43"]  # a failed check character is never a key


def test_fuzzy_duplicates_need_every_compared_field_and_a_block():
    df = pd.DataFrame({"name": ["华信宏达科技有限公司", "华信宏达科技股份有限公司", "华信宏达科技有限公司", "宏达贸易有限公司"],
                       "contact": ["张伟", "张伟", "李娜", "张伟"]}, index=["a", "b", "c", "d"])
    found = matching.find_duplicates(df, fuzzy={"name": 0.9, "contact": 0.8}, block=["name:2"])
    assert found.pairs[["left", "right"]].values.tolist() == [["a", "b"]]  # c: same name, another contact
    assert found.pairs["score"].tolist() == [1.0] and found.pairs["rule"].tolist() == ["fuzzy"]
    assert found.clusters.tolist() == [0, 0, 1, 2] and found.duplicate_records == 1
    missing_contact = df.assign(contact=[None, "张伟", None, None])
    assert matching.find_duplicates(missing_contact, fuzzy={"name": 0.9, "contact": 0.8}, block=["name:2"]).clusters.tolist() == [0, 0, 0, 1]
    with pytest.raises(CleaningError, match="blocking key"):
        matching.find_duplicates(df, fuzzy={"name": 0.9})
    with pytest.raises(CleaningError, match="'phone'.*not in the table.*cleaning.duplicates"):
        matching.find_duplicates(df, exact=["phone"])


def test_exact_keys_placeholders_and_distinct_veto():
    df = pd.DataFrame({"name": ["甲公司", "甲公司", "乙公司", "丙公司", "丁公司"],
                       "phone": ["13800138000", "+86 138 0013 8000", "4008000000", "4008000000", "4008000000"],
                       "credit_code": ["91350100M000100Y43", None, None, None, None]})
    found = matching.find_duplicates(df, exact=["phone"], max_key_group=2)
    assert found.clusters.tolist() == [0, 0, 1, 2, 3]
    assert found.placeholders.to_dict("records") == [{"column": "phone", "value": "4008000000", "records": 3}]
    twins = pd.DataFrame({"name": ["华信科技有限公司", "华信科技有限公司"], "credit_code": ["91350100M000100Y43", "91110000600037341L"]})
    assert matching.find_duplicates(twins, fuzzy={"name": 0.9}, block=["name:2"], distinct=["credit_code"]).pairs.empty
    assert len(matching.find_duplicates(twins, fuzzy={"name": 0.9}, block=["name:2"]).pairs) == 1
    # an exact key with no value at all (an empty column of an export) links nothing and is no error
    blank = df.assign(email=pd.Series([None] * len(df), dtype="string"))
    assert matching.find_duplicates(blank, exact=["email", "phone"], max_key_group=2).clusters.tolist() == [0, 0, 1, 2, 3]


def _pairwise(clusters: pd.Series) -> set:
    pairs = set()
    for _, ids in clusters.groupby(clusters):
        idx = sorted(ids.index)
        pairs |= {(a, b) for i, a in enumerate(idx) for b in idx[i + 1:]}
    return pairs


@pytest.mark.parametrize("settings", [
    dict(exact=["credit_code", "phone", "email"]),
    dict(fuzzy={"name": 0.9, "contact": 0.8}, block=["name:4", "city+contact"]),
])
def test_planted_duplicates_found_by_keys_alone_and_by_fuzzy_fields_alone(small_sample, small_truth, settings):
    from custlab import config, sources
    params = config.load_params("00_data_quality", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    customers = sources.load_tables(params, ["customers"], cache_dir=small_sample / "cache")["customers"].set_index("customer_id")
    true = {tuple(sorted((d["customer_id"], d["original"]))) for d in small_truth["duplicates"]}
    found = _pairwise(matching.find_duplicates(customers, **settings).clusters)
    assert len(true) >= 10
    assert len(found & true) / len(found) >= 0.99
    assert len(found & true) / len(true) >= 0.95


def test_large_blocks_are_compared_in_chunks():
    rng = np.random.default_rng(1)
    names = ["".join(rng.choice(list("华信宏达科技贸易制造物流"), 8)) for _ in range(900)]
    df = pd.DataFrame({"name": names + names[:5]})
    whole = matching.find_duplicates(df, fuzzy={"name": 0.95}, block=["name:0"])
    assert set(map(tuple, whole.pairs[["left", "right"]].values)) >= {(i, 900 + i) for i in range(5)}
    chunked = matching._fuzzy_candidates(df["name"].to_numpy(dtype=object), pd.Series("", index=df.index), 0.95, chunk=64)
    assert sorted(map(tuple, chunked[:, :2].tolist())) == sorted(map(tuple, whole.pairs[whole.pairs.rule == "fuzzy"][["left", "right"]].values.tolist()))
