"""Project paths and parameters.

Paths come from the package location, never the current directory. Parameters are layered
(``params/base.yaml``, then ``params/<notebook>.yaml``, then files given by the user, later wins)
and validated against one dataclass per notebook before anything runs: an unknown key, a wrong
type or a value out of range (field metadata from :func:`number` and :func:`allowed`) is a
:class:`~custlab.errors.ParamsError` naming the file, the key and what is allowed.
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import yaml

from .errors import ParamsError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARAMS_DIR = PROJECT_ROOT / "params"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
SAMPLE_DB = SAMPLE_DIR / "crm.duckdb"
CACHE_DIR = DATA_DIR / "processed" / "cache"
REPORTS_DIR = PROJECT_ROOT / "reports"


def resolve_path(path: str | Path, base: Path = PROJECT_ROOT) -> Path:
    """Return ``path`` made absolute against ``base`` (the project root by default)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p)


# --------------------------------------------------------------------------- value checks
def allowed(test: Callable[[Any], bool], text: str) -> dict[str, Any]:
    """Field metadata: beyond its type, a value must pass ``test``; ``text`` says what is allowed
    (it ends the error message, after "allowed: ")."""
    return {"allowed": (test, text)}


def number(low: float | None = None, high: float | None = None, *, above: bool = False) -> dict[str, Any]:
    """A number of at least ``low`` (above it, with ``above``) and at most ``high``."""
    def test(v: Any) -> bool:
        return (low is None or (v > low if above else v >= low)) and (high is None or v <= high)

    parts = ([f"above {low:g}" if above else f"at least {low:g}"] if low is not None else []) + \
        ([f"at most {high:g}"] if high is not None else [])
    return allowed(test, "a number " + " and ".join(parts))


def each(check: dict[str, Any], *, values: bool = False) -> dict[str, Any]:
    """``check`` applied to every item of a list (or, with ``values``, every value of a mapping)."""
    test, text = check["allowed"]
    return allowed(lambda v: all(test(x) for x in (v.values() if values else v)),
                   f"each {'value' if values else 'item'} {text}")


SHARE = number(0, 1, above=True)  # a share of customers, a drop in orders: (0, 1]
#: the most classes a k range may try: each k is a full clustering, and more classes than this are
#: not a segmentation a report can describe (SPSS TwoStep stops at 15 by default)
MAX_K = 30
K_RANGE = allowed(lambda v: len(v) == 2 and 2 <= v[0] <= v[1] <= MAX_K,
                  f"two whole numbers [lowest, highest], 2 <= lowest <= highest <= {MAX_K}")


def _iso_day(value: Any) -> bool:
    """Whether ``value`` is a calendar day written YYYY-MM-DD (2026-06-30; not 2026-13-45, not "yesterday")."""
    import datetime as dt

    if value is None:
        return True
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value))) and dt.date.fromisoformat(str(value)) is not None
    except ValueError:
        return False


ISO_DAY = allowed(_iso_day, "a day written YYYY-MM-DD (such as 2026-06-30), or null for the day of the latest order")


def _codec(name: Any) -> bool:
    import codecs

    try:
        return name == "auto" or bool(codecs.lookup(str(name)))
    except LookupError:
        return False


CODEC = allowed(_codec, "auto, or a Python codec name such as utf-8, utf-8-sig, gbk, gb18030, utf-16")


def numbered_keys(prefix: str, what: str, where: str) -> dict[str, Any]:
    """Field metadata: a mapping whose keys are ``prefix`` 1, 2, ... (F1, S1), as ``where`` numbers them."""
    return allowed(lambda v: all(re.fullmatch(rf"{prefix}[1-9]\d*", k) for k in v),
                   f"{what} keys {prefix}1, {prefix}2, ... as {where} numbers them")



#: the key-account index's criteria (custlab.analyses.accounts.CRITERIA_DIRECTION computes them)
INDEX_CRITERIA = ("purchase_volume", "purchase_frequency", "revenue_volatility", "growth", "employees",
                  "annual_revenue", "interactions", "relationship_days")
