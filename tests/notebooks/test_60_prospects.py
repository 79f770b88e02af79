"""60_prospects end to end: as in JupyterLab, and on the small sample through the runner."""
import pytest

from custlab import config


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("60_prospects") == ([], [])


@pytest.mark.slow
def test_every_prospect_is_scored_on_the_small_sample(small_run, small_truth, images):
    assert small_run.ok, small_run.summary
    assert set(small_run.metrics) == {p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")}  # the run ran every notebook
    pr = small_run.metrics["60_prospects"]  # every prospect scored; the model ranks customers better than chance
    assert pr["prospects_scored"] == small_truth["counts"]["prospects"] and pr["auc"] > 0.55 and pr["top_decile_lift"] > 1
    scored = (small_run.folder / "60_prospects" / "prospect_scores.csv").read_text(encoding="utf-8").splitlines()
    assert scored[0] == "prospect_id,propensity" and len(scored) - 1 == pr["prospects_scored"]
    leader = small_run.page("60_prospects")
    assert len(images(leader)) >= 1 and all(i.startswith("data:image/png;base64,") for i in images(leader))
