"""Customer segmentation on buying behaviour: features, clustering, choosing k, stability, profiles.

Customers are described by how they buy over a window (orders a month, mean order value, the
trend between the window's two halves, interactions a month, and each product category's share of
their spend), those features are put on one scale (logs of the rates and values, then z-scores),
and clustered by k-means, Ward's hierarchical clustering or a Gaussian mixture (scikit-learn's).
The number of segments is the best mean silhouette (k-means, Ward) or the lowest BIC (mixture)
over a range, unless it is set. How far a segment can be trusted is its bootstrap stability:
Hennig's (2007) mean Jaccard similarity between the segment and its best match when the
customers are resampled and clustered again (R fpc's ``clusterboot``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import calinski_harabasz_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from ...report import Result
from ...data.engine import frame, relation, rows as row_count
from ..value import analysis_date
from ...errors import AnalysisError
from .settings import METHODS
from ...i18n import label, t
from ...report import _capitalized, atomic_write, csv_bytes

RATE_FEATURES = ("order_rate", "order_value", "interaction_rate")  # clustered on a log scale
BEHAVIOUR = (*RATE_FEATURES, "trend")
MIX_PREFIX = "mix:"  # a category's share of spend, e.g. "mix:设备"
SILHOUETTE_ROWS = 5000  # silhouettes are computed on at most this many customers (drawn at random)
STABILITY_ROWS = 20_000  # the bootstrap resamples at most this many customers (drawn at random once)
WARD_ROWS = 10_000  # Ward's clustering needs n² memory: above this it clusters a random sample, the rest go to the nearest centre
STABLE, PATTERN = 0.75, 0.6  # Hennig's reading of the mean Jaccard: stable, a pattern, below it not to be trusted


# --------------------------------------------------------------------------- features
def behaviour_features(orders, interactions, as_of, months: int = 24) -> pd.DataFrame:
    """How each customer bought in the ``months`` up to ``as_of``.

    The orders and interactions are aggregated by the engine that holds them (:mod:`custlab.data.engine`:
    DuckDB for a pandas frame or Parquet, PostgreSQL for a table there); only one row per customer
    comes back.

    Parameters
    ----------
    orders : DataFrame or Ibis table
        Clean orders with customer_id, order_date, amount and (optionally) category.
    interactions : DataFrame, Ibis table or None
        Clean interactions with customer_id, date and count (None: the source has none).
    as_of : date
        End of the window (inclusive); None: the day of the latest order.
    months : int
        Length of the window.

    Returns
    -------
    DataFrame
        One row per customer with an order in the window (index ``customer_id``): ``order_rate``
        (orders a month), ``order_value`` (mean CNY), ``trend`` (orders in the window's second half
        minus its first, over all its orders: from -1 to 1), ``interaction_rate`` (a month; absent
        without interactions), ``revenue`` (CNY, described but not clustered) and ``mix:<category>``
        (share of spend per category, when orders have one).
    """
    import ibis

    o = relation(orders)
    end = analysis_date(orders, as_of)
    start, half = end - pd.DateOffset(months=months), end - pd.DateOffset(months=months / 2)
    window = o.filter((o.order_date > start.to_pydatetime()) & (o.order_date <= end.to_pydatetime()))
    by = window.group_by("customer_id").aggregate(
        count=window.count(), late=ibis.ifelse(window.order_date > half.to_pydatetime(), 1, 0).sum(),
        order_value=window.amount.mean(), revenue=window.amount.sum())
    per = frame(by).set_index("customer_id").sort_index()
    if per.empty:
        raise AnalysisError(f"No orders between {start.date()} and {end.date()}: set as_of in params/base.yaml to a date "
                            f"the orders reach, or lengthen segments.months.")
    count = per["count"].astype("int64")
    features = pd.DataFrame({"order_rate": count / months, "order_value": per["order_value"].astype(float),
                             "trend": (2 * per["late"].astype("int64") - count) / count})
    if interactions is not None and row_count(interactions):
        i = relation(interactions)
        recent = i.filter((i.date > start.to_pydatetime()) & (i.date <= end.to_pydatetime()))
        counts = frame(recent.group_by("customer_id").aggregate(total=recent["count"].sum())).set_index("customer_id")["total"]
        features["interaction_rate"] = counts.astype(float).reindex(count.index, fill_value=0) / months
    features["revenue"] = per["revenue"].astype(float)
    if "category" in window.columns:
        spend = frame(window.group_by(["customer_id", "category"]).aggregate(spend=window.amount.sum()))
        mix = spend.pivot_table(index="customer_id", columns="category", values="spend", aggfunc="sum", observed=True)
        mix = mix.reindex(count.index).fillna(0)
        mix = mix.div(mix.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0)
        features = features.join(mix.rename(columns=lambda c: f"{MIX_PREFIX}{c}"))
    features.index.name = "customer_id"
    features.columns.name = "feature"
    return features.sort_index()


def clustered_columns(features: pd.DataFrame, columns: list[str] | None = None) -> list[str]:
    """The feature columns to cluster on: ``columns``, or every behaviour and mix column present."""
    if columns:
        unknown = [c for c in columns if c not in features.columns]
        if unknown:
            raise AnalysisError(f"segments.features names {', '.join(map(str, unknown))}, which the behaviour features do "
                                f"not have; choose from {', '.join(c for c in features.columns if c != 'revenue')}.")
        return list(columns)
    return [c for c in features.columns if c in BEHAVIOUR or str(c).startswith(MIX_PREFIX)]


def feature_matrix(features: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The standardized matrix that is clustered: rates and values on a log scale (log1p), then
    every column as z-scores, so that no feature weighs more for its unit."""
    x = features[columns].astype(float).copy()
    for c in columns:
        if c in RATE_FEATURES:
            x[c] = np.log1p(x[c].clip(lower=0))
    constant = [c for c in columns if x[c].std() == 0]
    if constant:
        raise AnalysisError(f"Feature {', '.join(map(str, constant))} is the same for every customer, so it cannot separate "
                            f"segments: leave it out of segments.features.")
    return StandardScaler().fit_transform(x.to_numpy())


