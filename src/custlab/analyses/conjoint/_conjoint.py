"""Conjoint analysis: what customers trade off between the attributes of an offer.

Two kinds of task, as the ``conjoint_responses`` table holds them (column ``kind``):

- **rating** (traditional conjoint): each respondent rates profiles; an OLS regression per
  respondent on effects-coded levels gives individual part-worths (each attribute's levels sum to
  zero), whose average is the market's, and whose range per attribute, as a share of the sum of
  ranges, is the attribute's importance (averaged over respondents, as SPSS Conjoint and Sawtooth
  report it).
- **choice** (choice-based conjoint): each respondent picks one of several profiles per task; a
  conditional (multinomial) logit by maximum likelihood (statsmodels' ``ConditionalLogit``,
  checked against R survival's ``clogit`` in tests/analyses/test_conjoint.py, the model mlogit fits
  without alternative-specific constants) gives part-worths with standard errors. With a numeric
  price entered linearly, a level's willingness to pay is its part-worth over the price
  coefficient.

A market simulator turns either model into shares of preference for products described by their
levels (the logit rule for the choice model, first choice per respondent for ratings), and
customers with alike individual part-worths are grouped into preference classes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...report import Result
from ...errors import AnalysisError
from ._clogit import conditional_logit
from ...i18n import t

DESIGN_COLUMNS = ("profile_id", "in_rating_design")  # design columns that are not attributes
SEP = "|"  # coded column names: "<attribute>|<level>"


# --------------------------------------------------------------------------- design and coding
def attribute_levels(design: pd.DataFrame, attributes: list[str] | None = None) -> dict[str, list]:
    """Each attribute's levels: numbers ascending, text in the order the design first shows it.

    The last level of each attribute is the one effects coding leaves out (its part-worth is
    minus the sum of the others').
    """
    columns = list(attributes) if attributes else [c for c in design.columns if c not in DESIGN_COLUMNS]
    missing = [c for c in columns if c not in design.columns]
    if missing:
        raise AnalysisError(f"Table conjoint_design has no column {', '.join(missing)}: list attributes it has "
                            f"({', '.join(c for c in design.columns if c not in DESIGN_COLUMNS)}) under conjoint.attributes.")
    levels = {}
    for c in columns:
        values = design[c].dropna()
        levels[c] = sorted(values.unique().tolist()) if pd.api.types.is_numeric_dtype(values) else list(pd.unique(values))
        if len(levels[c]) < 2:
            raise AnalysisError(f"Attribute {c} of table conjoint_design has {len(levels[c])} level, so it cannot be traded "
                                f"off: leave it out of conjoint.attributes.")
    return levels


def effects_coded(profiles: pd.DataFrame, levels: dict[str, list], linear: str | None = None) -> pd.DataFrame:
    """Profiles as the regression sees them: per attribute, one column per level but the last
    (1 for that level, -1 for the last level, 0 otherwise); ``linear`` enters as its number."""
    columns = {}
    for attribute, lv in levels.items():
        value = profiles[attribute]
        if attribute == linear:
            columns[attribute] = value.astype(float)
            continue
        unknown = sorted(set(value.dropna()) - set(lv), key=str)
        if unknown:
            raise AnalysisError(f"Attribute {attribute} has level {unknown[0]!r}, which is not among {', '.join(map(str, lv))}.")
        last = (value == lv[-1]).astype(float)
        for level in lv[:-1]:
            columns[f"{attribute}{SEP}{level}"] = (value == level).astype(float) - last
    return pd.DataFrame(columns, index=profiles.index)


def confounded_attributes(x: pd.DataFrame, levels: dict[str, list], constant: bool = False) -> list[str]:
    """Attributes whose effects the profiles cannot tell apart (one attribute a copy or a function
    of others, price2 = 2 x price): those whose columns take part in a linear dependence of the
    coded design ``x``; empty when every part-worth is estimable. With ``constant`` an intercept
    is part of the model, so an attribute that never varies with the others is confounded with it."""
    m = x.to_numpy(float)
    if constant:
        m = np.column_stack([np.ones(len(m)), m])
    if not len(m):
        return []
    _, sv, vt = np.linalg.svd(m, full_matrices=False)
    tol = sv.max() * max(m.shape) * np.finfo(float).eps * 1e3
    null = vt[sv <= tol]
    if not len(null):
        return []
    offset = 1 if constant else 0
    weight = np.abs(null).max(axis=0)[offset:]
    owner = [c.split(SEP)[0] for c in x.columns]
    involved = {owner[j] for j in np.flatnonzero(weight > 1e-6)}
    return [a for a in levels if a in involved]


def _require_estimable(x: pd.DataFrame, levels: dict[str, list], what: str, constant: bool = False) -> None:
    confounded = confounded_attributes(x, levels, constant)
    if confounded:
        raise AnalysisError(f"The {what} cannot tell the effects of {', '.join(confounded)} apart: in the profiles shown, "
                            "their levels move together (one attribute repeats or is a function of another). Leave one of "
                            "them out of conjoint.attributes, or use a design that varies them independently.")


def expansion(levels: dict[str, list], terms: list[str]) -> pd.DataFrame:
    """The matrix that turns coded coefficients (columns ``terms``) into every level's part-worth
    (rows (attribute, level)): 1 for a coded level, -1 on each of its attribute's coded terms for the
    left-out last level. Attributes entered as a number have no rows."""
    rows, index = [], []
    for attribute, lv in levels.items():
        names = [f"{attribute}{SEP}{level}" for level in lv[:-1]]
        if names[0] not in terms:
            continue
        for level, name in zip(lv, [*names, None]):
            row = pd.Series(0.0, index=terms)
            row[names if name is None else [name]] = -1.0 if name is None else 1.0
            rows.append(row)
            index.append((attribute, level))
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["attribute", "level"]))


def _ranges(part_worths: pd.DataFrame) -> pd.DataFrame:
    """Each attribute's range of part-worths (rows (attribute, level); one column per respondent or class)."""
    return part_worths.groupby(level="attribute", sort=False).agg(lambda s: s.max() - s.min())


def importance_of(part_worths: pd.Series) -> pd.Series:
    """Each attribute's range of part-worths as a share of the sum of ranges."""
    ranges = _ranges(part_worths.to_frame()).iloc[:, 0]
    return (ranges / ranges.sum()).rename("importance")


def _responses(design: pd.DataFrame, responses: pd.DataFrame, kind: str, levels: dict[str, list]) -> pd.DataFrame:
    """Responses of one ``kind`` with their profiles' levels."""
    rows = responses.loc[responses["kind"] == kind] if "kind" in responses else responses
    if rows.empty:
        raise AnalysisError(f"Table conjoint_responses has no {kind} tasks (column kind = '{kind}').")
    unknown = ~rows["profile_id"].isin(design["profile_id"])
    if unknown.any():
        first = rows.index[unknown.to_numpy()][0]
        raise AnalysisError(f"Table conjoint_responses row {first} names profile_id {rows.loc[first, 'profile_id']}, which "
                            f"table conjoint_design does not have: fix the profile or add it to the design.")
    return rows.merge(design[["profile_id", *levels]], on="profile_id", how="left", validate="many_to_one")


def _check_products(products: dict[str, dict], levels: dict[str, list], linear: str | None) -> pd.DataFrame:
    """Simulator products as a table of levels, every attribute set to a level the design has."""
    table = pd.DataFrame.from_dict(products, orient="index")
    for name, spec in products.items():
        for attribute, lv in levels.items():
            if attribute not in spec:
                raise AnalysisError(f"Product {name!r} of conjoint.products does not set {attribute}: give every product "
                                    f"a level of each attribute ({', '.join(levels)}).")
            value = spec[attribute]
            ok = (min(lv) <= value <= max(lv)) if attribute == linear and isinstance(value, (int, float)) else value in lv
            if not ok:
                allowed = f"a number from {min(lv)} to {max(lv)}" if attribute == linear else ", ".join(map(str, lv))
                raise AnalysisError(f"Product {name!r} of conjoint.products sets {attribute} to {value!r}; the design's "
                                    f"levels are {allowed}.")
    return table[list(levels)]


# --------------------------------------------------------------------------- ratings
@dataclass(frozen=True)
class RatingConjoint(Result):
    """Individual part-worths from rating tasks.

    ``individual``: respondent x (attribute, level) part-worths; ``intercept`` and ``r2``: each
    respondent's regression constant and fit; ``skipped``: respondents with fewer ratings than
    parameters, left out.
    """

    individual: pd.DataFrame
    intercept: pd.Series
    r2: pd.Series
    levels: dict
    skipped: list

    @property
    def part_worths(self) -> pd.DataFrame:
        """The respondents' mean part-worth of every level."""
        return self.individual.mean().rename("part_worth").to_frame()

    @property
    def importance(self) -> pd.Series:
        """Each attribute's importance, computed per respondent and averaged."""
        ranges = _ranges(self.individual.T)
        return (ranges / ranges.sum()).mean(axis=1).rename("importance").rename_axis("attribute")

    def utilities(self, products: dict[str, dict]) -> pd.DataFrame:
        """Respondent x product utilities (without the constant)."""
        table = _check_products(products, self.levels, None)
        has = pd.DataFrame({(a, lv): table[a] == lv for a, levels in self.levels.items() for lv in levels}).astype(float)
        return self.individual @ has[self.individual.columns].T

    def shares(self, products: dict[str, dict]) -> pd.Series:
        """Shares of preference by first choice: each respondent takes the product they rate
        highest (ties split evenly)."""
        u = self.utilities(products)
        best = u.eq(u.max(axis=1), axis=0)
        return best.div(best.sum(axis=1), axis=0).mean().rename("share").rename_axis("offer")

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [len(self.individual), float(self.r2.median()), len(self.skipped)]},
                            index=pd.Index(["respondents", "median_r2", "skipped"], name="statistic"))

    def sentences(self, language: str = "en") -> list[str]:
        return [ratings_sentence(self, {}, language)]

    def metrics(self) -> dict:
        return {"rating_importance": self.importance.round(4).to_dict()}


