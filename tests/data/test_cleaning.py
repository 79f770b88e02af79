import dataclasses

import numpy as np
import pandas as pd
import pytest

from custlab import config
from custlab.data import cleaning, sources
from custlab.data.cleaning.ledger import _Ledger
from custlab.errors import AnalysisError, CleaningError


@pytest.fixture(scope="module")
def dq_params(small_sample):
    return config.load_params("00_data_quality", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})


@pytest.fixture(scope="module")
def raw(dq_params, small_sample):
    return sources.load_tables(dq_params, cache_dir=small_sample / "cache")


@pytest.fixture(scope="module")
def result(raw, dq_params):
    before = {k: v.copy() for k, v in raw.items()}
    out = cleaning.clean(raw, dq_params)
    for name, df in before.items():  # the input tables are never modified
        pd.testing.assert_frame_equal(raw[name], df)
    return out


def test_every_row_is_accounted_for(result, raw):
    r = result.reconciliation
    assert result.balanced and set(r.index) == set(raw)
    for name, df in raw.items():
        assert r.loc[name, "input"] == len(df)
        assert r.loc[name, "kept"] == len(result.tables[name])
    q = result.quarantine[result.quarantine.scope == "row"]
    orders = raw["orders"]
    assert set(q[q.table == "orders"]["key"]) | set(result.tables["orders"]["order_id"]) == set(orders["order_id"])
    assert set(result.merge_log["merged_id"]) | set(result.tables["customers"]["customer_id"]) == set(raw["customers"]["customer_id"])


def test_planted_duplicates_merged_with_target_precision_and_recall(result, small_truth):
    true = {(d["customer_id"], d["original"]) for d in small_truth["duplicates"]}
    found = set(zip(result.merge_log["merged_id"], result.merge_log["survivor_id"]))
    # the survivor is the more complete record, so a pair may be found either way round
    hits = {p for p in true if p in found or p[::-1] in found}
    assert len(hits) / len(found) >= 0.99 and len(hits) / len(true) >= 0.95


def test_merging_moves_history_and_fills_gaps(result, raw):
    log = result.merge_log.iloc[0]
    orders = raw["orders"]
    ids = {log.merged_id, log.survivor_id}
    before = orders[orders.customer_id.isin(ids) & (orders.amount > 0)]
    after = result.tables["orders"][result.tables["orders"].customer_id == log.survivor_id]
    assert log.merged_id not in set(result.tables["orders"].customer_id)
    assert set(before.order_id) - set(result.quarantine.key) <= set(after.order_id)
    inter = raw["interactions"]
    assert inter[inter.customer_id.isin(ids)]["count"].sum() == \
        result.tables["interactions"][result.tables["interactions"].customer_id == log.survivor_id]["count"].sum()
    customers = result.tables["customers"].set_index("customer_id")
    for _, m in result.merge_log.iterrows():  # a survivor keeps any value one of its records had
        records = raw["customers"][raw["customers"].customer_id.isin([m.merged_id, m.survivor_id])]
        if records["email"].notna().any():
            assert pd.notna(customers.loc[m.survivor_id, "email"])


def test_impossible_values_quarantined_or_cleared(result, small_truth):
    q = result.quarantine
    neg = {d["order_id"] for d in small_truth["impossible"] if d["column"] == "amount"}
    fut = {d["order_id"] for d in small_truth["impossible"] if d["column"] == "order_date"}
    assert neg == set(q[q.reason == "negative_amount"].key)
    assert fut - neg == set(q[q.reason == "future_order_date"].key)
    customers = result.tables["customers"].set_index("customer_id")
    zero = [d["customer_id"] for d in small_truth["impossible"] if d["column"] == "employees"]
    assert zero and customers.reindex(zero)["employees"].isna().all()
    changed = result.changes[result.changes.reason == "zero_employees"]
    assert set(changed.key) == set(zero) and (changed.before.astype(float) == 0).all()


def test_unit_mistakes_corrected_only_when_proved(result, small_truth, raw):
    mistakes = {d.get("order_id") or d["customer_id"]: d for d in small_truth["unit_mistakes"]}
    fixed = result.changes[result.changes.reason == "unit_mistake"]
    assert set(fixed.key) <= set(mistakes)  # nothing else was touched
    assert len(fixed) / len(mistakes) >= 0.9
    orders = result.tables["orders"].set_index("order_id")
    for key in fixed[fixed.table == "orders"].key:
        assert orders.loc[key, "amount"] == pytest.approx(mistakes[key]["true"], rel=1e-3)


