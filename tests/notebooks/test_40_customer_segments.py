"""40_customer_segments end to end: as in JupyterLab, and on the small sample through the runner."""
import pytest


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("40_customer_segments") == ([], [])


@pytest.mark.slow
def test_every_buying_customer_is_in_one_segment_on_the_small_sample(small_run, images):
    assert small_run.ok, small_run.summary
    seg = small_run.metrics["40_customer_segments"]  # every customer with an order in the 24 months, in one segment each
    assert seg["customers_segmented"] == sum(seg["segment_sizes"].values()) > 300
    assert set(seg["segment_sizes"]) == set(seg["segment_stability"]) == {f"S{i + 1}" for i in range(seg["n_segments"])}
    assert max(seg["segment_revenue_share"], key=seg["segment_revenue_share"].get) == "S1"
    members = (small_run.folder / "40_customer_segments" / "segments.csv").read_text(encoding="utf-8").splitlines()
    assert members[0] == "customer_id,customer_segment" and len(members) - 1 == seg["customers_segmented"]
    leader = small_run.page("40_customer_segments")
    assert f"{seg['n_segments']} segments" in leader and "customer_id," not in leader
    assert len(images(leader)) >= 1 and all(i.startswith("data:image/png;base64,") for i in images(leader))  # heatmap
