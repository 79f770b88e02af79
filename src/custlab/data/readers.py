"""Opening a source and reading its tables as stored: a DuckDB or SQLite file, a SQLAlchemy URL
(PostgreSQL, MySQL), or a folder of CSV, Excel or Parquet files; a table may be a SQL query run by
the database or, for a folder, by DuckDB over its files.

:meth:`Source.read` maps the headers and types the values (:mod:`custlab.data.values`); nothing is
dropped here: cleaning decides what to do with bad rows. This module does not use the cache, so
the cache may read a database's tables through it to fingerprint them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from ..errors import SourceError
from .tables import SCHEMAS
from .values import _carries_unit, check_schema, detect_delimiter, detect_encoding, map_headers

FILE_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "excel": ".xlsx"}


# one reader for .xlsx and .xls alike (Rust, several times faster than openpyxl on large exports);
# pandas 3 already reads .xls with it and says it will read .xlsx with it too
EXCEL_ENGINE = "calamine"


@dataclass
class Source:
    """An opened data source. Use :func:`open_source`."""

    params: config.SourceParams
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return self.params.url if self.params.kind == "sql" else str(config.resolve_path(self.params.path))

    def _table_ref(self, name: str) -> Any:
        return self.params.tables.get(name, name)

    def _file(self, name: str) -> Path:
        ref = self._table_ref(name)
        folder = config.resolve_path(self.params.path)
        path = folder / (ref if Path(str(ref)).suffix else f"{ref}{FILE_SUFFIX[self.params.kind]}")
        if not self.params.allow_outside and not path.resolve().is_relative_to(folder.resolve()):
            raise SourceError(f"source.tables.{name} is {ref!r}, which lies outside the source folder {folder}: a table "
                              "is a file in that folder. Move the file there, or set source.allow_outside: true to read it "
                              "where it is.")
        if self.params.kind == "excel" and not path.exists() and path.with_suffix(".xls").exists():
            return path.with_suffix(".xls")  # a folder of Excel 97-2003 workbooks
        return path

    def available(self) -> list[str]:
        """Canonical tables that this source holds."""
        return [t for t in SCHEMAS if self.has(t)]

    def has(self, name: str) -> bool:
        kind, ref = self.params.kind, self._table_ref(name)
        if isinstance(ref, dict):
            return True
        if kind in FILE_SUFFIX:
            if kind == "excel" and config.resolve_path(self.params.path).is_file():
                return ref in pd.ExcelFile(config.resolve_path(self.params.path), engine=EXCEL_ENGINE).sheet_names
            return self._file(name).exists()
        if kind == "duckdb":
            with self._duckdb() as con:
                return bool(con.execute("select count(*) from information_schema.tables where table_name = ?", [ref]).fetchone()[0])
        from sqlalchemy import create_engine, exc, inspect

        engine = create_engine(self._sqlalchemy_url())
        try:
            return inspect(engine).has_table(ref)
        except exc.DBAPIError as error:
            raise self._unreachable(error) from None
        finally:
            engine.dispose()

    def _unreachable(self, error) -> SourceError:
        """The database did not answer: say which (host, port, database; never the credentials) and why."""
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        if self.params.url:
            from sqlalchemy.engine import make_url

            try:
                u = make_url(self.params.url)
                secrets = [str(x) for x in (u.password, u.username) if x]
            except Exception:  # noqa: BLE001
                secrets = []
            for secret in secrets:
                reason = reason.replace(secret, "***")
        return SourceError(f"The database {_server(self._sqlalchemy_url())} cannot be reached: {reason}. Check that it "
                           "runs and accepts connections from this machine, and the host, port and database in source.url.")

    def _duckdb(self):
        """A read-only connection to the DuckDB file; a file another program holds open for writing,
        or one that is not a DuckDB database, is a SourceError saying so and what to do."""
        import duckdb

        try:
            return duckdb.connect(self.location, read_only=True)
        except (duckdb.CatalogException, duckdb.InvalidInputException, duckdb.SerializationException) as exc:
            raise SourceError(f"{self.location} is not a DuckDB database ({str(exc).splitlines()[0]}): point source.path at "
                              "a .duckdb file, or set source.kind to the kind of the file.") from None
        except duckdb.IOException as exc:
            first = str(exc).splitlines()[0]
            if "lock" in first.lower():
                raise SourceError(f"The DuckDB file {self.location} is open for writing in another program ({first}). "
                                  f"Close that connection (or open it with read_only=True there), or point "
                                  f"source.path at a copy of the file.") from None
            raise SourceError(f"The DuckDB file {self.location} cannot be opened: {first}. Check that source.path "
                              f"names a DuckDB database, or set source.kind to the file's kind.") from None

    def _sqlalchemy_url(self) -> str:
        return f"sqlite:///{self.location}" if self.params.kind == "sqlite" else self.params.url

    def read_raw(self, name: str) -> pd.DataFrame:
        """The table as stored (source column names, source types); raises SourceError when absent."""
        kind, ref = self.params.kind, self._table_ref(name)
        query = ref.get("query") if isinstance(ref, dict) else None
        try:
            if kind == "duckdb":
                with self._duckdb() as con:
                    return con.sql(query or f'SELECT * FROM "{ref}"').df()
            if query and kind in FILE_SUFFIX:  # DuckDB SQL over the folder's files: FROM 'orders.csv' or FROM orders
                return self._query_files(query)
            if kind in ("sqlite", "sql"):
                from sqlalchemy import create_engine, text

                engine = create_engine(self._sqlalchemy_url())
                try:
                    with engine.connect() as conn:
                        return pd.read_sql(text(query or f'SELECT * FROM "{ref}"'), conn)
                finally:
                    engine.dispose()
            if kind == "csv":
                path = self._file(name)
                enc, sep = self._text_format(path)
                return pd.read_csv(path, encoding=enc, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                                   skiprows=self.params.skip_rows)
            if kind == "parquet":
                return pd.read_parquet(self._file(name))
            if kind == "excel":
                book = config.resolve_path(self.params.path)
                if book.is_file():
                    return pd.read_excel(book, sheet_name=ref, dtype=object, engine=EXCEL_ENGINE,
                                         skiprows=self.params.skip_rows)
                return pd.read_excel(self._file(name), dtype=object, engine=EXCEL_ENGINE, skiprows=self.params.skip_rows)
        except (FileNotFoundError, OSError) as exc:
            raise SourceError(f"Table '{name}' cannot be read from {self.location}: {exc}. "
                              f"Check source.path and source.tables.{name} in params/base.yaml.") from None
        except SourceError:
            raise
        except Exception as exc:  # driver errors: missing table, bad SQL
            from sqlalchemy import exc as sql_errors

            if isinstance(exc, (sql_errors.OperationalError, sql_errors.InterfaceError)) and kind == "sql":
                raise self._unreachable(exc) from None
            raise SourceError(f"Table '{name}' cannot be read from {self.params.kind} source {self.location}: "
                              f"{type(exc).__name__}: {str(exc).splitlines()[0]}. Check source.tables.{name}.") from None
        raise SourceError(f"Unknown source kind {kind!r}.")

    def _text_format(self, path: Path) -> tuple[str, str]:
        """(encoding, delimiter) of a text export: as set in params, or detected."""
        enc = detect_encoding(path) if self.params.encoding == "auto" else self.params.encoding
        sep = detect_delimiter(path, enc, self.params.skip_rows) if self.params.delimiter == "auto" else self.params.delimiter
        return enc, sep

    def _query_files(self, query: str) -> pd.DataFrame:
        """Run ``query`` in DuckDB over the source's files. Each file the query names is a table by
        its file name and by its stem (``FROM 'orders.csv'``, ``FROM orders``), each sheet of a
        workbook by the sheet's name. DuckDB reads UTF-8 CSV and Parquet itself; a GBK or UTF-16
        export and an Excel sheet are read by custlab's readers and handed to DuckDB as UTF-8 CSV,
        so DuckDB infers the same column types as for a UTF-8 copy of the file."""
        import tempfile

        import duckdb

        root = config.resolve_path(self.params.path)
        folder = root if root.is_dir() else root.parent
        wanted = query.lower()
        with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="custlab-query-") as tmp:
            con.execute("SET file_search_path = ?", [str(folder)])
            for names, reader in self._query_tables(root):
                names = [n for n in names if n.lower() in wanted]
                if names:
                    target = reader(Path(tmp))
                    for n in names:
                        con.execute(f'CREATE OR REPLACE VIEW "{n}" AS SELECT * FROM {target}')
            return con.sql(query).df()

    def _query_tables(self, root: Path):
        """(names, reader) per table a folder query may use; ``reader(tmp)`` returns the DuckDB
        table function that reads it (writing a UTF-8 copy into ``tmp`` where DuckDB cannot read the original)."""
        skip = self.params.skip_rows

        def as_csv(path: Path, frame) -> str:
            copy = path.with_suffix(".csv")
            frame().to_csv(copy, index=False)
            return f"read_csv({_sql_text(copy)}, header=true)"

        def text_file(path: Path):
            def reader(tmp: Path) -> str:
                enc, sep = self._text_format(path)
                if enc in ("utf-8", "utf-8-sig", "ascii"):
                    return f"read_csv({_sql_text(path)}, delim={_sql_text(sep)}, header=true, skip={skip})"
                return as_csv(tmp / path.name, lambda: pd.read_csv(path, encoding=enc, sep=sep, dtype=str,
                                                                   keep_default_na=False, na_values=[""], skiprows=skip))
            return reader

        def sheet(book: Path, name):
            return lambda tmp: as_csv(tmp / f"{book.stem}.{name}", lambda: pd.read_excel(
                book, sheet_name=name, dtype=str, engine=EXCEL_ENGINE, skiprows=skip))

        if root.is_file():  # one workbook: its sheets
            for name in pd.ExcelFile(root, engine=EXCEL_ENGINE).sheet_names:
                yield [name], sheet(root, name)
            return
        for path in sorted(root.iterdir()):
            suffix = path.suffix.lower()
            if suffix in (".csv", ".tsv", ".txt"):
                yield [path.name, path.stem], text_file(path)
            elif suffix in (".xlsx", ".xls", ".xlsm"):
                yield [path.name, path.stem], sheet(path, 0)
            elif suffix == ".parquet":
                yield [path.name, path.stem], lambda tmp, p=path: f"read_parquet({_sql_text(p)})"

    def read(self, name: str) -> pd.DataFrame:
        """The canonical table ``name``: columns mapped, typed and schema-checked."""
        raw = self.read_raw(name)
        renames, units = map_headers(raw.columns, self.columns, name, self.location)
        mapped = raw.rename(columns={c: renames.get(str(c), str(c)) for c in raw.columns})
        own_unit = {c: _carries_unit(mapped[c]) for c in units if c in mapped}
        out = check_schema(mapped, name, self.location, self.params.bad_value_tolerance,
                           row_offset=2 + self.params.skip_rows if self.params.kind in ("csv", "excel") else 1,
                           timezone=self.params.timezone, exact_duplicates=self.params.exact_duplicates,
                           fold_ids=self.params.fold_id_case, decimal=self.params.decimal)
        for column, factor in units.items():  # 年营业收入(万元): the header says the unit, unless a value says its own
            if SCHEMAS.get(name, {}).get(column) == "number" and column in out:
                out[column] = out[column].where(own_unit[column].to_numpy(), (out[column] * factor).round(4))
        return out

    def orders_relation(self, con):
        """A DuckDB relation over the canonical orders (read in DuckDB, not in pandas, when possible)."""
        kind = self.params.kind
        if kind in ("duckdb", "parquet", "csv") and not isinstance(self._table_ref("orders"), dict) and not self.params.fold_id_case:
            if kind == "duckdb":
                con.execute(f"ATTACH IF NOT EXISTS '{self.location}' AS src (READ_ONLY)")
                base = f'src."{self._table_ref("orders")}"'
            elif kind == "parquet":
                base = f"read_parquet('{self._file('orders')}')"
            else:
                base = f"read_csv('{self._file('orders')}', all_varchar=true, skip={self.params.skip_rows})"
            rel = con.sql(f"SELECT * FROM {base}")
            renames = map_headers(rel.columns, self.columns, "orders", self.location)[0]
            if renames:
                rel = con.sql("SELECT " + ", ".join(f'"{c}" AS "{renames.get(c, c)}"' for c in rel.columns) + f" FROM {base}")
            return rel
        return con.from_df(self.read("orders"))

    def table_digests(self) -> dict[str, str]:
        """SHA-256 of every table's content (a database has no files to hash)."""
        out = {}
        for name in self.available():
            df = self.read_raw(name)
            digest = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
            digest.update(",".join(map(str, df.columns)).encode())
            out[f"{self.location.split('@')[-1]}/{name}"] = digest.hexdigest()
        return out


