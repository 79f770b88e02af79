"""Reading the customer database: files or databases, column mapping, schema checks.

A source is a DuckDB file (the sample), a SQLite file, any SQLAlchemy URL (PostgreSQL, MySQL),
or a folder of CSV, Excel or Parquet files. ``params`` name it (:class:`custlab.config.SourceParams`)
and map source columns to canonical names. A table may be a SQL query instead (``source.tables:
{orders: {query: ...}}``): run by the database, or for a folder by DuckDB over its files
(``FROM 'sales.csv'`` or ``FROM sales``; GBK exports and Excel sheets too), so that line items
can be summed into orders and a customers table derived from a transaction log.
:meth:`Source.read` returns a canonical table with typed columns after a schema check; nothing is dropped here: cleaning decides what to do with
bad rows. Large order tables are aggregated in DuckDB (see :meth:`Source.orders_sql`).
"""
from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import cache
from .. import config
from .cache import cache_key, cached_folder, column_mapping
from ..errors import SchemaError, SourceError

# canonical tables: column -> kind; required columns and primary keys
SCHEMAS: dict[str, dict[str, str]] = {
    "customers": {"customer_id": "id", "name": "text", "credit_code": "text", "phone": "text", "email": "text",
                  "contact": "text", "industry": "text", "province": "text", "city": "text", "region": "text",
                  "employees": "number", "annual_revenue": "number", "registered_date": "date", "channel": "text"},
    "orders": {"order_id": "id", "customer_id": "id", "order_date": "date", "amount": "number", "product": "text",
               "category": "text", "quantity": "number", "status": "text", "channel": "text"},
    "interactions": {"customer_id": "id", "date": "date", "kind": "text", "count": "number"},
    "survey": {"customer_id": "id", "satisfaction": "number", "loyalty": "number"},
    "conjoint_design": {"profile_id": "id"},
    "conjoint_responses": {"respondent_id": "id", "task": "number", "profile_id": "id", "rating": "number", "chosen": "number"},
    "prospects": {"prospect_id": "id", "name": "text", "industry": "text", "province": "text", "city": "text",
                  "employees": "number", "annual_revenue": "number", "registered_date": "date"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name"), "orders": ("order_id", "customer_id", "order_date", "amount"),
    "interactions": ("customer_id", "date", "kind", "count"), "survey": ("customer_id",),
    "conjoint_design": ("profile_id",), "conjoint_responses": ("respondent_id", "task", "profile_id"),
    "prospects": ("prospect_id", "name"),
}
#: columns read when present that no analysis needs, so their absence is not reported
OPTIONAL = {"orders": ("status", "channel")}
#: columns the cleaning derives from others when the source lacks them (region from province or city)
DERIVED = {"customers": {"region": ("province", "city")}, "prospects": {"region": ("province", "city")}}
PRIMARY_KEYS = {"customers": "customer_id", "orders": "order_id", "prospects": "prospect_id", "conjoint_design": "profile_id"}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
FILE_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "excel": ".xlsx"}
# one reader for .xlsx and .xls alike (Rust, several times faster than openpyxl on large exports);
# pandas 3 already reads .xls with it and says it will read .xlsx with it too
EXCEL_ENGINE = "calamine"


# --------------------------------------------------------------------------- parsing values
def detect_encoding(path: Path, probe_bytes: int = 4 << 20) -> str:
    """Encoding of a CSV export: 'utf-8-sig', 'utf-16' (with its byte-order mark), 'utf-8', 'gbk'
    or 'gb18030' (checked in that order)."""
    with open(path, "rb") as fh:
        head = fh.read(probe_bytes)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode Text" export
        return "utf-16"
    for enc in ("utf-8", "gbk", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=len(head) < probe_bytes)
            return enc
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path}: cannot tell the text encoding (not UTF-8, GBK or GB18030). "
                      "Save it as UTF-8, or set source.encoding in params/base.yaml.")


DELIMITERS = (",", "\t", ";", "|")


