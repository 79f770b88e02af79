import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from custlab.analyses import accounts
from custlab.data import cleaning
from custlab import config, report
from custlab.errors import AnalysisError


def test_entropy_weights_by_the_textbook_formula():
    m = pd.DataFrame({"a": [0.1, 0.5, 0.9, 0.3], "b": [1.0, 1.0, 1.0, 1.0], "c": [0.0, 0.0, 1.0, 0.0]})
    got = accounts.entropy_weights(m)
    n = len(m)
    d = {}
    for col in m:  # e_j = -1/ln(n) * sum p ln p ; d_j = 1 - e_j ; w_j = d_j / sum d
        total = sum(m[col])
        e = -sum((x / total) * math.log(x / total) for x in m[col] if x > 0) / math.log(n)
        d[col] = 1 - e
    expected = {k: v / sum(d.values()) for k, v in d.items()}
    assert got.to_dict() == pytest.approx(expected)
    assert got["b"] == pytest.approx(0.0) and got["c"] > got["a"]  # constant: no weight; concentrated: most
    with pytest.raises(AnalysisError, match="give weights in params"):
        accounts.entropy_weights(pd.DataFrame({"a": [1.0, 1.0]}))


def test_key_account_index_given_weights_and_cost_criteria():
    crit = pd.DataFrame({"purchase_volume": [100.0, 50.0, 0.0], "revenue_volatility": [0.2, 1.0, 0.6]}, index=["x", "y", "z"])
    idx = accounts.key_account_index(crit, {"purchase_volume": 3, "revenue_volatility": 1})
    # volume scaled 1, .5, 0 with weight .75; volatility reversed: 1, 0, .5 with weight .25
    assert idx.score.round(6).to_dict() == {"x": 100.0, "y": 37.5, "z": 12.5}
    assert idx.contributions.sum(axis=1).equals(idx.score.rename(None)) or np.allclose(idx.contributions.sum(axis=1), idx.score)
    assert list(idx.ranked().index) == ["x", "y", "z"]
    with pytest.raises(AnalysisError, match="'growth'.*key_accounts.index_weights"):
        accounts.key_account_index(crit, {"growth": 1})


@pytest.fixture(scope="module")
def clean_small(small_sample, tmp_path_factory):
    params = config.load_params("10_key_accounts", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    result = cleaning.load_clean(params, cache_dir=tmp_path_factory.mktemp("cache"))
    return params, result.tables


def test_planted_key_accounts_rank_high_on_the_index(clean_small, small_truth):
    params, tables = clean_small
    crit = accounts.key_account_criteria(tables["orders"], tables["customers"], tables["interactions"], params.as_of)
    idx = accounts.key_account_index(crit, {"purchase_volume": 0.5, "purchase_frequency": 0.3, "interactions": 0.2})
    planted = set(small_truth["key_accounts"]["customer_ids"]) & set(idx.score.index)
    top = set(idx.score.nlargest(int(0.2 * len(idx.score))).index)
    assert len(planted & top) / len(planted) >= 0.8
    entropy = accounts.key_account_index(crit)
    assert entropy.weights.sum() == pytest.approx(1) and (entropy.weights >= 0).all()


def test_rfmai_classes_separate_planted_segments(clean_small, small_truth):
    from custlab.analyses import value
    params, tables = clean_small
    summary = value.rfm(tables["orders"], as_of=params.as_of)
    res = accounts.rfmai(summary, tables["customers"], k_range=(3, 6), random_state=0)
    assert 3 <= res.k <= 6 and res.labels.nunique() == res.k
    assert res.profile["monetary"].is_monotonic_decreasing  # C1 is the most valuable class
    assert res.profile["customers"].sum() == len(summary)
    segment = {c: s for s, ids in small_truth["segments"].items() for c in ids}
    strategic = res.labels[res.labels.index.map(segment) == "strategic"]
    assert len(strategic) >= 10 and (strategic == "C1").mean() >= 0.8  # planted strategic customers share the top class
    # each k's silhouette is scikit-learn's mean silhouette of that k's k-means classes (the distances
    # are computed once for all k; with fewer than 5,000 customers every customer counts)
    assert len(summary) < 5000
    x = accounts.rfmai_features(summary.sort_index(), tables["customers"].set_index("customer_id").reindex(summary.sort_index().index))
    for k, value_ in res.silhouette.items():
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x).labels_
        assert value_ == pytest.approx(silhouette_score(x, labels), abs=1e-12)
    assert res.k == res.silhouette.idxmax()
    again = accounts.rfmai(summary, tables["customers"], k=res.k, random_state=0)
    assert again.labels.equals(res.labels)
    shuffled = accounts.rfmai(summary.sample(frac=1, random_state=1), tables["customers"], k_range=(3, 6), random_state=0)
    assert shuffled.labels.equals(res.labels) and shuffled.profile.equals(res.profile)  # row order does not matter
    from custlab.analyses import value as v
    tiers = v.value_tiers(summary["monetary"])
    actions = accounts.KeyAccountSettings().actions("en")
    by_class = accounts.class_strategy(res, tiers, actions)
    assert by_class["high_tier_share"].idxmax() == "C1"
    assert (by_class["action"] == by_class["main_tier"].map(actions)).all()
    counts = pd.crosstab(res.labels, tiers["tier"].reindex(res.labels.index))
    assert (by_class["main_tier"] == counts.idxmax(axis=1)).all()


