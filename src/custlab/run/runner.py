"""Run notebooks with Papermill and publish a run folder.

:func:`run` validates every notebook's parameters before any starts, prepares the shared
clean-data cache once, executes notebooks in parallel worker processes (each with a deadline,
so a hung or dead kernel never hangs the run), and writes atomically into ``reports/<run-id>/``:
the executed notebook, analyst and leadership HTML, ``manifest.json``, ``index.html`` and
``run.log``. ``reports/latest`` moves only when every notebook succeeded. A stop signal stops
the notebooks with the run, and the report says how far each got.

What runs inside a worker lives in :mod:`custlab.run._worker`; the index pages in :mod:`custlab.run.folders`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import platform
import queue as queue_mod
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


from . import _forkserver, _worker
from ..data import cache
from .. import config
from ..errors import CustlabError, ParamsError, RunInterrupted
from ._worker import kill_tree, publish_notebook
from ..report import atomic_symlink, atomic_write, atomic_write_json
from .folders import list_runs, longest_first, prune_cache, previous_metrics, render_run_index, render_runs_index, sweep_killed  # noqa: F401 - list_runs is public here too

log = logging.getLogger("custlab.run.runner")
log.propagate = False  # the run log goes to run.log; the console gets the progress lines

#: packages whose versions go into every manifest
TRACKED_PACKAGES = ("custlab", "pandas", "numpy", "scikit-learn", "statsmodels", "factor-analyzer",
                    "duckdb", "papermill", "nbconvert", "matplotlib", "seaborn", "scipy", "pyarrow")
KILL_GRACE_SECONDS = 20


@dataclass
class NotebookOutcome:
    """What happened to one notebook in a run."""

    notebook: str
    status: str = "pending"  # ok | failed | timeout
    seconds: float = 0.0
    failing_cell: int | None = None
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """The outcome of :func:`run`."""

    run_id: str
    folder: Path
    outcomes: list[NotebookOutcome]

    @property
    def ok(self) -> bool:
        return all(o.status == "ok" for o in self.outcomes)

    def summary(self) -> str:
        rows = [f"{'notebook':<28}{'status':<9}{'seconds':>9}  failing cell"]
        for o in self.outcomes:
            cell = "" if o.failing_cell is None else f"{o.failing_cell}: {o.error or ''}"
            if o.failing_cell is None and o.error:
                cell = o.error
            rows.append(f"{o.notebook:<28}{o.status:<9}{o.seconds:>9.1f}  {cell[:120]}")
        return "\n".join(rows)


def discover(notebooks_dir: Path = config.NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """Notebooks to run, in name order; ``only`` filters by name (with or without .ipynb)."""
    found = sorted(p for p in notebooks_dir.glob("*.ipynb") if not p.name.startswith("."))
    if only:
        wanted = {o.removesuffix(".ipynb") for o in only}
        unknown = wanted - {p.stem for p in found}
        if unknown:
            raise ParamsError(f"--only names {sorted(unknown)}, which are not in {notebooks_dir}; "
                              f"available: {', '.join(p.stem for p in found)}.")
        found = [p for p in found if p.stem in wanted]
    return found


def validate(notebooks: list[Path], files: list[str | Path] = (), params_dir: Path = config.PARAMS_DIR
             ) -> dict[str, config.BaseParams]:
    """Validate the parameters of every notebook; raise one ParamsError listing all problems."""
    problems, validated = [], {}
    stopped_by: dict[str, list[str]] = {}  # a problem in a shared file is said once, with every notebook it stops
    for nb in notebooks:
        try:
            validated[nb.stem] = config.load_params(nb.stem, files, params_dir=params_dir)
        except ParamsError as exc:
            stopped_by.setdefault(str(exc), []).append(nb.stem)
        try:
            cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])  # plain JSON: nbformat costs 0.7 s to import
        except (ValueError, AttributeError) as exc:
            problems.append(f"{nb.stem}: {nb} is not a readable notebook ({exc}); open it in JupyterLab and save it again.")
            continue
        if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells):
            problems.append(f"{nb.stem}: {nb} has no cell tagged 'parameters'; tag the cell that "
                            "holds the defaults (View > Property Inspector > Cell tags).")
    problems = [f"{', '.join(names)}: {message}" for message, names in stopped_by.items()] + problems
    if problems:
        raise ParamsError("Nothing was run; fix these parameter problems first:\n  " + "\n  ".join(problems))
    return validated


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now()
    return now.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def git_state(root: Path = config.PROJECT_ROOT) -> dict[str, Any]:
    """The git commit of the code and whether the tree had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


