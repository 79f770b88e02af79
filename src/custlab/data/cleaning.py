"""Cleaning the customer database, with nothing lost.

Profiling (sizes, missing values, impossible values, credit-code check characters), normalization
for matching, duplicate detection (:func:`find_duplicates`), and :func:`clean`, which merges
duplicates, applies the missing-value policy, corrects certain unit mistakes, quarantines what
cannot be trusted, standardizes industry, place and size, and accounts for every input row.
:func:`load_clean` caches the result per input and cleaning settings; every notebook reads it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from .. import config
from . import reference
from .cache import cached_folder, clean_folder, quality_params  # the cache key, with CLEANING_VERSION: bump it there
from ..errors import AnalysisError, CleaningError
from .sources import exact_repeats
from ..i18n import VALUES, label, t, word
from .matching import (DuplicateResult, branch_parts, company_keys, find_duplicates, normalize_company, normalize_credit_code,  # noqa: F401
                       normalize_email, normalize_phone, normalize_text, normalized, phone_parts, without_extension, _text)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- profile
def missing_shares(df: pd.DataFrame) -> pd.Series:
    """Share of missing (or blank) values per column, largest first."""
    blank = df.apply(lambda s: s.isna() | (s.astype("string").str.strip() == "").fillna(False))
    out = blank.mean().sort_values(ascending=False)
    out.index.name = "column"
    return out.rename("missing_share")


def credit_code_check(customers: pd.DataFrame) -> pd.Series:
    """How many credit codes are present, valid and invalid (GB 32100-2015 check character);
    none are present when the source has no credit_code column."""
    codes = customers.get("credit_code", pd.Series(dtype="string")).dropna().astype(str).str.strip().str.upper()
    codes = codes[codes != ""]
    valid = codes.map(reference.is_valid_credit_code).astype(bool)  # (bool even when there is no code)
    return pd.Series({"present": int(len(codes)), "valid": int(valid.sum()), "invalid": int((~valid).sum()),
                      "missing": int(len(customers) - len(codes))}, name="credit_codes")


# --------------------------------------------------------------------------- standardization
def standardize_industry(values: pd.Series, synonyms: dict[str, str] | None = None) -> pd.DataFrame:
    """Free-text industries to GB/T 4754-2017 (:func:`custlab.data.reference.match_industry`):
    ``industry`` (the section's name, or the text as written where nothing matched),
    ``industry_section`` (A-T), ``industry_division`` (01-97) and ``industry_division_name``."""
    written = _text(values)
    m = reference.match_industry(written, synonyms)
    return pd.DataFrame({"industry": m["section_name"].fillna(written), "industry_section": m["section"],
                         "industry_division": m["division"], "industry_division_name": m["division_name"]},
                        index=values.index).astype("string")


def size_class(employees: pd.Series, revenue: pd.Series, thresholds: dict[str, dict[str, float]],
               unknown: str = "未知") -> pd.Series:
    """Size class from employees and annual revenue: the largest class that either measure reaches;
    ``micro`` below every threshold, ``unknown`` when both are missing.

    Examples
    --------
    >>> size_class(pd.Series([1200, 10, None]), pd.Series([None, 5e8, None]), {"large": {"employees": 1000, "revenue": 4e8}}).tolist()
    ['large', 'large', '未知']
    """
    emp, rev = pd.to_numeric(employees).astype("float64"), pd.to_numeric(revenue).astype("float64")
    out = pd.Series(np.where(emp.isna() & rev.isna(), unknown, "micro"), index=employees.index, dtype="object")
    order = sorted(thresholds, key=lambda k: thresholds[k].get("employees", 0))  # smallest class first
    for name in order:
        t = thresholds[name]
        hit = (emp >= t.get("employees", np.inf)).fillna(False) | (rev >= t.get("revenue", np.inf)).fillna(False)
        out[hit.to_numpy()] = name
    return out.astype("string")


# --------------------------------------------------------------------------- outliers
def modified_z(values: pd.Series, groups: pd.Series | None = None, min_group: int = 20) -> pd.Series:
    """Iglewicz-Hoaglin modified z-score, 0.6745 (x - median) / MAD, within each group.

    Groups with fewer than ``min_group`` values or no spread get a missing score.
    """
    x = pd.to_numeric(values).astype("float64")
    g = groups if groups is not None else pd.Series(0, index=x.index)
    grouped = x.groupby(g, dropna=False)
    med = grouped.transform("median")
    mad = (x - med).abs().groupby(g, dropna=False).transform("median")
    size = grouped.transform("count")
    z = 0.6745 * (x - med) / mad
    return z.where((size >= min_group) & (mad > 0))


def unit_mistakes(values: pd.Series, groups: pd.Series | None, settings) -> tuple[pd.Series, pd.Series]:
    """(factor, outlier): the unit factor that makes an impossible value plausible, and outliers
    that no factor explains. A value is corrected only when it is beyond ``robust_z`` on the log
    scale and multiplying (or dividing) by one factor lands it within ``plausible_z``."""
    logv = np.log10(pd.to_numeric(values).astype("float64").where(lambda v: v > 0))
    z = modified_z(logv, groups, settings.min_group)
    grouped = logv.groupby(groups if groups is not None else pd.Series(0, index=logv.index), dropna=False)
    med = grouped.transform("median")
    scale = (z / (logv - med)).abs()  # 0.6745 / MAD per row
    factor = pd.Series(np.nan, index=values.index)
    for f in settings.unit_factors:
        for direction in (1, -1):
            shifted = (logv + direction * np.log10(f) - med) * scale
            fits = (z * direction < -settings.robust_z) & (shifted.abs() <= settings.plausible_z) & factor.isna()
            factor[fits.fillna(False)] = f ** direction
    outlier = (z.abs() > settings.robust_z).fillna(False) & factor.isna()
    return factor, outlier


# --------------------------------------------------------------------------- clean
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


@dataclass(frozen=True)
class CleanResult:
    """The clean tables and the account of how they came to be.

    ``tables``: clean canonical tables (customers gain industry_written, industry_section,
    industry_division(_name), prefecture, place_code, size_class, credit_code_valid, and for
    branch offices ``branch`` and ``head_office_id``).
    ``merge_log``: one row per merged record: entity, survivor_id, merged_id, rule, score, columns
    the survivor took from its duplicates. ``quarantine``: rows (scope "row") and values (scope
    "value") set aside, with table, key, input row number, column, value and reason.
    ``changes``: every changed value, before and after, with its reason. ``reconciliation``: per
    table, input rows = kept + merged + quarantined. ``followup``: customers whose key fields are missing.
    ``skipped``: values not tested for unit mistakes and outliers (table, column), because the
    column they are compared within (``within``, e.g. product) is not in the source.
    ``duplicate_pairs``: matched pairs of customer ids with score and rule; ``reason`` is set
    (``distinct:credit_code``) where the pair was kept apart because its group would otherwise
    hold two different credit codes (:func:`find_duplicates`).
    ``unmatched``: spellings of industry, province and city that matched no reference entry
    (table, column, spelling, rows); they are kept as written.
    """

    tables: dict[str, pd.DataFrame]
    merge_log: pd.DataFrame
    quarantine: pd.DataFrame
    changes: pd.DataFrame
    reconciliation: pd.DataFrame
    followup: pd.DataFrame
    duplicate_pairs: pd.DataFrame
    skipped: pd.DataFrame
    unmatched: pd.DataFrame
    period: pd.DataFrame

    @property
    def as_of(self) -> pd.Timestamp:
        """The analysis date: the end of the window every notebook analyses (see :func:`analysis_date`)."""
        if len(self.period):
            return pd.Timestamp(self.period["as_of"].iloc[0])
        return pd.Timestamp.today().normalize()

    def window(self, needs: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
        """The clean tables with the orders and interactions dated after :attr:`as_of` left out
        (they stay in :attr:`tables`): what an analysis of the period up to as_of reads.

        ``needs``: the tables the notebook cannot do without; when one has no row left, an AnalysisError
        says why in words (not in the source, every row set aside by the cleaning and for which
        reason, or every row dated after as_of) instead of a KeyError or an empty result later.
        """
        out = dict(self.tables)
        end = self.as_of + pd.Timedelta(days=1)
        for name, column in (("orders", "order_date"), ("interactions", "date")):
            if name in out and column in out[name] and (out[name][column] >= end).any():
                out[name] = out[name][out[name][column] < end].reset_index(drop=True)
        for name in needs:
            if problem := self._none_left(name, out):
                raise AnalysisError(f"This notebook needs the {name}, but {problem}")
        return out

    def _none_left(self, name: str, window: dict[str, pd.DataFrame]) -> str | None:
        """Why table ``name`` has no row in ``window``, or None when it has rows."""
        if name in window and len(window[name]):
            return None
        if name not in self.reconciliation.index:
            return (f"the source holds no {name} table. Name it in source.tables.{name} (custlab validate "
                    f"lists the tables it finds).")
        total = int(self.reconciliation.loc[name, "input"])
        if name in self.tables and len(self.tables[name]):
            later = int(self.period.loc[name, "after_as_of"]) if name in self.period.index else len(self.tables[name])
            return (f"all {later:,} clean {name} are dated after as_of {self.as_of:%Y-%m-%d}. Set as_of in "
                    f"your parameters to a later day, or leave it empty for the day of the latest one.")
        reasons = self.quarantine[(self.quarantine["table"] == name) & (self.quarantine["scope"] == "row")]
        counts = reasons["reason"].value_counts()
        said = ", ".join(f"{reason} ({n:,})" for reason, n in counts.head(3).items()) or "none recorded"
        return (f"the cleaning set all {total:,} of them aside (reasons: {said}). 00_data_quality's report "
                f"lists them in its quarantine; fix the source or the mapping, then run again.")

    def period_sentence(self, language: str = "en") -> str:
        """The period analysed, for the top of every notebook: first order to as_of, and how many
        later rows are outside it."""
        if "orders" not in self.period.index:
            return t("period_none", language, as_of=f"{self.as_of:%Y-%m-%d}")
        row = self.period.loc["orders"]
        text = t(f"period_{row['as_of_rule']}", language, first=f"{row['first']:%Y-%m-%d}", as_of=f"{self.as_of:%Y-%m-%d}")
        if row["after_as_of"]:
            text += " " + t("period_after", language, n=int(row["after_as_of"]), last=f"{row['last']:%Y-%m-%d}")
        return text

    @property
    def balanced(self) -> bool:
        return bool(self.reconciliation["balanced"].all())

    def quarantine_reasons(self) -> pd.DataFrame:
        """Quarantined rows and values per table and reason, most frequent first."""
        out = self.quarantine.groupby(["table", "scope", "reason"]).size().rename("count").reset_index()
        return out.sort_values(["table", "count"], ascending=[True, False]).set_index(["table", "scope", "reason"])

    def change_reasons(self) -> pd.DataFrame:
        """Changed values per table, column and reason."""
        return self.changes.groupby(["table", "column", "reason"]).size().rename("count").to_frame()

    def merged_by_rule(self) -> pd.Series:
        """Merged records by the strongest rule that linked them (exact keys before fuzzy)."""
        strongest = self.merge_log["rule"].str.split(",").str[0]
        return strongest.value_counts().rename("records").rename_axis("rule")

    def summary(self) -> pd.DataFrame:
        return self.reconciliation


def _date_limit(params) -> pd.Timestamp:
    """The last possible date: the day of the run plus the tolerance (a later date has not happened;
    a date after ``as_of`` but before today is real, only outside the analysis window)."""
    return pd.Timestamp.today().normalize() + pd.Timedelta(days=params.cleaning.future_date_tolerance_days)


def analysis_date(params, orders: pd.DataFrame | None) -> tuple[pd.Timestamp, str]:
    """``as_of`` and how it was chosen: the date in params (``fixed``), else the day of the latest
    clean order (``latest_order``), so that a scheduled run moves with the data; today when there
    are no orders."""
    if params.as_of:
        return pd.Timestamp(params.as_of).normalize(), "fixed"
    if orders is not None and len(orders) and orders["order_date"].notna().any():
        return pd.Timestamp(orders["order_date"].max()).normalize(), "latest_order"
    return pd.Timestamp.today().normalize(), "today"


def _period(out: dict[str, pd.DataFrame], as_of: pd.Timestamp, how: str) -> pd.DataFrame:
    """Per dated table: first and last date, as_of, how it was chosen, and the rows after as_of
    (kept in the clean tables, outside the analysis window)."""
    rows = {}
    for name, column in (("orders", "order_date"), ("interactions", "date")):
        if name in out and column in out[name]:
            dates = out[name][column]
            rows[name] = {"first": dates.min(), "last": dates.max(), "as_of": as_of, "as_of_rule": how,
                          "after_as_of": int((dates >= as_of + pd.Timedelta(days=1)).sum())}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["first", "last", "as_of", "as_of_rule", "after_as_of"])
    frame.index.name = "table"
    return frame.astype({"first": "datetime64[ns]", "last": "datetime64[ns]", "as_of": "datetime64[ns]",
                         "as_of_rule": "string", "after_as_of": "int64"})


def _apply_units(tables: dict[str, pd.DataFrame], units: dict[str, float]) -> None:
    for spec, factor in units.items():
        table, _, column = spec.partition(".")
        if factor != 1 and table in tables and column in tables[table]:
            tables[table][column] = tables[table][column] * factor


def _no_group(ledger: _Ledger, df: pd.DataFrame, table: str, column: str, group: str | None) -> bool:
    """Whether ``table.column`` must be compared within ``group`` and the table has no such column
    (then it is recorded as not tested: like with like, or not at all)."""
    if group and group not in df:
        ledger.skip(table, column, group)
        return True
    return False


#: columns the cleaning derives from others: they do not make a record more complete
DERIVED_COLUMNS = frozenset({"branch", "head_office_id", "industry_written", "industry_section", "industry_division", "industry_division_name",
                             "prefecture", "place_code", "phone_extension", "credit_code_valid"})
EXACT_DUPLICATE = "exact_duplicate_row"  # a row repeated exactly: dropped, counted apart in the reconciliation


def _clean_customers(c: pd.DataFrame, settings, limit: pd.Timestamp, ledger: _Ledger) -> pd.DataFrame:
    c = ledger.quarantine_rows("customers", c, exact_repeats(c, "customer_id"), "customer_id", EXACT_DUPLICATE)
    c = ledger.quarantine_rows("customers", c, c["customer_id"].isna(), "_row", "missing_customer_id", "customer_id")
    c = ledger.quarantine_rows("customers", c, c["customer_id"].duplicated(), "customer_id", "duplicate_customer_id", "customer_id")
    key = "customer_id"
    if "employees" in c:
        bad = (c["employees"] <= 0).fillna(False)
        ledger.change("customers", c, key, "employees", c["employees"].mask(bad), "zero_employees")
        c["employees"] = c["employees"].mask(bad)
    if "registered_date" in c:
        bad = (c["registered_date"] > limit).fillna(False)
        ledger.change("customers", c, key, "registered_date", c["registered_date"].mask(bad), "future_registered_date")
        c["registered_date"] = c["registered_date"].mask(bad)
    if "industry" in c:
        std = standardize_industry(c["industry"], settings.industry_synonyms)
        ledger.unmatched("customers", "industry", c["industry"], std["industry_section"])
        ledger.change("customers", c, key, "industry", std["industry"], "industry_standardized")
        c = c.assign(industry_written=_text(c["industry"]), **std)
    if "province" in c or "city" in c:
        written = {col: c.get(col, pd.Series(pd.NA, index=c.index, dtype="string")) for col in ("province", "city")}
        place = reference.match_place(_text(written["province"]), _text(written["city"]), settings.place_synonyms).set_axis(c.index)
        for column in ("province", "city"):
            if column in c:
                ledger.unmatched("customers", column, c[column], place[column])
        for column in ("province", "city", "region"):
            if column in c:
                keep = place[column].isna() & c[column].notna()  # a region the province does not give stays as written
                place[column] = place[column].where(~keep, _text(c[column]))
                ledger.change("customers", c, key, column, place[column], f"{column}_standardized")
        c = c.assign(**{col: place[col] for col in ("province", "city", "region", "prefecture", "place_code")})
    c = _grouping_words(c, "customers", settings, ledger)
    if "phone" in c:
        parts = phone_parts(c["phone"]).set_axis(c.index)
        if parts["extension"].notna().any():
            c["phone_extension"] = parts["extension"]
    written = {"phone": lambda: without_extension(c["phone"]), "email": lambda: c["email"].astype("string")}
    for column, tidy in (("phone", lambda: parts["phone"]), ("email", lambda: normalize_email(c["email"]))):
        if column in c:
            tidy = tidy()
            tidy = tidy.where(tidy.notna(), written[column]())  # unrecognized stays as written (less its extension)
            ledger.change("customers", c, key, column, tidy, f"{column}_normalized")
            c[column] = tidy
    if "credit_code" in c:
        c["credit_code_valid"] = normalize_credit_code(c["credit_code"]).notna().where(c["credit_code"].notna())
    out = settings.outliers
    if {"annual_revenue", "employees"} <= set(c.columns) and not _no_group(ledger, c, "customers", "annual_revenue", out.revenue_group):
        per_head = c["annual_revenue"] / c["employees"]
        groups = c[out.revenue_group] if out.revenue_group in c else None
        factor, outlier = unit_mistakes(per_head, groups, out)
        fixed = c["annual_revenue"] * factor.fillna(1)
        ledger.change("customers", c, key, "annual_revenue", fixed, "unit_mistake")
        ledger.quarantine_values("customers", c, outlier, key, "annual_revenue", "revenue_outlier")
        c["annual_revenue"] = fixed.mask(outlier)
    return c


def _company_distinct(c: pd.DataFrame) -> dict[str, pd.Series]:
    """Keys that prove two companies, for the duplicate finder's ``distinct``: the place a name
    opens with (杭州银行 and 上海银行 are two banks; 华信科技 without a place matches either) and the
    branch (a branch is never merged into its head office or another branch)."""
    if "name" not in c:
        return {}
    keys = company_keys(c["name"])
    branch = branch_parts(c["name"])["branch"]
    return {"name_place": keys["place"], "branch": branch.fillna("head office").where(keys["name"].notna())}


def _link_branches(c: pd.DataFrame) -> pd.DataFrame:
    """``branch`` (杭州分公司) on branch offices and ``head_office_id``: the customer whose name is the
    branch's head office (by :func:`normalize_company`), when exactly one customer is."""
    if "name" not in c:
        return c
    parts = branch_parts(c["name"])
    if parts["branch"].isna().all():
        return c
    heads = c.loc[parts["branch"].isna(), ["customer_id"]].assign(key=normalize_company(c.loc[parts["branch"].isna(), "name"]))
    heads = heads.dropna(subset="key").drop_duplicates("key", keep=False).set_index("key")["customer_id"]
    head_key = normalize_company(parts["head"])
    return c.assign(branch=parts["branch"], head_office_id=head_key.map(heads).astype("string"))


def _merge_duplicates(c: pd.DataFrame, settings, last_order: pd.Series, ledger: _Ledger):
    d = settings.duplicates
    absent = [k for k in d.fuzzy if k not in c]
    if d.min_agree is not None and d.min_agree > len(d.fuzzy) - len(absent):
        raise CleaningError(f"cleaning.duplicates.min_agree is {d.min_agree}, but the customers table has only "
                            f"{len(d.fuzzy) - len(absent)} of the fuzzy fields (absent: {', '.join(absent)}): "
                            "lower min_agree or map those columns in the source.")
    keys = _company_distinct(c)
    found = find_duplicates(c.assign(**keys), exact=[x for x in d.exact if x in c], fuzzy={k: v for k, v in d.fuzzy.items() if k in c},
                            block=[b for b in d.block if all(p.partition(":")[0].strip() in c for p in b.split("+"))],
                            distinct=[x for x in d.distinct if x in c] + list(keys), max_key_group=d.max_key_group,
                            similarity={k: v for k, v in d.similarity.items() if k in c}, min_agree=d.min_agree,
                            max_pairs=d.max_pairs)
    entity = found.clusters
    multi = entity.map(entity.value_counts()) > 1
    group = c[multi].assign(_entity=entity[multi])
    data_cols = [col for col in c.columns if not col.startswith("_")]
    group["_complete"] = group[[col for col in data_cols if col not in DERIVED_COLUMNS]].notna().sum(axis=1)
    group["_last"] = group["customer_id"].map(last_order) if len(last_order) else pd.NaT  # (no orders: no dates to map)
    survivors = group.sort_values(["_entity", "_complete", "customer_id"], ascending=[True, False, True]).groupby("_entity")["customer_id"].first()
    recent = group.sort_values(["_entity", "_last", "customer_id"], ascending=[True, False, False], na_position="last")
    merged_rows = recent.groupby("_entity")[data_cols].first()
    merged_rows["customer_id"] = survivors
    by_id = group.set_index("customer_id", drop=False)
    merged_rows["_row"] = by_id.loc[survivors, "_row"].to_numpy()
    original = by_id.loc[survivors, data_cols].set_index(survivors.index)
    changed = (original.astype("string") != merged_rows[data_cols].astype("string")).fillna(original.isna() != merged_rows[data_cols].isna())
    taken = _true_columns(changed)
    id_of = c["customer_id"]
    pairs = found.pairs.assign(left=id_of[found.pairs["left"]].to_numpy(), right=id_of[found.pairs["right"]].to_numpy())
    apart = found.kept_apart.assign(left=id_of[found.kept_apart["left"]].to_numpy(), right=id_of[found.kept_apart["right"]].to_numpy())
    long = pd.concat([pairs.rename(columns={"left": "id"}).drop(columns="right"), pairs.rename(columns={"right": "id"}).drop(columns="left")])
    order = {r: i for i, r in enumerate(sorted(long["rule"].unique(), key=lambda r: (r == "fuzzy", r)))}
    long["_rank"] = long["rule"].map(order)
    rules = long.sort_values("_rank").groupby("id").agg(rule=("rule", lambda r: ",".join(dict.fromkeys(r))), score=("score", "max"))
    gone = group[~group["customer_id"].isin(survivors)]
    merge_log = pd.DataFrame({"entity": gone["_entity"].to_numpy(), "survivor_id": gone["_entity"].map(survivors).to_numpy(),
                              "merged_id": gone["customer_id"].to_numpy()})
    merge_log = merge_log.join(rules, on="merged_id").assign(columns_taken=lambda m: m["entity"].map(taken))
    survivor_map = dict(zip(merge_log["merged_id"], merge_log["survivor_id"]))
    kept = c[~multi]
    merged_rows = merged_rows.reset_index(drop=True).astype({k: v for k, v in c.dtypes.items() if k in merged_rows}, errors="ignore")
    out = pd.concat([kept, merged_rows[c.columns]], ignore_index=True).sort_values("_row", kind="stable").reset_index(drop=True)
    if len(apart):
        log.info("%d matched pairs kept apart: their entity would hold two different %s", len(apart), ", ".join(d.distinct))
    pairs = pd.concat([pairs.assign(reason=pd.NA), apart], ignore_index=True).astype({"reason": "string"})
    return out, merge_log.reset_index(drop=True), survivor_map, pairs


def _missing_policy(c: pd.DataFrame, settings, ledger: _Ledger) -> pd.DataFrame:
    for column, action in settings.missing.items():
        if column not in c:
            continue
        gone = c[column].isna() | (c[column].astype("string").str.strip() == "").fillna(False)
        if action == "drop":
            c = ledger.quarantine_rows("customers", c, gone, "customer_id", f"missing_{column}", column)
        elif action == "unknown":
            ledger.change("customers", c[gone], "customer_id", column, pd.Series(settings.unknown_label, index=c.index[gone]), "missing_unknown")
            c[column] = c[column].astype("string").mask(gone, settings.unknown_label)
        elif action == "median":
            group = c[settings.outliers.revenue_group] if settings.outliers.revenue_group in c else pd.Series(0, index=c.index)
            filled = c[column].fillna(c[column].groupby(group).transform("median")).fillna(c[column].median())
            ledger.change("customers", c, "customer_id", column, filled, "missing_median")
            c[column] = filled
    return c


def _true_columns(flags: pd.DataFrame) -> pd.Series:
    """For each row of a boolean frame, the names of its true columns joined by commas (also for no rows,
    where ``DataFrame.apply`` would return a frame).

    >>> _true_columns(pd.DataFrame({"phone": [True, False], "industry": [True, False]}, index=["a", "b"])).tolist()
    ['phone,industry', '']
    """
    names = np.asarray(flags.columns, dtype=object)
    return pd.Series([",".join(names[row]) for row in flags.to_numpy(dtype=bool)], index=flags.index, dtype="string")


def _followup(c: pd.DataFrame, settings) -> pd.DataFrame:
    """Customers with a missing key field (or one marked unknown), for the sales team to complete."""
    fields = [f for f in settings.key_fields if f in c]
    if not fields:
        return pd.DataFrame(columns=["customer_id", "name", "missing", "status"])
    gone = pd.DataFrame({f: c[f].isna() | (c[f].astype("string") == settings.unknown_label).fillna(False) for f in fields})
    hit = gone.any(axis=1)
    missing = _true_columns(gone[hit])
    return pd.DataFrame({"customer_id": c.loc[hit, "customer_id"], "name": c.loc[hit, "name"] if "name" in c else pd.NA,
                         "missing": missing, "status": settings.followup_label}).reset_index(drop=True)


def _clean_orders(o: pd.DataFrame, settings, limit, known: set, dropped: set, survivor_map: dict, ledger: _Ledger) -> pd.DataFrame:
    rules = [(lambda d, alive: exact_repeats(d, "order_id"), "order_id", EXACT_DUPLICATE, None)]
    rules += [(lambda d, alive, c=column: d[c].isna(), "_row", f"missing_{column}", column)
              for column in ("order_id", "customer_id", "order_date", "amount")]
    rules += [(lambda d, alive: d["order_id"].where(alive).duplicated(), "order_id", "duplicate_order_id", "order_id"),
              (lambda d, alive: d["amount"] < 0, "order_id", "negative_amount", "amount"),
              (lambda d, alive: d["order_date"] > limit, "order_id", "future_order_date", "order_date"),
              (lambda d, alive: d["customer_id"].isin(dropped), "order_id", "customer_quarantined", "customer_id"),
              (lambda d, alive: ~d["customer_id"].isin(known), "order_id", "unknown_customer", "customer_id")]
    o = _grouping_words(o, "orders", settings, ledger)
    if "status" in o:
        status = _mapped(o["status"], settings.order_status)
        ledger.unmatched("orders", "status", o["status"], status)
        o = o.assign(status=status.fillna(_text(o["status"])))
        rules.insert(5, (lambda d, alive: d["status"].isin(settings.order_status.values()).fillna(False)
                         & ~d["status"].isin(settings.revenue_statuses).fillna(False), "order_id", "order_not_revenue", "status"))
    alive = ledger.sieve("orders", o, rules)
    if not _no_group(ledger, o, "orders", "amount", settings.outliers.order_amount_group):
        o, alive = _order_amounts(o, alive, settings.outliers, ledger)
    o = o if alive.all() else o[alive]
    return o.assign(customer_id=to_survivors(o["customer_id"], survivor_map))


def _order_amounts(o: pd.DataFrame, alive: pd.Series, out, ledger: _Ledger) -> tuple[pd.DataFrame, pd.Series]:
    """Unit mistakes corrected and outliers quarantined among the rows still ``alive``, on the few
    columns they read; the caller filters the table once, after this (each filter copies 4.5 GB
    at 38.5M orders)."""
    live = o.loc[alive, [c for c in ("order_id", "amount", out.order_amount_per, out.order_amount_group) if c and c in o]]
    per = live[out.order_amount_per] if out.order_amount_per in live else None
    unit_value = live["amount"] / per.where(per > 0) if per is not None else live["amount"]
    factor, outlier = unit_mistakes(unit_value, live[out.order_amount_group] if out.order_amount_group in live else None, out)
    fixed = live["amount"].where(factor.isna(), (live["amount"] * factor).round(2))
    ledger.change("orders", live, "order_id", "amount", fixed, "unit_mistake")
    amount = o["amount"].copy()
    amount.loc[fixed.index] = fixed
    o = o.assign(amount=amount)
    alive = ledger.sieve("orders", o, [(lambda d, a: outlier.reindex(d.index, fill_value=False), "order_id",
                                        "amount_outlier", "amount")], alive)
    return o, alive


def to_survivors(ids: pd.Series, survivor_map: dict) -> pd.Series:
    """``ids`` with every merged customer id replaced by its survivor's, dtype kept.

    A set lookup per row and a dictionary lookup per merged row: ``Series.replace`` with the
    dictionary tests every key against every row, which did not finish in 20 minutes on the
    1M-company sample (40,000 merges, 38.5M orders), and ``Series.map`` over all rows turned every
    id into a Python string (4 GB there).
    """
    if not survivor_map:
        return ids
    merged = ids.isin(list(survivor_map))
    if not merged.any():
        return ids
    out = ids.copy()
    out[merged] = ids[merged].map(survivor_map).astype(ids.dtype)  # only the merged rows become Python strings
    return out


def _mapped(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values`` through ``mapping`` (the export's words -> canonical ones), compared without case,
    width or surrounding spaces; what the mapping lacks is missing."""
    keys = dict(zip(_text(list(mapping)).str.lower(), mapping.values()))  # normalized as the values are
    text = _text(values).str.lower()
    distinct = text.dropna().unique()
    return text.map({v: keys.get(v) for v in distinct}, na_action="ignore").astype("string")


def _grouping_words(df: pd.DataFrame, table: str, settings, ledger: _Ledger) -> pd.DataFrame:
    """Product categories and channels, which reports group by, through ``cleaning.categories`` and
    ``cleaning.channels`` (设备类, 设备 -> 设备; 线上, 官网 -> 线上); a word the mapping lacks stays as
    written. Every changed value is in the change log."""
    key = "order_id" if table == "orders" else "customer_id"
    for column, mapping in (("category", settings.categories), ("channel", settings.channels)):
        if column in df and mapping:
            named = _mapped(df[column], mapping)
            tidy = named.fillna(_text(df[column]))
            ledger.change(table, df, key, column, tidy, f"{column}_mapped")
            df = df.assign(**{column: tidy})
    return df


def _clean_interactions(i: pd.DataFrame, settings, limit, known: set, dropped: set, survivor_map: dict, ledger: _Ledger) -> pd.DataFrame:
    if "kind" in i:  # the export's words (官网访问, 参加活动) -> visit, event, ...; unknown words stay, listed
        kind = _mapped(i["kind"], settings.interaction_kinds)
        ledger.unmatched("interactions", "kind", i["kind"], kind)
        i = i.assign(kind=kind.fillna(_text(i["kind"])))
    rules = [(lambda d, alive, c=column: d[c].isna(), "_row", f"missing_{column}", column) for column in ("customer_id", "date")]
    rules += [(lambda d, alive: d["count"] < 0, "_row", "negative_count", "count"),
              (lambda d, alive: d["date"] > limit, "_row", "future_date", "date"),
              (lambda d, alive: d["customer_id"].isin(dropped), "_row", "customer_quarantined", "customer_id"),
              (lambda d, alive: ~d["customer_id"].isin(known), "_row", "unknown_customer", "customer_id")]
    i = ledger.quarantine_in_order("interactions", i, rules)
    return i.assign(customer_id=to_survivors(i["customer_id"], survivor_map))


def clean(tables: dict[str, pd.DataFrame], params) -> CleanResult:
    """Clean the canonical tables by the rules in ``params.cleaning``; sources are not touched.

    Parameters
    ----------
    tables : dict of DataFrame
        Canonical tables (from :func:`custlab.data.sources.load_tables`); not modified.
    params : DataQualityParams
        ``as_of`` (the end of the analysis window; null: the latest order's day) and ``cleaning``
        (every rule and threshold). Dates after today (plus ``future_date_tolerance_days``) are
        impossible and quarantined; dates after ``as_of`` are kept and counted in ``period``.

    Returns
    -------
    CleanResult
        Every input row of customers, orders and interactions is kept, merged into another
        customer or quarantined with a reason; ``reconciliation`` shows that the counts balance.
    """
    settings, limit, ledger = params.cleaning, _date_limit(params), _Ledger()
    work = {name: df.copy(deep=False) for name, df in tables.items()}  # copy-on-write: columns copied only when changed
    _apply_units(work, settings.units)
    for df in work.values():
        df["_row"] = np.arange(1, len(df) + 1)
    out = {name: df for name, df in work.items() if name not in ("customers", "orders", "interactions")}
    merge_log, survivor_map = pd.DataFrame(columns=["entity", "survivor_id", "merged_id", "rule", "score", "columns_taken"]), {}
    pairs = pd.DataFrame(columns=["left", "right", "score", "rule", "reason"])
    followup = pd.DataFrame(columns=["customer_id", "name", "missing", "status"])
    known, dropped = set(), set()
    if "customers" in work:
        c = _clean_customers(work["customers"], settings, limit, ledger)
        last_order = (work["orders"].groupby("customer_id")["order_date"].max() if "orders" in work else pd.Series(dtype="datetime64[ns]"))
        c, merge_log, survivor_map, pairs = _merge_duplicates(c, settings, last_order, ledger)
        c = _link_branches(_missing_policy(c, settings, ledger))
        if "employees" in c or "annual_revenue" in c:
            c["size_class"] = size_class(c.get("employees", pd.Series(np.nan, index=c.index)),
                                         c.get("annual_revenue", pd.Series(np.nan, index=c.index)),
                                         settings.size_classes, settings.unknown_label)
        followup = _followup(c, settings)
        known = set(c["customer_id"]) | set(survivor_map)
        dropped = set(work["customers"]["customer_id"].dropna()) - known
        out["customers"] = c
    has_customers = "customers" in work  # (without a customers table there is nothing to check the orders' customers against)
    if "orders" in work:
        out["orders"] = _clean_orders(work["orders"], settings, limit, known, dropped, survivor_map, ledger) if has_customers else work["orders"]
    if "interactions" in work:
        out["interactions"] = (_clean_interactions(work["interactions"], settings, limit, known, dropped, survivor_map, ledger)
                               if has_customers else work["interactions"])
    for name, df in out.items():
        if name not in ("customers", "orders", "interactions") and "customer_id" in df:
            df["customer_id"] = to_survivors(df["customer_id"], survivor_map)
    quarantine, changes = ledger.frames()
    row_scope = quarantine[quarantine["scope"] == "row"]
    repeats = row_scope[row_scope["reason"] == EXACT_DUPLICATE].groupby("table").size()
    rows = row_scope[row_scope["reason"] != EXACT_DUPLICATE].groupby("table").size()
    recon = pd.DataFrame({"input": {n: len(df) for n, df in tables.items()},
                          "exact_duplicates": {n: int(repeats.get(n, 0)) for n in tables},
                          "kept": {n: len(df) for n, df in out.items()},
                          "merged": {n: len(merge_log) if n == "customers" else 0 for n in tables},
                          "quarantined": {n: int(rows.get(n, 0)) for n in tables}})
    recon["balanced"] = recon["input"] == recon["exact_duplicates"] + recon["kept"] + recon["merged"] + recon["quarantined"]
    recon.index.name = "table"
    _quarantine_gate(row_scope, recon, tables, settings)
    clean_tables = {n: df.drop(columns="_row").reset_index(drop=True) for n, df in out.items()}
    period = _period(clean_tables, *analysis_date(params, clean_tables.get("orders")))
    return CleanResult(clean_tables, merge_log, quarantine, changes, recon, followup, pairs, ledger.skipped_frame(),
                       ledger.unmatched_frame(), period)


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
        from .sources import fold_id

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


_RESULT_FRAMES = ("merge_log", "quarantine", "changes", "reconciliation", "followup", "duplicate_pairs", "skipped", "unmatched",
                  "period")


def prepare_clean(params, files=(), cache_dir: Path = config.CACHE_DIR) -> Path:
    """Clean the tables unless the cache already holds them; return the cache folder.

    ``params`` may be any notebook's parameters: the cleaning settings come from the
    data-quality parameters layered from the same ``files`` (see :func:`quality_params`).
    """
    from . import sources

    dq = quality_params(params, files)

    def fill(tmp: Path) -> None:
        result = clean(sources.load_tables(dq, cache_dir=cache_dir), dq)
        (tmp / "tables").mkdir()
        for name, df in result.tables.items():
            df.to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
        for name in _RESULT_FRAMES:
            frame = getattr(result, name)
            text = {c: "string" for c in ("rule", "columns_taken", "missing", "status") if c in frame}  # Parquet needs one type
            frame.astype(text).to_parquet(tmp / f"{name}.parquet", index=name in ("reconciliation", "period"))

    return cached_folder(clean_folder(dq, files, cache_dir), fill)


def load_clean(params, files=(), cache_dir: Path = config.CACHE_DIR) -> CleanResult:
    """The clean tables, computed once per input and cleaning settings and cached as Parquet,
    so every notebook reads the same clean tables as 00_data_quality."""
    folder = prepare_clean(params, files, cache_dir)
    tables = {p.stem: pd.read_parquet(p) for p in sorted((folder / "tables").glob("*.parquet"))}
    return CleanResult(tables, **{name: pd.read_parquet(folder / f"{name}.parquet") for name in _RESULT_FRAMES})


# --------------------------------------------------------------------------- findings
_SYNONYM_KEYS = {"industry": "industry_synonyms", "kind": "interaction_kinds", "status": "order_status"}


#: plausible revenue per employee, 元 a year: below, the column is likely in 万元 read as 元 (a firm
#: with hundreds of staff and a "revenue" of 3,046); above, likely 元 scaled as 万元
REVENUE_PER_HEAD = (10_000.0, 100_000_000.0)


def revenue_per_head(customers: pd.DataFrame, min_customers: int = 10) -> tuple[float, int] | None:
    """Median annual revenue per employee (元) over the customers with both, and their number;
    None with fewer than ``min_customers`` of them. A whole column in the wrong unit cannot be
    seen value by value (every value is off by the same factor), only against the firms' size."""
    if not {"annual_revenue", "employees"} <= set(customers.columns):
        return None
    both = customers[["annual_revenue", "employees"]].dropna()
    both = both[(both["annual_revenue"] > 0) & (both["employees"] > 0)]
    if len(both) < min_customers:
        return None
    return float((both["annual_revenue"] / both["employees"]).median()), len(both)


def findings(result: CleanResult, language: str = "en") -> list[str]:
    """Three to six plain sentences for leadership, generated from the cleaning numbers."""
    r = result.reconciliation
    out = []
    scale = revenue_per_head(result.tables["customers"]) if "customers" in result.tables else None
    if scale and not REVENUE_PER_HEAD[0] <= scale[0] <= REVENUE_PER_HEAD[1]:
        out.append(t("dq_f_revenue_low" if scale[0] < REVENUE_PER_HEAD[0] else "dq_f_revenue_high", language,
                     per_head=scale[0], n=scale[1]))
    merged = int(r.loc["customers", "merged"]) if "customers" in r.index else 0
    if merged:
        entities = int(result.merge_log["survivor_id"].nunique())
        out.append(t("dq_f_merged", language, merged=merged, entities=entities))
    if "orders" in r.index:
        q = result.quarantine[(result.quarantine["table"] == "orders") & (result.quarantine["scope"] == "row")]
        reason = q["reason"].value_counts()
        out.append(t("dq_f_orders", language, n=len(q), share=len(q) / max(int(r.loc["orders", "input"]), 1),
                     reason=t(f"reason_{reason.index[0]}", language)) if len(q) else t("dq_f_orders_none", language))
    for column, spellings in result.unmatched.groupby("column", sort=False):
        out.append(t("dq_f_unmatched", language, n=len(spellings), rows=int(spellings["rows"].sum()), column=word(column, language),
                     setting=_SYNONYM_KEYS.get(column, "place_synonyms")))
    units = result.changes[result.changes["reason"] == "unit_mistake"]
    if len(units):
        out.append(t("dq_f_units", language, n=len(units)))
    customers = result.tables.get("customers", pd.DataFrame())
    if "branch" in customers and customers["branch"].notna().any():
        out.append(t("dq_f_branches", language, n=int(customers["branch"].notna().sum()),
                     linked=int(customers["head_office_id"].notna().sum())))
    std = result.changes[result.changes["reason"].str.endswith("_standardized")]
    if len(std):
        out.append(t("dq_f_standardized", language, n=len(std), customers=std["key"].nunique()))
    if len(result.followup):
        top = result.followup["missing"].str.split(",").explode().value_counts()
        out.append(t("dq_f_followup", language, n=len(result.followup), column=label(top.index[0], language)))
    for row in result.skipped.itertuples():
        out.append(t("dq_f_untested", language, column=word(row.column, language), within=word(row.within, language)))
    return out[:6]


def unmatched_table(result: CleanResult, language: str = "en") -> pd.DataFrame:
    """The spellings that matched nothing (:attr:`CleanResult.unmatched`), most rows first, with the
    table and column named in ``language``, for the data-quality report."""
    out = result.unmatched.sort_values("rows", ascending=False)
    out = out.assign(table=out["table"].map(lambda v: word(v, language, VALUES)),
                     column=out["column"].map(lambda v: label(v, language)))
    return out.set_index(["table", "column", "spelling"])


def missing_sentence(missing: pd.Series, language: str = "en") -> str:
    """The most incomplete field of :func:`missing_shares`, or that none has missing values."""
    if not missing.iloc[0]:
        return t("dq_missing_none", language)
    return t("dq_missing", language, column=word(missing.index[0], language), share=missing.iloc[0])


def credit_sentence(codes: pd.Series, language: str = "en") -> str:
    """How many of the credit codes of :func:`credit_code_check` fail, or that the source has none."""
    if not codes["present"]:
        return t("dq_credit_none", language)
    return t("dq_credit", language, invalid=codes["invalid"], present=codes["present"])


def absent_note(absent: dict[str, list[str]], language: str = "en") -> str:
    """The sentence naming the canonical columns the source lacks (:func:`custlab.data.sources.absent_columns`),
    table by table."""
    columns = "; ".join(f"{word(table, language, VALUES)}: {', '.join(word(c, language) for c in cols)}"
                        for table, cols in absent.items())
    return t("dq_absent", language, columns=columns)


def write_followup_files(result: CleanResult, folder: str | Path) -> dict[str, Path]:
    """Quarantined rows and values, the follow-up list and the merge log as UTF-8 CSV (with BOM,
    so that Excel opens the Chinese text) in ``folder``; written atomically. The merge log ends
    with the matched records that were kept apart (``decision`` kept_apart, and why)."""
    from ..report import atomic_write, csv_bytes

    folder = Path(folder)
    out = {}
    for name in ("quarantine", "followup", "merge_log", "unmatched"):
        frame = merge_decisions(result) if name == "merge_log" else getattr(result, name)
        out[name] = atomic_write(folder / f"{name}.csv", csv_bytes(frame, index=False))
    return out


def write_clean(result: CleanResult, folder: str | Path) -> dict[str, Path]:
    """The clean tables for loading back into the CRM, in ``folder``: each as Parquet and as CSV in
    UTF-8 with BOM (Excel opens it with its Chinese text), with the reconciliation, the merge log
    (with the records kept apart), the quarantine, the follow-up list and the unmatched spellings.
    Every file is written atomically; nothing else in the folder is touched."""
    import io

    from ..report import atomic_write, csv_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, table in result.tables.items():
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        out[f"{name}.parquet"] = atomic_write(folder / f"{name}.parquet", buffer.getvalue())
        out[f"{name}.csv"] = atomic_write(folder / f"{name}.csv", csv_bytes(table, index=False))
    out["reconciliation.csv"] = atomic_write(folder / "reconciliation.csv", csv_bytes(result.reconciliation))
    out.update({f"{k}.csv": v for k, v in write_followup_files(result, folder).items()})
    return out


def merge_decisions(result: CleanResult) -> pd.DataFrame:
    """The merge log with a ``decision`` per row: merged, or kept_apart for matched pairs whose
    merge would have put two different credit codes, name places or branches in one company (merged_id and survivor_id
    are then the two records, ``rule`` the reason)."""
    pairs = result.duplicate_pairs
    apart = pairs[pairs["reason"].notna()] if "reason" in pairs else pairs.iloc[:0]
    kept = pd.DataFrame({"survivor_id": apart["left"].astype("string"), "merged_id": apart["right"].astype("string"),
                         "rule": apart["rule"].astype("string") + " kept apart: " + apart["reason"].astype("string"),
                         "score": apart["score"], "decision": "kept_apart"})
    return pd.concat([result.merge_log.assign(decision="merged"), kept], ignore_index=True)
