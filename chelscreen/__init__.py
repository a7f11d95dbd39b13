"""chelscreen: choose the right chelator for a therapeutic radiometal.

The public API is imported lazily so that ``import chelscreen`` stays fast; heavy backends
(OpenMM, Dask) are only imported inside the functions that need them.

>>> import chelscreen
>>> df = chelscreen.describe(["DOTA", "macropa"])          # doctest: +SKIP
>>> chelscreen.daughter_fate("Ac-225", chelator="macropa")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from chelscreen._version import __version__

# public name -> "module:attribute"
_LAZY = {
    "read_ligands": "chelscreen.io:read_ligands",
    "load_library": "chelscreen.io:load_library",
    "standardize": "chelscreen.chem.standardize:standardize",
    "describe": "chelscreen.chem.descriptors:describe",
    "parse_metal": "chelscreen.metals:parse_metal",
    "get_ion": "chelscreen.metals:get_ion",
    "decay_chain": "chelscreen.decay:decay_chain",
    "daughter_fate": "chelscreen.decay:daughter_fate",
    "predict_stability": "chelscreen.model.predict:predict_stability",
    "StabilityModel": "chelscreen.model.estimator:StabilityModel",
    "labeling": "chelscreen.radiolabeling:labeling",
    "screen": "chelscreen.screening:screen",
    "report": "chelscreen.reporting:report",
    "heatmap": "chelscreen.reporting:heatmap",
    "build_complex": "chelscreen.simulate:build_complex",
    "simulate_pairs": "chelscreen.simulate:simulate_pairs",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'chelscreen' has no attribute {name!r}")
    module_name, attr = target.split(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Only the public API (not the helpers this module imports)."""
    return list(__all__)
