"""Factor analysis and PCA of survey items: adequacy, the number of factors, factor analysis with
rotations, reliability and principal components.

The numbers are R psych's (Revelle), which survey researchers publish with: ``KMO()``,
``cortest.bartlett()``, ``fa.parallel()``, ``fa()``, ``alpha()`` and ``principal()``;
tests/analyses/test_factors.py compares each with psych on its public bfi data (tests/results/psych_bfi_*).
Extraction (minres, ml) and rotations are factor_analyzer's. What this module adds on top is what
factor_analyzer leaves different from psych: factors ordered by the variance they explain and
signed so that their loadings sum to a positive number, with the factor correlations (phi)
reordered alongside the loadings (factor_analyzer reorders only the loadings); communalities as
psych's h2 = diag(L phi L'), which stays the extraction's under an oblique rotation (factor_analyzer's
``get_communalities()`` sums squared pattern loadings); and Thurstone regression scores.

Rows with a missing answer are left out (complete cases; psych's default is pairwise correlations):
every result states how many rows it used.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...report import Result
from ...errors import AnalysisError
from .settings import METHODS, OBLIQUE, ROTATIONS
from ...i18n import p_text, t

ITEM_PATTERN = r"q\d+"  # survey questions q01..qNN, as the canonical survey table names them


# --------------------------------------------------------------------------- items
def survey_items(survey: pd.DataFrame | None, items: list[str] | None = None) -> pd.DataFrame:
    """The item columns of ``survey`` as floats, complete cases only.

    Parameters
    ----------
    survey : DataFrame or None
        One row per respondent (None: the source has no survey table, an error that says so).
    items : list of str, optional
        Item columns; by default every column named q<number> (q01, q02, ...).

    Raises
    ------
    AnalysisError
        When an item is missing from the table, not numeric, constant, or fewer than three items
        or too few complete rows remain.
    """
    if survey is None:
        raise AnalysisError("The source has no survey table, so there are no answers to factor: name the table that holds "
                            "them under source.tables.survey in params/base.yaml, or leave 20_survey_factors out of the run "
                            "(custlab run --only 00_data_quality 10_key_accounts).")
    columns = list(items) if items else [c for c in survey.columns if re.fullmatch(ITEM_PATTERN, str(c))]
    missing = [c for c in columns if c not in survey.columns]
    if missing:
        raise AnalysisError(f"Table survey has no column {', '.join(missing)}: list items that exist "
                            f"(it has {', '.join(map(str, survey.columns))}) in params key factors.items.")
    if len(columns) < 3:
        raise AnalysisError(f"Table survey has {len(columns)} item columns ({', '.join(columns) or 'none'}); "
                            "factor analysis needs at least 3: name them q01, q02, ... or list them in params key factors.items.")
    data = pd.DataFrame(index=survey.index)
    for c in columns:
        values = pd.to_numeric(survey[c], errors="coerce")
        bad = values.isna() & survey[c].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise AnalysisError(f"Table survey, column {c}, row {row + 1}: {survey[c].iloc[row]!r} is not a number; "
                                "answers must be numeric scores (recode text answers first).")
        data[c] = values.astype("float64")
    empty = [c for c in columns if data[c].isna().all()]
    if empty:
        raise AnalysisError(f"Table survey, column {', '.join(empty)}: no respondent answered it, so no row is complete; "
                            "leave it out of params key factors.items (or map the right column).")
    answered = data.notna().mean()
    data = data.dropna()
    if len(data) <= len(columns):
        sparse = ", ".join(f"{c} ({answered[c]:.0%} answered)" for c in answered.sort_values().index[:3])
        raise AnalysisError(f"Table survey has {len(data)} complete rows for {len(columns)} items; "
                            f"factor analysis needs more respondents than items. The least answered items: {sparse}.")
    constant = [c for c in columns if data[c].nunique() < 2]
    if constant:
        raise AnalysisError(f"Table survey, column {', '.join(constant)}: every respondent gave the same answer, "
                            "so it carries no information; leave it out of params key factors.items.")
    dependent = dependent_items(data)
    if dependent:
        raise AnalysisError(f"Table survey, columns {', '.join(dependent)}: their answers are linearly dependent (one item "
                            "repeats another, or is a sum of others), so their correlation matrix cannot be inverted; "
                            "leave all but one of them out of params key factors.items.")
    data.columns.name = "item"
    return data


def dependent_items(items: pd.DataFrame) -> list[str]:
    """Items that take part in an exact linear dependence (a duplicated column, an item that is
    the total of others): those weighted in the null space of their correlation matrix."""
    r = np.corrcoef(items.to_numpy(float), rowvar=False)
    values, vectors = np.linalg.eigh(r)
    null = vectors[:, values < 1e-10 * len(r)]
    if not null.shape[1]:
        return []
    return [c for c, w in zip(items.columns, np.abs(null).max(axis=1)) if w > 1e-6]


def _correlation(items: pd.DataFrame) -> np.ndarray:
    return np.corrcoef(items.to_numpy(), rowvar=False)


# --------------------------------------------------------------------------- adequacy
@dataclass(frozen=True)
class Adequacy(Result):
    """Sampling adequacy (Kaiser-Meyer-Olkin) and Bartlett's test of sphericity.

    ``msa``: the KMO measure per item; ``kmo``: overall. ``chi2``, ``df``, ``p_value``: Bartlett's
    test that the correlation matrix is the identity (nothing to factor).
    """

    kmo: float
    msa: pd.Series
    chi2: float
    df: int
    p_value: float
    n: int

    def verdict(self) -> str:
        """Kaiser's (1974) grade of the overall KMO: marvelous, meritorious, middling, mediocre, miserable, unacceptable."""
        for bound, grade in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")):
            if self.kmo >= bound:
                return grade
        return "unacceptable"

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.kmo, self.chi2, self.df, self.p_value, self.n]},
                            index=pd.Index(["kmo", "bartlett_chi2", "bartlett_df", "bartlett_p", "respondents"], name="statistic"))

    def sentences(self, language: str = "en") -> list[str]:
        return [adequacy_sentence(self, language)]

    def metrics(self) -> dict:
        return {"kmo": self.kmo, "bartlett_p": self.p_value}


