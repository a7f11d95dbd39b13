"""An incomplete measured protonation list falls back to the structural estimate (issue 11).

The stability model's protonation table stores an incomplete measured list (e.g. DOTA: three
steps for four basic amines) with empty ``logKH_steps`` and the note "estimate used". Read as
NaN, it made ``log αL(H)`` NaN and the pM uncorrected (log αL = 0), which put DOTA first for
Ra²⁺ on a conditional constant no stronger than its overall constant.
"""

from __future__ import annotations

import math

from chelscreen.rank import estimate_pkas, log_alpha_ligand
from chelscreen.screening import _ligand_structure, _protonation_table

DOTA = "O=C(O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"


def test_protonation_table_holds_only_finite_lists() -> None:
    table = _protonation_table()
    assert table  # the bundled model ships the table: the test can fail
    assert all(vals and all(math.isfinite(v) for v in vals) for vals in table.values())


def test_dota_alpha_keeps_the_measured_steps_and_estimates_only_the_missing_one() -> None:
    # DOTA's NIST list (9.69, 4.47, 4.23) lacks the most basic step. Replacing the whole list by
    # the structural estimate (11.5, 7.5) put a 7.5 beside the measured 9.69 and made log αL
    # 1.9 units too small (pM of every cyclen-acetate ~2 units too high against ligands with
    # complete measured lists, review H5). The measured steps stay; the estimate adds 11.5.
    from rdkit import Chem

    st = _ligand_structure(DOTA)
    assert st["pKa_values"] == "11.50,9.69,4.47,4.23"
    assert st["pKa_source"].startswith("measured steps") and "estimated" in st["pKa_source"]
    est = estimate_pkas(Chem.MolFromSmiles(DOTA))
    assert st["log_alphaL_pH7_4"] == log_alpha_ligand([11.5, 9.69, 4.47, 4.23])
    assert st["log_alphaL_pH7_4"] > log_alpha_ligand(est) + 1.5


def test_complete_pkas_adds_only_steps_more_basic_than_the_measured_ones() -> None:
    from chelscreen.screening import complete_pkas

    assert complete_pkas([9.69, 4.47, 4.23], [11.5, 7.5]) == [11.5, 9.69, 4.47, 4.23]
    assert complete_pkas([9.4, 8.0], [9.0, 6.5]) == [9.4, 8.0]  # nothing more basic: as measured
