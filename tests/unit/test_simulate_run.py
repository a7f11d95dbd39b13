"""Protocols end to end (fast in CI; standard/explicit marked slow) and the result cache."""

from __future__ import annotations

import json
import time

import numpy as np
import openmm  # noqa: F401 - a hard dependency: fail, never skip
import pytest

from chelscreen.simulate import build_complex, run, simulate_pairs
from chelscreen.simulate.cache import complex_key, default_cache_dir

DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"


def test_fast_protocol_lu_dota_end_to_end():
    t0 = time.perf_counter()
    cx = build_complex(DOTA, "Lu3+")
    row = run(cx, "fast", seed=1)
    wall = time.perf_counter() - t0
    assert wall < 30
    assert row["status"] == "ok", row["message"]
    assert row["cn_initial"] == 8
    assert row["cn_mean"] >= 7.5 and row["cn_min"] >= 7
    assert row["donors_retained_frac"] >= 0.9
    assert 2.0 < row["md_dist_mean_A"] < 2.6
    assert row["md_dist_dev_A"] == pytest.approx(row["md_dist_mean_A"] - row["md_dist_ideal_A"])
    assert row["strain_kJ_mol"] > 0 and np.isfinite(row["strain_kJ_mol"])
    assert row["binding_energy_kJ_mol"] < -100
    assert row["ns_per_day"] > 0 and row["platform"] == "CPU"
    assert np.isnan(row["dissociation_work_kJ_mol"]) and np.isnan(row["solvent_access"])
    assert "Li/Merz" in row["ion_params_source"]


def test_strain_is_conformational_not_charge_repulsion():
    """Ga-DOTA strain was 1,897 kJ/mol (donor-donor Coulomb counted as strain); now bonded+vdW."""
    cx = build_complex(DOTA, "Ga3+", n_conformers=2)
    row = run(cx, "fast", seed=1)
    assert 0 < row["strain_kJ_mol"] < 1000
    for k in ("build_s", "relax_s", "md_s", "strain_s"):
        assert row[k] > 0
    assert row["md_s"] >= row["md_wall_s"]


def test_fast_protocol_reproducible_with_seed():
    cx = build_complex(EDTA, "Lu3+", n_conformers=2)
    a = run(cx, "fast", seed=5)
    b = run(cx, "fast", seed=5)
    for k in ("cn_mean", "md_dist_mean_A", "strain_kJ_mol"):
        assert a[k] == b[k]


def test_binding_energy_orders_dota_lu_over_la():
    """Experiment: log K(Lu-DOTA) 23.9 > log K(La-DOTA) 22.0 (training table, NIST SRD 46)."""
    lu = run(build_complex(DOTA, "Lu3+", n_conformers=2), "fast")
    la = run(build_complex(DOTA, "La3+", n_conformers=2), "fast")
    assert lu["binding_energy_kJ_mol"] < la["binding_energy_kJ_mol"]


def test_unknown_protocol():
    cx = build_complex(EDTA, "Lu3+", n_conformers=1)
    with pytest.raises(ValueError, match="protocol"):
        run(cx, "slowest")


def test_cache_key_never_inchikey_and_versioned():
    k1, f1 = complex_key(EDTA, "Lu3+", "fast")
    k2, _ = complex_key("C(N(CC(=O)O)CC(=O)O)CN(CC(=O)O)CC(=O)O", "Lu3+", "fast")
    k3, _ = complex_key(EDTA, "Lu3+", "standard")
    assert k1 == k2 != k3  # canonical SMILES: same molecule, same key
    assert {"registration_hash", "openmm", "rdkit", "chelscreen", "complex_smiles"} <= set(f1)
    assert "InChI" not in json.dumps(f1)


def test_cache_key_of_explicit_runs_follows_the_ion_model(monkeypatch):
    """A refitted 12-6-4 ion (ion_1264.csv) must not return a stale cached explicit result."""
    import chelscreen.simulate.hydration as hyd

    k_fast, _ = complex_key(EDTA, "In3+", "fast")
    k_exp, _ = complex_key(EDTA, "In3+", "explicit")
    table = hyd.read_1264_table()
    changed = {**table, "In3+": {**table["In3+"], "rmin2_A": "1.4911"}}
    monkeypatch.setattr(hyd, "read_1264_table", lambda *a, **k: changed)
    assert complex_key(EDTA, "In3+", "explicit")[0] != k_exp
    assert complex_key(EDTA, "In3+", "fast")[0] == k_fast  # implicit runs use the 12-6 set