def rating_conjoint(design: pd.DataFrame, responses: pd.DataFrame, attributes: list[str] | None = None) -> RatingConjoint:
    """Part-worths per respondent from rating tasks (OLS on effects-coded levels).

    Parameters
    ----------
    design : DataFrame
        ``conjoint_design``: profile_id and one column per attribute.
    responses : DataFrame
        ``conjoint_responses``: respondent_id, kind ("rating"), profile_id and rating.
    attributes : list of str, optional
        Attributes to estimate; by default every design column but profile_id.
    """
    levels = attribute_levels(design, attributes)
    data = _responses(design, responses, "rating", levels).dropna(subset=["rating"])
    x = effects_coded(data, levels)
    _require_estimable(x, levels, "rating tasks", constant=True)
    x.insert(0, "const", 1.0)
    coded, intercepts, r2, skipped = {}, {}, {}, []
    for respondent, rows in data.groupby("respondent_id", sort=True).groups.items():
        xr, yr = x.loc[rows].to_numpy(), data.loc[rows, "rating"].to_numpy(float)
        if len(yr) <= xr.shape[1] or np.linalg.matrix_rank(xr) < xr.shape[1]:
            skipped.append(respondent)
            continue
        beta, *_ = np.linalg.lstsq(xr, yr, rcond=None)
        resid = yr - xr @ beta
        total = ((yr - yr.mean()) ** 2).sum()
        coded[respondent] = pd.Series(beta[1:], index=x.columns[1:])
        intercepts[respondent] = beta[0]
        r2[respondent] = 1 - (resid ** 2).sum() / total if total > 0 else np.nan
    if not coded:
        raise AnalysisError(f"No respondent rated more profiles than the {x.shape[1]} parameters of the design's "
                            f"{len(levels)} attributes (or the profiles they rated do not vary every attribute): a rating "
                            f"conjoint needs at least {x.shape[1] + 1} varied profiles per respondent.")
    coded = pd.DataFrame(coded).T
    individual = coded @ expansion(levels, list(coded.columns)).T
    individual.index.name = "respondent_id"
    return RatingConjoint(individual, pd.Series(intercepts, name="intercept"), pd.Series(r2, name="r2"), levels, skipped)


