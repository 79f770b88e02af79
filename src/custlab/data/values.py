"""Reading values as exports write them: encodings, delimiters, dates, numbers (万/亿, decimal
marks, placeholders), headers with units, ids, and the schema check of a canonical table.

Nothing here reads a file or a database (that is :mod:`custlab.data.readers`); every function
takes text or a table already read and says, for a value it cannot read for certain, where it is.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SchemaError, SourceError
from .tables import PRIMARY_KEYS, REQUIRED, SCHEMAS

EXCEL_EPOCH = pd.Timestamp("1899-12-30")


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
