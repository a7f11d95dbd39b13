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


def _lp_pb(d_A: float = 1.0, lp_rmin2_A: float = 2.0, lp_eps_kcal: float = 0.1):
    import dataclasses

    from chelscreen.simulate.hydration import rmin2_to_sigma_nm

    return dataclasses.replace(ion_model("Pb2+", "12-6"), lp_d_A=d_A,
                               lp_sigma_nm=rmin2_to_sigma_nm(lp_rmin2_A),
                               lp_epsilon_kJ=lp_eps_kcal * 4.184)


def test_lone_pair_site_is_a_constrained_lj_site_that_moves_mass_not_adds_it():
    from chelscreen.simulate.hydration import LP_MASS_U, TIP3P, add_lp_site

    m = _lp_pb()
    system = mm.System()
    system.addParticle(207.2)  # Pb
    system.addParticle(15.999)  # a probe "water O"
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.NoCutoff)
    nb.addParticle(0.0, m.sigma_nm, m.epsilon_kJ)  # ion uncharged: isolate the site's LJ
    nb.addParticle(0.0, TIP3P["sigO"], TIP3P["epsO"])
    system.addForce(nb)
    site = add_lp_site(system, nb, 0, m)
    assert site == 2
    assert system.getParticleMass(0)._value == pytest.approx(207.2 - LP_MASS_U)
    assert system.getParticleMass(0)._value + system.getParticleMass(2)._value == \
        pytest.approx(207.2)
    i, j, d = system.getConstraintParameters(0)
    assert (i, j) == (0, 2) and d._value == pytest.approx(0.1)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    r_ion, r_site = 0.5, 0.4  # probe 5 A from the ion, 4 A from the site (on the site's side)
    ctx.setPositions([mm.Vec3(0, 0, 0), mm.Vec3(0, 0, r_ion), mm.Vec3(0, 0, 0.1)] * unit.nanometer)
    e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)

    def lj(sig_a, eps_a, r):
        s, eps = 0.5 * (sig_a + TIP3P["sigO"]), np.sqrt(eps_a * TIP3P["epsO"])
        return 4 * eps * ((s / r) ** 12 - (s / r) ** 6)

    expect = lj(m.sigma_nm, m.epsilon_kJ, r_ion) + lj(m.lp_sigma_nm, m.lp_epsilon_kJ, r_site)
    assert e == pytest.approx(expect, rel=1e-6)  # no ion-site term (excluded)
    assert abs(lj(m.lp_sigma_nm, m.lp_epsilon_kJ, r_site)) > 0.01 * abs(expect)


def test_lone_pair_dumbbell_conserves_energy_at_the_water_time_step():
    """The site is a rigid, freely turning dumbbell: NVE at 2 fs (the explicit protocol's step)
    drifts no more with the site than without it (a Pb2+ cluster with 30 TIP3P waters)."""
    from chelscreen.simulate.hydration import add_lp_site, add_waters, water_box

    wat, _edge = water_box(0, solute_A=np.zeros((1, 3)), padding_A=10.0)
    wat = wat[np.argsort(np.linalg.norm(wat[:, 0], axis=1))[:30]]
    drifts = {}
    for with_site in (False, True):
        m = _lp_pb()
        system = mm.System()
        system.addParticle(207.2)
        nb = mm.NonbondedForce()
        nb.setNonbondedMethod(mm.NonbondedForce.NoCutoff)
        nb.addParticle(2.0, m.sigma_nm, m.epsilon_kJ)
        add_waters(system, nb, len(wat))
        system.addForce(nb)
        pos = np.vstack([np.zeros((1, 3)), wat.reshape(-1, 3)]) / 10.0
        if with_site:
            add_lp_site(system, nb, 0, m)
            pos = np.vstack([pos, [[0.0, 0.0, 0.1]]])
        integ = mm.LangevinMiddleIntegrator(300.0, 5.0, 0.002)
        integ.setRandomNumberSeed(3)
        ctx = mm.Context(system, integ, mm.Platform.getPlatformByName("Reference"))
        ctx.setPositions(pos * unit.nanometer)
        ctx.applyConstraints(1e-8)
        mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 300)
        ctx.setVelocitiesToTemperature(300.0, 3)
        integ.step(250)
        st = ctx.getState(getPositions=True, getVelocities=True)
        nve = mm.VerletIntegrator(0.002)
        nve.setConstraintTolerance(1e-8)
        ctx2 = mm.Context(system, nve, mm.Platform.getPlatformByName("Reference"))
        ctx2.setPositions(st.getPositions())
        ctx2.setVelocities(st.getVelocities())
        e = []
        for _ in range(50):
            nve.step(10)
            s = ctx2.getState(getEnergy=True, getPositions=True)
            e.append((s.getPotentialEnergy() + s.getKineticEnergy())
                     .value_in_unit(unit.kilojoule_per_mole))
        xyz = s.getPositions(asNumpy=True).value_in_unit(unit.nanometer)
        if with_site:
            assert np.linalg.norm(xyz[-1] - xyz[0]) == pytest.approx(0.1, abs=1e-6)
        drifts[with_site] = float(np.ptp(e))
    assert drifts[True] < max(3.0 * drifts[False], 2.0), drifts


