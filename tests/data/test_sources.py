import sqlite3

import numpy as np
import pandas as pd
import pytest

from custlab import config
from custlab.data import cache as table_cache, sources
from custlab.errors import SchemaError, SourceError

TABLES = ("customers", "orders", "interactions", "survey", "conjoint_design", "conjoint_responses", "prospects")


@pytest.fixture(scope="module")
def canonical(small_sample):
    src = sources.open_source(config.SourceParams(kind="duckdb", path=str(small_sample / "crm.duckdb")))
    return {t: src.read(t) for t in TABLES}


def _same(a: pd.DataFrame, b: pd.DataFrame, table: str):
    key = list(a.columns[:3])
    a = a.sort_values(key).reset_index(drop=True)
    b = b[a.columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)


def test_every_table_is_present_and_typed(canonical, small_truth):
    assert {t: len(canonical[t]) for t in ("customers", "orders", "interactions")} == \
        {t: small_truth["counts"][t] for t in ("customers", "orders", "interactions")}
    o = canonical["orders"]
    assert pd.api.types.is_datetime64_any_dtype(o["order_date"]) and pd.api.types.is_float_dtype(o["amount"])


@pytest.mark.parametrize("kind", ["csv", "csv-gbk", "parquet", "excel", "sqlite"])
def test_formats_round_trip(kind, canonical, tmp_path):
    folder = tmp_path / kind
    folder.mkdir()
    small = {t: canonical[t].head(300) if kind == "excel" else canonical[t] for t in ("customers", "orders")}
    if kind.startswith("csv"):
        enc = "gbk" if kind == "csv-gbk" else "utf-8-sig"
        for t, df in small.items():
            df.to_csv(folder / f"{t}.csv", index=False, encoding=enc)
        params = config.SourceParams(kind="csv", path=str(folder))
    elif kind == "parquet":
        for t, df in small.items():
            df.to_parquet(folder / f"{t}.parquet", index=False)
        params = config.SourceParams(kind="parquet", path=str(folder))
    elif kind == "excel":
        with pd.ExcelWriter(folder / "crm.xlsx") as xl:
            for t, df in small.items():
                df.to_excel(xl, sheet_name=t, index=False)
        params = config.SourceParams(kind="excel", path=str(folder / "crm.xlsx"))
    else:
        with sqlite3.connect(folder / "crm.sqlite") as con:
            for t, df in small.items():
                df.to_sql(t, con, index=False)
        params = config.SourceParams(kind="sqlite", path=str(folder / "crm.sqlite"))
    src = sources.open_source(params)
    assert set(src.available()) == {"customers", "orders"}
    for t, df in small.items():
        _same(df, src.read(t), f"{kind}:{t}")


def test_encoding_detection(tmp_path):
    text = "客户名称,金额\n深圳华信科技有限公司,1\n"
    for enc, expected in (("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("gbk", "gbk"), ("gb18030", "gb18030")):
        body = text + ("𠀀\n" if enc == "gb18030" else "")  # a character GBK cannot encode
        path = tmp_path / f"{enc}.csv"
        path.write_bytes(body.encode(enc))
        assert sources.detect_encoding(path) == expected


def test_chinese_headers_mapped_with_shipped_mapping(tmp_path, canonical):
    mapping = sources.column_mapping("columns_zh.yaml")
    reverse = {"order_id": "订单编号", "customer_id": "客户编号", "order_date": "下单日期", "amount": "订单金额"}
    assert all(mapping[v] == k for k, v in reverse.items())
    df = canonical["orders"].head(50)[list(reverse)].rename(columns=reverse)
    df["下单日期"] = df["下单日期"].dt.strftime("%Y年%-m月%-d日")
    df.to_csv(tmp_path / "orders.csv", index=False, encoding="gbk")
    src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path)), "columns_zh.yaml")
    got = src.read("orders")
    assert list(got.columns) == list(reverse)
    assert (got["order_date"].dt.normalize() == canonical["orders"].head(50)["order_date"].dt.normalize()).all()


