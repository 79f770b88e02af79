"""The cleaning's ledger: every row quarantined or changed, with its reason, and the gate that stops
the cleaning when one reason takes too large a share of a table (ids that differ in case, a wrong column).
"""
from __future__ import annotations


import pandas as pd

from ...errors import CleaningError
from ..normalize import _text


QUARANTINE_COLUMNS = ["table", "key", "row", "column", "value", "reason", "scope"]


CHANGE_COLUMNS = ["table", "key", "column", "before", "after", "reason"]


class _Ledger:
    """Collects quarantined rows and values, and every changed value, as the cleaning goes."""

    def __init__(self):
        self.quarantine: list[pd.DataFrame] = []
        self.changes: list[pd.DataFrame] = []
        self.skipped: list[dict] = []
        self.unmatched_values: list[pd.DataFrame] = []

    def unmatched(self, table: str, column: str, written: pd.Series, matched: pd.Series) -> None:
        """Record the spellings of ``table.column`` that matched no reference entry, with how many
        rows hold each (they stay as written; the report lists them for params synonyms)."""
        text = _text(written)
        miss = text[text.notna() & (text != "") & matched.isna()]
        if len(miss):
            counts = miss.value_counts()
            self.unmatched_values.append(pd.DataFrame({"table": table, "column": column, "spelling": counts.index.astype("string"),
                                                       "rows": counts.to_numpy()}))

    def skip(self, table: str, column: str, within: str) -> None:
        """Record that ``table.column`` was not tested for unit mistakes and outliers: the column
        ``within`` that its values are compared within is not in the table."""
        self.skipped.append({"table": table, "column": column, "within": within})

    def quarantine_rows(self, table: str, df: pd.DataFrame, mask, key: str, reason: str, column: str | None = None) -> pd.DataFrame:
        """Move ``df[mask]`` to the quarantine; return the rest."""
        mask = pd.Series(mask, index=df.index).fillna(False).astype(bool)
        if mask.any():
            self._record_rows(table, df[mask], key, reason, column)
        return df[~mask]

    def _record_rows(self, table: str, hit: pd.DataFrame, key: str, reason: str, column: str | None) -> None:
        value = hit[column].astype("string") if column else pd.Series(pd.NA, index=hit.index, dtype="string")
        self.quarantine.append(pd.DataFrame({"table": table, "key": hit[key].astype("string"), "row": hit["_row"],
                                             "column": column, "value": value, "reason": reason, "scope": "row"}))

    def quarantine_in_order(self, table: str, df: pd.DataFrame, rules) -> pd.DataFrame:
        """Apply ``rules`` in order (see :meth:`sieve`); return the rows left, filtered once."""
        alive = self.sieve(table, df, rules)
        return df if alive.all() else df[alive]

    def sieve(self, table: str, df: pd.DataFrame, rules, alive: pd.Series | None = None) -> pd.Series:
        """Apply ``rules`` in order, each ``(mask_of(df, alive), key, reason, column)``, to the rows
        no earlier rule took (and that are in ``alive``, when given); return which rows are left.

        Same result as :meth:`quarantine_rows` rule by rule, whose filtering copied all 38.5M
        orders of the 1M-company sample at every rule. ``alive`` (a boolean Series) lets a rule
        that looks across rows, such as duplicates, see only the rows still in.
        """
        alive = pd.Series(True, index=df.index) if alive is None else alive.copy()
        for mask_of, key, reason, column in rules:
            mask = pd.Series(mask_of(df, alive), index=df.index).fillna(False).astype(bool) & alive
            if mask.any():
                self._record_rows(table, df[mask], key, reason, column)
                alive &= ~mask
        return alive

    def quarantine_values(self, table: str, df: pd.DataFrame, mask, key: str, column: str, reason: str) -> None:
        """Record ``df.loc[mask, column]`` as quarantined values (the caller sets them missing)."""
        mask = pd.Series(mask, index=df.index).fillna(False).astype(bool)
        if mask.any():
            hit = df[mask]
            self.quarantine.append(pd.DataFrame({"table": table, "key": hit[key].astype("string"), "row": hit["_row"],
                                                 "column": column, "value": hit[column].astype("string"),
                                                 "reason": reason, "scope": "value"}))

    def change(self, table: str, df: pd.DataFrame, key: str, column: str, after: pd.Series, reason: str) -> None:
        """Record where ``after`` differs from ``df[column]`` (missing on one side counts).

        Compared in their own types; only the changed values become text. Comparing everything as
        text took 31 s and several GB for the 38.5M order amounts of the 1M-company sample.
        """
        before = df[column]
        try:
            equal = before == after
        except TypeError:  # values that do not compare (mixed types): as text
            equal = before.astype("string") == after.astype("string")
        differ = ~(equal.fillna(False).astype(bool) | (before.isna() & after.isna()))
        if differ.any():
            self.changes.append(pd.DataFrame({"table": table, "key": df.loc[differ, key].astype("string"), "column": column,
                                              "before": before[differ].astype("string"),
                                              "after": after[differ].astype("string"), "reason": reason}))

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        q = pd.concat(self.quarantine, ignore_index=True) if self.quarantine else pd.DataFrame(columns=QUARANTINE_COLUMNS)
        c = pd.concat(self.changes, ignore_index=True) if self.changes else pd.DataFrame(columns=CHANGE_COLUMNS)
        return q.astype({"row": "int64", "column": "string", "value": "string"}), c.astype("string")

    def unmatched_frame(self) -> pd.DataFrame:
        if not self.unmatched_values:
            return pd.DataFrame({"table": [], "column": [], "spelling": [], "rows": []}).astype(
                {"table": "string", "column": "string", "spelling": "string", "rows": "int64"})
        return pd.concat(self.unmatched_values, ignore_index=True).astype({"table": "string", "column": "string", "spelling": "string"})

    def skipped_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.skipped, columns=["table", "column", "within"], dtype="string")


