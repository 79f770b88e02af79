"""Key-account screening beyond RFM: RFMAI classes, the key-account index, tags, cross analysis,
the strategy table and tier migration.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_accounts": [
        "CRITERIA_DIRECTION", "KeyAccountIndex", "Screening", "TAG_LEVELS", "TIERS", "bgnbd_sentence",
        "check_as_of", "churn_sentence", "class_strategy", "customer_tags", "entropy_weights", "headlines",
        "key_account_criteria", "key_account_index", "migration_since_last_run", "screen", "strategy_table", "tag_summary",
        "tier_migration", "tier_profile",
    ],
    "_cross": [
        "CrossTable", "correspondence_map", "cross_by_column", "cross_left_out", "cross_table",
    ],
    "_rfmai": [
        "RFMAIClasses", "RFMAIResult", "SELECTION_ROWS", "rfmai", "rfmai_features",
    ],
    "settings": ["INDEX_CRITERIA", "KeyAccountSettings", "KeyAccountsParams", "STRATEGY_GROUPS", "TagSettings"],
})
