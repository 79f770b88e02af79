"""Key-account screening beyond RFM: RFMAI classes, the key-account index, tags, cross analysis,
the strategy table and tier migration.

Split from :mod:`custlab.analyses.value` (RFM, tiers, BG/NBD and churn) to keep both modules readable;
both take the clean tables of :func:`custlab.data.cleaning.load_clean`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import value
from ...i18n import t
from ...report import Result
from ...data.engine import frame, relation, rows
from ...errors import AnalysisError
from ._rfmai import RFMAIResult

TIERS = ("high", "medium", "low")


# --------------------------------------------------------------------------- RFMAI


# --------------------------------------------------------------------------- key-account index
CRITERIA_DIRECTION = {"purchase_volume": 1, "purchase_frequency": 1, "revenue_volatility": -1, "growth": 1,
                      "employees": 1, "annual_revenue": 1, "interactions": 1, "relationship_days": 1}


def key_account_criteria(orders, customers: pd.DataFrame, interactions, as_of, months: int = 12) -> pd.DataFrame:
    """Criteria per customer over the last ``months``: purchase volume (CNY), frequency (orders),
    revenue volatility (coefficient of variation of monthly revenue; lower is more stable),
    growth (revenue of the last half against the first half, -1..), company size and revenue,
    interactions, and relationship length (days since the first order); ``as_of`` None: the
    latest order's day. ``orders`` and ``interactions`` may be frames or Ibis tables: the engine
    aggregates them (:mod:`custlab.data.engine`) and one row per customer and month comes back."""
    import ibis

    rel = relation(orders)
    end = value.analysis_date(orders, as_of) + pd.Timedelta(days=1)
    start = end - pd.DateOffset(months=months)
    half = end - pd.DateOffset(months=months // 2)
    o = rel.filter((rel.order_date >= start.to_pydatetime()) & (rel.order_date < end.to_pydatetime()))
    by_month = frame(o.group_by([o.customer_id, o.order_date.truncate("M").name("month")]).aggregate(amount=o.amount.sum()))
    by_month["month"] = pd.to_datetime(by_month["month"]).dt.to_period("M")
    monthly = by_month.pivot_table(index="customer_id", columns="month", values="amount", aggfunc="sum", fill_value=0)
    monthly = monthly.reindex(columns=pd.period_range(start, end - pd.Timedelta(days=1), freq="M"), fill_value=0)
    late = o.order_date >= half.to_pydatetime()
    per = frame(o.group_by("customer_id").aggregate(
        purchase_volume=o.amount.sum(), purchase_frequency=o.count(),
        recent=ibis.ifelse(late, o.amount, 0).sum(), earlier=ibis.ifelse(late, 0, o.amount).sum(),
        earlier_orders=ibis.ifelse(late, 0, 1).sum())).set_index("customer_id").sort_index()
    monthly = monthly.reindex(per.index)
    out = pd.DataFrame({"purchase_volume": per["purchase_volume"].astype(float),
                        "purchase_frequency": per["purchase_frequency"].astype("int64"),
                        "revenue_volatility": monthly.std(axis=1, ddof=0) / monthly.mean(axis=1)})
    earlier = per["earlier"].astype(float).where(per["earlier_orders"] > 0)  # no order in the first half: no base
    out["growth"] = (per["recent"].astype(float) - earlier.fillna(0)) / earlier.where(lambda v: v > 0)
    out["growth"] = out["growth"].fillna(1.0).clip(upper=5)  # new in the second half: growth counts as +100%
    info = customers.set_index("customer_id").reindex(out.index)
    for col in ("employees", "annual_revenue"):
        if col in info:
            out[col] = pd.to_numeric(info[col]).astype(float)
    if interactions is not None and rows(interactions):
        i = relation(interactions)
        i = i.filter((i.date >= start.to_pydatetime()) & (i.date < end.to_pydatetime()))
        counts = frame(i.group_by("customer_id").aggregate(total=i["count"].sum())).set_index("customer_id")["total"]
        out["interactions"] = counts.reindex(out.index, fill_value=0)
    before_end = rel.filter(rel.order_date < end.to_pydatetime())
    first = frame(before_end.group_by("customer_id").aggregate(first=before_end.order_date.min())).set_index("customer_id")["first"]
    out["relationship_days"] = (end - pd.to_datetime(first.reindex(out.index))).dt.days
    out.index.name = "customer_id"
    out.columns.name = "criterion"
    return out


def entropy_weights(matrix: pd.DataFrame) -> pd.Series:
    """Entropy-weight method: criteria whose normalized values vary more across customers weigh more.

    ``matrix`` holds criteria already scaled to 0..1 with larger = better. With p_ij = x_ij / sum_i x_ij,
    e_j = -sum_i p_ij ln p_ij / ln n and d_j = 1 - e_j, the weight is d_j / sum_j d_j.
    """
    x = matrix.to_numpy(dtype=float)
    n = len(x)
    if n < 2:
        raise AnalysisError("The entropy-weight method needs at least two customers.")
    col_sum = x.sum(axis=0)
    p = np.divide(x, col_sum, out=np.full_like(x, 1.0 / n), where=col_sum > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1 - e
    if d.sum() <= 0:
        raise AnalysisError("No criterion varies across customers, so entropy weights are undefined; give weights in params.")
    return pd.Series(d / d.sum(), index=matrix.columns, name="weight").rename_axis("criterion")


@dataclass(frozen=True)
class KeyAccountIndex(Result):
    """Index 0-100 per customer, the weight of each criterion and each criterion's contribution."""

    weights: pd.Series
    contributions: pd.DataFrame  # customer x criterion, points of the index
    score: pd.Series

    def ranked(self, n: int | None = None) -> pd.DataFrame:
        """Customers by index, best first, with each criterion's contribution."""
        out = self.contributions.assign(index=self.score).sort_values("index", ascending=False)
        return out.head(n) if n else out

    def summary(self) -> pd.DataFrame:
        """The criteria's weights (the index's recipe); :meth:`ranked` lists the customers."""
        return self.weights.rename("weight").rename_axis("criterion").to_frame()

    def sentences(self, language: str = "en") -> list[str]:
        from ...i18n import CRITERIA, label

        return [t("ka_index", language, top=label(self.weights.idxmax(), language, CRITERIA), weight=self.weights.max(),
                  score=self.score.max())]

    def metrics(self) -> dict:
        return {"index_weights": self.weights.round(4).to_dict()}


