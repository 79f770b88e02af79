"""Prospect scoring and cross-sell: the planted propensity of the sample's prospects recovered,
the lift table and association rules as their definitions compute them, and clear errors."""
from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from custlab import config
from custlab.analyses import prospects
from custlab.data import cleaning
from custlab.errors import AnalysisError


def test_prospect_scores_follow_the_planted_propensity(mid_sample):
    # planted: P(strategic or growth) rises with size class and is higher in industries C, I, J
    tables, truth = mid_sample
    target = prospects.key_accounts(tables["orders"], truth["as_of"])
    assert target.sum() == int(0.2 * len(target))  # the top 20%, rounded down as value_tiers cuts
    model = prospects.propensity_model(prospects.firmographics(tables["customers"], "customer_id", truth["as_of"]), target)
    assert model.auc > 0.65 and model.lift["lift"].iloc[0] > 1.8 and model.lift["captured"].iloc[-1] == 1
    pool = tables["prospects"]
    pool = prospects.with_size_class(pool, cleaning.DataQualityParams().cleaning)
    assert pool["size_class"].value_counts().index.isin(["large", "medium", "small", "micro"]).all()
    scores = model.score(prospects.firmographics(pool, "prospect_id", truth["as_of"]))
    planted = pd.Series(truth["prospects"]["potential"]).reindex(scores.index)
    assert spearmanr(scores, planted).statistic > 0.85
    top = prospects.top_prospects(pool, scores, 10)
    assert top["propensity"].is_monotonic_decreasing and planted[top.index].mean() > planted.quantile(0.9)


def test_the_lift_table_counts_every_company_once():
    rng = np.random.default_rng(0)
    score = pd.Series(rng.uniform(size=1000))
    target = pd.Series(rng.uniform(size=1000) < score * 0.4)
    lift = prospects.lift_table(score, target)
    assert lift["companies"].tolist() == [100] * 10 and lift["key_accounts"].sum() == target.sum()
    top = score.sort_values(ascending=False).index[:100]
    assert lift.loc[1, "rate"] == target[top].mean() and lift.loc[1, "lift"] == pytest.approx(target[top].mean() / target.mean())


def test_category_rules_match_their_definitions():
    rng = np.random.default_rng(1)
    orders = pd.DataFrame({"customer_id": rng.integers(0, 60, 400), "category": rng.choice(list("abcd"), 400, p=[0.4, 0.3, 0.2, 0.1])})
    rules = prospects.category_rules(orders, 0.0)
    baskets = {c: set(g) for c, g in orders.groupby("customer_id")["category"]}
    n = len(baskets)
    for a, b in permutations("abcd", 2):
        has_a = sum(a in s for s in baskets.values())
        both = sum(a in s and b in s for s in baskets.values())
        has_b = sum(b in s for s in baskets.values())
        assert rules.loc[(a, b)].tolist() == pytest.approx([both / n, both / has_a, both / has_a / (has_b / n)])
    assert len(prospects.category_rules(orders, 0.99)) == 0


def test_next_category_offers_what_a_customer_lacks():
    orders = pd.DataFrame({"customer_id": ["x", "x", "y", "y", "z", "w"], "category": ["a", "b", "a", "b", "a", "c"]})
    rules = prospects.category_rules(orders, 0.0)  # a -> b: confidence 2/3, lift 4/3
    suggested = prospects.next_category(orders, rules)
    assert suggested.index.tolist() == ["z"]  # x and y have both, w's c goes with nothing
    assert suggested.loc["z"].tolist() == ["b", "a", pytest.approx(2 / 3), pytest.approx(4 / 3)]


def test_bad_input_is_a_clear_error():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "industry": ["x", "y", "x"]})
    features = prospects.firmographics(customers, "customer_id", "2026-06-30")
    with pytest.raises(AnalysisError, match=r"1 key accounts among 3 customers with orders: the propensity model needs at least 5"):
        prospects.propensity_model(features, pd.Series([True, False, False], index=features.index))
    with pytest.raises(AnalysisError, match=r"have none of the columns the model needs"):
        prospects.firmographics(pd.DataFrame({"customer_id": ["a"], "name": ["甲"]}), "customer_id", "2026-06-30")
    with pytest.raises(AnalysisError, match=r"The orders have no category column"):
        prospects.category_rules(pd.DataFrame({"customer_id": ["a"]}))
