"""Publishing an executed notebook: the analysts' HTML (everything) and the leadership HTML (code
hidden, analyst-only cells and the other language's cells left out, personal data masked and
scanned, a failure said in one sentence), with nbconvert and custlab's template without CDN scripts.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .. import i18n
from ..data import privacy
from ..report import LEADERSHIP_MIME, METRIC_MIME

if TYPE_CHECKING:  # the worker imports nbformat where it reads the notebook
    import nbformat


TEMPLATES = Path(__file__).resolve().parents[1] / "resources" / "templates"  # nbconvert template without CDN scripts


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