# --------------------------------------------------------------------------- clustering
@dataclass(frozen=True)
class Segmentation(Result):
    """A clustering of customers into segments S1..Sk (S1 spends the most per customer).

    ``labels``: segment per customer. ``criteria``: per k tried, the mean silhouette and the
    Calinski-Harabasz index (k-means, Ward) or the BIC (mixture). ``columns``: features used.
    """

    method: str
    k: int
    labels: pd.Series
    criteria: pd.DataFrame
    columns: list[str]
    random_state: int

    def summary(self) -> pd.DataFrame:
        """Customers per segment, with the criteria of the k chosen."""
        sizes = self.labels.value_counts().sort_index().rename("customers").rename_axis("segment").to_frame()
        return sizes.assign(share=sizes["customers"] / sizes["customers"].sum())

    def sentences(self, language: str = "en") -> list[str]:
        k_range = (int(self.criteria.index.min()), int(self.criteria.index.max()))
        return [count_sentence(self, k_range, len(self.criteria) == 1, language)]

    def metrics(self) -> dict:
        return {"segments_k": self.k, "segments_method": self.method}


def _cluster(x: np.ndarray, method: str, k: int, random_state: int) -> tuple[np.ndarray, float | None]:
    """Labels 0..k-1 for the rows of ``x`` (and the BIC for a mixture)."""
    if method == "kmeans":
        return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(x), None
    if method == "gmm":
        gm = GaussianMixture(n_components=k, covariance_type="full", n_init=3, random_state=random_state).fit(x)
        return gm.predict(x), gm.bic(x)
    if len(x) <= WARD_ROWS:
        return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x), None
    rows = np.random.default_rng(random_state).choice(len(x), WARD_ROWS, replace=False)
    sampled = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x[rows])
    centres = np.vstack([x[rows][sampled == j].mean(axis=0) for j in range(k)])
    return ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1), None


