"""What runs in a worker process of :mod:`custlab.run.runner`: one notebook executed by Papermill
(through the engine in :mod:`custlab.run._engine`), its executed notebook and both HTML files
published, and the outcome reported to the command through a queue; also the cleaning process.

Workers are forked from the fork server that :mod:`custlab.run._warm` preloads, so this module
imports no pandas: the command and its workers stay light.
"""
from __future__ import annotations

import html
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from .. import i18n
from ..report import atomic_write, read_metrics
from .publish import FAILURE_TAG, export_html, warm_exporters

log = logging.getLogger("custlab.run.runner")

# OpenMP / BLAS pools (scikit-learn's k-means, numpy): sized to cores per parallel notebook. With
# more threads than free cores, spinning OpenMP workers made k-means 20x slower in a kernel.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def execute(task: dict[str, Any], events) -> None:
    """Run one notebook in this worker process and export it; report through ``events``."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from . import _engine

    import nbformat

    exit_with_the_command(task["command"], task.get("sockets"))
    name, folder = task["notebook"], Path(task["folder"])
    partial = folder / f".{name}.partial.ipynb"
    # the executing notebook holds unmasked data: readable by its owner only (papermill rewrites it in place)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(partial, 0o600)
    started = time.monotonic()
    result = {"notebook": name, "status": "ok", "failing_cell": None, "error": None}
    cells = nbformat.read(task["input"], as_version=4).cells
    n_cells = len(cells) + 1  # + injected parameters
    to_execute = 1 + sum(1 for c in cells if c.cell_type == "code" and c.source.strip()
                         and "skip-execution" not in c.metadata.get("tags", []))  # what nbclient executes
    executed_code = 0
    executed_at: list[float] = []
    for var in THREAD_VARIABLES:  # the kernel inherits these: parallel notebooks must not oversubscribe the cores
        os.environ.setdefault(var, str(task.get("threads", 1)))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep instead of spinning on shared cores

    def executed() -> None:  # once: the next notebook may start while this one's kernel stops and HTML is written
        if not executed_at:
            executed_at.append(time.monotonic())
            events.put(("executed", name))

    running_cell: list = []

    def on_cell_start(cell, cell_index):
        running_cell[:] = [cell, cell_index]
        events.put(("cell", name, cell_index, n_cells, time.monotonic() - started))

    def on_cell_executed(cell, cell_index, execute_reply):
        nonlocal executed_code
        executed_code += 1
        if executed_code == to_execute:  # the last cell is done; stopping the kernel takes 0.4 s more
            executed()

    # the exporters' first-use loading happens now, while the kernel works, not after it
    warm_up = threading.Thread(target=warm_exporters, kwargs={"render": True}, daemon=True)
    warm_up.start()
    kernel_stoppers: list = []  # the engine leaves the kernel running; it stops while the HTML is written
    try:
        pm.execute_notebook(task["input"], str(partial), parameters=task["parameters"], engine_name=_engine.NAME,
                            progress_bar=False, execution_timeout=task["timeout"], start_timeout=120,
                            cwd=str(Path(task["input"]).parent), on_cell_start=on_cell_start,
                            on_cell_executed=on_cell_executed, kernel_stoppers=kernel_stoppers,
                            socket_dir=task.get("sockets"), kernel_log=str(folder / f"{name}.kernel.log"),
                            deadline=started + task["timeout"] if task["timeout"] else None)
    except PapermillExecutionError as exc:
        result.update(status="failed", failing_cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # dead kernel, cell timeout: reported, never raised
        kind = type(exc).__name__
        status = "timeout" if "Timeout" in kind else "failed"
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().strip("-")]
        reason = next((ln for ln in lines if "timed out" in ln or "died" in ln.lower()), lines[0] if lines else kind)
        result.update(status=status, error=f"{kind}: {reason}")
        if running_cell:  # the cell that was running when the kernel died or time ran out
            cell, index = running_cell
            # a kernel that died may not have announced the cell's number; every executed cell counts one
            result.update(failing_cell=cell.get("execution_count") or executed_code + 1, failing_index=index,
                          error_name=kind)
            if status == "timeout":
                result["error"] = (f"In [{result['failing_cell']}] was still running when the notebook passed "
                                   f"--timeout ({task['timeout']:g} s): it timed out")
    executed()
    result["seconds"] = round(executed_at[0] - started, 2)
    warm_up.join()
    failure: list[BaseException] = []

    def publish() -> None:
        try:
            publish_notebook(partial, folder, name, task["language"], result)
        except BaseException as exc:  # re-raised below: the parent reports a worker that died writing
            failure.append(exc)

    writer = threading.Thread(target=publish)
    writer.start()
    for stop in kernel_stoppers:  # same thread and event loop as the execution
        try:
            stop()
        except Exception as exc:  # the notebook is done; its kernel must not outlive this worker
            log.warning("%s: the kernel did not stop cleanly (%s); killing it", name, exc)
            kill_tree(os.getpid(), itself=False)
    writer.join()
    if failure:
        raise failure[0]
    events.put(("done", name, result))


def exit_with_the_command(command: int, sockets: str | None = None, every: float = 1.0) -> None:
    """Stop this process, and the kernel it started, when the command that runs it (pid
    ``command``) is gone.

    Workers and the cleaning process are forked by the fork server, which outlives the command as
    long as they run (each holds the pipe whose end tells it the command has gone). Without this, a
    command killed outright (SIGKILL, the out-of-memory killer) left them running unseen, holding
    memory, until their notebook ended. ``sockets``, the run's folder of kernel sockets, goes too.
    """
    import psutil

    def watch() -> None:
        try:
            parent = psutil.Process(command)
            while parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE:  # is_running checks pid reuse
                time.sleep(every)
        except psutil.NoSuchProcess:
            pass
        kill_tree(os.getpid(), itself=False)
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="custlab-watch-command", daemon=True).start()


def clean(params, files, command: int) -> None:
    """:func:`custlab.data.cleaning.prepare_clean` in the cleaning process, which ends with the command."""
    from ..data import cleaning

    exit_with_the_command(command)
    cleaning.prepare_clean(params, files)


def publish_notebook(partial: Path, folder: Path, name: str, language: str, result: dict) -> None:
    """Write the executed notebook and both HTML files of one notebook; add its metrics."""
    import nbformat

    if not partial.exists():
        result.setdefault("metrics", {})
        return
    nb = nbformat.read(partial, as_version=4)
    if result["status"] != "ok" and not _has_error_banner(nb) and result.get("failing_index") is not None:
        _add_papermill_banner(nb, partial, result)
    if result["status"] != "ok" and not _has_error_banner(nb):
        banner = (f'<span style="color:red; font-size:1.4em">{i18n.t("failed", language)}: '
                  f"{html.escape(result['error'] or '')}</span>")
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(banner, metadata={"tags": [FAILURE_TAG]}))
    result["metrics"] = read_metrics(nb)
    atomic_write(folder / f"{name}.ipynb", nbformat.writes(nb))
    atomic_write(folder / f"{name}.html", export_html(nb, leadership=False, title=name, language=language))
    atomic_write(folder / f"{name}.leadership.html", export_html(nb, leadership=True, title=name, language=language))
    partial.unlink(missing_ok=True)


def _add_papermill_banner(nb, partial: Path, result: dict) -> None:
    """Mark the cell that was running when time ran out or the kernel died as failed, with
    Papermill's own banner linking to it, as for a cell that raised (Papermill adds neither there)."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    index = result["failing_index"]
    if index >= len(nb.cells) or nb.cells[index].cell_type != "code":
        return
    cell = nb.cells[index]
    ename, evalue = result.get("error_name", "Error"), result["error"] or ""
    cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
    cell.metadata.setdefault("papermill", {})["exception"] = True
    cell.execution_count = cell.execution_count or result["failing_cell"]
    try:
        raise_for_execution_errors(nb, str(partial))  # inserts the banner into ``nb``
    except PapermillExecutionError:
        pass


def _has_error_banner(nb) -> bool:
    return any(c.cell_type == "markdown" and "papermill-error-cell" in str(c.metadata.get("tags", []))
               for c in nb.cells)


def kill_tree(pid: int, itself: bool = True) -> None:
    """Kill a worker's children (its kernel; psutil finds them) and, with ``itself``, the worker."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + ([parent] if itself else [])
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