def detect_delimiter(path: Path, encoding: str, skip_rows: int = 0) -> str:
    """The field separator of a text export, read off its header line: the one of , tab ; | that
    occurs most often there (Excel's "Unicode Text" export, for one, separates with tabs)."""
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(skip_rows):
            fh.readline()
        header = fh.readline()
    counts = {sep: header.count(sep) for sep in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


#: what exports write for "no value": missing, not a bad value
PLACEHOLDERS = frozenset({"-", "--", "—", "——", "–", "/", "N/A", "n/a", "#N/A", "NA", "NULL", "null", "None", "无"})
_DATE_SEP = re.compile(r"[年月/]|(?<!:\d\d)\.")  # a dot after seconds (13:45:07.25) starts their fraction
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?$")


_ZONED = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?\s*(?:Z|[+-]\d{2}:?\d{2})$")


def parse_dates(values: pd.Series, timezone: str = "Asia/Shanghai") -> tuple[pd.Series, pd.Series]:
    """Parse the date formats Chinese exports use; return (dates, mask of unparseable values).

    Accepts 2024-01-05, 2024/1/5, 2024.1.5, 20240105, 2024年1月5日, an optional time of day (with
    fractional seconds, as SQL Server and MySQL exports write them: 2024-01-05 13:45:00.000),
    Excel serial numbers (days since 1899-12-30) and values that are already dates. A time that
    carries its zone (a PostgreSQL timestamptz, 2024-01-05T12:00:00Z, ...+08:00) becomes the local
    time in ``timezone``, so that it falls on the business day it happened there.

    Examples
    --------
    >>> parse_dates(pd.Series(["2024/1/5", "20240105", "2024年1月5日", "45296"]))[0].dt.day.tolist()
    [5, 5, 5, 5]
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert(timezone).dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).astype("datetime64[ns]"), pd.Series(False, index=values.index)
    missing = values.isna()
    stripped = values.astype("string").str.strip()
    missing |= stripped.fillna("").eq("") | stripped.isin(PLACEHOLDERS).fillna(False)
    text = stripped.str.replace("日", "", regex=False).mask(missing)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    zoned = text.str.fullmatch(_ZONED).fillna(False)
    if zoned.any():
        local = pd.to_datetime(text[zoned].str.replace(" ", "T", n=1), utc=True, format="ISO8601", errors="coerce")
        out[zoned] = local.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[ns]")
    serial = text.str.fullmatch(r"\d{5}(?:\.\d+)?").fillna(False)
    if serial.any():
        out[serial] = EXCEL_EPOCH + pd.to_timedelta(text[serial].astype(float).round(), unit="D")
    compact = text.str.fullmatch(r"\d{8}").fillna(False)
    if compact.any():
        out[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    rest = ~(serial | compact | missing | zoned)
    if rest.any():
        norm = text[rest].str.replace(_DATE_SEP, "-", regex=True).str.rstrip("-")
        parts = norm.str.extract(_YMD)
        iso = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2) + (" " + parts[3]).fillna("")
        out[rest] = pd.to_datetime(iso, format="ISO8601", errors="coerce")
    return out, out.isna() & ~missing


_CHINESE_UNITS = {"千": 1e3, "万": 1e4, "亿": 1e8}


def _carries_unit(values: pd.Series) -> pd.Series:
    """Which values write their own unit (1.5亿, 800万元): a unit in the header does not apply to them."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.Series(False, index=values.index)
    return values.astype("string").str.strip().str.contains(r"[千万亿]\s*元?\)?$", regex=True).fillna(False).astype(bool)


_NUMBER_FORMS = {  # a number as written, once currency, units and spaces are gone
    ".": re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|[+-]?\.\d+"),  # 1,234.50
    ",": re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"),  # 1.234,50 (set source.decimal: ",")
}


def parse_numbers(values: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse numbers as Chinese exports write them; return (numbers, mask of unparseable values).

    Accepts thousands separators, currency marks and codes (¥, 元, RMB, CNY), full-width digits,
    the units 万 (10^4) and 亿 (10^8), and accounting negatives in parentheses; placeholders such as
    "-" or "N/A" are missing values. The decimal mark is ``decimal``: with ".", a comma may only
    group thousands (1,234.50); with "," a point or space groups them (1.234,50). A value that could
    be read two ways under that rule (12,5 or 1.234,50 with "."), NaN, inf and numbers too large for
    a float are unparseable: reported with their rows, never guessed.

    Examples
    --------
    >>> parse_numbers(pd.Series(["¥1,234.50", "1.2万元", "3亿", "(500)", "１２３", "-"]))[0].tolist()
    [1234.5, 12000.0, 300000000.0, -500.0, 123.0, nan]
    >>> parse_numbers(pd.Series(["12,5", "1.234,50", "inf", "1e400"]))[1].tolist()
    [True, True, True, True]
    >>> parse_numbers(pd.Series(["1.234,50", "12,5", "1 234"]), decimal=",")[0].tolist()
    [1234.5, 12.5, 1234.0]
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.astype("float64")
        infinite = pd.Series(np.isinf(out.to_numpy()), index=values.index)
        return out.mask(infinite), infinite
    text = values.astype("string").str.strip()
    missing = values.isna() | text.fillna("").eq("") | text.isin(PLACEHOLDERS).fillna(False)
    cleaned = (text.str.translate({0xFF10 + i: ord("0") + i for i in range(10)}
                                  | {0xFF0E: ord("."), 0xFF0D: ord("-"), 0xFF08: ord("("), 0xFF09: ord(")"), 0xFF0C: ord(",")})
               .str.replace(r"(?i)[¥￥元]|rmb|cny", "", regex=True).str.strip())
    negative = cleaned.str.fullmatch(r"\(.*\)").fillna(False)
    cleaned = cleaned.mask(negative, cleaned.str.slice(1, -1))
    scale = pd.Series(1.0, index=values.index)
    for unit, factor in _CHINESE_UNITS.items():
        has_unit = cleaned.str.endswith(unit).fillna(False)
        scale[has_unit] = factor
        cleaned = cleaned.mask(has_unit, cleaned.str.removesuffix(unit))
    cleaned = cleaned.str.strip()
    if decimal == ",":
        cleaned = cleaned.str.replace(r"(?<=\d)\s(?=\d{3}(?:\D|$))", ".", regex=True)
    else:
        cleaned = cleaned.str.replace(r"(?<=\d)\s(?=\d{3}(?:\D|$))", ",", regex=True)
    readable = cleaned.str.fullmatch(_NUMBER_FORMS[decimal]).fillna(False)
    plain = (cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False) if decimal == ","
             else cleaned.str.replace(",", "", regex=False))
    out = pd.to_numeric(plain.where(readable & ~missing), errors="coerce").astype("float64")
    out = out.mask(np.isinf(out.to_numpy())) * scale
    scaled = scale != 1
    out[scaled] = out[scaled].round(4)  # 1.03737亿 is 103,737,000, not 103,736,999.99999999
    out[negative] = -out[negative]
    return out, out.isna() & ~missing


# --------------------------------------------------------------------------- headers
#: units written in a header, 年营业收入(万元), and the factor to CNY
HEADER_UNITS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8, "万": 1e4, "亿": 1e8,
                "cny": 1.0, "rmb": 1.0, "yuan": 1.0}
