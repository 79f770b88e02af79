"""Inside notebooks: record key numbers, show tables, say findings. Outside: write files atomically.

``record`` stores a key number as a display output with the MIME type :data:`METRIC_MIME`, so
the runner, the index page and the tests read it back from the executed notebook (no scrapbook).
``show`` displays a table together with a masked copy that the leadership export uses.
Running the notebooks lives in :mod:`custlab.run.runner`, their HTML export in :mod:`custlab.run.publish`.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import i18n
from .data import privacy

if TYPE_CHECKING:  # pandas is imported where tables are shown; the runner's processes do without it
    import nbformat
    import pandas as pd

METRIC_MIME = "application/vnd.custlab.metric+json"
LEADERSHIP_MIME = "application/vnd.custlab.leadership+html"

#: metrics recorded in this process (what ``record`` saw outside a kernel, e.g. in tests)
RECORDED: dict[str, Any] = {}


def _jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars to plain Python; refuse what JSON cannot hold."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):  # pandas Timestamps too
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    json.dumps(value)  # raises TypeError with the offending type
    return value


def record(name: str, value: Any) -> None:
    """Record a key number of this notebook run (returns nothing, so a notebook cell ending in
    ``record(...)`` does not echo the number into the report).

    Parameters
    ----------
    name : str
        Metric name, e.g. ``"key_accounts"``.
    value : JSON-serializable
        Number, string, list or mapping (numpy scalars are converted).

    Examples
    --------
    >>> record("customers", 5000)
    >>> RECORDED["customers"]
    5000
    """
    plain = _jsonable(value)
    RECORDED[name] = plain
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    if get_ipython() is not None:
        display({METRIC_MIME: {"name": name, "value": plain}, "text/plain": f"{name} = {plain!r}"}, raw=True)


def read_metrics(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Key numbers recorded in an executed notebook (later records of a name win).

    Plain dicts and lists, not nbformat's NotebookNode: the runner sends them to its parent process,
    which would otherwise import nbformat (and jsonschema, 0.7 s) just to unpickle them.
    """
    metrics: dict[str, Any] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if METRIC_MIME in data:
                item = data[METRIC_MIME]
                metrics[item["name"]] = json.loads(json.dumps(item["value"]))
    return metrics


def show(df: pd.DataFrame, max_rows: int = 20, extra_personal: tuple[str, ...] = (),
         labels: dict[str, str] | None = None, percent: bool | tuple[str, ...] = ()) -> None:
    """Display ``df`` for analysts, with a masked copy that leadership reports show instead.

    Headers, and the values of known columns (tiers, size classes, reasons, yes/no), are shown in
    the report language. ``labels`` names the header label of a column whose name means something
    else here, e.g. ``{"value": "offending_value"}`` where "value" is not revenue. Numbers are
    written as :func:`format_value` writes them: shares and changes (columns named ``*_share``,
    ``*_change``, ``p_alive``, or named in ``percent``; ``percent=True`` for every column) as
    percentages, large numbers with thousands separators, missing values as a dash.
    """
    from IPython.display import display

    display(table_bundle(df, max_rows, extra_personal, labels, percent), raw=True)


def table_bundle(df: pd.DataFrame, max_rows: int = 20, extra_personal: tuple[str, ...] = (),
                 labels: dict[str, str] | None = None, percent: bool | tuple[str, ...] = ()) -> dict[str, str]:
    """What :func:`show` displays: the table as HTML and text, and its masked HTML for leadership."""
    head = df.head(max_rows)
    meaning = [(labels or {}).get(c, c) for c in head.columns]
    masked = _formatted(_labelled(privacy.mask(head, extra_personal), labels), meaning, percent)  # mask by the data's own column names first
    head = _formatted(_labelled(head, labels), meaning, percent)
    return {"text/html": head.to_html(na_rep=MISSING), "text/plain": head.to_string(na_rep=MISSING),
            LEADERSHIP_MIME: masked.to_html(na_rep=MISSING)}


MISSING = "—"  # how a missing value reads in report tables
SHARE_COLUMNS = ("p_alive",)  # shares whose names do not end in _share or _change


def is_share(name: Any) -> bool:
    """Whether the column or metric ``name`` holds shares (0.764 reads as 76.4%)."""
    return isinstance(name, str) and (name.endswith(("_share", "_change")) or name in SHARE_COLUMNS)