def segment(features: pd.DataFrame, columns: list[str] | None = None, method: str = "kmeans", k: int | None = None,
            k_range: tuple[int, int] = (3, 8), random_state: int = 0) -> Segmentation:
    """Cluster customers on their behaviour features.

    Parameters
    ----------
    features : DataFrame
        :func:`behaviour_features` (or any numeric features indexed by customer).
    columns : list of str, optional
        Features to cluster on; by default every behaviour and category-mix column.
    method : {"kmeans", "ward", "gmm"}
        k-means, Ward's hierarchical clustering, or a Gaussian mixture with full covariances.
    k : int, optional
        Number of segments; by default the k in ``k_range`` with the best mean silhouette
        (k-means, Ward) or the lowest BIC (mixture).

    Returns
    -------
    Segmentation
    """
    if method not in METHODS:
        raise AnalysisError(f"segments.method is {method!r}; use one of {', '.join(METHODS)}.")
    columns = clustered_columns(features, columns)
    x = feature_matrix(features, columns)
    candidates = [k] if k else list(range(k_range[0], min(k_range[1], len(x) - 1) + 1))
    if not candidates or min(candidates) < 2 or len(x) < 3 * max(candidates):
        raise AnalysisError(f"{len(x):,} customers are too few for {max(candidates or [k or 0])} segments: segmenting needs at "
                            f"least 3 customers per segment and at least 2 segments; lower segments.k or segments.k_range.")
    rng = np.random.default_rng(random_state)
    sample = rng.choice(len(x), min(len(x), SILHOUETTE_ROWS), replace=False)
    fits, rows = {}, []
    for kk in candidates:
        fits[kk], bic = _cluster(x, method, kk, random_state)
        rows.append({"k": kk, "silhouette": silhouette_score(x[sample], fits[kk][sample]) if len(set(fits[kk][sample])) > 1 else np.nan,
                     "calinski_harabasz": calinski_harabasz_score(x, fits[kk]), "bic": bic})
    criteria = pd.DataFrame(rows).set_index("k").dropna(axis=1, how="all")
    best = k or int(criteria["bic"].idxmin() if method == "gmm" else criteria["silhouette"].idxmax())
    labels = _named(pd.Series(fits[best], index=features.index), features)
    return Segmentation(method, best, labels, criteria, columns, random_state)


class CustomerSegments(BaseEstimator):
    """:func:`segment` as a scikit-learn estimator: ``__init__`` stores the settings, :meth:`fit`
    validates them and learns ``labels_``, ``k_``, ``criteria_`` (per k tried), ``columns_`` and
    ``result_`` (the :class:`Segmentation`)."""

    def __init__(self, columns: list[str] | None = None, method: str = "kmeans", k: int | None = None,
                 k_range: tuple[int, int] = (3, 8), random_state: int = 0):
        self.columns = columns
        self.method = method
        self.k = k
        self.k_range = k_range
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, y=None) -> "CustomerSegments":
        """Cluster the customers of ``features`` (:func:`behaviour_features`)."""
        self.result_ = segment(features, self.columns, self.method, self.k, tuple(self.k_range), self.random_state)
        self.labels_, self.k_ = self.result_.labels, self.result_.k
        self.criteria_, self.columns_ = self.result_.criteria, self.result_.columns
        return self

    def fit_predict(self, features: pd.DataFrame, y=None) -> pd.Series:
        return self.fit(features).labels_


def _named(raw: pd.Series, features: pd.DataFrame) -> pd.Series:
    """Segments named S1..Sk by revenue per customer, highest first (a stable order across runs)."""
    spend = features["revenue"] if "revenue" in features else features.iloc[:, 0]
    order = spend.groupby(raw).mean().sort_values(ascending=False).index
    return raw.map({c: f"S{i + 1}" for i, c in enumerate(order)}).rename("customer_segment")


