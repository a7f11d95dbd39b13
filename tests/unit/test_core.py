"""Chelating-core detection inside bioconjugates."""

from __future__ import annotations

import pytest
from rdkit import Chem
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from chelscreen.chem.core import find_chelating_core
from chelscreen.chem.donors import n_donors

DOTA = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"
# DOTA-D-Phe-Cys-Tyr-D-Trp-Lys-Thr-Cys-Thr-OH (stereo omitted)
DOTATATE = (
    "OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O)NC(Cc2ccccc2)C(=O)NC(CS%10)C(=O)NC(Cc6ccc(O)cc6)C(=O)"
    "NC(Cc4c[nH]c5ccccc45)C(=O)NC(CCCCN)C(=O)NC(C(C)O)C(=O)NC(CS%10)C(=O)NC(C(C)O)C(O)=O)"
    "CCN(CC(O)=O)CC1")
# DOTATOC: Tyr3-octreotide, C-terminal threoninol
DOTATOC = (
    "OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O)NC(Cc2ccccc2)C(=O)NC(CS%10)C(=O)NC(Cc6ccc(O)cc6)C(=O)"
    "NC(Cc4c[nH]c5ccccc45)C(=O)NC(CCCCN)C(=O)NC(C(C)O)C(=O)NC(CS%10)C(=O)NC(C(C)O)CO)"
    "CCN(CC(O)=O)CC1")
PSMA617 = (
    "OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O)NCC2CCC(CC2)C(=O)NC(Cc3ccc4ccccc4c3)C(=O)NCCCCC("
    "NC(=O)NC(CCC(O)=O)C(O)=O)C(O)=O)CCN(CC(O)=O)CC1")
DOTA_AMIDE_CORE = "CNC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
# synthetic conjugates (not literature compounds): chelator - linker - peptide
NODAGA_PEPTIDE = ("OC(=O)CN1CCN(CC(O)=O)CCN(C(CCC(=O)NC(Cc2ccccc2)C(=O)NC(CCCCN)C(=O)NCC(O)=O)"
                  "C(O)=O)CC1")
MACROPA_THIOUREA = ("OC(=O)c1cc(-c2ccc(NC(=S)NCCCCC(N)C(=O)NCC(=O)NCC(O)=O)cc2)"
                    "cc(CN2CCOCCOCCN(Cc3cccc(C(O)=O)n3)CCOCCOCC2)n1")
DFO_THIOUREA = ("CC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=S)Nc1ccc("
                "CC(=O)NCC(=O)NC(CCCCN)C(=O)NCC(O)=O)cc1")