def test_simulate_pairs_cache_hit_costs_nothing(tmp_path):
    cache = tmp_path / "cache"
    ligs = [EDTA, "not((", "C1COCCOCCOCCOCCOCCO1"]
    t0 = time.perf_counter()
    df1 = simulate_pairs(ligs, "Ba2+,Xx3+", "fast", cache_dir=cache, n_conformers=2)
    t_first = time.perf_counter() - t0
    assert len(df1) == 6
    assert list(df1["metal"]) == ["Ba2+", "Xx3+"] * 3
    assert list(df1["status"]) == ["warning", "invalid", "invalid", "invalid", "warning",
                                   "invalid"]
    assert "fallback" in df1.loc[0, "message"]  # Ba2+ Born radius is a fallback (no HFE read)
    assert len(list(cache.glob("*.json"))) == 2
    assert not list(cache.glob(".tmp_*"))
    t0 = time.perf_counter()
    df2 = simulate_pairs(ligs, "Ba2+,Xx3+", "fast", cache_dir=cache, n_conformers=2)
    t_second = time.perf_counter() - t0
    assert df2["cached"].iloc[[0, 4]].tolist() == [True, True]
    assert t_second < 0.1 * t_first and t_second < 2.0
    cols = ["cn_mean", "strain_kJ_mol", "md_dist_mean_A"]
    assert np.allclose(df1.loc[[0, 4], cols].astype(float), df2.loc[[0, 4], cols].astype(float))


def test_default_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CHELSCREEN_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "simulate"
    monkeypatch.delenv("CHELSCREEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "chelscreen" / "simulate"


def test_simulate_pairs_default_cache_and_two_workers_keep_order(monkeypatch, tmp_path):
    monkeypatch.setenv("CHELSCREEN_CACHE_DIR", str(tmp_path / "c"))
    ligs = ["OC(=O)CNCC(=O)O", "nonsense((", "OC(=O)CN(CC(=O)O)CC(=O)O"]
    df2 = simulate_pairs(ligs, "Lu3+,Ca2+", "fast", n_conformers=1, n_jobs=2)
    assert list(df2["metal"]) == ["Lu3+", "Ca2+"] * 3
    assert list(df2["status"].isin(["ok", "warning"])) == [True, True, False, False, True, True]
    assert len(list((tmp_path / "c" / "simulate").glob("*.json"))) == 4
    df1 = simulate_pairs(ligs, "Lu3+,Ca2+", "fast", n_conformers=1, n_jobs=1)
    assert df1["cached"].iloc[[0, 1, 4, 5]].tolist() == [True] * 4
    cols = ["cn_mean", "strain_kJ_mol", "build_s", "md_s", "wall_s"]
    assert np.allclose(df1.loc[[0, 1, 4, 5], cols].astype(float),
                       df2.loc[[0, 1, 4, 5], cols].astype(float))
    assert df1.loc[[0, 1, 4, 5], "md_s"].astype(float).gt(0).all()


@pytest.mark.slow
def test_standard_protocol_pulling_work():
    cx = build_complex(EDTA, "Lu3+", n_conformers=2)
    row = run(cx, "standard", seed=3)
    assert row["dissociation_work_kJ_mol"] > 100
    assert row["dissociation_work_sd_kJ_mol"] >= 0
    assert row["wall_s"] < 180 * 2


@pytest.mark.slow
def test_explicit_protocol_solvent_access_and_q_water():
    cx = build_complex(DOTA, "Lu3+", n_conformers=2)
    row = run(cx, "explicit", seed=3)
    assert row["platform"] in ("CPU", "CUDA", "OpenCL")
    assert row["cn_mean"] >= 6
    assert 0 <= row["solvent_access"] <= 3
    assert 0 <= row["q_water"] <= 2 and row["q_water_sd"] >= 0
    assert 2.7 < row["q_water_cutoff_A"] < 3.2
    assert row["ion_model"].startswith("12-6-4")