def test_tags_follow_the_thresholds():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "size_class": ["large", "small", "micro", "medium"]})
    dates = pd.to_datetime(["2026-05-01"])
    orders = pd.DataFrame({"customer_id": ["a"] * 12 + ["b"] * 6 + ["c"] * 2 + ["d"],
                           "order_date": list(dates.repeat(20)) + [pd.Timestamp("2024-01-01")]})
    inter = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"], "date": pd.Timestamp("2026-03-01"),
                          "kind": ["visit", "event", "visit", "event", "visit"], "count": [60, 24, 24, 12, 100]})
    tags = accounts.customer_tags(customers, orders, inter, "2026-06-30", accounts.TagSettings())
    assert tags["frequency"].to_dict() == {"a": "high", "b": "medium", "c": "low", "d": "dormant"}
    assert tags["interaction"].to_dict() == {"a": "high", "b": "medium", "c": "low", "d": "low"}
    assert tags["size"].tolist() == ["large", "small", "micro", "medium"]
    summary = accounts.tag_summary(tags.assign(size=["large", "small", "未知", "medium"]))
    assert list(summary.index) == [("size", "large"), ("size", "medium"), ("size", "small"), ("size", "未知"),
                                   ("frequency", "high"), ("frequency", "medium"), ("frequency", "low"), ("frequency", "dormant"),
                                   ("interaction", "high"), ("interaction", "medium"), ("interaction", "low")]
    assert summary["customers"].tolist() == [1] * 8 + [1, 1, 2]
    report.set_language("zh")  # sizes read as sizes (中型), other levels as levels (中)
    html = report.table_bundle(summary)["text/html"]
    report.set_language("en")
    assert html.index("大型") < html.index("中型") < html.index("小型") < html.index("未知") < html.index("休眠")
    assert ">中<" in html and ">Medium<" not in html