# --------------------------------------------------------------------------- stability
def jaccard_stability(features: pd.DataFrame, seg: Segmentation, n_boot: int = 30, random_state: int = 0) -> pd.Series:
    """Each segment's bootstrap stability: Hennig's mean Jaccard similarity (fpc ``clusterboot``).

    ``n_boot`` times, the customers are drawn with replacement and clustered again with the same
    method and k; each segment's Jaccard similarity with its best-matching new cluster, among the
    customers drawn, is averaged. At least 0.75: stable; 0.6 to 0.75: a pattern whose members are
    doubtful; below 0.6: not to be trusted. Above :data:`STABILITY_ROWS` customers, the resamples
    are drawn from that many customers picked at random (30 k-means fits of a million customers
    would take minutes; the Jaccard of a segment of thousands barely moves).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> blobs = pd.DataFrame({"a": np.r_[rng.normal(0, 1, 60), rng.normal(9, 1, 60)], "b": rng.normal(0, 1, 120)})
    >>> seg = segment(blobs, ["a", "b"], k=2)
    >>> jaccard_stability(blobs, seg, n_boot=10).round(2).tolist()
    [1.0, 1.0]
    """
    x = feature_matrix(features, seg.columns)
    labels = seg.labels.reindex(features.index).to_numpy()
    names = sorted(seg.labels.unique(), key=lambda s: int(s[1:]))
    rng = np.random.default_rng(random_state)
    if len(x) > STABILITY_ROWS:
        kept = rng.choice(len(x), STABILITY_ROWS, replace=False)
        x, labels = x[kept], labels[kept]
    totals = dict.fromkeys(names, 0.0)
    counts = dict.fromkeys(names, 0)
    for b in range(n_boot):
        drawn = rng.integers(0, len(x), len(x))
        new, _ = _cluster(x[drawn], seg.method, seg.k, random_state + b + 1)
        members = pd.DataFrame({"row": drawn, "new": new}).drop_duplicates("row")  # a customer drawn twice counts once
        old = labels[members["row"].to_numpy()]
        for name in names:
            mine = old == name
            if not mine.any():
                continue
            overlap = pd.Series(members["new"].to_numpy()[mine]).value_counts()
            sizes = members["new"].value_counts()
            totals[name] += float((overlap / (mine.sum() + sizes[overlap.index] - overlap)).max())
            counts[name] += 1
    return pd.Series({n: totals[n] / counts[n] if counts[n] else np.nan for n in names}, name="stability").rename_axis("customer_segment")


def stability_level(jaccard: float) -> str:
    """Hennig's reading of a mean Jaccard: "stable", "pattern" or "unstable"."""
    return "stable" if jaccard >= STABLE else "pattern" if jaccard >= PATTERN else "unstable"