#: the groups of the key-account strategy table
STRATEGY_GROUPS = ("high", "high_at_risk", "medium", "medium_at_risk", "low")


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class SourceParams:
    """Where the customer database lives."""

    kind: Literal["duckdb", "sqlite", "sql", "csv", "excel", "parquet"] = "duckdb"
    path: str | None = "data/sample/crm.duckdb"  # a file or folder, relative to the project root
    url: str | None = None  # SQLAlchemy URL for kind "sql"
    encoding: str = field(default="auto", metadata=CODEC)  # CSV: auto, utf-8, gbk, gb18030, utf-16
    delimiter: Literal["auto", ",", "\t", ";", "|"] = "auto"  # CSV field separator; auto = read off the header line
    skip_rows: int = field(default=0, metadata=number(0))  # CSV/Excel: rows above the header row (an export's title and date lines)
    timezone: str = "Asia/Shanghai"  # times that carry a zone (timestamptz, ...Z, +08:00) become this zone's local time
    tables: dict[str, Any] = field(default_factory=dict)  # canonical name -> table/file or {query: SQL}
    bad_value_tolerance: float = field(default=0.0, metadata=number(0, 1))  # share of unparseable dates/numbers accepted as missing
    exact_duplicates: Literal["drop", "error"] = "drop"  # rows repeated exactly: dropped and counted by the cleaning, or an error
    decimal: Literal[".", ","] = "."  # the decimal mark of numbers written as text (1,234.50; "," for 1.234,50)
    allow_outside: bool = False  # table files may lie outside source.path (../other/orders.csv, a link elsewhere)
    fold_id_case: bool = False  # ids compared without case and spaces (c0001 = C0001 = "C 0001") in every table


@dataclass(frozen=True)
class PrivacyParams:
    """What is personal data and how leadership reports hide it."""

    mask_in_leadership: bool = True
    extra_columns: list[str] = field(default_factory=list)  # more personal-data columns
    salt: str = "custlab"  # pseudonymization salt; change it per organisation


@dataclass(frozen=True)
class BaseParams:
    """Parameters every notebook shares (params/base.yaml)."""

    language: Literal["en", "zh"] = "en"
    as_of: str | None = field(default=None, metadata=ISO_DAY)  # analysis date YYYY-MM-DD; None = the day of the latest clean order (moves with the data)
    source: SourceParams = field(default_factory=SourceParams)
    columns: dict[str, str] | str = field(default_factory=dict)  # source column -> canonical, or a YAML in params/
    privacy: PrivacyParams = field(default_factory=PrivacyParams)
    output_dir: str | None = None  # where a notebook writes follow-up files; the runner sets it
    cache_keep_runs: int | None = field(default=1, metadata=number(1))  # after a run, clean tables not used by this many newest runs are removed; null keeps all


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


@dataclass(frozen=True)
class DataQualityParams(BaseParams):
    """Parameters of 00_data_quality."""

    cleaning: CleaningSettings = field(default_factory=CleaningSettings)


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


@dataclass(frozen=True)
class Texts:
    """One text per report language (a language left out falls back to the other)."""

    en: str | None = None
    zh: str | None = None

    def in_language(self, language: str) -> str:
        return getattr(self, language) or self.en or self.zh or ""


def texts_in(texts: dict[str, str | Texts], language: str) -> dict[str, str]:
    """A parameter's texts (one text, or one per language) in ``language``."""
    return {key: text if isinstance(text, str) else text.in_language(language) for key, text in texts.items()}


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


@dataclass(frozen=True)
class KeyAccountsParams(BaseParams):
    """Parameters of 10_key_accounts."""

    key_accounts: KeyAccountSettings = field(default_factory=KeyAccountSettings)


@dataclass(frozen=True)
class FactorSettings:
    """Survey factor analysis (params/20_survey_factors.yaml, key ``factors``)."""

    items: list[str] = field(default_factory=list)  # survey columns to analyse; empty = every q<number> column
    n_factors: int | None = field(default=None, metadata=number(1))  # None = parallel analysis decides
    method: Literal["minres", "ml"] = "minres"  # as custlab.analyses.factors.METHODS
    rotation: Literal["none", "varimax", "quartimax", "oblimin", "promax"] = "oblimin"  # as custlab.analyses.factors.ROTATIONS
    loading_cut: float = field(default=0.3, metadata=number(0, 1))  # smaller loadings are left blank in tables
    parallel_iterations: int = field(default=100, metadata=number(20))
    alpha_minimum: float = field(default=0.7, metadata=SHARE)  # a scale below this is called unreliable
    item_labels: dict[str, str | Texts] = field(default_factory=dict)  # the question per item, e.g. {q01: "交付准时"}
    factor_names: dict[str, str | Texts] = field(  # named after a first run
        default_factory=dict, metadata=numbered_keys("F", "factor", "the loadings table"))


@dataclass(frozen=True)
class SurveyFactorsParams(BaseParams):
    """Parameters of 20_survey_factors."""

    factors: FactorSettings = field(default_factory=FactorSettings)


