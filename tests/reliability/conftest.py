"""Shared helpers of the reliability tests: small deterministic work units and the CLI entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


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


@pytest.fixture
def cli_main(capsys):
    """Run the real console entry point (``chelscreen.cli.main``) in-process.

    Returns ``(exit_code, stdout, stderr)``; a traceback would surface as a test error."""
    from chelscreen.cli import main

    def _run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run