def test_standardization_recovers_planted_spellings(result, small_truth, raw):
    from custlab.data import reference
    customers = result.tables["customers"].set_index("customer_id")
    written = raw["customers"].set_index("customer_id")
    variants = [v for v in small_truth["spelling_variants"]  # skip values that the sample later blanked
                if v["customer_id"] in customers.index and pd.notna(written.loc[v["customer_id"], v["column"]])]
    assert len(variants) > 50
    for v in variants:
        got = customers.loc[v["customer_id"], v["column"] if v["column"] != "industry" else "industry_section"]
        assert got == v["canonical"], v
    assert set(customers["region"]) <= {r for r, *_ in reference.PROVINCES.values()} | {"未知"}
    assert set(customers["size_class"]) <= {"large", "medium", "small", "micro", "未知"}


def test_size_class_thresholds_take_the_larger_measure():
    thresholds = cleaning.CleaningSettings().size_classes
    emp = pd.Series([1000, 999, 300, 50, 49, None, None, 10])
    rev = pd.Series([None, None, None, None, None, 4e8, 9.9e6, 1.0e8])
    assert cleaning.size_class(emp, rev, thresholds).tolist() == ["large", "medium", "medium", "small", "micro", "large", "micro", "medium"]


def test_missing_value_policy(raw, dq_params):
    settings = dataclasses.replace(dq_params.cleaning, missing={"industry": "unknown", "employees": "median", "phone": "drop"},
                                   key_fields=["credit_code"])
    out = cleaning.clean(raw, dataclasses.replace(dq_params, cleaning=settings))
    c = out.tables["customers"]
    assert out.balanced and c["employees"].notna().all() and c["phone"].notna().all()
    dropped = out.quarantine[out.quarantine.reason == "missing_phone"]
    assert len(dropped) > 0 and (dropped.scope == "row").all()
    assert out.reconciliation.loc["customers", "quarantined"] == len(dropped)
    lost_orders = out.quarantine[(out.quarantine.reason == "customer_quarantined") & (out.quarantine.table == "orders")]
    assert set(raw["orders"].set_index("order_id").loc[lost_orders.key, "customer_id"]) <= set(dropped.key)
    filled = out.changes[out.changes.reason == "missing_unknown"]
    assert set(filled.column) == {"industry"} and (filled.after == "未知").all()
    assert set(filled.key) == set(c.loc[c["industry"] == "未知", "customer_id"])
    assert set(out.followup["missing"]) == {"credit_code"} and (out.followup["status"] == "待补充").all()


def test_findings_in_both_languages(result):
    en, zh = cleaning.findings(result, "en"), cleaning.findings(result, "zh")
    assert 3 <= len(en) <= 6 and len(en) == len(zh)
    merged = result.reconciliation.loc["customers", "merged"]
    assert en[0].startswith(f"{merged:,} duplicate customer records") and zh[0].startswith(f"{merged:,} 条重复客户记录")


def test_clean_tables_cached_per_input_and_settings(dq_params, small_sample, tmp_path):
    first = cleaning.load_clean(dq_params, cache_dir=tmp_path)
    folders = sorted(p.name for p in tmp_path.glob("clean-*"))
    again = cleaning.load_clean(dq_params, cache_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.glob("clean-*")) == folders and len(folders) == 1
    pd.testing.assert_frame_equal(first.tables["orders"], again.tables["orders"])
    assert again.balanced
    changed = dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, future_date_tolerance_days=3))
    cleaning.load_clean(changed, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("clean-*"))) == 2


