"""Driver analysis: what moves an outcome (satisfaction, loyalty) and by how much.

Ordinary least squares by statsmodels (checked against NIST StRD's certified Longley results in
tests/analyses/test_regression.py), with standardized coefficients, variance inflation factors, and
relative importance by LMG (Lindeman, Merenda & Gold 1980; R relaimpo's ``lmg``): each
predictor's share of R², averaged over every order in which the predictors can enter the model.
Unlike the coefficients, LMG shares add up to R² and stay meaningful when drivers correlate, as
customers' views of quality, service and price do.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from ...report import Result
from ...errors import AnalysisError
from ...i18n import t

MAX_LMG_PREDICTORS = 15  # LMG fits every subset of predictors: 2^15 = 32,768 regressions on the correlation matrix


@dataclass(frozen=True)
class DriverModel(Result):
    """An outcome regressed on its drivers.

    ``coefficients``: per term the estimate, its standard error (heteroscedasticity-robust HC3
    unless ``robust=False``), t, p and 95% interval, and the standardized coefficient (beta).
    ``importance``: per driver its LMG share of R² and of the explained variance, largest first.
    ``vif``: variance inflation per driver (above 5 to 10, drivers overlap too much to separate).
    """

    outcome: str
    coefficients: pd.DataFrame
    importance: pd.DataFrame
    vif: pd.Series
    r2: float
    adj_r2: float
    f_p_value: float
    n: int
    robust: bool

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.r2, self.adj_r2, self.f_p_value, self.n]},
                            index=pd.Index(["r2", "adj_r2", "f_p_value", "respondents"], name="statistic"))

    def sentences(self, language: str = "en") -> list[str]:
        return [drivers_sentence(self, language)]

    def metrics(self) -> dict:
        return {f"{self.outcome}_drivers": self.importance["explained_share"].round(4).to_dict(), f"{self.outcome}_r2": self.r2}


def _r2_from_correlations(corr: np.ndarray, subset: tuple[int, ...]) -> float:
    """R² of regressing variable 0 on ``subset`` (indices >= 1), from the correlation matrix."""
    if not subset:
        return 0.0
    s = list(subset)
    r_xy = corr[s, 0]
    return float(r_xy @ np.linalg.solve(corr[np.ix_(s, s)], r_xy))


def lmg(data: pd.DataFrame, outcome: str, predictors: list[str]) -> pd.Series:
    """LMG relative importance: each predictor's R² increment averaged over all orderings.

    Parameters
    ----------
    data : DataFrame
        Complete rows with ``outcome`` and ``predictors``.

    Returns
    -------
    Series
        One value per predictor; they add up to the full model's R².

    Examples
    --------
    With uncorrelated predictors each gets its own squared correlation:

    >>> x = pd.DataFrame({"a": [1, -1, 1, -1], "b": [1, 1, -1, -1]})
    >>> x["y"] = 2 * x["a"] + x["b"]
    >>> lmg(x, "y", ["a", "b"]).round(3).tolist()
    [0.8, 0.2]
    """
    p = len(predictors)
    if p > MAX_LMG_PREDICTORS:
        raise AnalysisError(f"LMG importance fits every subset of the drivers; {p} drivers are more than "
                            f"{MAX_LMG_PREDICTORS}: combine items into scales first.")
    corr = np.corrcoef(data[[outcome, *predictors]].to_numpy(dtype="float64"), rowvar=False)
    r2 = {s: _r2_from_correlations(corr, s) for k in range(p + 1) for s in combinations(range(1, p + 1), k)}
    shares = []
    for j in range(1, p + 1):
        others = [i for i in range(1, p + 1) if i != j]
        total = 0.0
        for k in range(p):
            weight = factorial(k) * factorial(p - k - 1) / factorial(p)  # share of orderings in which j enters after these k
            total += weight * sum(r2[tuple(sorted((*s, j)))] - r2[s] for s in combinations(others, k))
        shares.append(total)
    return pd.Series(shares, index=pd.Index(predictors, name="driver"), name="lmg")


def driver_analysis(data: pd.DataFrame, outcome: str, predictors: list[str], robust: bool = True) -> DriverModel:
    """Regress ``outcome`` on ``predictors`` (complete rows); coefficients, betas, VIF and LMG importance.

    Raises
    ------
    AnalysisError
        When a column is missing or not numeric, or there are too few complete rows.
    """
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    missing = [c for c in (outcome, *predictors) if c not in data.columns]
    if missing:
        raise AnalysisError(f"Driver analysis: no column {', '.join(missing)} in the data (it has {', '.join(map(str, data.columns))}).")
    frame = data[[outcome, *predictors]].apply(pd.to_numeric, errors="coerce").astype("float64").dropna()
    if len(frame) <= len(predictors) + 1:
        raise AnalysisError(f"Driver analysis of {outcome}: {len(frame)} complete rows for {len(predictors)} drivers; "
                            "it needs more rows than drivers plus one.")
    X = sm.add_constant(frame[predictors])
    fit = sm.OLS(frame[outcome], X).fit(cov_type="HC3" if robust else "nonrobust")
    ci = fit.conf_int()
    sd = frame.std(ddof=1)
    beta = pd.Series({c: fit.params[c] * sd[c] / sd[outcome] for c in predictors})
    coefficients = pd.DataFrame({"estimate": fit.params, "std_error": fit.bse, "t": fit.tvalues, "p_value": fit.pvalues,
                                 "ci_low": ci[0], "ci_high": ci[1], "beta": beta}).loc[fit.params.index].rename_axis("term")
    shares = lmg(frame, outcome, predictors)
    importance = pd.DataFrame({"lmg": shares, "explained_share": shares / shares.sum()}).sort_values("lmg", ascending=False)
    vif = pd.Series([variance_inflation_factor(X.to_numpy(), i) for i in range(1, X.shape[1])],
                    index=pd.Index(predictors, name="driver"), name="vif")
    return DriverModel(outcome, coefficients, importance, vif, float(fit.rsquared), float(fit.rsquared_adj),
                       float(fit.f_pvalue), int(fit.nobs), robust)


def drivers_sentence(model: DriverModel, language: str = "en", outcome_label: str | None = None) -> str:
    """How much the drivers explain, and which matters most (LMG)."""
    top = model.importance.index[0]
    return t("rg_drivers", language, k=len(model.importance), outcome=outcome_label or model.outcome, r2=model.r2, n=model.n, top=top,
             share=model.importance["explained_share"].iloc[0], last=model.importance.index[-1],
             last_share=model.importance["explained_share"].iloc[-1])
