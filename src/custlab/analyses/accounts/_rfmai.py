"""RFMAI: customer classes from recency, frequency, monetary value, area and industry (k-means,
k by the best mean silhouette), as a function and as a scikit-learn estimator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.preprocessing import StandardScaler

from ...errors import AnalysisError
from ...i18n import t
from ...report import Result


SELECTION_ROWS = 50_000  # RFMAI: customers the candidate k are fitted to, at most


@dataclass(frozen=True)
class RFMAIResult(Result):
    """Customer classes from R, F, M, area and industry.

    ``labels``: class per customer (C1 = highest mean monetary). ``profile``: per class its size,
    mean R/F/M, revenue share, main region and industry. ``silhouette``: mean silhouette per k tried.
    """

    labels: pd.Series
    profile: pd.DataFrame
    silhouette: pd.Series
    k: int

    def summary(self) -> pd.DataFrame:
        return self.profile

    def sentences(self, language: str = "en") -> list[str]:
        c1 = self.profile.loc["C1"]
        return [t("ka_rfmai", language, k=self.k, share=c1["customer_share"], revenue=c1["revenue_share"])]

    def metrics(self) -> dict:
        return {"rfmai_k": self.k}


def rfmai(summary: pd.DataFrame, customers: pd.DataFrame, k: int | None = None, k_range: tuple[int, int] = (3, 8),
          categorical_weight: float = 1.0, random_state: int = 0) -> RFMAIResult:
    """Cluster customers on standardized R, F, M (log scale) plus one-hot region and industry.

    Parameters
    ----------
    summary : DataFrame
        :func:`custlab.analyses.value.rfm` output indexed by customer_id (recency, frequency, monetary).
    customers : DataFrame
        Clean customers with ``customer_id``, ``region`` and ``industry``.
    k : int, optional
        Number of classes; by default the k in ``k_range`` with the best mean silhouette (on 5,000
        customers; with more than :data:`SELECTION_ROWS` customers the candidate k are fitted to
        that many, drawn at random, and only the chosen k to all).
    categorical_weight : float
        Weight of the area and industry block relative to R, F, M (each one-hot block is scaled
        by 1/sqrt(levels) so that a many-level attribute does not dominate the distances).
    """
    # k-means depends on row order, and value.rfm's order is not fixed: without sorting, two runs
    # on the same data put 0.4% of the sample's customers in different classes
    summary = summary.sort_index()
    info = customers.set_index("customer_id").reindex(summary.index)
    x = rfmai_features(summary, info, categorical_weight)
    if len(x) < 10:
        raise AnalysisError(f"RFMAI needs at least 10 customers with orders; there are {len(x)}.")
    candidates = [k] if k else list(range(k_range[0], min(k_range[1], len(x) - 1) + 1))
    # k is chosen on fits to at most SELECTION_ROWS customers, and only the chosen k is fitted to
    # all of them: with every k fitted to a million customers this took 62 s. Up to that size
    # every fit uses all customers, as before.
    rng = np.random.default_rng(random_state)
    if len(x) > SELECTION_ROWS and len(candidates) > 1:
        chosen_rows = rng.choice(len(x), SELECTION_ROWS, replace=False)
        sample = chosen_rows[:5000]
    else:
        chosen_rows = None
        sample = rng.choice(len(x), min(len(x), 5000), replace=False)
    # the silhouettes of every candidate k are over the same customers: their distances are computed
    # once (5,000 x 5,000, 0.2 GB) instead of once per k, which took 0.14 s of each k's 0.21 s
    distances = pairwise_distances(x[sample])
    fits, sil = {}, {}
    for kk in candidates:
        fits[kk] = KMeans(n_clusters=kk, n_init=10, random_state=random_state).fit(x if chosen_rows is None else x[chosen_rows])
        sil[kk] = silhouette_score(distances, fits[kk].predict(x[sample]), metric="precomputed") if kk > 1 else np.nan
    best = k or max(sil, key=sil.get)
    final = fits[best] if chosen_rows is None else KMeans(n_clusters=best, n_init=10, random_state=random_state).fit(x)
    raw = pd.Series(final.labels_, index=summary.index)
    order = summary["monetary"].groupby(raw).mean().sort_values(ascending=False).index
    names = {c: f"C{i + 1}" for i, c in enumerate(order)}
    labels = raw.map(names).rename("rfmai_class")
    prof = summary.groupby(labels).agg(customers=("monetary", "size"), recency=("recency", "mean"),
                                       frequency=("frequency", "mean"), monetary=("monetary", "mean"),
                                       revenue=("monetary", "sum"))
    prof["customer_share"] = prof["customers"] / prof["customers"].sum()
    prof["revenue_share"] = prof["revenue"] / prof["revenue"].sum()
    for col in ("region", "industry"):
        if col in info:
            prof[f"main_{col}"] = info[col].groupby(labels).agg(lambda s: s.value_counts().index[0] if s.notna().any() else pd.NA)
    prof.index.name = "rfmai_class"
    return RFMAIResult(labels, prof.sort_index(), pd.Series(sil, name="silhouette").rename_axis("k"), best)


def rfmai_features(summary: pd.DataFrame, info: pd.DataFrame, categorical_weight: float = 1.0) -> np.ndarray:
    """The matrix :func:`rfmai` clusters, one row per row of ``summary``: standardized log R, F, M,
    then one-hot region and industry (from ``info``, aligned to ``summary``), each block scaled by
    ``categorical_weight`` / sqrt(levels)."""
    numeric = np.log1p(summary[["recency", "frequency", "monetary"]].clip(lower=0).astype(float))
    blocks = [StandardScaler().fit_transform(numeric)]
    for col in ("region", "industry"):
        if col in info:
            dummies = pd.get_dummies(info[col].astype("string").fillna("?"), dtype=float)
            blocks.append(dummies.to_numpy() * categorical_weight / np.sqrt(max(dummies.shape[1], 1)))
    return np.hstack(blocks)


class RFMAIClasses(BaseEstimator):
    """:func:`rfmai` as a scikit-learn estimator: ``__init__`` stores, :meth:`fit` validates and
    learns ``labels_``, ``k_``, ``silhouette_`` (per k tried), ``profile_`` and ``result_``."""

    def __init__(self, k: int | None = None, k_range: tuple[int, int] = (3, 8), categorical_weight: float = 1.0,
                 random_state: int = 0):
        self.k = k
        self.k_range = k_range
        self.categorical_weight = categorical_weight
        self.random_state = random_state

    def fit(self, rfm: pd.DataFrame, customers: pd.DataFrame) -> "RFMAIClasses":
        """Cluster the customers of ``rfm`` (:func:`custlab.analyses.value.rfm`) with their ``customers`` rows."""
        self.result_ = rfmai(rfm, customers, k=self.k, k_range=tuple(self.k_range), categorical_weight=self.categorical_weight,
                             random_state=self.random_state)
        self.labels_, self.k_ = self.result_.labels, self.result_.k
        self.silhouette_, self.profile_ = self.result_.silhouette, self.result_.profile
        return self
