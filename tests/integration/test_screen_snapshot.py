"""Regression snapshot: the screen and the labeling model give the same results as stored.

The snapshots in ``tests/data/`` were generated with the code before the speed work on the
pipeline (issue 6, "Speed and memory"); any optimisation must leave every value unchanged
(floats within 1e-9, strings exact, row order kept). Regenerate deliberately — only when the
stability/labeling model or the scoring changes on purpose — with::

    python tests/integration/test_screen_snapshot.py --regenerate
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data"
SCREEN_SNAPSHOT = DATA / "screen_snapshot.csv"
LABELING_SNAPSHOT = DATA / "labeling_snapshot.csv"
LABELING_NUCLIDES = ["Ac-225", "Pb-212", "Lu-177", "Ga-68"]
#: columns that depend on the clock or the machine (none of the pair columns do today)
TIMING_COLUMNS: tuple[str, ...] = ()


def screen_frame() -> pd.DataFrame:
    from chelscreen.screening import screen

    df = screen(None, None, out=None, progress=False)
    return df.drop(columns=[c for c in TIMING_COLUMNS if c in df.columns])


def labeling_frame() -> pd.DataFrame:
    from chelscreen._resources import molecules_dir
    from chelscreen.radiolabeling import labeling

    return labeling(str(molecules_dir() / "chelators.csv"), LABELING_NUCLIDES)


def _normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Round-trip through CSV text so stored and fresh frames have the same types."""
    import io

    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format="%.17g")
    buf.seek(0)
    return pd.read_csv(buf, dtype=str, keep_default_na=False)


def assert_same(fresh: pd.DataFrame, stored_path: Path) -> None:
    stored = pd.read_csv(stored_path, dtype=str, keep_default_na=False)
    new = _normalize(fresh)
    assert list(new.columns) == list(stored.columns)
    assert len(new) == len(stored)
    for col in stored.columns:
        a, b = new[col].to_numpy(), stored[col].to_numpy()
        num_a = pd.to_numeric(pd.Series(a), errors="coerce").to_numpy(float)
        num_b = pd.to_numeric(pd.Series(b), errors="coerce").to_numpy(float)
        numeric = ~np.isnan(num_b) | ~np.isnan(num_a)
        # text cells (and empty cells) must match exactly
        txt = ~numeric
        bad = np.flatnonzero(txt & (a != b))
        assert not len(bad), f"{col}: row {bad[0]}: {a[bad[0]]!r} != {b[bad[0]]!r}"
        close = np.isclose(num_a[numeric], num_b[numeric], rtol=1e-9, atol=1e-9, equal_nan=True)
        idx = np.flatnonzero(numeric)[~close]
        assert not len(idx), f"{col}: row {idx[0]}: {a[idx[0]]!r} != {b[idx[0]]!r}"


def test_screen_matches_snapshot() -> None:
    assert_same(screen_frame(), SCREEN_SNAPSHOT)


def test_labeling_matches_snapshot() -> None:
    assert_same(labeling_frame(), LABELING_SNAPSHOT)


if __name__ == "__main__":
    if "--regenerate" in sys.argv:
        _normalize(screen_frame()).to_csv(SCREEN_SNAPSHOT, index=False)
        _normalize(labeling_frame()).to_csv(LABELING_SNAPSHOT, index=False)
        print(f"wrote {SCREEN_SNAPSHOT} and {LABELING_SNAPSHOT}")
