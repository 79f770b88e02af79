"""The key-account notebook's settings: RFM, tiers, the key-account index, tags, strategies and churn
(params/10_key_accounts.yaml, key ``key_accounts``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field

from ...config import K_RANGE, SHARE, Texts, allowed, notebook_parameters, number, texts_in


#: the key-account index's criteria (custlab.analyses.accounts.CRITERIA_DIRECTION computes them)
INDEX_CRITERIA = ("purchase_volume", "purchase_frequency", "revenue_volatility", "growth", "employees",
                  "annual_revenue", "interactions", "relationship_days")


#: the groups of the key-account strategy table
STRATEGY_GROUPS = ("high", "high_at_risk", "medium", "medium_at_risk", "low")


@dataclass(frozen=True)
class TagSettings:
    """Tag thresholds: orders in the last 12 months; visits and events per month."""

    frequency_high: int = field(default=10, metadata=number(1))
    frequency_medium: int = field(default=5, metadata=number(1))
    visits_high: float = field(default=5.0, metadata=number(0))
    events_high: float = field(default=2.0, metadata=number(0))
    visits_medium: float = field(default=2.0, metadata=number(0))
    events_medium: float = field(default=1.0, metadata=number(0))

    #: (lower key, higher key): a medium threshold must lie below its high one
    ORDER: typing.ClassVar = (("frequency_medium", "frequency_high"), ("visits_medium", "visits_high"),
                              ("events_medium", "events_high"))


def _strategy_defaults() -> dict[str, Texts]:
    return {"high": Texts("dedicated account manager, quarterly business review", "专属客户经理，季度业务回顾"),
            "high_at_risk": Texts("executive visit and win-back plan", "高层拜访与挽回方案"),
            "medium": Texts("nurture: cross-sell and regular visits", "培育：交叉销售与定期拜访"),
            "medium_at_risk": Texts("call back and find out why", "电话回访，了解原因"),
            "low": Texts("batch marketing and online service", "批量营销与线上服务")}


@dataclass(frozen=True)
class KeyAccountSettings:
    """RFM, tier, index, tag, strategy and churn settings (params/10_key_accounts.yaml, key ``key_accounts``)."""

    rfm_bins: int = field(default=5, metadata=number(2, 10))
    tier_shares: list[float] = field(default_factory=lambda: [0.2, 0.3], metadata=allowed(
        lambda v: len(v) == 2 and min(v) > 0 and sum(v) < 1,
        "two shares [high, medium], each above 0, together below 1 (the rest is low)"))
    churn_horizon_days: int = field(default=90, metadata=number(1))
    p_alive_watch: float = field(default=0.5, metadata=SHARE)
    churn_months: int = field(default=3, metadata=number(1))  # the rule: the last months against as many before
    churn_order_drop: float = field(default=0.3, metadata=SHARE)  # the rule: orders down by at least this share ...
    churn_interaction_drop: float = field(default=0.5, metadata=SHARE)  # ... and interactions by at least this one
    rfmai_k: int | None = field(default=None, metadata=number(2))  # RFMAI classes; None = best silhouette in rfmai_k_range
    rfmai_k_range: list[int] = field(default_factory=lambda: [3, 8], metadata=K_RANGE)
    index_weights: dict[str, float] = field(default_factory=dict, metadata=allowed(  # empty = entropy weights
        lambda v: set(v) <= set(INDEX_CRITERIA) and all(w >= 0 for w in v.values()) and (not v or sum(v.values()) > 0),
        "criterion: weight pairs with weights of at least 0, not all 0; criteria: " + ", ".join(INDEX_CRITERIA)))
    tags: TagSettings = field(default_factory=TagSettings)
    strategy: dict[str, str | Texts] = field(default_factory=_strategy_defaults, metadata=allowed(  # one text, or {en: ..., zh: ...}
        lambda v: set(v) <= set(STRATEGY_GROUPS), "groups " + ", ".join(STRATEGY_GROUPS)))

    def actions(self, language: str) -> dict[str, str]:
        """The strategy's action per group in ``language``."""
        return texts_in(self.strategy, language)


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = KeyAccountsParams = notebook_parameters("10_key_accounts", "key_accounts", KeyAccountSettings, "KeyAccountsParams")