EXACT_DUPLICATE = "exact_duplicate_row"  # a row repeated exactly: dropped, counted apart in the reconciliation


GATE_MIN_ROWS = 10  # fewer rows than this are a handful of bad records, whatever their share


#: reasons a large share of rows may rightly have: not a sign that the data was read wrong
_GATE_EXEMPT = frozenset({"order_not_revenue", EXACT_DUPLICATE})


_GATE_HINTS = {
    "missing_name": "the column mapped to name is blank in these rows: map the right column in `columns:` "
                    "(params/columns_zh.yaml lists the usual headers)",
    "customer_quarantined": "their customers were quarantined themselves (see the customers' reasons above)",
    "future_order_date": "dates may be read in the wrong order (day and month): write them as 2024-01-05 in the export",
    "negative_amount": "the export may write refunds or credit notes as orders: filter them in a source query",
}


def _gate_hint(reason: str, table: str, tables: dict[str, pd.DataFrame]) -> str:
    if reason == "unknown_customer" and "customers" in tables:
        from ..values import fold_id

        known = set(fold_id(tables["customers"]["customer_id"]).dropna())
        ids = tables[table]["customer_id"].dropna()
        unknown = ids[~ids.isin(set(tables["customers"]["customer_id"].dropna()))]
        folded = fold_id(unknown).isin(known).mean() if len(unknown) else 0.0
        if folded > 0.5:
            return (f"{folded:.0%} of them name a customer whose id differs only in case or spaces (c0001 for C0001): "
                    "set source.fold_id_case: true in params")
        return ("the customers table lacks these customers: export both tables from the same system and date, "
                "or map the orders' customer column to the right header")
    if reason in _GATE_HINTS:
        return _GATE_HINTS[reason]
    if reason.startswith("missing_"):
        column = reason.removeprefix("missing_")
        return f"the column mapped to {column} is empty in these rows: map the right column in `columns:`"
    return "check the column mapping in `columns:` and the export"


def _quarantine_gate(rows: pd.DataFrame, recon: pd.DataFrame, tables: dict[str, pd.DataFrame], settings) -> None:
    """Stop when one reason takes more than ``max_quarantine_share`` of a table's rows: such a
    share says the data was read or exported wrong, not that it is dirty, and an analysis of the
    rest would be an analysis of the wrong thing."""
    limit = settings.max_quarantine_share
    counts = rows[~rows["reason"].isin(_GATE_EXEMPT)].groupby(["table", "reason"]).size()
    problems = []
    for (table, reason), n in counts.items():
        total = int(recon.loc[table, "input"])
        if n >= GATE_MIN_ROWS and n / total > limit:
            problems.append(f"{n / total:.0%} of the {table} rows ({n:,} of {total:,}) are quarantined as {reason}: "
                            f"{_gate_hint(reason, table, tables)}")
    if problems:
        raise CleaningError("The cleaning stopped: " + "; ".join(problems) + f". (cleaning.max_quarantine_share is "
                            f"{limit:.0%}; raise it in params/00_data_quality.yaml to analyse what is left anyway.)")
