"""20_survey_factors end to end: as in JupyterLab, and on the small sample through the runner."""
import pytest


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("20_survey_factors") == ([], [])


@pytest.mark.slow
def test_the_planted_factors_are_recovered_on_the_small_sample(small_run, small_truth, images):
    assert small_run.ok, small_run.summary
    survey = small_run.metrics["20_survey_factors"]  # the planted 4 factors of 5 questions each, from the 120 questionnaires
    assert survey["respondents"] == small_truth["counts"]["survey"]
    assert survey["n_factors"] == len(small_truth["survey"]["factors"])
    planted = {f: sorted(q for q, row in small_truth["survey"]["loadings"].items() if row[f] > 0) for f in small_truth["survey"]["factors"]}
    assert sorted(survey["factor_items"].values()) == sorted(planted.values())
    assert min(survey["cronbach_alpha"].values()) > 0.7 and 0.6 < survey["kmo"] <= 1
    leader = small_run.page("20_survey_factors")
    assert "Parallel analysis keeps 4 factors" in leader and "report.record" not in leader
    assert len(images(leader)) >= 1 and all(i.startswith("data:image/png;base64,") for i in images(leader))  # scree
