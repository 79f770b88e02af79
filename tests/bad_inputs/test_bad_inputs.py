"""What custlab refuses, and why: a catalogue of bad inputs, each small and generated here.

Each case writes a small export (customers.csv and orders.csv, changed as the case says) and a
parameter file, runs a command as a user would (``custlab validate`` or ``custlab clean``, in this
process), and checks the exit code, that the message names what is wrong, where and how to fix it,
that no traceback reaches the user, and that the source files are left as they were. The cases
that custlab accepts check that every input row is accounted for.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from custlab import cli, config

N = 30  # customers; each with two orders


def customers_csv(n: int = N, name=lambda i: f"企业{chr(0x4e00 + 97 * i)}{chr(0x4e00 + 31 * i + 5)}科技有限公司") -> str:
    rows = [f"C{i:04d},{name(i)},浙江,杭州,制造业,{50 + i},{(50 + i) * 400000}" for i in range(n)]
    return "customer_id,name,province,city,industry,employees,annual_revenue\n" + "\n".join(rows) + "\n"


def orders_csv(n: int = N, amount=lambda i: f"{100 + i}.50", date=lambda i: f"2026-0{1 + i % 5}-1{i % 9}",
               customer=lambda i: f"C{i // 2:04d}") -> str:
    rows = [f"O{i:05d},{customer(i)},{date(i)},{amount(i)}" for i in range(2 * n)]
    return "order_id,customer_id,order_date,amount\n" + "\n".join(rows) + "\n"


@dataclass
class Case:
    name: str
    why: str  # what custlab refuses (or accepts) and why, as the README's list says
    params: str = ""  # YAML added to the parameter file (after source:)
    files: dict[str, str | bytes | None] = field(default_factory=dict)  # file -> content (None: deleted)
    command: str = "validate"
    code: int = 2
    message: tuple[str, ...] = ()  # each must appear in the message
    source: str | None = None  # the source: block; default a csv folder
    setup: Callable[[Path], None] | None = None


def _excel(folder: Path) -> None:
    import pandas as pd

    with pd.ExcelWriter(folder / "crm.xlsx") as xw:
        pd.read_csv(folder / "customers.csv").to_excel(xw, sheet_name="customers", index=False)


CASES = [
    # ---------------------------------------------------------------- parameters
    Case("unknown_key", "a key custlab does not know is a typo: named with its file, never ignored",
         "colour: red\n", message=("key 'colour' is unknown", "allowed keys")),
    Case("language", "reports come in en or zh", "language: fr\n", message=("key 'language'", "en", "zh")),
    Case("as_of_word", "as_of is a day (YYYY-MM-DD) or null", "as_of: yesterday\n", message=("as_of", "YYYY-MM-DD")),
    Case("as_of_impossible_day", "a day that does not exist", 'as_of: "2026-13-45"\n', message=("2026-13-45", "YYYY-MM-DD")),
    Case("source_kind", "an unknown kind of source", source="source: {kind: mongodb, path: DATA}\n",
         message=("source.kind", "mongodb")),
    Case("encoding", "an encoding Python does not know", source="source: {kind: csv, path: DATA, encoding: klingon}\n",
         message=("source.encoding", "klingon", "codec")),
    Case("delimiter", "a field separator custlab does not read", source="source: {kind: csv, path: DATA, delimiter: ':'}\n",
         message=("source.delimiter",)),
    Case("tolerance", "a share above 1", source="source: {kind: csv, path: DATA, bad_value_tolerance: 2}\n",
         message=("bad_value_tolerance", "at most 1")),
    Case("decimal", "the decimal mark is . or ,", source="source: {kind: csv, path: DATA, decimal: ';'}\n",
         message=("source.decimal",)),
    Case("exact_duplicates", "repeated rows are dropped or an error", source="source: {kind: csv, path: DATA, exact_duplicates: keep}\n",
         message=("exact_duplicates", "drop", "error")),
    Case("cleaning_at_top", "notebook keys go under the notebook's name", "cleaning: {unknown_label: 无}\n",
         message=("key 'cleaning' is unknown", "section named after the notebook")),
    Case("k_range", "more classes than a report can describe", "10_key_accounts: {key_accounts: {rfmai_k_range: [3, 1000]}}\n",
         message=("rfmai_k_range", "highest <= 30")),
    Case("tier_shares", "tier shares past 100%", "10_key_accounts: {key_accounts: {tier_shares: [0.7, 0.6]}}\n",
         message=("tier_shares",)),
    Case("gate_share", "the quarantine gate is a share", "00_data_quality: {cleaning: {max_quarantine_share: 1.5}}\n",
         message=("max_quarantine_share", "at most 1")),
    Case("interaction_kind", "interaction words map to the five kinds", "00_data_quality: {cleaning: {interaction_kinds: {直播: live}}}\n",
         message=("interaction_kinds", "visit, event, call, email, meeting")),
    Case("order_status", "order words map to kept, cancelled or returned", "00_data_quality: {cleaning: {order_status: {x: paid}}}\n",
         message=("order_status", "kept, cancelled, returned")),
    Case("min_agree", "more fuzzy fields to agree than there are", "00_data_quality: {cleaning: {duplicates: {min_agree: 5}}}\n",
         message=("min_agree", "at most 2")),
    Case("cache_keep_runs", "at least one run keeps its cache", "cache_keep_runs: 0\n", message=("cache_keep_runs", "at least 1")),
    Case("yaml_syntax", "a parameter file that is not YAML", "key_accounts: {rfm_bins: 3\n", message=("params.yaml",)),
    Case("industry_synonym", "an industry synonym must name a GB/T 4754 code", "00_data_quality: {cleaning: {industry_synonyms: {直播: Z99}}}\n",
         command="clean", message=("industry_synonyms", "GB/T 4754", "section letter")),
    Case("place_synonym", "a place synonym must name a GB/T 2260 unit", "00_data_quality: {cleaning: {place_synonyms: {雄安: 火星}}}\n",
         command="clean", message=("place_synonyms", "GB/T 2260")),
    # ---------------------------------------------------------------- where the data is
    Case("no_path", "a source folder that does not exist", source="source: {kind: csv, path: DATA/nope}\n",
         message=("does not exist", "nope")),
    Case("duckdb_at_csv", "a DuckDB source pointed at a CSV file", source="source: {kind: duckdb, path: DATA/orders.csv}\n",
         message=("source.kind is duckdb", "csv file", "set source.kind: csv")),
    Case("excel_at_csv", "an Excel source pointed at a CSV file", source="source: {kind: excel, path: DATA/orders.csv}\n",
         message=("source.kind is excel", "set source.kind: csv")),
    Case("csv_at_file", "a CSV source is a folder of files", source="source: {kind: csv, path: DATA/orders.csv}\n",
         message=("is a file", "point source.path at the folder")),
    Case("duckdb_at_folder", "a database is a file", source="source: {kind: duckdb, path: DATA}\n",
         message=("is a folder", "database file")),
    Case("fake_duckdb", "a file that is not a DuckDB database", files={"crm.duckdb": "customer_id,name\n"},
         source="source: {kind: duckdb, path: DATA/crm.duckdb}\n", message=("crm.duckdb", "cannot be opened", "source.kind")),
    Case("no_orders", "an orders table is required", files={"orders.csv": None}, message=("no 'orders' table", "source.tables.orders")),
    Case("no_customers", "a customers table is required, or derived", files={"customers.csv": None},
         message=("no 'customers' table", "SELECT DISTINCT")),
    Case("missing_sheet", "a sheet the workbook lacks", setup=_excel, source="source: {kind: excel, path: DATA/crm.xlsx}\n",
         message=("no 'orders' table", "source.tables.orders")),
    Case("outside_folder", "a table file outside the source folder", files={"../secret.csv": orders_csv()},
         source="source: {kind: csv, path: DATA, tables: {orders: ../secret.csv}}\n",
         message=("outside the source folder", "allow_outside")),
    Case("bad_query", "a query that does not run", source="source: {kind: csv, path: DATA, tables: {orders: {query: 'SELEC nonsense'}}}\n",
         message=("Table 'orders' cannot be read", "source.tables.orders")),
    Case("unreachable_database", "a database that does not answer, named without its password",
         source="source: {kind: sql, url: 'postgresql+psycopg://bob:s3cret@127.0.0.1:9/crm'}\n",
         message=("127.0.0.1:9/crm", "cannot be reached")),
    Case("mapping_file", "a column mapping file that does not exist", "columns: nope.yaml\n", message=("nope.yaml",)),
    # ---------------------------------------------------------------- what the tables hold
    Case("no_amount", "the orders' required columns", files={"orders.csv": orders_csv().replace(",amount", ",total")},
         message=("lacks required column(s) ['amount']", "columns_zh.yaml")),
    Case("no_name", "the customers' required columns", files={"customers.csv": customers_csv().replace(",name,", ",title,")},
         message=("lacks required column(s) ['name']",)),
    Case("empty_orders", "an empty table", files={"orders.csv": "order_id,customer_id,order_date,amount\n"},
         message=("is empty", "export the table again")),
    Case("bad_dates", "dates that are not dates", files={"orders.csv": orders_csv(date=lambda i: "soon" if i < 5 else "2026-01-05")},
         message=("order_date", "not dates", "row(s) 2, 3, 4", "'soon'")),
    Case("bad_amounts", "amounts that are not numbers", files={"orders.csv": orders_csv(amount=lambda i: "abc" if i == 3 else "10")},
         message=("amount", "not numbers", "row(s) 5", "'abc'")),
    Case("ambiguous_decimal", "12,5 could be 12.5 or 125", files={"orders.csv": orders_csv(amount=lambda i: '"12,5"' if i == 0 else "10")},
         message=("amount", "not numbers", "'12,5'", "bad_value_tolerance")),
    Case("infinite_amount", "inf is not an amount", files={"orders.csv": orders_csv(amount=lambda i: "inf" if i == 1 else "10")},
         message=("amount", "not numbers", "'inf'")),
    Case("repeated_order_id", "one order number with two different orders",
         files={"orders.csv": orders_csv().replace("O00001,C0000", "O00000,C0000", 1)},
         message=("primary key 'order_id' repeats", "different values")),
    Case("empty_order_id", "an order without its number", files={"orders.csv": orders_csv().replace("O00002,", ",", 1)},
         message=("primary key 'order_id' is empty", "row(s) 4")),
    Case("header_collision", "two headers that mean one column",
         files={"customers.csv": customers_csv().replace("customer_id,name,", "customer_id,客户名称,企业名称,").replace("科技有限公司,", "科技有限公司,x,")},
         message=("客户名称", "企业名称", "name")),
    Case("title_rows", "a title line above the header", files={"customers.csv": "客户清单 2026-11\n" + customers_csv()},
         message=("lacks required column", "skip_rows")),
    Case("utf8_with_gbk_bytes", "a file in no single encoding",
         files={"customers.csv": customers_csv().encode("utf-8") + "C9999,坏行,浙江,杭州,制造业,1,1\n".encode("gbk")[:-6] + b"\xff\xfe\n"},
         message=("customers.csv", "encoding")),
    # ---------------------------------------------------------------- what the cleaning stops on
    Case("all_names_blank", "every customer quarantined: the name column is wrong", command="clean",
         files={"customers.csv": customers_csv(name=lambda i: "")},
         message=("quarantined as missing_name", "map the right column", "max_quarantine_share")),
    Case("ids_in_another_case", "the orders write the ids in lower case", command="clean",
         files={"orders.csv": orders_csv(customer=lambda i: f"c{i // 2:04d}")},
         message=("quarantined as unknown_customer", "differs only in case", "source.fold_id_case: true")),
    Case("orders_of_other_customers", "the orders name customers the export lacks", command="clean",
         files={"orders.csv": orders_csv(customer=lambda i: f"X{i // 2:04d}")},
         message=("unknown_customer", "the customers table lacks these customers")),
    Case("refunds_as_orders", "most amounts negative: refunds exported as orders", command="clean",
         files={"orders.csv": orders_csv(amount=lambda i: f"-{100 + i}")},
         message=("quarantined as negative_amount", "refunds")),
    Case("future_dates", "most orders dated in the future", command="clean",
         files={"orders.csv": orders_csv(date=lambda i: "2099-01-05")},
         message=("quarantined as future_order_date",)),
    # ---------------------------------------------------------------- what custlab accepts, every row accounted for
    Case("exact_repeats", "rows repeated exactly are dropped and counted", command="clean", code=0,
         files={"orders.csv": orders_csv() + orders_csv().splitlines()[1] + "\n"},
         message=("orders: 61 rows in, 60 kept, 0 merged, 0 quarantined, 1 repeated exactly",)),
    Case("blank_column", "an entirely blank column is fine", command="clean", code=0,
         files={"customers.csv": customers_csv().replace("\n", ",\n").replace("annual_revenue,", "annual_revenue,备注", 1)},
         message=("customers: 30 rows in, 30 kept",)),
    Case("gbk_export", "a GBK export with Chinese headers", command="clean", code=0,
         files={"customers.csv": customers_csv().replace("customer_id,name,province,city,industry,employees,annual_revenue",
                                                       "客户编号,客户全称,所在省份,所在城市,所属行业,员工人数,年营业收入").encode("gbk")},
         message=("customers: 30 rows in, 30 kept", "orders: 60 rows in, 60 kept")),
]


def test_the_catalogue_has_fifty_cases_each_named_once():
    names = [c.name for c in CASES]
    assert len(CASES) >= 50 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(customers_csv(), encoding="utf-8")
    (data / "orders.csv").write_text(orders_csv(), encoding="utf-8")
    for name, content in case.files.items():
        path = (data / name).resolve()
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup:
        case.setup(data)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.rglob("*") if p.is_file()}
    source = (case.source or "source: {kind: csv, path: DATA}\n").replace("DATA", str(data))
    params = tmp_path / "params.yaml"
    params.write_text(source + case.params, encoding="utf-8")
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")  # (the project's cache stays clean)
    argv = [case.command, str(params)] + (["--out", str(tmp_path / "clean")] if case.command == "clean" else [])
    code = cli.main(argv)
    out, err = capsys.readouterr()
    said = out + err
    assert code == case.code, said
    assert "Traceback" not in said and 'File "' not in said
    for words in case.message:
        assert words in said, (words, said)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}
    assert after == before  # the source is never modified