def format_value(name: Any, value: Any, percent: bool = False, sign: str = "") -> str:
    """One number as report tables and the run index write it: a share (``percent``, or by
    :func:`is_share`) as 76.4%, whole and large numbers as 1,635,172, others to 4 significant
    digits; missing as a dash. ``sign="+"`` writes the sign of positive numbers too (changes).

    >>> format_value("revenue_share", 0.76412), format_value("orders", 191603), format_value("mean", 0.094183)
    ('76.4%', '191,603', '0.09418')
    """
    if _missing(value):
        return MISSING
    if percent or is_share(name):
        return f"{value:{sign}.1%}"
    return f"{value:{sign},.0f}" if isinstance(value, numbers.Integral) or abs(value) >= 1000 else f"{value:{sign},.4g}"


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(value != value)  # NaN is the one value not equal to itself
    except TypeError:  # pandas' NA has no truth value
        return True


def _formatted(df: pd.DataFrame, meaning: list[str], percent: bool | tuple[str, ...]) -> pd.DataFrame:
    """``df`` with its numeric columns written out by :func:`format_value` (``meaning``: each
    column's name before translation)."""
    import pandas as pd

    out = df.copy()
    for i, name in enumerate(meaning):
        col = out.iloc[:, i]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            continue
        as_percent = percent is True or (isinstance(percent, tuple) and name in percent)
        out.isetitem(i, col.map(lambda v, n=name: format_value(n, v, as_percent)).astype(object))
    return out


_language = "en"  # the report language of this notebook run (set_language)


def set_language(language: str) -> None:
    """Report tables from :func:`show` get headers in ``language`` (i18n.LABELS)."""
    global _language
    if language not in i18n.LANGUAGES:
        raise ValueError(f"language must be one of {i18n.LANGUAGES}, not {language!r}")
    _language = language


