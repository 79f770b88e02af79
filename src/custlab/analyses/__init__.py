"""The analyses wing: one module per analysis, each over the clean tables of :mod:`custlab.data`.

``value`` (RFM, tiers, BG/NBD, Gamma-Gamma, churn), ``accounts`` (RFMAI, the key-account index,
tags, strategies, correspondence map), ``factors`` (survey factors, reliability), ``regression``
(satisfaction drivers), ``segments`` (behavioural segmentation), ``conjoint`` (choice and rating
conjoint, preference classes, simulator), ``prospects`` (propensity, MAN rule, cross-sell).

Modules are imported by name (``from custlab.analyses import value``); importing this package
loads none of them. Each analysis package keeps its settings in ``settings.py``, its model in
``_name.py`` and its report strings in ``strings.yaml``; its ``__init__`` names the public names and
loads the model on first use (``lazy_loader.attach``), so the runner validates parameters (the
settings) without importing pandas or scikit-learn.
"""
__all__ = ["accounts", "conjoint", "factors", "prospects", "regression", "segments", "value"]
