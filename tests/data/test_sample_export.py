"""The sample as a Chinese CRM export (custlab.data.sample_export) cleans to the same tables and truth."""
import json

import pandas as pd
import pytest

from custlab.analyses import accounts
from custlab.data import cleaning, sample_export, sources
from custlab import config


@pytest.fixture(scope="module")
def export(small_sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    truth = sample_export.export(small_sample, folder, "csv-gbk")
    return folder, truth


@pytest.fixture(scope="module")
def both(small_sample, export, tmp_path_factory):
    """(canonical clean result, export clean result)."""
    cache = tmp_path_factory.mktemp("export-cache")
    canon = config.load_params("10_key_accounts", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    mine = config.load_params("10_key_accounts", [export[0] / "custlab.yaml"])
    # the canonical sample's clean tables come from the session's shared cache (test_cleaning fills it too)
    return (cleaning.load_clean(canon, cache_dir=small_sample / "cache"),
            cleaning.load_clean(mine, [export[0] / "custlab.yaml"], cache_dir=cache))


def test_the_export_looks_like_a_real_one(export):
    folder, truth = export
    head = (folder / "customers.csv").read_bytes().decode("gbk").splitlines()[0]
    assert head.startswith("客户编号,客户全称,统一社会信用代码,联系方式") and "年营业收入(万元)" in head and head.endswith("备注")
    orders = (folder / "orders.csv").read_bytes().decode("gbk")
    assert "年" in orders and "元" in orders and "￥" in orders and "已取消" in orders
    interactions = (folder / "interactions.csv").read_bytes().decode("gbk")
    assert "官网访问" in interactions or "网站访问" in interactions
    assert len(truth["export"]["cancelled_orders"]) > 100 and truth["export"]["exact_order_rows"]
    assert json.loads((folder / "truth.json").read_text(encoding="utf-8"))["key_accounts"] == truth["key_accounts"]


def test_the_export_cleans_to_the_sample_tables(both, export):
    canon, mine = both
    _, truth = export
    columns = ["customer_id", "name", "credit_code", "phone", "email", "contact", "industry", "province", "region",
               "employees", "annual_revenue", "registered_date", "size_class"]
    a = canon.tables["customers"].set_index("customer_id").sort_index()
    b = mine.tables["customers"].set_index("customer_id").sort_index()
    branches = truth["export"]["branches"]
    pd.testing.assert_frame_equal(a[columns[1:]], b.drop(index=list(branches))[columns[1:]], check_dtype=False)
    # the branch offices stay customers of their own, each linked to its head office
    assert len(branches) >= 3 and b.loc[list(branches), "head_office_id"].tolist() == list(branches.values())
    assert b.loc[list(branches), "branch"].str.endswith(("分公司", "办事处")).all() and b.drop(index=list(branches))["branch"].isna().all()
    # county-level cities written instead of their prefecture: the prefecture is the sample's city
    county = truth["export"]["county_cities"]
    merged = set(mine.merge_log["survivor_id"]) | set(mine.merge_log["merged_id"])  # (a survivor may take its duplicate's city)
    assert county and all(b.loc[i, "city"] == w["written"] and b.loc[i, "prefecture"] == a.loc[i, "city"]
                          for i, w in county.items() if i in b.index and i not in merged)
    oa = canon.window()["orders"].set_index("order_id").sort_index()
    ob = mine.window()["orders"].set_index("order_id").sort_index()
    pd.testing.assert_frame_equal(oa[["customer_id", "order_date", "amount"]], ob[["customer_id", "order_date", "amount"]],
                                  check_dtype=False)
    r = mine.reconciliation
    assert r.loc["orders", "exact_duplicates"] == len(truth["export"]["exact_order_rows"])
    assert r.loc["customers", "exact_duplicates"] == len(truth["export"]["exact_customer_rows"])
    cancelled = mine.quarantine[mine.quarantine["reason"] == "order_not_revenue"]["key"]
    assert set(cancelled) == set(truth["export"]["cancelled_orders"]) and mine.balanced


def test_the_issue_targets_on_the_export(both):
    """Industry section unmatched <= 1%, no unknown region for a valid place, every kind mapped."""
    _, mine = both
    c = mine.tables["customers"]
    written = c["industry_written"].notna()
    assert (c.loc[written, "industry_section"].isna()).mean() <= 0.01
    assert mine.unmatched.empty
    assert (c.loc[c["province"].notna() & (c["province"] != "未知"), "region"] != "未知").all()
    assert set(mine.tables["interactions"]["kind"]) <= set(cleaning.INTERACTION_KINDS)


def test_key_accounts_duplicates_and_decliners_recovered_as_on_the_sample(both, small_truth):
    def figures(result):
        params = accounts.KeyAccountSettings()
        s = accounts.screen(result.window(), result.as_of, params)
        planted, high = set(small_truth["key_accounts"]["customer_ids"]), set(s.tiers.index[s.tiers["tier"] == "high"])
        decliners, watch = set(small_truth["decliners"]["customer_ids"]), set(s.watchlist.index)
        true = {(d["customer_id"], d["original"]) for d in small_truth["duplicates"]}
        found = set(zip(result.merge_log["merged_id"], result.merge_log["survivor_id"]))
        hits = {p for p in true if p in found or p[::-1] in found}
        return {"key": len(planted & high) / len(planted), "decliners": len(decliners & watch) / len(decliners),
                "dup_recall": len(hits) / len(true), "dup_precision": len(hits) / max(len(found), 1)}

    canon, mine = figures(both[0]), figures(both[1])
    assert canon["key"] > 0.8 and canon["dup_recall"] > 0.9  # the sample's own levels, for reference
    for name in canon:
        assert abs(canon[name] - mine[name]) <= 0.02, (name, canon, mine)


def test_the_export_reads_from_excel_too(small_sample, tmp_path):
    truth = sample_export.export(small_sample, tmp_path, "xlsx", tables=("customers",))
    src = sources.open_source(config.SourceParams(kind="excel", path=str(tmp_path)))
    customers = src.read("customers")
    assert {"customer_id", "name", "annual_revenue", "industry"} <= set(customers.columns)
    assert len(customers) == truth["counts"]["customers"] + len(truth["export"]["exact_customer_rows"]) + len(truth["export"]["branches"])
    with pytest.raises(Exception, match="Unknown export format 'csv'"):
        sample_export.export(small_sample, tmp_path, "csv")