def test_minimal_tables_clean_and_balance(dq_params):
    """Only the required columns (no phone, industry, product, interactions): nothing breaks."""
    customers = pd.DataFrame({"customer_id": ["A", "B", "C", None], "name": ["华信科技有限公司", "华信科技股份有限公司", "宏达贸易", "无编号"]})
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4", "o4"], "customer_id": ["A", "B", "Z", "C", "C"],
                           "order_date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-03-01", "2026-04-01", "2026-04-01"]),
                           "amount": [100.0, -5.0, 30.0, 20.0, 20.0]})
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    assert out.balanced
    r = out.reconciliation
    assert r.loc["customers"].to_dict() == {"input": 4, "exact_duplicates": 0, "kept": 2, "merged": 1, "quarantined": 1,
                                           "balanced": True}
    reasons = dict(zip(out.quarantine["key"].fillna(""), out.quarantine["reason"]))
    assert reasons["o2"] == "negative_amount" and reasons["o3"] == "unknown_customer" and reasons["o4"] == "exact_duplicate_row"
    assert r.loc["orders", ["input", "exact_duplicates", "kept", "quarantined"]].tolist() == [5, 1, 2, 2]
    assert out.quarantine.loc[out.quarantine.reason == "missing_customer_id", "row"].tolist() == [4]
    survivor = out.merge_log["survivor_id"].iloc[0]
    assert set(out.tables["orders"]["customer_id"]) == {survivor, "C"}  # A's and B's orders under one id
    # amounts given in 万元: converted in the clean tables, the caller's tables untouched (clean works on
    # copy-on-write views of them, not on deep copies)
    before = {"customers": customers.copy(), "orders": orders.copy()}
    wan = dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, units={"orders.amount": 10000.0}))
    out = cleaning.clean({"customers": customers, "orders": orders}, wan)
    assert out.tables["orders"].set_index("order_id")["amount"].to_dict() == {"o1": 1_000_000.0, "o4": 200_000.0}
    for name, df in before.items():
        pd.testing.assert_frame_equal({"customers": customers, "orders": orders}[name], df)
    # no duplicates at all (customers taken from a transaction log): nothing merged, no error
    distinct = customers.iloc[[0, 2]]
    out = cleaning.clean({"customers": distinct, "orders": orders[orders["customer_id"].isin(["A", "C"])]}, dq_params)
    assert out.balanced and out.merge_log.empty and out.reconciliation.loc["customers", "kept"] == 2


def test_no_followup_when_every_key_field_is_filled(dq_params):
    # (cleaning used to fail here: an empty follow-up list went through DataFrame.apply)
    customers = pd.DataFrame({"customer_id": ["A", "B"], "name": ["甲公司", "乙公司"], "province": ["上海", "北京"]})
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["A"], "order_date": pd.to_datetime(["2026-01-05"]), "amount": [1.0]})
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    assert out.followup.empty and list(out.followup.columns) == ["customer_id", "name", "missing", "status"] and out.balanced


def test_amounts_are_tested_for_unit_mistakes_only_against_like_amounts(dq_params):
    # invoice totals of a transaction log with no product: a large order and a tiny one are far from
    # the median, but nothing shows that they were typed in the wrong unit
    amounts = np.round(10 ** np.random.default_rng(0).normal(2.5, 0.5, 3000), 2)
    amounts[:2] = [168_469.6, 0.42]
    customers = pd.DataFrame({"customer_id": ["A"], "name": ["甲公司"]})
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(3000)], "customer_id": "A",
                           "order_date": pd.Timestamp("2026-01-05"), "amount": amounts})
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    assert out.tables["orders"]["amount"].tolist() == amounts.tolist() and out.changes.empty and out.quarantine.empty
    assert out.skipped.to_dict("records") == [{"table": "orders", "column": "amount", "within": "product"}]
    assert cleaning.findings(out, "en")[-1].startswith("The amount values were not checked for 万元 mistakes and outliers: "
                                                       "the source has no product")
    assert cleaning.findings(out, "zh")[-1].startswith("金额未做万元单位错误与异常值检查")
    assert cleaning.findings(out, "en")[0] == "No order had to be quarantined."
    # one product (a price list): the same two amounts are 10,000 times off it, and corrected
    one_product = cleaning.clean({"customers": customers, "orders": orders.assign(product="P1")}, dq_params)
    assert one_product.changes["key"].tolist() == ["o0", "o1"] and one_product.skipped.empty


