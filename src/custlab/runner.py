"""Run notebooks with Papermill and publish a run folder.

:func:`run` validates every notebook's parameters before any starts, prepares the shared
clean-data cache once, executes notebooks in parallel worker processes (each with a deadline,
so a hung or dead kernel never hangs the run), and writes atomically into ``reports/<run-id>/``:
the executed notebook, analyst and leadership HTML, ``manifest.json``, ``index.html`` and
``run.log``. ``reports/latest`` moves only when every notebook succeeded.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import logging
import multiprocessing as mp
import os
import platform
import queue as queue_mod
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


from . import _forkserver, config, i18n, report
from .errors import CustlabError, ParamsError, RunInterrupted
from .report import atomic_symlink, atomic_write, atomic_write_json, export_html, read_metrics

log = logging.getLogger("custlab.runner")
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
    params_problems: list[tuple[list[str], str]] = []
    for nb in notebooks:
        try:
            validated[nb.stem] = config.load_params(nb.stem, files, params_dir=params_dir)
        except ParamsError as exc:  # a problem in a shared file is said once, with every notebook it stops
            same = next((i for i, (_, message) in enumerate(params_problems) if message == str(exc)), None)
            if same is None:
                params_problems.append(([nb.stem], str(exc)))
            else:
                params_problems[same][0].append(nb.stem)
        try:
            cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])  # plain JSON: nbformat costs 0.7 s to import
        except (ValueError, AttributeError) as exc:
            problems.append(f"{nb.stem}: {nb} is not a readable notebook ({exc}); open it in JupyterLab and save it again.")
            continue
        if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells):
            problems.append(f"{nb.stem}: {nb} has no cell tagged 'parameters'; tag the cell that "
                            "holds the defaults (View > Property Inspector > Cell tags).")
    problems = [f"{', '.join(names)}: {message}" for names, message in params_problems] + problems
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


# --------------------------------------------------------------------------- worker process
# OpenMP / BLAS pools (scikit-learn's k-means, numpy): sized to cores per parallel notebook. With
# more threads than free cores, spinning OpenMP workers made k-means 20x slower in a kernel.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _execute(task: dict[str, Any], events) -> None:
    """Run one notebook in this worker process and export it; report through ``events``."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from . import _engine

    import nbformat

    _exit_with_the_command(task["command"], task.get("sockets"))
    name, folder = task["notebook"], Path(task["folder"])
    partial = folder / f".{name}.partial.ipynb"
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
    warm_up = threading.Thread(target=report.warm_exporters, kwargs={"render": True}, daemon=True)
    warm_up.start()
    kernel_stoppers: list = []  # the engine leaves the kernel running; it stops while the HTML is written
    try:
        pm.execute_notebook(task["input"], str(partial), parameters=task["parameters"], engine_name=_engine.NAME,
                            progress_bar=False, execution_timeout=task["timeout"], start_timeout=120,
                            cwd=str(Path(task["input"]).parent), on_cell_start=on_cell_start,
                            on_cell_executed=on_cell_executed, kernel_stoppers=kernel_stoppers,
                            socket_dir=task.get("sockets"),
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
            _kill_tree(os.getpid(), itself=False)
    writer.join()
    if failure:
        raise failure[0]
    events.put(("done", name, result))


def _exit_with_the_command(command: int, sockets: str | None = None, every: float = 1.0) -> None:
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
        _kill_tree(os.getpid(), itself=False)
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="custlab-watch-command", daemon=True).start()


def _clean(params, files, command: int) -> None:
    """:func:`custlab.cleaning.prepare_clean` in the cleaning process, which ends with the command."""
    from . import cleaning

    _exit_with_the_command(command)
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
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(banner))
    result["metrics"] = read_metrics(nb)
    atomic_write(folder / f"{name}.ipynb", nbformat.writes(nb))
    atomic_write(folder / f"{name}.html", export_html(nb, leadership=False, title=name))
    atomic_write(folder / f"{name}.leadership.html", export_html(nb, leadership=True, title=name))
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