def test_date_formats_of_chinese_exports():
    raw = pd.Series(["2024-01-05", "2024/1/5", "20240105", "2024年1月5日", "45296", "2024.1.5", "2024-1-5 13:45",
                     "2024-01-05 13:45:00.000", "2024/1/5 13:45:07.25", None, "31/12/2024", "2024-01"])
    dates, bad = sources.parse_dates(raw)
    assert (dates[:9].dt.normalize() == pd.Timestamp("2024-01-05")).all()
    assert dates[8] == pd.Timestamp("2024-01-05 13:45:07.250")
    assert bad.tolist() == [False] * 10 + [True, True]  # day-month order and a month alone are not guessed


def test_numbers_and_placeholders_of_chinese_exports(tmp_path):
    cases = {"¥1,234.50": 1234.5, "1,234.50元": 1234.5, "RMB 100": 100, "１２３": 123, "1.2万": 12_000,
             "1.5万元": 15_000, "3亿": 3e8, "2.5亿元": 2.5e8, "(500)": -500, "（1,000）": -1000, "-7": -7}
    numbers, bad = sources.parse_numbers(pd.Series(list(cases)))
    assert numbers.tolist() == [float(v) for v in cases.values()] and not bad.any()
    placeholders = pd.Series(["-", "—", "N/A", "#N/A", "无", "", None])  # "no value" marks: missing, not bad
    for parse in (sources.parse_numbers, sources.parse_dates):
        values, bad = parse(placeholders)
        assert values.isna().all() and not bad.any()
    assert sources.parse_numbers(pd.Series(["12%", "万", "约100"]))[1].all()  # still bad: not guessed
    (tmp_path / "customers.csv").write_text(
        "客户编号,客户名称,年营业收入\nC1,华信,1.2亿\nC2,宏达,800万元\nC3,云帆,-\n", encoding="utf-8")
    got = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path)), "columns_zh.yaml").read("customers")
    assert got["annual_revenue"].tolist()[:2] == [1.2e8, 8e6] and pd.isna(got["annual_revenue"].iloc[2])


def test_schema_errors_name_table_column_rows_and_fix(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,amount\nO1,C1,2024-01-05,10\nO2,C1,not a date,20\nO2,C2,2024-01-07,abc\n", encoding="utf-8")
    src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path)))
    with pytest.raises(SchemaError) as err:
        src.read("orders")
    msg = str(err.value)
    assert "table 'orders'" in msg and str(tmp_path) in msg
    assert "column 'order_date' has 1 value(s) (33.3%) that are not dates, first at row(s) 3: 'not a date'" in msg
    assert "column 'amount' has 1 value(s) (33.3%) that are not numbers, first at row(s) 4: 'abc'" in msg
    assert "primary key 'order_id' repeats for 1 value(s) with different values in other columns, first at row(s) 3, 4: 'O2' (if each row is one line of an order, sum the lines" in msg
    assert "custlab never edits it" in msg
    tolerant = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), bad_value_tolerance=0.5))
    with pytest.raises(SchemaError, match="primary key"):  # tolerance covers values, never keys
        tolerant.read("orders")


