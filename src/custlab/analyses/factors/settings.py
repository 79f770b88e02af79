"""The survey-factor notebook's settings and the methods and rotations it allows
(params/20_survey_factors.yaml, key ``factors``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...config import SHARE, Texts, notebook_parameters, number, numbered_keys

#: extraction methods and rotations (factor_analyzer's names, as R psych::fa spells them)
METHODS = ("minres", "ml")
ORTHOGONAL = ("varimax", "quartimax")
OBLIQUE = ("oblimin", "promax")
ROTATIONS = ("none", *ORTHOGONAL, *OBLIQUE)


@dataclass(frozen=True)
class FactorSettings:
    """Survey factor analysis (params/20_survey_factors.yaml, key ``factors``)."""

    items: list[str] = field(default_factory=list)  # survey columns to analyse; empty = every q<number> column
    n_factors: int | None = field(default=None, metadata=number(1))  # None = parallel analysis decides
    method: Literal[METHODS] = "minres"
    rotation: Literal[ROTATIONS] = "oblimin"
    loading_cut: float = field(default=0.3, metadata=number(0, 1))  # smaller loadings are left blank in tables
    parallel_iterations: int = field(default=100, metadata=number(20))
    alpha_minimum: float = field(default=0.7, metadata=SHARE)  # a scale below this is called unreliable
    item_labels: dict[str, str | Texts] = field(default_factory=dict)  # the question per item, e.g. {q01: "交付准时"}
    factor_names: dict[str, str | Texts] = field(  # named after a first run
        default_factory=dict, metadata=numbered_keys("F", "factor", "the loadings table"))


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = SurveyFactorsParams = notebook_parameters("20_survey_factors", "factors", FactorSettings, "SurveyFactorsParams")
