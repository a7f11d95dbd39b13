"""Donor perception and denticity (n_donors) of reference chelators.

SMILES are written here (neutral acid forms); each is checked against its molecular formula so a
wrong structure fails the test rather than silently passing.
"""

from __future__ import annotations

from collections import Counter

import pytest
from rdkit import Chem
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from chelscreen.chem.donors import DONOR_HARDNESS, chelating_unit, n_donors, perceive_donors

# name: (SMILES, molecular formula, n_donors, donor-type counts of the chelating unit)
REFERENCE = {
    "DOTA": ("OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1", "C16H28N4O8", 8,
             {"amine_N": 4, "carboxylate_O": 4}),
    "NOTA": ("OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CC1", "C12H21N3O6", 6,
             {"amine_N": 3, "carboxylate_O": 3}),
    "EDTA": ("OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O", "C10H16N2O8", 6,
             {"amine_N": 2, "carboxylate_O": 4}),
    "DTPA": ("OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC(O)=O", "C14H23N3O10", 8,
             {"amine_N": 3, "carboxylate_O": 5}),
    "TETA": ("OC(=O)CN1CCCN(CC(O)=O)CCN(CC(O)=O)CCCN(CC(O)=O)CC1", "C18H32N4O8", 8,
             {"amine_N": 4, "carboxylate_O": 4}),
    "DOTAM": ("NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1", "C16H32N8O4", 8,
              {"amine_N": 4, "amide_O": 4}),
    "macropa": ("OC(=O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(O)=O)n3)CCOCCOCC2)n1", "C26H36N4O8", 10,
                {"amine_N": 2, "ether_O": 4, "pyridine_N": 2, "carboxylate_O": 2}),
    "H4octapa": ("OC(=O)CN(Cc1cccc(C(O)=O)n1)CCN(CC(O)=O)Cc1cccc(C(O)=O)n1", "C20H22N4O8", 8,
                 {"amine_N": 2, "pyridine_N": 2, "carboxylate_O": 4}),
    "DFO": ("CC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCN", "C25H48N6O8", 6,
            {"hydroxamate_O": 6}),
    "18-crown-6": ("C1COCCOCCOCCOCCOCCO1", "C12H24O6", 6, {"ether_O": 6}),
    "cyclen": ("C1CNCCNCCNCCN1", "C8H20N4", 4, {"amine_N": 4}),
    "cryptand[2.2.2]": ("C1COCCOCCN2CCOCCOCCN1CCOCCOCC2", "C18H36N2O6", 8,
                        {"amine_N": 2, "ether_O": 6}),
    "NODAGA": ("OC(=O)CCC(N1CCN(CC(O)=O)CCN(CC(O)=O)CC1)C(O)=O", "C15H25N3O8", 6,
               {"amine_N": 3, "carboxylate_O": 3}),
    "HEHA": ("OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1",
             "C24H42N6O12", 12, {"amine_N": 6, "carboxylate_O": 6}),
    "3,4,3-LI(1,2-HOPO)": (
        "O=C(c1cccc(=O)n1O)NCCCN(CCCCN(CCCNC(=O)c1cccc(=O)n1O)C(=O)c1cccc(=O)n1O)"
        "C(=O)c1cccc(=O)n1O", "C34H38N8O12", 8, {"hopo_O": 8}),
    # DOTATATE: DOTA-D-Phe-Cys-Tyr-D-Trp-Lys-Thr-Cys-Thr-OH (stereo omitted; formula checked)
    "DOTATATE": (
        "OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O)NC(Cc2ccccc2)C(=O)NC(CS%10)C(=O)NC(Cc6ccc(O)cc6)C(=O)"
        "NC(Cc4c[nH]c5ccccc45)C(=O)NC(CCCCN)C(=O)NC(C(C)O)C(=O)NC(CS%10)C(=O)NC(C(C)O)C(O)=O)"
        "CCN(CC(O)=O)CC1", "C65H90N14O19S2", 8,
        {"amine_N": 4, "carboxylate_O": 3, "amide_O": 1}),
}


@pytest.mark.parametrize("name", list(REFERENCE))
def test_reference_denticity(name):
    smiles, formula, expected, types = REFERENCE[name]
    mol = Chem.MolFromSmiles(smiles)
    assert CalcMolFormula(mol) == formula, f"{name}: test SMILES has the wrong formula"
    unit = chelating_unit(mol)
    assert unit.n_donors == expected
    assert n_donors(mol) == expected
    assert dict(Counter(d.donor_type for d in unit.donors)) == types


def test_carboxylic_acid_counts_one_donor_and_group_atoms():
    donors = perceive_donors(Chem.MolFromSmiles("CC(=O)O"))
    assert len(donors) == 1
    d = donors[0]
    assert d.donor_type == "carboxylate_O" and d.hardness == "hard"
    assert len(d.group_atoms) == 3  # C, O, O


