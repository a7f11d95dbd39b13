"""Locate the bundled ``molecules/`` and ``models/`` folders.

In a wheel they are force-included as ``chelscreen/_bundled/{molecules,models}``; in a source
checkout (editable install, tests) they sit at the repository root next to the package.
The package never reads ``../shared``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def _bundled(name: str) -> Path:
    for candidate in (_PKG / "_bundled" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"chelscreen's bundled '{name}/' folder is missing (looked in {_PKG / '_bundled' / name} "
        f"and {_PKG.parent / name}); reinstall chelscreen from a complete wheel or checkout."
    )


def molecules_dir() -> Path:
    """Folder of the curated reference chelator library (``chelators.csv``, ``labeling.csv``)."""
    return _bundled("molecules")


def models_dir() -> Path:
    """Folder of the trained model artefacts, cards and validation sets."""
    return _bundled("models")


def data_dir() -> Path:
    """Package-internal reference data (ion table, nuclide table) with provenance files."""
    return _PKG / "data"
