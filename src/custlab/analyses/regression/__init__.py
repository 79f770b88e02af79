"""Driver analysis: what moves an outcome (satisfaction, loyalty) and by how much.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_regression": [
        "DriverModel", "MAX_LMG_PREDICTORS", "driver_analysis", "drivers_sentence", "lmg",
    ],
    "settings": ["DriverSettings", "DriversParams"],
})
