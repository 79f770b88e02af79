"""Every notebook runs top to bottom with its defaults as an analyst runs it in JupyterLab, and
`make lab` serves them with the project's kernel."""
import sys

import pytest

from custlab import config


def _run_as_in_jupyterlab(path):
    """Execute one notebook as `make lab` runs it: the project's kernel, the notebook's folder as
    working directory, nothing injected. Returns its error outputs and unexecuted code cells."""
    from pathlib import Path

    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.kernelspec.name
    spec = KernelSpecManager().get_kernel_spec(kernel)  # the project's own kernel, whose Python has custlab
    assert Path(spec.resource_dir).is_relative_to(sys.prefix) and spec.display_name == "custlab (Python 3)"
    assert spec.argv[0] == sys.executable and "ipykernel_launcher" in spec.argv
    NotebookClient(nb, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(config.NOTEBOOKS_DIR)}}).execute()
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip() and not c.execution_count]
    return errors, unrun


@pytest.mark.slow
def test_each_notebook_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(project_sample):
    # what `make lab` gives an analyst: the parameters cell's defaults and params/ on the sample
    # database (data/sample, made as `make demo` makes it when missing). Two notebooks at a time,
    # each in its own kernel (the machine has two cores).
    from concurrent.futures import ThreadPoolExecutor

    assert config.SAMPLE_DB.exists()
    paths = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert len(paths) >= 7
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip((p.stem for p in paths), pool.map(_run_as_in_jupyterlab, paths)))
    assert {name: r for name, r in results.items() if r != ([], [])} == {}


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_with_the_project_kernel(tmp_path):
    import json as json_
    import os
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "custlab-test"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    lab = subprocess.Popen(["make", "-s", "-C", str(config.PROJECT_ROOT), "lab", f"LAB_ARGS={args}"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                           env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)})

    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=5) as reply:
            return json_.loads(reply.read())

    try:
        deadline = time.time() + 60
        while True:
            try:
                contents = get("/api/contents")
                break
            except OSError:
                assert lab.poll() is None and time.time() < deadline, lab.stdout.read()[-3000:] if lab.poll() is not None else "not up in 60 s"
                time.sleep(0.5)
        assert {c["name"] for c in contents["content"]} >= {p.name for p in config.NOTEBOOKS_DIR.glob("*.ipynb")}
        specs = get("/api/kernelspecs")
        assert specs["kernelspecs"][specs["default"]]["spec"]["display_name"] == "custlab (Python 3)"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
