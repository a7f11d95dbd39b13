"""The stated selection rule of the ion-parameter grid (benchmarks/validate_ions.py --grid)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "validate_ions.py"


def _module():
    spec = importlib.util.spec_from_file_location("validate_ions", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _row(c4, eps, it, r, cn):
    return {"ion": "In3+", "c4_kcal_A4": c4, "eps_kcal": eps, "iter": it, "rmin2_A": 1.5 + it,
            "r_mean_A": r, "r_peak_A": r, "cn": cn, "cn_sd": 0.1, "wall_s": 1.0, "seed": 21,
            "equil_ps": 2, "prod_ps": 5}


def test_grid_pick_needs_distance_and_cn_then_prefers_cn_then_published_c4(tmp_path, monkeypatch):
    mod = _module()
    rows = [
        _row(0.0, 0.01, 0, 2.20, 6.0),    # CN right but distance 0.07 A off: rejected
        _row(0.0, 0.03, 0, 2.14, 7.5),    # distance right, CN 7.5 vs 6 +/- 1: rejected
        _row(0.0, 0.003, 0, 2.00, 6.0),   # the pair's best run is the next one
        _row(0.0, 0.003, 1, 2.11, 6.7),   # accepted, |CN - 6| = 0.7
        _row(100.0, 0.01, 0, 2.13, 6.4),  # accepted, |CN - 6| = 0.4: best
        _row(300.0, 0.01, 0, 2.13, 6.4),  # same CN, C4 closer to the published 347: wins the tie
    ]
    out = tmp_path / "grid.csv"
    pd.DataFrame(rows).to_csv(out, index=False)
    monkeypatch.setattr(mod, "GRID_OUT", out)
    # the distance + CN rule alone (In3+ has the HFE as a third criterion since grid round 4:
    # tests/unit/test_validate_ions_rules.py)
    monkeypatch.setattr(mod, "GRID_HFE_IONS", ())
    pick = mod.select_from_grid("In3+")
    assert (pick["c4_kcal_A4"], pick["eps_kcal"]) == (300.0, 0.01)
    pd.DataFrame(rows[:4]).to_csv(out, index=False)
    pick = mod.select_from_grid("In3+")
    assert (pick["c4_kcal_A4"], pick["eps_kcal"], pick["iter"]) == (0.0, 0.003, 1)
    pd.DataFrame(rows[:2]).to_csv(out, index=False)
    assert mod.select_from_grid("In3+") is None


def test_every_bundled_ion_model_has_a_cited_reference_and_its_water_check():
    mod = _module()
    from chelscreen.simulate.hydration import read_1264_table

    table = read_1264_table()
    for ion, row in table.items():
        assert ion in mod.REFERENCES, ion
        assert float(row["target_r_A"]) == mod.REFERENCES[ion][0], ion
        assert row["water_check"].startswith(("pass", "FAIL")), ion


def test_water_check_records_an_hfe_failure_of_a_structurally_passing_ion(tmp_path, monkeypatch):
    """A model within the M-O and CN tolerances but outside the HFE tolerance is written as
    'FAIL (HFE)' (explicit runs with it then carry the ion-model warning)."""
    import json
    import shutil

    mod = _module()
    table = tmp_path / "ion_1264.csv"
    shutil.copy(mod.TABLE, table)
    monkeypatch.setattr(mod, "TABLE", table)
    hfe = tmp_path / "hfe.csv"
    tag = json.dumps(mod.HFE_SETTINGS, sort_keys=True)
    pd.DataFrame([
        {"ion": "Lu3+", "model": "12-6-4", "hfe_sim_kcal": -839.5, "hfe_sim_se_kcal": 2.0,
         "n_waters": 349, "edge_A": 22.9, "c4_kcal_A4": 249.0, "settings": tag},
        {"ion": "In3+", "model": "12-6-4", "hfe_sim_kcal": -829.3, "hfe_sim_se_kcal": 2.0,
         "n_waters": 349, "edge_A": 22.9, "c4_kcal_A4": 0.0, "settings": tag},
    ]).to_csv(hfe, index=False)
    monkeypatch.setattr(mod, "HFE_OUT", hfe)
    val = pd.DataFrame([
        {"ion": i, "model": "12-6-4", "r_sim_A": r, "r_ref_A": r, "cn_sim": cn, "cn_ref": cn,
         "r_within_tol": True, "cn_within_tol": True} for i, r, cn in
        (("Lu3+", 2.338, 8.0), ("In3+", 2.131, 6.0))])
    mod.record_validation(val)
    from chelscreen.simulate.hydration import read_1264_table

    rows = read_1264_table(table)
    assert rows["Lu3+"]["water_check"].startswith("pass: ")
    assert "HFE -840 vs -840 kcal/mol" in rows["Lu3+"]["water_check"]
    assert rows["In3+"]["water_check"].startswith("FAIL (HFE): ")