def test_hydroxamate_gives_two_donors_in_one_group():
    donors = perceive_donors(Chem.MolFromSmiles("CC(=O)N(C)O"))
    assert [d.donor_type for d in donors] == ["hydroxamate_O", "hydroxamate_O"]
    assert donors[0].group_id == donors[1].group_id
    assert all(d.element == "O" for d in donors)  # the hydroxamate N is no donor


@pytest.mark.parametrize("smiles,subtype", [
    ("O=c1ccccn1O", "1,2"),          # 1-hydroxy-2-pyridinone
    ("[O-][n+]1ccccc1O", "1,2"),     # the same, drawn as 2-hydroxypyridine N-oxide (NIST has both)
    ("CNC(=O)c1cccc(O)[n+]1[O-]", "1,2"),  # a 1,2-HOPO-6-carboxamide unit, N-oxide drawing
    ("Cn1cccc(O)c1=O", "3,2"),       # 3-hydroxy-1-methyl-2-pyridinone
    ("Cc1c(O)c(=O)ccn1C", "3,4"),    # deferiprone
])
def test_hopo_isomers(smiles, subtype):
    donors = [d for d in perceive_donors(Chem.MolFromSmiles(smiles)) if d.donor_type != "amide_O"]
    assert [d.donor_type for d in donors] == ["hopo_O", "hopo_O"]
    assert {d.subtype for d in donors} == {subtype}


def test_amine_subtypes_and_amide_n_not_donor():
    mol = Chem.MolFromSmiles("NCCNCCN(C)CC(=O)NC")
    donors = perceive_donors(mol)
    subtypes = sorted(d.subtype for d in donors if d.donor_type == "amine_N")
    assert subtypes == ["primary", "secondary", "tertiary"]
    n_amide = [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() == "N"][-1]
    assert n_amide not in {d.atom_idx for d in donors}
    assert "amide_O" in {d.donor_type for d in donors}


@pytest.mark.parametrize("smiles,types", [
    ("c1ccncc1", ["pyridine_N"]),
    ("c1c[nH]cn1", ["imidazole_N"]),           # pyrrole-type N-H is no donor
    ("c1cc[nH]c1", []),
    ("CSC", ["thioether_S"]),
    ("CCS", ["thiolate_S"]),
    ("CSSC", []),                             # disulfide
    ("CNC(=S)Nc1ccccc1", []),                 # thiourea (NCS conjugation product)
    ("S=C=Nc1ccccc1", []),                    # isothiocyanate
    ("Oc1ccccc1O", ["catecholate_O", "catecholate_O"]),
    ("Oc1ccccc1", ["phenolate_O"]),
    ("CP(=O)(O)O", ["phosphonate_O"]),
    ("CP(C)(=O)O", ["phosphinate_O"]),
    ("CC(=O)OC", []),                         # ester O is no donor
    ("CC=NO", ["imine_N"]),
    ("CP(C)C", ["phosphine_P"]),
])
def test_donor_typing(smiles, types):
    assert sorted(d.donor_type for d in perceive_donors(Chem.MolFromSmiles(smiles))) == types


def test_hardness_classes_cover_all_types():
    assert set(DONOR_HARDNESS.values()) == {"hard", "borderline", "soft"}
    donors = perceive_donors(Chem.MolFromSmiles("CSCCN(CCc1ccccn1)CC(=O)O"))
    by_type = {d.donor_type: d.hardness for d in donors}
    assert by_type == {"thioether_S": "soft", "amine_N": "hard", "pyridine_N": "borderline",
                       "carboxylate_O": "hard"}


def test_peptide_backbone_and_far_acid_are_not_counted():
    # NODAGA's glutaric gamma-acid (conjugation handle) and a lone acetic acid: not in the unit
    mol = Chem.MolFromSmiles(REFERENCE["NODAGA"][0])
    unit = chelating_unit(mol)
    assert len(unit.all_donors) == 7 and unit.n_donors == 6
    # Ala-Ala-Ala: no chelating set beyond the N-terminal glycinamide-like pair
    assert n_donors(Chem.MolFromSmiles("CC(N)C(=O)NC(C)C(=O)NC(C)C(=O)NC")) == 2


def test_monodentate_and_no_donor():
    assert n_donors(Chem.MolFromSmiles("c1ccncc1")) == 1
    assert n_donors(Chem.MolFromSmiles("CCCC")) == 0


def test_bis_chelator_counts_one_unit():
    # two DO3A units joined by a C12 chain (N-alkylated): one metal uses one DO3A unit
    mol = Chem.MolFromSmiles(
        "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CCCCCCCCCCCCN2CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)"
        "CC2)CC1")
    assert mol is not None
    assert n_donors(mol) == 7
    assert len(chelating_unit(mol).all_donors) == 14


def test_none_is_rejected():
    with pytest.raises(ValueError, match="None"):
        perceive_donors(None)


def _labeling_smiles(chelator: str) -> str:
    import pandas as pd

    from chelscreen._resources import molecules_dir

    lab = pd.read_csv(molecules_dir() / "labeling.csv", dtype=str, keep_default_na=False)
    return lab.loc[lab["chelator"] == chelator, "chelator_smiles"].iloc[0]


