"""Segmentation: behaviour features computed as defined, k chosen on data with a known number of
groups, stability as Hennig's Jaccard reads it, and the sample's planted segments recovered."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from custlab.analyses import segments
from custlab.errors import AnalysisError


def blobs(k: int = 4, n: int = 80, seed: int = 0, spread: float = 8.0) -> pd.DataFrame:
    """``k`` (up to 4) well-separated round groups of ``n`` customers in 3 dimensions, labelled by group."""
    rng = np.random.default_rng(seed)
    centres = spread * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])[:k]  # a tetrahedron's corners
    x = np.vstack([rng.normal(c, 1.0, (n, 3)) for c in centres])
    df = pd.DataFrame(x, columns=["a", "b", "c"], index=pd.Index([f"C{i:04d}" for i in range(len(x))], name="customer_id"))
    return df.assign(group=np.repeat(np.arange(k), n))


def test_behaviour_features_follow_their_definitions():
    orders = pd.DataFrame({"customer_id": ["A", "A", "A", "A", "B", "Z"],
                           "order_date": pd.to_datetime(["2025-08-01", "2026-02-01", "2026-03-01", "2026-06-30", "2025-09-01", "2024-01-01"]),
                           "amount": [100.0, 300.0, 200.0, 400.0, 50.0, 999.0], "category": ["x", "y", "y", "x", "x", "y"]})
    interactions = pd.DataFrame({"customer_id": ["A", "A", "B"], "date": pd.to_datetime(["2026-01-01", "2026-06-01", "2024-01-01"]),
                                 "count": [3, 9, 5]})
    f = segments.behaviour_features(orders, interactions, "2026-06-30", months=12)
    assert list(f.index) == ["A", "B"]  # Z ordered before the window only
    a, b = f.loc["A"], f.loc["B"]
    assert a["order_rate"] == pytest.approx(4 / 12) and a["order_value"] == pytest.approx(250)
    assert a["trend"] == pytest.approx((3 - 1) / 4)  # 2025-12-30 splits the window: 1 order before, 3 after
    assert b["trend"] == -1.0 and b["interaction_rate"] == 0.0  # B's interaction is before the window
    assert a["interaction_rate"] == pytest.approx(12 / 12) and a["revenue"] == 1000
    assert (a["mix:x"], a["mix:y"], b["mix:x"]) == pytest.approx((0.5, 0.5, 1.0))


@pytest.mark.parametrize("method", segments.METHODS)
def test_k_is_chosen_on_groups_of_known_number(method):
    data = blobs(k=4)
    seg = segments.segment(data, ["a", "b", "c"], method=method, k_range=(2, 7))
    assert seg.k == 4
    assert adjusted_rand_score(data["group"], seg.labels) == 1.0
    assert list(seg.criteria.index) == list(range(2, 8))
    assert seg.criteria["silhouette"].idxmax() == 4
    if method == "gmm":
        assert seg.criteria["bic"].idxmin() == 4


def test_ward_on_more_customers_than_it_can_hold_clusters_a_sample_and_assigns_the_rest(monkeypatch):
    monkeypatch.setattr(segments._segments, "WARD_ROWS", 60)
    data = blobs(k=3, n=100)
    seg = segments.segment(data, ["a", "b", "c"], method="ward", k=3)
    assert adjusted_rand_score(data["group"], seg.labels) == 1.0


def test_segments_are_named_by_revenue_per_customer():
    data = blobs(k=3).assign(revenue=lambda d: d["group"].map({0: 10.0, 1: 1000.0, 2: 100.0}))
    seg = segments.segment(data, ["a", "b", "c"], k=3)
    assert seg.labels.groupby(data["group"]).first().to_dict() == {1: "S1", 2: "S2", 0: "S3"}
    prof = segments.profile(data, seg.labels)
    assert prof["customers"].tolist() == [80, 80, 80] and prof["revenue_share"].tolist() == pytest.approx([1000 / 1110, 100 / 1110, 10 / 1110])


def test_stability_tells_real_groups_from_cuts_through_one_cloud():
    separated = blobs(k=3)
    seg = segments.segment(separated, ["a", "b", "c"], k=3)
    assert segments.jaccard_stability(separated, seg, n_boot=20).min() > 0.95
    rng = np.random.default_rng(1)  # one round cloud cut into 6: the cuts move with every resample
    cloud = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    cut = segments.segment(cloud, ["a", "b", "c"], k=6)
    jaccard = segments.jaccard_stability(cloud, cut, n_boot=20)
    assert jaccard.max() < segments.STABLE
    assert [segments.stability_level(j) for j in (0.8, 0.7, 0.5)] == ["stable", "pattern", "unstable"]


def test_stability_of_many_customers_resamples_a_random_subset(monkeypatch):
    monkeypatch.setattr(segments._segments, "STABILITY_ROWS", 90)
    data = blobs(k=3)  # 240 customers
    seg = segments.segment(data, ["a", "b", "c"], k=3)
    jaccard = segments.jaccard_stability(data, seg, n_boot=5)
    assert jaccard.index.tolist() == ["S1", "S2", "S3"] and jaccard.min() > 0.95


def test_distinguishing_features_point_the_right_way():
    data = blobs(k=2, spread=0).assign(a=lambda d: d["a"] + d["group"] * 10)  # group 1 is far higher on a only
    data["revenue"] = data["group"] + 1.0
    seg = segments.segment(data, ["a", "b", "c"], k=2)
    apart = segments.distinguishing(segments.z_means(data, seg.labels, seg.columns), top=1)
    assert apart.index.tolist() == [("S1", "a"), ("S2", "a")]
    assert apart["z"].tolist() == pytest.approx([1, -1], abs=0.05)  # two equal groups sit one SD either side
    lines = segments.apart_sentences(apart, {"S1": "Heavy"}, "en")
    assert lines[0].startswith("Heavy: higher a (+1.0 SD)") and lines[1].startswith("S2: lower a (-1.0 SD)")


@pytest.mark.parametrize("call, message", [
    (lambda d: segments.segment(d, ["a", "nope"]), r"segments.features names nope.*choose from a, b, c"),
    (lambda d: segments.segment(d.assign(b=1.0), ["a", "b"]), r"Feature b is the same for every customer"),
    (lambda d: segments.segment(d.head(10), ["a"], k=4), r"10 customers are too few for 4 segments"),
    (lambda d: segments.segment(d, ["a"], method="dbscan"), r"segments.method is 'dbscan'; use one of kmeans, ward, gmm"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(AnalysisError, match=message):
        call(blobs())


def test_a_window_without_orders_is_a_clear_error():
    orders = pd.DataFrame({"customer_id": ["A"], "order_date": pd.to_datetime(["2020-01-01"]), "amount": [1.0]})
    with pytest.raises(AnalysisError, match=r"No orders between 2024-06-30 and 2026-06-30: set as_of"):
        segments.behaviour_features(orders, None, "2026-06-30")


def test_planted_segments_are_recovered(mid_sample):
    # the five planted segments at k = 5: strategic and growth customers both spend the most and
    # share one segment (they differ in rate and order value by less than customers vary within
    # them); steady and small customers each make up a segment of their own
    tables, truth = mid_sample
    features = segments.behaviour_features(tables["orders"], tables["interactions"], truth["as_of"])
    planted = pd.Series({c: s for s, ids in truth["segments"].items() for c in ids}).reindex(features.index)
    seg = segments.segment(features, k=5)
    table = pd.crosstab(seg.labels, planted)
    assert adjusted_rand_score(planted, seg.labels) > 0.55
    assert table.loc["S1", "strategic"] / table["strategic"].sum() > 0.95
    assert table.loc["S1", ["strategic", "growth"]].sum() / table.loc["S1"].sum() > 0.95
    for name, share in (("steady", 0.85), ("small", 0.75)):
        home = table[name].idxmax()
        assert table.loc[home, name] / table[name].sum() > share and table.loc[home, name] / table.loc[home].sum() > share
    assert segments.jaccard_stability(features, seg, n_boot=10).loc["S1"] > segments.STABLE