def test_a_folder_of_files_answers_sql_queries_in_duckdb(tmp_path):
    # order lines summed into orders, and customers taken from them: a transaction log without a customers table
    (tmp_path / "lines.csv").write_text("inv,cust,day,qty,price\nA1,7,2024-01-05,2,5.5\nA1,7,2024-01-05,1,9\n"
                                        "A2,8,2024-02-01,3,1\nA3,7,2024-03-01,1,4\n", encoding="utf-8")
    tables = {"orders": {"query": "SELECT inv AS order_id, any_value(cust) AS customer_id, min(day) AS order_date, "
                                  "sum(qty * price) AS amount FROM 'lines.csv' GROUP BY inv"},
              "customers": {"query": "SELECT DISTINCT cust AS customer_id, cust AS name FROM 'lines.csv'"}}
    with pytest.raises(SchemaError, match=r"has no 'customers' table.*derive it from the orders.*SELECT DISTINCT"):
        sources.validate_source(config.SourceParams(kind="csv", path=str(tmp_path), tables={"orders": tables["orders"]}))
    src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), tables=tables))
    orders = src.read("orders").set_index("order_id").sort_index()
    assert orders["amount"].to_dict() == {"A1": 20.0, "A2": 3.0, "A3": 4.0}
    assert orders["customer_id"].tolist() == ["7", "8", "7"] and str(orders.loc["A3", "order_date"].date()) == "2024-03-01"
    assert sorted(src.read("customers")["customer_id"]) == ["7", "8"]
    assert sources.validate_source(src.params) == {"customers": 2, "orders": 3}
    with pytest.raises(SourceError, match="Table 'orders' cannot be read from csv source .*Check source.tables.orders"):
        sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), tables={"orders": {"query": "SELECT * FROM 'nope.csv'"}})).read("orders")


def test_missing_column_and_empty_table(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,amount\nO1,C1,1\n", encoding="utf-8")
    (tmp_path / "customers.csv").write_text("customer_id,name\n", encoding="utf-8")
    src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path)))
    with pytest.raises(SchemaError, match=r"lacks required column\(s\) \['order_date'\].*columns_zh.yaml"):
        src.read("orders")
    with pytest.raises(SchemaError, match="is empty"):
        src.read("customers")
    with pytest.raises(SourceError, match="Table 'survey' cannot be read"):
        src.read("survey")


def test_orders_are_aggregated_in_duckdb(small_sample, canonical):
    import duckdb

    src = sources.open_source(config.SourceParams(kind="duckdb", path=str(small_sample / "crm.duckdb")))
    con = duckdb.connect()
    rel = src.orders_relation(con)
    total = con.sql("SELECT sum(amount) FROM rel").fetchall()[0][0]
    assert total == pytest.approx(canonical["orders"]["amount"].sum())


@pytest.mark.postgres
def test_postgresql_serves_the_same_tables(postgres_url, small_sample, canonical):
    from sqlalchemy import create_engine

    engine = create_engine(postgres_url)
    raw = sources.open_source(config.SourceParams(kind="duckdb", path=str(small_sample / "crm.duckdb")))
    with engine.begin() as conn:
        for t in TABLES:  # the table made by pandas, its rows loaded by COPY (INSERTs took 20 s)
            df = raw.read_raw(t)
            df.head(0).to_sql(t, conn, index=False, if_exists="replace")
            with conn.connection.cursor() as cursor, cursor.copy(f'COPY "{t}" FROM STDIN (FORMAT csv)') as copy:
                copy.write(df.to_csv(index=False, header=False))
    engine.dispose()
    pg = sources.open_source(config.SourceParams(kind="sql", path=None, url=postgres_url))
    assert set(pg.available()) == set(TABLES)
    for t in TABLES:
        _same(canonical[t], pg.read(t), f"postgres:{t}")
    assert len(table_cache.fingerprint(pg.params)) == len(TABLES)


@pytest.mark.postgres
def test_times_with_a_zone_fall_on_the_local_business_day(postgres_url, tmp_path):
    # a timestamptz column reaches pandas zone-aware: converting it failed before; now each order
    # falls on the day it happened in source.timezone (an order at 20:00 UTC is the next morning in Shanghai)
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("drop table if exists orders_tz"))
        conn.execute(text("create table orders_tz (order_id text, customer_id text, order_date timestamptz, amount numeric)"))
        conn.execute(text("insert into orders_tz values ('O1', 'C1', '2024-01-05 20:00:00+00', 10), "
                          "('O2', 'C1', '2024-01-05 09:30:00+08', 20)"))
    engine.dispose()
    for zone, days in (("Asia/Shanghai", ["2024-01-06 04:00", "2024-01-05 09:30"]),
                       ("UTC", ["2024-01-05 20:00", "2024-01-05 01:30"])):
        params = config.SourceParams(kind="sql", path=None, url=postgres_url, tables={"orders": "orders_tz"}, timezone=zone)
        got = sources.open_source(params).read("orders")["order_date"]
        assert got.dt.strftime("%Y-%m-%d %H:%M").tolist() == days and got.dt.tz is None
    written = pd.Series(["2024-01-05T20:00:00Z", "2024-01-05 23:30:00+08:00", "2024-01-05T12:00:00.5-05:00", "2024-01-05"])
    parsed, bad = sources.parse_dates(written)
    assert parsed.dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist() == [
        "2024-01-06 04:00:00.000000", "2024-01-05 23:30:00.000000", "2024-01-06 01:00:00.500000", "2024-01-05 00:00:00.000000"]
    assert not bad.any()