def test_widom_inserts_the_lone_pair_dumbbell():
    from chelscreen.simulate.hydration import widom_lj_kcal

    rng = np.random.default_rng(4)
    g = (np.arange(7) + 0.5) * 22.0 / 7 - 11.0  # O on a 3.14 A lattice (water's density)
    lattice = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    frames = lattice + rng.normal(0.0, 0.2, size=(20, len(lattice), 3))
    plain = ion_model("Pb2+", "12-6")
    ghost = _lp_pb(lp_eps_kcal=0.0)  # a site without LJ changes nothing
    big = _lp_pb(lp_rmin2_A=2.5, lp_eps_kcal=0.1)
    (mu0, _), (mu_ghost, _), (mu_big, _) = widom_lj_kcal([plain, ghost, big], frames, 22.0,
                                                         n_insert=200)
    assert mu_ghost == pytest.approx(mu0, abs=1e-9)
    assert mu_big > mu0 + 0.1  # a larger excluded volume costs more to insert


def test_explicit_system_carries_the_lone_pair_site_of_pb():
    """Pb2+ in the explicit protocol: the bundled lone-pair site (last particle, constrained to
    the metal, on the side away from the ligand, interacting with water only); other ions get
    none."""
    from chelscreen.simulate import build_complex
    from chelscreen.simulate.explicit import explicit_system

    tab = ion_model("Pb2+", "12-6-4")
    assert tab.has_lp
    cx = build_complex("OC(=O)CN(CC(=O)O)CC(=O)O", "Pb2+", n_conformers=1)  # NTA
    n_lig = cx.mol.GetNumAtoms()
    system, pos, edge, ow, model = explicit_system(cx)
    assert model.has_lp and system.getNumParticles() == n_lig + 1 + 3 * len(ow) + 1
    site = system.getNumParticles() - 1
    cons = {(int(i), int(j)): d._value for i, j, d in
            (system.getConstraintParameters(k) for k in range(system.getNumConstraints()))}
    assert cons[(n_lig, site)] == pytest.approx(tab.lp_d_A / 10.0)
    assert (system.getParticleMass(n_lig)._value + system.getParticleMass(site)._value
            == pytest.approx(207.2, abs=0.01))
    heavy = [a.GetIdx() for a in cx.mol.GetAtoms() if a.GetAtomicNum() > 1]
    away = pos[site] - pos[n_lig]
    assert np.dot(away, pos[n_lig] - pos[heavy].mean(axis=0)) > 0
    nb = next(f for f in system.getForces() if isinstance(f, mm.NonbondedForce))
    q, sig, eps = nb.getParticleParameters(site)
    assert q._value == 0.0 and eps._value == pytest.approx(tab.lp_epsilon_kJ)
    # the site meets water only: excluded from the metal and from every ligand atom
    excluded = set()
    for k in range(nb.getNumExceptions()):
        i, j, qq, _s, e = nb.getExceptionParameters(k)
        if site in (i, j):
            assert qq._value == 0.0 and e._value == 0.0
            excluded.add(i if j == site else j)
    assert excluded == set(range(n_lig + 1))
    lu = build_complex("OC(=O)CN(CC(=O)O)CC(=O)O", "Lu3+", n_conformers=1)
    s2, _p, _e, ow2, m2 = explicit_system(lu)
    assert not m2.has_lp and s2.getNumParticles() == lu.mol.GetNumAtoms() + 1 + 3 * len(ow2)


def test_bundled_pb_passes_its_water_check_with_the_lone_pair_site():
    row = read_1264_table()["Pb2+"]
    assert float(row["lp_d_A"]) > 0 and row["lp_source"]
    assert row["water_check"].startswith("pass"), row["water_check"]
