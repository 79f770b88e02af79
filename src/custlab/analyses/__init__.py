"""The analyses wing: one module per analysis, each over the clean tables of :mod:`custlab.data`.

``value`` (RFM, tiers, BG/NBD, Gamma-Gamma, churn), ``accounts`` (RFMAI, the key-account index,
tags, strategies, correspondence map), ``factors`` (survey factors, reliability), ``regression``
(satisfaction drivers), ``segments`` (behavioural segmentation), ``conjoint`` (choice and rating
conjoint, preference classes, simulator), ``prospects`` (propensity, MAN rule, cross-sell).

Modules are imported by name (``from custlab.analyses import value``); importing this package
loads none of them.
"""
__all__ = ["accounts", "conjoint", "factors", "prospects", "regression", "segments", "value"]