@dataclass(frozen=True)
class DriverSettings:
    """Driver analysis (params/30_satisfaction_drivers.yaml, key ``drivers``); the factor scales
    are those of 20_survey_factors, with its settings."""

    outcomes: list[str] = field(default_factory=lambda: ["satisfaction", "loyalty"])  # survey columns the scales explain
    robust: bool = True  # heteroscedasticity-robust (HC3) standard errors


@dataclass(frozen=True)
class DriversParams(BaseParams):
    """Parameters of 30_satisfaction_drivers."""

    drivers: DriverSettings = field(default_factory=DriverSettings)


@dataclass(frozen=True)
class SegmentSettings:
    """Behavioural segmentation (params/40_customer_segments.yaml, key ``segments``)."""

    months: int = field(default=24, metadata=number(2))  # the window of buying behaviour, up to as_of
    features: list[str] = field(default_factory=list)  # behaviour features to cluster on; empty = all of them
    method: Literal["kmeans", "ward", "gmm"] = "kmeans"  # as custlab.analyses.segments.METHODS
    k: int | None = field(default=None, metadata=number(2))  # None = chosen in k_range (silhouette; BIC for gmm)
    k_range: list[int] = field(default_factory=lambda: [3, 8], metadata=K_RANGE)
    stability_iterations: int = field(default=30, metadata=number(10))  # bootstrap resamples for the Jaccard stability
    random_state: int = 0
    segment_names: dict[str, str | Texts] = field(  # named after a first run
        default_factory=dict, metadata=numbered_keys("S", "segment", "the profile table"))


@dataclass(frozen=True)
class SegmentsParams(BaseParams):
    """Parameters of 40_customer_segments."""

    segments: SegmentSettings = field(default_factory=SegmentSettings)


@dataclass(frozen=True)
class ConjointSettings:
    """Conjoint analysis (params/50_conjoint.yaml, key ``conjoint``)."""

    attributes: list[str] = field(default_factory=list)  # design columns to estimate; empty = all but profile_id
    price: str | None = None  # a numeric attribute entered as a number, for willingness to pay; null = none
    price_unit: str | Texts = ""  # how a price is read, e.g. {en: "10k CNY a year", zh: 万元/年}
    attribute_names: dict[str, str | Texts] = field(default_factory=dict)  # e.g. {delivery: {en: Delivery, zh: 交付时效}}
    classes: int | None = field(default=None, metadata=number(2))  # preference classes; null = best silhouette in class_range
    class_range: list[int] = field(default_factory=lambda: [2, 6], metadata=K_RANGE)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # the market simulator's offers: name -> {attribute: level}
    random_state: int = 0


@dataclass(frozen=True)
class ConjointParams(BaseParams):
    """Parameters of 50_conjoint."""

    conjoint: ConjointSettings = field(default_factory=ConjointSettings)


@dataclass(frozen=True)
class ProspectSettings:
    """Prospect scoring and cross-sell (params/60_prospects.yaml, key ``prospects``)."""

    months: int = field(default=24, metadata=number(1))  # revenue window that defines a key account, up to as_of
    key_share: float = field(default=0.2, metadata=number(0, 1, above=True))  # key accounts: this top share by revenue
    folds: int = field(default=5, metadata=number(2))  # cross-validation folds for the AUC and lift table
    top: int = field(default=20, metadata=number(1))  # prospects listed
    min_support: float = field(default=0.05, metadata=number(0, 1))  # rules bought by fewer customers are left out
    min_lift: float = field(default=1.0, metadata=number(0))  # a next-category suggestion needs a rule above this lift
    random_state: int = 0


@dataclass(frozen=True)
class ProspectsParams(BaseParams):
    """Parameters of 60_prospects."""

    prospects: ProspectSettings = field(default_factory=ProspectSettings)


NOTEBOOK_PARAMS: dict[str, type[BaseParams]] = {
    "00_data_quality": DataQualityParams,
    "10_key_accounts": KeyAccountsParams,
    "20_survey_factors": SurveyFactorsParams,
    "30_satisfaction_drivers": DriversParams,
    "40_customer_segments": SegmentsParams,
    "50_conjoint": ConjointParams,
    "60_prospects": ProspectsParams,
}


