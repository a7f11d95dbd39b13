"""Tests of chelscreen.chem.standardize: salts, metals, neutralization, core, bad structures."""

from __future__ import annotations

import pytest
from rdkit import Chem

from chelscreen.chem.standardize import MAX_HEAVY_ATOMS, Standardized, ion_symbol, standardize
from chelscreen.errors import InvalidStructureError

DOTA = Chem.MolToSmiles(Chem.MolFromSmiles("OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"))
EDTA = Chem.MolToSmiles(Chem.MolFromSmiles("OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"))
# DOTA-(Tyr3)-octreotate, neutral acid form, written with the DOTA amide on D-Phe1
DOTATATE = (
    "C[C@@H](O)[C@H](NC(=O)[C@@H]1CSSC[C@H](NC(=O)[C@@H](Cc2ccccc2)NC(=O)CN2CCN(CC(=O)O)"
    "CCN(CC(=O)O)CCN(CC(=O)O)CC2)C(=O)N[C@@H](Cc2ccc(O)cc2)C(=O)N[C@H](Cc2c[nH]c3ccccc23)"
    "C(=O)N[C@@H](CCCCN)C(=O)N[C@@H]([C@@H](C)O)C(=O)N1)C(=O)O"
)


def smi(result: Standardized) -> str:
    return Chem.MolToSmiles(result.mol)


def std(text: str) -> Standardized:
    """Standardize a SMILES parsed without sanitization (the way read_ligands does)."""
    mol = Chem.MolFromSmiles(text, sanitize=False)
    assert mol is not None, text
    return standardize(mol)


# --- salts and counter-ions -----------------------------------------------------------------
def test_plain_dota_is_unchanged():
    r = std(DOTA)
    assert smi(r) == DOTA
    assert r.metals == []
    assert r.changes == []


def test_dota_tetrasodium_salt_gives_dota_acid():
    r = std("[O-]C(=O)CN1CCN(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1.[Na+].[Na+].[Na+].[Na+]")
    assert smi(r) == DOTA
    assert r.metals == []  # Na+ is a counter-ion, not a bound metal
    assert any("Na+ x4" in c for c in r.changes)
    assert any("neutralized 4" in c for c in r.changes)


def test_dota_tfa_salt_gives_dota():
    r = std(DOTA + ".OC(=O)C(F)(F)F.OC(=O)C(F)(F)F")
    assert smi(r) == DOTA
    assert any("C(F)(F)F x2" in c for c in r.changes)
    assert r.warnings == [] or all("core" in w for w in r.warnings)


@pytest.mark.parametrize(
    "salt, parent",
    [
        ("Cl.Cl.NCCN", "NCCN"),
        ("O.O.O.CC(=O)O", "CC(=O)O"),
        ("CC(=O)O[Na]", "CC(=O)O"),  # covalently written sodium salt
        ("[K+].[O-]C(=O)c1ccccn1", "O=C(O)c1ccccn1"),
        ("CS(=O)(=O)O.NCCN", "NCCN"),
    ],
)
def test_salts_solvents_and_counter_ions_are_stripped(salt, parent):
    r = std(salt)
    assert smi(r) == Chem.MolToSmiles(Chem.MolFromSmiles(parent))
    assert r.metals == []


# --- metal complexes --------------------------------------------------------------------------
def test_ionic_gd_dota_gives_dota_and_gd3():
    r = std("[O-]C(=O)CN1CCN(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1.[Gd+3]")
    assert smi(r) == DOTA
    assert r.metals == ["Gd3+"]


def test_dative_gd_dota_gives_dota_and_gd3():
    r = std("[O-]C(=O)CN1CCN(->[Gd+3])(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1")
    assert smi(r) == DOTA
    assert r.metals == ["Gd3+"]
    assert any("Gd3+" in c for c in r.changes)


def test_covalent_gd_o_bonds_give_dota_and_gd3():
    # three carboxylate O bound to a neutral Gd: Gd(III), the fourth arm is COOH
    r = std("O=C(O)CN1CCN(CC(=O)O7)CCN(CC(=O)O8)CCN(CC(=O)O9)CC1.[Gd]789")
    assert smi(r) == DOTA
    assert r.metals == ["Gd3+"]


def test_amine_n_with_plain_bond_to_metal_counts_as_dative():
    # N with three carbons and a plain bond to Cu: the bond gives Cu no charge
    r = std("CN(C)(C)[Cu+2]")
    assert smi(r) == "CN(C)C"
    assert r.metals == ["Cu2+"]


