"""Order-level work written once as Ibis expressions gives the same customer-level frames on every
engine: DuckDB (a pandas frame or Parquet read in place) and PostgreSQL, against the pandas reference."""
import pandas as pd
import pytest

from custlab import config
from custlab.analyses import segments
from custlab.data import cleaning, engine


def reference_behaviour_features(orders, interactions, as_of, months=24):
    """The behaviour features as custlab computed them in pandas before the engine layer (the reference)."""
    end = pd.Timestamp(as_of).normalize()
    start, half = end - pd.DateOffset(months=months), end - pd.DateOffset(months=months / 2)
    window = orders.loc[(orders["order_date"] > start) & (orders["order_date"] <= end)]
    by = window.groupby("customer_id")
    count = by.size()
    late = window.loc[window["order_date"] > half].groupby("customer_id").size().reindex(count.index, fill_value=0)
    features = pd.DataFrame({"order_rate": count / months, "order_value": by["amount"].mean(), "trend": (2 * late - count) / count})
    if interactions is not None and not interactions.empty:
        recent = interactions.loc[(interactions["date"] > start) & (interactions["date"] <= end)]
        features["interaction_rate"] = recent.groupby("customer_id")["count"].sum().reindex(count.index, fill_value=0) / months
    features["revenue"] = by["amount"].sum()
    spend = window.pivot_table(index="customer_id", columns="category", values="amount", aggfunc="sum", observed=True)
    mix = spend.reindex(count.index).fillna(0)
    mix = mix.div(mix.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0)
    features = features.join(mix.rename(columns=lambda c: f"mix:{c}"))
    features.index.name, features.columns.name = "customer_id", "feature"
    return features.sort_index()


@pytest.fixture(scope="module")
def clean(small_sample):
    params = config.load_params("40_customer_segments", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    result = cleaning.load_clean(params)
    return result.window(), result.as_of


def _same(got, expected):
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=0, check_index_type=False,
                                  check_column_type=False, check_dtype=False)


def test_behaviour_features_in_duckdb_equal_the_pandas_reference(clean, tmp_path):
    tables, as_of = clean
    expected = reference_behaviour_features(tables["orders"], tables["interactions"], as_of)
    assert len(expected) > 300 and expected.shape[1] == 10
    _same(segments.behaviour_features(tables["orders"], tables["interactions"], as_of), expected)  # frames, read in place
    con = engine.connect()  # the clean Parquet files, never loaded into pandas
    tables["orders"].to_parquet(tmp_path / "orders.parquet")
    tables["interactions"].to_parquet(tmp_path / "interactions.parquet")
    orders, interactions = con.read_parquet(tmp_path / "orders.parquet"), con.read_parquet(tmp_path / "interactions.parquet")
    _same(segments.behaviour_features(orders, interactions, as_of), expected)
    without = segments.behaviour_features(orders, None, None)  # as_of None: the latest order's day
    assert "interaction_rate" not in without and without.index.equals(
        reference_behaviour_features(tables["orders"], None, tables["orders"]["order_date"].max()).index)


@pytest.mark.postgres
def test_behaviour_features_in_postgresql_equal_the_pandas_reference(clean, postgres_url):
    from sqlalchemy import create_engine

    tables, as_of = clean
    db = create_engine(postgres_url)
    with db.begin() as conn:
        for name in ("orders", "interactions"):
            tables[name].to_sql(f"clean_{name}", conn, index=False, if_exists="replace", chunksize=5000, method="multi")
    db.dispose()
    con = engine.connect(postgres_url)
    try:
        got = segments.behaviour_features(con.table("clean_orders"), con.table("clean_interactions"), as_of)
    finally:
        con.disconnect()
    _same(got, reference_behaviour_features(tables["orders"], tables["interactions"], as_of))