def test_missing_shares_come_from_parquet_null_counts(small_sample, tmp_path):
    params = config.load_params("00_data_quality", [], {"source": {"kind": "duckdb", "path": str(small_sample / "crm.duckdb")}})
    cache = tmp_path / "cache"
    shares = sources.missing_by_table(params, ("customers", "orders"), cache_dir=cache)
    raw = sources.load_tables(params, ["customers", "orders"], cache_dir=cache)
    expected = pd.DataFrame({name: raw[name].isna().mean() for name in ("customers", "orders")}).T
    pd.testing.assert_frame_equal(shares.reindex(columns=expected.columns), expected, check_exact=True)
    assert shares.loc["customers", "annual_revenue"] > 0 and shares.loc["orders", "amount"] == 0
    # a column without statistics (one that is entirely empty has none) is counted from the data
    folder = next(cache.glob("tables-*"))
    raw["orders"].assign(备注=None).to_parquet(folder / "orders.parquet", index=False, write_statistics=False)
    import json

    # the planted file recorded as the cache's own (else it is rebuilt)
    (folder / table_cache.CONTENTS).write_text(json.dumps(table_cache._describe(folder)), encoding="utf-8")
    counted = sources.missing_by_table(params, ("orders",), cache_dir=cache)
    assert counted.loc["orders", "备注"] == 1.0 and counted.loc["orders", "amount"] == 0
    pd.testing.assert_series_equal(counted.loc["orders", expected.columns.intersection(raw["orders"].columns)].dropna(),
                                   expected.loc["orders"].dropna(), check_names=False)


def test_a_duckdb_file_held_open_for_writing_or_not_duckdb_is_a_clear_error(small_sample, tmp_path):
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "crm.duckdb"
    shutil.copy(small_sample / "crm.duckdb", copy)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(copy)!r}); "
                               f"print('open', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"  # an ETL job or a notebook writing to it
        source = sources.open_source(config.SourceParams(kind="duckdb", path=str(copy)))
        with pytest.raises(SourceError, match=r"crm.duckdb is open for writing in another program .*Close that "
                                              r"connection .*or point source.path at a copy"):
            source.read_raw("customers")
        with pytest.raises(SourceError, match="open for writing in another program"):
            source.available()
    finally:
        holder.communicate("", timeout=30)
    assert len(source.read_raw("customers")) > 0  # closed: readable again
    fake = tmp_path / "export.duckdb"
    fake.write_text("客户名称,电话\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"export.duckdb cannot be opened: .*not a valid DuckDB database.*set "
                                          r"source.kind to the file's kind"):
        sources.open_source(config.SourceParams(kind="duckdb", path=str(fake))).available()


