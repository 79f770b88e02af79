"""10_key_accounts end to end: as in JupyterLab, and on the small sample through the runner."""
import re

import pytest

from custlab.run import runner


@pytest.mark.slow
def test_runs_top_to_bottom_with_its_defaults_as_in_jupyterlab(run_as_in_jupyterlab):
    assert run_as_in_jupyterlab("10_key_accounts") == ([], [])


@pytest.mark.slow
def test_key_accounts_on_the_small_sample_and_again_the_month_after(small_run, small_sample, images, tmp_path):
    assert small_run.ok, small_run.summary
    ka = small_run.metrics["10_key_accounts"]
    assert 0.65 <= ka["key_account_revenue_share"] <= 0.85
    assert set(ka["strategy_groups"]) == {"high", "high_at_risk", "medium", "low"}
    assert ka["strategy_groups"]["high_at_risk"] == ka["watchlist"]
    assert "dropped_key_accounts" not in ka  # the first run has nothing to compare with
    leader = small_run.page("10_key_accounts")
    assert "def " not in leader and "report.record" not in leader
    assert len(images(leader)) >= 2 and all(i.startswith("data:image/png;base64,") for i in images(leader))  # Pareto, CA map
    # opens offline: nothing loaded from a CDN (scripts, styles, frames, images, CSS imports and fonts)
    assert not re.search(r'<(?:script|link|img|iframe)[^>]+(?:src|href)=["\']?(?:https?:)?//', leader)
    assert not re.search(r'(?:url\(|@import)\s*["\']?(?:https?:)?//', leader)
    import duckdb

    con = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True)
    for column in ("phone", "email", "credit_code", "contact"):  # personal data: never unmasked for leadership
        values = [r[0] for r in con.sql(f"select distinct {column} from customers where {column} is not null").fetchall()]
        assert len(values) > 100
        assert [v for v in values if v in leader] == [], column
    reports = tmp_path / "reports"  # a run of its own, then the month after: same data, same tiers
    first = runner.run([small_run.params], only=["10_key_accounts"], out=reports, jobs=1, timeout=300)
    again = runner.run([small_run.params], only=["10_key_accounts"], out=reports, jobs=1, timeout=300)
    assert first.ok and again.ok, again.summary()
    assert again.outcomes[0].metrics["dropped_key_accounts"] == 0