def _kill_tree(pid: int, itself: bool = True) -> None:
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


# --------------------------------------------------------------------------- stopping a run
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")  # Ctrl-C; a scheduler, systemd or `timeout` stopping the run; a closed terminal


class _Stop(BaseException):
    """Raised in the command by a stop signal. A BaseException, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stopped_by_signals():
    """While a run executes, a stop signal raises :class:`_Stop` in the command (main thread only;
    a signal ignored by whoever started the command, such as SIGHUP under nohup, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Stop(signum)

    previous = {}
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _ignore_stop_signals() -> None:
    """Once stopping, finish writing the report (undone by :func:`_stopped_by_signals` on exit)."""
    if threading.current_thread() is threading.main_thread():
        for name in STOP_SIGNALS:
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
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
    reports = Path(out) if out else config.REPORTS_DIR
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
    }
    atomic_write_json(folder / "manifest.json", manifest)
    outcomes = {nb.stem: NotebookOutcome(nb.stem, params=config.to_dict(validated[nb.stem])) for nb in notebooks}
    interrupted = None
    prepared = t0
    try:
        if prepare:
            from . import sources

            manifest["inputs"] = sources.fingerprint(first.source)
            _prepare_cache(validated, files)
        prepared = time.monotonic()
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
    manifest["notebooks"] = {name: {k: v for k, v in vars(o).items() if k != "notebook"} for name, o in outcomes.items()}
    result = RunResult(run_id, folder, list(outcomes.values()))
    manifest.update(status="interrupted" if interrupted else "ok" if result.ok else "failed",
                    finished=dt.datetime.now().isoformat(timespec="seconds"),
                    timings={"prepare": round(prepared - t0, 2), "notebooks": round(executed - prepared, 2),
                             "notebook_seconds": round(sum(o.seconds for o in result.outcomes), 2)})
    atomic_write(folder / "index.html", render_run_index(manifest, language))
    manifest["timings"]["total"] = round(time.monotonic() - t0, 2)
    atomic_write_json(folder / "manifest.json", manifest)
    if result.ok:
        atomic_symlink(run_id, reports / "latest")
    atomic_write(reports / "index.html", render_runs_index(reports, language))
    log.info("run %s finished: %s\n%s", run_id, manifest["status"], result.summary())
    if interrupted:
        raise RunInterrupted(f"Run {run_id} was stopped by {interrupted.name}; its running notebooks were stopped "
                             f"and their reports show how far they got ({folder}).\n{result.summary()}",
                             interrupted.value)
    return result


