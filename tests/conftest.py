"""Shared fixtures: a small sample database generated once per session."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from custlab.data import sample

SMALL = 400


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory) -> Path:
    """A 400-customer sample database with its truth (crm.duckdb, truth.json)."""
    folder = tmp_path_factory.mktemp("sample")
    sample.generate(folder, customers=SMALL, seed=7)
    return folder


@pytest.fixture(scope="session")
def small_truth(small_sample) -> dict:
    return json.loads((small_sample / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def project_sample(tmp_path_factory) -> tuple[Path, dict]:
    """The sample `make demo` makes (5,000 customers, the default seed) and its truth: data/sample
    itself, generated there when missing as `make demo` would, so that the notebooks run with their
    defaults and the tests that need the full-size sample share it and its clean-table cache; a
    folder of its own when data/sample holds a sample of another size or seed."""
    import fcntl
    import inspect

    from custlab import config

    defaults = {k: v.default for k, v in inspect.signature(sample.generate).parameters.items() if k in ("customers", "seed")}
    with open(config.DATA_DIR / ".sample.lock", "w") as lock:  # pytest-xdist: one worker generates, the other waits
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not config.SAMPLE_DB.exists():
            sample.generate(config.SAMPLE_DIR)
    truth = json.loads((config.SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))
    made = truth.get("counts", {}).get("customers", 0)  # (the planted duplicates come on top of the companies asked for)
    if truth.get("seed") == defaults["seed"] and defaults["customers"] <= made <= 1.1 * defaults["customers"]:
        return config.SAMPLE_DIR, truth
    folder = tmp_path_factory.mktemp("default-sample")
    return folder, sample.generate(folder)


@pytest.fixture(scope="session")
def mid_sample(tmp_path_factory):
    """3,000 customers, cleaned: enough orders per segment, and customers per size class and
    industry, for the planted behaviour and propensity to show. Returns (clean tables, truth)."""
    from custlab.data import cleaning
    from custlab import config

    folder = tmp_path_factory.mktemp("mid")
    truth = sample.generate(folder, customers=3000, seed=3)
    params = config.load_params("40_customer_segments", overrides={"source": {"path": str(folder / "crm.duckdb")}})
    return cleaning.load_clean(params, cache_dir=folder / "cache").tables, truth


@pytest.fixture()
def params_dir(tmp_path, small_sample) -> Path:
    """A params folder whose base.yaml points at the small sample."""
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "base.yaml").write_text(
        f"language: en\nas_of: '2026-06-30'\nsource:\n  kind: duckdb\n  path: {small_sample / 'crm.duckdb'}\n",
        encoding="utf-8")
    return folder


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server on loopback: CUSTLAB_POSTGRES_URL, or a throwaway cluster started here."""
    import glob
    import os
    import shutil
    import subprocess
    import tempfile

    if os.environ.get("CUSTLAB_POSTGRES_URL"):
        yield os.environ["CUSTLAB_POSTGRES_URL"]
        return
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        message = "no PostgreSQL server binaries: install Debian's postgresql or set CUSTLAB_POSTGRES_URL"
        if os.environ.get("CUSTLAB_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    bindir = Path(initdb[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="custlab-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    subprocess.run(as_postgres + [str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres",
                                  "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run(as_postgres + [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w",
                                  "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_postgres + [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