def reference_category_rules(orders, min_support):
    """Association rules between categories as custlab computed them in pandas (the reference)."""
    import numpy as np

    baskets = pd.crosstab(orders["customer_id"], orders["category"]).gt(0).astype(float)
    both = baskets.T @ baskets / len(baskets)
    single = pd.Series(np.diag(both), index=both.index)
    rules = both.stack().rename("support").to_frame()
    rules.index.names = ["antecedent", "consequent"]
    rules = rules[rules.index.get_level_values(0) != rules.index.get_level_values(1)]
    rules["confidence"] = rules["support"] / single.reindex(rules.index.get_level_values(0)).to_numpy()
    rules["lift"] = rules["confidence"] / single.reindex(rules.index.get_level_values(1)).to_numpy()
    return rules[rules["support"] >= min_support].sort_values(["lift", "confidence"], ascending=False)


def reference_key_accounts(orders, as_of, months=24, share=0.2):
    from custlab.analyses.value import value_tiers

    end = pd.Timestamp(as_of).normalize()
    window = orders.loc[(orders["order_date"] > end - pd.DateOffset(months=months)) & (orders["order_date"] <= end)]
    tiers = value_tiers(window.groupby("customer_id")["amount"].sum(), (share, 0.0))
    return (tiers["tier"] == "high").rename("key_account").sort_index()


def test_cross_sell_counts_and_key_accounts_in_the_engine_equal_the_pandas_reference(clean, tmp_path):
    from custlab.analyses import prospects

    tables, as_of = clean
    orders = tables["orders"]
    orders.to_parquet(tmp_path / "orders.parquet")
    on_parquet = engine.connect().read_parquet(tmp_path / "orders.parquet")
    expected = reference_category_rules(orders, 0.05)
    assert len(expected) > 5
    for source in (orders, on_parquet):
        pd.testing.assert_frame_equal(prospects.category_rules(source, 0.05), expected, check_exact=True, check_index_type=False)
        keys = prospects.key_accounts(source, as_of)
        pd.testing.assert_series_equal(keys, reference_key_accounts(orders, as_of), check_index_type=False)
    assert prospects.key_accounts(orders, as_of).mean() == pytest.approx(0.2, abs=0.01)
    pd.testing.assert_frame_equal(prospects.next_category(on_parquet, expected), prospects.next_category(orders, expected),
                                  check_index_type=False, check_dtype=False)


def reference_key_account_criteria(orders, customers, interactions, as_of, months=12):
    """The key-account criteria as custlab computed them in pandas (the reference)."""
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    start, half = end - pd.DateOffset(months=months), end - pd.DateOffset(months=months // 2)
    o = orders[(orders["order_date"] >= start) & (orders["order_date"] < end)]
    monthly = o.groupby(["customer_id", o["order_date"].dt.to_period("M")])["amount"].sum().unstack(fill_value=0)
    monthly = monthly.reindex(columns=pd.period_range(start, end - pd.Timedelta(days=1), freq="M"), fill_value=0)
    recent = o[o["order_date"] >= half].groupby("customer_id")["amount"].sum()
    earlier = o[o["order_date"] < half].groupby("customer_id")["amount"].sum()
    out = pd.DataFrame({"purchase_volume": o.groupby("customer_id")["amount"].sum(), "purchase_frequency": o.groupby("customer_id").size(),
                        "revenue_volatility": monthly.std(axis=1, ddof=0) / monthly.mean(axis=1)})
    out["growth"] = (recent.reindex(out.index, fill_value=0) - earlier.reindex(out.index, fill_value=0)) / \
        earlier.reindex(out.index).where(lambda v: v > 0)
    out["growth"] = out["growth"].fillna(1.0).clip(upper=5)
    info = customers.set_index("customer_id").reindex(out.index)
    for col in ("employees", "annual_revenue"):
        out[col] = pd.to_numeric(info[col]).astype(float)
    i = interactions[(interactions["date"] >= start) & (interactions["date"] < end)]
    out["interactions"] = i.groupby("customer_id")["count"].sum().reindex(out.index, fill_value=0)
    first = orders[orders["order_date"] < end].groupby("customer_id")["order_date"].min()
    out["relationship_days"] = (end - first.reindex(out.index)).dt.days
    out.index.name, out.columns.name = "customer_id", "criterion"
    return out


def test_key_account_criteria_in_the_engine_equal_the_pandas_reference(clean, tmp_path):
    from custlab.analyses import accounts

    tables, as_of = clean
    expected = reference_key_account_criteria(tables["orders"], tables["customers"], tables["interactions"], as_of)
    assert len(expected) > 200 and expected["growth"].between(-1, 5).all()
    tables["orders"].to_parquet(tmp_path / "orders.parquet")
    con = engine.connect()
    for orders in (tables["orders"], con.read_parquet(tmp_path / "orders.parquet")):
        got = accounts.key_account_criteria(orders, tables["customers"], tables["interactions"], as_of)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_dtype=False, check_index_type=False)


