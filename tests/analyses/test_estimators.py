"""The fitted models with a hyper-parameter search follow scikit-learn's estimator conventions:
``__init__`` stores its arguments as given, ``fit`` validates and returns self, what is learned
ends in ``_`` and exists only after ``fit``, and ``clone`` / ``get_params`` work."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from custlab import config
from custlab.analyses import accounts, conjoint, prospects, segments
from custlab.data import cleaning
from custlab.errors import AnalysisError


@pytest.fixture(scope="module")
def clean(small_sample):
    params = config.load_params("10_key_accounts", overrides={"source": {"path": str(small_sample / "crm.duckdb")}})
    result = cleaning.load_clean(params)
    return result.window(), result.as_of, params


def _conventions(estimator, learned):
    assert clone(estimator).get_params() == estimator.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator, learned)
    return estimator


def test_customer_segments(clean):
    tables, as_of, _ = clean
    features = segments.behaviour_features(tables["orders"], tables.get("interactions"), as_of, 24)
    model = _conventions(segments.CustomerSegments(method="ward", k_range=[3, 5], random_state=1), ["labels_", "k_"])
    assert model.get_params() == {"columns": None, "method": "ward", "k": None, "k_range": [3, 5], "random_state": 1}
    assert model.fit(features) is model and model.k_range == [3, 5]  # stored as given, not changed by fit
    expected = segments.segment(features, None, "ward", None, (3, 5), 1)
    assert model.k_ == expected.k and model.labels_.equals(expected.labels) and list(model.criteria_.index) == [3, 4, 5]
    assert model.fit_predict(features).equals(expected.labels)
    with pytest.raises(AnalysisError, match="segments.method is 'dbscan'"):
        segments.CustomerSegments(method="dbscan").fit(features)  # validated in fit, not in __init__


def test_rfmai_classes(clean):
    tables, as_of, _ = clean
    rfm = accounts.screen(tables, as_of, clean[2].key_accounts).rfm
    model = _conventions(accounts.RFMAIClasses(k_range=(3, 4)), ["labels_"])
    assert model.fit(rfm, tables["customers"]) is model
    expected = accounts.rfmai(rfm, tables["customers"], k_range=(3, 4))
    assert model.k_ == expected.k and model.labels_.equals(expected.labels) and model.profile_.equals(expected.profile)


def test_preference_class_model(clean):
    tables = clean[0]
    rating = conjoint.rating_conjoint(tables["conjoint_design"], tables["conjoint_responses"])
    model = _conventions(conjoint.PreferenceClassModel(k=2, random_state=3), ["labels_"])
    assert model.fit(rating) is model
    expected = conjoint.preference_classes(rating, k=2, random_state=3)
    assert model.k_ == 2 and model.labels_.equals(expected.labels) and model.importance_.equals(expected.importance)


def test_propensity_scorer(clean):
    tables, as_of, _ = clean
    features = prospects.firmographics(tables["customers"], "customer_id", as_of)
    target = prospects.key_accounts(tables["orders"], as_of).reindex(features.index, fill_value=False)
    model = _conventions(prospects.PropensityScorer(folds=3), ["result_"])
    with pytest.raises(NotFittedError):
        model.predict_proba(features)
    assert model.fit(features, target) is model
    expected = prospects.propensity_model(features, target, 3, 0)
    assert model.auc_ == pytest.approx(expected.auc) and 0 <= model.base_rate_ <= 1
    np.testing.assert_allclose(model.predict_proba(features).to_numpy(), expected.score(features).to_numpy())
    assert isinstance(model.predict_proba(features), pd.Series)
