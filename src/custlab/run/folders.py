"""The run folders: listing runs, and the index pages of one run and of every run.

``reports/<run-id>/index.html`` shows each notebook's status, key numbers and links to both HTML
variants; ``reports/index.html`` lists every run, newest first.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

from .. import config, i18n
from ..data import cache
from ..report import format_value, is_share

_STYLE = ("<style>body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em;}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
          ".ok{color:#1a7f37}.failed,.timeout,.running,.interrupted,.incomplete{color:#cf222e}.not-run{color:#888}</style>")


def _page(title: str, body: str, language: str) -> str:
    lang = "zh-CN" if language == "zh" else "en"
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"{_STYLE}</head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _change(name: str, now: float, before: float) -> str:
    delta = now - before
    if is_share(name):
        return f"{delta * 100:+.1f} pp"  # percentage points
    return format_value(name, delta, sign="+")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _metrics_html(metrics: dict[str, Any], previous: tuple[str, dict[str, Any]] | None, language: str) -> str:
    """The key numbers of one notebook: each single number with the previous run's and the change;
    the tables of numbers (dicts) folded away for analysts."""
    t = lambda k, **v: html.escape(i18n.t(k, language, **v))  # noqa: E731
    before_id, before = previous or (None, {})
    rows = []
    for name, value in metrics.items():
        if not _is_number(value):
            continue
        cells = [html.escape(str(i18n.label(name, language, i18n.METRICS))), format_value(name, value)]
        if before_id:  # a number the previous run did not record gets empty cells
            old = before.get(name)
            cells += [format_value(name, old), _change(name, value, old)] if _is_number(old) else ["", ""]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = (f"<tr><th>{t('key_numbers')}</th><th>{t('metric_now')}</th>"
            + (f"<th>{t('metric_before', run=before_id)}</th><th>{t('metric_change')}</th>" if before_id else "") + "</tr>")
    table = f"<table>{head}{''.join(rows)}</table>" if rows else ""
    others = "<br>".join(f"{html.escape(str(k))}: {html.escape(json.dumps(v, ensure_ascii=False))[:300]}"
                         for k, v in metrics.items() if not _is_number(v))
    return table + (f"<details><summary>{t('metric_details')}</summary>{others}</details>" if others else "")


def _previous_ok(reports: Path, run_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per notebook, the newest run before ``run_id`` in which it succeeded: (run id, its manifest entry)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for m in list_runs(reports):
        if m["run_id"] >= run_id:
            continue
        for name, n in m.get("notebooks", {}).items():
            if n.get("status") == "ok" and name not in found:
                found[name] = (m["run_id"], n)
    return found


def previous_metrics(reports: Path, run_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per notebook, the newest run before ``run_id`` in which it succeeded: (run id, its key numbers)."""
    return {name: (run, n.get("metrics", {})) for name, (run, n) in _previous_ok(reports, run_id).items()}


def longest_first(names: list[str], reports: Path, run_id: str) -> list[str]:
    """``names`` in the order to start them with several at once: by their last successful run's
    seconds, longest first (so that no long notebook starts last while the other workers idle),
    notebooks without one first of all (they may be long), ties in name order.

    >>> longest_first(["00_a", "10_b"], Path("/nonexistent"), "x")
    ['00_a', '10_b']
    """
    seconds = {name: n.get("seconds") for name, (_, n) in _previous_ok(reports, run_id).items()}
    unknown = float("inf")
    return sorted(names, key=lambda name: (-(unknown if seconds.get(name) is None else seconds[name]), name))


def render_run_index(manifest: dict[str, Any], language: str = "en",
                     previous: dict[str, tuple[str, dict[str, Any]]] | None = None) -> str:
    """The index page of one run: status, key numbers (against ``previous``, see
    :func:`previous_metrics`) and links per notebook."""
    t = lambda k, **v: html.escape(i18n.t(k, language, **v))  # noqa: E731
    nbs = manifest["notebooks"]
    ok = sum(1 for n in nbs.values() if n["status"] == "ok")
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='{n['status']}'>{t(n['status'])}</td><td>{n['seconds']:.1f}</td>"
        f"<td>{'' if n['failing_cell'] is None else n['failing_cell']} {html.escape(n['error'] or '')}</td>"
        f"<td>{_metrics_html(n['metrics'], (previous or {}).get(name), language)}</td>"
        f"<td><a href='{name}.leadership.html'>{t('leadership_report')}</a> · <a href='{name}.html'>{t('analyst_report')}</a></td></tr>"
        for name, n in nbs.items())
    git = manifest.get("git", {})
    body = (f"<p>{t('notebooks_ok', ok=ok, total=len(nbs))} · {t('started')}: {manifest['started']} · "
            f"{t('finished')}: {manifest['finished']} · {t('git_commit')}: {html.escape(str(git.get('commit'))[:10])}"
            f"{' (' + t('git_dirty') + ')' if git.get('dirty') else ''}</p>"
            f"<table><tr><th>{t('notebook')}</th><th>{t('status')}</th><th>{t('seconds')}</th><th>{t('failing_cell')}</th>"
            f"<th>{t('key_numbers')}</th><th></th></tr>{rows}</table>")
    return _page(f"{i18n.t('run', language)} {manifest['run_id']}", body, language)