# --------------------------------------------------------------------------- loading
def read_yaml(path: Path) -> dict[str, Any]:
    """Read one parameter file; a missing file or bad YAML is a ParamsError saying which."""
    if not path.exists():
        raise ParamsError(f"Parameter file {path} does not exist: check the path (on the command line relative paths start at the current folder, in a notebook at {PROJECT_ROOT}).")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # saved as "ANSI" by a Chinese Windows editor: GBK, which GB18030 contains
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ParamsError(f"Parameter file {path} is neither UTF-8 nor GBK/GB18030 text (byte {exc.start}): "
                              f"save it as UTF-8.") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = " ".join(str(x) for x in (getattr(exc, "problem", None), getattr(exc, "context", None)) if x) or str(exc)
        raise ParamsError(f"Parameter file {path} is not valid YAML{where}: {what}. Fix the file there "
                          f"(a colon, bracket or quote is usually missing).") from None
    if not isinstance(data, dict):
        raise ParamsError(f"Parameter file {path} must hold a mapping of keys to values, not {type(data).__name__}.")
    return data


def _merge(into: dict, new: dict, origin: dict, file: str, prefix: str = "") -> None:
    """Deep-merge ``new`` into ``into`` (later wins) and remember which file set each key."""
    for key, value in new.items():
        dotted = f"{prefix}{key}"
        origin[dotted] = file
        if isinstance(value, dict) and isinstance(into.get(key), dict) and key not in ("tables", "columns"):
            _merge(into[key], value, origin, file, dotted + ".")
        else:
            into[key] = value


def layered_params(notebook: str, files: list[str | Path] = (), overrides: dict | None = None,
                   params_dir: Path = PARAMS_DIR) -> tuple[dict[str, Any], dict[str, str]]:
    """Layer base.yaml, <notebook>.yaml, ``files`` and ``overrides``; return values and origins.

    In base.yaml and the user's files, a top-level key named after a notebook holds keys for that
    notebook only, so one file can carry settings for several notebooks.
    """
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    layers: list[tuple[str, dict]] = []
    base = params_dir / "base.yaml"
    if base.exists():
        layers.append((str(base), read_yaml(base)))
    own = params_dir / f"{notebook}.yaml"
    if own.exists():
        layers.append((str(own), read_yaml(own)))
    for f in files:
        p = resolve_path(f)
        layers.append((str(p), read_yaml(p)))
    if overrides:
        layers.append(("overrides", dict(overrides)))
    known_notebooks = set(NOTEBOOK_PARAMS) | {notebook}
    for name, data in layers:
        section = data.pop(notebook, None) if notebook in data else None
        for other in known_notebooks - {notebook}:
            data.pop(other, None)
        _merge(merged, data, origin, name)
        if section is not None:
            if not isinstance(section, dict):
                raise ParamsError(f"In {name}, the section '{notebook}' must be a mapping of keys to values.")
            _merge(merged, section, origin, name)
    return merged, origin


def params_class(notebook: str) -> type[BaseParams]:
    """The dataclass that validates ``notebook``'s parameters (BaseParams if it has none of its own)."""
    return NOTEBOOK_PARAMS.get(notebook, BaseParams)


def load_params(notebook: str, files: list[str | Path] = (), overrides: dict | None = None,
                params_dir: Path = PARAMS_DIR) -> BaseParams:
    """Layer and validate the parameters of ``notebook``.

    Parameters
    ----------
    notebook : str
        Notebook name without extension, e.g. ``"10_key_accounts"``.
    files : list of path
        Extra YAML files layered over the defaults, later wins.
    overrides : dict, optional
        Keys that win over every file (what Papermill or a test injects).

    Returns
    -------
    BaseParams
        The notebook's frozen parameter dataclass.

    Examples
    --------
    >>> p = load_params("10_key_accounts", overrides={"language": "zh", "source": {"kind": "sql", "url": "sqlite://"}})
    >>> p.language, p.key_accounts.tier_shares
    ('zh', [0.2, 0.3])
    """
    values, origin = layered_params(notebook, files, overrides, params_dir)
    params = build(params_class(notebook), values, origin)
    check_source(params, origin)
    return params


