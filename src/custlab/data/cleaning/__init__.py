"""Cleaning the customer database, with nothing lost.

Profiling (sizes, missing values, impossible values, credit-code check characters), normalization
for matching, duplicate detection (:func:`find_duplicates`), and :func:`clean`, which merges
duplicates, applies the missing-value policy, corrects certain unit mistakes, quarantines what
cannot be trusted, standardizes industry, place and size, and accounts for every input row.
:func:`load_clean` caches the result per input and cleaning settings; every notebook reads it.

The rules live by table: ``customers``, ``orders`` (and interactions), ``rules`` (shared by both),
``ledger`` (what was quarantined or changed, and the quarantine gate) and ``findings`` (what the
report says); ``settings`` holds the data-quality notebook's parameters. The cache key of the clean
tables includes a digest of these files (:func:`custlab.data.cache.rules_digest`), so a changed rule
never serves stale tables. Names load on first use: reading the settings imports no pandas.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_clean": ["CleanResult", "analysis_date", "clean", "load_clean", "prepare_clean"],
    # the duplicate matching (custlab.data.matching) as the customers' cleaning uses it
    "customers": ["credit_code_check", "find_duplicates", "missing_shares", "normalize_company", "normalize_credit_code",
                  "normalize_email", "size_class", "standardize_industry"],
    "findings": ["REVENUE_PER_HEAD", "absent_note", "credit_sentence", "findings", "merge_decisions", "missing_sentence",
                 "revenue_per_head", "unmatched_table", "write_clean", "write_followup_files"],
    "orders": ["to_survivors"],
    "rules": ["modified_z", "unit_mistakes"],
    "settings": ["CleaningSettings", "DataQualityParams", "DuplicateSettings", "INTERACTION_KINDS", "ORDER_STATUSES",
                 "OutlierSettings"],
})
