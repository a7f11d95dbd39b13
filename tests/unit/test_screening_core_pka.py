"""A conjugate's protonation constants are its chelating core's (issue 10 §1)."""

from __future__ import annotations

from chelscreen.screening import _ligand_structure

EDTA = "O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CC(=O)O"
# EDTA mono-amide of a lysine-containing peptide stub: extra amines/acids outside the core
CONJ = "O=C(O)CN(CCN(CC(=O)O)CC(=O)NCCCCC(N)C(=O)NC(CCCCN)C(=O)O)CC(=O)O"
CORE = "CNC(=O)CN(CCN(CC(=O)O)CC(=O)O)CC(=O)O"


def test_conjugate_uses_core_constants():
    plain = _ligand_structure(CONJ)
    with_core = _ligand_structure(CONJ, CORE)
    core_only = _ligand_structure(CORE)
    assert with_core["pKa_values"] == core_only["pKa_values"]
    assert with_core["pKa_values"] != plain["pKa_values"]  # peptide amines no longer counted
    # NOTA has a complete measured list (EDTA's is flagged incomplete: estimate used)
    nota = "O=C(O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    measured = _ligand_structure(nota, nota)
    assert measured["pKa_source"].startswith("measured")
