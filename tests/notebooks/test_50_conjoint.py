"""50_conjoint end to end: as in JupyterLab, and on the small sample through the runner."""
import pytest


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("50_conjoint") == ([], [])


@pytest.mark.slow
def test_the_planted_preferences_are_recovered_on_the_small_sample(small_run, images):
    assert small_run.ok, small_run.summary
    cj = small_run.metrics["50_conjoint"]  # planted: price matters most; 60% price-sensitive and 40% service-seeking respondents
    assert max(cj["choice_importance"], key=cj["choice_importance"].get) == "price"
    assert sorted(cj["preference_classes"].values()) == pytest.approx([0.4 * 400, 0.6 * 400], abs=30)
    assert sum(cj["simulated_shares"].values()) == pytest.approx(1, abs=2e-4) and cj["price_coefficient"] < 0
    leader = small_run.page("50_conjoint")
    assert "Customers would pay" in leader and "Log-likelihood" not in leader  # model details are analyst-only
    assert len(images(leader)) >= 1 and all(i.startswith("data:image/png;base64,") for i in images(leader))
