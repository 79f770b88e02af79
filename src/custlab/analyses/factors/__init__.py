"""Factor analysis and PCA of survey items: adequacy, the number of factors, factor analysis with
rotations, reliability and principal components.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_factors": [
        "Adequacy", "Components", "FactorSolution", "ITEM_PATTERN", "ParallelAnalysis", "Reliability",
        "adequacy", "adequacy_sentence", "components_sentence", "count_sentence", "cronbach_alpha", "dependent_items",
        "factor_analysis", "loadings_sentence", "parallel_analysis", "principal_components", "reliability_sentence", "scale_reliability",
        "scale_scores", "survey_items",
    ],
    "settings": ["FactorSettings", "METHODS", "OBLIQUE", "ORTHOGONAL", "ROTATIONS", "SurveyFactorsParams"],
})
