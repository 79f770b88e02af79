"""Driver analysis: what moves an outcome (satisfaction, loyalty) and by how much.

The model lives in ``_regression.py`` and loads on first use (pandas, scikit-learn); the settings in
``settings.py`` load without it, so the runner validates parameters without importing the model.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_regression": [
        "DriverModel", "MAX_LMG_PREDICTORS", "driver_analysis", "drivers_sentence", "lmg",
    ],
    "settings": ["DriverSettings", "DriversParams"],
})
