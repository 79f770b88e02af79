"""Inside notebooks: record key numbers and show tables. Outside: export HTML and write files.

``record`` stores a key number as a display output with the MIME type :data:`METRIC_MIME`, so
the runner, the index page and the tests read it back from the executed notebook (no scrapbook).
``show`` displays a table together with a masked copy that the leadership export uses.
Running the notebooks lives in :mod:`custlab.run.runner`.
"""
from __future__ import annotations

import datetime as dt
import functools
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


def say(text: str) -> None:
    """Display one generated sentence of finding as Markdown."""
    from IPython.display import Markdown, display

    display(Markdown(text))


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
TEMPLATES = Path(__file__).parent / "resources" / "templates"  # nbconvert template without CDN scripts
ANALYST_ONLY = "analyst-only"  # cell tag: left out of the leadership HTML
LANGUAGE_TAG = "lang-{}"  # markdown cell tag: the cell is written in that language; reports in the other leave it out


def _for_audience(nb: nbformat.NotebookNode, leadership: bool, language: str = "en") -> nbformat.NotebookNode:
    """A copy of ``nb`` prepared for one audience: metrics hidden, markdown in the report's
    language only (a notebook carries each heading and paragraph in both); for leadership, masked."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    other_languages = {LANGUAGE_TAG.format(code) for code in i18n.LANGUAGES if code != language}
    nb.cells = [c for c in nb.cells if not other_languages & set(c.get("metadata", {}).get("tags", []))]
    if leadership:  # rule-by-rule detail and samples of changed rows are for analysts only
        nb.cells = [c for c in nb.cells if ANALYST_ONLY not in c.get("metadata", {}).get("tags", [])]
        nb.cells = _failure_for_leadership(nb.cells, language)
    for cell in nb.cells:
        if leadership and cell.cell_type == "markdown":
            cell.source = privacy.scrub_text(cell.source)
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data is not None and METRIC_MIME in data:
                continue
            if data is not None and LEADERSHIP_MIME in data:
                masked = data.pop(LEADERSHIP_MIME)
                if leadership:
                    data["text/html"] = masked
                    data.pop("text/plain", None)
            if leadership:
                _scrub_output(out)
            kept.append(out)
        if "outputs" in cell:
            cell.outputs = kept
    if leadership:
        nb.cells = _without_empty_sections(nb.cells)
    return nb


FAILURE_TAG = "custlab-failure"  # the banner custlab puts on a notebook that did not finish


def _failure_for_leadership(cells: list, language: str) -> list:
    """Cells for leadership of a notebook that failed: tracebacks and error banners (which name
    source files, cells and exceptions) become one short sentence at the top, in ``language``;
    the analyst report and run.log keep the detail."""
    import nbformat

    def banner(c) -> bool:
        tags = set(c.get("metadata", {}).get("tags", []))
        return c.cell_type == "markdown" and bool(tags & {FAILURE_TAG, "papermill-error-cell", "papermill-error-cell-tag"})

    failed = any(banner(c) for c in cells) or any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
    if not failed:
        return cells
    kept = [c for c in cells if not banner(c)]
    for c in kept:
        if "outputs" in c:
            c.outputs = [o for o in c.outputs if o.get("output_type") != "error"]
    note = nbformat.v4.new_markdown_cell(f'<p class="custlab-failed">{i18n.t("leadership_failed", language)}</p>')
    return [note] + kept


def _heading_level(cell) -> int:
    """The level (1-6) of the heading a markdown cell starts with, else 0."""
    if cell.cell_type != "markdown":
        return 0
    first = cell.source.lstrip().split("\n", 1)[0]
    level = len(first) - len(first.lstrip("#"))
    return level if 0 < level <= 6 and first[level:level + 1] == " " else 0


def _heading_only(cell) -> bool:
    return bool(_heading_level(cell)) and "\n" not in cell.source.strip()


def _without_empty_sections(cells: list) -> list:
    """``cells`` without the headings that have nothing to show under them before the next
    heading of the same or a higher level (in a leadership report, where code is hidden: a
    section whose cells are all analyst-only otherwise showed as a bare heading)."""
    kept = []
    for i, cell in enumerate(cells):
        if _heading_only(cell):
            level, content = _heading_level(cell), False
            for later in cells[i + 1:]:
                if 0 < _heading_level(later) <= level:
                    break
                if later.get("outputs") or (later.cell_type == "markdown" and not _heading_only(later)):
                    content = True
                    break
            if not content:
                continue
        kept.append(cell)
    return kept


def _scrub_output(out: nbformat.NotebookNode) -> None:
    if "text" in out:
        out["text"] = privacy.scrub_text(out["text"])
    for mime in ("text/html", "text/plain", "text/markdown"):
        if mime in out.get("data", {}):
            value = out["data"][mime]
            out["data"][mime] = privacy.scrub_text("".join(value) if isinstance(value, list) else value)
    if "traceback" in out:
        out["traceback"] = [privacy.scrub_text(line) for line in out["traceback"]]
    if "evalue" in out:
        out["evalue"] = privacy.scrub_text(out["evalue"])


@functools.lru_cache(maxsize=None)
def _exporter(leadership: bool):
    """One HTML exporter per audience and process: its template is compiled once, not per notebook."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="custlab_offline", extra_template_basedirs=[str(TEMPLATES)], embed_images=True,
                        exclude_input=leadership, exclude_input_prompt=leadership, exclude_output_prompt=leadership)


def warm_exporters(render: bool = False) -> None:
    """Compile both exporters' templates now (the runner's fork server does this once for all workers).

    With ``render``, also export a small notebook through both: the first real export of a
    process would otherwise pay about 0.3 s of loading on first use (Pygments lexers, the Markdown
    renderer). Runner workers do this while their notebook executes.
    """
    for leadership in (False, True):
        _exporter(leadership).template  # noqa: B018 - loading the template is the point
    if render:
        import nbformat

        v4 = nbformat.v4
        nb = v4.new_notebook(
            metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                      "language_info": {"name": "python", "pygments_lexer": "ipython3"}},
            cells=[v4.new_markdown_cell("# title\n\n- a **b**\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
                   v4.new_code_cell("import os\nprint(os.sep)", outputs=[
                       v4.new_output("stream", name="stdout", text="/\n"),
                       v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>",
                                                           "text/plain": "1"})])])
        for leadership in (False, True):
            export_html(nb, leadership, title="warm-up")


def export_html(nb: nbformat.NotebookNode, leadership: bool, title: str | None = None, language: str = "en") -> str:
    """Render ``nb`` as one self-contained HTML page (images embedded, no code for leadership).

    ``language`` (the report's, ``en`` or ``zh``) becomes the page's ``lang``: with ``en`` on a
    Chinese page, browsers may draw Han characters from a Japanese font and offer to translate.
    """
    if language not in i18n.LANGUAGES:
        raise ValueError(f"language must be one of {i18n.LANGUAGES}, not {language!r}")
    prepared = _for_audience(nb, leadership, language)
    if title:
        prepared.metadata["title"] = title
    exporter = _exporter(leadership)
    exporter.language_code = language  # both are ISO 639-1 codes, which nbconvert wants
    body, _ = exporter.from_notebook_node(prepared)
    return body


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