# --------------------------------------------------------------------------- choices


@dataclass(frozen=True)
class ChoiceModel(Result):
    """A conditional logit of choice tasks.

    ``coefficients``: per coded term the estimate, standard error, z and p. ``part_worths``: every
    level's part-worth with its standard error (the left-out level's from the covariance).
    ``price``: the attribute entered as a number (None: every attribute effects-coded).
    """

    coefficients: pd.DataFrame
    part_worths: pd.DataFrame
    levels: dict
    price: str | None
    loglik: float
    loglik_null: float
    tasks: int
    respondents: int
    hit_rate: float

    @property
    def mcfadden_r2(self) -> float:
        return 1 - self.loglik / self.loglik_null

    @property
    def importance(self) -> pd.Series:
        """Each attribute's range of utility as a share of the sum of ranges (price over its range)."""
        worths = self.part_worths["part_worth"]
        if self.price:
            lv = self.levels[self.price]
            beta = self.coefficients.loc[self.price, "estimate"]
            extra = pd.Series([beta * min(lv), beta * max(lv)],
                              index=pd.MultiIndex.from_tuples([(self.price, min(lv)), (self.price, max(lv))], names=["attribute", "level"]))
            worths = pd.concat([extra, worths])
        order = [a for a in self.levels if a in worths.index.get_level_values("attribute")]
        return importance_of(worths).reindex(order)

    def wtp(self) -> pd.DataFrame:
        """Willingness to pay, in price units: what customers would pay for each level over
        their attribute's least-liked one (its part-worth difference over minus the price coefficient)."""
        if not self.price:
            raise AnalysisError("Willingness to pay needs a numeric price attribute entered as a number: set conjoint.price.")
        beta = self.coefficients.loc[self.price, "estimate"]
        worths = self.part_worths["part_worth"]
        gain = worths - worths.groupby(level="attribute").transform("min")
        return (gain / -beta).rename("wtp").to_frame()

    def utilities(self, products: dict[str, dict]) -> pd.Series:
        table = _check_products(products, self.levels, self.price)
        estimate = self.coefficients["estimate"]
        return (effects_coded(table, self.levels, linear=self.price)[estimate.index] @ estimate).rename("utility")

    def shares(self, products: dict[str, dict]) -> pd.Series:
        """Shares of preference by the logit rule: exp(utility) over the sum across products."""
        u = self.utilities(products)
        e = np.exp(u - u.max())
        return (e / e.sum()).rename("share").rename_axis("offer")

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.respondents, self.tasks, self.loglik, self.loglik_null, self.mcfadden_r2, self.hit_rate]},
                            index=pd.Index(["respondents", "tasks", "loglik", "loglik_null", "mcfadden_r2", "hit_rate"], name="statistic"))

    def sentences(self, language: str = "en") -> list[str]:
        return [importance_sentence(self, {}, language)]

    def metrics(self) -> dict:
        return {"choice_importance": self.importance.round(4).to_dict(), "mcfadden_r2": self.mcfadden_r2}