# --------------------------------------------------------------------------- profiles
def profile(features: pd.DataFrame, labels: pd.Series, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per segment: customers, their share, revenue and its share, the mean of every feature, and
    the most common size class, industry and region among its customers."""
    group = labels.reindex(features.index)
    out = pd.DataFrame({"customers": group.value_counts()})
    out["customer_share"] = out["customers"] / out["customers"].sum()
    if "revenue" in features:
        out["revenue"] = features["revenue"].groupby(group).sum()
        out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    means = features.drop(columns="revenue", errors="ignore").groupby(group).mean()
    out = out.join(means)
    if customers is not None:
        info = customers.set_index("customer_id").reindex(features.index)
        for col in ("size_class", "industry", "region"):
            if col in info:
                out[f"main_{col}"] = info[col].groupby(group).agg(lambda s: s.value_counts().index[0] if s.notna().any() else pd.NA)
    out = out.loc[sorted(out.index, key=lambda s: int(str(s)[1:]))]
    out.index.name = "customer_segment"
    return out


def z_means(features: pd.DataFrame, labels: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Each segment's mean of every clustered feature, in standard deviations from the average
    customer (on the clustered scale): the "snake plot" numbers."""
    z = pd.DataFrame(feature_matrix(features, columns), index=features.index, columns=columns)
    means = z.groupby(labels.reindex(features.index)).mean()
    means = means.loc[sorted(means.index, key=lambda s: int(str(s)[1:]))]
    means.index.name, means.columns.name = "customer_segment", "feature"
    return means


def distinguishing(z: pd.DataFrame, top: int = 2) -> pd.DataFrame:
    """What sets each segment apart: its ``top`` features furthest from the average customer in
    :func:`z_means` (standard deviations), with the sign."""
    rows = [{"customer_segment": name, "feature": feature, "z": float(row[feature])}
            for name, row in z.iterrows() for feature in row.abs().sort_values(ascending=False).index[:top]]
    return pd.DataFrame(rows).set_index(["customer_segment", "feature"])


def write_segments(labels: pd.Series, folder) -> Path:
    """This run's segment per customer (``segments.csv``), to load into the CRM."""
    return atomic_write(Path(folder) / "segments.csv", csv_bytes(labels.rename_axis("customer_id"), encoding="utf-8"))


# --------------------------------------------------------------------------- sentences
def feature_label(feature: str, language: str = "en") -> str:
    """A feature as a sentence names it: "orders a month", "share of spend on 设备"."""
    if str(feature).startswith(MIX_PREFIX):
        return t("sg_mix", language, category=str(feature)[len(MIX_PREFIX):])
    return label(feature, language)  # lower case already, with CNY as it is written


def feature_labels(columns, language: str = "en") -> dict[str, str]:
    """Table headers for feature columns (capitalized as headers are)."""
    return {c: _capitalized(feature_label(c, language)) for c in columns}


def count_sentence(seg: Segmentation, k_range: tuple[int, int], set_k: bool, language: str = "en") -> str:
    """How the number of segments was reached."""
    if set_k:
        return t("sg_k_set", language, k=seg.k)
    if seg.method == "gmm":
        return t("sg_k_bic", language, k=seg.k, low=k_range[0], high=k_range[1])
    return t("sg_k_silhouette", language, k=seg.k, low=k_range[0], high=k_range[1],
             score=seg.criteria.loc[seg.k, "silhouette"])


def profile_sentence(prof: pd.DataFrame, names: dict[str, str], language: str = "en") -> str:
    """The segment that brings the most revenue against the one that brings the least."""
    top, bottom = prof["revenue_share"].idxmax(), prof["revenue_share"].idxmin()
    return t("sg_top", language, name=names.get(top, top), share=prof.loc[top, "customer_share"],
             revenue=prof.loc[top, "revenue_share"], small=names.get(bottom, bottom),
             small_share=prof.loc[bottom, "customer_share"], small_revenue=prof.loc[bottom, "revenue_share"])


def apart_sentences(apart: pd.DataFrame, names: dict[str, str], language: str = "en") -> list[str]:
    """One line per segment: the features that set it apart, from :func:`distinguishing`."""
    sep = ", " if language == "en" else "，"
    lines = []
    for segment_name, rows in apart.groupby(level="customer_segment", sort=False):
        traits = [t("sg_trait_high" if z > 0 else "sg_trait_low", language, feature=feature_label(f, language), z=z)
                  for (_, f), z in rows["z"].items()]
        lines.append(t("sg_apart", language, name=names.get(segment_name, segment_name), traits=sep.join(traits)))
    return lines


def stability_sentence(jaccard: pd.Series, n_boot: int, language: str = "en") -> str:
    """How many segments are stable, patterns, or not to be relied on."""
    levels = jaccard.map(stability_level).value_counts()
    return t("sg_stability", language, b=n_boot, k=len(jaccard), stable=int(levels.get("stable", 0)),
             pattern=int(levels.get("pattern", 0)), unstable=int(levels.get("unstable", 0)))
