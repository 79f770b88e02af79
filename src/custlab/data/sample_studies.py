"""The sample's studies: survey answers from four planted factors (with satisfaction and loyalty
from known coefficients) and a conjoint design with choice and rating tasks from planted preference
classes. The truth is written to ``truth.json`` beside the database, for the tests to recover.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


# survey: 4 factors x 5 items, loadings, factor correlations, outcome coefficients
SURVEY_FACTORS = ("product_quality", "service", "price_value", "relationship")


SURVEY_LOADINGS = (0.80, 0.75, 0.70, 0.65, 0.60)


SURVEY_PHI = 0.3


SATISFACTION_COEF = {"intercept": 6.0, "product_quality": 1.0, "service": 0.6, "price_value": 0.3, "relationship": 0.8, "noise_sd": 1.0}


LOYALTY_COEF = {"intercept": 1.5, "satisfaction_latent": 0.6, "relationship": 0.5, "noise_sd": 1.0}


CONJOINT_LEVELS = {"price": (8, 10, 12), "delivery": ("24小时", "48小时", "72小时"),
                   "service": ("标准", "优先", "专属客户经理"), "contract": ("1年", "2年", "3年"),
                   "brand": ("本土品牌", "国际品牌", "新锐品牌")}


CONJOINT_CLASSES = {
    "price_sensitive": dict(share=0.6, worths={"price": (1.0, 0.0, -1.0), "delivery": (0.5, 0.1, -0.6),
                                                "service": (-0.4, 0.1, 0.3), "contract": (0.3, 0.0, -0.3),
                                                "brand": (0.2, 0.3, -0.5)}),
    "service_seeking": dict(share=0.4, worths={"price": (0.4, 0.0, -0.4), "delivery": (0.3, 0.1, -0.4),
                                                "service": (-1.0, 0.2, 0.8), "contract": (-0.2, 0.0, 0.2),
                                                "brand": (0.0, 0.6, -0.6)}),
}


RATING_SCALE = {"intercept": 5.5, "slope": 1.6, "noise_sd": 0.8}  # rating = 5.5 + 1.6 U + e, 1..10


def _survey(rng, respondents: np.ndarray, truth: dict) -> pd.DataFrame:
    k, per = len(SURVEY_FACTORS), len(SURVEY_LOADINGS)
    phi = np.full((k, k), SURVEY_PHI) + np.eye(k) * (1 - SURVEY_PHI)
    f = rng.multivariate_normal(np.zeros(k), phi, len(respondents))
    loadings = np.zeros((k * per, k))
    for j in range(k):
        loadings[j * per:(j + 1) * per, j] = SURVEY_LOADINGS
    latent = f @ loadings.T + rng.normal(size=(len(respondents), k * per)) * np.sqrt(1 - (loadings ** 2).sum(axis=1))
    items = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5]) + 1
    c = SATISFACTION_COEF
    sat_latent = c["intercept"] + f @ np.array([c[n] for n in SURVEY_FACTORS]) + rng.normal(0, c["noise_sd"], len(f))
    lc = LOYALTY_COEF
    loy = lc["intercept"] + lc["satisfaction_latent"] * sat_latent + lc["relationship"] * f[:, 3] + rng.normal(0, lc["noise_sd"], len(f))
    survey = pd.DataFrame(items, columns=[f"q{i + 1:02d}" for i in range(k * per)]).astype("int64")
    survey.insert(0, "customer_id", respondents)
    survey["satisfaction"] = np.clip(np.round(sat_latent), 1, 10).astype("int64")
    survey["loyalty"] = np.clip(np.round(loy), 1, 10).astype("int64")
    truth["survey"] = {"factors": list(SURVEY_FACTORS), "items_per_factor": per, "phi": SURVEY_PHI,
                       "loadings": {f"q{i + 1:02d}": dict(zip(SURVEY_FACTORS, map(float, row))) for i, row in enumerate(loadings)},
                       "likert_cuts": [-1.5, -0.5, 0.5, 1.5], "satisfaction": SATISFACTION_COEF, "loyalty": LOYALTY_COEF,
                       "scales": {"items": "1-5", "satisfaction": "1-10 (rounded, clipped latent)", "loyalty": "1-10"}}
    return survey


def _conjoint(rng, respondents: np.ndarray, truth: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    attrs = list(CONJOINT_LEVELS)
    grid = np.array(np.meshgrid(*[range(3)] * len(attrs), indexing="ij")).reshape(len(attrs), -1).T  # 243 x 5
    design = pd.DataFrame({a: np.array(CONJOINT_LEVELS[a], dtype=object)[grid[:, j]] for j, a in enumerate(attrs)})
    design.insert(0, "profile_id", np.arange(1, len(grid) + 1))

    def coded(rows):  # effects coding, for the D-criterion
        x = [np.ones(len(rows))]
        for j in range(len(attrs)):
            for lvl in (0, 1):
                x.append((rows[:, j] == lvl).astype(float) - (rows[:, j] == 2))
        return np.column_stack(x)

    best, best_det = None, -np.inf
    for _ in range(300):  # random search for a D-efficient 18-profile rating design
        pick = rng.choice(len(grid), 18, replace=False)
        det = np.linalg.det(coded(grid[pick]).T @ coded(grid[pick]))
        if det > best_det:
            best, best_det = pick, det
    design["in_rating_design"] = np.isin(np.arange(len(grid)), best)
    classes = list(CONJOINT_CLASSES)
    cls = rng.choice(len(classes), len(respondents), p=[CONJOINT_CLASSES[c]["share"] for c in classes])
    worth = np.zeros((len(respondents), len(attrs), 3))
    for i, c in enumerate(cls):
        for j, a in enumerate(attrs):
            w = np.array(CONJOINT_CLASSES[classes[c]]["worths"][a]) + rng.normal(0, 0.15, 3)
            worth[i, j] = w - w.mean()
    util = lambda i, rows: worth[i, np.arange(len(attrs)), grid[rows]].sum(axis=1)  # noqa: E731
    rows = []
    for i, rid in enumerate(respondents):
        u = util(i, best)
        rating = np.clip(np.round(RATING_SCALE["intercept"] + RATING_SCALE["slope"] * u + rng.normal(0, RATING_SCALE["noise_sd"], len(u))), 1, 10)
        rows += [(f"R{i + 1:04d}", rid, "rating", t + 1, 1, int(best[t]) + 1, float(r), None) for t, r in enumerate(rating)]
        for t in range(12):
            alts = rng.choice(len(grid), 3, replace=False)
            choice = np.argmax(util(i, alts) + rng.gumbel(size=3))
            rows += [(f"R{i + 1:04d}", rid, "choice", t + 1, a + 1, int(p) + 1, None, float(a == choice)) for a, p in enumerate(alts)]
    responses = pd.DataFrame(rows, columns=["respondent_id", "customer_id", "kind", "task", "alternative", "profile_id", "rating", "chosen"])
    responses["rating"] = responses["rating"].astype("float64")
    responses["chosen"] = responses["chosen"].astype("float64")
    truth["conjoint"] = {"levels": {a: list(map(str, v)) for a, v in CONJOINT_LEVELS.items()},
                         "classes": {c: {"share": s["share"], "part_worths": {a: list(w) for a, w in s["worths"].items()}}
                                     for c, s in CONJOINT_CLASSES.items()},
                         "heterogeneity_sd": 0.15, "coding": "effects (each attribute sums to zero)",
                         "respondent_class": {f"R{i + 1:04d}": classes[c] for i, c in enumerate(cls)},
                         "rating": RATING_SCALE, "choice": "3 alternatives, 12 tasks, utility + Gumbel, no opt-out"}
    return design, responses