def test_tripodal_hopo_thp_is_hexadentate():
    # THP: three 3,4-HOPO arms on a tripodal scaffold, 16-18 bonds apart (beyond the 14-bond
    # merge limit of other clusters): one metal uses all three O,O pairs
    mol = Chem.MolFromSmiles(_labeling_smiles("THP"))
    unit = chelating_unit(mol)
    assert unit.n_donors == 6
    assert Counter(d.donor_type for d in unit.donors) == {"hopo_O": 6}
    assert len({d.group_id for d in unit.donors}) == 3
    assert {d.subtype for d in unit.donors} == {"3,4"}
    # the reference podands keep their denticity
    assert n_donors(Chem.MolFromSmiles(REFERENCE["3,4,3-LI(1,2-HOPO)"][0])) == 8
    assert n_donors(Chem.MolFromSmiles(REFERENCE["DFO"][0])) == 6


def test_far_apart_hopo_units_are_not_merged():
    # two 1,2-HOPO amides joined by a C22 chain (> 20 bonds): a metal binds one of them
    far = "O=C(NCCCCCCCCCCCCCCCCCCCCCCNC(=O)c1cccc(=O)n1O)c1cccc(=O)n1O"
    near = "O=C(NCCCCCCNC(=O)c1cccc(=O)n1O)c1cccc(=O)n1O"
    assert n_donors(Chem.MolFromSmiles(far)) == 2
    assert n_donors(Chem.MolFromSmiles(near)) == 4


# ---- look-alikes of the bidentate O,O donors (issue 10 §1): each must be typed for what it is
@pytest.mark.parametrize("name,smiles,expected", [
    ("squaric acid", "OC1=C(O)C(=O)C1=O", {"phenolate_O": 2}),
    ("croconic acid", "OC1=C(O)C(=O)C(=O)C1=O", {"phenolate_O": 2}),
    ("rhodizonic acid", "OC1=C(O)C(=O)C(=O)C(=O)C1=O", {"phenolate_O": 2}),
    ("2-hydroxy-1,4-benzoquinone", "OC1=CC(=O)C=CC1=O", {}),
    ("tropolone", "O=C1C=CC=CC=C1O", {"phenolate_O": 1}),
    ("maltol", "CC1=C(O)C(=O)C=CO1", {"hopo_O": 2}),
    ("kojic acid", "OCC1=CC(=O)C(O)=CO1", {"hopo_O": 2, "alcohol_O": 1}),
    ("deferiprone", "CC1=C(O)C(=O)C=CN1C", {"hopo_O": 2}),
    ("catechol", "Oc1ccccc1O", {"catecholate_O": 2}),
    ("acetohydroxamic acid", "CC(=O)NO", {"hydroxamate_O": 2}),
    ("N-methylacetohydroxamic acid", "CC(=O)N(C)O", {"hydroxamate_O": 2}),
    ("N-hydroxysuccinimide", "O=C1CCC(=O)N1O", {"amide_O": 2}),
    ("O-methyl hydroxamate", "CC(=O)NOC", {"amide_O": 1}),
])
def test_oxo_donor_look_alikes(name, smiles, expected):
    donors = perceive_donors(Chem.MolFromSmiles(smiles))
    assert dict(Counter(d.donor_type for d in donors)) == expected, name


def test_pyrone_subtype_and_pyridinone_subtype_differ():
    maltol = perceive_donors(Chem.MolFromSmiles("CC1=C(O)C(=O)C=CO1"))
    dfp = perceive_donors(Chem.MolFromSmiles("CC1=C(O)C(=O)C=CN1C"))
    assert {d.subtype for d in maltol} == {"3,4-pyrone"}
    assert {d.subtype for d in dfp} == {"3,4"}


@pytest.mark.parametrize("smiles", [
    *(v[0] for v in REFERENCE.values()),
    "OP(=O)(O)CN(CP(C)(=O)O)Cc1ccccn1", "Oc1ccccc1O", "CSCCSc1ccccc1S", "CC(=O)N(O)C",
    "O=c1ccccn1O", "[O-][n+]1ccccc1", "C[NH3+]", "CP(C)C", "CC=NO", "c1c[nH]cn1",
])
def test_donor_records_the_atom_it_sits_on(smiles):
    """Element, H count and charge recorded by the perception are those of the atom (the
    element comes from the rule's type, the charge estimate reads the H count and charge)."""
    mol = Chem.MolFromSmiles(smiles)
    donors = perceive_donors(mol)
    assert donors
    for d in donors:
        atom = mol.GetAtomWithIdx(d.atom_idx)
        assert (d.element, d.n_hs, d.charge) == (
            atom.GetSymbol(), atom.GetTotalNumHs(), atom.GetFormalCharge())
        assert d.hardness == DONOR_HARDNESS[d.donor_type]
