"""Reading the customer database into canonical tables: opening a source with its column mapping,
checking that it holds what every analysis needs, and the cache of canonical tables.

A source is a DuckDB file (the sample), a SQLite file, any SQLAlchemy URL (PostgreSQL, MySQL),
or a folder of CSV, Excel or Parquet files. ``params`` name it (:class:`custlab.config.SourceParams`)
and map source columns to canonical names. The work is shared by four modules: the tables'
declarations (:mod:`custlab.data.tables`), reading values as exports write them
(:mod:`custlab.data.values`), opening and reading a source (:mod:`custlab.data.readers`), and this
one, which puts them together; their public names are re-exported here.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import config
from ..errors import SchemaError
from .cache import cache_key, cached_folder, column_mapping
from .readers import EXCEL_ENGINE, FILE_SUFFIX, KIND_OF_SUFFIX, Source, check_location
from .tables import DERIVED, NEEDED, OPTIONAL, PRIMARY_KEYS, REQUIRED, SCHEMAS
from .values import (PLACEHOLDERS, check_schema, detect_delimiter, detect_encoding, exact_repeats, fold_id, header_key,
                     header_unit, infer_type, map_headers, parse_dates, parse_numbers)

__all__ = ["DERIVED", "EXCEL_ENGINE", "FILE_SUFFIX", "KIND_OF_SUFFIX", "NEEDED", "OPTIONAL", "PLACEHOLDERS", "PRIMARY_KEYS",
           "REQUIRED", "SCHEMAS", "Source", "absent_columns", "canonical_folder", "check_location", "check_schema",
           "detect_delimiter", "detect_encoding", "exact_repeats", "fold_id", "header_key", "header_unit", "infer_type",
           "load_tables", "map_headers", "missing_by_table", "open_source", "parse_dates", "parse_numbers",
           "require_tables", "validate_source"]


def open_source(params: config.SourceParams, columns: dict[str, str] | str = ()) -> Source:
    """Open the source named in the parameters (nothing is read yet); a path that does not exist or
    does not fit the kind is a SourceError here."""
    check_location(params)
    return Source(params, column_mapping(columns or {}))


# --------------------------------------------------------------------------- schema check


def require_tables(source: "Source") -> None:
    """Raise a SchemaError naming the table when ``source`` lacks one of :data:`NEEDED`."""
    tables = source.available()
    for needed in NEEDED:
        if needed not in tables:
            derive = (" A transaction log without one can derive it from the orders: source.tables.customers: "
                      "{query: \"SELECT DISTINCT customer_id, customer_id AS name FROM 'orders.csv' WHERE customer_id "
                      "IS NOT NULL\"} (with your file and column names; see the README)." if needed == "customers" else "")
            raise SchemaError(f"The source {source.location} has no '{needed}' table; name it in source.tables.{needed}."
                              + derive)


def validate_source(params: config.SourceParams, columns: dict[str, str] | str = ()) -> dict[str, int]:
    """Read and schema-check every table of the source; return rows per table."""
    source = open_source(params, columns)
    require_tables(source)
    return {t: len(source.read(t)) for t in source.available()}


# --------------------------------------------------------------------------- cache
def load_tables(params: config.BaseParams, tables: list[str] | None = None,
                cache_dir: Path = config.CACHE_DIR) -> dict[str, pd.DataFrame]:
    """Canonical, schema-checked tables of the source, read once and cached as Parquet.

    The cache folder is keyed by :func:`cache_key`, so a changed input or mapping is read anew;
    a complete cache folder is written under a temporary name and renamed into place.
    """
    folder = canonical_folder(params, cache_dir)
    names = tables or [p.stem for p in sorted(folder.glob("*.parquet"))]
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}


def canonical_folder(params: config.BaseParams, cache_dir: Path = config.CACHE_DIR) -> Path:
    """The cache folder of the canonical tables (one Parquet file each), read from the source if missing."""
    folder = cache_dir / f"tables-{cache_key(params.source, params.columns)}"

    def fill(tmp: Path) -> None:
        source = open_source(params.source, params.columns)
        require_tables(source)  # else an empty folder would be cached, and every notebook fail on its own
        for name in source.available():
            source.read(name).to_parquet(tmp / f"{name}.parquet", index=False)

    return cached_folder(folder, fill)


def absent_columns(params: config.BaseParams, tables: tuple[str, ...] = tuple(SCHEMAS),
                   cache_dir: Path = config.CACHE_DIR) -> dict[str, list[str]]:
    """The canonical columns (:data:`SCHEMAS`) that each table of the source lacks, for tables that
    lack any; tables the source does not hold are left out. Only the :data:`REQUIRED` columns must
    be there: the analyses that use another column leave it out when it is absent."""
    import pyarrow.parquet as pq

    folder = canonical_folder(params, cache_dir)
    out = {}
    for name in tables:
        if (folder / f"{name}.parquet").exists():
            present = set(pq.read_schema(folder / f"{name}.parquet").names)
            derived = {c for c, sources_ in DERIVED.get(name, {}).items() if present & set(sources_)}
            if absent := [c for c in SCHEMAS[name] if c not in present | derived and c not in OPTIONAL.get(name, ())]:
                out[name] = absent
    return out


def missing_by_table(params: config.BaseParams, tables: tuple[str, ...],
                     cache_dir: Path = config.CACHE_DIR) -> pd.DataFrame:
    """Share of missing values per column of each canonical table (rows: tables, columns: fields);
    tables the source does not hold (many exports have no interactions) are left out.

    Read from the null counts Parquet keeps per column, not from the data: at a million
    companies the orders and interactions take 9 GB in memory.
    """
    import pyarrow.parquet as pq

    folder = canonical_folder(params, cache_dir)
    shares = {}
    for name in tables:
        if not (folder / f"{name}.parquet").exists():
            continue
        file = pq.ParquetFile(folder / f"{name}.parquet")
        meta = file.metadata
        nulls: dict[str, int] = {}
        unknown: set[str] = set()
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                if column.statistics is None or not column.statistics.has_null_count:
                    unknown.add(column.path_in_schema)  # a column with no value at all (a blank 备注) has no statistics
                    continue
                nulls[column.path_in_schema] = nulls.get(column.path_in_schema, 0) + column.statistics.null_count
        for column in unknown:  # counted from the data, one column at a time
            nulls[column] = file.read(columns=[column]).column(0).null_count
        shares[name] = pd.Series(nulls, dtype=float) / max(meta.num_rows, 1)
    return pd.DataFrame(shares).T