def test_calcium_edta_is_reported_as_bound_metal():
    r = std("[O-]C(=O)CN(CC([O-])=O)CCN(CC([O-])=O)CC([O-])=O.[Ca+2].[Na+].[Na+]")
    assert smi(r) == EDTA
    assert r.metals == ["Ca2+"]
    assert any("Na+ x2" in c for c in r.changes)


def test_ion_symbol():
    assert ion_symbol("Ac", 3) == "Ac3+"
    assert ion_symbol("Na", 1) == "Na+"
    assert ion_symbol("Cl", -1) == "Cl-"
    assert ion_symbol("Pb", 0) == "Pb"


# --- neutralization ---------------------------------------------------------------------------
def test_glycine_zwitterion_is_neutralized():
    r = std("[NH3+]CC([O-])=O")
    assert smi(r) == "NCC(=O)O"
    assert Chem.GetFormalCharge(r.mol) == 0


def test_edta_zwitterion_is_neutralized():
    r = std("OC(=O)C[NH+](CC(=O)[O-])CC[NH+](CC(=O)O)CC(=O)[O-]")
    assert smi(r) == EDTA


def test_phosphonate_phenolate_and_hydroxamate_are_protonated():
    r = std("[O-]P(=O)([O-])CN(C)C(=O)CCc1ccc([O-])cc1.CC(=O)N(C)[O-]")
    assert Chem.GetFormalCharge(r.mol) == 0
    assert r.mol.HasSubstructMatch(Chem.MolFromSmarts("P(=O)([OH])[OH]"))
    assert r.mol.HasSubstructMatch(Chem.MolFromSmarts("c[OH]"))


def test_hopo_and_n_oxide_and_nitro_are_kept_as_written():
    hopo = "O=C(O)c1cccc(=O)n1O"  # 1,2-HOPO acid
    assert smi(std(hopo)) == Chem.MolToSmiles(Chem.MolFromSmiles(hopo))
    n_oxide = "O=C(O)c1cccc[n+]1[O-]"  # picolinic acid N-oxide: no C-OH beside the N-oxide
    assert smi(std(n_oxide)) == Chem.MolToSmiles(Chem.MolFromSmiles(n_oxide))
    nitro = "O=C(O)c1ccc([N+](=O)[O-])cc1"
    assert smi(std(nitro)) == Chem.MolToSmiles(Chem.MolFromSmiles(nitro))
    for kept in ("Oc1cccc2cccnc12", "Cc1c(O)c(=O)ccn1C", "Oc1ccccc1O"):  # 8-HQ, deferiprone
        r = std(kept)
        assert smi(r) == Chem.MolToSmiles(Chem.MolFromSmiles(kept)) and not r.changes


# --- normal forms (DATA_AUDIT.md row 14) ----------------------------------------------------
XANTHOSINE_LACTAM = "OCC1OC(n2cnc3c(=O)[nH]c(=O)[nH]c32)C(O)C1O"


@pytest.mark.parametrize("drawing,normal", [
    # 1,2-HOPO as 2-hydroxypyridine N-oxide (NIST lists it under both drawings)
    ("[O-][n+]1ccccc1O", "O=c1ccccn1O"),
    ("[O-][n+]1ccccc1[O-].[Na+]", "O=c1ccccn1O"),
    ("CNC(=O)c1cccc(O)[n+]1[O-]", "CNC(=O)c1cccc(=O)n1O"),
    # inosine N1-oxide: the cyclic hydroxamic acid 1-hydroxyinosine
    ("[O-][n+]1cnc2c(ncn2C2OC(CO)C(O)C2O)c1O", "O=c1c2ncn(C3OC(CO)C(O)C3O)c2ncn1O"),
    # lactims: 2-hydroxypyridine, inosine, xanthosine (both lactims, either atom order)
    ("Oc1ccccn1", "O=c1cccc[nH]1"),
    ("OCC1OC(n2cnc3c(O)ncnc32)C(O)C1O", "OCC1OC(n2cnc3c(=O)[nH]cnc32)C(O)C1O"),
    ("OCC1OC(n2cnc3c(O)nc(O)nc32)C(O)C1O", XANTHOSINE_LACTAM),
    ("Oc1nc(O)c2ncn(C3OC(CO)C(O)C3O)c2n1", XANTHOSINE_LACTAM),
    (XANTHOSINE_LACTAM, XANTHOSINE_LACTAM),
    # 2,3-dihydroxypyridine is 3-hydroxy-2-pyridinone (a 3,2-HOPO)
    ("Oc1cccnc1O", "O=c1[nH]cccc1O"),
    ("Cc1ccnc(O)n1", "Cc1cc[nH]c(=O)n1"),
    ("Oc1nc(C)ccn1", "Cc1cc[nH]c(=O)n1"),   # the same molecule, its atoms in another order
])
def test_n_oxide_and_lactim_drawings_get_one_normal_form(drawing, normal):
    r = std(drawing)
    assert smi(r) == Chem.MolToSmiles(Chem.MolFromSmiles(normal))
    if drawing != normal:
        assert any("lactam" in c for c in r.changes)