def adequacy(items: pd.DataFrame) -> Adequacy:
    """KMO and Bartlett's test of the items' correlation matrix (psych ``KMO``, ``cortest.bartlett``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(500, 1))
    >>> items = pd.DataFrame(f + rng.normal(size=(500, 4)), columns=["q1", "q2", "q3", "q4"])
    >>> a = adequacy(items)
    >>> round(a.kmo, 2), a.df, a.p_value < 0.001
    (0.8, 6, True)
    """
    from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

    with warnings.catch_warnings():  # factor_analyzer calls scikit-learn's renamed force_all_finite
        warnings.simplefilter("ignore", FutureWarning)
        msa, kmo = calculate_kmo(items.to_numpy())
        chi2, p = calculate_bartlett_sphericity(items.to_numpy())
    p_items = items.shape[1]
    return Adequacy(float(kmo), pd.Series(msa, index=pd.Index(items.columns, name="item"), name="msa"),
                    float(chi2), p_items * (p_items - 1) // 2, float(p), len(items))


# --------------------------------------------------------------------------- how many factors
@dataclass(frozen=True)
class ParallelAnalysis(Result):
    """Horn's parallel analysis: keep the components whose eigenvalue beats random data's.

    ``eigenvalues``: per component, the observed eigenvalue of the correlation matrix and the
    ``quantile`` of the eigenvalues of as many random normal data sets of the same size.
    ``n_factors``: how many leading components beat random data (psych ``fa.parallel``'s
    ``ncomp``); ``kaiser``: how many eigenvalues exceed 1, for comparison.
    """

    eigenvalues: pd.DataFrame
    n_factors: int
    kaiser: int
    quantile: float

    def summary(self) -> pd.DataFrame:
        return self.eigenvalues

    def sentences(self, language: str = "en") -> list[str]:
        return [count_sentence(self, self.n_factors, language)]

    def metrics(self) -> dict:
        return {"parallel_factors": self.n_factors, "kaiser_factors": self.kaiser}


def parallel_analysis(items: pd.DataFrame, n_iter: int = 100, quantile: float = 0.95,
                      random_state: int | None = 0) -> ParallelAnalysis:
    """Parallel analysis on principal components, as psych ``fa.parallel(fa="pc")`` (95% quantile)."""
    n, p = items.shape
    observed = np.linalg.eigvalsh(_correlation(items))[::-1]
    rng = np.random.default_rng(random_state)
    simulated = np.array([np.linalg.eigvalsh(np.corrcoef(rng.standard_normal((n, p)), rowvar=False))[::-1]
                          for _ in range(n_iter)])
    threshold = np.quantile(simulated, quantile, axis=0)
    below = np.flatnonzero(observed <= threshold)
    frame = pd.DataFrame({"observed": observed, "random": threshold},
                         index=pd.RangeIndex(1, p + 1, name="component"))
    return ParallelAnalysis(frame, int(below[0]) if len(below) else p, int((observed > 1).sum()), quantile)


# --------------------------------------------------------------------------- factor analysis
@dataclass(frozen=True)
class FactorSolution(Result):
    """A fitted factor analysis, factors ordered and signed as psych ``fa`` orders them.

    ``loadings``: the pattern matrix (item x factor). ``phi``: factor correlations (identity for
    an orthogonal rotation). ``items``: per item the communality h2, the uniqueness u2 = 1 - h2
    and Hoffman's complexity. ``variance``: psych's "Vaccounted" table.
    """

    loadings: pd.DataFrame
    phi: pd.DataFrame
    items: pd.DataFrame
    variance: pd.DataFrame
    method: str
    rotation: str
    n: int
    _correlation: np.ndarray
    _means: pd.Series
    _sds: pd.Series

    @property
    def structure(self) -> pd.DataFrame:
        """Item-factor correlations: the pattern times phi."""
        return self.loadings @ self.phi

    def main_factor(self) -> pd.Series:
        """Each item's factor: the one with its largest absolute loading."""
        return self.loadings.abs().idxmax(axis=1).rename("factor")

    def scores(self, items: pd.DataFrame) -> pd.DataFrame:
        """Thurstone regression scores (psych ``factor.scores(method="regression")``), one row per respondent."""
        z = (items[self.loadings.index] - self._means) / self._sds
        weights = np.linalg.solve(self._correlation, self.structure.to_numpy())
        return pd.DataFrame(z.to_numpy() @ weights, index=items.index, columns=self.loadings.columns)

    def items_by_factor(self) -> dict[str, list[str]]:
        """The items of each factor (those whose main factor it is), in item order."""
        main = self.main_factor()
        return {factor: list(main.index[main == factor]) for factor in self.loadings.columns}

    def named(self, factors: dict[str, str] | None = None, items: dict[str, str] | None = None) -> FactorSolution:
        """The same solution with factors called by ``factors`` (F1 -> name) and items labelled by
        ``items`` (q01 -> "q01 question"), for reports (score respondents with the solution as fitted)."""
        f = {k: v for k, v in (factors or {}).items() if k in self.loadings.columns}
        i = {k: f"{k} {v}" for k, v in (items or {}).items() if k in self.loadings.index}
        rename = lambda df: df.rename(index=i, columns=f)  # noqa: E731
        return dataclasses.replace(self, loadings=rename(self.loadings), phi=self.phi.rename(index=f, columns=f),
                                   items=self.items.rename(index=i), variance=self.variance.rename(columns=f))

    def summary(self, cut: float = 0.3) -> pd.DataFrame:
        """Loadings sorted by factor (small ones blank, as ``print.psych(cut=)``), with h2 and u2."""
        main = self.main_factor()
        order = sorted(self.loadings.index, key=lambda i: (list(self.loadings.columns).index(main[i]), -abs(self.loadings.loc[i, main[i]])))
        shown = self.loadings.where(self.loadings.abs() >= cut).loc[order]
        return shown.join(self.items[["h2", "u2"]])

    def sentences(self, language: str = "en") -> list[str]:
        return [loadings_sentence(self, language)]

    def metrics(self) -> dict:
        return {"n_factors": int(self.loadings.shape[1]), "variance_explained": float(self.variance.loc["Cumulative Var"].iloc[-1])}


def _order_and_sign(loadings: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """psych's convention: each factor's loadings sum to a positive number; factors by variance, largest first."""
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    phi = phi * np.outer(signs, signs)
    order = np.argsort(-np.diag(phi @ loadings.T @ loadings), kind="stable")
    return loadings[:, order], phi[np.ix_(order, order)]


def _variance(loadings: np.ndarray, phi: np.ndarray, total: float, names: list[str]) -> pd.DataFrame:
    ss = np.diag(phi @ loadings.T @ loadings)
    rows = {"SS loadings": ss, "Proportion Var": ss / total, "Cumulative Var": np.cumsum(ss) / total,
            "Proportion Explained": ss / ss.sum(), "Cumulative Proportion": np.cumsum(ss) / ss.sum()}
    return pd.DataFrame(rows, index=pd.Index(names, name="factor")).T.rename_axis("statistic")


def factor_analysis(items: pd.DataFrame, n_factors: int, method: str = "minres", rotation: str = "oblimin") -> FactorSolution:
    """Exploratory factor analysis of the items' correlations (psych ``fa``).

    Parameters
    ----------
    items : DataFrame
        Respondents x items, numeric, no missing values (see :func:`survey_items`).
    n_factors : int
        Factors to extract (see :func:`parallel_analysis`).
    method : {"minres", "ml"}
        Minimum residual (psych's default) or maximum likelihood.
    rotation : {"oblimin", "promax", "varimax", "quartimax", "none"}
        Oblique rotations let factors correlate (phi); customers' views of quality, service and
        price usually do, so oblimin (psych's default) is the default here too.
    """
    from factor_analyzer import FactorAnalyzer, Rotator

    if method not in METHODS:
        raise AnalysisError(f"Factor method {method!r} is not known: use one of {', '.join(METHODS)}.")
    if rotation not in ROTATIONS:
        raise AnalysisError(f"Rotation {rotation!r} is not known: use one of {', '.join(ROTATIONS)}.")
    if not 1 <= n_factors < items.shape[1]:
        raise AnalysisError(f"{n_factors} factors cannot be extracted from {items.shape[1]} items: use 1 to {items.shape[1] - 1}.")
    with warnings.catch_warnings():  # factor_analyzer calls scikit-learn's renamed force_all_finite
        warnings.simplefilter("ignore", FutureWarning)
        extracted = FactorAnalyzer(n_factors, rotation=None, method=method).fit(items.to_numpy()).loadings_
    phi = np.eye(n_factors)
    loadings = extracted
    if rotation != "none" and n_factors > 1:
        # GPArotation's oblimin and quartimax work on raw loadings; R's varimax and psych's promax
        # normalize rows first (Kaiser), as psych calls them
        rotator = Rotator(method=rotation, normalize=rotation in ("varimax", "promax"))
        loadings = rotator.fit_transform(extracted)
        if rotation in OBLIQUE:
            phi = rotator.phi_
    loadings, phi = _order_and_sign(loadings, phi)
    h2 = np.einsum("ij,jk,ik->i", loadings, phi, loadings)
    squared = loadings ** 2
    names = [f"F{i + 1}" for i in range(n_factors)]
    index = pd.Index(items.columns, name="item")
    factor_axis = pd.Index(names, name="factor")
    per_item = pd.DataFrame({"h2": h2, "u2": 1 - h2, "complexity": squared.sum(axis=1) ** 2 / (squared ** 2).sum(axis=1)}, index=index)
    return FactorSolution(pd.DataFrame(loadings, index=index, columns=factor_axis),
                          pd.DataFrame(phi, index=factor_axis, columns=factor_axis.rename("with")),
                          per_item, _variance(loadings, phi, items.shape[1], names), method, rotation, len(items),
                          _correlation(items), items.mean(), items.std(ddof=1))


# --------------------------------------------------------------------------- reliability
@dataclass(frozen=True)
class Reliability(Result):
    """Cronbach's alpha of one scale: raw (covariances) and standardized (correlations), and each
    when one item is dropped (psych ``alpha``: ``raw_alpha``, ``std.alpha``, ``alpha.drop``)."""

    alpha: float
    std_alpha: float
    if_dropped: pd.DataFrame
    n_items: int

    def summary(self) -> pd.DataFrame:
        """Alpha (raw and standardized) of the whole scale, then with each item dropped."""
        whole = pd.DataFrame({"alpha": [self.alpha], "std_alpha": [self.std_alpha]}, index=pd.Index(["(all)"], name="item"))
        return pd.concat([whole, self.if_dropped[["alpha", "std_alpha"]].rename_axis("item")])

    def sentences(self, language: str = "en") -> list[str]:
        return [reliability_sentence(pd.DataFrame({"alpha": [self.alpha]}, index=pd.Index([f"{self.n_items} items"])), 0.7, language)]

    def metrics(self) -> dict:
        return {"alpha": self.alpha, "std_alpha": self.std_alpha}


def _alphas(items: pd.DataFrame) -> tuple[float, float]:
    k = items.shape[1]
    cov = np.cov(items.to_numpy(), rowvar=False)
    raw = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    r = _correlation(items)
    mean_r = (r.sum() - k) / (k * (k - 1))
    return float(raw), float(k * mean_r / (1 + (k - 1) * mean_r))


def cronbach_alpha(items: pd.DataFrame) -> Reliability:
    """Cronbach's alpha of items meant to measure one thing (keyed the same way).

    Examples
    --------
    >>> scale = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(cronbach_alpha(scale).alpha, 3)
    0.954
    """
    if items.shape[1] < 2:
        raise AnalysisError(f"Cronbach's alpha needs at least 2 items; got {', '.join(map(str, items.columns))}.")
    raw, std = _alphas(items)
    dropped = {c: _alphas(items.drop(columns=c)) if items.shape[1] > 2 else (np.nan, np.nan) for c in items.columns}
    table = pd.DataFrame(dropped, index=["alpha", "std_alpha"]).T.rename_axis("item dropped")
    return Reliability(raw, std, table, items.shape[1])


def _scales(items: pd.DataFrame, solution: FactorSolution):
    """Per factor: its items (those whose main factor it is), reverse-keyed ones (negative loading)
    flipped on the answer scale, since alpha and scale means assume one direction."""
    for factor, members in solution.items_by_factor().items():
        scale = items[members].copy()
        for item in members:
            if solution.loadings.loc[item, factor] < 0:
                scale[item] = scale[item].max() + scale[item].min() - scale[item]
        yield factor, members, scale


def scale_reliability(items: pd.DataFrame, solution: FactorSolution) -> pd.DataFrame:
    """Cronbach's alpha per factor, over the items whose main factor it is (reverse-keyed items
    with a negative loading are flipped first: alpha assumes one direction)."""
    rows = {}
    for factor, members, scale in _scales(items, solution):
        rel = cronbach_alpha(scale) if len(members) >= 2 else None
        rows[factor] = {"items": ", ".join(members), "n_items": len(members),
                        "alpha": rel.alpha if rel else np.nan, "std_alpha": rel.std_alpha if rel else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("factor")


def scale_scores(items: pd.DataFrame, solution: FactorSolution) -> pd.DataFrame:
    """Each respondent's score on each factor's scale: the mean of its items on the answer scale
    (reverse-keyed items flipped), as survey reports and driver analyses use them; one column per factor."""
    return pd.DataFrame({factor: scale.mean(axis=1) for factor, _, scale in _scales(items, solution)},
                        index=items.index).rename_axis(columns="factor")


# --------------------------------------------------------------------------- principal components
@dataclass(frozen=True)
class Components(Result):
    """Principal components of the items' correlations (psych ``principal``).

    ``loadings``: item x component correlations (eigenvector times the root of its eigenvalue),
    varimax-rotated when asked. ``eigenvalues``: every component's eigenvalue, share and
    cumulative share of the items' total variance.
    """

    loadings: pd.DataFrame
    eigenvalues: pd.DataFrame
    rotation: str

    def summary(self) -> pd.DataFrame:
        return self.loadings

    def sentences(self, language: str = "en") -> list[str]:
        return [components_sentence(self, self.loadings.shape[1], language)]

    def metrics(self) -> dict:
        k = self.loadings.shape[1]
        return {"components": k, "variance_explained": float(self.eigenvalues["cumulative"].iloc[k - 1])}


def principal_components(items: pd.DataFrame, n_components: int, rotation: str = "none") -> Components:
    """PCA of the items' correlation matrix, the first ``n_components`` kept, optionally varimax-rotated."""
    from factor_analyzer import Rotator

    if rotation not in ("none", "varimax"):
        raise AnalysisError(f"Rotation {rotation!r} is not offered for components: use none or varimax.")
    if not 1 <= n_components <= items.shape[1]:
        raise AnalysisError(f"{n_components} components cannot be kept from {items.shape[1]} items: use 1 to {items.shape[1]}.")
    values, vectors = np.linalg.eigh(_correlation(items))
    values, vectors = values[::-1], vectors[:, ::-1]
    loadings = vectors[:, :n_components] * np.sqrt(values[:n_components])
    if rotation == "varimax" and n_components > 1:
        loadings = Rotator(method="varimax", normalize=True).fit_transform(loadings)
    loadings, _ = _order_and_sign(loadings, np.eye(n_components))
    prefix = "RC" if rotation == "varimax" else "PC"
    table = pd.DataFrame({"eigenvalue": values, "proportion": values / len(values), "cumulative": np.cumsum(values) / len(values)},
                         index=pd.RangeIndex(1, len(values) + 1, name="component"))
    return Components(pd.DataFrame(loadings, index=pd.Index(items.columns, name="item"),
                                   columns=pd.Index([f"{prefix}{i + 1}" for i in range(n_components)], name="component")),
                      table, rotation)


# --------------------------------------------------------------------------- findings, in the report language
def adequacy_sentence(a: Adequacy, language: str = "en") -> str:
    """Whether the answers share enough to factor (KMO at least 0.6 and Bartlett's p below 0.05)."""
    key = "fa_adequacy" if a.kmo >= 0.6 and a.p_value < 0.05 else "fa_adequacy_poor"
    return t(key, language, kmo=a.kmo, grade=t("fa_grade_" + a.verdict(), language), chi2=a.chi2, df=a.df, p=p_text(a.p_value), n=a.n)


def count_sentence(pa: ParallelAnalysis, chosen: int, language: str = "en") -> str:
    """How many factors, and why: parallel analysis, or the number set in params."""
    if chosen == pa.n_factors:
        return t("fa_count", language, n=chosen, q=pa.quantile, kaiser=pa.kaiser)
    return t("fa_count_set", language, n=chosen, parallel=pa.n_factors)


def loadings_sentence(solution: FactorSolution, language: str = "en") -> str:
    """Variance explained, the largest factor and, under an oblique rotation, the strongest factor correlation."""
    v = solution.variance
    text = t("fa_loadings", language, n=v.shape[1], share=v.loc["Cumulative Var"].iloc[-1], top=v.columns[0],
             top_share=v.loc["Proportion Var"].iloc[0])
    if solution.rotation in OBLIQUE and v.shape[1] > 1:
        r = solution.phi.where(~np.eye(len(solution.phi), dtype=bool)).abs().stack()
        a, b = r.idxmax()
        text += " " + t("fa_phi", language, r=solution.phi.loc[a, b], a=a, b=b)
    return text


def reliability_sentence(table: pd.DataFrame, minimum: float, language: str = "en") -> str:
    """Whether every scale of :func:`scale_reliability` reaches ``minimum`` alpha, or which do not."""
    alphas = table["alpha"].dropna()
    weak = alphas[alphas < minimum]
    if len(weak):
        return t("fa_alpha_weak", language, minimum=minimum, scales=", ".join(map(str, weak.index)))
    return t("fa_alpha", language, minimum=minimum, lowest=alphas.idxmin(), alpha=alphas.min())


def components_sentence(pcs: Components, k: int, language: str = "en") -> str:
    return t("fa_pca", language, k=k, share=pcs.eigenvalues["cumulative"].iloc[k - 1], items=len(pcs.eigenvalues))