def choice_conjoint(design: pd.DataFrame, responses: pd.DataFrame, attributes: list[str] | None = None,
                    price: str | None = None) -> ChoiceModel:
    """A conditional logit of the choice tasks on effects-coded levels.

    Parameters
    ----------
    design, responses : DataFrame
        ``conjoint_design`` and ``conjoint_responses`` (respondent_id, kind "choice", task,
        profile_id, chosen 1/0).
    attributes : list of str, optional
        Attributes in the model; by default every design column but profile_id.
    price : str, optional
        A numeric attribute entered as a number, for willingness to pay.
    """
    levels = attribute_levels(design, attributes)
    if price is not None and (price not in levels or not all(isinstance(v, (int, float)) for v in levels[price])):
        raise AnalysisError(f"conjoint.price is {price!r}, which is not a numeric attribute of conjoint_design; name one "
                            f"of {', '.join(a for a, v in levels.items() if all(isinstance(x, (int, float)) for x in v)) or 'none'}, or set it to null.")
    data = _responses(design, responses, "choice", levels).dropna(subset=["chosen"])
    tasks = data["respondent_id"].astype(str) + "/" + data["task"].astype(str)
    x = effects_coded(data, levels, linear=price)
    _require_estimable(x, levels, "choice tasks")
    fit = conditional_logit(x, data["chosen"], tasks)
    params, cov = pd.Series(fit.params, index=x.columns), pd.DataFrame(fit.cov_params(), index=x.columns, columns=x.columns)
    se = np.sqrt(np.diag(cov))
    z = params / se
    coefficients = pd.DataFrame({"estimate": params, "std_error": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z))})
    coefficients.index.name = "term"
    utility = pd.Series(x.to_numpy() @ params.to_numpy(), index=data.index)
    best = utility.groupby(tasks).transform("max") == utility
    hits = (data["chosen"] == 1) & best
    alternatives = tasks.value_counts()
    expand = expansion(levels, list(x.columns))
    worths = pd.DataFrame({"part_worth": expand @ params, "std_error": np.sqrt(np.diag(expand @ cov @ expand.T))})
    return ChoiceModel(coefficients, worths, levels, price, float(fit.llf),
                       float(-np.log(alternatives).sum()), len(alternatives), data["respondent_id"].nunique(),
                       float(hits.groupby(tasks).any().mean()))


