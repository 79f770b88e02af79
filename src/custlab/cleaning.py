"""Cleaning the customer database.

This first part profiles the raw tables (sizes, missing values, rule-based impossible values,
credit-code check characters) for the data-quality report. Duplicate detection and merging,
standardization, quarantine and reconciliation come with the rest of issue 4.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import reference


def table_sizes(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows and columns per table."""
    out = pd.DataFrame({"rows": {k: len(v) for k, v in tables.items()},
                        "columns": {k: v.shape[1] for k, v in tables.items()}})
    out.index.name = "table"
    return out


def missing_shares(df: pd.DataFrame) -> pd.Series:
    """Share of missing (or blank) values per column, largest first."""
    blank = df.apply(lambda s: s.isna() | (s.astype("string").str.strip() == "").fillna(False))
    out = blank.mean().sort_values(ascending=False)
    out.index.name = "column"
    return out.rename("missing_share")


@dataclass(frozen=True)
class ImpossibleValues:
    """Rows that break a rule, per rule: ``flags`` (table, row key, rule, value) and ``counts``."""

    flags: pd.DataFrame

    @property
    def counts(self) -> pd.DataFrame:
        out = self.flags.groupby(["table", "rule"]).size().to_frame("rows")
        return out.reset_index(level=0).set_index("table", append=True).swaplevel().sort_index() \
            if len(out) else pd.DataFrame({"rows": []}, index=pd.MultiIndex.from_tuples([], names=["table", "rule"]))

    def totals(self) -> dict[str, int]:
        """Rows per ``"table|rule"`` (for recorded metrics)."""
        return {f"{t}|{r}": int(n) for (t, r), n in self.counts["rows"].items()}

    def count(self, rule: str) -> int:
        return int((self.flags["rule"] == rule).sum())


def impossible_values(tables: dict[str, pd.DataFrame], as_of, tolerance_days: int = 0) -> ImpossibleValues:
    """Flag values that cannot be true: negative amounts, orders after ``as_of``, zero employees,
    registration dates after ``as_of``."""
    as_of = pd.Timestamp(as_of) + pd.Timedelta(days=tolerance_days)
    flags = []

    def add(table, key, mask, rule, column):
        df = tables[table]
        flags.append(pd.DataFrame({"table": table, "key": df.loc[mask, key].astype(str), "rule": rule,
                                   "column": column, "value": df.loc[mask, column].astype(str)}))

    if "orders" in tables:
        o = tables["orders"]
        add("orders", "order_id", (o["amount"] < 0).fillna(False), "negative_amount", "amount")
        add("orders", "order_id", (o["order_date"] > as_of).fillna(False), "future_order_date", "order_date")
    if "customers" in tables:
        c = tables["customers"]
        if "employees" in c:
            add("customers", "customer_id", (c["employees"] <= 0).fillna(False), "zero_employees", "employees")
        if "registered_date" in c:
            add("customers", "customer_id", (c["registered_date"] > as_of).fillna(False), "future_registered_date", "registered_date")
    return ImpossibleValues(pd.concat(flags, ignore_index=True) if flags else
                            pd.DataFrame(columns=["table", "key", "rule", "column", "value"]))


def credit_code_check(customers: pd.DataFrame) -> pd.Series:
    """How many credit codes are present, valid and invalid (GB 32100-2015 check character)."""
    codes = customers["credit_code"].dropna().astype(str).str.strip().str.upper()
    codes = codes[codes != ""]
    valid = codes.map(reference.is_valid_credit_code)
    return pd.Series({"present": int(len(codes)), "valid": int(valid.sum()), "invalid": int((~valid).sum()),
                      "missing": int(len(customers) - len(codes))}, name="credit_codes")
