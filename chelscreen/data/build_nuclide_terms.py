"""Build ``nuclide_terms.json``: the default decay terms of the bundled data's nuclides.

This is a *build script*, not package code: it computes, with the package's own live code
(radioactivedecay's ICRP-107 data), what a screen and its report ask of the decay modules,
and writes it next to itself, for each bundled nuclide (``nuclides.csv``, the screen's default set and the radionuclides of
``molecules/labeling.csv`` and ``molecules/retention_evidence.csv``):

- ``decay_chain(nuclide)`` (rows and ``attrs``),
- ``daughter_fate(nuclide)`` with its defaults (no chelator, ``internalized``; rows and
  ``attrs``),
- ``dosimetry.daughter_dose_summary(nuclide, chelator, "human")`` for each class of
  ``dosimetry.DOSE_SUMMARY_CLASSES`` (no chelator; a DOTA-type chelator);
- ``canonical``: the names that radioactivedecay's parser reads as themselves and that are in
  its ICRP-107 data (``metals`` then reads them without importing radioactivedecay, as it
  reads the names of ``nuclides.csv``).

The file carries the fingerprint of what these depend on (``decay.terms_fingerprint()``: the
SHA-256 of the decay, dosimetry and ion modules and of every ``chelscreen/data/*.csv``, and the
versions of radioactivedecay, numpy, scipy and pandas). The package uses it only while the
fingerprint is the current one, otherwise it computes the terms live;
``tests/unit/test_nuclide_terms.py`` checks that the file is current and equals the live
computation. Floats are written with ``repr`` (exact round trip); NaN and infinity as
Python's ``json`` writes them (``NaN``, ``Infinity``).

Run from the repository root (seconds)::

    python chelscreen/data/build_nuclide_terms.py
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def _plain(v: Any) -> Any:
    """JSON value of ``v`` (numpy scalars as Python numbers)."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    raise TypeError(f"cannot write {type(v).__name__} {v!r}")


def _entry(df) -> dict[str, Any]:
    return {"rows": df.to_dict("records"), "attrs": dict(df.attrs)}


def bundled_names() -> list[str]:
    """The nuclides a screen of the bundled data meets: ``nuclides.csv``, the screen's
    default set and the radionuclides of the labeling and retention-evidence tables (their
    terms are computed when the labeling model and the structural calibration are fitted)."""
    import pandas as pd

    from chelscreen import decay
    from chelscreen._resources import molecules_dir
    from chelscreen.screening import THERAPY_SET

    names = list(decay._nuclide_table()) + list(THERAPY_SET)
    for table in ("labeling.csv", "retention_evidence.csv"):
        col = pd.read_csv(molecules_dir() / table, dtype=str)["radionuclide"]
        names += [n.strip() for n in col.dropna()]
    return list(dict.fromkeys(names))


def compute_terms(names: list[str] | None = None) -> dict[str, Any]:
    """``{nuclide: {"decay_chain", "daughter_fate", "dose_summary"}}`` computed live (the
    precomputed file switched off), for ``names`` (default :func:`bundled_names`), by
    canonical name. ``dose_summary`` holds the classes whose dose model runs (an element
    without biokinetic data has none: it is computed, and fails, live)."""
    from chelscreen import decay, dosimetry

    saved = decay.USE_PRECOMPUTED
    decay.USE_PRECOMPUTED = False
    try:
        out: dict[str, Any] = {}
        for text in names if names is not None else bundled_names():
            name = decay.normalize_nuclide(text)
            entry: dict[str, Any] = {}
            entry["decay_chain"] = _entry(decay.decay_chain(name))
            entry["daughter_fate"] = _entry(decay.daughter_fate(name))
            entry["dose_summary"] = {}
            for cls, chel in dosimetry.DOSE_SUMMARY_CLASSES.items():
                try:
                    entry["dose_summary"][cls] = dosimetry.daughter_dose_summary(name, chel,
                                                                                 "human")
                except Exception as exc:  # noqa: BLE001 - no biokinetic model: left live
                    print(f"{name}: no dose summary ({cls}): {exc}", file=sys.stderr)
            out[name] = entry
        return out
    finally:
        decay.USE_PRECOMPUTED = saved


def canonical_names(terms: dict[str, Any]) -> list[str]:
    """The names of ``terms`` that radioactivedecay's parser returns unchanged and that its
    ICRP-107 data hold."""
    import radioactivedecay as rd
    from radioactivedecay.utils import parse_nuclide_str

    out = []
    for name in terms:
        if parse_nuclide_str(name) == name:
            rd.Nuclide(name)  # raises for a name outside ICRP-107
            out.append(name)
    return sorted(out)


def build() -> dict[str, Any]:
    from chelscreen import decay

    terms = compute_terms()
    return {
        "what": ("default decay_chain, daughter_fate and daughter_dose_summary (human preset) "
                 "of every nuclide in nuclides.csv, computed by chelscreen's own code"),
        "generated_by": "python chelscreen/data/build_nuclide_terms.py",
        "generated_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decay_data": "ICRP-107 via radioactivedecay " + decay._rd_version(),
        "fingerprint": decay.terms_fingerprint(),
        "canonical": canonical_names(terms),
        "nuclides": terms,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("nuclide_terms.json")))
    args = ap.parse_args(argv)
    doc = build()
    text = json.dumps(doc, indent=1, default=_plain) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(doc['nuclides'])} nuclides, {len(text) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
