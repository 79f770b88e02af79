"""custlab.analyses.regression against NIST StRD's certified Longley results, LMG against its definition,
and the satisfaction drivers planted in the sample survey."""
from itertools import permutations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.datasets import longley

from custlab.analyses import factors, regression
from custlab.data import sample_studies
from custlab.errors import AnalysisError

LONGLEY = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]
# NIST StRD, Longley.dat: certified estimates and standard deviations, residual SD and R²
CERTIFIED = {"const": (-3482258.63459582, 890420.383607373), "GNPDEFL": (15.0618722713733, 84.9149257747669),
             "GNP": (-0.358191792925910e-01, 0.334910077722432e-01), "UNEMP": (-2.02022980381683, 0.488399681651699),
             "ARMED": (-1.03322686717359, 0.214274163161675), "POP": (-0.511041056535807e-01, 0.226073200069370),
             "YEAR": (1829.15146461355, 455.478499142212)}
CERTIFIED_R2 = 0.995479004577296


def test_ols_matches_nist_longley():
    model = regression.driver_analysis(longley.load_pandas().data, "TOTEMP", LONGLEY, robust=False)
    assert list(model.coefficients.index) == ["const", *LONGLEY]
    for term, (estimate, sd) in CERTIFIED.items():
        assert model.coefficients.loc[term, "estimate"] == pytest.approx(estimate, rel=1e-7), term
        assert model.coefficients.loc[term, "std_error"] == pytest.approx(sd, rel=1e-7), term
    assert model.r2 == pytest.approx(CERTIFIED_R2, rel=1e-10) and model.n == 16
    assert model.vif["GNP"] > 1000  # Longley is the textbook case of collinear predictors
    assert model.importance["lmg"].sum() == pytest.approx(model.r2)


def test_lmg_is_the_r2_increment_averaged_over_every_order():
    data = longley.load_pandas().data
    drivers = ["GNPDEFL", "UNEMP", "ARMED", "POP"]

    def r2(subset):  # by separate regressions, not the correlation-matrix shortcut lmg() takes
        return sm.OLS(data["TOTEMP"], sm.add_constant(data[list(subset)])).fit().rsquared if subset else 0.0

    orders = list(permutations(drivers))
    expected = {d: np.mean([r2(o[:o.index(d) + 1]) - r2(o[:o.index(d)]) for o in orders]) for d in drivers}
    np.testing.assert_allclose(regression.lmg(data, "TOTEMP", drivers), [expected[d] for d in drivers], rtol=1e-9)


def test_the_planted_satisfaction_drivers_come_out_in_their_order():
    truth = {}
    survey = sample_studies._survey(np.random.default_rng(11), np.arange(1500), truth)
    items = factors.survey_items(survey)
    solution = factors.factor_analysis(items, 4)
    scales = factors.scale_scores(items, solution)
    planted = pd.DataFrame(truth["survey"]["loadings"]).T
    name = {solution.main_factor()[planted.index[planted[f] > 0]].iloc[0]: f for f in planted.columns}
    scales = scales.rename(columns=name).join(survey["satisfaction"])
    model = regression.driver_analysis(scales, "satisfaction", list(name.values()))
    coef = truth["survey"]["satisfaction"]
    assert list(model.importance.index) == sorted(name.values(), key=lambda f: -coef[f])  # quality, relationship, service, price
    assert (model.coefficients.loc[list(name.values()), "p_value"] < 0.001).all()
    assert (model.vif < 2).all()  # factors correlate by 0.3: separable


def test_scale_scores_are_item_means_with_reverse_keyed_items_flipped():
    items = pd.read_csv(Path(__file__).parents[1] / "reference" / "bfi.csv.gz")
    solution = factors.factor_analysis(items, 5)
    agree = solution.main_factor()["A2"]
    members = [i for i in solution.main_factor().index if solution.main_factor()[i] == agree]
    expected = items[members].assign(A1=7 - items["A1"]).mean(axis=1)
    np.testing.assert_allclose(factors.scale_scores(items, solution)[agree], expected)


def test_bad_inputs_are_errors_that_say_what():
    data = pd.DataFrame({"y": [1.0, 2, 3], "x": [1.0, 0, 1]})
    with pytest.raises(AnalysisError, match="no column z in the data"):
        regression.driver_analysis(data, "y", ["x", "z"])
    with pytest.raises(AnalysisError, match="3 complete rows for 2 drivers"):
        regression.driver_analysis(data.assign(w=[1.0, 5, 2]), "y", ["x", "w"])
    with pytest.raises(AnalysisError, match="16 drivers are more than 15"):
        regression.lmg(pd.DataFrame(np.random.default_rng(0).normal(size=(50, 17))).add_prefix("v"), "v0",
                       [f"v{i}" for i in range(1, 17)])
