from pathlib import Path

import pandas as pd
import pytest

from custlab import config
from custlab.data import sources
from custlab.analyses import value
from custlab.errors import AnalysisError

RESULTS = Path(__file__).parents[1] / "results"


def test_bgnbd_reproduces_published_cdnow_parameters():
    # Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    cdnow = pd.read_csv(RESULTS / "cdnow_customers_summary.csv", index_col="ID")
    fit = value.fit_bgnbd(cdnow)
    assert fit.params.round(3).to_dict() == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert fit.loglike == pytest.approx(-9582.4, abs=0.05)
    p = fit.p_alive(cdnow)
    assert p[cdnow["frequency"] == 0].eq(1).all() and p.between(0, 1).all()
    # customer 1 of CDNOW: x=2, t_x=30.43, T=38.86; P(alive) by the closed form of the paper
    r, alpha, a, b = fit.params
    odds = a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2)
    assert p.loc[1] == pytest.approx(1 / (1 + odds))
    e = fit.expected_purchases(cdnow, 39)
    assert (e >= 0).all() and e.loc[1] > e[cdnow["frequency"] == 0].max()
    # the same customer's expected purchases in the next 39 weeks: 1.226 in Fader, Hardie & Lee's
    # "Implementing the BG/NBD model ... in Excel" (2005); the closed form with the Gauss
    # hypergeometric function (their equation 10) gives the same
    from scipy.special import hyp2f1
    z = 39 / (alpha + 38.86 + 39)
    closed = ((a + b + 1) / (a - 1) * (1 - ((alpha + 38.86) / (alpha + 38.86 + 39)) ** (r + 2) * hyp2f1(r + 2, b + 2, a + b + 1, z))
              / (1 + odds))
    assert e.loc[1] == pytest.approx(closed, rel=1e-9) and round(e.loc[1], 3) == 1.226


def test_bgnbd_needs_the_lifetimes_columns():
    with pytest.raises(AnalysisError, match="missing \\['T'\\].*convention='lifetimes'"):
        value.fit_bgnbd(pd.DataFrame({"frequency": [1], "recency": [1]}))


ORDERS = pd.DataFrame({
    "customer_id": ["A", "A", "A", "A", "B", "C", "C"],
    "order_date": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 15:00", "2024-01-10 00:00", "2024-02-01 00:00", "2024-01-20 00:00", "2024-01-05 00:00", "2024-03-05 00:00"]),
    "amount": [10.0, 5.0, 20.0, 30.0, 7.0, 1.0, 99.0],
})


def test_rfm_definitions_by_hand(tmp_path):
    got = value.rfm(ORDERS, as_of="2024-02-10")
    assert (got.loc["A", "recency"], got.loc["A", "frequency"], got.loc["A", "monetary"]) == (9, 4, 65.0)
    assert got.loc["A", "monetary_mean"] == pytest.approx(65 / 4)
    assert "C" in got.index and got.loc["C", "frequency"] == 1  # the March order is after as_of
    path = tmp_path / "orders.parquet"
    ORDERS.to_parquet(path)
    pd.testing.assert_frame_equal(value.rfm(path, as_of="2024-02-10"), got)


def test_rfm_lifetimes_convention_by_hand():
    # lifetimes' summary_data_from_transaction_data(freq="D"): days, same-day orders are one period
    got = value.rfm(ORDERS, as_of="2024-02-10", convention="lifetimes")
    a = got.loc["A"]
    assert (a["frequency"], a["recency"], a["T"]) == (2, 31, 40)
    assert a["monetary_value"] == pytest.approx((20 + 30) / 2)  # repeat days only, first day excluded
    assert got.loc["B"].tolist() == [0, 0, 21, 0]
    assert value.rfm(ORDERS, convention="lifetimes").loc["C", "T"] == 60  # default as_of: the last order day