_UNIT_NAMES = "|".join(sorted(map(re.escape, HEADER_UNITS), key=len, reverse=True))
_HEADER_UNIT = re.compile(rf"(?:[(\[（【]\s*(?:单位\s*[:：]\s*)?({_UNIT_NAMES})\s*[)\]）】]|[/_\-]({_UNIT_NAMES}))$", re.IGNORECASE)


def header_key(name) -> str:
    """A header as mappings compare it: NFKC (full-width to half-width), lower case, no spaces.

    >>> header_key(" 客户 名称 "), header_key("Customer_ID"), header_key("年营业收入（万元）")
    ('客户名称', 'customer_id', '年营业收入(万元)')
    """
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))).lower()


def header_unit(name) -> tuple[str, float | None]:
    """(the header without its unit, the unit's factor to CNY), or (header, None) without a unit.

    >>> header_unit("年营业收入(万元)"), header_unit("订单金额/元"), header_unit("客户名称")
    (('年营业收入', 10000.0), ('订单金额', 1.0), ('客户名称', None))
    """
    key = header_key(name)
    m = _HEADER_UNIT.search(key)
    if not m:
        return key, None
    return key[:m.start()], HEADER_UNITS[(m.group(1) or m.group(2)).lower()]


def map_headers(headers, mapping: dict[str, str], table: str, location: str) -> tuple[dict[str, str], dict[str, float]]:
    """How the source's ``headers`` become canonical columns: (renames, unit factors per canonical
    column). A header matches a mapping key or a canonical column name without regard to spaces,
    width or case, and with or without a unit in brackets; two headers that would become one
    column are a SchemaError naming both."""
    canonical = {header_key(c): c for c in SCHEMAS.get(table, {})}
    lookup = {**canonical, **{header_key(k): v for k, v in mapping.items()}}
    renames, units, taken = {}, {}, {}
    for header in headers:
        base, factor = header_unit(header)
        target = lookup.get(header_key(header)) or lookup.get(base)
        if target is None:
            continue
        if target in taken:
            raise SchemaError(f"table '{table}' of {location}: the columns '{taken[target]}' and '{header}' both map to "
                              f"'{target}'. Keep one: map the other to a name of its own in `columns:` of params/base.yaml "
                              f"(e.g. {header}: {target}_2), or leave it out of the export.")
        taken[target] = header
        renames[str(header)] = target
        if factor is not None and factor != 1:
            units[target] = factor
    return renames, units


