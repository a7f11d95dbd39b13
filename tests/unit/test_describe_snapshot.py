"""Regression: ``describe`` output must not change when the code is made faster.

``tests/data/describe_library_snapshot.csv`` holds ``describe`` of the bundled library, the
ligands of ``molecules/labeling.csv`` and the good/bad input files of ``tests/data``, one block
per source (column ``source``). It was generated before the speed work (issue 2) and is compared
cell by cell as text, so any change in a SMILES, a status, a message or a feature value fails.

Regenerate (only after a deliberate change of results, and say why in the commit)::

    python tests/unit/test_describe_snapshot.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "data" / "describe_library_snapshot.csv"
SOURCES = [
    "molecules/chelators.csv",
    "tests/data/ligands_bad.smi",
    "tests/data/ligands_bad.csv",
    "tests/data/ligands_bad.tsv",
    "tests/data/ligands_bad.sdf",
]


def _labeling_smiles() -> list[str]:
    lab = pd.read_csv(ROOT / "molecules" / "labeling.csv", dtype=str, keep_default_na=False)
    return list(dict.fromkeys(s for s in lab["chelator_smiles"] if s.strip()))


def build(n_jobs: int = 1) -> pd.DataFrame:
    """``describe`` of every snapshot source, as text (the form it has in the CSV)."""
    from chelscreen.chem.descriptors import describe

    frames = []
    for src in SOURCES:
        df = describe(str(ROOT / src), n_jobs=n_jobs)
        df.insert(0, "source", src)
        frames.append(df)
    df = describe(_labeling_smiles(), n_jobs=n_jobs)
    df.insert(0, "source", "molecules/labeling.csv:chelator_smiles")
    frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return _as_text(out)


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    from io import StringIO

    buf = StringIO()
    df.to_csv(buf, index=False)
    buf.seek(0)
    return pd.read_csv(buf, dtype=str, keep_default_na=False)


def _compare(new: pd.DataFrame) -> None:
    old = pd.read_csv(SNAPSHOT, dtype=str, keep_default_na=False)
    assert list(new.columns) == list(old.columns)
    assert len(new) == len(old)
    diffs = []
    for col in old.columns:
        bad = (new[col] != old[col]).to_numpy().nonzero()[0]
        for i in bad[:5]:
            diffs.append(f"row {i} ({old['source'][i]} {old['id'][i]}) {col}: "
                         f"{old[col][i]!r} -> {new[col][i]!r}")
    assert not diffs, "describe output changed:\n" + "\n".join(diffs)


def test_describe_matches_snapshot():
    _compare(build(n_jobs=1))


if __name__ == "__main__":
    build().to_csv(SNAPSHOT, index=False)
    print(f"wrote {SNAPSHOT}")
