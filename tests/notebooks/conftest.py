"""What the notebook test files share: one run of every notebook on the small sample (made once
per test session, across the test processes), and a notebook run as JupyterLab runs it."""
from __future__ import annotations

import fcntl
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from custlab import config


@pytest.fixture(scope="session")
def small_run(small_sample, tmp_path_factory, worker_id):
    """Every notebook run once through the runner on the small sample (two at a time).

    Made by the first test process that asks, under a lock in the session's shared temporary
    folder (pytest-xdist's pattern for session data); the others read its manifest. Returns
    ``ok``, ``summary``, the run ``folder``, ``metrics`` by notebook and the ``params`` file."""
    from custlab.run import runner

    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    folder = shared / "small-run"
    with open(shared / "small-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "done.json"
        if not done.exists():
            folder.mkdir(exist_ok=True)
            params = folder / "small.yaml"
            params.write_text(f"source:\n  path: {small_sample / 'crm.duckdb'}\n", encoding="utf-8")
            result = runner.run([params], out=folder / "reports", jobs=2, timeout=300)
            done.write_text(json.dumps({"ok": result.ok, "summary": result.summary(), "folder": str(result.folder)}),
                            encoding="utf-8")
    made = json.loads(done.read_text(encoding="utf-8"))
    manifest = json.loads((Path(made["folder"]) / "manifest.json").read_text(encoding="utf-8"))
    run_folder = Path(made["folder"])

    def page(notebook: str, audience: str = "leadership") -> str:
        """The notebook's HTML for ``audience`` (leadership or analyst)."""
        return (run_folder / f"{notebook}{'.leadership' if audience == 'leadership' else ''}.html").read_text(encoding="utf-8")

    return SimpleNamespace(ok=made["ok"], summary=made["summary"], folder=run_folder, params=folder / "small.yaml", page=page,
                           metrics={name: nb["metrics"] for name, nb in manifest["notebooks"].items()})


def inline_images(page: str) -> list[str]:
    """The images of an HTML page: every one must be inline (data:image/png), the page opens offline."""
    return re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)


@pytest.fixture(scope="session")
def images():
    return inline_images


@pytest.fixture(scope="session")
def run_as_in_jupyterlab(project_sample):
    """A function executing one notebook as `make lab` runs it: the project's kernel, the notebook's
    folder as working directory, its parameters cell's defaults, nothing injected, on the sample
    database `make demo` makes. It returns the notebook's error outputs and unexecuted code cells."""
    def run(name: str) -> tuple[list[str], list[int]]:
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
        from nbclient import NotebookClient

        assert config.SAMPLE_DB.exists()
        nb = nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        kernel = nb.metadata.kernelspec.name
        spec = KernelSpecManager().get_kernel_spec(kernel)  # the project's own kernel, whose Python has custlab
        assert Path(spec.resource_dir).is_relative_to(sys.prefix) and spec.display_name == "custlab (Python 3)"
        assert spec.argv[0] == sys.executable and "ipykernel_launcher" in spec.argv
        NotebookClient(nb, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(config.NOTEBOOKS_DIR)}}).execute()
        errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip() and not c.execution_count]
        return errors, unrun

    return run

