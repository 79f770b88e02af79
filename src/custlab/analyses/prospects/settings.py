"""The prospect notebook's settings (params/60_prospects.yaml, key ``prospects``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...config import notebook_parameters, number


@dataclass(frozen=True)
class ProspectSettings:
    """Prospect scoring and cross-sell (params/60_prospects.yaml, key ``prospects``)."""

    months: int = field(default=24, metadata=number(1))  # revenue window that defines a key account, up to as_of
    key_share: float = field(default=0.2, metadata=number(0, 1, above=True))  # key accounts: this top share by revenue
    folds: int = field(default=5, metadata=number(2))  # cross-validation folds for the AUC and lift table
    top: int = field(default=20, metadata=number(1))  # prospects listed
    min_support: float = field(default=0.05, metadata=number(0, 1))  # rules bought by fewer customers are left out
    min_lift: float = field(default=1.0, metadata=number(0))  # a next-category suggestion needs a rule above this lift
    random_state: int = 0


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = ProspectsParams = notebook_parameters("60_prospects", "prospects", ProspectSettings, "ProspectsParams")