def test_duplicate_settings_min_agree_and_similarity_reach_the_merge(dq_params):
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "name": ["华信宏达科技有限公司", "华兴宏达科技有限公司", "华信宏达科技有限公司"],
                              "contact": ["张伟", "张伟", "李娜"], "city": ["上海市", "上海市", "北京市"]})
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["A", "B"], "order_date": pd.to_datetime(["2026-01-05", "2026-02-01"]),
                           "amount": [100.0, 50.0]})

    def with_duplicates(**changes):
        d = dataclasses.replace(dq_params.cleaning.duplicates, exact=[], block=["city"], **changes)
        return dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, duplicates=d))

    fuzzy = {"name": 0.9, "contact": 1.0, "city": 1.0}
    # 华信宏达 / 华兴宏达 (a mistyped character: name similarity 1 - 2/12): every field must agree by default, two of three with min_agree
    assert cleaning.clean({"customers": customers, "orders": orders}, with_duplicates(fuzzy=fuzzy)).merge_log.empty
    out = cleaning.clean({"customers": customers, "orders": orders}, with_duplicates(fuzzy=fuzzy, min_agree=2))
    assert sorted(out.merge_log[["merged_id", "survivor_id"]].iloc[0]) == ["A", "B"] and out.balanced
    no_contact = customers.drop(columns="contact")
    with pytest.raises(CleaningError, match=r"min_agree is 3, but the customers table has only 2 of the fuzzy fields \(absent: contact\)"):
        cleaning.clean({"customers": no_contact, "orders": orders}, with_duplicates(fuzzy=fuzzy, min_agree=3))


def test_to_survivors_matches_series_replace_and_keeps_the_dtype():
    ids = pd.Series(["C1", "C2", pd.NA, "C3", "C2"], dtype="string", name="customer_id")
    survivors = {"C2": "C9", "C3": "C1"}
    got = cleaning.to_survivors(ids, survivors)
    pd.testing.assert_series_equal(got, ids.replace(survivors))
    assert got.tolist()[:2] == ["C1", "C9"] and got.dtype == ids.dtype and got.name == "customer_id"
    assert cleaning.to_survivors(ids, {}) is ids


def test_quarantine_in_order_equals_rule_by_rule_filtering():
    orders = pd.DataFrame({"order_id": ["1", "1", "2", "2", None, "3"], "amount": [None, 5.0, 7.0, 7.0, 1.0, -2.0],
                           "_row": range(1, 7)})
    one_by_one = _Ledger()
    o = orders
    o = one_by_one.quarantine_rows("orders", o, o["amount"].isna(), "_row", "missing_amount", "amount")
    o = one_by_one.quarantine_rows("orders", o, o["order_id"].isna(), "_row", "missing_order_id", "order_id")
    o = one_by_one.quarantine_rows("orders", o, o["order_id"].duplicated(), "order_id", "duplicate_order_id", "order_id")
    o = one_by_one.quarantine_rows("orders", o, o["amount"] < 0, "order_id", "negative_amount", "amount")
    at_once = _Ledger()
    kept = at_once.quarantine_in_order("orders", orders, [
        (lambda d, alive: d["amount"].isna(), "_row", "missing_amount", "amount"),
        (lambda d, alive: d["order_id"].isna(), "_row", "missing_order_id", "order_id"),
        (lambda d, alive: d["order_id"].where(alive).duplicated(), "order_id", "duplicate_order_id", "order_id"),
        (lambda d, alive: d["amount"] < 0, "order_id", "negative_amount", "amount")])
    pd.testing.assert_frame_equal(kept, o)
    assert kept["_row"].tolist() == [2, 3]  # order 1's first row lacked an amount, so its second is no duplicate
    pd.testing.assert_frame_equal(at_once.frames()[0], one_by_one.frames()[0])
    assert at_once.frames()[0]["reason"].tolist() == ["missing_amount", "missing_order_id", "duplicate_order_id", "negative_amount"]


def test_missing_and_credit_code_sentences_say_when_there_is_nothing_to_report():
    missing = cleaning.missing_shares(pd.DataFrame({"phone": ["1", None, " "], "name": ["a", "b", "c"]}))
    assert cleaning.missing_sentence(missing) == "The most incomplete customer field is phone (66.7% missing)."
    assert cleaning.missing_sentence(missing.drop("phone")) == "No customer field has missing values."
    codes = cleaning.credit_code_check(pd.DataFrame({"credit_code": ["91350100M000100Y43", "91350100M000100Y44"]}))
    assert cleaning.credit_sentence(codes) == "1 of 2 unified social credit codes fail the GB 32100 check character."
    assert cleaning.credit_sentence(codes * 0, "zh") == "源数据中没有可校验的统一社会信用代码。"


