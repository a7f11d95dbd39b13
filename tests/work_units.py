"""Small deterministic work units for executor and store tests.

Module-level (importable) so that process pools and Dask workers can run them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def unit_fn(payload: dict) -> pd.DataFrame:
    """A deterministic unit of work (importable, so process pools and Dask can run it)."""
    x = np.asarray(payload["values"], dtype=float)
    return pd.DataFrame({
        "unit": [payload["unit"]] * len(x),
        "row": np.arange(len(x)),
        "value": x,
        "z": (x - x.mean()) / (x.std() + 1.0),
        "label": [f"u{payload['unit']}-{i}" for i in range(len(x))],
    })


def make_payloads(n_units: int = 6, size: int = 5) -> list[dict]:
    rng = np.random.default_rng(7)
    return [{"unit": u, "values": rng.normal(size=size).round(6).tolist()} for u in range(n_units)]


#: set in a worker process by :func:`remember` (the pool's initializer)
WARMED: dict = {}


def remember(value: str) -> None:
    """A pool initializer: records ``value`` and this process's id in the worker."""
    import os

    WARMED["value"], WARMED["pid"] = value, os.getpid()


def warmed_unit(payload: dict) -> tuple:
    """What the initializer left in this process before the unit ran (value, its pid, now)."""
    import os

    return WARMED.get("value"), WARMED.get("pid"), os.getpid()


def warm_and_list_decay_modules(payload: dict) -> tuple[bool, bool]:
    """Warm this (fresh) process as a screen's worker with ``payload``, then say whether the
    decay data's packages (radioactivedecay, sympy) were imported."""
    import sys

    from chelscreen.screening import _warm_worker

    _warm_worker(payload)
    return "radioactivedecay" in sys.modules, "sympy" in sys.modules