def test_cross_table_matches_scipy_and_ca_inertia_is_chi2_over_n():
    rng = np.random.default_rng(3)
    rows = pd.Series(rng.choice(list("ABCD"), 800, p=[0.4, 0.3, 0.2, 0.1]), name="industry")
    cols = pd.Series(np.where(rows == "A", rng.choice(list("xyz"), 800, p=[0.7, 0.2, 0.1]), rng.choice(list("xyz"), 800)), name="category")
    ct = accounts.cross_table(rows, cols)
    chi2, p, dof, _ = stats.chi2_contingency(pd.crosstab(rows, cols).to_numpy(), correction=False)
    assert (ct.chi2, ct.p_value, ct.dof) == (pytest.approx(chi2), pytest.approx(p), dof)
    assert ct.cramers_v == pytest.approx(stats.contingency.association(pd.crosstab(rows, cols).to_numpy(), method="cramer"))
    coords, inertia, total = accounts.correspondence_map(ct.counts)
    assert total == pytest.approx(chi2 / 800)
    # the reference implementation: prince.CA (a test dependency only; see correspondence_map)
    import prince

    ref = prince.CA(n_components=2).fit(ct.counts)
    for kind, expected in (("industry", ref.row_coordinates(ct.counts)), ("category", ref.column_coordinates(ct.counts))):
        got = coords[coords["kind"] == kind][["dim1", "dim2"]]
        assert list(got.index) == list(expected.index)
        assert np.abs(got.to_numpy()) == pytest.approx(np.abs(expected.to_numpy()), abs=1e-9)  # signs are arbitrary
    assert total == pytest.approx(ref.total_inertia_)
    assert inertia.to_numpy() == pytest.approx(np.asarray(ref.percentage_of_variance_) / 100)
    row_points = coords[coords["kind"] == "industry"]
    r = ct.counts.sum(axis=1).to_numpy() / 800
    loadings = row_points[["dim1", "dim2"]].to_numpy() * np.sqrt(r)[:, None]  # U * sigma: sign rule of svd_flip
    assert (loadings[np.abs(loadings).argmax(axis=0), [0, 1]] > 0).all()
    empty = ct.counts.copy()
    empty.iloc[-1, :] = 0
    with pytest.raises(AnalysisError, match="every row and column"):
        accounts.correspondence_map(empty)
    with pytest.raises(AnalysisError, match="at least two levels"):
        accounts.cross_table(rows, pd.Series("x", index=rows.index, name="category"))


def test_cross_by_column_joins_the_two_tables_or_says_there_is_nothing_to_cross():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "industry": ["制造业", "制造业", "金融业", None]})
    orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "d", "x"], "category": ["p", "q", "p", "q", "q", "p", "p"]})
    got = accounts.cross_by_column(customers, "industry", orders, "category", on="customer_id")
    # one count per order of a known customer with a known industry
    assert got.counts.to_dict("index") == {"制造业": {"p": 2, "q": 1}, "金融业": {"p": 0, "q": 2}}
    joined = orders.merge(customers, on="customer_id")
    assert got.chi2 == accounts.cross_table(joined["industry"], joined["category"]).chi2
    assert accounts.cross_by_column(customers, "industry", orders.drop(columns="category"), "category", on="customer_id") is None
    assert accounts.cross_by_column(customers.assign(industry="未知"), "industry", orders, "category", on="customer_id") is None


def test_strategy_table_and_missing_actions():
    tiers = pd.DataFrame({"tier": ["high", "high", "medium", "low"], "value": [100.0, 80.0, 10.0, 1.0]}, index=list("abcd"))
    classes = pd.Series(["C1", "C1", "C2", "C3"], index=list("abcd"), name="rfmai_class")
    actions = accounts.KeyAccountSettings().actions("en")
    table = accounts.strategy_table(tiers, pd.Index(["b"]), classes, actions)
    assert list(table.index) == ["high_at_risk", "high", "medium", "low"]
    assert table.loc["high_at_risk", "customers"] == 1 and table.loc["high", "action"] == actions["high"]
    assert table["revenue_share"].sum() == pytest.approx(1)
    with pytest.raises(AnalysisError, match=r"no action for \['low'\].*key_accounts.strategy"):
        accounts.strategy_table(tiers, pd.Index([]), classes, {"high": "x", "medium": "y"})


def test_tier_migration_matrix_and_dropped_accounts():
    before = pd.Series({"a": "high", "b": "high", "c": "medium", "d": "low", "e": "high"})
    now = pd.Series({"a": "high", "b": "medium", "c": "high", "d": "low", "f": "medium"})
    matrix, dropped = accounts.tier_migration(before, now)
    assert matrix.loc["high"].to_dict() == {"high": 1, "medium": 1, "low": 0, "gone": 1}
    assert matrix.loc["new", "medium"] == 1 and matrix.to_numpy().sum() == 6
    assert sorted(dropped.index) == ["b", "e"]


