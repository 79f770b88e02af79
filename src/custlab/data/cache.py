"""Cache keys and cache folders: what identifies a source's inputs and the tables made from them.

The runner's command checks, before any notebook starts, whether the clean tables of this
source and these cleaning settings exist; with the keys here it does so without pandas (importing
:mod:`custlab.data.sources` and :mod:`custlab.data.cleaning` took 0.38 s of that check). Those modules use
the same functions.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import time
from pathlib import Path

from .. import config

READER_VERSION = 10  # bump when custlab.data.sources reads values differently (2: 万/亿, placeholders; 3: whole floats as ids;
#                    4: fractional seconds; 5: times with a zone; 6: separators; 7: headers normalized, units in headers;
#                    8: columns outside the schema typed as a CSV reader infers them; 9: decimal mark, inf rejected;
#                    10: a source without customers or orders is refused, not cached empty)


# --------------------------------------------------------------------------- input digests
def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in full only when it changed.

    Digests are remembered by the file's size, modification and change times and inode, in this
    process and across processes (``sha256.json`` in the cache folder): every notebook of a run
    fingerprints the source, and a 1.3 GB database takes 0.7 s to hash here. The change time is
    set by the system on every write, so a file rewritten with its old size and modification
    time is still read anew. As in git's "racy clean" rule, a file changed in the last two seconds
    is not remembered: file times are coarser than that on some systems and it may still be written.
    """
    resolved = Path(path).resolve()
    st = resolved.stat()
    stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    known = _known_digests()
    entry = known.get(str(resolved))
    if entry and entry[:4] == stamp:
        return entry[4]
    digest = hashlib.sha256()
    with open(resolved, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    if time.time_ns() - st.st_ctime_ns > RACY_NS:
        known[str(resolved)] = stamp + [digest.hexdigest()]
        _save_digests(known)
    return digest.hexdigest()


RACY_NS = 2_000_000_000
_DIGESTS: dict[str, list] | None = None


def _digest_file() -> Path:
    return config.CACHE_DIR / "sha256.json"


def _known_digests() -> dict[str, list]:
    global _DIGESTS
    if _DIGESTS is None:
        try:
            _DIGESTS = json.loads(_digest_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _DIGESTS = {}
    return _DIGESTS


def _save_digests(known: dict[str, list]) -> None:
    """Merge ``known`` into the digest file (atomically; other processes may have added theirs)."""
    target = _digest_file()
    try:
        on_disk = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        on_disk = {}
    merged = {k: v for k, v in {**on_disk, **known}.items() if Path(k).exists()}
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(merged), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:  # a read-only or full cache folder: digests are then computed once per process
        tmp.unlink(missing_ok=True)



# --------------------------------------------------------------------------- keys and folders
#: the shipped mapping of Chinese export headers, which every source mapping extends
SHIPPED_COLUMNS = "columns_zh.yaml"


def column_mapping(columns: dict[str, str] | str) -> dict[str, str]:
    """The source->canonical mapping: the shipped Chinese headers (params/columns_zh.yaml), extended
    (and, key by key, overridden) by the user's mapping, a dict or the name of a YAML file in params/.
    Headers are compared as :func:`custlab.data.sources.header_key` normalizes them."""
    shipped = config.PARAMS_DIR / SHIPPED_COLUMNS
    out = {str(k): str(v) for k, v in config.read_yaml(shipped).items()} if shipped.exists() else {}
    if isinstance(columns, dict):
        return {**out, **{str(k): str(v) for k, v in columns.items()}}
    path = config.resolve_path(columns, config.PARAMS_DIR)
    return {**out, **{str(k): str(v) for k, v in config.read_yaml(path).items()}}


def fingerprint(params: config.SourceParams) -> dict[str, str]:
    """SHA-256 of every input file of ``params``; for a database URL, of every table's content."""
    if params.kind == "sql":
        from .readers import Source  # reads the tables

        return Source(params).table_digests()
    path = config.resolve_path(params.path)
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return {str(p): file_sha256(p) for p in files}


def cache_key(params: config.SourceParams, columns: dict[str, str] | str = ()) -> str:
    """Key of the canonical-table cache: the inputs' hashes plus every source setting (how the
    tables are read: encoding, skipped rows, tolerance, ...), the column mapping and the reader's version."""
    digest = hashlib.sha256(repr(sorted(fingerprint(params).items())).encode())
    settings = sorted(dataclasses.asdict(params).items())
    digest.update(repr((READER_VERSION, settings, sorted(column_mapping(columns or {}).items()))).encode())
    return digest.hexdigest()[:16]


#: what makes the clean tables from the canonical ones: the cleaning package (its rules by table),
#: duplicate matching and the national reference tables, relative to the package folder
CLEANING_RULES = ("data/cleaning", "data/matching.py", "data/normalize.py", "data/reference.py", "resources/reference")
_RULES_DIGEST: str | None = None


def rules_digest(root: Path | None = None) -> str:
    """SHA-256 (16 hex digits) of the cleaning rules' files, :data:`CLEANING_RULES` under ``root``
    (the package folder).

    The rules' version is their own content: a cleaning fix changes the key of every clean-table
    cache without anyone remembering to bump a number (a hand-kept version once served stale tables).
    Read as bytes, without importing the rules, so the runner's command stays free of pandas.
    """
    global _RULES_DIGEST
    if root is None and _RULES_DIGEST is not None:
        return _RULES_DIGEST
    base = root or Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for entry in CLEANING_RULES:
        path = base / entry
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".py", ".csv", ".yaml")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(base).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    if root is None:
        _RULES_DIGEST = digest.hexdigest()[:16]
        return _RULES_DIGEST
    return digest.hexdigest()[:16]


def clean_cache_key(params) -> str:
    """Key of the clean-table cache: the canonical-table key plus the cleaning rules' digest
    (:func:`rules_digest`), the cleaning settings and as_of."""
    from .. import __version__

    payload = repr((rules_digest(), __version__, params.as_of, config.to_dict(params)["cleaning"]))
    return cache_key(params.source, params.columns) + "-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def quality_params(params, files=()):
    """The data-quality parameters that go with ``params`` (another notebook's).

    The cleaning settings come from params/00_data_quality.yaml and ``files``; the shared keys
    (source, columns, as_of, ...) are taken from ``params`` itself, so a notebook always cleans
    the source it reads.
    """
    from .cleaning.settings import DataQualityParams  # light: no model

    if isinstance(params, DataQualityParams):
        return params
    base = {f.name for f in dataclasses.fields(config.BaseParams)}
    shared = {k: v for k, v in config.to_dict(params).items() if k in base and k != "output_dir"}
    return config.load_params("00_data_quality", files, shared)


def clean_folder(params, files=(), cache_dir: Path = config.CACHE_DIR) -> Path:
    """The cache folder of the clean tables for ``params`` (any notebook's); it may not exist yet."""
    return cache_dir / f"clean-{clean_cache_key(quality_params(params, files))}"


CONTENTS = ".contents.json"  # each cache file's size, modification time and SHA-256, written when the folder is made
USED = ".used"  # one stamp file per reports folder whose runs used the cache folder (for :func:`prune`)


def _describe(folder: Path) -> dict[str, list]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != CONTENTS and not rel.startswith(USED + "/"):
            st = path.stat()
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
            out[rel] = [st.st_size, st.st_mtime_ns, digest.hexdigest()]
    return out


def intact(folder: Path) -> bool:
    """Whether cache ``folder`` holds every file it was made with, each of its size and, where its
    modification time changed since, of its SHA-256 (a truncated or replaced Parquet file, a deleted
    table, a folder from before these records: not intact)."""
    try:
        contents = json.loads((folder / CONTENTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for rel, (size, mtime, sha) in contents.items():
        path = folder / rel
        try:
            st = path.stat()
        except OSError:
            return False
        if st.st_size != size:
            return False
        if st.st_mtime_ns != mtime:
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
            if digest.hexdigest() != sha:
                return False
    return True


def discard(folder: Path) -> None:
    """Remove a cache folder: renamed aside first, so no reader ever finds half of it."""
    aside = folder.parent / f".discarded-{folder.name}.{secrets.token_hex(4)}"
    try:
        folder.rename(aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def cached_folder(folder: Path, fill) -> Path:
    """Create cache ``folder`` once: ``fill(tmp)`` writes into a temporary folder renamed into place,
    so a reader never sees half a cache and two processes filling it at once do no harm. A folder
    that is no longer :func:`intact` (a file truncated, deleted or changed) is rebuilt, with a warning."""
    if folder.exists():
        if intact(folder):
            return folder
        import logging

        logging.getLogger(__name__).warning("cache folder %s is damaged (a file missing, truncated or changed): rebuilt", folder)
        discard(folder)
    tmp = folder.parent / f".{folder.name}.{secrets.token_hex(4)}"
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
        (tmp / CONTENTS).write_text(json.dumps(_describe(tmp)), encoding="utf-8")
        tmp.rename(folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not folder.exists():  # not "another process finished first"
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _reports_key(reports: Path) -> str:
    return hashlib.sha256(str(Path(reports).absolute()).encode()).hexdigest()[:16]


def mark_used(folder: Path, reports: Path) -> None:
    """Stamp cache ``folder`` as used now by a run written to ``reports``."""
    stamp = folder / USED / _reports_key(reports)
    try:
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(str(Path(reports).absolute()), encoding="utf-8")
    except OSError:  # a read-only cache: nothing is pruned then
        pass


def prune_unused(reports: Path, cutoff: float, cache_dir: Path = config.CACHE_DIR) -> list[Path]:
    """Remove the cache folders that the runs in ``reports`` last used before ``cutoff`` (a time
    stamp) and that no other reports folder's runs used either; return them. The clean tables hold
    copies of personal data: pruned, they do not outlive the runs that need them. A folder no run
    stamped (an analyst's own notebook) is kept; the canonical tables go with the last clean tables
    made from them. Which runs count is the run wing's to say (:func:`custlab.run.folders.prune_cache`)."""
    if not cache_dir.exists():
        return []
    key, removed = _reports_key(reports), []
    for folder in sorted(cache_dir.glob("clean-*")):
        stamp = folder / USED / key
        if not stamp.exists() or stamp.stat().st_mtime >= cutoff:
            continue
        stamp.unlink(missing_ok=True)
        if not any((folder / USED).iterdir()):
            discard(folder)
            removed.append(folder)
    for tables in sorted(cache_dir.glob("tables-*")):
        made_from = tables.name.removeprefix("tables-")
        if removed and not any(cache_dir.glob(f"clean-{made_from}-*")) and any(
                r.name.startswith(f"clean-{made_from}-") for r in removed):
            discard(tables)
            removed.append(tables)
    return removed
