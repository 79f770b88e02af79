"""Prospect scoring and cross-sell: which companies that are not customers yet look like key
accounts, and what each customer is likely to buy next.

A logistic regression (scikit-learn) learns, from the customers, how a company's firmographics
(size class, industry, region, employees, revenue, age) go with being a key account (the top
share of customers by revenue); its out-of-fold predictions give the cross-validated AUC and the
lift table by decile, and the model fitted to every customer scores the prospects. Cross-sell
comes from association rules between product categories over customers' purchases (support,
confidence and lift of "bought A, so also B"), as market-basket analysis defines them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from ...report import Result
from ...data.engine import frame, relation, scalar
from ...errors import AnalysisError
from ...i18n import t
from ...report import atomic_write, csv_bytes

CATEGORICAL = ("size_class", "industry", "region")
NUMERIC = ("employees", "annual_revenue", "age_years")  # on a log scale, missing as the median with a flag


# --------------------------------------------------------------------------- features and target
def firmographic_columns(companies: pd.DataFrame) -> list[str]:
    """The columns of ``companies`` the model can learn from."""
    return [c for c in (*CATEGORICAL, "employees", "annual_revenue", "registered_date") if c in companies]


def firmographics(companies: pd.DataFrame, key: str, as_of) -> pd.DataFrame:
    """The features the model sees, one row per company (index ``key``): size class, industry
    and region as given (missing as "unknown"), and log employees, log revenue and log age in
    years (missing left as NaN for the model's imputer)."""
    out = pd.DataFrame(index=pd.Index(companies[key], name=key))
    for col in CATEGORICAL:
        if col in companies:
            out[col] = companies[col].astype("string").fillna("unknown").to_numpy(dtype=object)
    for col in ("employees", "annual_revenue"):
        if col in companies:
            out[col] = np.log1p(pd.to_numeric(companies[col], errors="coerce").clip(lower=0).to_numpy(dtype=float))
    if "registered_date" in companies:
        from ..value import analysis_date

        age = (analysis_date(None, as_of) - pd.to_datetime(companies["registered_date"])).dt.days / 365.25
        out["age_years"] = np.log1p(age.clip(lower=0).to_numpy(dtype=float))
    if not firmographic_columns(companies):
        raise AnalysisError(f"The companies have none of the columns the model needs ({', '.join(CATEGORICAL + NUMERIC[:2])}, "
                            f"registered_date): map them under columns in params/base.yaml.")
    return out


def with_size_class(companies: pd.DataFrame, cleaning_settings) -> pd.DataFrame:
    """``companies`` with the size class the cleaning gives customers (from employees and annual
    revenue, by ``cleaning_settings.size_classes``), unless they have one or lack both columns."""
    from ...data.cleaning import size_class

    if "size_class" in companies or not {"employees", "annual_revenue"} <= set(companies):
        return companies
    return companies.assign(size_class=size_class(companies["employees"], companies["annual_revenue"],
                                                  cleaning_settings.size_classes, cleaning_settings.unknown_label))


def key_accounts(orders, as_of, months: int = 24, share: float = 0.2) -> pd.Series:
    """Whether each customer who ordered in the ``months`` up to ``as_of`` is a key account: in
    the top ``share`` of customers by revenue (ties by customer id, as :func:`custlab.analyses.value.value_tiers`).
    ``orders``: a frame or an Ibis table; the engine sums the revenue per customer."""
    from ..value import analysis_date, value_tiers

    o = relation(orders)
    end = analysis_date(orders, as_of)
    start = end - pd.DateOffset(months=months)
    window = o.filter((o.order_date > start.to_pydatetime()) & (o.order_date <= end.to_pydatetime()))
    revenue = frame(window.group_by("customer_id").aggregate(amount=window.amount.sum())).set_index("customer_id")["amount"]
    tiers = value_tiers(revenue.astype(float).sort_index(), (share, 0.0))
    return (tiers["tier"] == "high").rename("key_account").sort_index()


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class PropensityModel(Result):
    """A key-account propensity model and how well it separates.

    ``auc``: cross-validated area under the ROC curve; ``lift``: per decile of out-of-fold score
    (1 = highest) the companies, key accounts, their rate, the lift over the base rate and the
    cumulative share of key accounts captured; ``coefficients``: per (one-hot or standardized)
    feature the logistic coefficient; ``pipeline``: the scikit-learn model fitted to every customer.
    """

    auc: float
    lift: pd.DataFrame
    coefficients: pd.Series
    base_rate: float
    n: int
    pipeline: object

    def score(self, features: pd.DataFrame) -> pd.Series:
        """Each company's probability of being a key account."""
        missing = [c for c in self.pipeline.feature_names_in_ if c not in features]
        if missing:
            raise AnalysisError(f"The prospects lack {', '.join(missing)}, which the model was trained on: add the column to "
                                f"table prospects, or map it under columns in params/base.yaml.")
        p = self.pipeline.predict_proba(features[list(self.pipeline.feature_names_in_)])[:, 1]
        return pd.Series(p, index=features.index, name="propensity")

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.n, self.base_rate, self.auc]},
                            index=pd.Index(["customers", "base_rate", "auc"], name="statistic"))

    def metrics(self) -> dict:
        return {"auc": self.auc, "base_rate": self.base_rate}