def key_account_index(criteria: pd.DataFrame, weights: dict[str, float] | None = None,
                      directions: dict[str, int] | None = None) -> KeyAccountIndex:
    """Weighted score over criteria, each min-max scaled to 0..1 (reversed where smaller is better).

    Parameters
    ----------
    criteria : DataFrame
        Customers x criteria (see :func:`key_account_criteria`); missing values score 0.
    weights : dict, optional
        Criterion -> weight (normalized to sum to 1); by default entropy weights.
    directions : dict, optional
        Criterion -> +1 (larger is better) or -1; defaults to :data:`CRITERIA_DIRECTION`, else +1.
    """
    directions = {**CRITERIA_DIRECTION, **(directions or {})}
    cols = list(weights) if weights else list(criteria.columns)
    unknown = [c for c in cols if c not in criteria.columns]
    if unknown:
        raise AnalysisError(f"Key-account weights name criteria {unknown} that are not computed; "
                            f"available: {', '.join(criteria.columns)}. Fix key_accounts.index_weights in params.")
    x = criteria[cols].astype(float)
    lo, hi = x.min(), x.max()
    scaled = ((x - lo) / (hi - lo).where(hi > lo)).fillna(0.0)
    for c in cols:
        if directions.get(c, 1) < 0:
            scaled[c] = (1 - scaled[c]).where(x[c].notna(), 0.0)
    w = pd.Series(weights, dtype=float).rename("weight") if weights else entropy_weights(scaled)
    w = (w / w.sum()).rename_axis("criterion")
    contributions = scaled.mul(w, axis=1) * 100
    return KeyAccountIndex(w, contributions, contributions.sum(axis=1).rename("key_account_index"))


