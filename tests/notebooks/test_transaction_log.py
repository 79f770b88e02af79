"""Every notebook runs on a public transaction log of order lines, as the README shows."""
import re

import pytest

from custlab import config
from custlab.run import runner


@pytest.mark.slow
def test_a_transaction_log_of_order_lines_runs_as_the_readme_shows_on_the_required_columns_alone(small_sample, tmp_path):
    # the README's recipe for a public transaction log (Online Retail II's columns and date format):
    # order lines summed into orders by a DuckDB query over the CSV, customers taken from the orders.
    # That leaves the required columns alone (customer id and name; order id, customer, date and
    # amount): every notebook runs, and every analysis that needs another column says it is left out
    from custlab.data import sources

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