def test_free_text_industries_and_places_standardized_and_the_rest_listed(dq_params):
    customers = pd.DataFrame({"customer_id": list("ABCDE"), "name": ["甲汽配有限公司", "乙软件", "丙奶茶店", "丁化工", "戊公司"],
                              "industry": ["汽车制造", "软件开发", "奶茶", "化工", "奶茶"],
                              "province": ["宁夏", None, "火星", "浙江", "青海"], "city": ["银川", "诸暨", None, "杭州", None]})
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["A"], "order_date": pd.to_datetime(["2026-01-05"]), "amount": [1.0]})
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    c = out.tables["customers"].set_index("customer_id")
    assert c["industry_section"].tolist()[:2] == ["C", "I"] and c["industry_division"].fillna("-").tolist() == ["36", "65", "-", "26", "-"]
    assert c.loc["A", "industry"] == "制造业" and c.loc["A", "industry_written"] == "汽车制造"
    assert c.loc["C", "industry"] == "奶茶"  # unmatched text is kept, not 未知
    assert c["region"].tolist() == ["西北", "华东", "未知", "华东", "西北"]  # 火星 gives no region: the missing-value policy's
    assert c.loc["B", "province"] == "浙江省" and c.loc["B", "prefecture"] == "绍兴市" and c.loc["C", "province"] == "火星"
    listed = out.unmatched.set_index(["column", "spelling"])["rows"].to_dict()
    assert listed == {("industry", "奶茶"): 2, ("province", "火星"): 1}
    mine = dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, industry_synonyms={"奶茶": "H62"},
                                                                           place_synonyms={"火星": "630000"}))
    out = cleaning.clean({"customers": customers, "orders": orders}, mine)
    assert out.unmatched.empty and out.tables["customers"].set_index("customer_id").loc["C", "industry_division"] == "62"


def test_as_of_is_a_window_and_only_dates_after_today_are_impossible(dq_params):
    today = pd.Timestamp.today().normalize()
    customers = pd.DataFrame({"customer_id": ["A", "B"], "name": ["甲公司", "乙公司"]})
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["A", "A", "B", "B"],
                           "order_date": [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-06-01"), today - pd.Timedelta(days=3),
                                          today + pd.Timedelta(days=400)],
                           "amount": [10.0, 20.0, 30.0, 40.0]})
    backtest = dataclasses.replace(dq_params, as_of="2025-03-31")
    out = cleaning.clean({"customers": customers, "orders": orders}, backtest)
    assert out.quarantine["key"].tolist() == ["o4"] and out.quarantine["reason"].tolist() == ["future_order_date"]
    assert sorted(out.tables["orders"]["order_id"]) == ["o1", "o2", "o3"]  # later orders are real: kept
    assert out.as_of == pd.Timestamp("2025-03-31") and out.window()["orders"]["order_id"].tolist() == ["o1"]
    assert out.period.loc["orders", "after_as_of"] == 2 and out.period.loc["orders", "as_of_rule"] == "fixed"
    assert out.period_sentence("en") == ("Period analysed: orders from 2025-01-05 up to 2025-03-31 (the analysis date set in "
                                         f"params). 2 later orders (up to {today - pd.Timedelta(days=3):%Y-%m-%d}) are kept in the "
                                         "clean tables but lie outside this period.")
    assert "2025-01-05 至 2025-03-31" in out.period_sentence("zh")
    # as_of null follows the data: the day of the latest clean order, nothing outside the window
    follow = cleaning.clean({"customers": customers, "orders": orders}, dataclasses.replace(dq_params, as_of=None))
    assert follow.as_of == today - pd.Timedelta(days=3) and follow.period.loc["orders", "as_of_rule"] == "latest_order"
    assert len(follow.window()["orders"]) == 3 and follow.period.loc["orders", "after_as_of"] == 0


