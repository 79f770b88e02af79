"""Cache keys: input digests remembered across processes, and the command's pandas-free check."""
import os
import subprocess
import sys
import time

import pytest

from custlab.data import cache
from custlab.run import folders
from custlab import config


def test_file_digest_is_remembered_across_processes_until_the_file_changes(tmp_path, monkeypatch):
    import hashlib
    import json

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(cache, "_DIGESTS", None)
    data = tmp_path / "orders.csv"
    data.write_bytes(b"order_id,amount\n1,10\n")
    cache.file_sha256(data)
    assert not (tmp_path / "cache" / "sha256.json").exists()  # just written: not trusted yet
    monkeypatch.setattr(cache, "RACY_NS", 0)
    assert cache.file_sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    stored = json.loads((tmp_path / "cache" / "sha256.json").read_text(encoding="utf-8"))
    assert stored[str(data.resolve())][4] == hashlib.sha256(data.read_bytes()).hexdigest()

    # a new process: the digest comes from the file in the cache folder, the data is not read
    monkeypatch.setattr(cache, "_DIGESTS", None)
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: pytest.fail("read") if str(f) == str(data.resolve()) else real_open(f, *a, **k))
    assert cache.file_sha256(data) == hashlib.sha256(b"order_id,amount\n1,10\n").hexdigest()
    monkeypatch.setattr("builtins.open", real_open)

    # rewritten with the same size and its old modification time: the change time gives it away
    before = data.stat()
    time.sleep(0.05)  # beyond the coarsest file-time granularity of Linux (a 4 ms tick)
    data.write_bytes(b"order_id,amount\n1,99\n")
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert data.stat().st_size == before.st_size and data.stat().st_mtime_ns == before.st_mtime_ns
    assert cache.file_sha256(data) == hashlib.sha256(b"order_id,amount\n1,99\n").hexdigest()


def test_the_commands_cache_check_needs_no_pandas_and_finds_the_cleanings_folder(small_sample, tmp_path):
    # the runner's command decides whether to clean before any notebook starts; importing pandas,
    # sources and cleaning for that took 0.38 s of every run
    (tmp_path / "mine.yaml").write_text(f"source:\n  path: {small_sample / 'crm.duckdb'}\n", encoding="utf-8")
    script = (f"import sys; from pathlib import Path; from custlab import config; from custlab.data import cache\n"
              f"files = [Path({str(tmp_path / 'mine.yaml')!r})]\n"
              f"p = config.load_params('10_key_accounts', files)\n"
              f"print(cache.clean_folder(p, files)); print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))")
    folder, modules = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert modules == "[]"
    from custlab.data import cleaning

    files = [tmp_path / "mine.yaml"]
    params = config.load_params("10_key_accounts", files)
    assert folder == str(cleaning.prepare_clean(params, files))  # the folder the cleaning fills
    changed = config.load_params("10_key_accounts", files, {"as_of": "2026-01-31"})
    assert cache.clean_folder(changed, files) != cache.clean_folder(params, files)  # other settings, other tables


def test_every_source_setting_keys_the_table_cache(small_sample):
    # a setting that changes how the tables are read must not reuse tables read the other way
    import dataclasses

    base = config.SourceParams(kind="duckdb", path=str(small_sample / "crm.duckdb"))
    key = cache.cache_key(base)
    changed = [dataclasses.replace(base, encoding="gbk"), dataclasses.replace(base, skip_rows=1),
               dataclasses.replace(base, bad_value_tolerance=0.1), dataclasses.replace(base, tables={"orders": "o"})]
    keys = [cache.cache_key(p) for p in changed] + [cache.cache_key(base, {"客户代码": "customer_id"})]
    # a mapping the shipped columns_zh.yaml already holds changes nothing, so it keys nothing
    assert cache.cache_key(base, {"客户编号": "customer_id"}) == key
    assert key == cache.cache_key(dataclasses.replace(base)) and len({key, *keys}) == len(keys) + 1


