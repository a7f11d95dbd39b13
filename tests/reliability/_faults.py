"""Work units that fail on purpose (importable by Dask and pool workers)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd

from tests.work_units import unit_fn


def die_once(payload: dict) -> pd.DataFrame:
    """Kill the worker process the first time ``payload['kill_unit']`` runs, then compute."""
    if payload["unit"] == payload.get("kill_unit"):
        try:
            fd = os.open(Path(payload["marker"]), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
    return unit_fn(payload)


def die_always(payload: dict) -> pd.DataFrame:
    """Kill the worker every time ``payload['kill_unit']`` runs."""
    if payload["unit"] == payload.get("kill_unit"):
        os.kill(os.getpid(), signal.SIGKILL)
    return unit_fn(payload)