def test_interaction_words_map_to_kinds_and_cancelled_orders_are_not_revenue(dq_params):
    customers = pd.DataFrame({"customer_id": ["A", "B"], "name": ["甲公司", "乙公司"]})
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["A", "A", "B", "B"],
                           "order_date": pd.to_datetime(["2026-01-05"] * 4), "amount": [10.0, 20.0, 30.0, 40.0],
                           "status": ["已完成", "已取消", " 已退货 ", "待审核"]})
    interactions = pd.DataFrame({"customer_id": ["A", "A", "B", "B", "B"], "date": pd.to_datetime(["2026-01-05"] * 5),
                                 "kind": ["官网访问", "参加活动", "电话", "拜访", "抖音直播"], "count": [1.0] * 5})
    out = cleaning.clean({"customers": customers, "orders": orders, "interactions": interactions}, dq_params)
    assert out.tables["interactions"]["kind"].tolist() == ["visit", "event", "call", "meeting", "抖音直播"]  # unknown kept
    kept = out.tables["orders"].set_index("order_id")["status"].to_dict()
    assert kept == {"o1": "kept", "o4": "待审核"}  # an unknown status is kept as written, and listed
    assert out.quarantine.set_index("key").loc[["o2", "o3"], "reason"].tolist() == ["order_not_revenue"] * 2
    assert out.balanced and out.reconciliation.loc["orders", "quarantined"] == 2
    listed = out.unmatched.set_index(["table", "column", "spelling"])["rows"].to_dict()
    assert listed == {("orders", "status", "待审核"): 1, ("interactions", "kind", "抖音直播"): 1}
    assert any("cleaning.interaction_kinds" in s for s in cleaning.findings(out, "en"))
    # returns counted as revenue when the user says so
    both = dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, revenue_statuses=["kept", "returned"]))
    assert sorted(cleaning.clean({"customers": customers, "orders": orders}, both).tables["orders"]["order_id"]) == ["o1", "o3", "o4"]
    # a user's words extend the shipped ones: 抖音直播 and 待审核 mapped, 官网访问 and 已取消 still known
    mine = config.load_params("00_data_quality", overrides={"source": dataclasses.asdict(dq_params.source), "cleaning": {
        "interaction_kinds": {"抖音直播": "event"}, "order_status": {"待审核": "kept"}}})
    out = cleaning.clean({"customers": customers, "orders": orders, "interactions": interactions}, mine)
    assert out.tables["interactions"]["kind"].tolist() == ["visit", "event", "call", "meeting", "event"] and out.unmatched.empty
    assert sorted(out.tables["orders"]["order_id"]) == ["o1", "o4"]
    # categories and channels that reports group by: spellings folded into one name, the rest as written
    words = config.load_params("00_data_quality", overrides={"source": dataclasses.asdict(dq_params.source), "cleaning": {
        "categories": {"设备类": "设备", " 设备 ": "设备"}, "channels": {"官网": "线上"}}})
    lines = orders.assign(category=["设备类", "设备", "耗材", "设备类"], channel=["官网", "线上", "地推", None])
    out = cleaning.clean({"customers": customers.assign(channel=["官网", "展会"]), "orders": lines}, words)
    assert out.tables["orders"].set_index("order_id")[["category", "channel"]].to_dict("list") == {
        "category": ["设备", "设备"], "channel": ["线上", None]}
    assert out.tables["customers"]["channel"].tolist() == ["线上", "展会"]
    assert set(out.changes.loc[out.changes["reason"] == "category_mapped", "key"]) == {"o1", "o4"}
    with pytest.raises(Exception, match=r"interaction_kinds.*one of visit, event, call, email, meeting"):
        config.load_params("00_data_quality", overrides={"cleaning": {"interaction_kinds": {"直播": "live"}}})


def test_a_repeated_order_number_with_other_values_is_not_an_exact_duplicate(dq_params):
    customers = pd.DataFrame({"customer_id": ["A", "A", "B"], "name": ["甲公司", "甲公司", "乙公司"]})  # A exported twice
    orders = pd.DataFrame({"order_id": ["o1", "o1", "o2"], "customer_id": ["A", "A", "B"],
                           "order_date": pd.to_datetime(["2026-01-05", "2026-01-05", "2026-01-06"]), "amount": [10.0, 12.0, 5.0]})
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    assert out.quarantine[["table", "reason"]].values.tolist() == [["customers", "exact_duplicate_row"],
                                                                   ["orders", "duplicate_order_id"]]
    assert out.reconciliation.loc["customers", ["input", "exact_duplicates", "kept"]].tolist() == [3, 1, 2] and out.balanced