def test_quaternary_ammonium_keeps_its_charge_and_says_so():
    r = std("C[N+](C)(C)CC([O-])=O")
    assert smi(r) == "C[N+](C)(C)CC(=O)O"
    assert any("net charge of +1" in c for c in r.changes)


def test_explicit_hydrogens_removed_and_stereo_kept():
    r = std("[H]OC(=O)[C@@H](N)C")
    assert smi(r) == Chem.MolToSmiles(Chem.MolFromSmiles("OC(=O)[C@@H](N)C"))
    assert "@" in smi(r)


def test_accepts_sanitized_mol_and_string():
    assert smi(standardize(Chem.MolFromSmiles(DOTA))) == DOTA
    assert smi(standardize(DOTA)) == DOTA


# --- chelating core -----------------------------------------------------------------------------
def test_plain_chelator_core_is_the_molecule():
    r = std(DOTA)
    assert Chem.MolToSmiles(r.core) == DOTA


def test_dotatate_core_is_dota_with_one_amide_arm():
    r = std(DOTATATE)
    assert r.mol.GetNumHeavyAtoms() > 90
    core = r.core
    assert core.GetNumHeavyAtoms() < 40
    cyclen = Chem.MolFromSmarts("N1CCNCCNCCNCC1")
    assert core.HasSubstructMatch(cyclen)
    cooh = Chem.MolFromSmarts("[CX3](=O)[OX2H1]")
    assert len(core.GetSubstructMatches(cooh)) == 3
    amide_arm = Chem.MolFromSmarts("[NX3;R]CC(=O)[NX3;!R]")
    assert len(core.GetSubstructMatches(amide_arm)) == 1


# --- bad structures -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, words",
    [
        ("[H][H]", ["no heavy atoms"]),
        ("C[As](C)C", ["unsupported element", "As"]),
        ("CC[Te]CC", ["unsupported element", "Te"]),
        ("C*", ["dummy", "'*'"]),
        ("[Na+].[Cl-]", ["no organic", "Na+"]),
        ("[Gd+3]", ["no organic", "Gd3+"]),
        ("CN(C)(C)(C)C", ["sanitize", "valence"]),
        ("c1cccc1", ["sanitize", "kekulize"]),
    ],
)
def test_bad_structures_raise_with_a_clear_message(text, words):
    with pytest.raises(InvalidStructureError) as info:
        std(text)
    msg = str(info.value)
    for w in words:
        assert w.lower() in msg.lower(), msg


def test_too_many_heavy_atoms():
    with pytest.raises(InvalidStructureError, match=str(MAX_HEAVY_ATOMS)):
        std("C" * (MAX_HEAVY_ATOMS + 1))
    assert std("C" * MAX_HEAVY_ATOMS).mol.GetNumHeavyAtoms() == MAX_HEAVY_ATOMS


def test_salt_with_big_ligand_is_measured_after_stripping():
    # 300 heavy atoms of ligand plus counter-ions is still accepted
    r = std("C" * 297 + "C(=O)[O-].[Na+]")
    assert r.mol.GetNumHeavyAtoms() == MAX_HEAVY_ATOMS


def test_empty_and_none_and_unparsable():
    with pytest.raises(InvalidStructureError, match="empty"):
        standardize(Chem.Mol())
    with pytest.raises(InvalidStructureError):
        standardize(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidStructureError, match="could not parse"):
        standardize("C1CC")


def test_mixture_of_large_molecules_warns():
    r = std(DOTA + "." + "CCCCCCCCCCCCCCCCCCCC")
    assert smi(r) == DOTA
    assert any("several sizeable molecules" in w for w in r.warnings)
