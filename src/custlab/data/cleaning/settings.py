"""The data-quality notebook's settings: the cleaning rules' thresholds and the export's words
(params/00_data_quality.yaml, key ``cleaning``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...config import SHARE, allowed, each, notebook_parameters, number


@dataclass(frozen=True)
class DuplicateSettings:
    """How duplicate customer records are found (see :func:`custlab.data.cleaning.find_duplicates`)."""

    exact: list[str] = field(default_factory=lambda: ["credit_code", "phone", "email"])
    fuzzy: dict[str, float] = field(default_factory=lambda: {"name": 0.9, "contact": 0.8}, metadata=each(SHARE, values=True))
    block: list[str] = field(default_factory=lambda: ["name:4", "city+contact"])
    distinct: list[str] = field(default_factory=lambda: ["credit_code"])
    max_key_group: int = field(default=20, metadata=number(2))
    similarity: dict[str, Literal["ratio", "levenshtein", "jaro_winkler", "token_set"]] = field(default_factory=dict)  # per fuzzy field; default ratio
    min_agree: int | None = field(default=None, metadata=number(1))  # match when this many fuzzy fields agree; None = every compared one
    max_pairs: int = field(default=50_000_000, metadata=number(1))  # with min_agree: the most candidate pairs the blocks may give

    def problems(self):
        """(key, what is wrong) for settings that contradict each other."""
        fields = ", ".join(self.fuzzy) or "none"
        if self.min_agree is not None and self.min_agree > len(self.fuzzy):
            yield "min_agree", f"is {self.min_agree}, more than the {len(self.fuzzy)} fuzzy fields ({fields}); allowed: at most {len(self.fuzzy)}"
        for column in self.similarity:
            if column not in self.fuzzy:
                yield f"similarity.{column}", f"names a column that is not a fuzzy field ({fields}); add it to fuzzy or remove it"


@dataclass(frozen=True)
class OutlierSettings:
    """Statistical outliers and unit mistakes (modified z-score of log values within a group)."""

    robust_z: float = field(default=5.0, metadata=number(0, above=True))  # |modified z| of log10 values above this is an outlier
    plausible_z: float = field(default=3.5, metadata=number(0, above=True))  # a unit correction must land within this (Iglewicz-Hoaglin cut-off)
    unit_factors: list[float] = field(default_factory=lambda: [10000.0], metadata=each(number(1, above=True)))  # 元 vs 万元
    order_amount_group: str | None = "product"  # compare order amounts within this column (absent from the data: not tested; None: all orders)
    order_amount_per: str | None = None  # ... per unit of this column (e.g. quantity), or whole amounts
    revenue_group: str | None = "industry"  # compare revenue per employee within this column (likewise)
    min_group: int = field(default=20, metadata=number(3))  # groups smaller than this are not tested


#: interaction kinds as Chinese CRM exports write them -> the canonical kinds the analyses count
INTERACTION_KINDS = ("visit", "event", "call", "email", "meeting")


ORDER_STATUSES = ("kept", "cancelled", "returned")


def _kind_defaults() -> dict[str, str]:
    words = {"visit": ("官网访问", "网站访问", "访问官网", "浏览", "网页浏览", "访问", "web visit"),
             "event": ("参加活动", "活动", "展会", "研讨会", "会议活动", "沙龙", "webinar"),
             "call": ("电话", "来电", "外呼", "电话沟通", "回访", "phone call"),
             "email": ("邮件", "电子邮件", "e-mail", "mail"),
             "meeting": ("拜访", "上门", "上门拜访", "面谈", "会面", "visit in person")}
    return {w: kind for kind, ws in words.items() for w in (kind, *ws)}


def _status_defaults() -> dict[str, str]:
    words = {"kept": ("已完成", "完成", "已发货", "已签收", "已付款", "正常", "有效", "成交", "completed", "paid", "shipped"),
             "cancelled": ("已取消", "取消", "作废", "已作废", "关闭", "已关闭", "canceled", "void"),
             "returned": ("已退货", "退货", "退款", "已退款", "refunded")}
    return {w: status for status, ws in words.items() for w in (status, *ws)}


def _size_defaults() -> dict[str, dict[str, float]]:
    return {"large": {"employees": 1000.0, "revenue": 400_000_000.0},
            "medium": {"employees": 300.0, "revenue": 100_000_000.0},
            "small": {"employees": 50.0, "revenue": 10_000_000.0}}


@dataclass(frozen=True)
class CleaningSettings:
    """Cleaning rules and thresholds (params/00_data_quality.yaml, key ``cleaning``)."""

    future_date_tolerance_days: int = field(default=0, metadata=number(0))
    industry_synonyms: dict[str, str] = field(default_factory=dict)  # your spellings -> GB/T 4754 code (C36, 36 or C)
    place_synonyms: dict[str, str] = field(default_factory=dict)  # your spellings -> GB/T 2260 unit (绍兴市 or 330600)
    duplicates: DuplicateSettings = field(default_factory=DuplicateSettings)
    missing: dict[str, Literal["flag", "unknown", "median", "drop"]] = field(default_factory=dict)
    key_fields: list[str] = field(default_factory=lambda: ["credit_code", "phone", "industry", "province"])
    unknown_label: str = "未知"
    followup_label: str = "待补充"
    outliers: OutlierSettings = field(default_factory=OutlierSettings)
    size_classes: dict[str, dict[str, float]] = field(default_factory=_size_defaults)
    units: dict[str, float] = field(default_factory=lambda: {"orders.amount": 1.0, "customers.annual_revenue": 1.0},
                                    metadata=each(number(0, above=True), values=True))
    interaction_kinds: dict[str, str] = field(default_factory=_kind_defaults, metadata=each(allowed(  # the export's words -> kind
        lambda v: v in INTERACTION_KINDS, "one of " + ", ".join(INTERACTION_KINDS)), values=True))
    order_status: dict[str, str] = field(default_factory=_status_defaults, metadata=each(allowed(  # the export's words -> status
        lambda v: v in ORDER_STATUSES, "one of " + ", ".join(ORDER_STATUSES)), values=True))
    revenue_statuses: list[str] = field(default_factory=lambda: ["kept"], metadata=each(allowed(  # orders that count as revenue
        lambda v: v in ORDER_STATUSES, "one of " + ", ".join(ORDER_STATUSES))))
    max_quarantine_share: float = field(default=0.2, metadata=number(0, 1))  # more rows of a table quarantined for one reason stops the cleaning
    categories: dict[str, str] = field(default_factory=dict)  # product category spellings -> the name reports group by
    channels: dict[str, str] = field(default_factory=dict)  # channel spellings (customers and orders) -> the name reports use

    def __post_init__(self):
        # a user's words extend the shipped Chinese defaults (as a column mapping extends columns_zh.yaml)
        object.__setattr__(self, "interaction_kinds", {**_kind_defaults(), **self.interaction_kinds})
        object.__setattr__(self, "order_status", {**_status_defaults(), **self.order_status})


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = DataQualityParams = notebook_parameters("00_data_quality", "cleaning", CleaningSettings, "DataQualityParams")
