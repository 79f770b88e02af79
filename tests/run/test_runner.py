"""The runner on tiny fixture notebooks: ok, raises, no parameters cell, timeout, dead kernel."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from custlab.run import _engine, _forkserver, runner
from custlab import config
from custlab.errors import ParamsError

SECRET_CODE = "ANALYST_ONLY_CODE_MARKER = 1"


def _nb(path, *cells, tagged=True):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells.append(new_markdown_cell("# fixture"))
    params = new_code_cell("param_files = []\noverrides = {}")
    if tagged:
        params.metadata["tags"] = ["parameters"]
    nb.cells.append(params)
    nb.cells += [new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


OK_CELLS = (SECRET_CODE, "from custlab import report\nimport pandas as pd\nreport.record('answer', 42)",
            "import os\nreport.record('omp', os.environ.get('OMP_NUM_THREADS'))",
            "report.show(pd.DataFrame({'name': ['华信'], 'phone': ['13800138000'], 'email': ['li.na@x.cn']}))",
            "print('call 13912345678')")


@pytest.fixture()
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _nb(folder / "a_ok.ipynb", *OK_CELLS)
    _nb(folder / "b_raises.ipynb", "x = 1", "raise ValueError('planted failure')", "y = 2")
    _nb(folder / "c_sleeps.ipynb", "import time\ntime.sleep(120)")
    _nb(folder / "d_dies.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    _nb(folder / "h_slow_cells.ipynb", *["import time\ntime.sleep(3)"] * 5)  # each cell is short, all are not
    return folder


def test_mixed_run_reports_each_notebook(notebooks, params_dir, small_sample, tmp_path):
    out = tmp_path / "reports"
    events = []
    result = runner.run(out=out, jobs=2, timeout=8, notebooks_dir=notebooks, params_dir=params_dir,
                        progress=lambda kind, name, **kw: events.append((kind, name)))
    by = {o.notebook: o for o in result.outcomes}
    assert not result.ok
    threads = os.environ.get("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // 2)))  # cores per parallel notebook
    assert by["a_ok"].status == "ok" and by["a_ok"].metrics == {"answer": 42, "omp": threads}
    assert by["b_raises"].status == "failed" and by["b_raises"].failing_cell == 4  # In [4]: parameters, injected, x = 1, raise
    assert "ValueError: planted failure" in by["b_raises"].error
    assert by["c_sleeps"].status == "timeout" and by["c_sleeps"].seconds < 60 and "timed out" in by["c_sleeps"].error
    # --timeout is the notebook's limit, not only each cell's: the third 3-second cell (In [5]) passes 8 s
    slow = by["h_slow_cells"]
    # (In [4] when the kernel was slow to start, as on a cold first run: the limit counts from the start)
    assert slow.status == "timeout" and slow.failing_cell in (4, 5) and 8 <= slow.seconds < 12, (slow.seconds, slow.error)
    assert f"In [{slow.failing_cell}] was still running when the notebook passed --timeout (8 s)" in slow.error
    assert by["d_dies"].status == "failed" and "Dead" in by["d_dies"].error and by["d_dies"].failing_cell == 3
    assert ("cell", "a_ok") in events and ("done", "d_dies") in events
    folder = result.folder
    for name in by:
        for suffix in (".ipynb", ".html", ".leadership.html"):
            assert (folder / f"{name}{suffix}").exists(), f"{name}{suffix}"
    assert not list(folder.glob(".*"))  # no temporary or partial files left
    analyst = (folder / "a_ok.html").read_text(encoding="utf-8")
    leader = (folder / "a_ok.leadership.html").read_text(encoding="utf-8")
    assert "ANALYST_ONLY_CODE_MARKER" in analyst and "ANALYST_ONLY_CODE_MARKER" not in leader
    assert "13800138000" in analyst and "13800138000" not in leader and "138****8000" in leader
    assert "13912345678" not in leader and "li.na@x.cn" not in leader
    # a failed notebook's leadership page says so in one sentence; the traceback is for analysts
    failed_leader = (folder / "b_raises.leadership.html").read_text(encoding="utf-8")
    assert "This report is incomplete: the analysis stopped before its end." in failed_leader
    assert "planted failure" not in failed_leader and "Traceback" not in failed_leader and "ValueError" not in failed_leader
    assert "ValueError" in (folder / "b_raises.html").read_text(encoding="utf-8")
    slow_html = (folder / "h_slow_cells.html").read_text(encoding="utf-8")
    banner = r"An Exception was encountered at '<a href=\"#papermill-error-cell\"></a>In \[{}\]'"  # Papermill's
    assert re.search(banner.format(slow.failing_cell), slow_html)
    assert "CellTimeoutError" in slow_html and "In [5] was still running" in slow_html
    dead_html = (folder / "d_dies.html").read_text(encoding="utf-8")
    assert re.search(banner.format(3), dead_html)
    failed_html = (folder / "b_raises.html").read_text(encoding="utf-8")
    assert "planted failure" in failed_html and "An Exception was encountered" in failed_html
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed" and manifest["run_id"] == result.run_id
    assert set(manifest["notebooks"]) == {"a_ok", "b_raises", "c_sleeps", "d_dies", "h_slow_cells"}
    assert manifest["notebooks"]["a_ok"]["metrics"] == {"answer": 42, "omp": threads}
    assert manifest["notebooks"]["a_ok"]["params"]["source"]["kind"] == "duckdb"
    source = small_sample / "crm.duckdb"
    assert manifest["inputs"] == {str(source): hashlib.sha256(source.read_bytes()).hexdigest()}
    assert manifest["git"]["commit"] and isinstance(manifest["git"]["dirty"], bool) and manifest["packages"]["pandas"]
    assert manifest["started"] <= manifest["finished"] and manifest["jobs"] == 2 and manifest["timeout"] == 8
    assert manifest["notebooks"]["b_raises"]["failing_cell"] == 4 and manifest["notebooks"]["a_ok"]["seconds"] > 0
    assert not (out / "latest").exists()  # a failed run never becomes latest
    assert result.run_id in (out / "index.html").read_text(encoding="utf-8")
    assert "b_raises" in (folder / "run.log").read_text(encoding="utf-8")
    assert "b_raises" in result.summary() and "planted failure" in result.summary()


def test_reports_are_in_the_report_language(notebooks, params_dir, tmp_path):
    nb = nbformat.read(notebooks / "a_ok.ipynb", as_version=4)
    nb.cells[1:1] = [new_markdown_cell("## Duplicates", metadata={"tags": ["lang-en"]}),
                     new_markdown_cell("## 重复客户", metadata={"tags": ["lang-zh"]}),
                     new_markdown_cell("Source: CRM 2026")]  # untagged: in both
    nbformat.write(nb, notebooks / "g_bilingual.ipynb")
    (tmp_path / "zh.yaml").write_text("language: zh\n", encoding="utf-8")
    chinese = runner.run([tmp_path / "zh.yaml"], out=tmp_path / "reports", only=["g_bilingual"],
                         notebooks_dir=notebooks, params_dir=params_dir)
    english = runner.run(out=tmp_path / "reports", only=["g_bilingual"], notebooks_dir=notebooks, params_dir=params_dir)
    assert chinese.ok and english.ok
    for page in ("g_bilingual.html", "g_bilingual.leadership.html"):
        zh, en = ((run.folder / page).read_text(encoding="utf-8") for run in (chinese, english))
        assert "重复客户" in zh and ">Duplicates<" not in zh and "Duplicates" in en and "重复客户" not in en
        assert "Source: CRM 2026" in zh and "Source: CRM 2026" in en
        # the page's language: Han characters drawn as Chinese, no offer to translate
        assert '<html lang="zh">' in zh and '<html lang="en">' in en
    assert '<html lang="zh-CN">' in (chinese.folder / "index.html").read_text(encoding="utf-8")
    executed = nbformat.read(chinese.folder / "g_bilingual.ipynb", as_version=4)  # the notebook keeps both
    assert {"## Duplicates", "## 重复客户"} <= {c.source for c in executed.cells}


def test_run_index_compares_key_numbers_with_the_previous_successful_run(notebooks, params_dir, tmp_path):
    _nb(notebooks / "h_numbers.ipynb", "from custlab import report\n"
        "report.record('key_accounts', 100 + 20 * len(param_files))\n"
        "report.record('key_account_revenue_share', 0.7 + 0.05 * len(param_files))\n"
        "report.record('by_tier', {'high': 1})")
    (tmp_path / "more.yaml").write_text("language: en\n", encoding="utf-8")
    out = tmp_path / "reports"
    first = runner.run(out=out, only=["h_numbers"], notebooks_dir=notebooks, params_dir=params_dir)
    failed = runner.run(out=out, only=["b_raises"], notebooks_dir=notebooks, params_dir=params_dir)
    second = runner.run([tmp_path / "more.yaml"], out=out, only=["h_numbers"], notebooks_dir=notebooks,
                        params_dir=params_dir)
    assert first.ok and not failed.ok and second.ok
    page = (second.folder / "index.html").read_text(encoding="utf-8")
    assert f"<th>Run {first.run_id}</th><th>Change</th>" in page  # the newest run in which this notebook succeeded
    assert "<tr><td>Key accounts</td><td>120</td><td>100</td><td>+20</td></tr>" in page
    assert "<tr><td>Key accounts&#x27; share of revenue</td><td>75.0%</td><td>70.0%</td><td>+5.0 pp</td></tr>" in page
    assert "<details><summary>All recorded values</summary>by_tier: {&quot;high&quot;: 1}</details>" in page
    assert "<th>Change</th>" not in (first.folder / "index.html").read_text(encoding="utf-8")  # nothing to compare


def test_ok_run_becomes_latest(notebooks, params_dir, tmp_path):
    out = tmp_path / "reports"
    began = time.time()
    result = runner.run(out=out, only=["a_ok"], notebooks_dir=notebooks, params_dir=params_dir)
    assert result.ok
    # the worker stops its kernel (while writing the HTML) before it reports the notebook done;
    # a kernel left behind would be orphaned (its worker is gone) and still alive now. Kernels whose
    # worker lives belong to another test process running notebooks beside this one.
    kernels = [p.pid for p in psutil.process_iter(["cmdline", "create_time", "ppid"])
               if p.info["create_time"] >= began - 1 and "ipykernel_launcher" in " ".join(p.info["cmdline"] or [])
               and (p.info["ppid"] == 1 or not psutil.pid_exists(p.info["ppid"]))]
    assert kernels == []
    assert os.readlink(out / "latest") == result.run_id
    assert "answer" in (out / "latest" / "index.html").read_text(encoding="utf-8")
    assert runner.list_runs(out)[0]["status"] == "ok"


def test_command_process_never_imports_nbformat_and_kernels_use_private_sockets(notebooks, params_dir, tmp_path):
    # nbformat pulls jsonschema, whose import took 0.7 s here; workers read and write notebooks,
    # the command itself only reads JSON (a NotebookNode in a worker's result once pulled it in).
    # Kernels listen on Unix sockets in a temporary folder that is removed with the kernel, and
    # ipykernel's "running over TCP without encryption" warning no longer reaches the output.
    # TMPDIR is deep here, as a scheduler's private folder can be: too deep for a Unix socket path.
    _nb(notebooks / "g_dict.ipynb", "from custlab import report\nreport.record('by_tier', {'high': [1, 2]})")
    script = (f"import sys; from custlab.run import runner; from pathlib import Path\n"
              f"r = runner.run(out=Path({str(tmp_path / 'reports')!r}), only=['g_dict'], "
              f"notebooks_dir=Path({str(notebooks)!r}), params_dir=Path({str(params_dir)!r}))\n"
              f"print(r.ok, r.outcomes[0].metrics, sorted(m for m in sys.modules if m in ('nbformat', 'jsonschema')))")
    private_tmp = tmp_path / ("tmp-" + "d" * 100)
    private_tmp.mkdir()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TMPDIR": str(private_tmp)})
    assert done.stdout.split("\n")[-2].startswith("True {'by_tier': {'high': [1, 2]}}") and done.stdout.rstrip().endswith("[]"), done.stderr[-2000:]
    assert "TCP" not in done.stderr and "g_dict: ok" in done.stderr
    assert list(private_tmp.iterdir()) == []


def test_cleaning_runs_in_a_child_and_its_errors_reach_the_command(notebooks, params_dir, tmp_path):
    from custlab.errors import SchemaError

    source = tmp_path / "export"  # a source no earlier run has cleaned: the cache is cold
    source.mkdir()
    (source / "customers.csv").write_text("name,city\n华信,上海\n", encoding="utf-8")
    (source / "orders.csv").write_text("order_id,customer_id,order_date,amount\n1,C1,2026-01-02,10\n", encoding="utf-8")
    (params_dir / "bad.yaml").write_text(f"source:\n  kind: csv\n  path: {source}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="customers.*lacks required column.*customer_id") as err:
        runner.run([params_dir / "bad.yaml"], out=tmp_path / "reports", only=["a_ok"], notebooks_dir=notebooks,
                   params_dir=params_dir)
    assert type(err.value.__cause__).__name__ == "_RemoteTraceback"  # raised in the cleaning process
    assert "prepare_clean" in str(err.value.__cause__)
    # the run's folder says what happened, for a scheduled run nobody watched
    folder = next(p for p in (tmp_path / "reports").iterdir() if p.is_dir() and p.name != "latest")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed" and manifest["error"].startswith("SchemaError: table 'customers'")
    assert manifest["notebooks"]["a_ok"]["status"] == "not-run"
    assert "cleaning the tables failed, no notebook was run: SchemaError" in (folder / "run.log").read_text(encoding="utf-8")
    assert "cleaning the tables failed" in (folder / "index.html").read_text(encoding="utf-8")
    assert folder.name in (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "reports" / "latest").exists()


def test_validation_fails_before_anything_runs(notebooks, params_dir, tmp_path):
    _nb(notebooks / "e_untagged.ipynb", "x = 1", tagged=False)
    (notebooks / "f_broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (params_dir / "a_ok.yaml").write_text("colour: red\n", encoding="utf-8")
    out = tmp_path / "reports"
    with pytest.raises(ParamsError) as err:
        runner.run(out=out, notebooks_dir=notebooks, params_dir=params_dir)
    msg = str(err.value)
    assert "Nothing was run" in msg and "'colour' is unknown" in msg and "a_ok.yaml" in msg
    assert "e_untagged" in msg and "no cell tagged 'parameters'" in msg
    assert "f_broken.ipynb is not a readable notebook" in msg and "save it again" in msg
    shared = tmp_path / "shared.yaml"  # one mistake in a file every notebook reads is listed once
    shared.write_text("language: fr\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        runner.run([shared], out=out, only=["b_raises", "c_sleeps"], notebooks_dir=notebooks, params_dir=params_dir)
    assert str(err.value).count("'fr'") == 1 and "  b_raises, c_sleeps: In " in str(err.value)
    (tmp_path / "a_file").write_text("", encoding="utf-8")
    with pytest.raises(ParamsError, match="Cannot create the run folder .*a_file/.*Not a directory. Give --out a folder"):
        runner.run(out=tmp_path / "a_file", only=["b_raises"], notebooks_dir=notebooks, params_dir=params_dir)
    assert not out.exists()
    with pytest.raises(ParamsError, match="--only names \\['zz'\\]"):
        runner.run(out=out, only=["zz"], notebooks_dir=notebooks, params_dir=params_dir)
    for jobs in (0, -1, 1.5):  # -1 once made the scheduling loop wait forever for a free slot
        with pytest.raises(ParamsError, match=f"--jobs must be a whole number of 1 or more \\(got {jobs}\\)"):
            runner.run(out=out, jobs=jobs, notebooks_dir=notebooks, params_dir=params_dir)
    for timeout in (0, -5.0, float("nan")):
        with pytest.raises(ParamsError, match="--timeout must be a number of seconds above 0"):
            runner.run(out=out, timeout=timeout, notebooks_dir=notebooks, params_dir=params_dir)
    assert not out.exists()


def test_killed_run_leaves_latest_intact(notebooks, params_dir, tmp_path):
    out = tmp_path / "reports"
    good = runner.run(out=out, only=["a_ok"], notebooks_dir=notebooks, params_dir=params_dir)
    script = (f"from custlab.run import runner; from pathlib import Path\n"
              f"runner.run(out=Path({str(out)!r}), only=['c_sleeps'], notebooks_dir=Path({str(notebooks)!r}), "
              f"params_dir=Path({str(params_dir)!r}))")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                            env={**os.environ, "TMPDIR": str(private_tmp)})
    deadline = time.time() + 60
    while time.time() < deadline and len([p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]) < 2:
        time.sleep(0.2)
    time.sleep(3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.readlink(out / "latest") == good.run_id
    assert json.loads((out / "latest" / "manifest.json").read_text())["status"] == "ok"
    statuses = {m["run_id"]: m["status"] for m in runner.list_runs(out)}
    assert statuses[good.run_id] == "ok" and list(statuses.values()).count("killed") == 1  # its command is gone
    killed = out / next(r for r, s in statuses.items() if s == "killed")
    partials = list(killed.glob(".*.partial.ipynb"))  # the notebook it was running, with unmasked data
    assert partials and all(p.stat().st_mode & 0o777 == 0o600 for p in partials)
    (out / "other-tool").mkdir()  # a folder under --out that is not a custlab run
    (out / "other-tool" / "manifest.json").write_text('{"name": "not ours"}', encoding="utf-8")
    assert runner.sweep_killed(out) == [killed.name]
    assert not list(killed.glob(".*.partial.ipynb"))
    assert json.loads((killed / "manifest.json").read_text())["status"] == "killed"
    assert len(runner.list_runs(out)) == 2 and runner.sweep_killed(out) == []


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1, path.name
    # nor anything a run wrote next to them (a relative --out once put report files in notebooks/)
    tracked = subprocess.run(["git", "ls-files", "notebooks"], cwd=config.PROJECT_ROOT, capture_output=True, text=True)
    if tracked.returncode == 0:  # a source tree without git has nothing committed to check
        assert [f for f in tracked.stdout.split() if not f.endswith(".ipynb")] == []


def test_committed_notebooks_carry_every_heading_and_paragraph_in_both_languages():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
        tags = [[t for t in c.metadata.get("tags", []) if t.startswith("lang-")] for c in cells]
        assert tags == [["lang-en"], ["lang-zh"]] * (len(cells) // 2), path.name  # en, then its zh twin
        for en, zh in zip(cells[::2], cells[1::2]):
            en_heading, zh_heading = en.source.splitlines()[0], zh.source.splitlines()[0]
            assert en_heading.split(" ")[0] == zh_heading.split(" ")[0], (path.name, en_heading)  # same level
            assert not cjk.search(en_heading) and cjk.search(zh_heading), (path.name, en_heading, zh_heading)
            assert ("\n\n" in en.source) == ("\n\n" in zh.source), (path.name, en_heading)  # a paragraph in both or neither


def test_engine_writes_the_partial_notebook_at_most_every_few_seconds(tmp_path, monkeypatch):
    import papermill.engines

    writes = []
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: writes.append(time.monotonic()))
    nb = new_notebook(cells=[new_code_cell(f"x = {i}") for i in range(30)], metadata={"papermill": {}})
    man = _engine.ThrottledExecutionManager(nb, output_path=str(tmp_path / "out.ipynb"), progress_bar=False)
    man.notebook_start()  # the first write, so a killed worker always leaves a partial notebook
    for i, cell in enumerate(nb.cells):
        man.cell_start(cell, i)
        man.cell_complete(cell, i)
    assert len(writes) == 1  # papermill itself writes 61 times here
    monkeypatch.setattr(_engine, "SAVE_EVERY", 0.0)
    man.cell_complete(nb.cells[0], 0)
    assert len(writes) == 2
    monkeypatch.setattr(_engine, "SAVE_EVERY", 3600.0)
    man.notebook_complete()  # the last write always happens
    assert len(writes) == 3 and nb.metadata.papermill["duration"] is not None


def test_progress_names_notebook_cell_and_elapsed_on_a_terminal_and_stays_quiet_in_logs(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    failed = runner.NotebookOutcome("10_key_accounts", status="failed", seconds=3.24, failing_cell=7, error="ValueError: x")
    for stream, expected in ((Terminal(), "▶ 10_key_accounts\n\r  10_key_accounts: cell 5/18     2.3s"
                                          "\n✘ 10_key_accounts: failed in 3.2s — cell 7: ValueError: x\n"),
                             (io.StringIO(), "▶ 10_key_accounts\n✘ 10_key_accounts: failed in 3.2s — cell 7: ValueError: x\n")):
        monkeypatch.setattr(sys, "stderr", stream)
        runner._print_progress("start", "10_key_accounts")
        runner._print_progress("cell", "10_key_accounts", index=4, total=18, elapsed=2.345)
        runner._print_progress("done", "10_key_accounts", outcome=failed)
        assert stream.getvalue() == expected  # a cron log gets no carriage-return cell counter


def _start_run(notebooks, params_dir, out, only, tmp):
    """A run in a process of its own, as the scheduler starts one; returns it once a kernel is working."""
    script = (f"import sys; from custlab.run import runner; from custlab.errors import RunInterrupted; from pathlib import Path\n"
              f"try:\n    runner.run(out=Path({str(out)!r}), only={only!r}, jobs=1, notebooks_dir=Path({str(notebooks)!r}), "
              f"params_dir=Path({str(params_dir)!r}))\n"
              f"except RunInterrupted as exc:\n    print(exc, file=sys.stderr); sys.exit(128 + exc.signum)")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.time() + 60
    while time.time() < deadline:
        tree = psutil.Process(proc.pid).children(recursive=True)
        if any("ipykernel_launcher" in _command_line(p) for p in tree):
            break
        time.sleep(0.2)
    time.sleep(1.5)  # the kernel is in the sleeping cell
    return proc, psutil.Process(proc.pid).children(recursive=True)


def _command_line(process) -> str:
    """Its command line, or '' once it has ended (a process can end between two looks at it)."""
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return ""


def _gone(processes, within: float) -> list:
    deadline = time.time() + within
    while time.time() < deadline:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return [_command_line(p)[:120] for p in alive]


def test_sigterm_stops_the_notebooks_and_the_report_says_so(notebooks, params_dir, tmp_path):
    # a scheduler (systemd, Airflow, `timeout`) stopping the command signals it alone: it must take
    # its workers and kernels with it, and its report must say what happened to each notebook
    out = tmp_path / "reports"
    (tmp_path / "tmp").mkdir()
    proc, tree = _start_run(notebooks, params_dir, out, ["c_sleeps", "d_dies"], tmp_path / "tmp")
    os.kill(proc.pid, signal.SIGTERM)
    stderr = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "was stopped by SIGTERM; its running notebooks were stopped" in stderr
    assert _gone(tree, within=10) == []
    folder = next(p for p in out.iterdir() if p.is_dir())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "interrupted" and manifest["finished"]
    assert manifest["notebooks"]["c_sleeps"]["status"] == "interrupted"
    assert manifest["notebooks"]["c_sleeps"]["error"] == "stopped by SIGTERM"
    assert manifest["notebooks"]["d_dies"]["status"] == "not-run"  # waiting for the one --jobs slot
    assert "stopped by SIGTERM" in (folder / "c_sleeps.html").read_text(encoding="utf-8")
    assert "interrupted" in (folder / "index.html").read_text(encoding="utf-8")
    assert not (out / "latest").exists() and not list(folder.glob(".*"))
    assert list((tmp_path / "tmp").iterdir()) == []  # the kernels' socket folder was removed


def test_a_command_killed_outright_takes_its_workers_and_kernels_with_it(notebooks, params_dir, tmp_path):
    (tmp_path / "tmp").mkdir()
    proc, tree = _start_run(notebooks, params_dir, tmp_path / "reports", ["c_sleeps"], tmp_path / "tmp")
    assert len(tree) >= 3  # fork server, worker, kernel
    os.kill(proc.pid, signal.SIGKILL)  # the out-of-memory killer's way: no handler runs
    proc.communicate(timeout=60)
    assert _gone(tree, within=10) == []  # before, the worker and its kernel slept on for two minutes
    # nor are the kernel's sockets and key (the command's own pymp- folder dies with it, unremoved)
    assert [p.name for p in (tmp_path / "tmp").iterdir() if not p.name.startswith("pymp-")] == []


def test_cli_exit_code_of_a_stopped_run_is_the_shells(monkeypatch, capsys):
    from custlab import cli
    from custlab.errors import RunInterrupted

    def stopped(*args, **kwargs):
        raise RunInterrupted("Run r1 was stopped by SIGINT", signal.SIGINT)

    monkeypatch.setattr(runner, "run", stopped)
    monkeypatch.setattr(_forkserver, "start", lambda: None)
    assert cli.main(["run", "monthly.yaml"]) == 130
    assert "custlab: Run r1 was stopped by SIGINT" in capsys.readouterr().err


def test_with_several_jobs_the_longest_notebooks_start_first(tmp_path):
    # last runs' seconds: the newest successful one per notebook counts; a failed run's does not
    import json

    from custlab.run.folders import longest_first

    def manifest(run_id, notebooks):
        (tmp_path / run_id).mkdir()
        (tmp_path / run_id / "manifest.json").write_text(json.dumps({"run_id": run_id, "status": "ok", "notebooks": {
            name: {"status": status, "seconds": seconds} for name, (status, seconds) in notebooks.items()}}))

    manifest("20260101-000000-aaaa", {"00_dq": ("ok", 9.0), "10_ka": ("ok", 3.4), "20_fa": ("ok", 1.8)})
    manifest("20260201-000000-bbbb", {"00_dq": ("ok", 1.7), "10_ka": ("failed", 0.5)})
    names = ["00_dq", "10_ka", "20_fa", "30_new"]
    assert longest_first(names, tmp_path, "20260301-000000-cccc") == ["30_new", "10_ka", "20_fa", "00_dq"]
    assert longest_first(names, tmp_path, "20260115-000000-dddd") == ["30_new", "00_dq", "10_ka", "20_fa"]  # only runs before it


def test_the_kernels_own_output_goes_to_a_log_beside_the_reports_not_the_terminal(params_dir, tmp_path, capfd):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    # written to the kernel process's stderr below Python (as ZMQ and C libraries do), and at exit
    _nb(folder / "noisy.ipynb", "import os\nos.write(2, b'KERNEL-NOISE at the OS level\\n')\nx = 1")
    result = runner.run(out=tmp_path / "reports", only=["noisy"], notebooks_dir=folder, params_dir=params_dir)
    assert result.ok, result.summary()
    assert "KERNEL-NOISE" not in capfd.readouterr().err
    assert "KERNEL-NOISE at the OS level" in (result.folder / "noisy.kernel.log").read_text(encoding="utf-8")
