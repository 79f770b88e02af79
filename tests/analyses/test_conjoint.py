"""Conjoint: the conditional logit matches R survival's clogit on public data, the sample's planted
part-worths, price sensitivity and preference classes are recovered, and bad input is a clear error."""
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from custlab.analyses import conjoint
from custlab.errors import AnalysisError

HERE = Path(__file__).parents[1]
CAMERA_TERMS = ["canon", "sony", "nikon", "panasonic", "pixels", "zoom", "video", "swivel", "wifi", "price"]


def test_conditional_logit_matches_r_survival_clogit_on_the_camera_data():
    camera = pd.read_csv(HERE / "reference" / "camera.csv.gz")
    tasks = camera["respondent"] * 100 + camera["task"]
    fit = conjoint.conditional_logit(camera[CAMERA_TERMS], camera["chosen"], tasks)
    ref = pd.read_csv(HERE / "results" / "clogit_camera_coefficients.csv", index_col="term")
    stats = pd.read_csv(HERE / "results" / "clogit_camera_fit.csv", index_col="statistic")["value"]
    np.testing.assert_allclose(pd.Series(fit.params, index=CAMERA_TERMS), ref["estimate"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(pd.Series(fit.bse, index=CAMERA_TERMS), ref["std_error"], rtol=1e-5)
    assert fit.llf == pytest.approx(stats["loglik"], rel=1e-9)
    assert len(set(tasks)) == stats["tasks"] and 5 * len(set(tasks)) == len(camera)
    # a level every chosen alternative has and no other: no finite part-worth, said so instead of a number
    separated = camera.assign(wifi=camera["chosen"].astype(float))
    with pytest.raises(AnalysisError, match=r"The choice model did not converge .* always or never chosen has no finite part-worth"):
        conjoint.conditional_logit(separated[CAMERA_TERMS], separated["chosen"], tasks)


@pytest.fixture(scope="module")
def tables(small_sample):
    con = duckdb.connect(str(small_sample / "crm.duckdb"), read_only=True)
    design, responses = (con.sql(f"select * from {t}").df() for t in ("conjoint_design", "conjoint_responses"))
    con.close()
    return design, responses


@pytest.fixture(scope="module")
def priced(tables):
    """The choice model with price entered as a number (one fit shared: each takes seconds)."""
    return conjoint.choice_conjoint(*tables, price="price")


def planted_mean(truth: dict) -> pd.Series:
    """The respondents' expected part-worths: the classes' part-worths weighted by their shares."""
    c = truth["conjoint"]
    return pd.Series({(a, lv): sum(k["share"] * k["part_worths"][a][i] for k in c["classes"].values())
                      for a, levels in c["levels"].items() for i, lv in enumerate(levels)})


def test_rating_part_worths_recover_the_planted_ones(tables, small_truth):
    rating = conjoint.rating_conjoint(*tables)
    assert len(rating.individual) == len(small_truth["conjoint"]["respondent_class"]) and rating.skipped == []
    slope = small_truth["conjoint"]["rating"]["slope"]  # rating = 5.5 + 1.6 utility + noise
    found = rating.part_worths["part_worth"] / slope
    found.index = [(a, str(lv)) for a, lv in found.index]
    np.testing.assert_allclose(found, planted_mean(small_truth).reindex(found.index), atol=0.06)
    assert rating.individual.T.groupby(level="attribute").sum().abs().max().max() < 1e-9  # effects coding: levels sum to 0
    assert rating.r2.median() > 0.85


def test_choice_part_worths_price_and_importance_recover_the_planted_ones(tables, priced, small_truth):
    model = conjoint.choice_conjoint(*tables)
    found = model.part_worths["part_worth"]
    found.index = [(a, str(lv)) for a, lv in found.index]
    truth = planted_mean(small_truth).reindex(found.index)
    # a single logit of two classes' choices shrinks part-worths a little towards 0 (Gumbel scale 1)
    np.testing.assert_allclose(found, truth, atol=0.1)
    assert np.corrcoef(found, truth)[0, 1] > 0.98
    order = model.importance.sort_values(ascending=False).index.tolist()
    assert order[:2] == ["price", "service"] and order[-1] == "contract"  # planted ranges 1.52, 1.14 ... 0.20
    assert 0.1 < model.mcfadden_r2 < 0.5 and model.tasks == 12 * len(small_truth["conjoint"]["respondent_class"])
    assert priced.coefficients.loc["price", "estimate"] == pytest.approx(-0.38, abs=0.05)  # planted: 0.76 per 2 price units
    wtp = priced.wtp()["wtp"]
    worths = priced.part_worths["part_worth"]
    assert wtp[("service", "专属客户经理")] == pytest.approx(
        (worths[("service", "专属客户经理")] - worths[("service", "标准")]) / -priced.coefficients.loc["price", "estimate"])
    assert wtp.groupby(level="attribute").min().eq(0).all()


def test_the_left_out_level_does_not_change_part_worths_or_their_errors(tables):
    design, responses = tables
    model = conjoint.choice_conjoint(design, responses, attributes=["delivery", "service", "brand"])
    flipped = conjoint.choice_conjoint(design.iloc[::-1], responses, attributes=["delivery", "service", "brand"])
    assert model.levels["service"][-1] != flipped.levels["service"][-1]  # another level is the coded-out one
    pd.testing.assert_frame_equal(model.part_worths.sort_index(), flipped.part_worths.sort_index(), rtol=1e-5)


def test_preference_classes_recover_the_planted_classes(tables, small_truth):
    classes = conjoint.preference_classes(conjoint.rating_conjoint(*tables))
    assert classes.k == 2
    planted = pd.Series(small_truth["conjoint"]["respondent_class"]).reindex(classes.labels.index)
    agreement = pd.crosstab(classes.labels, planted).max(axis=1).sum() / len(planted)
    assert agreement > 0.95
    service = classes.importance.loc["service"]  # the service-seeking class weighs service far more
    seeking = pd.crosstab(classes.labels, planted)["service_seeking"].idxmax()
    assert service[seeking] == service.max() and service[seeking] > 2 * service.drop(seeking).max()


def test_the_simulator_shares_follow_each_rule(tables, priced):
    products = {"ours": {"price": 10, "delivery": "24小时", "service": "专属客户经理", "contract": "1年", "brand": "国际品牌"},
                "rival": {"price": 12, "delivery": "72小时", "service": "标准", "contract": "3年", "brand": "新锐品牌"}}
    choice = priced
    u = choice.utilities(products)
    shares = choice.shares(products)
    assert shares["ours"] == pytest.approx(np.exp(u["ours"]) / np.exp(u).sum()) and shares["ours"] > 0.9
    assert choice.shares({**products, "cheaper": {**products["rival"], "price": 8}})["cheaper"] > shares["rival"] / 2
    rating = conjoint.rating_conjoint(*tables)
    first = rating.shares(products)
    assert first.sum() == pytest.approx(1) and first["ours"] > 0.95  # better on every attribute: nearly everyone's first choice


@pytest.mark.parametrize("change, call, message", [
    (lambda d, r: (d, r.assign(chosen=r["chosen"].where(~((r["task"] == 1) & (r["kind"] == "choice")), 1.0))),
     conjoint.choice_conjoint, r"Choice task R\d+/1 has 3 chosen alternatives; each task needs exactly one"),
    (lambda d, r: (d, r.assign(profile_id=r["profile_id"].where(r.index != 5, 999))),
     conjoint.rating_conjoint, r"Table conjoint_responses row 5 names profile_id 999, which table conjoint_design does not have"),
    (lambda d, r: (d.assign(brand="本土品牌"), r), conjoint.rating_conjoint, r"Attribute brand of table conjoint_design has 1 level"),
    (lambda d, r: (d, r[r["kind"] == "rating"]), conjoint.choice_conjoint, r"no choice tasks"),
    # attributes the design cannot tell apart: refused before fitting (they used to give a standard error of 2,236,962)
    (lambda d, r: (d.assign(price2=d["price"] * 2), r), conjoint.choice_conjoint,
     r"The choice tasks cannot tell the effects of price, price2 apart: in the profiles shown, their levels move together"),
    (lambda d, r: (d.assign(label=d["brand"]), r), conjoint.rating_conjoint,
     r"The rating tasks cannot tell the effects of brand, label apart"),
])
def test_bad_input_is_a_clear_error(tables, change, call, message):
    with pytest.raises(AnalysisError, match=message):
        call(*change(*tables))


def test_an_estimable_design_has_no_confounded_attribute(tables):
    design = tables[0]
    levels = conjoint.attribute_levels(design)
    assert conjoint.confounded_attributes(conjoint.effects_coded(design, levels), levels, constant=True) == []


def test_bad_simulator_products_and_price_are_clear_errors(tables, priced):
    model = priced
    good = {"price": 10, "delivery": "24小时", "service": "标准", "contract": "1年", "brand": "国际品牌"}
    with pytest.raises(AnalysisError, match=r"Product 'A' of conjoint.products sets delivery to '12小时'; the design's levels are 24小时, 48小时, 72小时"):
        model.shares({"A": {**good, "delivery": "12小时"}})
    with pytest.raises(AnalysisError, match=r"sets price to 20; the design's levels are a number from 8 to 12"):
        model.shares({"A": {**good, "price": 20}})
    with pytest.raises(AnalysisError, match=r"Product 'A' of conjoint.products does not set brand"):
        model.shares({"A": {k: v for k, v in good.items() if k != "brand"}})
    with pytest.raises(AnalysisError, match=r"conjoint.price is 'brand', which is not a numeric attribute.*name one of price"):
        conjoint.choice_conjoint(*tables, price="brand")
