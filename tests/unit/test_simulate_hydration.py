"""Aqua-ion analysis, the 12-6-4 C4 term and the bundled 12-6-4 table."""

from __future__ import annotations

import numpy as np
import openmm as mm
import pytest
from openmm import unit

from chelscreen.simulate.hydration import (
    c4_force,
    c4_to_openmm,
    first_shell,
    ion_model,
    read_1264_table,
    simulate_aqua_ion,
)


def test_c4_term_energy_is_minus_c4_over_r4():
    system = mm.System()
    for _ in range(3):
        system.addParticle(1.0)
    c4 = c4_to_openmm(249.0)  # Lu3+ TIP3P, kcal/mol/A^4 -> kJ/mol/nm^4
    system.addForce(c4_force(3, 0, [1], c4, periodic=False))  # particle 2 is not a partner
    ctx = mm.Context(system, mm.VerletIntegrator(0.001),
                     mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions([mm.Vec3(0, 0, 0), mm.Vec3(0.25, 0, 0), mm.Vec3(0, 0.2, 0)] * unit.nanometer)
    e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    assert e == pytest.approx(-249.0 * 4.184 / 2.5**4, rel=1e-6)  # r = 2.5 A


def test_first_shell_from_synthetic_distances():
    rng = np.random.default_rng(0)
    n_frames, n_w = 200, 300
    d = rng.uniform(3.3, 12.0, size=(n_frames, n_w))
    d[:, :8] = rng.normal(2.40, 0.05, size=(n_frames, 8))  # eight first-shell waters
    out = first_shell(d, box_A=24.0, n_waters=n_w)
    assert out["r_mean_A"] == pytest.approx(2.40, abs=0.01)
    assert abs(out["r_peak_A"] - 2.40) < 0.05
    assert 2.5 < out["r_min_A"] < 3.4
    assert out["cn_mean"] == pytest.approx(8.0, abs=0.05)


def _shell_frames(directions: np.ndarray, r_A: float, n_frames: int = 50, n_bulk: int = 300,
                  seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(distances, vectors) frames: first-shell waters along ``directions`` at ``r_A`` (small
    jitter) plus bulk waters 3.5-11 A away in random directions."""
    rng = np.random.default_rng(seed)
    u = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    bulk = rng.normal(size=(n_bulk, 3))
    bulk *= rng.uniform(3.5, 11.0, size=(n_bulk, 1)) / np.linalg.norm(bulk, axis=1, keepdims=True)
    vecs = np.concatenate([np.broadcast_to(r_A * u, (n_frames, len(u), 3)),
                           np.broadcast_to(bulk, (n_frames, n_bulk, 3))], axis=1).copy()
    vecs += rng.normal(0.0, 0.03, size=vecs.shape)
    return np.linalg.norm(vecs, axis=2), vecs


def test_shell_asymmetry_separates_holo_from_hemidirected_shells():
    # holodirected: square antiprism (8 waters over the whole sphere)
    a = np.arange(4) * np.pi / 2
    sap = np.concatenate([np.c_[np.cos(a), np.sin(a), np.full(4, 0.6)],
                          np.c_[np.cos(a + np.pi / 4), np.sin(a + np.pi / 4), np.full(4, -0.6)]])
    # hemidirected: 6 waters in one hemisphere (z >= 0), the other side empty
    b = np.arange(5) * 2 * np.pi / 5
    hemi = np.concatenate([[[0.0, 0.0, 1.0]], np.c_[np.cos(b), np.sin(b), np.full(5, 0.15)]])
    d, v = _shell_frames(sap, 2.5)
    holo = first_shell(d, box_A=24.0, n_waters=d.shape[1], vec_frames_A=v)
    d, v = _shell_frames(hemi, 2.5)
    half = first_shell(d, box_A=24.0, n_waters=d.shape[1], vec_frames_A=v)
    assert holo["cn_mean"] == pytest.approx(8.0, abs=0.05)
    assert half["cn_mean"] == pytest.approx(6.0, abs=0.05)
    assert holo["shell_asym"] < 0.05
    assert half["shell_asym"] > 0.25
    assert "shell_asym" not in first_shell(d, box_A=24.0, n_waters=d.shape[1])


def test_bundled_1264_table_covers_the_radiometals_with_sources():
    tab = read_1264_table()
    for ion in ("Ac3+", "Bi3+", "Pb2+", "Ra2+", "Lu3+", "Y3+", "Th4+", "Gd3+"):
        row = tab[ion]
        assert 1.0 < float(row["rmin2_A"]) < 2.6
        assert float(row["c4_kcal_A4"]) > 0
        assert row["c4_source"] and row["rmin2_source"]
    m = ion_model("Lu3+", "12-6-4")
    assert m.c4_kJ_nm4 == pytest.approx(c4_to_openmm(249.0))


@pytest.mark.slow
def test_aqua_lu_12_6_4_first_shell_near_reference():
    """Reference: Lu-O 2.338 A, 8 waters (doi:10.1063/1.437866); the 12-6 HFE set is too short."""
    r4 = simulate_aqua_ion(ion_model("Lu3+", "12-6-4"), equil_ps=2, prod_ps=6)
    r6 = simulate_aqua_ion(ion_model("Lu3+", "12-6"), equil_ps=2, prod_ps=6)
    assert abs(r4["r_mean_A"] - 2.338) < 0.06
    assert 7.0 <= r4["cn_mean"] <= 9.0
    assert r6["r_mean_A"] < r4["r_mean_A"] - 0.1


def test_q_water_cutoff_rule():
    from chelscreen.simulate.explicit import Q_SHELL_MARGIN_A, q_cutoff_A
    from chelscreen.simulate.params import get_ion_parameters

    lu = get_ion_parameters("Lu3+")
    assert q_cutoff_A(lu) == pytest.approx(
        float(read_1264_table()["Lu3+"]["target_r_A"]) + Q_SHELL_MARGIN_A)
    ca = get_ion_parameters("Ca2+")  # no 12-6-4 row: Shannon CN8 radius + 1.37 A + margin
    assert q_cutoff_A(ca) == pytest.approx(ca.radius_for_cn(8) / 100 + 1.37 + Q_SHELL_MARGIN_A)


def test_water_check_travels_with_the_ion_model():
    assert "water check pass" in ion_model("Lu3+", "12-6-4").source
    for ion, row in read_1264_table().items():  # every ion carries its own aqua-ion verdict
        check = row["water_check"] or "not checked"
        assert f"water check {check}" in ion_model(ion, "12-6-4").source, ion
