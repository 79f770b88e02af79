"""Rules the customers and the orders share: robust outliers and unit mistakes within groups of like
values, and the folding of an export's spellings into the words reports group by.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..normalize import _text
from .ledger import _Ledger


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


def _no_group(ledger: _Ledger, df: pd.DataFrame, table: str, column: str, group: str | None) -> bool:
    """Whether ``table.column`` must be compared within ``group`` and the table has no such column
    (then it is recorded as not tested: like with like, or not at all)."""
    if group and group not in df:
        ledger.skip(table, column, group)
        return True
    return False


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
