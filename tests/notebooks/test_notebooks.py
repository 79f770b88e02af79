"""Every notebook in notebooks/ runs top to bottom on the small sample through the runner."""
import json
import re

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
    assert "columns_taken" in analyst and "columns_taken" not in dq_leader  # rule-by-rule detail is analyst-only
    assert f"{dq['duplicates_merged']:,} duplicate customer records were merged" in dq_leader
    ka = by["10_key_accounts"]
    assert 0.65 <= ka["key_account_revenue_share"] <= 0.85
    assert set(ka["strategy_groups"]) == {"high", "high_at_risk", "medium", "low"}
    assert ka["strategy_groups"]["high_at_risk"] == ka["watchlist"]
    assert "dropped_key_accounts" not in ka  # the first run has nothing to compare with
    again = runner.run([params], only=["10_key_accounts"], out=tmp_path / "reports", jobs=1, timeout=300)
    assert again.ok, again.summary()
    assert again.outcomes[0].metrics["dropped_key_accounts"] == 0  # same data, same tiers
    leader = (result.folder / "10_key_accounts.leadership.html").read_text(encoding="utf-8")
    phones = [p for p in json.dumps(small_truth).split('"') if p.isdigit() and len(p) == 11]
    assert "def " not in leader and "report.record" not in leader
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', leader + dq_leader)  # opens offline, nothing from a CDN
    for page, figures in ((dq_leader, 1), (leader, 2)):  # heatmap; Pareto curve and correspondence map at least
        images = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
        assert len(images) >= figures and all(i.startswith("data:image/png;base64,") for i in images)
    import duckdb

    con = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True)
    phones = [r[0] for r in con.sql("select phone from customers where phone is not null").fetchall()]
    assert not any(p in leader or p in dq_leader for p in phones)
