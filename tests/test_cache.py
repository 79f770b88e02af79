"""Cache keys: input digests remembered across processes, and the command's pandas-free check."""
import os
import subprocess
import sys
import time

import pytest

from custlab import cache, config


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
    script = (f"import sys; from pathlib import Path; from custlab import cache, config\n"
              f"files = [Path({str(tmp_path / 'mine.yaml')!r})]\n"
              f"p = config.load_params('10_key_accounts', files)\n"
              f"print(cache.clean_folder(p, files)); print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))")
    folder, modules = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert modules == "[]"
    from custlab import cleaning

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
