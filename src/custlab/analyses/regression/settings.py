"""The driver notebook's settings (params/30_satisfaction_drivers.yaml, key ``drivers``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...config import notebook_parameters


@dataclass(frozen=True)
class DriverSettings:
    """Driver analysis (params/30_satisfaction_drivers.yaml, key ``drivers``); the factor scales
    are those of 20_survey_factors, with its settings."""

    outcomes: list[str] = field(default_factory=lambda: ["satisfaction", "loyalty"])  # survey columns the scales explain
    robust: bool = True  # heteroscedasticity-robust (HC3) standard errors


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = DriversParams = notebook_parameters("30_satisfaction_drivers", "drivers", DriverSettings, "DriversParams")