def test_branches_stay_customers_of_their_own_and_places_in_names_keep_companies_apart(dq_params):
    customers = pd.DataFrame({
        "customer_id": ["H", "B1", "B2", "D", "S", "Z", "Y"],
        "name": ["杭州华信科技有限公司", "华信科技有限公司上海分公司", "华信科技（北京办事处）", "浙江省杭州市华信科技有限公司",
                 "上海银行股份有限公司", "杭州银行", "华信科技"],
        "phone": ["0571-88880000", "0571-88880000", None, None, None, None, None],  # the branch shares the head office's phone
        "contact": ["王伟", "王伟", "李娜", "王伟", None, None, "王伟"]})
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["H", "B1"], "amount": [10.0, 20.0],
                           "order_date": pd.to_datetime(["2026-01-05", "2026-02-01"])})
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    clean = out.tables["customers"].set_index("customer_id")
    # 杭州华信 / 浙江省杭州市华信 / 华信科技 are one company (name without place and legal form, same contact)
    assert sorted(out.merge_log["merged_id"]) == ["D", "Y"] and set(out.merge_log["survivor_id"]) == {"H"}
    # the branches share a phone or a name with it and are still not merged: flagged and linked to it
    assert {"B1", "B2"} <= set(clean.index)
    assert clean.loc[["B1", "B2"], "branch"].tolist() == ["上海分公司", "北京办事处"]
    assert clean.loc[["B1", "B2"], "head_office_id"].tolist() == ["H", "H"] and pd.isna(clean.loc["H", "branch"])
    # 上海银行 and 杭州银行 are two banks although both names are 银行 once the place is gone
    assert {"S", "Z"} <= set(clean.index)
    assert len(clean) == 5 and out.balanced
    assert "2 branch offices (分公司, 办事处) are customers of their own" in " ".join(cleaning.findings(out))
    assert "2 个分支机构" in " ".join(cleaning.findings(out, "zh"))


def test_revenue_in_the_wrong_unit_for_the_companies_size_is_flagged(dq_params, result):
    rng = np.random.default_rng(3)
    employees = rng.integers(50, 800, 40).astype(float)
    per_head = rng.uniform(2e5, 1.5e6, 40)  # 元 per employee: what firms take in
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(40)], "name": [f"公司{chr(0x4e00 + 37 * i)}{i}号" for i in range(40)],
                              "employees": employees, "annual_revenue": employees * per_head / 10_000})  # written in 万元
    findings = {lang: cleaning.findings(cleaning.clean({"customers": customers}, dq_params), lang) for lang in ("en", "zh")}
    median = np.median(per_head / 10_000)
    assert f"{median:,.0f} 元 per employee over 40 customers" in findings["en"][0] and "年营业收入(万元)" in findings["en"][0]
    assert "人均营业收入中位数只有" in findings["zh"][0]
    # the same column read with its unit: nothing to say
    wan = dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, units={"customers.annual_revenue": 10000.0}))
    assert not any("per employee" in f for f in cleaning.findings(cleaning.clean({"customers": customers}, wan)))
    assert cleaning.revenue_per_head(customers.assign(annual_revenue=customers["annual_revenue"] * 10_000))[0] == pytest.approx(np.median(per_head))
    # and the sample, whose revenue is in 元, raises no such finding
    per_head, n = cleaning.revenue_per_head(result.tables["customers"])
    assert cleaning.REVENUE_PER_HEAD[0] < per_head < cleaning.REVENUE_PER_HEAD[1] and n > 100
    assert not any("per employee" in f for f in cleaning.findings(result))


def _company_tables(n=60):
    ids = [f"C{i:04d}" for i in range(n)]
    customers = pd.DataFrame({"customer_id": ids, "name": [f"企业{chr(0x4e00 + 97 * i)}{chr(0x4e00 + 31 * i + 5)}科技" for i in range(n)]})
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(2 * n)], "customer_id": ids * 2, "amount": 100.0,
                           "order_date": pd.Timestamp("2026-01-05")})
    return customers, orders


