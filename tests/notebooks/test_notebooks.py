"""Every notebook in notebooks/ runs top to bottom: on the small sample through the runner, and
with its defaults as an analyst runs it in JupyterLab."""
import re
import sys

import pytest

from custlab import config, runner


@pytest.mark.slow
def test_every_notebook_runs_on_the_small_sample(small_sample, small_truth, tmp_path):
    params = tmp_path / "small.yaml"
    params.write_text(f"source:\n  path: {small_sample / 'crm.duckdb'}\n", encoding="utf-8")
    result = runner.run([params], out=tmp_path / "reports", jobs=2, timeout=300)
    assert result.ok, result.summary()
    assert {o.notebook for o in result.outcomes} == {p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")}
    by = {o.notebook: o.metrics for o in result.outcomes}
    dq = by["00_data_quality"]
    assert dq["reconciliation"]["customers"]["input"] == small_truth["counts"]["customers"]
    for table in dq["reconciliation"].values():
        assert table["input"] == table["kept"] + table["merged"] + table["quarantined"]
    assert dq["duplicates_merged"] == len(small_truth["duplicates"])
    negative = sum(1 for i in small_truth["impossible"] if i.get("column") == "amount")
    assert dq["quarantined"]["orders|negative_amount"] == negative
    quarantine = (result.folder / "00_data_quality" / "quarantine.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(quarantine) - 1 == sum(dq["quarantined"].values())
    analyst = (result.folder / "00_data_quality.html").read_text(encoding="utf-8")
    dq_leader = (result.folder / "00_data_quality.leadership.html").read_text(encoding="utf-8")
    taken = "Columns taken from the merged record"  # a header of the merge log
    assert taken in analyst and taken not in dq_leader  # rule-by-rule detail is analyst-only
    assert f"{dq['duplicates_merged']:,} duplicate customer records were merged" in dq_leader
    ka = by["10_key_accounts"]
    assert 0.65 <= ka["key_account_revenue_share"] <= 0.85
    assert set(ka["strategy_groups"]) == {"high", "high_at_risk", "medium", "low"}
    assert ka["strategy_groups"]["high_at_risk"] == ka["watchlist"]
    assert "dropped_key_accounts" not in ka  # the first run has nothing to compare with
    again = runner.run([params], only=["10_key_accounts"], out=tmp_path / "reports", jobs=1, timeout=300)
    assert again.ok, again.summary()
    assert again.outcomes[0].metrics["dropped_key_accounts"] == 0  # same data, same tiers
    survey = by["20_survey_factors"]  # the planted 4 factors of 5 questions each, from the 120 questionnaires
    assert survey["respondents"] == small_truth["counts"]["survey"]
    assert survey["n_factors"] == len(small_truth["survey"]["factors"])
    planted = {f: sorted(q for q, row in small_truth["survey"]["loadings"].items() if row[f] > 0) for f in small_truth["survey"]["factors"]}
    assert sorted(survey["factor_items"].values()) == sorted(planted.values())
    factor_of = {name: next(f for f, its in survey["factor_items"].items() if its == items) for name, items in planted.items()}
    drivers = by["30_satisfaction_drivers"]  # satisfaction = 1.0 quality + 0.8 relationship + 0.6 service + 0.3 price
    top = lambda shares: max(shares, key=shares.get)  # noqa: E731  (the full order is checked at 1,500 in test_regression)
    assert top(drivers["satisfaction_drivers"]) == factor_of["product_quality"]
    assert top(drivers["loyalty_drivers"]) == factor_of["relationship"]  # loyalty = 0.6 satisfaction + 0.5 relationship
    assert sum(drivers["satisfaction_drivers"].values()) == pytest.approx(1) and drivers["satisfaction_r2"] > 0.5
    assert min(survey["cronbach_alpha"].values()) > 0.7 and 0.6 < survey["kmo"] <= 1
    factors_leader = (result.folder / "20_survey_factors.leadership.html").read_text(encoding="utf-8")
    assert "Parallel analysis keeps 4 factors" in factors_leader and "report.record" not in factors_leader
    leader = (result.folder / "10_key_accounts.leadership.html").read_text(encoding="utf-8")
    assert "def " not in leader and "report.record" not in leader
    # opens offline: nothing loaded from a CDN (scripts, styles, frames, images, CSS imports and fonts)
    assert not re.search(r'<(?:script|link|img|iframe)[^>]+(?:src|href)=["\']?(?:https?:)?//', leader + dq_leader)
    assert not re.search(r'(?:url\(|@import)\s*["\']?(?:https?:)?//', leader + dq_leader)
    drivers_leader = (result.folder / "30_satisfaction_drivers.leadership.html").read_text(encoding="utf-8")
    seg = by["40_customer_segments"]  # every customer with an order in the 24 months, in one segment each
    assert seg["customers_segmented"] == sum(seg["segment_sizes"].values()) > 300
    assert set(seg["segment_sizes"]) == set(seg["segment_stability"]) == {f"S{i + 1}" for i in range(seg["n_segments"])}
    assert max(seg["segment_revenue_share"], key=seg["segment_revenue_share"].get) == "S1"
    members = (result.folder / "40_customer_segments" / "segments.csv").read_text(encoding="utf-8").splitlines()
    assert members[0] == "customer_id,customer_segment" and len(members) - 1 == seg["customers_segmented"]
    seg_leader = (result.folder / "40_customer_segments.leadership.html").read_text(encoding="utf-8")
    assert f"{seg['n_segments']} segments" in seg_leader and "customer_id," not in seg_leader
    cj = by["50_conjoint"]  # planted: price matters most; 60% price-sensitive and 40% service-seeking respondents
    assert max(cj["choice_importance"], key=cj["choice_importance"].get) == "price"
    assert sorted(cj["preference_classes"].values()) == pytest.approx([0.4 * 400, 0.6 * 400], abs=30)
    assert sum(cj["simulated_shares"].values()) == pytest.approx(1, abs=2e-4) and cj["price_coefficient"] < 0
    cj_leader = (result.folder / "50_conjoint.leadership.html").read_text(encoding="utf-8")
    assert "Customers would pay" in cj_leader and "Log-likelihood" not in cj_leader  # model details are analyst-only
    pr = by["60_prospects"]  # every prospect scored; the model ranks customers better than chance
    assert pr["prospects_scored"] == small_truth["counts"]["prospects"] and pr["auc"] > 0.55 and pr["top_decile_lift"] > 1
    scored = (result.folder / "60_prospects" / "prospect_scores.csv").read_text(encoding="utf-8").splitlines()
    assert scored[0] == "prospect_id,propensity" and len(scored) - 1 == pr["prospects_scored"]
    pr_leader = (result.folder / "60_prospects.leadership.html").read_text(encoding="utf-8")
    for page, figures in ((dq_leader, 1), (leader, 2), (factors_leader, 1), (drivers_leader, 2), (seg_leader, 1), (cj_leader, 1),
                          (pr_leader, 1)):  # heatmap; Pareto curve and CA map; scree; a chart per outcome
        images = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
        assert len(images) >= figures and all(i.startswith("data:image/png;base64,") for i in images)
    import duckdb

    con = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True)
    for column in ("phone", "email", "credit_code", "contact"):  # personal data: never unmasked for leadership
        values = [r[0] for r in con.sql(f"select distinct {column} from customers where {column} is not null").fetchall()]
        assert len(values) > 100
        assert [v for v in values if v in leader or v in dq_leader] == [], column


def _run_as_in_jupyterlab(path):
    """Execute one notebook as `make lab` runs it: the project's kernel, the notebook's folder as
    working directory, nothing injected. Returns its error outputs and unexecuted code cells."""
    from pathlib import Path

    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.kernelspec.name
    spec = KernelSpecManager().get_kernel_spec(kernel)  # the project's own kernel, whose Python has custlab
    assert Path(spec.resource_dir).is_relative_to(sys.prefix) and spec.display_name == "custlab (Python 3)"
    assert spec.argv[0] == sys.executable and "ipykernel_launcher" in spec.argv
    NotebookClient(nb, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(config.NOTEBOOKS_DIR)}}).execute()
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip() and not c.execution_count]
    return errors, unrun


