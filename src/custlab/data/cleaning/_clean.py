"""Cleaning the whole database: :func:`clean` over the canonical tables, its result, and the
cache of clean tables every notebook reads (:func:`prepare_clean`, :func:`load_clean`).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ... import config
from ...report import Result
from ...errors import AnalysisError
from ...i18n import t
from ..cache import cached_folder, clean_folder, quality_params
from .customers import (_clean_customers, _followup, _link_branches, _merge_duplicates, _missing_policy, size_class)
from .ledger import EXACT_DUPLICATE, _Ledger, _quarantine_gate
from .orders import _apply_units, _clean_interactions, _clean_orders, to_survivors

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- profile


# --------------------------------------------------------------------------- standardization


# --------------------------------------------------------------------------- outliers


# --------------------------------------------------------------------------- clean


#: the tables an analysis window cuts at as_of, and the date column it cuts them by
WINDOW_DATES = {"orders": "order_date", "interactions": "date"}


class LazyTables(Mapping):
    """Clean tables by name, each made when first used: read from its Parquet file (``folder``) or
    by ``make(name)``. Iterating names reads nothing; a table used once is kept."""

    def __init__(self, names: list[str], make=None, folder: Path | None = None):
        self.names, self.make, self.folder, self.read = list(names), make, folder, {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.names:
            raise KeyError(name)
        if name not in self.read:
            self.read[name] = pd.read_parquet(self.folder / f"{name}.parquet") if self.make is None else self.make(name)
        return self.read[name]

    def __contains__(self, name) -> bool:  # Mapping's would read the table
        return name in self.names

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def path(self, name: str) -> Path | None:
        """The Parquet file of ``name`` when the tables come from the cache."""
        return self.folder / f"{name}.parquet" if self.folder is not None and self.make is None and name in self.names else None

    def rows(self, name: str) -> int:
        """Rows of table ``name``, from the Parquet footer when it has not been read."""
        if name in self.read or self.path(name) is None:
            return len(self[name])
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path(name)).metadata.num_rows


@dataclass(frozen=True)
class CleanResult(Result):
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

    tables: Mapping[str, pd.DataFrame]  # a dict, or LazyTables read from the cache when first used
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

    def window(self, needs: tuple[str, ...] = ()) -> Mapping[str, pd.DataFrame]:
        """The clean tables with the orders and interactions dated after :attr:`as_of` left out
        (they stay in :attr:`tables`): what an analysis of the period up to as_of reads. A table is
        read (and cut) when it is first used, so a notebook that aggregates the orders through
        :meth:`relation` never holds them in pandas.

        ``needs``: the tables the notebook cannot do without; when one has no row left, an AnalysisError
        says why in words (not in the source, every row set aside by the cleaning and for which
        reason, or every row dated after as_of) instead of a KeyError or an empty result later.
        """
        end = self.as_of + pd.Timedelta(days=1)

        def cut(name: str) -> pd.DataFrame:
            df, column = self.tables[name], WINDOW_DATES.get(name)
            if column in df and (df[column] >= end).any():
                return df[df[column] < end].reset_index(drop=True)
            return df

        out = LazyTables(list(self.tables), cut)
        for name in needs:
            if problem := self._none_left(name):
                raise AnalysisError(f"This notebook needs the {name}, but {problem}")
        return out

    def relation(self, name: str):
        """Clean table ``name`` as an Ibis table up to :attr:`as_of` (orders, interactions), for the
        engine to aggregate (:mod:`custlab.data.engine`): over its Parquet file when the tables come
        from the cache, so it is never read whole into pandas."""
        from ..engine import connect, relation

        path = self.tables.path(name) if isinstance(self.tables, LazyTables) else None
        table = connect().read_parquet(path) if path else relation(self.tables[name])
        column = WINDOW_DATES.get(name)
        if column in table.columns:
            table = table.filter(table[column] < (self.as_of + pd.Timedelta(days=1)).to_pydatetime())
        return table

    def rows_in_window(self, name: str) -> int:
        """How many rows of clean table ``name`` lie in the window (0 when the source has none)."""
        if name not in self.tables:
            return 0
        if isinstance(self.tables, LazyTables) and self.tables.path(name) and name not in self.tables.read:
            from ..engine import rows

            return rows(self.relation(name))
        df, column = self.tables[name], WINDOW_DATES.get(name)
        return int((df[column] < self.as_of + pd.Timedelta(days=1)).sum()) if column in df else len(df)

    def _none_left(self, name: str) -> str | None:
        """Why table ``name`` has no row in the window, or None when it has rows."""
        if self.rows_in_window(name):
            return None
        if name not in self.reconciliation.index:
            return (f"the source holds no {name} table. Name it in source.tables.{name} (custlab validate "
                    f"lists the tables it finds).")
        total = int(self.reconciliation.loc[name, "input"])
        clean_rows = 0 if name not in self.tables else self.tables.rows(name) if isinstance(self.tables, LazyTables) else len(self.tables[name])
        if clean_rows:
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

    def sentences(self, language: str = "en") -> list[str]:
        from .findings import findings

        return findings(self, language)

    def metrics(self) -> dict:
        recon = self.reconciliation
        return {"reconciliation": recon.drop(columns="balanced").to_dict("index"), "followup": len(self.followup),
                "duplicates_merged": int(recon.loc["customers", "merged"]) if "customers" in recon.index else 0,
                "duplicates_by_rule": self.merged_by_rule().to_dict(),
                "changes": len(self.changes)}


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


_RESULT_FRAMES = ("merge_log", "quarantine", "changes", "reconciliation", "followup", "duplicate_pairs", "skipped", "unmatched",
                  "period")


def prepare_clean(params, files=(), cache_dir: Path = config.CACHE_DIR) -> Path:
    """Clean the tables unless the cache already holds them; return the cache folder.

    ``params`` may be any notebook's parameters: the cleaning settings come from the
    data-quality parameters layered from the same ``files`` (see :func:`quality_params`).
    """
    from .. import sources

    dq = quality_params(params, files)

    def fill(tmp: Path) -> None:
        result = clean(sources.load_tables(dq, cache_dir=cache_dir), dq)
        (tmp / "tables").mkdir()
        for name, df in result.tables.items():  # times in microseconds: what Spark and PostgreSQL hold (not pandas' nanoseconds)
            df.to_parquet(tmp / "tables" / f"{name}.parquet", index=False, coerce_timestamps="us",
                          allow_truncated_timestamps=True)  # an export's nanoseconds (13:45:07.123456789) mean nothing
        for name in _RESULT_FRAMES:
            frame = getattr(result, name)
            text = {c: "string" for c in ("rule", "columns_taken", "missing", "status") if c in frame}  # Parquet needs one type
            frame.astype(text).to_parquet(tmp / f"{name}.parquet", index=name in ("reconciliation", "period"))

    return cached_folder(clean_folder(dq, files, cache_dir), fill)


def load_clean(params, files=(), cache_dir: Path = config.CACHE_DIR) -> CleanResult:
    """The clean tables, computed once per input and cleaning settings and cached as Parquet,
    so every notebook reads the same clean tables as 00_data_quality."""
    folder = prepare_clean(params, files, cache_dir)
    tables = LazyTables([p.stem for p in sorted((folder / "tables").glob("*.parquet"))], folder=folder / "tables")
    return CleanResult(tables, **{name: pd.read_parquet(folder / f"{name}.parquet") for name in _RESULT_FRAMES})


# --------------------------------------------------------------------------- findings