def test_excel_97_2003_workbooks_of_older_erp_exports(tmp_path):
    # .xls with Chinese sheet names and headers, dates stored as Excel dates (tests/reference/README.md)
    import shutil
    from pathlib import Path

    book = Path(__file__).parents[1] / "reference" / "crm_export.xls"
    params = config.SourceParams(kind="excel", path=str(book), tables={"customers": "客户信息", "orders": "订单明细"})
    src = sources.open_source(params, "columns_zh.yaml")
    assert src.available() == ["customers", "orders"]
    customers, orders = src.read("customers"), src.read("orders")
    assert customers["name"].tolist() == ["上海华信贸易有限公司", "北京宏达科技股份有限公司"]
    assert customers["phone"].tolist() == ["13800138000", "13912345678"]
    assert orders["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-05", "2026-02-01", "2026-03-15"]
    assert orders["amount"].tolist() == [1200.5, 300.0, 88.8]
    folder = tmp_path / "export"  # a folder of workbooks, one per table
    folder.mkdir()
    shutil.copy(book, folder / "orders.xls")
    by_folder = sources.open_source(config.SourceParams(kind="excel", path=str(folder), tables={"orders": "orders"}),
                                    "columns_zh.yaml")
    assert by_folder.has("orders") and not by_folder.has("customers")


def test_title_rows_above_the_header_of_an_export(tmp_path):
    # 用友/金蝶-style exports: a title and a date line above the header; GBK
    lines = ["客户信息导出,,", "导出日期：2026-06-30,,", "客户编号,客户名称,注册日期",
             "C1,上海华信贸易有限公司,2019-03-01", "C2,北京宏达科技有限公司,2020年5月6日", "C3,深圳云帆有限公司,不详"]
    (tmp_path / "customers.csv").write_bytes("\r\n".join(lines).encode("gbk"))
    params = config.SourceParams(kind="csv", path=str(tmp_path))
    with pytest.raises(SchemaError, match="first row looks like a title above the header.*set source.skip_rows"):
        sources.open_source(params, "columns_zh.yaml").read("customers")
    skipped = config.SourceParams(kind="csv", path=str(tmp_path), skip_rows=2)
    # the unparseable date is reported at the line the file shows it on (6), not the data row (3)
    with pytest.raises(SchemaError, match=r"registered_date.*row\(s\) 6: '不详'"):
        sources.open_source(skipped, "columns_zh.yaml").read("customers")
    tolerant = config.SourceParams(kind="csv", path=str(tmp_path), skip_rows=2, bad_value_tolerance=0.5)
    got = sources.open_source(tolerant, "columns_zh.yaml").read("customers")
    assert got["name"].tolist()[:2] == ["上海华信贸易有限公司", "北京宏达科技有限公司"]
    assert got["registered_date"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2019-03-01", "2020-05-06"]


def test_whole_numbers_stored_as_floats_keep_ids_and_phones(tmp_path):
    # an SQL integer column with NULLs reaches pandas as float64: 1001.0 must still match 1001
    db = tmp_path / "crm.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("create table customers (customer_id integer, name text, phone integer)")
        con.executemany("insert into customers values (?, ?, ?)",
                        [(1001, "上海华信", 13800138000), (1002, "北京宏达", None)])
        con.execute("create table orders (order_id integer, customer_id integer, order_date text, amount real)")
        con.executemany("insert into orders values (?, ?, ?, ?)",
                        [(1, 1001, "2026-01-05", 10.5), (2, None, "2026-01-06", 3.0), (3, 1002, "2026-01-07", 8.0)])
    src = sources.open_source(config.SourceParams(kind="sqlite", path=str(db)))
    customers, orders = src.read("customers"), src.read("orders")
    assert customers["customer_id"].tolist() == ["1001", "1002"]
    assert customers["phone"].tolist()[0] == "13800138000" and pd.isna(customers["phone"].iloc[1])
    assert orders["customer_id"].tolist()[::2] == ["1001", "1002"] and pd.isna(orders["customer_id"].iloc[1])
    mixed = pd.DataFrame({"customer_id": pd.Series([1001.0, "C-7"], dtype=object), "name": ["a", "b"]})
    assert sources.check_schema(mixed, "customers", "x")["customer_id"].tolist() == ["1001", "C-7"]
    fractional = pd.DataFrame({"customer_id": ["1", "2"], "name": ["a", "b"], "channel": [1.5, None]})
    assert sources.check_schema(fractional, "customers", "x")["channel"].tolist()[0] == "1.5"  # not whole: kept


def test_tab_and_semicolon_separated_exports_and_excel_unicode_text(tmp_path):
    rows = [["客户编号", "客户名称", "年营业收入"], ["C1", "上海华信, 贸易有限公司", "1.2亿"], ["C2", "北京宏达", "800万"]]
    cases = {"unicode_text": ("\t", "utf-16"), "semicolon": (";", "gbk"), "pipe": ("|", "utf-8")}
    for folder, (sep, encoding) in cases.items():
        (tmp_path / folder).mkdir()
        text = "\r\n".join(sep.join(r) for r in rows) + "\r\n"
        (tmp_path / folder / "customers.csv").write_bytes(text.encode(encoding))  # utf-16 writes its byte-order mark
        got = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path / folder)), "columns_zh.yaml").read("customers")
        assert got["name"].tolist() == ["上海华信, 贸易有限公司", "北京宏达"], folder  # a comma inside a field stays
        assert got["annual_revenue"].tolist() == [1.2e8, 8e6], folder
    assert sources.detect_encoding(tmp_path / "unicode_text" / "customers.csv") == "utf-16"
    forced = config.SourceParams(kind="csv", path=str(tmp_path / "semicolon"), delimiter=",")
    with pytest.raises(SchemaError, match="lacks required column"):  # told the wrong separator: one column
        sources.open_source(forced, "columns_zh.yaml").read("customers")