def _sql_text(value) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


#: file endings and the source kind that reads them
KIND_OF_SUFFIX = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xls": "excel", ".xlsm": "excel",
                  ".parquet": "parquet", ".duckdb": "duckdb", ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite"}


def check_location(params: config.SourceParams) -> None:
    """Raise a SourceError when ``source.path`` does not exist or does not fit ``source.kind``
    (a DuckDB source pointed at a CSV file, a CSV source at one file instead of its folder)."""
    kind = params.kind
    if kind == "sql":
        if not params.url:
            raise SourceError("source.kind is sql but source.url is empty: give a SQLAlchemy URL such as "
                              "postgresql+psycopg://user@host/db.")
        return
    if not params.path:
        raise SourceError(f"source.kind is {kind} but source.path is empty: name the file or folder to read.")
    path = config.resolve_path(params.path)
    if not path.exists():
        raise SourceError(f"source.path {path} does not exist: check the path in your parameters (relative paths start "
                          f"at the project root {config.PROJECT_ROOT}).")
    fits = KIND_OF_SUFFIX.get(path.suffix.lower()) if path.is_file() else None
    if kind in ("csv", "parquet") and path.is_file():
        raise SourceError(f"source.kind is {kind} and source.path {path} is a file: point source.path at the folder that "
                          f"holds it (the tables are its files: {path.name} is table '{path.stem}', or name it under source.tables).")
    if kind in ("duckdb", "sqlite") and path.is_dir():
        raise SourceError(f"source.kind is {kind} and source.path {path} is a folder: point it at the database file, or set "
                          "source.kind to csv, excel or parquet for a folder of files.")
    if path.is_file() and fits and fits != kind and not (kind in ("duckdb", "sqlite") and fits in ("duckdb", "sqlite")):
        hint = (f"set source.kind: {fits}" + (f" and source.path to its folder {path.parent}" if fits in ("csv", "parquet") else ""))
        raise SourceError(f"source.kind is {kind} but source.path {path} is a {fits} file: {hint}.")


def _server(url: str) -> str:
    """Where a database URL points, without user or password (host, port and database)."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 (a URL that does not parse names no server)
        return "the server in source.url"
    return f"{u.drivername}://{u.host or 'localhost'}{':' + str(u.port) if u.port else ''}/{u.database or ''}"
