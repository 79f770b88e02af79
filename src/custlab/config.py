"""Project paths and parameters.

Paths come from the package location, never the current directory. Parameters are layered
(``params/base.yaml``, then ``params/<notebook>.yaml``, then files given by the user, later wins)
and validated against one dataclass per notebook before anything runs: an unknown key, a wrong
type or a value out of range (field metadata from :func:`number` and :func:`allowed`) is a
:class:`~custlab.errors.ParamsError` naming the file, the key and what is allowed.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import re
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import yaml

from .errors import ParamsError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parents[1]
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
class Texts:
    """One text per report language (a language left out falls back to the other)."""

    en: str | None = None
    zh: str | None = None

    def in_language(self, language: str) -> str:
        return getattr(self, language) or self.en or self.zh or ""


def texts_in(texts: dict[str, str | Texts], language: str) -> dict[str, str]:
    """A parameter's texts (one text, or one per language) in ``language``."""
    return {key: text if isinstance(text, str) else text.in_language(language) for key, text in texts.items()}


#: the wings whose packages may declare a notebook's settings (a ``settings.py`` with NOTEBOOK and PARAMS)
SETTINGS_WINGS = ("data", "analyses")


@functools.cache
def notebook_params() -> dict[str, type[BaseParams]]:
    """The parameter class of each notebook, as the analyses declare them.

    Every package of :data:`SETTINGS_WINGS` with a ``settings.py`` declares the dataclass that
    validates its notebook's parameters (``PARAMS``, made by :func:`notebook_parameters`); config finds it there (as Kedro's
    ``find_pipelines`` finds each package's pipeline), so adding an analysis edits no list here.
    The settings modules are light: this imports no model.
    """
    found: dict[str, type[BaseParams]] = {}
    for wing in SETTINGS_WINGS:
        package = importlib.import_module(f"custlab.{wing}")  # light: the wings' __init__ import nothing
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not (info.ispkg and (Path(info.module_finder.path) / info.name / "settings.py").exists()):
                continue
            params = importlib.import_module(f"custlab.{wing}.{info.name}.settings").PARAMS
            if params.NOTEBOOK in found:
                raise TypeError(f"Two analyses declare the settings of {params.NOTEBOOK}: {found[params.NOTEBOOK].__module__} "
                                f"and {params.__module__}; a notebook has one.")
            found[params.NOTEBOOK] = params
    return found



def notebook_parameters(notebook: str, key: str, settings: type, name: str) -> type[BaseParams]:
    """The parameter class of ``notebook``: every shared key (:class:`BaseParams`) and the
    notebook's own settings under ``key``. An analysis's ``settings.py`` declares
    ``PARAMS = notebook_parameters("40_customer_segments", "segments", SegmentSettings, "SegmentsParams")``;
    :func:`notebook_params` finds it there."""
    cls = dataclasses.make_dataclass(name, [(key, settings, field(default_factory=settings))], bases=(BaseParams,), frozen=True)
    cls.__module__ = settings.__module__  # where it is declared (make_dataclass takes module= only from Python 3.12)
    cls.__doc__ = f"Parameters of {notebook}: the shared ones and ``{key}`` ({settings.__name__})."
    cls.NOTEBOOK = notebook
    return cls

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
    known_notebooks = set(notebook_params()) | {notebook}
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
    return notebook_params().get(notebook, BaseParams)


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
