"""Enumerated libraries: symmetry collapse, structure checks, CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rdkit import Chem

from chelscreen.enumerate import EnumerationError, enumerate_ligands


def test_cyclen_two_arms_collapses_symmetric_combinations():
    lib = enumerate_ligands("cyclen", ["acetate", "acetamide"])
    # 2^4 combinations on a ring with D4 symmetry: 0,1,2(cis),2(trans),3,4 amides
    assert len(lib) == 6
    assert lib["smiles"].is_unique
    assert all(Chem.MolFromSmiles(s) is not None for s in lib["smiles"])
    dota = Chem.CanonSmiles("OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1")
    dotam = Chem.CanonSmiles("NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1")
    assert {dota, dotam} <= set(lib["smiles"])


def test_round_robin_ids_and_max():
    lib = enumerate_ligands(["tacn", "cyclen"], ["acetate", "picolinate"], max_n=5)
    assert lib["scaffold"].tolist() == ["tacn", "cyclen", "tacn", "cyclen", "tacn"]
    assert lib["id"].tolist() == [f"ENUM{i:06d}" for i in range(1, 6)]


def test_donor_filter_and_smiles_arm():
    lib = enumerate_ligands("en", ["methyl", "H"], min_donors=2)
    assert (lib["n_donors"] >= 2).all()
    custom = enumerate_ligands("tacn", ["CC(=O)O"])
    assert len(custom) == 1


def test_unknown_names_suggest_a_fix():
    with pytest.raises(EnumerationError, match="did you mean 'cyclen'"):
        enumerate_ligands("cylen", ["acetate"])
    with pytest.raises(EnumerationError, match="did you mean 'acetate'"):
        enumerate_ligands("cyclen", ["acetat"])


def test_cli_writes_smi(tmp_path):
    out = tmp_path / "lib" / "x.smi"
    r = subprocess.run([sys.executable, "-m", "chelscreen", "enumerate", "--scaffold", "cyclen",
                        "--arms", "acetate,acetamide,picolinate", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 21  # 3 arms on D4-symmetric cyclen: 21 distinct molecules
    bad = subprocess.run([sys.executable, "-m", "chelscreen", "enumerate", "--scaffold", "x",
                          "--arms", "acetate"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
