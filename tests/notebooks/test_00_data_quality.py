"""00_data_quality end to end: as in JupyterLab, and on the small sample through the runner."""
import pytest


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("00_data_quality") == ([], [])


@pytest.mark.slow
def test_every_row_is_accounted_for_on_the_small_sample(small_run, small_truth, images):
    assert small_run.ok, small_run.summary
    dq = small_run.metrics["00_data_quality"]
    assert dq["reconciliation"]["customers"]["input"] == small_truth["counts"]["customers"]
    for table in dq["reconciliation"].values():
        assert table["input"] == table["kept"] + table["merged"] + table["quarantined"]
    assert dq["duplicates_merged"] == len(small_truth["duplicates"])
    negative = sum(1 for i in small_truth["impossible"] if i.get("column") == "amount")
    assert dq["quarantined"]["orders|negative_amount"] == negative
    quarantine = (small_run.folder / "00_data_quality" / "quarantine.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(quarantine) - 1 == sum(dq["quarantined"].values())
    analyst, leader = small_run.page("00_data_quality", "analyst"), small_run.page("00_data_quality")
    taken = "Columns taken from the merged record"  # a header of the merge log
    assert taken in analyst and taken not in leader  # rule-by-rule detail is analyst-only
    assert f"{dq['duplicates_merged']:,} duplicate customer records were merged" in leader
    assert len(images(leader)) >= 1 and all(i.startswith("data:image/png;base64,") for i in images(leader))
