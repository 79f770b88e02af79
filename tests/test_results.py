"""The result protocol: every result object has summary(), sentences(language), metrics() and
renders itself in JupyterLab (_repr_html_), with personal data masked."""
import dataclasses
import json

import pytest

from custlab import config, report
from custlab.analyses import accounts, conjoint, factors, prospects, regression, segments, value
from custlab.data import cleaning, matching, sources


def _clogit_fit():
    """A conditional logit on 300 two-alternative tasks whose chosen alternative follows one feature."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"price": rng.normal(size=600)})
    tasks = pd.Series(np.repeat(np.arange(300), 2))
    utility = -1.5 * x["price"].to_numpy() + rng.gumbel(size=600)
    chosen = pd.Series((utility == pd.Series(utility).groupby(tasks).transform("max").to_numpy()).astype(int))
    return conjoint.conditional_logit(x, chosen, tasks)


@pytest.fixture(scope="module")
def results(small_sample):
    """One of every result class, computed from the small sample as the notebooks compute them."""
    params = config.load_params("10_key_accounts", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    clean = cleaning.load_clean(params)
    tables, as_of = clean.window(), clean.as_of
    customers, orders = tables["customers"], tables["orders"]
    s = accounts.screen(tables, as_of, params.key_accounts)
    items = factors.survey_items(tables["survey"])
    solution = factors.factor_analysis(items, 4)
    data = factors.scale_scores(items, solution).join(tables["survey"].set_index("customer_id")[["satisfaction"]].reset_index(drop=True))
    design, responses = tables["conjoint_design"], tables["conjoint_responses"]
    rating = conjoint.rating_conjoint(design, responses)
    choice = conjoint.choice_conjoint(design, responses)
    features = prospects.firmographics(customers, "customer_id", as_of)
    target = prospects.key_accounts(orders, as_of)
    seg = segments.segment(segments.behaviour_features(orders, tables.get("interactions"), as_of, 24), k=4)
    return [clean, matching.find_duplicates(sources.load_tables(params, ["customers"])["customers"], exact=["credit_code"],
                                                 fuzzy={"name": 0.9}, block=["name:4"]),
            s, s.bgnbd, accounts.rfmai(s.rfm, customers, k=4),
            accounts.key_account_index(accounts.key_account_criteria(orders, customers, tables.get("interactions"), as_of)),
            accounts.cross_by_column(customers, "industry", orders, "category", on="customer_id"),
            factors.adequacy(items), factors.parallel_analysis(items, n_iter=20), solution,
            factors.cronbach_alpha(items[solution.items_by_factor()["F1"]]), factors.principal_components(items, 4),
            regression.driver_analysis(data, "satisfaction", [c for c in data.columns if c != "satisfaction"]),
            rating, choice, _clogit_fit(), conjoint.preference_classes(rating, k=3),
            prospects.propensity_model(features, target.reindex(features.index, fill_value=False), folds=3), seg]


def test_every_result_class_of_the_package_is_covered(results):
    import ast
    from pathlib import Path

    package = Path(config.__file__).resolve().parent
    declared = set()
    for path in package.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "Result" for b in node.bases):
                declared.add(node.name)
    assert {type(r).__name__ for r in results} == declared
    assert len(declared) == 19


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_result_has_the_four_members_and_renders_itself(results, language):
    for result in results:
        name = type(result).__name__
        assert dataclasses.is_dataclass(result) and isinstance(result, report.Result), name
        table = result.summary()
        assert len(table) > 0, name
        said = result.sentences(language)
        assert isinstance(said, list) and all(isinstance(s, str) and s for s in said), name
        json.dumps(report._jsonable(result.metrics()))  # what record() stores
        page = result._repr_html_()
        assert page.startswith('<div class="custlab-result">') and "<table" in page and name in page, name
        for sentence in result.sentences("en"):
            assert sentence.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;") in page


def test_a_result_renders_personal_data_masked(results):
    clean = results[0]

    @dataclasses.dataclass(frozen=True)
    class Contacts(report.Result):
        table: object

        def summary(self):
            return self.table

    page = Contacts(clean.tables["customers"][["customer_id", "phone"]].dropna().head(3))._repr_html_()
    first = clean.tables["customers"]["phone"].dropna().iloc[0]
    assert first not in page and "****" in page


def test_metrics_are_what_the_notebooks_record(results):
    clean, s = results[0], results[2]
    m = clean.metrics()
    assert m["reconciliation"]["customers"]["input"] == int(clean.reconciliation.loc["customers", "input"])
    assert m["followup"] == len(clean.followup)
    assert results[4].metrics() == {"rfmai_k": 4}
    assert set(results[5].metrics()["index_weights"]) == set(accounts.CRITERIA_DIRECTION)
    assert s.metrics()["customers"] == len(s.tiers)
