"""Every notebook runs on the commonest real source: customers and orders alone, GBK CSV files."""
import re

import pytest

from custlab import config
from custlab.run import runner


@pytest.mark.slow
def test_every_notebook_runs_on_an_export_of_customers_and_orders_only(small_sample, tmp_path):
    # the commonest real source: two GBK CSV files with Chinese headers and colloquial values
    # (custlab.data.sample_export), no interactions, survey or prospects
    from custlab.data import sample_export

    export = tmp_path / "export"
    sample_export.export(small_sample, export, "csv-gbk", tables=("customers", "orders"))
    params = export / "custlab.yaml"  # language zh
    result = runner.run([params], out=tmp_path / "reports", jobs=2, timeout=300)
    assert result.ok, result.summary()
    dq = next(o.metrics for o in result.outcomes if o.notebook == "00_data_quality")
    assert set(dq["reconciliation"]) == {"customers", "orders"}
    # a Chinese leadership report is Chinese: the only Latin words left are method names and the
    # parameter file a sentence points to (table headers, values, sentences and chart labels translated)
    allowed = {"RFM", "RFMAI", "NBD", "means", "params", "key_accounts", "base", "yaml", "Cram", "CNY",
               "KMO", "Bartlett", "Cronbach", "Jaccard", "AUC"}  # method names, as Chinese reports write them too
    for name in (p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")):
        page = (result.folder / f"{name}.leadership.html").read_text(encoding="utf-8")
        body = re.sub(r"<(script|style)[^>]*>.*?</\1>|<img[^>]*>", "", page[page.index("<body"):], flags=re.S)
        text = re.sub(r"<[^>]+>", " ", body)
        assert set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", text)) <= allowed, name
        assert re.search(r"\d\.\d%", text) or "<table" not in body, name  # shares written as percentages
    for name in ("20_survey_factors", "30_satisfaction_drivers"):
        survey = (result.folder / f"{name}.leadership.html").read_text(encoding="utf-8")
        assert "源数据中没有问卷表，本分析从略" in survey and "<table" not in survey and "<img" not in survey, name
    study = (result.folder / "50_conjoint.leadership.html").read_text(encoding="utf-8")
    assert "源数据中没有联合分析表" in study and "<table" not in study and "<img" not in study
    assert "源数据中没有潜在客户表" in (result.folder / "60_prospects.leadership.html").read_text(encoding="utf-8")
