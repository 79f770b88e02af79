"""The data wing: from a source to clean canonical tables.

``sources`` reads files and databases into canonical tables (column mapping, numbers, dates);
``cache`` keeps the clean tables keyed by their inputs' digests and the cleaning rules' version;
``cleaning`` applies the rules (duplicates, impossible values, GB/T 4754 and GB/T 2260, the
ledger); ``matching`` finds duplicate companies; ``reference`` holds the national code tables;
``privacy`` masks personal data; ``sample`` and ``sample_export`` make the demo database.

Modules are imported by name (``from custlab.data import cleaning``): importing this package
loads none of them, so the runner's command process stays free of pandas.
"""
__all__ = ["cache", "cleaning", "matching", "privacy", "reference", "sample", "sample_export", "sources"]
