"""The segmentation notebook's settings and the clustering methods it allows
(params/40_customer_segments.yaml, key ``segments``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...config import K_RANGE, Texts, notebook_parameters, number, numbered_keys

#: clustering methods: scikit-learn's KMeans, Ward's AgglomerativeClustering, a full-covariance GaussianMixture
METHODS = ("kmeans", "ward", "gmm")


@dataclass(frozen=True)
class SegmentSettings:
    """Behavioural segmentation (params/40_customer_segments.yaml, key ``segments``)."""

    months: int = field(default=24, metadata=number(2))  # the window of buying behaviour, up to as_of
    features: list[str] = field(default_factory=list)  # behaviour features to cluster on; empty = all of them
    method: Literal[METHODS] = "kmeans"
    k: int | None = field(default=None, metadata=number(2))  # None = chosen in k_range (silhouette; BIC for gmm)
    k_range: list[int] = field(default_factory=lambda: [3, 8], metadata=K_RANGE)
    stability_iterations: int = field(default=30, metadata=number(10))  # bootstrap resamples for the Jaccard stability
    random_state: int = 0
    segment_names: dict[str, str | Texts] = field(  # named after a first run
        default_factory=dict, metadata=numbered_keys("S", "segment", "the profile table"))


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = SegmentsParams = notebook_parameters("40_customer_segments", "segments", SegmentSettings, "SegmentsParams")
