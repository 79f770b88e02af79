"""custlab.analyses.factors against R psych on its public bfi data (tests/results/psych_bfi_*, written by
`make psych-reference`), and against the survey structure planted in the sample database."""
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from custlab.analyses import factors
from custlab.data import sample_studies
from custlab.errors import AnalysisError

DATA = Path(__file__).parents[1] / "reference"
RESULTS = Path(__file__).parents[1] / "results"


def psych(name: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / f"psych_bfi_{name}.csv", index_col=0)


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return factors.survey_items(pd.read_csv(DATA / "bfi.csv.gz"), [f"{t}{i}" for t in "ACENO" for i in range(1, 6)])


FITS = {"minres_oblimin": ("minres", "oblimin"), "minres_promax": ("minres", "promax"),
        "minres_varimax": ("minres", "varimax"), "minres_none": ("minres", "none"), "ml_oblimin": ("ml", "oblimin")}


@pytest.mark.parametrize("name", FITS)
def test_factor_analysis_matches_psych_fa(bfi, name):
    solution = factors.factor_analysis(bfi, 5, *FITS[name])
    # same factors in the same order with the same signs (psych: by variance explained, column sums positive)
    np.testing.assert_allclose(solution.loadings, psych(f"{name}_loadings"), atol=1e-5)
    per_item = psych(f"{name}_items")
    for ours, theirs in (("h2", "h2"), ("u2", "u2"), ("complexity", "complexity")):
        np.testing.assert_allclose(solution.items[ours], per_item[theirs], atol=1e-5)
    np.testing.assert_allclose(solution.variance, psych(f"{name}_variance"), atol=1e-5)
    np.testing.assert_allclose(solution.scores(bfi).iloc[:20], psych(f"{name}_scores"), atol=1e-4)
    if FITS[name][1] in factors.OBLIQUE:  # phi reordered with the loadings (factor_analyzer's fa leaves it behind)
        np.testing.assert_allclose(solution.phi, psych(f"{name}_phi"), atol=1e-5)
    else:
        np.testing.assert_array_equal(solution.phi, np.eye(5))


def test_communalities_do_not_change_with_an_oblique_rotation(bfi):
    # psych's h2 is diag(L phi L'); the squared pattern loadings (factor_analyzer's get_communalities) are not
    unrotated = factors.factor_analysis(bfi, 5, rotation="none").items["h2"]
    oblimin = factors.factor_analysis(bfi, 5, rotation="oblimin")
    np.testing.assert_allclose(oblimin.items["h2"], unrotated, atol=1e-6)
    assert np.abs((oblimin.loadings ** 2).sum(axis=1) - unrotated).max() > 0.01


def test_adequacy_matches_psych_kmo_and_bartlett(bfi):
    a = factors.adequacy(bfi)
    ref = psych("adequacy").iloc[0]
    assert a.kmo == pytest.approx(ref["kmo"], abs=1e-10)
    np.testing.assert_allclose(a.msa, psych("kmo_items")["msa"], atol=1e-10)
    assert (a.chi2, a.df, a.n) == (pytest.approx(ref["chi2"], rel=1e-10), ref["df"], 2436)
    assert a.verdict() == "meritorious"  # Kaiser's grade for 0.85


def test_cronbach_alpha_matches_psych_alpha(bfi):
    rel = factors.cronbach_alpha(bfi[[f"N{i}" for i in range(1, 6)]])
    ref = psych("alpha_N").iloc[0]
    assert (rel.alpha, rel.std_alpha) == (pytest.approx(ref["raw_alpha"], abs=1e-10), pytest.approx(ref["std.alpha"], abs=1e-10))
    np.testing.assert_allclose(rel.if_dropped, psych("alpha_N_drop"), atol=1e-10)


@pytest.mark.parametrize("rotation", ["none", "varimax"])
def test_principal_components_match_psych_principal(bfi, rotation):
    pcs = factors.principal_components(bfi, 5, rotation)
    np.testing.assert_allclose(pcs.loadings, psych(f"pca_{rotation}_loadings"), atol=1e-8)
    np.testing.assert_allclose(pcs.eigenvalues["eigenvalue"], psych("eigenvalues")["eigenvalue"], atol=1e-10)
    assert pcs.eigenvalues["cumulative"].iloc[-1] == pytest.approx(1.0)


def test_parallel_analysis_keeps_as_many_components_as_psych(bfi):
    pa = factors.parallel_analysis(bfi, n_iter=100, random_state=1)
    assert pa.n_factors == psych("parallel")["ncomp"].iloc[0] == 5
    assert pa.kaiser == int((psych("eigenvalues")["eigenvalue"] > 1).sum()) == 6  # Kaiser's rule keeps one more
    assert (pa.eigenvalues["observed"].iloc[:5] > pa.eigenvalues["random"].iloc[:5]).all()