def test_headers_as_exports_write_them_units_in_headers_and_a_mapping_that_extends(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "客户 编号,客户全称,ＣＩＴＹ,年营业收入（万元）,员工人数,备注\nC1,华信,杭州,800,120,\nC2,宏达,宁波,1.5亿,3000,\n",
        encoding="gbk")
    src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path)), {"客户全称": "name"})
    got = src.read("customers")
    assert list(got.columns) == ["customer_id", "name", "city", "annual_revenue", "employees", "备注"]
    # the header says 万元: 800 is 8,000,000 CNY; a value that says its own unit (1.5亿) is read as it says
    assert got["annual_revenue"].tolist() == [8e6, 1.5e8]
    assert got["备注"].isna().all()  # an entirely blank column is fine
    assert sources.header_unit("订单金额(元)") == ("订单金额", 1.0) and sources.header_unit("Amount (CNY)")[1] == 1.0
    (tmp_path / "orders.csv").write_text("订单编号,客户编号,下单日期,订单金额\n1,C1,2024-01-05,10\n", encoding="utf-8")
    assert set(src.read("orders").columns) == {"order_id", "customer_id", "order_date", "amount"}  # the shipped mapping still applies


def test_two_headers_for_one_column_are_named_and_exact_repeats_pass_to_the_cleaning(tmp_path):
    (tmp_path / "customers.csv").write_text("客户编号,客户名称,企业名称\nC1,华信,华信科技\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="'客户名称' and '企业名称' both map to 'name'.*name_2"):
        sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path))).read("customers")
    (tmp_path / "customers.csv").write_text("客户编号,客户名称\nC1,华信\nC1,华信\nC2,宏达\n", encoding="utf-8")
    got = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path))).read("customers")
    assert got["customer_id"].tolist() == ["C1", "C1", "C2"]  # nothing dropped here: the cleaning drops and counts
    strict = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), exact_duplicates="error"))
    with pytest.raises(SchemaError, match=r"primary key 'customer_id' repeats for 1 value\(s\), first at row\(s\) 2, 3: 'C1'.*exact_duplicates"):
        strict.read("customers")