def _still_running(m: dict[str, Any]) -> bool | None:
    """Whether the command of a run whose manifest says "running" is alive: its pid exists on this
    host and started no later than the run. None when the manifest cannot tell (written by an
    older custlab, or on another host)."""
    import socket

    pid = m.get("pid")
    if not isinstance(pid, int) or m.get("host") != socket.gethostname():
        return None
    try:
        import psutil

        process = psutil.Process(pid)
        started = dt.datetime.fromisoformat(m["started"])
        born = dt.datetime.fromtimestamp(process.create_time(), tz=started.tzinfo)
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE and born <= started + dt.timedelta(seconds=5)
    except (ImportError, KeyError, ValueError):
        return None
    except Exception:  # noqa: BLE001 (psutil.NoSuchProcess, AccessDenied: no such run any more)
        return False


def _is_manifest(m: Any) -> bool:
    """Whether a manifest.json is one of custlab's (another tool's folder under --out is not)."""
    return isinstance(m, dict) and isinstance(m.get("run_id"), str) and isinstance(m.get("notebooks"), dict) and "status" in m


def list_runs(reports: Path = config.REPORTS_DIR) -> list[dict[str, Any]]:
    """Manifests of every run in ``reports``, newest first. A run whose manifest still says running
    is ``killed`` when its command is gone (kill -9, out of memory, power loss), ``incomplete``
    when that cannot be told; folders that are not custlab runs are left out."""
    runs = []
    for manifest_path in reports.glob("*/manifest.json"):
        if manifest_path.parent.is_symlink():
            continue
        try:
            m = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not _is_manifest(m):
            continue
        if m.get("status") == "running":
            alive = _still_running(m)
            m["status"] = "running" if alive else "killed" if alive is False else "incomplete"
        runs.append(m)
    return sorted(runs, key=lambda m: m["run_id"], reverse=True)


def sweep_killed(reports: Path = config.REPORTS_DIR) -> list[str]:
    """Mark the runs whose command died mid-run as ``killed`` in their manifest.json and remove
    their partial notebooks (``.NAME.partial.ipynb``, which hold unmasked data); return their ids.
    `custlab run` and `custlab list` call it."""
    from ..report import atomic_write_json

    swept = []
    for manifest_path in reports.glob("*/manifest.json"):
        try:
            m = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not _is_manifest(m) or m.get("status") != "running" or _still_running(m) is not False:
            continue
        for partial in manifest_path.parent.glob(".*.partial.ipynb"):
            partial.unlink(missing_ok=True)
        for n in m["notebooks"].values():
            if n.get("status") == "running":
                n["status"] = "killed"
        atomic_write_json(manifest_path, {**m, "status": "killed"})
        swept.append(m["run_id"])
    return swept


def render_runs_index(reports: Path, language: str = "en") -> str:
    """``reports/index.html``: every run, newest first."""
    t = lambda k, **v: html.escape(i18n.t(k, language, **v))  # noqa: E731
    rows = "".join(
        f"<tr><td><a href='{m['run_id']}/index.html'>{m['run_id']}</a></td><td class='{m['status']}'>{t(m['status'])}</td>"
        f"<td>{m['started']}</td><td>{sum(1 for n in m['notebooks'].values() if n['status'] == 'ok')}/{len(m['notebooks'])}</td></tr>"
        for m in list_runs(reports))
    latest = f"<p><a href='latest/index.html'>{t('latest_run')}</a></p>" if (reports / "latest").exists() else ""
    body = (f"{latest}<table><tr><th>{t('run')}</th><th>{t('status')}</th><th>{t('started')}</th>"
            f"<th>{t('notebook')}</th></tr>{rows}</table>")
    return _page(i18n.t("runs", language), body, language)


def prune_cache(reports: Path, keep_runs: int = 1, cache_dir: Path = config.CACHE_DIR) -> list[Path]:
    """Remove the clean tables that the newest ``keep_runs`` runs in ``reports`` did not use (and no
    other reports folder's runs did); return the folders removed (:func:`custlab.data.cache.prune_unused`)."""
    runs = [m for m in list_runs(Path(reports)) if m.get("started")]
    if len(runs) < keep_runs:
        return []
    cutoff = dt.datetime.fromisoformat(runs[keep_runs - 1]["started"]).timestamp() - 1 if keep_runs else float("inf")
    return cache.prune_unused(Path(reports), cutoff, cache_dir)
