"""`make lab` serves the notebooks with the project's kernel (each notebook's own test file runs it
as JupyterLab does)."""

import pytest

from custlab import config


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


def test_every_notebook_has_its_own_test_file():
    from pathlib import Path

    here = Path(__file__).parent
    assert {p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")} == {p.stem.removeprefix("test_") for p in here.glob("test_[0-9]*.py")}