# --------------------------------------------------------------------------- tags
def customer_tags(customers: pd.DataFrame, orders, interactions, as_of, settings) -> pd.DataFrame:
    """Size, purchase-frequency and interaction tags per customer (thresholds in ``settings``);
    ``orders`` and ``interactions`` may be frames or Ibis tables, counted by the engine.

    Frequency over the last 12 months: high >= ``frequency_high`` orders, medium >= ``frequency_medium``,
    low >= 1, dormant none. Interaction, monthly averages over the last 12 months: high when visits
    >= ``visits_high`` and events >= ``events_high``; medium when visits >= ``visits_medium`` and
    events >= ``events_medium``; low otherwise.
    """
    rel = relation(orders)
    end = value.analysis_date(orders, as_of) + pd.Timedelta(days=1)
    start = end - pd.DateOffset(months=12)
    ids = customers["customer_id"]
    recent = rel.filter((rel.order_date >= start.to_pydatetime()) & (rel.order_date < end.to_pydatetime()))
    n_orders = frame(recent.group_by("customer_id").aggregate(n=recent.count())).set_index("customer_id")["n"]
    n_orders = n_orders.astype("int64").reindex(ids, fill_value=0)
    freq = np.select([n_orders >= settings.frequency_high, n_orders >= settings.frequency_medium, n_orders >= 1],
                     ["high", "medium", "low"], "dormant")
    out = pd.DataFrame({"size": customers.get("size_class", pd.Series(pd.NA, index=customers.index)).to_numpy(),
                        "orders_12m": n_orders.to_numpy(), "frequency": freq}, index=pd.Index(ids, name="customer_id"))
    if interactions is not None and rows(interactions):
        i = relation(interactions)
        i = i.filter((i.date >= start.to_pydatetime()) & (i.date < end.to_pydatetime()))
        by_kind = frame(i.group_by(["customer_id", "kind"]).aggregate(count=i["count"].sum()))
        per_kind = by_kind.pivot_table(index="customer_id", columns="kind", values="count", aggfunc="sum", fill_value=0) / 12
        visits = per_kind.get("visit", pd.Series(0.0, index=per_kind.index)).reindex(ids, fill_value=0)
        events = per_kind.get("event", pd.Series(0.0, index=per_kind.index)).reindex(ids, fill_value=0)
        out["visits_per_month"], out["events_per_month"] = visits.to_numpy(), events.to_numpy()
        out["interaction"] = np.select(
            [(visits >= settings.visits_high) & (events >= settings.events_high),
             (visits >= settings.visits_medium) & (events >= settings.events_medium)], ["high", "medium"], "low")
    return out


# --------------------------------------------------------------------------- cross analysis


