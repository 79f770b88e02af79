"""The conjoint notebook's settings (params/50_conjoint.yaml, key ``conjoint``).

Light on purpose: :mod:`custlab.config` imports this module to validate parameters before any
notebook runs, so it imports nothing but the configuration helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...config import K_RANGE, Texts, notebook_parameters, number


@dataclass(frozen=True)
class ConjointSettings:
    """Conjoint analysis (params/50_conjoint.yaml, key ``conjoint``)."""

    attributes: list[str] = field(default_factory=list)  # design columns to estimate; empty = all but profile_id
    price: str | None = None  # a numeric attribute entered as a number, for willingness to pay; null = none
    price_unit: str | Texts = ""  # how a price is read, e.g. {en: "10k CNY a year", zh: 万元/年}
    attribute_names: dict[str, str | Texts] = field(default_factory=dict)  # e.g. {delivery: {en: Delivery, zh: 交付时效}}
    classes: int | None = field(default=None, metadata=number(2))  # preference classes; null = best silhouette in class_range
    class_range: list[int] = field(default_factory=lambda: [2, 6], metadata=K_RANGE)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # the market simulator's offers: name -> {attribute: level}
    random_state: int = 0


#: the parameters of the notebook these settings belong to (config finds them here)
PARAMS = ConjointParams = notebook_parameters("50_conjoint", "conjoint", ConjointSettings, "ConjointParams")