# --------------------------------------------------------------------------- the source
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

    def fingerprint(self) -> dict[str, str]:
        """SHA-256 of every input file, or of every table's content for a database URL (:func:`cache.fingerprint`)."""
        return cache.fingerprint(self.params)

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


def open_source(params: config.SourceParams, columns: dict[str, str] | str = ()) -> Source:
    """Open the source named in the parameters (nothing is read yet); a path that does not exist or
    does not fit the kind is a SourceError here."""
    check_location(params)
    return Source(params, column_mapping(columns or {}))


# --------------------------------------------------------------------------- schema check
def _rows(mask: pd.Series, offset: int, limit: int = 5) -> str:
    pos = np.flatnonzero(mask.to_numpy())[:limit]
    return ", ".join(str(p + offset) for p in pos)


def _as_text(values: pd.Series) -> pd.Series:
    """An id or text column as text. Whole numbers stored as floats (an SQL integer column with
    NULLs reaches pandas as float64; spreadsheet cells) lose their ".0": customer 1001.0 must match
    1001 in another table, and a phone 13800138000.0 keep its eleven digits."""
    if pd.api.types.is_float_dtype(values):
        known = values.dropna()
        if len(known) and (known == known.round()).all() and known.abs().max() < 2**53:
            return values.astype("Int64").astype("string")
    elif values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("floating", "mixed-integer-float", "mixed"):
        values = values.map(lambda v: int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v)
    return values.astype("string")


def exact_repeats(df: pd.DataFrame, key: str) -> pd.Series:
    """Rows that repeat an earlier row exactly (every column equal), as exports often hold them;
    compared only among rows whose ``key`` repeats, so a million-row table costs one duplicated()
    on its key."""
    again = df[key].duplicated(keep=False) & df[key].notna()
    out = pd.Series(False, index=df.index)
    if again.any():
        rows = df.loc[again, [c for c in df.columns if not str(c).startswith("_")]]
        out[again] = rows.astype("string").fillna("\x00").duplicated().to_numpy()
    return out


_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_ZERO_PADDED = re.compile(r"^0\d")


def infer_type(values: pd.Series) -> pd.Series:
    """A column the schema does not name (a conjoint attribute, a user's extra column), typed as a
    CSV reader infers it: numbers when every value written is a plain number (8, 12.5, -3), true
    and false when every one is a boolean, else text as written. Zero-padded codes (0571, 007) stay
    text. Columns that are already typed (a database's, Parquet's) are left alone.

    Examples
    --------
    >>> [infer_type(pd.Series(v, dtype="string")).dtype.name for v in (["8", "12.5", None], ["True", "false"], ["0571", "10"], ["a", "1"])]
    ['float64', 'boolean', 'string', 'string']
    """
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values
    text = values.astype("string").str.strip()
    written = text[text.notna() & (text != "")]
    if written.empty or not written.map(lambda v: isinstance(v, str)).all():
        return values
    if written.str.fullmatch(_PLAIN_NUMBER).all() and not written.str.match(_ZERO_PADDED).any():
        return pd.to_numeric(text.mask(text == ""), errors="coerce").astype("float64")
    lower = written.str.lower()
    if lower.isin(("true", "false")).all():
        return text.str.lower().map({"true": True, "false": False}).astype("boolean")
    return values


def fold_id(values: pd.Series) -> pd.Series:
    """Ids compared as one system would write them: full-width folded, spaces removed, upper case
    (`` c0001 ``, ``C 0001`` and ``Ｃ0001`` are C0001). Used when ``source.fold_id_case`` says the
    tables of an export write one id differently.

    Examples
    --------
    >>> fold_id(pd.Series([" c0001 ", "C 0001", "Ｃ０００１", None])).tolist()
    ['C0001', 'C0001', 'C0001', <NA>]
    """
    return values.astype("string").str.normalize("NFKC").str.replace(r"\s+", "", regex=True).str.upper()