def check_source(params: BaseParams, origin: dict[str, str] | None = None) -> None:
    """Fail early when the source file or folder named in the parameters does not exist, or its
    time zone is not one."""
    src = params.source
    where = (origin or {}).get("source.path", (origin or {}).get("source", "params"))
    try:
        zoneinfo.ZoneInfo(src.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone_from = (origin or {}).get("source.timezone", where)
        raise ParamsError(f"In {zone_from}, source.timezone {src.timezone!r} is not a time zone name: use one such as "
                          f"Asia/Shanghai, Asia/Hong_Kong or UTC.") from None
    if src.kind == "sql":
        if not src.url:
            raise ParamsError(f"In {where}, source.kind is 'sql' but source.url is empty: give a SQLAlchemy URL such as postgresql+psycopg://user@host/db.")
        return
    if not src.path:
        raise ParamsError(f"In {where}, source.path is empty: name the {src.kind} file or folder.")
    path = resolve_path(src.path)
    if path.exists():
        return
    if path == SAMPLE_DB:
        raise ParamsError(f"The sample database {path} does not exist yet: run `custlab sample` (or `make demo`) to generate it.")
    raise ParamsError(f"In {where}, source.path {path} does not exist: fix the path (relative paths start at {PROJECT_ROOT}).")


def _origin_of(key: str, origin: dict[str, str]) -> str:
    """The file that set ``key`` (dotted), or the one that set the nearest section above it."""
    parts = key.split("[")[0].split(".")  # a list item's file is its list's
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in origin:
            return origin[".".join(parts[:n])]
    return "params"


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if dataclasses.is_dataclass(tp):
        return "a mapping with keys " + ", ".join(f.name for f in dataclasses.fields(tp))
    if origin is not None:
        return f"{origin.__name__}"
    return "null" if tp is type(None) else tp.__name__


def _coerce(tp: Any, value: Any, key: str, origin: dict[str, str]) -> Any:
    """Check ``value`` against the annotation ``tp``; return it (dataclasses built)."""
    where = _origin_of(key, origin)
    problem = ParamsError(f"In {where}, key '{key}' is {value!r} ({type(value).__name__}); allowed: {_type_name(tp)}.")
    org = typing.get_origin(tp)
    if tp is Any:
        return value
    if org is Literal:
        if value not in typing.get_args(tp):
            raise problem
        return value
    if org in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _coerce(arg, value, key, origin)
            except ParamsError:
                continue
        raise problem
    if tp is type(None):
        if value is not None:
            raise problem
        return None
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise problem
        return build(tp, value, origin, prefix=key + ".")
    if org is list:
        if not isinstance(value, (list, tuple)):
            raise problem
        (inner,) = typing.get_args(tp) or (Any,)
        return [_coerce(inner, v, f"{key}[{i}]", origin) for i, v in enumerate(value)]
    if org is dict:
        if not isinstance(value, dict):
            raise problem
        _, inner = typing.get_args(tp) or (str, Any)
        return {k: _coerce(inner, v, f"{key}.{k}", origin) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise problem
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise problem
        return value
    if tp is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key.endswith("as_of"):
            return str(value)
        if hasattr(value, "isoformat") and not isinstance(value, str):  # YAML dates
            return value.isoformat()
    if not isinstance(value, tp):
        raise problem
    return value


def build(cls: type, values: dict[str, Any], origin: dict[str, str] | None = None, prefix: str = ""):
    """Build dataclass ``cls`` from ``values``; unknown keys and wrong types are ParamsErrors."""
    origin = origin or {}
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in values if k not in allowed]
    if unknown:
        key = prefix + unknown[0]
        where = _origin_of(key, origin)
        raise ParamsError(
            f"In {where}, key '{key}' is unknown; allowed keys{' under ' + prefix.rstrip('.') if prefix else ''}: "
            f"{', '.join(allowed)}. Check the spelling, or move notebook-specific keys under a section named after the notebook.")
    kwargs = {name: _coerce(hints[name], values[name], prefix + name, origin) for name in allowed if name in values}
    obj = cls(**kwargs)
    _check_values(obj, kwargs, origin, prefix)
    return obj


def _check_values(obj: Any, given: dict[str, Any], origin: dict[str, str], prefix: str) -> None:
    """The value checks of ``obj``'s fields (metadata ``allowed``) and its ``ORDER`` pairs, on the values given."""
    def where(key: str) -> str:
        return _origin_of(prefix + key, origin)

    for f in dataclasses.fields(obj):
        value = given.get(f.name)
        if "allowed" in f.metadata and value is not None:
            test, text = f.metadata["allowed"]
            if not test(value):
                raise ParamsError(f"In {where(f.name)}, key '{prefix + f.name}' is {value!r}; allowed: {text}.")
    for key, text in getattr(obj, "problems", lambda: ())():
        raise ParamsError(f"In {where(key)}, key '{prefix + key}' {text}.")
    for low, high in getattr(obj, "ORDER", ()):
        if (low in given or high in given) and not getattr(obj, low) < getattr(obj, high):
            key = low if low in given else high
            raise ParamsError(f"In {where(key)}, key '{prefix + low}' ({getattr(obj, low)!r}) must be below "
                              f"'{prefix + high}' ({getattr(obj, high)!r}): medium thresholds lie below high ones.")


def to_dict(params: BaseParams) -> dict[str, Any]:
    """Parameters as plain JSON-serializable data (for the manifest)."""
    return dataclasses.asdict(params)