def tier_profile(tiers: pd.DataFrame, customers: pd.DataFrame, summary: pd.DataFrame, tags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per tier: customers, revenue share, main size class, industry and region, mean orders and recency."""
    info = customers.set_index("customer_id").reindex(tiers.index)
    df = tiers[["tier", "value"]].join(summary[["recency", "frequency"]]).join(info[[c for c in ("size_class", "industry", "region") if c in info]])
    if tags is not None:
        df = df.join(tags[[c for c in ("frequency", "interaction") if c in tags]].add_prefix("tag_"))

    def main(s):
        return s.value_counts().index[0] if s.notna().any() else pd.NA

    agg = {"customers": ("value", "size"), "revenue": ("value", "sum"), "mean_orders": ("frequency", "mean"),
           "mean_recency_days": ("recency", "mean")}
    agg.update({f"main_{c}": (c, main) for c in ("size_class", "industry", "region", "tag_interaction") if c in df})
    out = df.groupby("tier").agg(**agg).reindex([t for t in TIERS if t in set(df["tier"])])
    out.insert(2, "revenue_share", out["revenue"] / out["revenue"].sum())
    return out


# --------------------------------------------------------------------------- strategy and migration
def strategy_table(tiers: pd.DataFrame, at_risk: pd.Index, classes: pd.Series, actions: dict[str, str]) -> pd.DataFrame:
    """Recommended action per tier (and per tier's at-risk customers) with its size and revenue,
    plus the RFMAI classes that dominate it; ``actions`` maps ``high``, ``high_at_risk``, ``medium``,
    ``low`` (and any ``<tier>_at_risk``) to the action text users edit in params."""
    df = tiers[["tier", "value"]].copy()
    risky = df.index.isin(at_risk)
    df["group"] = np.where(risky & df["tier"].map(lambda t: f"{t}_at_risk" in actions), df["tier"] + "_at_risk", df["tier"])
    df = df.join(classes)
    out = df.groupby("group").agg(customers=("value", "size"), revenue=("value", "sum"),
                                  main_classes=(classes.name, lambda s: ", ".join(s.value_counts().index[:2])))
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    missing = [g for g in out.index if g not in actions]
    if missing:
        raise AnalysisError(f"The strategy table in params has no action for {missing}; add them under key_accounts.strategy.")
    out["action"] = [actions[g] for g in out.index]
    order = [g for t in TIERS for g in (f"{t}_at_risk", t) if g in out.index]
    return out.reindex(order).rename_axis("group")


def tier_migration(previous: pd.Series, current: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Migration matrix between two runs' tiers (rows: before, columns: now; ``new`` and ``gone``
    for customers in one run only) and the customers who dropped from a higher tier."""
    both = pd.DataFrame({"before": previous, "now": current})
    both["before"] = both["before"].fillna("new")
    both["now"] = both["now"].fillna("gone")
    levels = list(TIERS)
    matrix = pd.crosstab(both["before"], both["now"]).reindex(index=levels + ["new"], columns=levels + ["gone"], fill_value=0)
    matrix.index.name, matrix.columns.name = "before", "now"
    rank = {t: i for i, t in enumerate(TIERS)}
    rank["gone"] = len(TIERS)
    dropped = both[(both["before"].map(rank) < both["now"].map(rank)) & (both["before"] != "new")]
    return matrix, dropped.rename_axis("customer_id")


# --------------------------------------------------------------------------- the screening in one call
@dataclass(frozen=True)
class Screening(Result):
    """Everything the key-account report is built on, computed once from the clean tables."""

    rfm: pd.DataFrame  # RFM per customer (value.rfm)
    scores: pd.DataFrame  # R, F, M scores and segment
    tiers: pd.DataFrame  # value tiers with the Pareto columns
    repeat: pd.DataFrame  # lifetimes-convention summary
    bgnbd: object  # value.BGNBDResult
    p_alive: pd.Series
    expected: pd.Series
    rule: pd.DataFrame
    watchlist: pd.DataFrame
    repeat_buyers: int = 0  # customers who bought more than once; under value.MIN_REPEAT_BUYERS there is no BG/NBD (bgnbd None)

    def summary(self) -> pd.DataFrame:
        """Customers, revenue and at-risk customers per value tier."""
        counts = self.tiers.groupby("tier", observed=True).agg(customers=("value", "size"), revenue=("value", "sum"))
        at_risk = self.watchlist.groupby("tier", observed=True).size()
        return counts.assign(at_risk=at_risk.reindex(counts.index, fill_value=0)).rename_axis("tier")

    def sentences(self, language: str = "en") -> list[str]:
        return headlines(self, None, language)

    def metrics(self) -> dict:
        return {"customers": int(len(self.tiers)), "watchlist": int(len(self.watchlist)), "repeat_buyers": int(self.repeat_buyers)}


def check_as_of(orders: pd.DataFrame, as_of, window_months: int = 12) -> None:
    """Raise an AnalysisError saying what to set when the analysis date leaves nothing to analyse:
    before the first order, or so long after the latest one that the ``window_months`` windows
    (the key-account index's) hold no order. ``None`` means the day of the latest order."""
    if orders.empty:
        raise AnalysisError("There are no clean orders to analyse: the cleaning set every order aside. See the "
                            "quarantine in 00_data_quality's report, and check as_of and the orders table.")
    if as_of is None:
        return
    day = pd.Timestamp(as_of).normalize()
    first, last = orders["order_date"].min().normalize(), orders["order_date"].max().normalize()
    fix = (f"Set as_of in your parameters to a day from {first:%Y-%m-%d} to {last:%Y-%m-%d}, or leave it empty "
           f"for the day after the latest order.")
    if day < first:
        raise AnalysisError(f"as_of {day:%Y-%m-%d} is before the first order ({first:%Y-%m-%d}): no order counts. {fix}")
    if day - pd.DateOffset(months=window_months) > last:
        raise AnalysisError(f"as_of {day:%Y-%m-%d} is more than {window_months} months after the latest order "
                            f"({last:%Y-%m-%d}): the {window_months}-month windows of the analysis hold no orders. {fix}")


def screen(tables: dict[str, pd.DataFrame], as_of, settings, language: str = "en") -> Screening:
    """RFM, tiers, BG/NBD and the churn watchlist from the clean tables, with ``settings`` = key_accounts params."""
    orders = tables["orders"]
    check_as_of(orders, as_of)
    as_of = value.analysis_date(orders, as_of)
    summary = value.rfm(orders, as_of=as_of)
    scores = value.rfm_scores(summary, bins=settings.rfm_bins, language=language)
    tiers = value.value_tiers(summary["monetary"], tuple(settings.tier_shares))
    repeat = value.rfm(orders, as_of=as_of, convention="lifetimes")
    buyers = int((repeat["frequency"] > 0).sum())
    if buyers >= value.MIN_REPEAT_BUYERS:
        fit = value.fit_bgnbd(repeat)
        p_alive, expected = fit.p_alive(repeat), fit.expected_purchases(repeat, settings.churn_horizon_days)
    else:  # (all orders on one day, a new shop): the watchlist follows the rule alone, and the report says so
        fit = None
        p_alive = pd.Series(np.nan, index=repeat.index, name="p_alive")
        expected = pd.Series(np.nan, index=repeat.index, name=f"expected_purchases_{settings.churn_horizon_days:g}")
    rule = value.churn_rule(orders, tables.get("interactions"), as_of, settings.churn_months, settings.churn_order_drop,
                            settings.churn_interaction_drop)
    watchlist = value.churn_watchlist(tiers, p_alive, expected, rule, tables["customers"], settings.p_alive_watch)
    return Screening(summary, scores, tiers, repeat, fit, p_alive, expected, rule, watchlist, buyers)


def churn_sentence(s: Screening, ka, language: str = "en") -> str:
    """The watchlist's sentence: how many, the rule's thresholds (interactions only when the source
    has them) and the revenue at stake; ``ka`` the notebook's key-account settings."""
    from ...i18n import t

    key = "ka_churn" if "interactions_change" in s.rule else "ka_churn_orders"
    if s.bgnbd is None:
        key += "_rule"
    return t(key, language, n=len(s.watchlist), cut=ka.p_alive_watch, revenue=s.watchlist["value"].sum(),
             months=ka.churn_months, orders=ka.churn_order_drop, interactions=ka.churn_interaction_drop)


def bgnbd_sentence(s: Screening, ka, language: str = "en") -> str:
    """The BG/NBD section's sentence: the repeat orders it expects, or why it is left out."""
    from ...i18n import t

    if s.bgnbd is None:
        return t("ka_bgnbd_left_out", language, n=s.repeat_buyers, minimum=value.MIN_REPEAT_BUYERS)
    return t("ka_bgnbd", language, expected=s.expected.sum(), days=ka.churn_horizon_days)


def headlines(s: Screening, dropped: pd.DataFrame | None, language: str = "en") -> list[str]:
    """Leadership's opening sentences: key accounts and their revenue share, at-risk revenue, moves."""
    from ...i18n import t

    high = s.tiers[s.tiers["tier"] == "high"]
    out = [t("ka_h_key", language, n=len(high), share=high["value"].sum() / s.tiers["value"].clip(lower=0).sum()),
           t("ka_h_risk", language, n=len(s.watchlist), revenue=s.watchlist["value"].sum())]
    if dropped is not None:
        fell = dropped[dropped["before"] == "high"]
        out.append(t("ka_h_moves", language, n=len(fell)))
    else:
        out.append(t("ka_h_first", language))
    return out


TAG_LEVELS = {"size": ("large", "medium", "small", "micro"), "frequency": ("high", "medium", "low", "dormant"),
              "interaction": ("high", "medium", "low")}  # each tag's levels, top first


def tag_summary(tags: pd.DataFrame) -> pd.DataFrame:
    """Customers per tag and level (index: tag, level), tags and levels in the order of
    :data:`TAG_LEVELS` (other levels, such as unknown sizes, last)."""
    cols = [c for c in TAG_LEVELS if c in tags]
    long = tags[cols].melt(var_name="tag", value_name="level")
    out = long.groupby(["tag", "level"]).size().rename("customers").to_frame()
    rank = [(cols.index(tag), TAG_LEVELS[tag].index(level) if level in TAG_LEVELS[tag] else len(TAG_LEVELS[tag]), str(level))
            for tag, level in out.index]
    return out.iloc[sorted(range(len(out)), key=rank.__getitem__)]


def class_strategy(classes: RFMAIResult, tiers: pd.DataFrame, actions: dict[str, str]) -> pd.DataFrame:
    """Each RFMAI class's profile with the tier most of its customers are in and that tier's action."""
    tier = tiers["tier"].reindex(classes.labels.index)
    main_tier = tier.groupby(classes.labels).agg(lambda s: s.value_counts().index[0])
    share_high = (tier == "high").groupby(classes.labels).mean()
    out = classes.profile.assign(main_tier=main_tier, high_tier_share=share_high)
    out["action"] = out["main_tier"].map(actions)
    return out


def migration_since_last_run(tiers: pd.DataFrame, output_dir, notebook: str = "10_key_accounts"):
    """Compare ``tiers`` with the newest earlier run's and keep this run's for the next one.

    Returns ``(matrix, dropped)`` from :func:`tier_migration`, or ``(None, None)`` when no earlier
    run wrote tiers. This run's tiers are written to ``output_dir`` (nothing outside the runner).
    """
    from ... import report

    previous = report.previous_output(output_dir, notebook, "tiers.csv")
    if output_dir:
        value.write_tiers(tiers, output_dir)
    if previous is None:
        return None, None
    return tier_migration(value.read_tiers(previous), tiers["tier"])