def test_previous_output_is_the_newest_earlier_run(tmp_path):
    for run in ("20260101-000000-aaaa", "20260201-000000-bbbb", "20260301-000000-cccc"):
        (tmp_path / run / "10_key_accounts").mkdir(parents=True)
        (tmp_path / run / "10_key_accounts" / "tiers.csv").write_text("customer_id,tier\n", encoding="utf-8")
    (tmp_path / "latest").symlink_to("20260301-000000-cccc")
    current = tmp_path / "20260301-000000-cccc" / "10_key_accounts"
    assert report.previous_output(current, "10_key_accounts", "tiers.csv").parts[-3] == "20260201-000000-bbbb"
    assert report.previous_output(None, "10_key_accounts", "tiers.csv", tmp_path).parts[-3] == "20260301-000000-cccc"
    assert report.previous_output(tmp_path / "20260101-000000-aaaa" / "x", "10_key_accounts", "tiers.csv") is None


def test_issue_targets_on_the_default_sample(project_sample):
    folder, truth = project_sample  # the size and seed `custlab sample` uses
    own = {} if folder == config.SAMPLE_DIR else {"source": {"path": str(folder / "crm.duckdb")}}
    params = config.load_params("10_key_accounts", overrides=own)  # base.yaml's source: the notebooks' clean tables
    tables = cleaning.load_clean(params).tables
    s = accounts.screen(tables, params.as_of, params.key_accounts)
    planted = set(truth["key_accounts"]["customer_ids"])
    high = set(s.tiers.index[s.tiers["tier"] == "high"])
    assert len(planted & high) / len(planted) >= 0.90
    decliners, watch = set(truth["decliners"]["customer_ids"]), set(s.watchlist.index)
    assert len(decliners & watch) / len(decliners) >= 0.80 and len(decliners & watch) / len(watch) >= 0.70


def test_migration_since_last_run_reads_the_earlier_run_and_writes_this_one(tmp_path):
    tiers = pd.DataFrame({"tier": ["high", "medium"], "value": [10.0, 1.0]}, index=pd.Index(["a", "b"], name="customer_id"))
    first = tmp_path / "20260101-000000-aaaa" / "10_key_accounts"
    assert accounts.migration_since_last_run(tiers, first) == (None, None)
    assert (first / "tiers.csv").exists()
    later = tiers.assign(tier=["medium", "medium"])
    matrix, dropped = accounts.migration_since_last_run(later, tmp_path / "20260201-000000-bbbb" / "10_key_accounts")
    assert matrix.loc["high", "medium"] == 1 and list(dropped.index) == ["a"]


def test_an_analysis_date_outside_the_orders_says_what_to_set():
    orders = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"], "amount": [1.0, 2.0],
                           "order_date": pd.to_datetime(["2024-07-01", "2026-06-20"])})
    tables = {"orders": orders, "customers": pd.DataFrame({"customer_id": ["a", "b"]})}
    settings = accounts.KeyAccountSettings()
    with pytest.raises(AnalysisError, match=r"as_of 2024-02-01 is before the first order \(2024-07-01\): no order counts\. "
                                            r"Set as_of in your parameters to a day from 2024-07-01 to 2026-06-20"):
        accounts.screen(tables, "2024-02-01", settings)
    with pytest.raises(AnalysisError, match=r"as_of 2030-01-01 is more than 12 months after the latest order \(2026-06-20\)"):
        accounts.screen(tables, "2030-01-01", settings)
    accounts.check_as_of(orders, "2027-06-01")  # within a year of the latest order: fine
    accounts.check_as_of(orders, None)
    # no clean order at all (the cleaning set every order aside)
    with pytest.raises(AnalysisError, match=r"no clean orders to analyse: the cleaning set every order aside"):
        accounts.check_as_of(orders.iloc[:0], "2024-02-01")