def _canon(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


@pytest.mark.parametrize("smiles,formula", [
    (DOTATATE, "C65H90N14O19S2"), (DOTATOC, "C65H92N14O18S2"), (PSMA617, "C49H71N9O16")])
def test_dota_conjugates_give_dota_monoamide_core(smiles, formula):
    mol = Chem.MolFromSmiles(smiles)
    assert CalcMolFormula(mol) == formula
    core, info = find_chelating_core(mol)
    assert info["is_conjugate"] is True
    assert Chem.MolToSmiles(core) == _canon(DOTA_AMIDE_CORE) == info["core_smiles"]
    assert core is not mol
    assert info["n_donors"] == 8 == n_donors(core)
    assert info["n_donors_total"] > 8  # peptide donors are seen but not used
    assert info["n_heavy_removed"] == mol.GetNumHeavyAtoms() - core.GetNumHeavyAtoms()
    # the atom map points back at the same elements
    for new, old in enumerate(info["atom_map"]):
        assert core.GetAtomWithIdx(new).GetSymbol() == mol.GetAtomWithIdx(old).GetSymbol()


@pytest.mark.parametrize("smiles", [
    DOTA,
    "OC(=O)CCC(N1CCN(CC(O)=O)CCN(CC(O)=O)CC1)C(O)=O",  # NODAGA: glutaric handle kept
    "CC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCN",  # DFO
    "C1COCCOCCOCCOCCOCCO1",
    # two benzyl groups on the DOTA backbone: 14 atoms cut, but in two pieces - not a conjugate
    "OC(=O)CN1CC(Cc2ccccc2)N(CC(O)=O)CC(Cc2ccccc2)N(CC(O)=O)CCN(CC(O)=O)CC1",
    # p-SCN-Bn-DOTA: a small bifunctional handle, still its own core
    "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)C(Cc2ccc(N=C=S)cc2)CN(CC(O)=O)CC1",
])
def test_plain_chelator_is_its_own_core(smiles):
    mol = Chem.MolFromSmiles(smiles)
    core, info = find_chelating_core(mol)
    assert info["is_conjugate"] is False
    assert core is mol  # the molecule itself, no copy
    assert info["core_smiles"] is None


@pytest.mark.parametrize("smiles,expected_core,n", [
    (NODAGA_PEPTIDE, "CC(C(=O)O)N1CCN(CC(=O)O)CCN(CC(=O)O)CC1", 6),
    (MACROPA_THIOUREA, "Cc1cc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)nc(C(=O)O)c1", 10),
    (DFO_THIOUREA, "CC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(C)O", 6),
])
def test_other_conjugates(smiles, expected_core, n):
    core, info = find_chelating_core(Chem.MolFromSmiles(smiles))
    assert info["is_conjugate"] is True
    assert Chem.MolToSmiles(core) == _canon(expected_core)
    assert n_donors(core) == n


def test_no_donor_molecule_is_its_own_core():
    core, info = find_chelating_core(Chem.MolFromSmiles("CCCCCCCCCC"))
    assert info["is_conjugate"] is False and info["n_donors"] == 0


def test_none_is_rejected():
    with pytest.raises(ValueError, match="None"):
        find_chelating_core(None)


BOUND_CASES = [
    DOTA, DOTATATE, DOTATOC, PSMA617, NODAGA_PEPTIDE, MACROPA_THIOUREA, DFO_THIOUREA,
    # plain chelators with aryl handles on the backbone / on a pyridine (not conjugates)
    "OC(=O)CN1CC(Cc8ccccc8)N(CC(O)=O)CC(Cc9ccc(N=C=S)cc9)N(CC(O)=O)CCN(CC(O)=O)CC1",
    "OC(=O)c1cc(CCc8ccccc8)cc(CNCCNCc2cc(CCCl)cc(C(O)=O)n2)n1",
    "OC(=O)CN(CC(O)=O)C(Cc8ccc(OC)cc8)C(C9CCCCC9)N(CC(O)=O)CC(O)=O",
    "OC(=O)CN(CC(O)=O)CCCCCCCCCCCCCCN(CC(O)=O)CC(O)=O",
    "CCCCCCCCCCCCCCCC(=O)O", "c1ccncc1", "CCCC",
]


@pytest.mark.parametrize("smiles", BOUND_CASES)
def test_conjugate_precheck_is_an_upper_bound(smiles):
    # the cheap pre-check may only skip molecules the full core search calls non-conjugates
    from chelscreen.chem.core import (
        MIN_REMOVED_HEAVY_ATOMS,
        _largest_fragment,
        _largest_piece_bound,
        core_atoms,
    )
    from chelscreen.chem.donors import analyse

    mol = Chem.MolFromSmiles(smiles)
    bound = _largest_piece_bound(mol, analyse(mol))
    kept, caps, _ = core_atoms(mol)
    removed = [i for i in range(mol.GetNumAtoms()) if i not in kept | caps]
    largest = _largest_fragment(mol, removed)
    assert largest <= bound
    core, info = find_chelating_core(mol)
    assert info["is_conjugate"] == (largest >= MIN_REMOVED_HEAVY_ATOMS)
    if bound < MIN_REMOVED_HEAVY_ATOMS:
        assert core is mol and info["core_smiles"] is None
