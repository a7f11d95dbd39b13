"""Selection and resume rules of ``benchmarks/validate_ions.py`` (no simulation runs)."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from chelscreen.simulate.hydration import ion_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vi():
    spec = importlib.util.spec_from_file_location("validate_ions_rules",
                                                  ROOT / "benchmarks" / "validate_ions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_qwater_rows_match_on_parameters_not_on_the_verdict_text(vi):
    m = ion_model("Gd3+", "12-6-4")
    head = m.source.partition("; water check")[0]
    # a row written before the HFE verdict was appended to the source text is the same model
    old_row = {"ion_model": head + "; water check pass: M-O 2.393 vs 2.39 A, CN 9.0 vs 8.95"}
    assert vi.qwater_row_matches(old_row, m)
    # recorded parameters decide when present: equal -> same model, different Rmin/2 -> not
    rmin2, eps, c4 = vi.ion_params(m)
    row = {"ion_model": "any text", "ion_rmin2_A": rmin2, "ion_eps_kcal": eps,
           "ion_c4_kcal_A4": c4}
    assert vi.qwater_row_matches(row, m)
    assert not vi.qwater_row_matches({**row, "ion_rmin2_A": rmin2 + 0.05}, m)
    # another ion model's text does not match
    assert not vi.qwater_row_matches({"ion_model": "12-6-4: C4 = 0 (refit)"}, m)


def _grid(vi, tmp_path, monkeypatch, hfe_rows):
    rows = [  # In3+ target 2.131 A, CN 6 +/- 1
        {"ion": "In3+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 0, "rmin2_A": 1.68,
         "r_mean_A": 2.12, "cn": 6.2},
        {"ion": "In3+", "c4_kcal_A4": 300.0, "eps_kcal": 0.003, "iter": 0, "rmin2_A": 1.60,
         "r_mean_A": 2.14, "cn": 6.9},
        {"ion": "In3+", "c4_kcal_A4": 347.0, "eps_kcal": 0.03, "iter": 0, "rmin2_A": 1.49,
         "r_mean_A": 2.13, "cn": 8.0},  # fails CN: never a candidate
    ]
    grid = tmp_path / "grid.csv"
    pd.DataFrame([{c: r.get(c, 0) for c in vi.GRID_COLS} for r in rows]).to_csv(grid,
                                                                                index=False)
    hfe = tmp_path / "hfe.csv"
    pd.DataFrame(hfe_rows, columns=["ion", "model", "hfe_sim_kcal"]).to_csv(hfe, index=False)
    monkeypatch.setattr(vi, "GRID_OUT", grid)
    monkeypatch.setattr(vi, "HFE_OUT", hfe)


def test_grid_pick_for_in3_requires_the_hfe(vi, tmp_path, monkeypatch):
    ref = vi.HFE_REFERENCES["In3+"][0]  # -951.2
    assert "In3+" in vi.GRID_HFE_IONS
    # without HFE runs no pair qualifies (the closest-CN pair would win on distance + CN alone)
    _grid(vi, tmp_path, monkeypatch, [])
    assert {c["c4_kcal_A4"] for c in vi.grid_candidates("In3+")} == {0.0, 300.0}
    assert vi.select_from_grid("In3+") is None
    # C4 0 misses the HFE by 13 %, C4 300 is within 3 %: C4 300 wins despite its larger |CN - 6|
    _grid(vi, tmp_path, monkeypatch, [
        ("In3+", vi.grid_label(0.0, 0.003), -829.0),
        ("In3+", vi.grid_label(300.0, 0.003), ref + 20.0)])
    pick = vi.select_from_grid("In3+")
    assert pick is not None and pick["c4_kcal_A4"] == 300.0
    # both outside the tolerance: none
    _grid(vi, tmp_path, monkeypatch, [
        ("In3+", vi.grid_label(0.0, 0.003), -829.0),
        ("In3+", vi.grid_label(300.0, 0.003), ref + 40.0)])
    assert vi.select_from_grid("In3+") is None


def test_distance_cn_tradeoff_is_read_from_the_grid_runs(vi, tmp_path, monkeypatch):
    """The Pb2+ statement in the validation output is computed from the grid file: per pair the
    run closest to the reference distance, the CN range at the distance, and the closest distance
    at which the CN is within tolerance (here 2.38 A, CN 7.0; CN 6 only at 2.13 A)."""
    rows = [  # Pb2+ target 2.54 A, CN 6 +/- 1
        {"ion": "Pb2+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 0, "r_mean_A": 2.131,
         "cn": 6.0},
        {"ion": "Pb2+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 1, "r_mean_A": 2.384,
         "cn": 7.0},
        {"ion": "Pb2+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 2, "r_mean_A": 2.540,
         "cn": 7.98},
        {"ion": "Pb2+", "c4_kcal_A4": 600.0, "eps_kcal": 0.03, "iter": 0, "r_mean_A": 2.528,
         "cn": 8.82},
        {"ion": "In3+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 0, "r_mean_A": 2.54,
         "cn": 6.0},  # another ion: ignored
    ]
    grid = tmp_path / "grid.csv"
    pd.DataFrame([{c: r.get(c, 0) for c in vi.GRID_COLS} for r in rows]).to_csv(grid,
                                                                                index=False)
    monkeypatch.setattr(vi, "GRID_OUT", grid)
    head, *pairs, tail = vi.distance_cn_tradeoff("Pb2+")
    assert head.startswith("2 (C4, eps) pairs") and "CN 7.98-8.82 vs 6 +/- 1" in head
    assert pairs == ["C4 0, eps 0.003: r 2.540 A -> CN 7.98", "C4 600, eps 0.03: r 2.528 A -> CN 8.82"]
    assert "only at r 2.384 A (CN 7.00" in tail and "0.16 A from the reference" in tail
    assert vi.distance_cn_tradeoff("Ra2+") == []


def test_every_ion_without_an_hfe_reference_says_what_was_searched(vi):
    """An ion of the validation set has either an HFE reference (identifier + quote) or a note
    in HFE_NOT_FOUND; a note never replaces a reference that exists."""
    for ion in vi.ORDER:
        assert (ion in vi.HFE_REFERENCES) != (ion in vi.HFE_NOT_FOUND), ion
    for ion, (value, source, quote) in vi.HFE_REFERENCES.items():
        assert source.startswith(("doi:10.", "PMC")), ion
        assert f"{abs(value):g}" in quote.replace("–", "-").replace("−", "-"), ion


def test_hfe_tradeoff_reports_which_target_each_model_misses(vi, tmp_path, monkeypatch):
    _grid(vi, tmp_path, monkeypatch, [])
    ref_h = vi.HFE_REFERENCES["In3+"][0]
    hfe = pd.DataFrame([
        # bundled model: structure from the validation table, HFE far off
        {"ion": "In3+", "model": "12-6-4", "rmin2_A": 1.68, "eps_kcal": 0.003,
         "c4_kcal_A4": 0.0, "hfe_sim_kcal": ref_h + 120.0},
        # grid pair with CN 6.9 (within 6 +/- 1) and the HFE within 3 %: meets all three
        {"ion": "In3+", "model": "12-6-4 grid C4 300 eps 0.003", "rmin2_A": 1.60,
         "eps_kcal": 0.003, "c4_kcal_A4": 300.0, "hfe_sim_kcal": ref_h + 10.0},
        # grid pair with CN 8: misses the CN only
        {"ion": "In3+", "model": "12-6-4 grid C4 347 eps 0.03", "rmin2_A": 1.49,
         "eps_kcal": 0.03, "c4_kcal_A4": 347.0, "hfe_sim_kcal": ref_h},
        {"ion": "In3+", "model": "12-6", "rmin2_A": 1.3, "eps_kcal": 0.01, "c4_kcal_A4": 0.0,
         "hfe_sim_kcal": ref_h},  # the 12-6 control is not part of the trade-off
    ])
    struct = pd.DataFrame([{"ion": "In3+", "model": "12-6-4", "r_sim_A": 2.131,
                            "cn_sim": 6.87}])
    lines = vi.hfe_tradeoff("In3+", hfe, struct)
    assert "1 of 3 models with an HFE run meet all three" in lines[0]
    assert lines[1].endswith("misses HFE")
    assert lines[2].endswith("all three within")
    assert lines[3].endswith("misses CN")
    assert vi.hfe_tradeoff("Ac3+", hfe, struct) == []  # no HFE reference read


def test_shell_stability_tells_a_mixed_shell_from_the_measured_one(vi, tmp_path, monkeypatch):
    """A mean CN inside the tolerance can be a shell swapping between 6 and 8 waters (frame sd
    ~0.5); the line says whether a stable shell of the reference CN was ever produced at the
    reference distance (In3+: 2.131 A, CN 6)."""
    rows = [
        {"ion": "In3+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 0, "r_mean_A": 2.005,
         "cn": 6.0, "cn_sd": 0.0},   # stable hexaaqua shell, 0.13 A short
        {"ion": "In3+", "c4_kcal_A4": 0.0, "eps_kcal": 0.003, "iter": 1, "r_mean_A": 2.139,
         "cn": 6.87, "cn_sd": 0.52},  # at the distance, CN within 6 +/- 1, but a mixed shell
        {"ion": "In3+", "c4_kcal_A4": 300.0, "eps_kcal": 0.01, "iter": 0, "r_mean_A": 2.175,
         "cn": 7.96, "cn_sd": 0.2},
    ]
    grid = tmp_path / "grid.csv"
    pd.DataFrame([{c: r.get(c, 0) for c in vi.GRID_COLS} for r in rows]).to_csv(grid,
                                                                                index=False)
    monkeypatch.setattr(vi, "GRID_OUT", grid)
    line = vi.shell_stability("In3+")
    assert "stable CN-6 shells (frame sd <= 0.15) in 1 of 3 grid runs, at M-O 2.005-2.005" in line
    assert "the 2 runs within 0.05 A of 2.131 A have CN 6.87-7.96" in line
    assert line.endswith("none has a stable CN-6 shell at the reference distance")
    rows.append({"ion": "In3+", "c4_kcal_A4": 100.0, "eps_kcal": 0.01, "iter": 0,
                 "r_mean_A": 2.12, "cn": 6.02, "cn_sd": 0.1})
    pd.DataFrame([{c: r.get(c, 0) for c in vi.GRID_COLS} for r in rows]).to_csv(grid,
                                                                                index=False)
    assert vi.shell_stability("In3+").endswith("1 of them a stable CN-6 shell")
    assert vi.shell_stability("Ra2+") == ""  # no grid runs


def test_hfe_target_is_the_reference_else_the_proxy(vi, tmp_path, monkeypatch):
    """A grid pick must meet the experimental HFE where one was read; for an M(II) ion without one
    (HFE_PROXY_IONS) the HFE of the Li/Merz 12-6 HFE-set model in the same protocol; else none.
    The proxy check compares the 12-6-4 model with that value at the same tolerance."""
    import json

    tag = json.dumps(vi.HFE_SETTINGS, sort_keys=True)
    hfe = tmp_path / "hfe.csv"
    pd.DataFrame([
        {"ion": "Cu2+", "model": "12-6", "hfe_sim_kcal": -477.9, "settings": tag},
        {"ion": "Cu2+", "model": "12-6-4", "hfe_sim_kcal": -503.2, "settings": tag},
        {"ion": "Pb2+", "model": "12-6", "hfe_sim_kcal": -340.1, "settings": tag},
        {"ion": "Pb2+", "model": "12-6-4", "hfe_sim_kcal": -344.0, "settings": tag},
        {"ion": "In3+", "model": "12-6", "hfe_sim_kcal": -900.0, "settings": tag},
    ]).to_csv(hfe, index=False)
    monkeypatch.setattr(vi, "HFE_OUT", hfe)
    assert vi.hfe_target("Cu2+") == -477.9
    assert vi.hfe_target("In3+") == vi.HFE_REFERENCES["In3+"][0]  # the reference wins
    assert vi.hfe_target("Ra2+") is None and vi.hfe_target("Ac3+") is None
    checks = {x["ion"]: x for x in vi.hfe_proxy_checks(pd.read_csv(hfe))}
    assert set(checks) == {"Cu2+", "Pb2+"}
    assert not checks["Cu2+"]["within_tol"] and checks["Cu2+"]["dev_pct"] == -5.29
    assert checks["Pb2+"]["within_tol"]
    # the same comparison for a control ion with a read reference (the proxy method's own check)
    assert vi.hfe_proxy_checks(pd.read_csv(hfe), ("In3+",)) == []  # no 12-6-4 run: none
