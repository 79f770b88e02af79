"""Prospect scoring and cross-sell: which companies that are not customers yet look like key
accounts, and what each customer is likely to buy next.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_prospects": [
        "CATEGORICAL", "NUMERIC", "PropensityModel", "PropensityScorer", "category_rules", "firmographic_columns",
        "firmographics", "key_accounts", "lift_table", "model_sentence", "next_category", "next_sentence",
        "propensity_model", "prospects_sentence", "rules_sentence", "top_prospects", "with_size_class", "write_scores",
    ],
    "settings": ["ProspectSettings", "ProspectsParams"],
})