def test_the_planted_survey_factors_are_recovered():
    truth = {}
    survey = sample_studies._survey(np.random.default_rng(11), np.arange(1500), truth)  # the demo sample's size
    planted = pd.DataFrame(truth["survey"]["loadings"]).T
    items = factors.survey_items(survey)
    pa = factors.parallel_analysis(items)
    assert pa.n_factors == len(truth["survey"]["factors"]) == 4
    solution = factors.factor_analysis(items, pa.n_factors)
    # Pearson correlations of 5-point answers: each loading shrinks by corr(latent, answer), known from the cuts
    cuts = np.array(truth["survey"]["likert_cuts"])
    p = np.diff(np.r_[0, stats.norm.cdf(cuts), 1])
    levels = np.arange(1, 6)
    shrink = stats.norm.pdf(cuts).sum() / np.sqrt(p @ levels ** 2 - (p @ levels) ** 2)
    main = solution.main_factor()
    found = {}
    for name in truth["survey"]["factors"]:
        members = planted.index[planted[name] > 0]
        assert main[members].nunique() == 1, name  # the planted items load on one factor together
        found[name] = main[members].iloc[0]
        recovered = solution.loadings.loc[members, found[name]]
        assert (recovered - planted.loc[members, name] * shrink).abs().max() < 0.08, name
    assert len(set(found.values())) == 4
    off_diagonal = solution.phi.to_numpy()[~np.eye(4, dtype=bool)]
    assert np.abs(off_diagonal - truth["survey"]["phi"]).max() < 0.08
    # alpha of each scale against the standardized alpha its planted loadings imply
    reliability = factors.scale_reliability(items, solution)
    for name, factor in found.items():
        lam = planted.loc[planted[name] > 0, name].to_numpy() * shrink
        mean_r = np.mean([a * b for a, b in combinations(lam, 2)])
        assert reliability.loc[factor, "std_alpha"] == pytest.approx(5 * mean_r / (1 + 4 * mean_r), abs=0.03)
        assert reliability.loc[factor, "n_items"] == 5


def test_reverse_keyed_items_are_flipped_before_alpha(bfi):
    # A1 is worded against agreeableness: it loads negatively, and alpha of A1-A5 as given is lower
    solution = factors.factor_analysis(bfi, 5)
    agree = solution.main_factor()["A2"]
    assert solution.loadings.loc["A1", agree] < 0
    table = factors.scale_reliability(bfi, solution)
    members = table.loc[agree, "items"].split(", ")
    flipped = bfi[members].copy()
    flipped["A1"] = 7 - flipped["A1"]  # answers 1-6
    assert table.loc[agree, "alpha"] == pytest.approx(factors.cronbach_alpha(flipped).alpha)
    assert factors.cronbach_alpha(bfi[members]).alpha < table.loc[agree, "alpha"] - 0.05


def test_items_default_to_the_q_columns_and_drop_incomplete_rows():
    survey = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"], "q01": [1, 2, 3, 4, None],
                           "q02": [2, 2, 3, 5, 5], "q03": [1, 3, 3, 4, 4], "satisfaction": [5, 6, 7, 8, 9]})
    items = factors.survey_items(survey)
    assert list(items.columns) == ["q01", "q02", "q03"] and len(items) == 4


@pytest.mark.parametrize("survey, items, message", [
    (pd.DataFrame({"q01": [1, 2, "x", 4], "q02": [1, 2, 3, 4], "q03": [2, 1, 3, 3]}), None,
     "Table survey, column q01, row 3: 'x' is not a number"),
    (pd.DataFrame({"q01": [1, 2, 3, 4, 5], "q02": [3, 3, 3, 3, 3], "q03": [2, 1, 3, 3, 4]}), None,
     "Table survey, column q02: every respondent gave the same answer"),
    (pd.DataFrame({"q01": [1, 2], "q02": [1, 2]}), None, "Table survey has 2 item columns (q01, q02); factor analysis needs at least 3"),
    (pd.DataFrame({"q01": [1, 2], "q02": [1, 2], "q03": [1, 2]}), ["q01", "q09"], "Table survey has no column q09"),
    # a duplicated item, and an item that is the sum of two others: named, not a LinAlgError
    (pd.DataFrame({"q01": [1, 2, 3, 4, 5, 2], "q02": [2, 1, 4, 3, 5, 1], "q03": [5, 3, 2, 4, 1, 1], "q04": [1, 2, 3, 4, 5, 2]}), None,
     "Table survey, columns q01, q04: their answers are linearly dependent"),
    (pd.DataFrame({"q01": [1, 2, 3, 4, 5, 2], "q02": [2, 1, 4, 3, 5, 1], "q03": [5, 3, 2, 4, 1, 1], "q04": [3, 3, 7, 7, 10, 3],
                   "q05": [1, 1, 2, 5, 3, 4]}), None, "Table survey, columns q01, q02, q04: their answers are linearly dependent"),
    (pd.DataFrame({"q01": [1, 2, 3, 4, 5], "q02": [None] * 5, "q03": [2, 1, 3, 3, 4], "q04": [1, 1, 2, 3, 5]}), None,
     "Table survey, column q02: no respondent answered it"),
    (pd.DataFrame({"q01": [1, 2, 3, 4, 5], "q02": [None, None, None, 1, 2], "q03": [2, 1, 3, 3, 4], "q04": [1, 1, 2, 3, 5]}), None,
     "The least answered items: q02 (40% answered)"),
])
def test_unusable_items_are_errors_that_say_where(survey, items, message):
    with pytest.raises(AnalysisError) as e:
        factors.survey_items(survey, items)
    assert message in str(e.value)


def test_impossible_requests_are_errors(bfi):
    with pytest.raises(AnalysisError, match="25 factors cannot be extracted from 25 items: use 1 to 24"):
        factors.factor_analysis(bfi, 25)
    with pytest.raises(AnalysisError, match="Rotation 'geomin' is not known: use one of none, varimax"):
        factors.factor_analysis(bfi, 3, rotation="geomin")
    with pytest.raises(AnalysisError, match="Factor method 'pa' is not known"):
        factors.factor_analysis(bfi, 3, method="pa")