def test_a_folder_query_reads_gbk_exports_and_excel_sheets_through_custlab_readers(tmp_path):
    # DuckDB alone reads neither GBK nor Excel: custlab's readers hand them over, typed as DuckDB types a UTF-8 copy
    lines = "单号;客户;日期;数量;单价\nA1;华信;2024-01-05;2;5.5\nA1;华信;2024-01-05;1;9\nA2;长江;2024-02-01;3;1\n"
    (tmp_path / "销售明细.csv").write_bytes(lines.encode("gbk"))
    query = ("SELECT 单号 AS order_id, any_value(客户) AS customer_id, min(日期) AS order_date, sum(数量 * 单价) AS amount "
             "FROM {} GROUP BY 单号")
    for ref in ("'销售明细.csv'", "销售明细"):
        src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), tables={"orders": {"query": query.format(ref)}}))
        orders = src.read("orders").set_index("order_id").sort_index()
        assert orders["amount"].to_dict() == {"A1": 20.0, "A2": 3.0}
        assert orders["customer_id"].tolist() == ["华信", "长江"]
    book = tmp_path / "crm.xlsx"
    with pd.ExcelWriter(book) as xw:
        pd.DataFrame({"客户编号": ["C1", "C2"], "客户名称": ["华信科技", "长江物流"]}).to_excel(xw, sheet_name="客户", index=False)
        pd.DataFrame({"单号": ["O1", "O2", "O3"], "客户编号": ["C1", "C1", "C2"], "日期": ["2024-01-05"] * 3,
                      "金额": [100, 250.5, 80]}).to_excel(xw, sheet_name="订单", index=False)
    tables = {"orders": {"query": "SELECT 单号 AS order_id, 客户编号 AS customer_id, 日期 AS order_date, 金额 AS amount "
                                  "FROM 订单 WHERE 金额 > 90"},
              "customers": {"query": "SELECT 客户编号 AS customer_id, 客户名称 AS name FROM 客户 ORDER BY 1"}}
    src = sources.open_source(config.SourceParams(kind="excel", path=str(book), tables=tables))
    assert src.read("orders")["amount"].tolist() == [100.0, 250.5]
    assert src.read("customers")["name"].tolist() == ["华信科技", "长江物流"]
    # a folder of workbooks: each by its file name or stem
    folder = tmp_path / "books"
    folder.mkdir()
    pd.DataFrame({"id": ["C9"], "name": ["黄河"]}).to_excel(folder / "clients.xlsx", index=False)
    src = sources.open_source(config.SourceParams(kind="excel", path=str(folder), tables={
        "customers": {"query": "SELECT id AS customer_id, name FROM clients"}}))
    assert src.read("customers")["name"].tolist() == ["黄河"]


def test_numbers_are_read_only_when_they_can_be_read_for_certain(tmp_path):
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["C1"] * 4, "order_date": ["2024-01-05"] * 4,
                           "amount": ["1,234.50", "12,5", "inf", "1e400"], "quantity": ["1", "2", "3", "4"]})
    with pytest.raises(SchemaError, match=r"column 'amount' has 3 value\(s\) \(75.0%\) that are not numbers, first at row\(s\) 3, 4, 5"):
        sources.check_schema(orders, "orders", "orders.csv", row_offset=2)
    european = orders.assign(amount=["1.234,50", "12,5", "1 234", "-0,5"])
    read = sources.check_schema(european, "orders", "orders.csv", decimal=",")
    assert read["amount"].tolist() == [1234.5, 12.5, 1234.0, -0.5]
    # typed sources: infinity is not a number either (NaN stays missing)
    typed = orders.assign(amount=[1.0, np.nan, 3.0, 4.0], quantity=[1.0, np.inf, 2.0, 3.0])
    with pytest.raises(SchemaError, match=r"column 'quantity' has 1 value\(s\) .* first at row\(s\) 2: inf"):
        sources.check_schema(typed, "orders", "crm.duckdb")
    # source.decimal reaches the reader
    european.to_csv(tmp_path / "orders.csv", index=False, sep=";")
    pd.DataFrame({"customer_id": ["C1"], "name": ["甲"]}).to_csv(tmp_path / "customers.csv", index=False)
    src = sources.open_source(config.SourceParams(kind="csv", path=str(tmp_path), decimal=","))
    assert src.read("orders")["amount"].tolist() == [1234.5, 12.5, 1234.0, -0.5]