# --------------------------------------------------------------------------- stopping a run
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")  # Ctrl-C; a scheduler, systemd or `timeout` stopping the run; a closed terminal


class _Stop(BaseException):
    """Raised in the command by a stop signal. A BaseException, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_signals() -> list[signal.Signals]:
    """The stop signals this command may handle: none outside the main thread (Python allows
    handlers only there), and none that whoever started the command ignores (SIGHUP under nohup)."""
    if threading.current_thread() is not threading.main_thread():
        return []
    found = (getattr(signal, name, None) for name in STOP_SIGNALS)
    return [sig for sig in found if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN]


@contextlib.contextmanager
def _stopped_by_signals():
    """While a run executes, a stop signal raises :class:`_Stop` in the command."""

    def handler(signum, frame):
        raise _Stop(signum)

    previous = {sig: signal.signal(sig, handler) for sig in _stop_signals()}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _ignore_stop_signals() -> None:
    """Once stopping, finish writing the report (undone by :func:`_stopped_by_signals` on exit)."""
    for sig in _stop_signals():
        signal.signal(sig, signal.SIG_IGN)


# --------------------------------------------------------------------------- the run
def run(files: list[str | Path] = (), only: list[str] | None = None, jobs: int | None = None,
        timeout: float | None = None, out: str | Path | None = None,
        notebooks_dir: Path = config.NOTEBOOKS_DIR, params_dir: Path = config.PARAMS_DIR,
        prepare: bool = True, progress=None) -> RunResult:
    """Validate, prepare the cache, execute notebooks and publish the run folder.

    Parameters
    ----------
    files : list of path
        Extra parameter files layered over params/base.yaml and params/<notebook>.yaml.
    only : list of str, optional
        Run only these notebooks.
    jobs : int, optional
        Notebooks run at once; default the number of cores.
    timeout : float, optional
        Seconds one notebook may run before it is stopped and reported as timed out.
    out : path, optional
        Reports folder; default ``reports/`` in the project.

    Returns
    -------
    RunResult
        Per-notebook outcomes; ``.ok`` is False when any notebook failed.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ParamsError(f"--jobs must be a whole number of 1 or more (got {jobs!r}); leave it out to run as many "
                          f"notebooks at once as there are cores ({os.cpu_count()}). Nothing was run.")
    if timeout is not None and not timeout > 0:
        raise ParamsError(f"--timeout must be a number of seconds above 0 (got {timeout!r}); leave it out for no "
                          f"limit. Nothing was run.")
    notebooks = discover(notebooks_dir, only)
    if not notebooks:
        raise ParamsError(f"No notebooks found in {notebooks_dir}.")
    _forkserver.start()  # warms up (imports, templates) while parameters are validated and data cleaned
    validated = validate(notebooks, files, params_dir)
    # absolute: kernels run in the notebooks' folder, and their output_dir must land in this run's folder
    reports = Path(out).absolute() if out else config.REPORTS_DIR
    sweep_killed(reports)  # earlier runs whose command died: marked killed, their partial notebooks removed
    run_id = new_run_id()
    folder = reports / run_id
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ParamsError(f"Cannot create the run folder {folder.resolve()}: {exc.strerror}. Give --out a folder "
                          f"you can write to. Nothing was run.") from None
    handler = logging.FileHandler(folder / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    progress = progress or _print_progress
    try:
        with _stopped_by_signals():
            try:
                return _run(notebooks, validated, files, jobs or os.cpu_count() or 1, timeout, reports, folder,
                            run_id, prepare, progress)
            except _Stop as interruption:  # outside the notebooks' part: nothing more to write
                name = signal.Signals(interruption.signum).name
                raise RunInterrupted(f"Run {run_id} was stopped by {name} before its report was complete: "
                                     f"{folder}.", interruption.signum) from None
    finally:
        log.removeHandler(handler)
        handler.close()


def _run(notebooks, validated, files, jobs, timeout, reports, folder, run_id, prepare, progress) -> RunResult:
    started = dt.datetime.now()
    t0 = time.monotonic()
    first = validated[notebooks[0].stem]
    language = first.language
    log.info("run %s: %d notebooks, jobs=%d, timeout=%s", run_id, len(notebooks), jobs, timeout)
    manifest: dict[str, Any] = {
        "run_id": run_id, "status": "running", "started": started.isoformat(timespec="seconds"),
        "finished": None, "param_files": [str(config.resolve_path(f)) for f in files],
        "jobs": jobs, "timeout": timeout, "git": git_state(), "packages": package_versions(),
        "inputs": {}, "notebooks": {},
        "pid": os.getpid(), "host": socket.gethostname(),  # so that `custlab list` can tell a killed run from a running one
    }
    atomic_write_json(folder / "manifest.json", manifest)
    outcomes = {nb.stem: NotebookOutcome(nb.stem, params=config.to_dict(validated[nb.stem])) for nb in notebooks}
    interrupted = None
    prepared = t0
    try:
        if prepare:
            manifest["inputs"] = cache.fingerprint(first.source)
            try:
                _prepare_cache(validated, files, reports)
            except Exception as exc:  # the run's folder says so too: run.log, manifest, index pages
                _record_failed_preparation(exc, manifest, outcomes, folder, reports, run_id, language)
                raise
        prepared = time.monotonic()
        if jobs > 1:  # several at once: the longest first, as the last runs timed them
            order = longest_first([nb.stem for nb in notebooks], reports, run_id)
            notebooks = sorted(notebooks, key=lambda nb: order.index(nb.stem))
        log.info("order: %s", ", ".join(nb.stem for nb in notebooks))
        _execute_all(_tasks(notebooks, validated, files, jobs, timeout, folder), outcomes, jobs, timeout, folder,
                     progress)
    except _Stop as interruption:
        interrupted = signal.Signals(interruption.signum)
        _ignore_stop_signals()
        for o in outcomes.values():
            if o.status == "pending":
                o.status, o.error = "not-run", f"stopped by {interrupted.name}"
        log.error("run %s stopped by %s", run_id, interrupted.name)
    executed = time.monotonic()
    manifest["notebooks"] = _manifest_entries(outcomes)
    result = RunResult(run_id, folder, list(outcomes.values()))
    manifest.update(status="interrupted" if interrupted else "ok" if result.ok else "failed",
                    finished=dt.datetime.now().isoformat(timespec="seconds"),
                    timings={"prepare": round(prepared - t0, 2), "notebooks": round(executed - prepared, 2),
                             "notebook_seconds": round(sum(o.seconds for o in result.outcomes), 2)})
    atomic_write(folder / "index.html", render_run_index(manifest, language, previous_metrics(reports, run_id)))
    manifest["timings"]["total"] = round(time.monotonic() - t0, 2)
    atomic_write_json(folder / "manifest.json", manifest)
    if result.ok:
        atomic_symlink(run_id, reports / "latest")
    atomic_write(reports / "index.html", render_runs_index(reports, language))
    keep = first.cache_keep_runs
    if keep and prepare:  # the clean tables (copies of personal data) of older runs only: gone
        for gone in prune_cache(reports, keep):
            log.info("cache pruned: %s (not used by the newest %d run(s) of %s)", gone.name, keep, reports)
    log.info("run %s finished: %s\n%s", run_id, manifest["status"], result.summary())
    if interrupted:
        raise RunInterrupted(f"Run {run_id} was stopped by {interrupted.name}; its running notebooks were stopped "
                             f"and their reports show how far they got ({folder}).\n{result.summary()}",
                             interrupted.value)
    return result


def _manifest_entries(outcomes: dict[str, NotebookOutcome]) -> dict[str, dict[str, Any]]:
    return {name: {k: v for k, v in vars(o).items() if k != "notebook"} for name, o in outcomes.items()}


def _record_failed_preparation(exc, manifest, outcomes, folder, reports, run_id, language) -> None:
    """Cleaning the tables failed, so no notebook ran: the run's folder shows why (a scheduled run
    is read from run.log, manifest.json and the index pages, not from the terminal)."""
    error = f"{type(exc).__name__}: {exc}"
    log.error("run %s: cleaning the tables failed, no notebook was run: %s", run_id, error)
    for o in outcomes.values():
        o.status, o.error = "not-run", "cleaning the tables failed"
    manifest.update(status="failed", error=error, finished=dt.datetime.now().isoformat(timespec="seconds"),
                    notebooks=_manifest_entries(outcomes))
    atomic_write_json(folder / "manifest.json", manifest)
    atomic_write(folder / "index.html", render_run_index(manifest, language, {}))
    atomic_write(reports / "index.html", render_runs_index(reports, language))


def _tasks(notebooks, validated, files, jobs, timeout, folder) -> list[dict[str, Any]]:
    """What each worker needs to run one notebook (plain data: it crosses to another process)."""
    threads = max(1, (os.cpu_count() or 1) // max(1, min(jobs, len(notebooks))))  # cores per parallel notebook
    return [{"notebook": nb.stem, "input": str(nb), "folder": str(folder), "timeout": timeout, "threads": threads,
             "command": os.getpid(),
             "language": validated[nb.stem].language,
             "parameters": {"param_files": [str(config.resolve_path(f)) for f in files],
                            "overrides": {"output_dir": str(folder / nb.stem)}}}
            for nb in notebooks]


def _prepare_cache(validated: dict[str, config.BaseParams], files=(), reports: Path | None = None) -> None:
    """Clean the tables once, before notebooks start, so that they all hit the cache
    (notebooks sharing a source and cleaning settings share one cache folder).

    A missing cache is filled in a child process: cleaning the 1M-company sample peaks at 20-23 GB,
    which this process would otherwise keep (Python holds on to freed memory) while the notebooks
    load the clean tables next to it. Errors come back as they were raised.
    """
    from concurrent.futures import ProcessPoolExecutor

    missing, used = {}, set()
    for params in validated.values():
        folder = cache.clean_folder(params, files)
        used.add(folder)
        if not cache.intact(folder):  # missing, or damaged (then rebuilt)
            missing.setdefault(folder, params)
    if missing:
        with ProcessPoolExecutor(max_workers=1, mp_context=_forkserver.context()) as pool:
            try:
                for params in missing.values():
                    pool.submit(_worker.clean, params, files, os.getpid()).result()
            except _Stop:  # leaving the pool would wait for the cleaning to finish: minutes at scale
                for proc in list(pool._processes.values()):  # the pool has no public kill
                    kill_tree(proc.pid)
                raise
    for folder in used if reports is not None else ():
        cache.mark_used(folder, reports)


def _execute_all(tasks, outcomes, jobs, timeout, folder, progress) -> None:
    sockets = tempfile.mkdtemp(prefix="custlab-", dir=_forkserver.socket_root())  # the kernels' Unix sockets, removed even after a kill
    try:
        _execute_tasks([{**task, "sockets": sockets} for task in tasks], outcomes, jobs, timeout, folder, progress)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


def _execute_tasks(tasks, outcomes, jobs, timeout, folder, progress) -> None:
    ctx = _forkserver.context()
    events = ctx.Queue()
    waiting = list(tasks)
    language = {task["notebook"]: task["language"] for task in tasks}
    running: dict[str, tuple[Any, float]] = {}
    exporting: dict[str, tuple[Any, float]] = {}  # executed, writing HTML: no longer holds a --jobs slot

    def finished(name: str, payload: dict) -> None:
        o = outcomes[name]
        o.status, o.seconds = payload["status"], payload["seconds"]
        o.failing_cell, o.error, o.metrics = payload["failing_cell"], payload["error"], payload.get("metrics", {})
        log.info("%s: %s in %.1fs %s", name, o.status, o.seconds, o.error or "")
        progress("done", name, outcome=o)

    def stop(name: str, proc, began: float, status: str, error: str, at: float | None = None) -> None:
        """Kill a worker and its kernel; publish what its notebook got to (written every few seconds)."""
        kill_tree(proc.pid)
        proc.join(timeout=10)
        o = outcomes[name]
        o.seconds, o.status, o.error = round((at or time.monotonic()) - began, 2), status, error
        result = {"status": status, "error": error, "failing_cell": None}
        publish_notebook(folder / f".{name}.partial.ipynb", folder, name, language[name], result)
        o.metrics = result.get("metrics", {})
        log.error("%s: %s", name, error)
        progress("done", name, outcome=o)

    try:
        while waiting or running or exporting:
            while waiting and len(running) < jobs:
                task = waiting.pop(0)
                proc = ctx.Process(target=_worker.execute, args=(task, events), name=f"custlab-{task['notebook']}")
                proc.start()
                running[task["notebook"]] = (proc, time.monotonic())
                log.info("started %s", task["notebook"])
                progress("start", task["notebook"])
            try:
                event = events.get(timeout=0.5)
            except queue_mod.Empty:
                event = None
            if event and event[0] == "cell":
                _, name, index, total, elapsed = event
                progress("cell", name, index=index, total=total, elapsed=elapsed)
            elif event and event[0] == "executed":
                exporting[event[1]] = running.pop(event[1])
            elif event and event[0] == "done":
                _, name, payload = event
                proc, _ = exporting.pop(name, None) or running.pop(name)
                proc.join(timeout=30)
                finished(name, payload)
            for name, (proc, _) in list(exporting.items()):
                if not proc.is_alive() and proc.exitcode not in (None, 0):  # died while writing HTML
                    exporting.pop(name)
                    o = outcomes[name]
                    o.status, o.error = "failed", f"worker died with exit code {proc.exitcode} while writing the report"
                    log.error("%s: %s", name, o.error)
                    progress("done", name, outcome=o)
            for name, (proc, began) in list(running.items()):
                overdue = timeout is not None and time.monotonic() - began > timeout + KILL_GRACE_SECONDS
                if overdue or (not proc.is_alive() and proc.exitcode not in (None, 0)):
                    running.pop(name)
                    stop(name, proc, began, "timeout" if overdue else "failed",
                         f"stopped after {timeout:.0f}s (--timeout)" if overdue
                         else f"worker process died with exit code {proc.exitcode}")
    except _Stop as interruption:
        # the command was told to stop: so are its notebooks, and the report says how far each got
        _ignore_stop_signals()  # a second Ctrl-C must not cut the report short; this takes seconds
        reason, at = f"stopped by {signal.Signals(interruption.signum).name}", time.monotonic()
        for proc, _ in [*running.values(), *exporting.values()]:
            kill_tree(proc.pid)
        while True:  # notebooks that finished just before the signal
            try:
                event = events.get(timeout=0.2)
            except queue_mod.Empty:
                break
            except Exception:  # the signal may have cut a message in half: the rest is not readable
                break
            if event[0] == "done" and event[1] in running.keys() | exporting.keys():
                running.pop(event[1], None)
                exporting.pop(event[1], None)
                finished(event[1], event[2])
        for name, (proc, began) in [*running.items(), *exporting.items()]:
            stop(name, proc, began, "interrupted", reason, at)
        raise  # the run marks the notebooks still waiting as not run


def _print_progress(kind: str, name: str, **info) -> None:
    if kind == "start":
        print(f"▶ {name}", file=sys.stderr, flush=True)
    elif kind == "cell" and sys.stderr.isatty():
        print(f"\r  {name}: cell {info['index'] + 1}/{info['total']}  {info['elapsed']:6.1f}s",
              end="", file=sys.stderr, flush=True)
    elif kind == "done":
        o = info["outcome"]
        end = "\n" if sys.stderr.isatty() else ""
        print(f"{end}{'✔' if o.status == 'ok' else '✘'} {name}: {o.status} in {o.seconds:.1f}s"
              + (f" — cell {o.failing_cell}: {o.error}" if o.failing_cell is not None else f" — {o.error}" if o.error else ""),
              file=sys.stderr, flush=True)


__all__ = ["run", "validate", "discover", "RunResult", "NotebookOutcome", "list_runs", "CustlabError"]
