"""Customer segmentation on buying behaviour: features, clustering, choosing k, stability, profiles.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_segments": [
        "BEHAVIOUR", "CustomerSegments", "MIX_PREFIX", "PATTERN", "RATE_FEATURES", "SILHOUETTE_ROWS",
        "STABILITY_ROWS", "STABLE", "Segmentation", "WARD_ROWS", "apart_sentences", "behaviour_features",
        "clustered_columns", "count_sentence", "distinguishing", "feature_label", "feature_labels", "feature_matrix",
        "jaccard_stability", "profile", "profile_sentence", "segment", "stability_level", "stability_sentence",
        "write_segments", "z_means",
    ],
    "settings": ["METHODS", "SegmentSettings", "SegmentsParams"],
})