def test_the_ledger_never_calls_orders_kept_when_their_customers_are_gone(dq_params):
    customers, orders = _company_tables()
    # every name blank: the customers are quarantined, and so are their orders (they used to be "kept"), and the
    # cleaning stops saying why instead of analysing nothing
    with pytest.raises(CleaningError, match=r"100% of the customers rows \(60 of 60\) are quarantined as missing_name: "
                                                     r"the column mapped to name is blank.*columns:"):
        cleaning.clean({"customers": customers.assign(name=None), "orders": orders}, dq_params)
    lenient = dataclasses.replace(dq_params, cleaning=dataclasses.replace(dq_params.cleaning, max_quarantine_share=1.0))
    out = cleaning.clean({"customers": customers.assign(name=None), "orders": orders}, lenient)
    assert out.tables["orders"].empty and out.balanced
    assert out.quarantine.query("table == 'orders'")["reason"].unique().tolist() == ["customer_quarantined"]


def test_ids_written_in_another_case_stop_the_cleaning_with_the_fix_and_fold_id_case_reads_them(dq_params, tmp_path):
    customers, orders = _company_tables()
    orders = orders.assign(customer_id=" " + orders["customer_id"].str.lower() + " ")
    with pytest.raises(CleaningError, match=r"orders rows \(120 of 120\) are quarantined as unknown_customer: 100% of "
                                                     r"them name a customer whose id differs only in case.*source.fold_id_case: true"):
        cleaning.clean({"customers": customers, "orders": sources.check_schema(orders, "orders", "test")}, dq_params)
    customers.to_csv(tmp_path / "customers.csv", index=False)
    orders.to_csv(tmp_path / "orders.csv", index=False)
    folded = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), fold_id_case=True))
    out = cleaning.clean({t: folded.read(t) for t in ("customers", "orders")}, dq_params)
    assert len(out.tables["orders"]) == 120 and set(out.tables["orders"]["customer_id"]) == set(customers["customer_id"])
    # ids of customers the table lacks altogether: a different fix
    other = orders.assign(customer_id="X" + orders["customer_id"].str.strip())
    with pytest.raises(CleaningError, match="the customers table lacks these customers: export both tables"):
        cleaning.clean({"customers": customers, "orders": sources.check_schema(other, "orders", "test")}, dq_params)


def test_a_notebook_that_needs_a_table_says_in_words_why_none_is_left(dq_params):
    customers, orders = _company_tables(3)
    out = cleaning.clean({"customers": customers, "orders": orders}, dq_params)
    assert len(out.window(needs=("customers", "orders"))["orders"]) == 6
    with pytest.raises(AnalysisError, match=r"needs the interactions, but the source holds no interactions table\. "
                                                     r"Name it in source.tables.interactions"):
        out.window(needs=("interactions",))
    # every order dated after as_of: said so, with the fix
    early = cleaning.clean({"customers": customers, "orders": orders}, dataclasses.replace(dq_params, as_of="2025-12-31"))
    with pytest.raises(AnalysisError, match=r"needs the orders, but all 6 clean orders are dated after as_of "
                                                     r"2025-12-31\. Set as_of"):
        early.window(needs=("orders",))
    # every order set aside (too few rows for the quarantine gate): the reasons counted
    gone = cleaning.clean({"customers": customers, "orders": orders.assign(amount=-1.0)}, dq_params)
    assert gone.tables["orders"].empty
    with pytest.raises(AnalysisError, match=r"needs the orders, but the cleaning set all 6 of them aside "
                                                     r"\(reasons: negative_amount \(6\)\)\. 00_data_quality's report"):
        gone.window(needs=("customers", "orders"))


def test_clean_tables_from_the_cache_are_read_when_first_used(small_sample):
    """load_clean reads no table until it is used; an analysis that aggregates the orders through
    relation() never reads them into pandas, and the window's needs are checked from row counts."""
    from custlab.data import engine

    params = config.load_params("40_customer_segments", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    clean = cleaning.load_clean(params)
    assert set(clean.tables) >= {"customers", "orders", "interactions"} and clean.tables.read == {}
    window = clean.window(needs=("customers", "orders"))
    assert clean.tables.read == {}  # the needs were counted, not read
    orders = clean.relation("orders")
    assert engine.scalar(orders.count()) == clean.rows_in_window("orders") == len(window["orders"]) > 1000
    assert set(clean.tables.read) == {"orders"}  # read for window["orders"], not for the relation
    latest = engine.scalar(orders.order_date.max())
    assert pd.Timestamp(latest) < clean.as_of + pd.Timedelta(days=1)
    assert clean.tables.rows("interactions") == len(clean.tables["interactions"])
