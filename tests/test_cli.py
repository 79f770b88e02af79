"""The ``custlab`` command as a user or the scheduler calls it: exit codes, messages, paths."""
import os
import re
import subprocess
import sys

import pytest

from custlab import config


def custlab(*args, cwd):
    return subprocess.run([sys.executable, "-m", "custlab.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "TMPDIR": str(cwd)})


@pytest.fixture()
def workdir(tmp_path, small_sample):
    """A folder outside the project holding a parameter file that points at the small sample."""
    (tmp_path / "small.yaml").write_text(f"source:\n  path: {small_sample / 'crm.duckdb'}\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("colour: red\n", encoding="utf-8")
    return tmp_path


def test_validate_reads_files_from_the_current_folder_and_reports_the_source(workdir, small_truth):
    done = custlab("validate", "small.yaml", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert f"parameters of {len(list(config.NOTEBOOKS_DIR.glob('*.ipynb')))} notebooks are valid." in done.stdout
    for table in ("customers", "orders", "interactions"):
        assert f"  {table}: {small_truth['counts'][table]:,} rows, schema ok" in done.stdout


def test_parameter_errors_exit_2_with_the_file_and_key_and_no_traceback(workdir):
    done = custlab("validate", "small.yaml", "bad.yaml", cwd=workdir)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("custlab: Nothing was run; fix these parameter problems first:")
    assert f"In {workdir / 'bad.yaml'}, key 'colour' is unknown; allowed keys: language" in done.stderr
    assert "Traceback" not in done.stderr
    missing = custlab("run", "nothere.yaml", cwd=workdir)
    assert missing.returncode == 2 and f"Parameter file {workdir / 'nothere.yaml'} does not exist" in missing.stderr
    assert not (workdir / "reports").exists()


@pytest.mark.slow
def test_run_exit_codes_summary_and_list_newest_first(workdir):
    ok = custlab("run", "small.yaml", "--only", "00_data_quality", "--jobs", "1", "--out", "reports", cwd=workdir)
    assert ok.returncode == 0, ok.stderr
    assert re.search(r"^00_data_quality +ok +\d+\.\d", ok.stdout, re.M)
    assert f"latest: {os.path.join('reports', 'latest', 'index.html')}" in ok.stdout
    assert (workdir / "reports" / "latest" / "00_data_quality.leadership.html").exists()
    # the notebook's own files land in the run folder under the current folder, not under notebooks/
    assert (workdir / "reports" / "latest" / "00_data_quality" / "quarantine.csv").exists()
    assert not (config.NOTEBOOKS_DIR / "reports").exists()
    # a notebook past --timeout: the run still finishes, names the cell, and exits 1
    late = custlab("run", "small.yaml", "--only", "00_data_quality", "--timeout", "0.5", "--out", "reports", cwd=workdir)
    assert late.returncode == 1, late.stderr
    assert re.search(r"^00_data_quality +timeout +\d+\.\d +\d+: In \[\d+\] was still running when the notebook "
                     r"passed --timeout \(0\.5 s\)", late.stdout, re.M), late.stdout
    runs = custlab("list", "--out", "reports", cwd=workdir)
    lines = runs.stdout.splitlines()
    assert runs.returncode == 0 and len(lines) == 2
    assert re.match(r"\S+ +failed .* 0/1 notebooks ok$", lines[0]) and re.match(r"\S+ +ok .* 1/1 notebooks ok$", lines[1])
    newest, oldest = (line.split()[0] for line in lines)
    index = (workdir / "reports" / "index.html").read_text(encoding="utf-8")
    assert index.index(newest) < index.index(oldest)  # the index page lists the newest run first
    assert os.readlink(workdir / "reports" / "latest") == oldest  # a failed run never becomes latest
    log = (workdir / "reports" / newest / "run.log").read_text(encoding="utf-8")
    assert "00_data_quality: timeout" in log


def test_sample_export_then_clean_tables_out_for_the_crm(tmp_path):
    import pandas as pd

    done = custlab("sample", "--customers", "200", "--seed", "5", "--export", "export", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "custlab run export/custlab.yaml" in done.stdout and (tmp_path / "export" / "customers.csv").exists()
    done = custlab("clean", "export/custlab.yaml", "--out", "clean", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"customers: [\d,]+ rows in, [\d,]+ kept, [\d,]+ merged", done.stdout)
    out = tmp_path / "clean"
    assert (out / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    customers = pd.read_parquet(out / "customers.parquet")
    assert {"industry_section", "region", "prefecture"} <= set(customers.columns) and customers["customer_id"].is_unique
    assert len(pd.read_csv(out / "customers.csv", encoding="utf-8-sig")) == len(customers)
    recon = pd.read_csv(out / "reconciliation.csv", encoding="utf-8-sig", index_col="table")
    assert recon["balanced"].all() and recon.loc["orders", "exact_duplicates"] > 0
    assert set(pd.read_csv(out / "merge_log.csv", encoding="utf-8-sig")["decision"]) <= {"merged", "kept_apart"}
    done = custlab("sample", "--export", "x", "--format", "pdf", cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice: 'pdf'" in done.stderr


def test_an_unexpected_error_is_called_a_bug_with_its_traceback_in_a_file(tmp_path, monkeypatch, capsys):
    from custlab import cli
    from custlab.run import runner

    def broken(reports):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "list_runs", broken)
    assert cli.main(["list", "--out", str(tmp_path)]) == 70
    err = capsys.readouterr().err
    assert err.startswith("custlab: internal error (RuntimeError: boom). This is a bug in custlab, not in your data")
    assert "Traceback" not in err
    logs = list((tmp_path / "errors").glob("*-list.log"))
    assert len(logs) == 1 and "Traceback (most recent call last)" in logs[0].read_text(encoding="utf-8")


def test_cache_prune_command(tmp_path):
    done = custlab("cache", "prune", "--keep", "1", "--out", str(tmp_path / "reports"), cwd=tmp_path)
    assert done.returncode == 0 and "0 cache folder(s) removed: not used by the newest 1 run(s)" in done.stdout
