"""Conjoint analysis: what customers trade off between the attributes of an offer.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_conjoint": [
        "ChoiceModel", "DESIGN_COLUMNS", "RatingConjoint", "SEP", "attribute_levels", "choice_conjoint",
        "confounded_attributes", "effects_coded", "expansion", "importance_of", "importance_sentence", "levels_table",
        "named", "rating_conjoint", "ratings_sentence", "shares_sentence", "simulation", "task_kinds",
        "wtp_sentence",
    ],
    "_clogit": [
        "ClogitFit", "conditional_logit",
    ],
    "_classes": [
        "PreferenceClassModel", "PreferenceClasses", "classes_sentence", "preference_classes",
    ],
    "settings": ["ConjointParams", "ConjointSettings"],
})