def _pipeline(features: pd.DataFrame, random_state: int):
    from sklearn.impute import SimpleImputer

    categorical = [c for c in features.columns if c in CATEGORICAL]
    numeric = [c for c in features.columns if c not in CATEGORICAL]
    prepare = ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
         ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric)],
        verbose_feature_names_out=False)
    return make_pipeline(prepare, LogisticRegression(max_iter=1000, random_state=random_state))


def lift_table(score: pd.Series, target: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Companies per decile of ``score`` (1 = the highest scores), with the key-account rate,
    its lift over the base rate and the cumulative share of key accounts captured.

    Examples
    --------
    >>> s = pd.Series(np.arange(10.0)); y = pd.Series([0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    >>> lift_table(s, y, bins=5)[["key_accounts", "lift", "captured"]].round(2).to_dict("list")
    {'key_accounts': [2, 1, 0, 0, 0], 'lift': [3.33, 1.67, 0.0, 0.0, 0.0], 'captured': [0.67, 1.0, 1.0, 1.0, 1.0]}
    """
    rank = score.rank(method="first", ascending=False)
    decile = np.ceil(rank / len(score) * bins).astype(int).clip(1, bins)
    table = pd.DataFrame({"companies": target.groupby(decile).size(), "key_accounts": target.groupby(decile).sum().astype(int)})
    table["rate"] = table["key_accounts"] / table["companies"]
    table["lift"] = table["rate"] / target.mean()
    table["captured"] = table["key_accounts"].cumsum() / target.sum()
    table.index.name = "decile"
    return table


def propensity_model(features: pd.DataFrame, target: pd.Series, folds: int = 5, random_state: int = 0) -> PropensityModel:
    """Fit the key-account propensity model and measure it by ``folds``-fold cross-validation.

    Parameters
    ----------
    features : DataFrame
        :func:`firmographics` of the customers.
    target : Series of bool
        :func:`key_accounts`, aligned on the same index (customers without orders are not in it).
    """
    data = features.join(target.rename("_target"), how="inner")
    y = data.pop("_target").astype(int)
    if y.sum() < folds or (len(y) - y.sum()) < folds:
        raise AnalysisError(f"{int(y.sum())} key accounts among {len(y)} customers with orders: the propensity model needs at "
                            f"least {folds} of each to cross-validate.")
    model = _pipeline(data, random_state)
    cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    oof = pd.Series(cross_val_predict(model, data, y, cv=cv, method="predict_proba")[:, 1], index=data.index)
    model.fit(data, y)
    coefficients = pd.Series(model[-1].coef_[0], index=model[0].get_feature_names_out(), name="coefficient")
    coefficients.index.name = "feature"
    return PropensityModel(float(roc_auc_score(y, oof)), lift_table(oof, y), coefficients, float(y.mean()), len(y), model)


class PropensityScorer(BaseEstimator):
    """:func:`propensity_model` as a scikit-learn estimator: ``__init__`` stores, :meth:`fit` learns
    ``auc_`` (cross-validated), ``lift_``, ``coefficients_``, ``base_rate_`` and ``result_``;
    :meth:`predict_proba` scores companies (prospects) by their firmographics."""

    def __init__(self, folds: int = 5, random_state: int = 0):
        self.folds = folds
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, target: pd.Series) -> "PropensityScorer":
        self.result_ = propensity_model(features, target, self.folds, self.random_state)
        self.auc_, self.lift_ = self.result_.auc, self.result_.lift
        self.coefficients_, self.base_rate_ = self.result_.coefficients, self.result_.base_rate
        return self

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """The propensity of each company to become a key account (:meth:`PropensityModel.score`)."""
        check_is_fitted(self, "result_")
        return self.result_.score(features)


def top_prospects(prospects: pd.DataFrame, scores: pd.Series, n: int = 20,
                  columns: tuple[str, ...] = ("name", "industry", "region", "employees", "annual_revenue")) -> pd.DataFrame:
    """The ``n`` prospects most likely to become key accounts, with their firmographics."""
    info = prospects.set_index("prospect_id")
    ranked = scores.sort_values(ascending=False).head(n).to_frame()
    return ranked.join(info[[c for c in columns if c in info]])


# --------------------------------------------------------------------------- cross-sell
def category_rules(orders: pd.DataFrame, min_support: float = 0.01) -> pd.DataFrame:
    """Association rules "bought A, so also B" between categories over customers.

    Per ordered pair of categories: ``support`` (share of customers who bought both),
    ``confidence`` (share of A's buyers who bought B) and ``lift`` (confidence over B's share of
    all customers; above 1, buying A makes B likelier), for pairs with at least ``min_support``.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 4], "category": ["a", "b", "a", "b", "a", "c"]})  # or an Ibis table
    >>> category_rules(o, 0.0).loc[("a", "b")].round(3).to_dict()
    {'support': 0.5, 'confidence': 0.667, 'lift': 1.333}
    """
    o = relation(orders)
    if "category" not in o.columns:
        raise AnalysisError("The orders have no category column, so there is nothing to cross-sell between: map one under "
                            "columns in params/base.yaml.")
    bought = o.filter(o.category.notnull()).select("customer_id", "category").distinct()  # the engine counts baskets
    n = scalar(bought.customer_id.nunique())
    pairs = bought.join(bought.view(), "customer_id")
    pairs = pairs.group_by([pairs.category, pairs.category_right]).aggregate(customers=pairs.customer_id.count())
    counts = frame(pairs).pivot_table(index="category", columns="category_right", values="customers", aggfunc="sum", fill_value=0)
    both = counts.rename_axis(index="category", columns="category").astype(float) / n  # co-purchase shares
    single = pd.Series(np.diag(both), index=both.index)
    rules = both.stack().rename("support").to_frame()
    rules.index.names = ["antecedent", "consequent"]
    rules = rules[rules.index.get_level_values(0) != rules.index.get_level_values(1)]
    rules["confidence"] = rules["support"] / single.reindex(rules.index.get_level_values(0)).to_numpy()
    rules["lift"] = rules["confidence"] / single.reindex(rules.index.get_level_values(1)).to_numpy()
    rules = rules[rules["support"] >= min_support]
    return rules.sort_values(["lift", "confidence"], ascending=False)


def next_category(orders: pd.DataFrame, rules: pd.DataFrame, min_lift: float = 1.0) -> pd.DataFrame:
    """Each customer's best next category: among categories they have not bought, the consequent
    of the most confident rule (lift above ``min_lift``) from a category they have."""
    o = relation(orders)
    bought = frame(o.select("customer_id", "category").distinct()).sort_values(["customer_id", "category"], ignore_index=True)
    useful = rules[rules["lift"] > min_lift].reset_index()
    candidates = bought.merge(useful, left_on="category", right_on="antecedent")
    have = set(map(tuple, bought.to_numpy()))
    candidates = candidates[[(c, k) not in have for c, k in zip(candidates["customer_id"], candidates["consequent"])]]
    best = candidates.sort_values(["confidence", "lift"], ascending=False).drop_duplicates("customer_id")
    out = best.set_index("customer_id")[["consequent", "antecedent", "confidence", "lift"]].rename(columns={"consequent": "next_category", "antecedent": "because"})
    return out.sort_index()


# --------------------------------------------------------------------------- sentences
def model_sentence(model: PropensityModel, share: float, months: int, language: str = "en") -> str:
    return t("pr_model", language, n=model.n, rate=model.base_rate, share=share, months=months, auc=model.auc,
             lift=model.lift["lift"].iloc[0], captured=model.lift["captured"].iloc[min(2, len(model.lift) - 1)])


def prospects_sentence(scores: pd.Series, model: PropensityModel, top: int, language: str = "en") -> str:
    return t("pr_prospects", language, above=int((scores > model.base_rate).sum()), n=len(scores), rate=model.base_rate,
             top=min(top, len(scores)), mean=float(scores.sort_values(ascending=False).head(top).mean()))


def rules_sentence(rules: pd.DataFrame, language: str = "en") -> str:
    (a, b), best = rules.index[0], rules.iloc[0]
    return t("pr_rules", language, a=a, b=b, lift=best["lift"], confidence=best["confidence"])


def next_sentence(suggestions: pd.DataFrame, language: str = "en") -> str:
    counts = suggestions["next_category"].value_counts()
    return t("pr_next", language, n=len(suggestions), top=counts.index[0], count=int(counts.iloc[0]))


def write_scores(scores: pd.Series | None, suggestions: pd.DataFrame | None, folder) -> list[Path]:
    """``prospect_scores.csv`` (every prospect, highest first) and ``next_category.csv`` for the CRM
    (each only when there is one)."""
    tables = {"prospect_scores.csv": None if scores is None else scores.sort_values(ascending=False),
              "next_category.csv": suggestions}
    return [atomic_write(Path(folder) / name, csv_bytes(table, encoding="utf-8")) for name, table in tables.items() if table is not None]