def test_a_damaged_cache_folder_is_rebuilt_not_read(small_sample, tmp_path, caplog):
    from custlab.data import cleaning

    params = config.load_params("10_key_accounts", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    first = cleaning.load_clean(params, cache_dir=tmp_path)
    folder = cleaning.prepare_clean(params, cache_dir=tmp_path)
    assert cache.intact(folder)
    orders = folder / "tables" / "orders.parquet"
    orders.write_bytes(orders.read_bytes()[:1000])  # truncated (a full disk, a killed copy)
    assert not cache.intact(folder)
    again = cleaning.load_clean(params, cache_dir=tmp_path)
    assert len(again.tables["orders"]) == len(first.tables["orders"]) and "is damaged" in caplog.text
    (folder / "tables" / "orders.parquet").unlink()  # deleted by hand
    assert len(cleaning.load_clean(params, cache_dir=tmp_path).tables["orders"]) == len(first.tables["orders"])
    same_size = folder / "tables" / "customers.parquet"  # changed in place, same size: the digest tells
    data = bytearray(same_size.read_bytes())
    data[len(data) // 2] ^= 0xFF
    same_size.write_bytes(bytes(data))
    assert not cache.intact(folder)


def test_prune_removes_the_cache_folders_older_runs_used_and_keeps_the_newest_and_others(tmp_path):
    import json

    cache_dir, reports, other = tmp_path / "cache", tmp_path / "reports", tmp_path / "elsewhere"

    def made(name):
        return cache.cached_folder(cache_dir / name, lambda tmp: (tmp / "t.parquet").write_bytes(b"x" * 10))

    def run(run_id, started, folders, where=reports):
        (where / run_id).mkdir(parents=True)
        (where / run_id / "manifest.json").write_text(json.dumps(
            {"run_id": run_id, "status": "ok", "started": started, "notebooks": {}}), encoding="utf-8")
        for f in folders:
            cache.mark_used(f, where)
            os.utime(f / cache.USED / cache._reports_key(where), (time.mktime(time.strptime(started, "%Y-%m-%dT%H:%M:%S")),) * 2)

    old, new, shared, mine = (made(n) for n in ("clean-aaaa-1", "clean-bbbb-1", "clean-cccc-1", "clean-dddd-1"))
    tables_old = made("tables-aaaa")
    run("20260101-000000-a", "2026-01-01T00:00:00", [old, shared])
    run("20260201-000000-b", "2026-02-01T00:00:00", [new])
    run("20260101-000000-z", "2026-01-01T00:00:00", [shared], where=other)  # another reports folder's run
    removed = folders.prune_cache(reports, keep_runs=1, cache_dir=cache_dir)
    assert sorted(p.name for p in removed) == ["clean-aaaa-1", "tables-aaaa"]
    assert new.exists() and shared.exists() and mine.exists() and not old.exists() and not tables_old.exists()
    assert not (shared / cache.USED / cache._reports_key(reports)).exists()  # this folder's claim on it is gone
    assert folders.prune_cache(reports, keep_runs=2, cache_dir=cache_dir) == []


def test_a_changed_cleaning_rule_changes_the_clean_cache_key(tmp_path, monkeypatch):
    """The clean tables are keyed by the rules' own content: editing any cleaning module, the matching
    or a reference table gives a new key (no hand-kept version to forget), and nothing else does."""
    import shutil
    from pathlib import Path

    package = Path(cache.__file__).resolve().parents[1]
    for entry in cache.CLEANING_RULES:
        source, copy = package / entry, tmp_path / entry
        copy.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy)
    before = cache.rules_digest(tmp_path)
    assert before == cache.rules_digest()  # the copy holds the same rules
    (tmp_path / "data" / "cleaning" / "orders.py").write_text("# a fix\n" + (tmp_path / "data" / "cleaning" / "orders.py").read_text())
    after_fix = cache.rules_digest(tmp_path)
    assert after_fix != before
    (tmp_path / "data" / "cache.py").write_text("# not a rule\n")
    assert cache.rules_digest(tmp_path) == after_fix

    params = config.load_params("00_data_quality", overrides={"source": {"kind": "sql", "url": "sqlite://"}})
    monkeypatch.setattr(cache, "cache_key", lambda *a, **k: "tables")
    key = cache.clean_cache_key(params)
    monkeypatch.setattr(cache, "_RULES_DIGEST", after_fix)
    assert cache.clean_cache_key(params) != key
