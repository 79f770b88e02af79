"""What the cleaning found, said in sentences and tables (zh and en), and the files it writes:
the follow-up list, the clean tables for a CRM, the merge decisions.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...i18n import VALUES, label, t, word
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._clean import CleanResult


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
    from ...report import atomic_write, csv_bytes

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

    from ...report import atomic_write, csv_bytes

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
