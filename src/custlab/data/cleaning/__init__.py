"""Cleaning the customer database, with nothing lost.

Profiling (sizes, missing values, impossible values, credit-code check characters), normalization
for matching, duplicate detection (:func:`find_duplicates`), and :func:`clean`, which merges
duplicates, applies the missing-value policy, corrects certain unit mistakes, quarantines what
cannot be trusted, standardizes industry, place and size, and accounts for every input row.
:func:`load_clean` caches the result per input and cleaning settings; every notebook reads it.

The rules live by table: ``customers``, ``orders`` (and interactions), ``rules`` (shared by both),
``ledger`` (what was quarantined or changed, and the quarantine gate) and ``findings`` (what the
report says). The cache key of the clean tables includes a digest of these files
(:func:`custlab.data.cache.rules_digest`), so a changed rule never serves stale tables.
"""
from ..matching import find_duplicates, normalize_company, normalize_credit_code, normalize_email, normalize_phone
from ._clean import CleanResult, analysis_date, clean, load_clean, prepare_clean
from .customers import credit_code_check, missing_shares, size_class, standardize_industry
from .findings import (REVENUE_PER_HEAD, absent_note, credit_sentence, findings, merge_decisions, missing_sentence,
                       revenue_per_head, unmatched_table, write_clean, write_followup_files)
from .orders import to_survivors
from .rules import modified_z, unit_mistakes

__all__ = ["REVENUE_PER_HEAD", "CleanResult", "absent_note", "analysis_date", "clean", "credit_code_check", "credit_sentence",
           "find_duplicates", "findings", "load_clean", "merge_decisions", "missing_sentence", "missing_shares",
           "modified_z", "normalize_company", "normalize_credit_code", "normalize_email", "normalize_phone",
           "prepare_clean", "revenue_per_head", "size_class", "standardize_industry", "to_survivors", "unit_mistakes",
           "unmatched_table", "write_clean", "write_followup_files"]