@pytest.mark.slow
def test_each_notebook_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(project_sample):
    # what `make lab` gives an analyst: the parameters cell's defaults and params/ on the sample
    # database (data/sample, made as `make demo` makes it when missing). Two notebooks at a time,
    # each in its own kernel (the machine has two cores).
    from concurrent.futures import ThreadPoolExecutor

    assert config.SAMPLE_DB.exists()
    paths = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert len(paths) >= 7
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip((p.stem for p in paths), pool.map(_run_as_in_jupyterlab, paths)))
    assert {name: r for name, r in results.items() if r != ([], [])} == {}


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_with_the_project_kernel(tmp_path):
    import json as json_
    import os
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "custlab-test"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    lab = subprocess.Popen(["make", "-s", "-C", str(config.PROJECT_ROOT), "lab", f"LAB_ARGS={args}"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                           env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)})

    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=5) as reply:
            return json_.loads(reply.read())

    try:
        deadline = time.time() + 60
        while True:
            try:
                contents = get("/api/contents")
                break
            except OSError:
                assert lab.poll() is None and time.time() < deadline, lab.stdout.read()[-3000:] if lab.poll() is not None else "not up in 60 s"
                time.sleep(0.5)
        assert {c["name"] for c in contents["content"]} >= {p.name for p in config.NOTEBOOKS_DIR.glob("*.ipynb")}
        specs = get("/api/kernelspecs")
        assert specs["kernelspecs"][specs["default"]]["spec"]["display_name"] == "custlab (Python 3)"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)


