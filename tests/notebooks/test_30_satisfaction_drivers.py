"""30_satisfaction_drivers end to end: as in JupyterLab, and on the small sample through the runner."""
import pytest


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("30_satisfaction_drivers") == ([], [])


@pytest.mark.slow
def test_the_planted_drivers_lead_on_the_small_sample(small_run, small_truth, images):
    assert small_run.ok, small_run.summary
    survey = small_run.metrics["20_survey_factors"]
    planted = {f: sorted(q for q, row in small_truth["survey"]["loadings"].items() if row[f] > 0) for f in small_truth["survey"]["factors"]}
    factor_of = {name: next(f for f, its in survey["factor_items"].items() if its == items) for name, items in planted.items()}
    drivers = small_run.metrics["30_satisfaction_drivers"]  # satisfaction = 1.0 quality + 0.8 relationship + 0.6 service + 0.3 price
    top = lambda shares: max(shares, key=shares.get)  # noqa: E731  (the full order is checked at 1,500 in test_regression)
    assert top(drivers["satisfaction_drivers"]) == factor_of["product_quality"]
    assert top(drivers["loyalty_drivers"]) == factor_of["relationship"]  # loyalty = 0.6 satisfaction + 0.5 relationship
    assert sum(drivers["satisfaction_drivers"].values()) == pytest.approx(1) and drivers["satisfaction_r2"] > 0.5
    leader = small_run.page("30_satisfaction_drivers")
    assert len(images(leader)) >= 2 and all(i.startswith("data:image/png;base64,") for i in images(leader))  # one per outcome