def test_scores_tiers_and_pareto():
    s = pd.DataFrame({"recency": [1, 5, 30, 90, 200], "frequency": [50, 20, 5, 2, 1], "monetary": [900, 50, 30, 15, 5]},
                     index=pd.Index(list("abcde"), name="customer_id"))
    sc = value.rfm_scores(s, bins=5)
    assert sc["R"].tolist() == [5, 4, 3, 2, 1] and sc["M"].tolist() == [5, 4, 3, 2, 1]
    assert sc.loc["a", "segment"] == "重要价值客户" and sc.loc["e", "segment"] == "一般挽留客户"
    tiers = value.value_tiers(s["monetary"], (0.2, 0.4))
    assert tiers["tier"].tolist() == ["high", "medium", "medium", "low", "low"]
    abc = value.abc_table(tiers)
    assert abc.loc["high", "value_share"] == pytest.approx(0.9)


@pytest.fixture(scope="module")
def sample_tables(small_sample):
    p = config.BaseParams(source=config.SourceParams(path=str(small_sample / "crm.duckdb")))
    src = sources.open_source(p.source)
    return {t: src.read(t) for t in ("customers", "orders", "interactions")}


def test_planted_key_accounts_land_in_the_high_tier(sample_tables, small_truth):
    orders = sample_tables["orders"].query("amount > 0")
    tiers = value.value_tiers(value.rfm(orders, as_of="2026-06-30")["monetary"])
    planted = set(small_truth["key_accounts"]["customer_ids"])
    high = set(tiers.index[tiers["tier"] == "high"])
    assert len(planted & high) / len(planted) >= 0.85  # 94.7% on the 5,000-customer default sample


def test_churn_watchlist_finds_planted_decliners(sample_tables, small_truth):
    orders = sample_tables["orders"].query("amount > 0")
    tiers = value.value_tiers(value.rfm(orders, as_of="2026-06-30")["monetary"])
    repeat = value.rfm(orders, as_of="2026-06-30", convention="lifetimes")
    fit = value.fit_bgnbd(repeat)
    rule = value.churn_rule(orders, sample_tables["interactions"], "2026-06-30")
    watch = value.churn_watchlist(tiers, fit.p_alive(repeat), fit.expected_purchases(repeat, 90), rule,
                                  sample_tables["customers"], 0.5)
    planted = set(small_truth["decliners"]["customer_ids"])
    found = planted & set(watch.index)
    assert len(found) / len(planted) >= 0.7 and len(found) / len(watch) >= 0.7
    assert {"name", "phone", "reason", "p_alive"} <= set(watch.columns)


def test_bgnbd_gradient_matches_finite_differences_and_weights_count_customers():
    import numpy as np
    from scipy import optimize

    cdnow = pd.read_csv(RESULTS / "cdnow_customers_summary.csv", index_col="ID")
    x, tx, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ones = np.ones_like(x)
    for p in (np.array([0.243, 4.414, 0.793, 2.426]), np.array([1.3, 0.2, 3.0, 50.0])):
        loglike, gradient = value._bgnbd_loglike_and_gradient(p, x, tx, T, ones)
        assert loglike == pytest.approx(value._bgnbd_loglike(p, x, tx, T).sum())
        numeric = optimize.approx_fprime(p, lambda q: value._bgnbd_loglike(q, x, tx, T).sum(), 1e-7)
        assert gradient == pytest.approx(numeric, rel=1e-4, abs=1e-3)
    triples, counts = np.unique(np.column_stack([x, tx, T]), axis=0, return_counts=True)
    p = np.array([0.243, 4.414, 0.793, 2.426])
    weighted = value._bgnbd_loglike_and_gradient(p, *triples.T, counts.astype(float))
    assert len(triples) < len(x) and weighted[0] == pytest.approx(value._bgnbd_loglike(p, x, tx, T).sum())
    assert weighted[1] == pytest.approx(value._bgnbd_loglike_and_gradient(p, x, tx, T, ones)[1])
