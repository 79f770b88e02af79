import re

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from custlab import report
from custlab.run import publish


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S) for row in rows]


def test_tables_write_shares_as_percentages_large_numbers_with_separators_and_missing_as_a_dash():
    report.set_language("en")
    df = pd.DataFrame({"customers": [995, 2489], "revenue": [1_635_171_941.4, 79_775_186.0],
                       "revenue_share": [0.76412, 0.03728], "orders_change": [-0.6, None],
                       "p_alive": [0.9999, 0.3356], "mean": [0.094183, 13.45],
                       "phone": ["13800138000", pd.NA]}, index=pd.Index(["high", "low"], name="tier"))
    bundle = report.table_bundle(df)
    rows = {r[0]: r[1:] for r in _cells(bundle["text/html"])[2:]}
    assert rows["High"] == ["995", "1,635,171,941", "76.4%", "-60.0%", "100.0%", "0.09418", "13800138000"]
    assert rows["Low"] == ["2,489", "79,775,186", "3.7%", "—", "33.6%", "13.45", "—"]
    leadership = {r[0]: r[1:] for r in _cells(bundle[report.LEADERSHIP_MIME])[2:]}
    assert leadership["High"][:6] == rows["High"][:6] and leadership["High"][6] == "138****8000"  # masked
    # a cross table of shares under category names: percent=True
    shares = pd.DataFrame({"服务": [0.25, 0.5], "设备": [0.75, 0.5]}, index=pd.Index(["制造业", "批发和零售业"], name="industry"))
    assert _cells(report.table_bundle(shares, percent=True)["text/html"])[2][1:] == ["25.0%", "75.0%"]
    assert _cells(report.table_bundle(shares, percent=("设备",))["text/html"])[2][1:] == ["0.25", "75.0%"]
    assert "76.4%" in bundle["text/plain"] and "<NA>" not in bundle["text/plain"]


def test_format_value_as_the_run_index_and_tables_use_it():
    assert report.format_value("key_account_revenue_share", 0.7641) == "76.4%"
    assert report.format_value("watchlist", 127) == "127" and report.format_value("revenue_at_risk", 201537020.4) == "201,537,020"
    assert report.format_value("x", float("nan")) == "—" and report.format_value("x", pd.NA) == "—"
    assert report.format_value("x", None) == "—" and report.format_value("k", 3, percent=True) == "300.0%"


def test_leadership_reports_leave_out_headings_with_nothing_under_them():
    table = new_output("display_data", data={"text/html": "<p>the numbers</p>", "text/plain": "the numbers"})
    nb = new_notebook(cells=[
        new_markdown_cell("# 00 · Data quality\n\nWhat this report is."),
        new_markdown_cell("## Findings"), new_code_cell("show()", outputs=[table]),
        new_markdown_cell("## Rule-by-rule detail"),
        new_code_cell("show(detail)", metadata={"tags": ["analyst-only"]}, outputs=[table]),
        new_markdown_cell("## Cross analysis"), new_markdown_cell("### By region"), new_code_cell("show()", outputs=[table]),
        new_markdown_cell("## Notes"), new_code_cell("x = 1"),  # code without output: nothing for leadership
        new_markdown_cell("## Method\n\nHow it was done."),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    leadership = publish.export_html(nbformat.from_dict(nb), leadership=True, title="t")
    analysts = publish.export_html(nbformat.from_dict(nb), leadership=False, title="t")
    for kept in ("00 · Data quality", "Findings", "Cross analysis", "By region", "Method"):
        assert kept in leadership and kept in analysts
    assert "Rule-by-rule detail" not in leadership and "Notes" not in leadership
    assert "Rule-by-rule detail" in analysts and "Notes" in analysts  # analysts see the code there


def test_english_headers_start_with_a_capital_and_the_unknown_label_reads_unknown():
    report.set_language("en")
    df = pd.DataFrame({"annual_revenue": [1.0], "size_class": ["未知"]}, index=pd.Index(["制造业"], name="industry"))
    header, index_row, first = _cells(report.table_bundle(df)["text/html"])
    assert header[1:] == ["Annual revenue", "Size"]  # "annual revenue" mid-sentence
    assert index_row[0] == "Industry" and first[-1] == "Unknown"
    report.set_language("zh")
    try:
        assert _cells(report.table_bundle(df)["text/html"])[2][-1] == "未知"
    finally:
        report.set_language("en")


def test_every_csv_custlab_writes_is_safe_to_open_in_a_spreadsheet(tmp_path):
    # OWASP's CSV injection: a cell that begins with = + - @ tab or CR is a formula to Excel
    import csv

    from custlab.data import cleaning
    from custlab import config
    from custlab.analyses import prospects, segments, value

    risky = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    customers = pd.DataFrame({"customer_id": ["=C1", "C2", "C3", "C4", "C5", "C6"], "name": risky, "contact": ["@王伟"] + ["李娜"] * 5,
                              "industry": ["=制造"] * 6})
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["=C1", "C2", "nobody"], "amount": [-5.0, 10.0, 1.0],
                           "order_date": pd.Timestamp("2026-01-05")})
    params = config.load_params("00_data_quality")
    result = cleaning.clean({"customers": customers, "orders": orders}, params)
    written = list(cleaning.write_clean(result, tmp_path / "clean").values())
    written.append(segments.write_segments(pd.Series(["S1", "S2"], index=["=C1", "C2"], name="customer_segment"), tmp_path))
    written += prospects.write_scores(pd.Series([0.9, 0.1], index=pd.Index(["-P1", "P2"], name="prospect_id"), name="propensity"),
                                      pd.DataFrame({"next_category": ["=设备"]}, index=pd.Index(["@C3"], name="customer_id")), tmp_path)
    tiers = pd.DataFrame({"tier": ["high", "low"], "value": [10.0, -5.0]}, index=["=C1", "C2"])
    written.append(value.write_tiers(tiers, tmp_path))
    csvs = [p for p in written if str(p).endswith(".csv")]
    assert len(csvs) >= 10
    cells = 0
    for path in csvs:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                cells += len(row)
                assert not [c for c in row if c.startswith(report.FORMULA_START) and not re.fullmatch(r"-?\d+(\.\d+)?", c)], path
    assert cells > 50
    # numbers stay numbers, and custlab reads its own ids back as they were
    assert "-5.0" in (tmp_path / "tiers.csv").read_text(encoding="utf-8")
    assert value.read_tiers(tmp_path / "tiers.csv").to_dict() == {"=C1": "high", "C2": "low"}