def reference_churn_rule(orders, interactions, as_of, months=3, frequency_drop=0.3, interaction_drop=0.5):
    """The churn rule as custlab computed it in pandas (the reference)."""
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    mid = end - pd.DateOffset(months=months)
    start = mid - pd.DateOffset(months=months)

    def counts(df, date, weight=None):
        w = df[weight] if weight else pd.Series(1, index=df.index)
        recent = w[(df[date] >= mid) & (df[date] < end)].groupby(df["customer_id"]).sum()
        before = w[(df[date] >= start) & (df[date] < mid)].groupby(df["customer_id"]).sum()
        return pd.DataFrame({"previous": before, "recent": recent}).fillna(0)

    o = counts(orders, "order_date")
    out = o.add_prefix("orders_")
    out["orders_change"] = (o["recent"] - o["previous"]) / o["previous"].where(o["previous"] > 0)
    flag = out["orders_change"] <= -frequency_drop
    i = counts(interactions, "date", "count").reindex(out.index, fill_value=0)
    out["interactions_previous"], out["interactions_recent"] = i["previous"], i["recent"]
    out["interactions_change"] = (i["recent"] - i["previous"]) / i["previous"].where(i["previous"] > 0)
    flag &= out["interactions_change"] <= -interaction_drop
    out["at_risk"] = flag.fillna(False).astype(bool)
    out.index.name, out.columns.name = "customer_id", "measure"
    return out


def test_the_churn_rule_in_the_engine_equals_the_pandas_reference(clean, tmp_path):
    from custlab.analyses import value

    tables, as_of = clean
    expected = reference_churn_rule(tables["orders"], tables["interactions"], as_of)
    assert expected["at_risk"].sum() > 0 and len(expected) > 100
    tables["interactions"].to_parquet(tmp_path / "interactions.parquet")
    con = engine.connect()
    for interactions in (tables["interactions"], con.read_parquet(tmp_path / "interactions.parquet")):
        got = value.churn_rule(tables["orders"], interactions, as_of)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_index_type=False)


def test_customer_tags_in_the_engine_equal_the_pandas_reference(clean, tmp_path):
    import numpy as np

    from custlab.analyses import accounts

    tables, as_of = clean
    orders, interactions, customers = tables["orders"], tables["interactions"], tables["customers"]
    settings = config.load_params("10_key_accounts").key_accounts.tags
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)  # the reference: the former pandas computation
    start = end - pd.DateOffset(months=12)
    n = orders[(orders["order_date"] >= start) & (orders["order_date"] < end)].groupby("customer_id").size()
    n = n.reindex(customers["customer_id"], fill_value=0)
    i = interactions[(interactions["date"] >= start) & (interactions["date"] < end)]
    per_kind = i.pivot_table(index="customer_id", columns="kind", values="count", aggfunc="sum", fill_value=0) / 12
    visits = per_kind["visit"].reindex(customers["customer_id"], fill_value=0)
    interactions.to_parquet(tmp_path / "interactions.parquet")
    got = accounts.customer_tags(customers, orders, engine.connect().read_parquet(tmp_path / "interactions.parquet"), as_of,
                                 settings)
    assert got["orders_12m"].tolist() == n.tolist() and (got["frequency"] == "dormant").sum() == (n == 0).sum()
    np.testing.assert_allclose(got["visits_per_month"].to_numpy(), visits.to_numpy(), rtol=1e-12)
    assert got["frequency"].tolist() == np.select([n >= settings.frequency_high, n >= settings.frequency_medium, n >= 1],
                                                  ["high", "medium", "low"], "dormant").tolist()
