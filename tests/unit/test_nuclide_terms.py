"""``chelscreen/data/nuclide_terms.json`` is current and equals the live decay computation.

The file holds the default ``decay_chain``/``daughter_fate`` tables and the report's dose
summaries of the bundled data's nuclides, so that a screen and its report need not import
radioactivedecay (issue 16). It is used only while its fingerprint (code, tables, package
versions) is the current one; these tests fail when it is stale or differs from the live
computation: rebuild it with ``python chelscreen/data/build_nuclide_terms.py``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from chelscreen import decay, dosimetry, metals

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "chelscreen" / "data" / "build_nuclide_terms.py"
REBUILD = "rebuild it: python chelscreen/data/build_nuclide_terms.py"


def _doc() -> dict:
    return json.loads((ROOT / "chelscreen" / "data" / decay.TERMS_FILE).read_text())


def _builder():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_nuclide_terms", BUILD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def test_the_file_is_current_and_covers_the_bundled_nuclides():
    doc = _doc()
    assert doc["fingerprint"] == decay.terms_fingerprint(), f"nuclide_terms.json is stale; {REBUILD}"
    names = {decay.normalize_nuclide(n) for n in _builder().bundled_names()}
    assert names == set(doc["nuclides"]), REBUILD
    assert decay.precomputed("Ac-225", "daughter_fate") is not None


def test_precomputed_terms_equal_the_live_computation(monkeypatch):
    """Every nuclide's tables (values, dtypes, column order, attrs) and dose summaries as the
    live code computes them now, and the canonical names as radioactivedecay reads them."""
    doc = _doc()
    live = _builder().compute_terms(list(doc["nuclides"]))
    assert decay.USE_PRECOMPUTED
    for name, entry in live.items():
        for kind in ("decay_chain", "daughter_fate"):
            got = getattr(decay, kind)(name)  # from the file
            expect = decay._frame(entry[kind])
            pd.testing.assert_frame_equal(got, expect, check_exact=True, obj=f"{kind}({name})")
            assert _same(got.attrs, expect.attrs), (kind, name)
        for cls in dosimetry.DOSE_SUMMARY_CLASSES:
            assert _same(doc["nuclides"][name]["dose_summary"].get(cls),
                         entry["dose_summary"].get(cls)), (name, cls)
    assert doc["canonical"] == _builder().canonical_names(live)
    # the file's rows are what the live code gives, not what the live code read from the file
    monkeypatch.setattr(decay, "USE_PRECOMPUTED", False)
    pd.testing.assert_frame_equal(decay.daughter_fate("Pb-212"),
                                  decay._frame(doc["nuclides"]["Pb-212"]["daughter_fate"]),
                                  check_exact=True)


def test_dose_summary_of_any_dota_type_chelator_is_the_precomputed_one(monkeypatch):
    """The report's dose sentence of a DOTA-type chelator reads the precomputed DOTA-type
    summary: the live value of other DOTA-type chelators (a conjugate SMILES, the library
    name) is the same (the chelator enters only through its class)."""
    conj = ("OC(=O)CN1CCN(CC(=O)NCCCC(=O)NCC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1")
    for nuc in ("Pb-212", "Ac-225", "Lu-177"):
        pre = dosimetry.daughter_dose_summary(nuc, conj, "human")
        monkeypatch.setattr(decay, "USE_PRECOMPUTED", False)
        for chel in (conj, "DOTA"):
            assert _same(dosimetry.daughter_dose_summary.__wrapped__(nuc, chel, "human"), pre)
        monkeypatch.setattr(decay, "USE_PRECOMPUTED", True)


def test_a_stale_file_is_not_used(monkeypatch):
    decay._precomputed.cache_clear()
    try:
        monkeypatch.setattr(decay, "terms_fingerprint", lambda: {"changed": "yes"})
        assert decay.precomputed("Ac-225", "decay_chain") is None
        assert decay.precomputed_canonical() == frozenset()
    finally:
        decay._precomputed.cache_clear()


@pytest.mark.parametrize("name", ["Ce-134", "Sc-43", "Ho-166", "Tc-99m"])
def test_canonical_names_read_without_radioactivedecay_equal_its_reading(name, monkeypatch):
    assert name in decay.precomputed_canonical()
    expect = metals.parse_nuclide(name), metals.known_nuclide(name)
    monkeypatch.setattr(decay, "USE_PRECOMPUTED", False)
    assert (metals.parse_nuclide(name), metals.known_nuclide(name)) == expect == (name, True)


def test_a_screen_and_its_report_do_not_import_radioactivedecay(tmp_path):
    """A screen of SMILES (no library chelator needs its own daughter terms) of the default
    radionuclides, with its report, runs without radioactivedecay or sympy (before: both
    imported for the daughter terms, half-lives, nuclide names and the report's chains)."""
    code = (
        "import sys, chelscreen\n"
        "smi = ['OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1',"
        " 'OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1']\n"
        f"chelscreen.screen(smi, None, out={str(tmp_path)!r}, progress=False, load=False)\n"
        "print(sorted(m for m in ('radioactivedecay', 'sympy') if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout
    assert (tmp_path / "report.html").exists() and (tmp_path / "top.sdf").exists()
