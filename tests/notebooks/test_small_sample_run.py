"""Every notebook runs on the small sample through the runner, and recovers what was planted."""
import re

import pytest

from custlab import config
from custlab.run import runner


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
