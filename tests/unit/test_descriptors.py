"""2D ligand features and the batch describe()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from chelscreen.chem.descriptors import (
    FEATURE_COLUMNS,
    PUCKER_FACTOR,
    cavity_radius_pm,
    describe,
    ligand_features,
)
from chelscreen.chem.standardize import standardize

SMILES = {
    "DOTA": "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1",
    "NOTA": "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CC1",
    "EDTA": "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O",
    "DTPA": "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC(O)=O",
    "TETA": "OC(=O)CN1CCCN(CC(O)=O)CCN(CC(O)=O)CCCN(CC(O)=O)CC1",
    "macropa": "OC(=O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(O)=O)n3)CCOCCOCC2)n1",
    "H4octapa": "OC(=O)CN(Cc1cccc(C(O)=O)n1)CCN(CC(O)=O)Cc1cccc(C(O)=O)n1",
    "DFO": "CC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCNC(=O)CCC(=O)N(O)CCCCCN",
    "18-crown-6": "C1COCCOCCOCCOCCOCCO1",
    "cryptand": "C1COCCOCCN2CCOCCOCCN1CCOCCOCC2",
    "CHX-DTPA": "OC(=O)CN(CC(O)=O)CC(C)N(CC(O)=O)C1CCCCC1N(CC(O)=O)CC(O)=O",
    "DOTP": "O=P(O)(O)CN1CCN(CP(=O)(O)O)CCN(CP(=O)(O)O)CCN(CP(=O)(O)O)CC1",
    "HOPO": "O=c1ccccn1O",
    "CB-TE2A": "OC(=O)CN1CCCN2CCN(CC(O)=O)CCCN(CC2)CC1",
}


def feats(name: str) -> dict:
    return ligand_features(Chem.MolFromSmiles(SMILES[name]))


def test_feature_keys_and_types():
    f = feats("DOTA")
    assert list(f) == FEATURE_COLUMNS
    for k, v in f.items():
        if k == "preorganization":
            assert isinstance(v, str)
        else:
            assert isinstance(v, (int, float, np.integer, np.floating)), k


@pytest.mark.parametrize("name,n5,n6", [("EDTA", 5, 0), ("DOTA", 8, 0), ("TETA", 6, 2),
                                        ("DTPA", 7, 0), ("DFO", 3, 0)])
def test_chelate_ring_counts(name, n5, n6):
    f = feats(name)
    assert (f["n_chelate_ring_5"], f["n_chelate_ring_6"]) == (n5, n6)


@pytest.mark.parametrize("name,size,in_ring,pre", [
    ("DOTA", 12, 4, "macrocyclic"), ("NOTA", 9, 3, "macrocyclic"), ("TETA", 14, 4, "macrocyclic"),
    ("macropa", 18, 6, "macrocyclic"), ("18-crown-6", 18, 6, "macrocyclic"),
    ("cryptand", 18, 8, "macrobicyclic"), ("EDTA", 0, 0, "acyclic"), ("DFO", 0, 0, "acyclic"),
    ("CB-TE2A", 14, 4, "macrobicyclic"),  # cyclam envelope, not the two 10-ring SSSR rings
    ("H4octapa", 0, 0, "rigid_acyclic"), ("CHX-DTPA", 0, 0, "rigid_acyclic"),
])
def test_macrocycle_and_preorganization(name, size, in_ring, pre):
    f = feats(name)
    assert f["macrocycle_ring_size"] == size
    assert f["n_donors_in_ring"] == in_ring
    assert f["preorganization"] == pre
    codes = {"acyclic": 0, "rigid_acyclic": 1, "macrocyclic": 2, "macrobicyclic": 3}
    assert f["preorganization_code"] == codes[pre]


def test_cavity_radius_18_crown_6_matches_literature_range():
    # hole diameter 260-320 pm (FU Berlin crown-ether page) -> radius 130-160 pm
    r = feats("18-crown-6")["cavity_radius_pm"]
    assert 130 <= r <= 160
    assert 0.6 < PUCKER_FACTOR < 0.8
    assert cavity_radius_pm(21, ["O"] * 7) > r > cavity_radius_pm(15, ["O"] * 5)
    assert cavity_radius_pm(0, []) == 0.0
    assert feats("EDTA")["cavity_radius_pm"] == 0.0


@pytest.mark.parametrize("name,full,ph74,tol", [
    # pH 7.4 references: NIST SRD 46 protonation constants (EDTA 10.28/6.13 -> ~ -2.9;
    # DOTA second 9.69 -> ~ -2; DTPA 10.645/8.6 -> ~ -3; NOTA second 5.7 -> ~ -2)
    ("EDTA", -4, -2.9, 0.2), ("DOTA", -4, -2.0, 0.3), ("DTPA", -5, -3.0, 0.3),
    ("NOTA", -3, -2.0, 0.2), ("DOTP", -8, None, None), ("DFO", -3, 1.0, 0.1),
    ("18-crown-6", 0, 0.0, 0.01), ("HOPO", -1, -1.0, 0.05),
])
def test_charges(name, full, ph74, tol):
    f = feats(name)
    assert f["charge_full_deprot"] == full
    if ph74 is not None:
        assert abs(f["charge_pH7_4"] - ph74) <= tol


@pytest.mark.parametrize("smiles,full,ph74", [
    # methylphosphonic acid: pKa 2.16 and 7.49 -> -1 - 1/(1 + 10**0.09)
    ("CP(=O)(O)O", -2, -1.0 - 1.0 / (1.0 + 10 ** (7.49 - 7.4))),
    ("CS(=O)(=O)O", -1, -1.0),  # sulfonic acid: always ionized
    ("CCS", -1, -1.0 / (1.0 + 10 ** (10.61 - 7.4))),  # alkyl thiol, mostly neutral
    ("Nc1ccccc1", 0, 1.0 / (1.0 + 10 ** (7.4 - 4.64))),  # aniline, mostly neutral
    ("OC(=O)CC(=O)[O-]", -2, -2.0),  # an already ionized carboxylate counts once
])
def test_charge_groups(smiles, full, ph74):
    f = ligand_features(Chem.MolFromSmiles(smiles))
    assert f["charge_full_deprot"] == full
    assert f["charge_pH7_4"] == pytest.approx(ph74, abs=0.01)


def test_softness_fractions():
    f = ligand_features(Chem.MolFromSmiles("CSCCN(CCSC)CCc1ccccn1"))
    # donors: 2 thioether S (soft), amine N (hard), pyridine N (borderline)
    assert f["n_donors"] == 4
    assert f["soft_donor_frac"] == 0.5 and f["hard_donor_frac"] == 0.25
    assert f["donor_softness"] == pytest.approx((2 + 0.5) / 4)
    assert feats("DOTA")["donor_softness"] == 0.0


def test_rdkit_descriptors_dota():
    f = feats("DOTA")
    assert f["mw"] == pytest.approx(404.42, abs=0.01)
    assert f["n_heavy_atoms"] == 28
    assert f["hbd"] == 4 and f["n_rings"] == 1
    assert f["tpsa"] > 100 and f["frac_csp3"] == pytest.approx(0.75)


def test_ligand_features_rejects_none():
    with pytest.raises(ValueError):
        ligand_features(None)


# ------------------------------------------------------------------ describe()
def _table(smiles_list):
    mols = [Chem.MolFromSmiles(s) if s else None for s in smiles_list]
    return pd.DataFrame({
        "id": [f"L{i + 1:04d}" for i in range(len(mols))],
        "name": [f"m{i}" for i in range(len(mols))],
        "smiles": [s or "" for s in smiles_list],
        "status": ["ok" if m is not None else "invalid" for m in mols],
        "message": ["" if m is not None else "unparsable SMILES" for m in mols],
        "mol": mols,
    })


def test_describe_dataframe_with_mol_column_keeps_rows_and_order():
    dotatate_like = ("OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O)NC(Cc2ccccc2)C(=O)NC(CCCCN)C(=O)NC(CO)"
                     "C(=O)NC(Cc3ccc(O)cc3)C(O)=O)CCN(CC(O)=O)CC1")
    df = describe(_table([SMILES["DOTA"], "", SMILES["EDTA"], dotatate_like]))
    assert len(df) == 4 and list(df["id"]) == ["L0001", "L0002", "L0003", "L0004"]
    assert "mol" not in df.columns
    assert list(df["n_donors"].iloc[[0, 2, 3]]) == [8, 6, 8]
    assert df["status"].tolist() == ["ok", "invalid", "ok", "ok"]
    assert pd.isna(df.loc[1, "n_donors"]) and pd.isna(df.loc[1, "preorganization"])
    assert df["is_conjugate"].tolist() == [False, False, False, True]
    assert str(df["n_donors"].dtype) == "Int64" and df["mw"].dtype == float
    # features of the conjugate are those of its core
    assert df.loc[3, "mw"] < 450 and df.loc[3, "charge_full_deprot"] == -3


def test_describe_parallel_equals_serial():
    smiles = [SMILES[k] for k in ("DOTA", "NOTA", "EDTA", "macropa", "DFO")] * 50
    serial = describe(_table(smiles), n_jobs=1)
    parallel = describe(_table(smiles), n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_describe_through_read_ligands():
    df = describe(["DOTA", "not_a_smiles((", "C1COCCOCCOCCOCCOCCO1", "macropa"])
    assert len(df) == 4
    assert df["status"].tolist()[1] == "invalid"
    assert df["message"].tolist()[1] != ""
    assert df.loc[0, "n_donors"] == 8 and df.loc[2, "n_donors"] == 6
    assert df.loc[3, "n_donors"] == 10
    assert pd.isna(df.loc[1, "n_donors"])
    for col in ("id", "name", "input", "smiles", "core_smiles", "status", "message"):
        assert col in df.columns


def test_describe_reference_library_denticity():
    from chelscreen import io
    lib = io.load_library()
    df = describe(lib["smiles"].tolist())
    expected = {"DOTA": 8, "NOTA": 6, "EDTA": 6, "DTPA": 8, "TETA": 8, "DOTAM": 8,
                "macropa": 10, "H4octapa": 8, "DFO": 6, "18-crown-6": 6, "cyclen": 4,
                "DOTATATE": 8}
    by_name = dict(zip(lib["name"], df["n_donors"]))
    found = {k: by_name[k] for k in expected if k in by_name}
    assert len(found) >= 8, f"library lacks most reference chelators: {sorted(by_name)}"
    assert found == {k: expected[k] for k in found}
    assert (df["status"] == "ok").all()


def test_describe_list_source_parallel_keeps_ids_and_order():
    items = [SMILES["DOTA"], SMILES["EDTA"], "C1CC((", SMILES["macropa"]] * 60
    serial = describe(items, n_jobs=1)
    parallel = describe(items, n_jobs=2)
    assert len(parallel) == 240
    assert parallel["id"].tolist() == serial["id"].tolist() == [f"L{k:04d}" for k in
                                                                 range(1, 241)]
    assert parallel["status"].tolist()[:4] == ["ok", "ok", "invalid", "ok"]
    pd.testing.assert_frame_equal(serial, parallel)


def _big_bad_csv(tmp_path, test_data):
    """tests/data/ligands_bad.csv repeated to 225 rows (ids made unique, one duplicate pair
    across the first and the last chunk, blank and bad rows kept)."""
    import csv

    rows = list(csv.reader(open(test_data / "ligands_bad.csv")))
    header, body = rows[0], [r for r in rows[1:] if r]
    out = [header]
    for k in range(25):
        for r in body:
            r = list(r)
            if len(r) == 3 and r[0]:
                r[0] = f"{r[0]}_{k}"
            out.append(r)
    out[1][0] = out[-1][0] = "DUP"
    path = tmp_path / "big.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(out)
    return path


def test_describe_file_parallel_equals_serial(tmp_path, test_data):
    # a file source is read, standardized and described in the workers: same table as serial,
    # including row numbers in messages and duplicate ids flagged across chunks
    path = _big_bad_csv(tmp_path, test_data)
    serial = describe(path, n_jobs=1)
    parallel = describe(path, n_jobs=2)
    assert len(parallel) == 225
    pd.testing.assert_frame_equal(serial, parallel)
    assert parallel.loc[0, "status"] == "warning" and "duplicate id 'DUP'" in parallel.loc[
        224, "message"]
    assert parallel.loc[223, "message"].startswith("row 224 (line 225): empty line")


def test_explicit_hydrogens_give_the_same_descriptors_as_the_plain_smiles():
    """An input drawn with explicit hydrogens (an SDF with H atoms) lost them without a
    property update: the heavy atoms' cached H counts were stale and logP of a glucose came out
    as that of another molecule. The standardized Mol must give the descriptors of the same
    molecule written without hydrogens."""
    plain = "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O"
    with_hs = Chem.AddHs(Chem.MolFromSmiles(plain))
    a = standardize(with_hs).mol
    b = standardize(Chem.MolFromSmiles(plain)).mol
    for f in (rdMolDescriptors.CalcCrippenDescriptors, rdMolDescriptors.CalcNumHBD,
              rdMolDescriptors.CalcTPSA):
        assert f(a) == f(b)
    assert ligand_features(a)["logp"] == ligand_features(b)["logp"]


def test_describe_serial_chunks_equal_one_pass(tmp_path, test_data):
    # a serial describe reads and describes SERIAL_CHUNK records at a time; the table equals
    # reading everything first and describing the read table (ids, duplicate flags across
    # chunks, messages, dtypes)
    from chelscreen.chem.descriptors import SERIAL_CHUNK
    from chelscreen.io import read_ligands

    path = _big_bad_csv(tmp_path, test_data)
    assert 225 > 2 * SERIAL_CHUNK
    chunked = describe(path, n_jobs=1)
    one_pass = describe(read_ligands(path))  # the read table (with Mols) is described as is
    pd.testing.assert_frame_equal(chunked, one_pass)
    assert chunked.loc[0, "status"] == "warning" and "duplicate id 'DUP'" in chunked.loc[
        224, "message"]


def test_conjugates_sharing_a_core_describe_it_once(monkeypatch):
    """Two DOTA-peptide conjugates with the same chelating core: the core is parsed and its
    features computed once (the per-SMILES memo), and both rows carry those features."""
    from chelscreen.chem import descriptors

    peptides = ["NC(Cc2ccccc2)C(=O)NCC(=O)NC(CCCCN)C(=O)NC(CO)C(O)=O",
                "NC(CCO)C(=O)NCC(=O)NC(CCCCN)C(=O)NC(Cc2ccc(O)cc2)C(O)=O"]
    conjugates = [f"OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O){p})CCN(CC(O)=O)CC1" for p in peptides]
    calls: list[str] = []
    original = descriptors.ligand_features

    def counting(mol):
        calls.append(Chem.MolToSmiles(mol))
        return original(mol)

    descriptors.ligand_features_of_smiles.cache_clear()
    monkeypatch.setattr(descriptors, "ligand_features", counting)
    df = describe(conjugates)
    assert df["is_conjugate"].tolist() == [True, True]
    core = df.loc[0, "core_smiles"]
    assert df.loc[1, "core_smiles"] == core and core not in conjugates
    assert calls == [core]
    expected = original(Chem.MolFromSmiles(core))
    for c in FEATURE_COLUMNS:
        assert df.loc[0, c] == df.loc[1, c] == expected[c]