def _tasks(notebooks, validated, files, jobs, timeout, folder) -> list[dict[str, Any]]:
    """What each worker needs to run one notebook (plain data: it crosses to another process)."""
    threads = max(1, (os.cpu_count() or 1) // max(1, min(jobs, len(notebooks))))  # cores per parallel notebook
    return [{"notebook": nb.stem, "input": str(nb), "folder": str(folder), "timeout": timeout, "threads": threads,
             "command": os.getpid(),
             "language": validated[nb.stem].language,
             "parameters": {"param_files": [str(config.resolve_path(f)) for f in files],
                            "overrides": {"output_dir": str(folder / nb.stem)}}}
            for nb in notebooks]


def _prepare_cache(validated: dict[str, config.BaseParams], files=()) -> None:
    """Clean the tables once, before notebooks start, so that they all hit the cache
    (notebooks sharing a source and cleaning settings share one cache folder).

    A missing cache is filled in a child process: cleaning the 1M-company sample peaks at 20-23 GB,
    which this process would otherwise keep (Python holds on to freed memory) while the notebooks
    load the clean tables next to it. Errors come back as they were raised.
    """
    from concurrent.futures import ProcessPoolExecutor

    from . import cleaning

    missing = {}
    for params in validated.values():
        folder = cleaning.clean_folder(params, files)
        if not folder.exists():
            missing.setdefault(folder, params)
    if missing:
        with ProcessPoolExecutor(max_workers=1, mp_context=_forkserver.context()) as pool:
            try:
                for params in missing.values():
                    pool.submit(_clean, params, files, os.getpid()).result()
            except _Stop:  # leaving the pool would wait for the cleaning to finish: minutes at scale
                for proc in list(pool._processes.values()):  # the pool has no public kill
                    _kill_tree(proc.pid)
                raise


def _execute_all(tasks, outcomes, jobs, timeout, folder, progress) -> None:
    sockets = tempfile.mkdtemp(prefix="custlab-")  # the kernels' Unix sockets, removed even after a kill
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
        _kill_tree(proc.pid)
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
                proc = ctx.Process(target=_execute, args=(task, events), name=f"custlab-{task['notebook']}")
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
            _kill_tree(proc.pid)
        while True:  # notebooks that finished just before the signal
            try:
                event = events.get(timeout=0.2)
            except queue_mod.Empty:
                break
            if event[0] == "done" and event[1] in running.keys() | exporting.keys():
                running.pop(event[1], None)
                exporting.pop(event[1], None)
                finished(event[1], event[2])
        for name, (proc, began) in [*running.items(), *exporting.items()]:
            stop(name, proc, began, "interrupted", reason, at)
        for task in waiting:
            outcomes[task["notebook"]].status, outcomes[task["notebook"]].error = "not-run", reason
        raise


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


# --------------------------------------------------------------------------- index pages
_STYLE = ("<style>body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em;}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
          ".ok{color:#1a7f37}.failed,.timeout,.running,.interrupted,.incomplete{color:#cf222e}.not-run{color:#888}</style>")


def _page(title: str, body: str, language: str) -> str:
    lang = "zh-CN" if language == "zh" else "en"
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"{_STYLE}</head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _metrics_html(metrics: dict[str, Any]) -> str:
    return "<br>".join(f"{html.escape(str(k))}: {html.escape(json.dumps(v, ensure_ascii=False))[:200]}"
                       for k, v in metrics.items())


def render_run_index(manifest: dict[str, Any], language: str = "en") -> str:
    """The index page of one run: status, key numbers and links per notebook."""
    t = lambda k, **v: html.escape(i18n.t(k, language, **v))  # noqa: E731
    nbs = manifest["notebooks"]
    ok = sum(1 for n in nbs.values() if n["status"] == "ok")
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='{n['status']}'>{t(n['status'])}</td><td>{n['seconds']:.1f}</td>"
        f"<td>{'' if n['failing_cell'] is None else n['failing_cell']} {html.escape(n['error'] or '')}</td>"
        f"<td>{_metrics_html(n['metrics'])}</td>"
        f"<td><a href='{name}.leadership.html'>{t('leadership_report')}</a> · <a href='{name}.html'>{t('analyst_report')}</a></td></tr>"
        for name, n in nbs.items())
    git = manifest.get("git", {})
    body = (f"<p>{t('notebooks_ok', ok=ok, total=len(nbs))} · {t('started')}: {manifest['started']} · "
            f"{t('finished')}: {manifest['finished']} · {t('git_commit')}: {html.escape(str(git.get('commit'))[:10])}"
            f"{' (dirty)' if git.get('dirty') else ''}</p>"
            f"<table><tr><th>{t('notebook')}</th><th>{t('status')}</th><th>{t('seconds')}</th><th>{t('failing_cell')}</th>"
            f"<th>{t('key_numbers')}</th><th></th></tr>{rows}</table>")
    return _page(f"{i18n.t('run', language)} {manifest['run_id']}", body, language)


def list_runs(reports: Path = config.REPORTS_DIR) -> list[dict[str, Any]]:
    """Manifests of every run in ``reports``, newest first; a run without an end is 'incomplete'."""
    runs = []
    for manifest_path in reports.glob("*/manifest.json"):
        if manifest_path.parent.is_symlink():
            continue
        try:
            m = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if m.get("status") == "running":
            m["status"] = "incomplete"
        runs.append(m)
    return sorted(runs, key=lambda m: m["run_id"], reverse=True)


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


__all__ = ["run", "validate", "discover", "RunResult", "NotebookOutcome", "list_runs", "CustlabError"]
