"""3D complex builder: donor choice, coordination and distances."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from chelscreen.errors import InvalidStructureError, UnsupportedMetalError
from chelscreen.simulate import build_complex

DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"


@pytest.fixture(scope="module")
def lu_dota():
    return build_complex(DOTA, "Lu3+", n_conformers=4, seed=42)


def test_lu_dota_is_n4o4(lu_dota):
    cx = lu_dota
    assert cx.cn_initial == 8
    assert sorted(t.split("_")[1] for t in cx.donor_types) == ["N"] * 4 + ["O"] * 4
    assert Chem.GetFormalCharge(cx.mol) == -4  # four carboxylates, as bound
    pos = cx.ligand_positions_A
    d = {i: float(np.linalg.norm(pos[i] - cx.metal_pos_A)) for i in cx.donor_idx}
    o = [v for i, v in d.items() if cx.mol.GetAtomWithIdx(i).GetSymbol() == "O"]
    n = [v for i, v in d.items() if cx.mol.GetAtomWithIdx(i).GetSymbol() == "N"]
    # Crystal structures have Lu-O ~2.25 and Lu-N ~2.5 A. The minimized model (12-6 HFE-set ion,
    # MMFF charges, 0 K) is ~0.3 A short on Lu-O: a known limitation, asserted as it is.
    assert all(1.85 < x < 2.4 for x in o), o
    assert all(2.2 < x < 2.9 for x in n), n
    assert max(n) > max(o)  # amine N sit further out than carboxylate O
    assert cx.warnings == []
    assert cx.ion.lj_source.startswith("Li/Merz")


def test_build_reproducible(lu_dota):
    again = build_complex(DOTA, "Lu3+", n_conformers=4, seed=42)
    assert np.allclose(again.ligand_positions_A, lu_dota.ligand_positions_A, atol=1e-4)
    assert again.energy_kJ_mol == pytest.approx(lu_dota.energy_kJ_mol, abs=1e-3)


def test_write_pdb_sdf(lu_dota, tmp_path):
    pdb = lu_dota.write_pdb(tmp_path / "x" / "lu_dota.pdb")
    sdf = lu_dota.write_sdf(tmp_path / "lu_dota.sdf")
    text = pdb.read_text()
    assert "LU" in text.upper() and text.count("HETATM") + text.count("ATOM") == lu_dota.n_atoms
    mol = next(iter(Chem.SDMolSupplier(str(sdf), removeHs=False, sanitize=False)))
    assert mol.GetNumAtoms() == lu_dota.n_atoms
    assert mol.GetProp("ion") == "Lu3+"
    n_dative = sum(b.GetBondType() == Chem.BondType.DATIVE for b in mol.GetBonds())
    assert n_dative == lu_dota.cn_initial


def test_fallback_ion_is_flagged():
    cx = build_complex(EDTA, "Ac-225", n_conformers=2)
    assert cx.ion.ion == "Ac3+"
    assert any("fallback" in w for w in cx.warnings)
    assert cx.cn_initial >= 5


def test_bad_inputs():
    with pytest.raises(InvalidStructureError):
        build_complex("not a smiles((", "Lu3+")
    with pytest.raises(InvalidStructureError, match="no donor"):
        build_complex("CCCC", "Lu3+")
    with pytest.raises(UnsupportedMetalError):
        build_complex(EDTA, "Xx3+")