def test_a_source_that_does_not_fit_its_kind_is_a_located_error(tmp_path):
    pd.DataFrame({"customer_id": ["C1"], "name": ["甲"]}).to_csv(tmp_path / "customers.csv", index=False)
    csv = tmp_path / "customers.csv"
    cases = [(config.SourceParams(kind="duckdb", path=str(csv)), rf"source.kind is duckdb but source.path {csv} is a csv file: "
                                                                 rf"set source.kind: csv and source.path to its folder {tmp_path}"),
             (config.SourceParams(kind="excel", path=str(csv)), r"source.kind is excel but .* is a csv file"),
             (config.SourceParams(kind="csv", path=str(csv)), r"source.kind is csv and source.path .* is a file: point source.path at the folder"),
             (config.SourceParams(kind="duckdb", path=str(tmp_path)), r"is a folder: point it at the database file"),
             (config.SourceParams(kind="csv", path=str(tmp_path / "nope")), r"source.path .*nope does not exist")]
    for params, message in cases:
        with pytest.raises(SourceError, match=message):
            sources.validate_source(params)
    (tmp_path / "fake.duckdb").write_text("customer_id,name\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"The DuckDB file .*fake.duckdb cannot be opened: .*not a valid DuckDB database file.*set source.kind"):
        sources.validate_source(config.SourceParams(kind="duckdb", path=str(tmp_path / "fake.duckdb")))
    with pytest.raises(Exception, match=r"key 'source.encoding' is 'klingon'; allowed: auto, or a Python codec name"):
        config.load_params("00_data_quality", overrides={"source": {"encoding": "klingon"}})


def test_an_unreachable_database_is_named_without_its_credentials():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    params = config.SourceParams(kind="sql", path=None, url=f"postgresql+psycopg://bob:s3cret@127.0.0.1:{port}/crm")
    with pytest.raises(SourceError) as e:
        sources.validate_source(params)
    message = str(e.value)
    assert message.startswith(f"The database postgresql+psycopg://127.0.0.1:{port}/crm cannot be reached: ")
    assert "s3cret" not in message and "bob" not in message and "Check that it runs" in message


def test_table_files_stay_inside_the_source_folder_unless_allowed(tmp_path):
    folder, secret = tmp_path / "export", tmp_path / "secret"
    folder.mkdir(), secret.mkdir()
    pd.DataFrame({"customer_id": ["C1"], "name": ["甲"]}).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame({"order_id": ["O1"], "customer_id": ["C1"], "order_date": ["2024-01-05"], "amount": ["1"]}).to_csv(
        secret / "orders.csv", index=False)
    tables = {"orders": "../secret/orders.csv"}
    with pytest.raises(SourceError, match=r"source.tables.orders is '../secret/orders.csv', which lies outside the source "
                                          r"folder .*source.allow_outside: true"):
        sources.open_source(config.SourceParams(kind="csv", path=str(folder), tables=tables)).read("orders")
    allowed = sources.open_source(config.SourceParams(kind="csv", path=str(folder), tables=tables, allow_outside=True))
    assert allowed.read("orders")["order_id"].tolist() == ["O1"]


def test_a_source_without_orders_is_refused_before_anything_is_cached(tmp_path):
    """`custlab run` reads the source into the cache before any notebook starts: a folder without an
    orders file used to be cached empty, and every notebook then failed on its own (KeyError: 'orders')."""
    data = tmp_path / "export"
    data.mkdir()
    pd.DataFrame({"customer_id": ["C1"], "name": ["甲公司"]}).to_csv(data / "customers.csv", index=False)
    params = config.load_params("00_data_quality", [], {"source": {"kind": "csv", "path": str(data)}})
    cache = tmp_path / "cache"
    with pytest.raises(SchemaError, match=rf"The source {data} has no 'orders' table; name it in source.tables.orders"):
        sources.load_tables(params, cache_dir=cache)
    assert not list(cache.glob("tables-*"))