def check_schema(df: pd.DataFrame, table: str, location: str, tolerance: float = 0.0, row_offset: int = 1,
                 timezone: str = "Asia/Shanghai", exact_duplicates: str = "drop", fold_ids: bool = False,
                 decimal: str = ".") -> pd.DataFrame:
    """Check and type a canonical table; raise one SchemaError listing every problem.
    Ids are trimmed; with ``fold_ids`` also folded by :func:`fold_id`.

    Row numbers in messages count from 1 over the data rows (for CSV and Excel, as the line or row
    number the file shows: ``row_offset`` is the number of the first data row).
    """
    problems: list[str] = []
    where = f"table '{table}' of {location}"
    if df.empty:
        raise SchemaError(f"{where} is empty: export the table again, or point source.tables.{table} at the right one.")
    missing = [c for c in REQUIRED.get(table, ()) if c not in df.columns]
    if missing:
        untitled = sum(str(c).startswith("Unnamed:") for c in df.columns)
        title = (" Its first row looks like a title above the header (one filled cell, the rest unnamed): set "
                 "source.skip_rows to the number of rows above the header." if untitled >= len(df.columns) - 1 > 0 else
                 " It was read as one column: the first line may be a title above the header (set source.skip_rows to the "
                 "number of lines above it), or the fields are separated by another character (source.delimiter)."
                 if len(df.columns) == 1 else "")
        raise SchemaError(f"{where} lacks required column(s) {missing}; it has {list(df.columns)[:20]}. "
                          f"Map your column names to these in `columns:` of params/base.yaml (see params/columns_zh.yaml)."
                          + title)
    out = df.copy()
    for col in out.columns:
        if col not in SCHEMAS.get(table, {}):
            out[col] = infer_type(out[col])
    for col, kind in SCHEMAS.get(table, {}).items():
        if col not in out.columns:
            continue
        if kind == "id":
            out[col] = fold_id(_as_text(out[col])) if fold_ids else _as_text(out[col]).str.strip()
            continue
        if kind == "text":
            out[col] = _as_text(out[col])
            continue
        parsed, bad = parse_dates(out[col], timezone) if kind == "date" else parse_numbers(out[col], decimal)
        share = bad.mean()
        if bad.any() and share > tolerance:
            sample = ", ".join(repr(v) for v in out.loc[bad, col].head(3))
            problems.append(f"column '{col}' has {bad.sum()} value(s) ({share:.1%}) that are not {'dates' if kind == 'date' else 'numbers'}, "
                            f"first at row(s) {_rows(bad, row_offset)}: {sample}")
        out[col] = parsed
    key = PRIMARY_KEYS.get(table)
    if key:
        dup = out[key].duplicated(keep=False) & out[key].notna()
        if exact_duplicates == "drop" and dup.any():  # exact repeats are the cleaning's to drop and count
            repeats = exact_repeats(out, key)
            dup = out.loc[~repeats, key].duplicated(keep=False).reindex(out.index, fill_value=False) & out[key].notna()
        if dup.any():
            lines = (" (if each row is one line of an order, sum the lines into orders with a query in "
                     "source.tables.orders; see the README)" if table == "orders" else "")
            exact = ("" if exact_duplicates == "drop" else " (rows repeated exactly are dropped and counted by the cleaning "
                     "when source.exact_duplicates is drop, the default)")
            differ = " with different values in other columns" if exact_duplicates == "drop" else ""
            problems.append(f"primary key '{key}' repeats for {out.loc[dup, key].nunique()} value(s){differ}, "
                            f"first at row(s) {_rows(dup, row_offset)}: {out.loc[dup, key].iloc[0]!r}{lines}{exact}")
        if out[key].isna().any():
            problems.append(f"primary key '{key}' is empty at row(s) {_rows(out[key].isna(), row_offset)}")
    if problems:
        raise SchemaError(f"{where} does not fit the schema custlab needs:\n  - " + "\n  - ".join(problems)
                          + "\nFix the values in the source (custlab never edits it), map the right column in `columns:`, "
                            "or raise source.bad_value_tolerance to treat a small share of bad values as missing.")
    return out


#: the tables every source must hold (:meth:`Source.read` refuses an empty one): every analysis starts from them
NEEDED = ("customers", "orders")


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
