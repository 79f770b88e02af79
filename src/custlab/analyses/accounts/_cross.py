"""Cross analysis of customers: weighted cross tables with chi-square and Cramér's V, cross tables
over two columns of different tables, and the correspondence map (checked against prince).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils.extmath import svd_flip

from ...report import Result
from ...errors import AnalysisError
from ._accounts import TIERS


@dataclass(frozen=True)
class CrossTable(Result):
    """Counts, row shares, and the chi-square test of independence with Cramér's V."""

    counts: pd.DataFrame
    chi2: float
    dof: int
    p_value: float
    cramers_v: float

    @property
    def row_shares(self) -> pd.DataFrame:
        return self.counts.div(self.counts.sum(axis=1), axis=0)

    def strength(self, alpha: float = 0.05) -> str:
        """``none`` when the test does not reject independence at ``alpha``; otherwise the size of
        the association by Cohen's (1988) conventions for w = V * sqrt(min(rows, columns) - 1):
        ``negligible`` below 0.1, ``small`` below 0.3, ``medium`` below 0.5, else ``large``. With
        many orders almost any difference is significant: the size says whether it matters."""
        if self.p_value >= alpha:
            return "none"
        w = self.cramers_v * np.sqrt(min(self.counts.shape) - 1)
        return "negligible" if w < 0.1 else "small" if w < 0.3 else "medium" if w < 0.5 else "large"

    def summary(self) -> pd.Series:
        return pd.Series({"chi2": self.chi2, "dof": self.dof, "p_value": self.p_value, "cramers_v": self.cramers_v})

    def sentences(self, language: str = "en") -> list[str]:
        from ...i18n import p_text, t

        return [t("ka_cross", language, dep=t("ka_rel_" + self.strength(), language), chi2=self.chi2, p=p_text(self.p_value),
                  v=self.cramers_v)]

    def metrics(self) -> dict:
        return self.summary().to_dict()


def cross_table(rows: pd.Series, cols: pd.Series, weights: pd.Series | None = None) -> CrossTable:
    """Contingency table of two attributes with Pearson's chi-square test (scipy) and Cramér's V.

    Rows and columns with a zero total are dropped before the test.
    """
    counts = pd.crosstab(rows, cols, values=weights, aggfunc="sum" if weights is not None else None).fillna(0)
    counts = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    counts = counts.reindex(index=_tiers_first(counts.index), columns=_tiers_first(counts.columns))
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        raise AnalysisError(f"Cross analysis of {rows.name} x {cols.name} needs at least two levels of each; "
                            f"got {counts.shape[0]} x {counts.shape[1]}.")
    chi2, p, dof, _ = stats.chi2_contingency(counts.to_numpy(), correction=False)
    n = counts.to_numpy().sum()
    v = np.sqrt(chi2 / (n * (min(counts.shape) - 1)))
    return CrossTable(counts, float(chi2), int(dof), float(p), float(v))


def cross_by_column(rows: pd.DataFrame, row: str, cols: pd.DataFrame, col: str, on: str,
                    how: str = "inner") -> CrossTable | None:
    """:func:`cross_table` of ``rows[row]`` against ``cols[col]``, the two frames joined on ``on``
    (e.g. orders' category against their customer's industry); None when either column is not in
    the source or has fewer than two known values, so a report can say so instead of failing."""
    if row not in rows or col not in cols:
        return None
    joined = rows[[on, row]].merge(cols[[on, col]], on=on, how=how)
    if joined[row].nunique() < 2 or joined[col].nunique() < 2:
        return None
    return cross_table(joined[row], joined[col])


def cross_left_out(row: str, col: str, language: str = "en") -> str:
    """The sentence for a :func:`cross_by_column` that came back None."""
    from ...i18n import t, word

    return t("ka_cross_none", language, rows=word(row, language), cols=word(col, language))


def _tiers_first(levels: pd.Index) -> list:
    """``levels`` with value tiers in their order (high, medium, low) and the rest as they were."""
    return [t for t in TIERS if t in levels] + [v for v in levels if v not in TIERS]


def correspondence_map(counts: pd.DataFrame, n_components: int = 2):
    """Correspondence analysis of a contingency table (Greenacre 2007, ch. 4).

    The SVD of the standardized residuals ``S = D_r^-1/2 (P - r c') D_c^-1/2`` gives the principal
    coordinates of rows ``D_r^-1/2 U Sigma`` and columns ``D_c^-1/2 V Sigma``; each dimension's
    inertia is its squared singular value, and they sum to chi-square / n. Signs follow
    scikit-learn's ``svd_flip`` (the largest row loading of each dimension is positive).
    Checked against prince.CA in the tests; prince is not used here because importing it (it
    loads altair and jsonschema) took 1-2 s of every notebook that draws the map.

    Returns
    -------
    coords : DataFrame
        ``dim1``..``dimK`` and ``kind`` (the name of the rows' or the columns' axis), one row per level.
    inertia : Series
        Share of the total inertia of each of the first ``n_components`` dimensions.
    total : float
        Total inertia (chi-square / n).
    """
    n_table = counts.to_numpy(dtype=float)
    if (n_table.sum(axis=1) == 0).any() or (n_table.sum(axis=0) == 0).any():
        raise AnalysisError("Correspondence analysis needs every row and column of the table to have a count; "
                            "drop the empty levels first.")
    p = n_table / n_table.sum()
    r, c = p.sum(axis=1), p.sum(axis=0)
    expected = np.outer(r, c)
    u, sv, vt = np.linalg.svd((p - expected) / np.sqrt(expected), full_matrices=False)
    u, vt = svd_flip(u, vt)
    k = min(n_components, len(sv))
    dims = [f"dim{i + 1}" for i in range(k)]
    rows = pd.DataFrame(u[:, :k] * sv[:k] / np.sqrt(r)[:, None], index=counts.index, columns=dims)
    cols = pd.DataFrame(vt[:k].T * sv[:k] / np.sqrt(c)[:, None], index=counts.columns, columns=dims)
    coords = pd.concat([rows.assign(kind=counts.index.name or "row"), cols.assign(kind=counts.columns.name or "column")])
    eigen = sv ** 2
    inertia = pd.Series(eigen[:k] / eigen.sum(), index=dims, name="inertia_share")
    return coords, inertia, float(eigen.sum())
