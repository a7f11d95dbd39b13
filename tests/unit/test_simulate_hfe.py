"""Hydration free energy machinery (chelscreen.simulate.hydration; validate_ions.py --hfe)."""

from __future__ import annotations

import math

import numpy as np
import openmm as mm
import pytest
from openmm import unit

from chelscreen.simulate.hydration import (
    KCAL,
    WIGNER_XI,
    IonModel,
    _aqua_system,
    charging_free_energy,
    cpu_platform,
    finite_size_kcal,
    gauss_legendre_windows,
    ion_model,
    pme_self_energy_kJ,
    widom_lj_kcal,
)
from chelscreen.simulate.params import ONE_4PI_EPS0


def test_pme_energy_of_a_lone_ion_is_the_wigner_self_energy():
    """OpenMM's PME includes the neutralizing background: a lone charge q in a cube of edge L
    has E = -q^2 xi / (2 L) / (4 pi eps0); the lambda^2 term of the charging TI relies on it."""
    for q, edge_A in ((3.0, 22.0), (2.0, 30.0)):
        e = pme_self_energy_kJ(q, edge_A)
        assert e == pytest.approx(-ONE_4PI_EPS0 * q**2 * WIGNER_XI / (2 * edge_A / 10), rel=1e-4)


def test_gauss_legendre_windows_integrate_a_quintic_exactly():
    lam, w = gauss_legendre_windows(3)
    assert np.all((lam > 0) & (lam < 1)) and w.sum() == pytest.approx(1.0)
    f = lambda x: 6 * x**5 - 4 * x**3 + x  # noqa: E731  integral over [0, 1] = 1 - 1 + 1/2
    assert float((w * f(lam)).sum()) == pytest.approx(0.5, abs=1e-12)


def test_finite_size_correction_is_positive_and_scales_as_q2_over_eps_l():
    a = finite_size_kcal(3, 22.0, 78.5)
    assert a > 0
    assert finite_size_kcal(2, 22.0, 78.5) == pytest.approx(a * 4 / 9)
    assert finite_size_kcal(3, 44.0, 78.5) == pytest.approx(a / 2)
    # magnitude: the lone-ion Wigner energy screened by eps_s
    assert a == pytest.approx(-pme_self_energy_kJ(3, 22.0) / KCAL / 78.5, rel=1e-3)


def test_charging_derivative_formula_matches_finite_differences():
    """dU/dlambda = [E_nb(1) - E_nb(0)] + (2 lambda - 1) Q^2 S + E_C4 / lambda, exactly (U is
    quadratic in lambda): checked against a central difference of the total energy."""
    m = ion_model("Lu3+", "12-6-4")
    system, pos, edge, _ow = _aqua_system(m, 400, coupled=True)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), cpu_platform())
    ctx.setPositions(pos * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 50.0, 50)
    kj = unit.kilojoule_per_mole

    def total(lam):
        ctx.setParameter("lambda_q", lam)
        ctx.setParameter("c4", lam * m.c4_kJ_nm4)
        return ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(kj)

    lam, h = 0.37, 1e-3
    fd = (total(lam + h) - total(lam - h)) / (2 * h)
    total(lam)
    e_c4 = ctx.getState(getEnergy=True, groups={1}).getPotentialEnergy().value_in_unit(kj)
    ctx.setParameter("lambda_q", 1.0)
    e1 = ctx.getState(getEnergy=True, groups={0}).getPotentialEnergy().value_in_unit(kj)
    ctx.setParameter("lambda_q", 0.0)
    e0 = ctx.getState(getEnergy=True, groups={0}).getPotentialEnergy().value_in_unit(kj)
    formula = (e1 - e0) + (2 * lam - 1) * pme_self_energy_kJ(m.charge, edge) + e_c4 / lam
    assert e_c4 < 0
    assert formula == pytest.approx(fd, rel=2e-4, abs=0.5)


def test_widom_insertion_zero_for_a_ghost_and_large_for_an_overlapping_sphere():
    edge, n = 21.7, 7  # O on a cubic lattice, 3.1 A spacing (~ water's O density)
    g = (np.arange(n) + 0.5) * edge / n - edge / 2
    lattice = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    frames = np.stack([lattice] * 4)
    ghost = IonModel("X3+", 3, 0.25, 0.0, 0.0, "test")
    big = IonModel("Y3+", 3, 0.60, 0.5, 0.0, "test")
    small = IonModel("Z3+", 3, 0.10, 0.01, 0.0, "test")
    out = widom_lj_kcal([ghost, big, small], frames, edge, n_insert=200)
    assert out[0][0] == pytest.approx(0.0, abs=1e-12)
    assert out[1][0] > 50.0  # a 6 A sphere fits nowhere in the lattice
    assert abs(out[2][0]) < 1.0 and math.isfinite(out[2][1])


@pytest.mark.slow
def test_lanthanum_12_6_hfe_model_reproduces_its_target():
    """Li/Merz fitted their 12-6 HFE La3+ to -751.7 kcal/mol (PMC4306492, Table 1); a short run
    of this protocol (TI + Widom + finite-size correction) must land within 3 %."""
    from chelscreen.simulate.hydration import water_frames
    from chelscreen.simulate.params import EPS_WATER

    m = ion_model("La3+", "12-6")
    r = charging_free_energy(m, n_windows=3, first_equil_ps=2, equil_ps=1, prod_ps=3,
                             sample_ps=0.1)
    frames, edge = water_frames(400, equil_ps=1, prod_ps=4, frame_ps=0.1)
    mu = widom_lj_kcal([m], frames, edge)[0][0]
    hfe = r["dG_charge_c4_kcal"] + mu + finite_size_kcal(m.charge, r["edge_A"], EPS_WATER)
    assert hfe == pytest.approx(-751.7, rel=0.03)