# --------------------------------------------------------------------------- preference classes


# --------------------------------------------------------------------------- report helpers
def task_kinds(responses: pd.DataFrame) -> set[str]:
    """The kinds of task the responses hold: "rating" and/or "choice" (by column ``kind``, or by
    which of ``rating`` and ``chosen`` has values)."""
    if "kind" in responses:
        return set(responses["kind"].dropna().unique()) & {"rating", "choice"}
    return {kind for kind, col in (("rating", "rating"), ("choice", "chosen")) if col in responses and responses[col].notna().any()}


def levels_table(levels: dict[str, list], names: dict[str, str], language: str = "en") -> pd.DataFrame:
    """One row per attribute: its levels, as the report names the attribute."""
    sep = ", " if language == "en" else "、"
    table = pd.DataFrame({"levels": [sep.join(map(str, v)) for v in levels.values()]},
                         index=pd.Index([names.get(a, a) for a in levels], name="attribute"))
    return table


def named(df: pd.DataFrame | pd.Series, names: dict[str, str]):
    """``df`` with its attribute index level (or index) in the report's names."""
    if isinstance(df.index, pd.MultiIndex):
        return df.rename(index=names, level="attribute")
    return df.rename(index=names)


def importance_sentence(model: ChoiceModel, names: dict[str, str], language: str = "en") -> str:
    imp = model.importance.sort_values(ascending=False)
    name = [names.get(a, a) for a in imp.index]
    return t("cj_importance", language, tasks=model.tasks, top=name[0], share=imp.iloc[0], second=name[1],
             second_share=imp.iloc[1], last=name[-1], last_share=imp.iloc[-1], hit=model.hit_rate, r2=model.mcfadden_r2)


def wtp_sentence(model: ChoiceModel, names: dict[str, str], unit: str, language: str = "en") -> str:
    wtp = model.wtp()["wtp"]
    attribute, level = wtp.idxmax()
    worst = wtp.xs(attribute, level="attribute").idxmin()
    return t("cj_wtp", language, wtp=wtp.max(), unit=unit, level=level, attribute=names.get(attribute, attribute),
             worst=worst, per=-model.coefficients.loc[model.price, "estimate"])


def ratings_sentence(rating: RatingConjoint, names: dict[str, str], language: str = "en") -> str:
    imp = rating.importance
    return t("cj_ratings", language, top=names.get(imp.idxmax(), imp.idxmax()), share=imp.max(), r2=float(rating.r2.median()))


def simulation(model: ChoiceModel | None, rating: RatingConjoint | None, products: dict[str, dict]) -> pd.DataFrame:
    """The market simulator's table: per offer its utility and logit share (choice model) and its
    share of respondents rating it first (rating model), largest share first."""
    columns = {}
    if model is not None:
        columns["utility"] = model.utilities(products)
        columns["share"] = model.shares(products)
    if rating is not None:
        columns["first_choice"] = rating.shares(products)
    table = pd.DataFrame(columns)
    table.index.name = "offer"
    return table.sort_values(table.columns[-1 if model is None else 1], ascending=False)


def shares_sentence(table: pd.DataFrame, language: str = "en") -> str:
    """The offer that wins: by the logit rule, first choices, or both (as the table has them)."""
    top = table.index[0]
    key = "cj_shares" if {"share", "first_choice"} <= set(table) else "cj_shares_choice" if "share" in table else "cj_shares_rating"
    return t(key, language, top=top, share=table.loc[top].get("share"), first=table.loc[top].get("first_choice"))