@pytest.mark.slow
def test_every_notebook_runs_on_an_export_of_customers_and_orders_only(small_sample, tmp_path):
    # the commonest real source: two GBK CSV files with Chinese headers and colloquial values
    # (custlab.sample_export), no interactions, survey or prospects
    from custlab import sample_export

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


@pytest.mark.slow
def test_a_transaction_log_of_order_lines_runs_as_the_readme_shows_on_the_required_columns_alone(small_sample, tmp_path):
    # the README's recipe for a public transaction log (Online Retail II's columns and date format):
    # order lines summed into orders by a DuckDB query over the CSV, customers taken from the orders.
    # That leaves the required columns alone (customer id and name; order id, customer, date and
    # amount): every notebook runs, and every analysis that needs another column says it is left out
    from custlab import sources

    import duckdb
    import numpy as np
    import yaml

    readme = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    recipe = yaml.safe_load(re.search(r"```yaml\n(as_of.*?online_retail.*?)```", readme, re.S).group(1))
    folder = tmp_path / "online_retail"
    folder.mkdir()
    recipe["source"]["path"] = str(folder)
    recipe["as_of"] = "2026-06-30"  # the sample's end
    orders = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True).sql(
        "select order_id, customer_id, order_date, amount from orders where amount > 0").df()
    rng = np.random.default_rng(3)
    lines = orders.loc[orders.index.repeat(rng.integers(1, 4, len(orders)))].reset_index(drop=True)
    lines["Quantity"] = rng.integers(1, 10, len(lines)).astype(float)
    lines["Price"] = lines["amount"] / lines.groupby("order_id")["amount"].transform("size") / lines["Quantity"]
    lines["Invoice"] = lines["order_id"]
    cancelled = lines["order_id"].isin(orders["order_id"].iloc[::50])
    lines.loc[cancelled, "Invoice"] = "C" + lines.loc[cancelled, "Invoice"]
    lines.loc[cancelled, "Quantity"] *= -1
    anonymous = lines["order_id"].isin(orders["order_id"].iloc[7::40])
    lines["Customer ID"] = lines["customer_id"].where(~anonymous, "")
    lines["InvoiceDate"] = lines["order_date"].dt.strftime("%-m/%-d/%Y %-H:%M")
    lines["Description"], lines["Country"] = "item", "China"
    lines[["Invoice", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]].to_csv(
        folder / "online_retail.csv", index=False)
    params = tmp_path / "online_retail.yaml"
    params.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    result = runner.run([params], out=tmp_path / "reports", jobs=2, timeout=300)
    assert result.ok, result.summary()
    dq = next(o.metrics for o in result.outcomes if o.notebook == "00_data_quality")
    invoices = lines.drop_duplicates("Invoice")
    assert dq["reconciliation"]["orders"]["input"] == len(invoices) == len(orders)
    assert dq["reconciliation"]["customers"]["input"] == lines.loc[~anonymous, "customer_id"].nunique()
    assert dq["quarantined"]["orders|missing_customer_id"] == anonymous[~lines["Invoice"].duplicated()].sum()
    assert dq["quarantined"]["orders|negative_amount"] == (cancelled & ~anonymous)[~lines["Invoice"].duplicated()].sum()
    ka = next(o.metrics for o in result.outcomes if o.notebook == "10_key_accounts")
    assert ka["key_accounts"] > 0 and ka["watchlist"] > 0
    page = (result.folder / "10_key_accounts.leadership.html").read_text(encoding="utf-8")
    assert "the source having no interactions to go by" in page and "orders down" in page
    # the required columns alone
    assert dq["absent_columns"] == {
        table: [c for c in sources.SCHEMAS[table] if c not in sources.REQUIRED[table] + sources.OPTIONAL.get(table, ())]
        for table in ("customers", "orders")}
    assert dq["credit_codes_invalid"] == 0
    dq_page = (result.folder / "00_data_quality.leadership.html").read_text(encoding="utf-8")
    assert "Not in the source, so left out of every analysis that uses them: customers: credit code, phone" in dq_page
    assert "The source holds no unified social credit codes to check." in dq_page
    assert "industry_category_chi2" not in ka and ka["rfmai_k"] >= 3
    assert "The cross analysis of industry and category is left out" in page
    assert "The cross analysis of tier and region is left out" in page