def test_the_churn_rule_follows_its_params(clean_small):
    import dataclasses
    from custlab.analyses import value
    params, tables = clean_small
    ka = params.key_accounts
    default = accounts.screen(tables, params.as_of, ka).rule
    assert (ka.churn_months, ka.churn_order_drop, ka.churn_interaction_drop) == (3, 0.3, 0.5)  # params/10_key_accounts.yaml
    assert default.equals(value.churn_rule(tables["orders"], tables["interactions"], params.as_of))  # the function's defaults
    strict = accounts.screen(tables, params.as_of, dataclasses.replace(ka, churn_months=2, churn_order_drop=0.9,
                                                                      churn_interaction_drop=0.9)).rule
    assert strict.equals(value.churn_rule(tables["orders"], tables["interactions"], params.as_of, 2, 0.9, 0.9))
    flagged = strict[strict["at_risk"]]
    assert 0 < len(flagged) < default["at_risk"].sum()
    assert (flagged["orders_change"] <= -0.9).all() and (flagged["interactions_change"] <= -0.9).all()
    assert "interactions at least 50%" in accounts.churn_sentence(accounts.screen(tables, params.as_of, ka), ka)
    # without interactions in the source, orders alone decide, and the report says so
    alone = accounts.screen({k: v for k, v in tables.items() if k != "interactions"}, params.as_of, ka)
    assert "interactions_change" not in alone.rule
    assert alone.rule["at_risk"].equals(alone.rule["orders_change"].le(-0.3))
    assert set(alone.watchlist["reason"]) <= {"orders", "orders+bgnbd", "bgnbd"} and "orders" in set(alone.watchlist["reason"])
    sentence = accounts.churn_sentence(alone, ka)
    assert "orders down at least 30%, the source having no interactions to go by" in sentence
    assert sentence.startswith(f"{len(alone.watchlist):,} high-value customers")


def test_cross_table_says_how_strong_a_significant_association_is():
    def table(a, b, c, d, rows=("high", "low"), cols=("x", "y")):
        pairs = [(rows[0], cols[0])] * a + [(rows[0], cols[1])] * b + [(rows[1], cols[0])] * c + [(rows[1], cols[1])] * d
        frame = pd.DataFrame(pairs, columns=["tier", "region"])
        return accounts.cross_table(frame["tier"], frame["region"])

    strong = table(90, 10, 10, 90)
    assert strong.cramers_v == pytest.approx(0.8) and strong.strength() == "large"
    weak = table(60, 40, 40, 60)  # chi-square 8 on 200: p = 0.005, V = 0.2
    assert weak.p_value < 0.05 and weak.cramers_v == pytest.approx(0.2) and weak.strength() == "small"
    tiny = table(50_500, 49_500, 49_500, 50_500)  # V = 0.01, yet p < 1e-5 on 200,000 rows
    assert tiny.p_value < 1e-5 and tiny.strength() == "negligible"
    assert table(5_050, 4_950, 4_950, 5_050).strength() == "none"  # V = 0.01 on 20,000: p = 0.16
    # value tiers keep their order in the table (pd.crosstab sorts them alphabetically)
    tiers = pd.Series(["low", "medium", "high", "low", "medium", "high"], name="tier")
    assert list(accounts.cross_table(tiers, pd.Series(list("xyxyyx"), name="region")).counts.index) == ["high", "medium", "low"]


def test_without_repeat_buyers_bgnbd_is_left_out_and_the_rest_of_the_screening_stands(clean_small):
    # every order on one day (a first export, a one-off campaign): nobody bought twice, so BG/NBD has nothing to learn from
    params, clean = clean_small
    tables = dict(clean)
    orders = tables["orders"].drop_duplicates("customer_id").assign(order_date=pd.Timestamp("2026-06-30"))
    tables["orders"] = orders
    settings = accounts.KeyAccountSettings()
    s = accounts.screen(tables, None, settings)
    assert s.bgnbd is None and s.repeat_buyers == 0 and s.p_alive.isna().all()
    assert len(s.tiers) == orders["customer_id"].nunique() and set(s.tiers["tier"]) == {"high", "medium", "low"}
    assert set(s.watchlist["reason"]) <= {"rule", "orders"}
    assert accounts.bgnbd_sentence(s, settings) == ("The BG/NBD model is left out: 0 customers bought more than once, and it "
                                                    "needs at least 10 to estimate how customers drop out. The watchlist follows the rule alone.")
    assert "P(alive)" not in accounts.churn_sentence(s, settings) and "存活概率" not in accounts.churn_sentence(s, settings, "zh")
    full = accounts.screen(clean, params.as_of, settings)
    assert full.bgnbd is not None and full.repeat_buyers > 100 and "repeat orders in the next" in accounts.bgnbd_sentence(full, settings)