def _labelled(df: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """``df`` in the report language: headers, the values of known columns, and row labels."""
    import pandas as pd

    lang, labels = _language, labels or {}

    def header(c):  # a column may be a criterion or a tier too (criteria matrix, migration matrix)
        c = labels.get(c, c)
        for table in (i18n.LABELS, i18n.CRITERIA):
            if c in table:
                return _capitalized(i18n.label(c, lang, table))
        return _capitalized(i18n.label(c, lang, i18n.VALUES))

    def row_labels(index: pd.Index) -> pd.Index:
        if isinstance(index, pd.MultiIndex) and list(index.names) == ["tag", "level"]:  # a level reads by its tag
            return pd.MultiIndex.from_tuples(
                [(i18n.value_label("tag", tag, lang), i18n.value_label(i18n.TAG_LEVEL_COLUMN.get(tag, "level"), level, lang))
                 for tag, level in index], names=index.names)
        if isinstance(index, pd.MultiIndex):
            return pd.MultiIndex.from_arrays([row_labels(index.get_level_values(i)) for i in range(index.nlevels)],
                                             names=index.names)
        if index.name in i18n.COLUMN_VALUES:
            return index.map(lambda v: i18n.value_label(index.name, v, lang))
        return index.map(lambda v: i18n.label(v, lang, i18n.VALUES) if isinstance(v, str) else i18n.value_label(index.name, v, lang))

    out = df.copy()
    for col in out.columns:
        meaning = labels.get(col, col)  # a renamed column's values are not those of its name's usual column
        if meaning in i18n.COLUMN_VALUES or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(lambda v, c=meaning: i18n.value_label(c, v, lang)).astype("object")
    out.index = row_labels(out.index)
    out = out.rename(columns=header)
    out.columns.name = _capitalized(i18n.label(df.columns.name, lang))
    out.index.names = [_capitalized(i18n.label(labels.get(n, n), lang)) for n in df.index.names]
    return out


def _capitalized(text):
    """A header starts with a capital ("Industry"; the labels are lower case for use mid-sentence)."""
    return text[:1].upper() + text[1:] if isinstance(text, str) else text


def say(*texts: str) -> None:
    """Display generated sentences of finding as Markdown, one paragraph each (a result's
    ``sentences(language)`` is said with ``say(*result.sentences(language))``)."""
    from IPython.display import Markdown, display

    for text in texts:
        display(Markdown(text))


def record_all(metrics: dict[str, Any]) -> None:
    """:func:`record` every key number of ``metrics`` (a result's ``metrics()``), under its name."""
    for name, value in metrics.items():
        record(name, value)


# --------------------------------------------------------------------------- files
#: how a cell must not begin in a CSV a spreadsheet opens: it would be read as a formula (OWASP, "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """``frame`` with every text cell (and text label) that begins with = + - @ tab or CR prefixed
    with a single quote, so that Excel and LibreOffice show it as text instead of running it
    (OWASP's rule for CSV injection). Numbers are left alone: -500 stays a number.

    Examples
    --------
    >>> import pandas as pd
    >>> excel_safe(pd.DataFrame({"name": ["=HYPERLINK(1)", "华信", "-", None], "amount": [-5.0, 1.0, 2.0, 3.0]})).to_dict("list")
    {'name': ["'=HYPERLINK(1)", '华信', "'-", nan], 'amount': [-5.0, 1.0, 2.0, 3.0]}
    """
    import pandas as pd

    def safe(values: pd.Series | pd.Index):
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            return values
        text = values.astype("string")
        risky = text.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
        if not risky.any():
            return values
        out = pd.Series(values, copy=True).astype(object) if isinstance(values, pd.Index) else values.astype(object).copy()
        out[risky] = ["'" + v for v in text[risky]]
        return pd.Index(out, name=values.name) if isinstance(values, pd.Index) else out

    if isinstance(frame, pd.Series):
        out = safe(frame)
        return out.set_axis(safe(frame.index))
    out = frame.copy()
    for column in out.columns:
        out[column] = safe(out[column])
    return out.set_axis(safe(out.index), axis=0)


def unquote(values: pd.Series) -> pd.Series:
    """Text read back from a CSV custlab wrote, without the quote :func:`excel_safe` put in front."""
    text = values.astype("string")
    return text.mask(text.str.match(r"^'[=+\-@\t\r]").fillna(False), text.str.slice(1))


def csv_bytes(frame: pd.DataFrame | pd.Series, index: bool = True, encoding: str = "utf-8-sig") -> bytes:
    """``frame`` as CSV for spreadsheets: :func:`excel_safe`, in UTF-8 with BOM by default (Excel
    then opens the Chinese text). Every CSV custlab writes for people goes through here (not
    :mod:`custlab.data.sample_export`, which imitates another system's export, values as that writes them)."""
    # CRLF ends rows, as Excel writes them; the csv module then quotes every cell holding a CR or LF,
    # which with LF alone it leaves bare (a CR inside a name would split its row for a reader)
    return excel_safe(frame).to_csv(index=index, lineterminator="\r\n").encode(encoding)


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    return atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2, default=str))


def atomic_symlink(target: str | Path, link: str | Path) -> None:
    """Point ``link`` at ``target`` atomically (a new link renamed over the old one)."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


# --------------------------------------------------------------------------- HTML export


def previous_output(output_dir: str | Path | None, notebook: str, filename: str,
                    reports_dir: Path | None = None) -> Path | None:
    """``filename`` written by ``notebook`` in the newest earlier run, or None.

    Run folders are named by start time, so "earlier" is "sorts before this run's folder";
    outside the runner (``output_dir`` None) every run counts. ``latest`` (a link) is skipped.
    """
    from . import config

    current = Path(output_dir).parent if output_dir else None
    root = current.parent if current else (reports_dir or config.REPORTS_DIR)
    found = [p for p in root.glob(f"*/{notebook}/{filename}")
             if not p.parents[1].is_symlink() and (current is None or p.parents[1].name < current.name)]
    return max(found, key=lambda p: p.parents[1].name) if found else None


class Result:
    """What every result object of custlab is: a labelled table, findings in words, key numbers,
    and a rendering of itself in JupyterLab.

    An analysis's frozen result dataclass derives from this (as every method of prince derives its
    summary and scree plot from one mixin) and defines :meth:`summary`; :meth:`sentences` and
    :meth:`metrics` say and record what the notebook says and records. ``_repr_html_`` is built from
    those three, with personal-data columns masked, so a result shows the same way wherever it is shown.
    """

    def summary(self) -> pd.DataFrame | pd.Series:
        """The result as one labelled table."""
        raise NotImplementedError(f"{type(self).__name__} has no summary()")

    def sentences(self, language: str = "en") -> list[str]:
        """The findings in ``language``, each a sentence built from the numbers."""
        return []

    def metrics(self) -> dict[str, Any]:
        """The key numbers a notebook records (JSON-serializable after :func:`record`'s conversion)."""
        return {}

    def _repr_html_(self) -> str:
        import html

        import pandas as pd

        table = self.summary()
        frame = table.to_frame() if isinstance(table, pd.Series) else table
        said = "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences())
        return (f'<div class="custlab-result"><p><strong>{html.escape(type(self).__name__)}</strong></p>'
                f"{privacy.mask(frame).to_html(max_rows=20, max_cols=20)}" + (f"<ul>{said}</ul>" if said else "") + "</div>")
