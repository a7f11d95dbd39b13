"""Explicit-water (TIP3P + PME) run of a built complex (the ``explicit`` protocol).

The water box is cut from OpenMM's bundled equilibrated TIP3P box (``openmm/app/data/tip3p.pdb``,
3 nm cube, tiled as needed; :func:`chelscreen.simulate.hydration.water_box`): a cube with
>= 1.0 nm padding around the complex, waters whose O is within 2.4 A of a solute atom removed.
TIP3P (Jorgensen 1983) parameters as in OpenMM's ``tip3p.xml``; rigid waters. Ligand-ligand
interactions stay the exact MMFF94 pair force; the ligand's MMFF-mapped LJ sites and charges and
the ion interact with water through a PME ``NonbondedForce`` (cutoff 0.9 nm, Lorentz-Berthelot).
The ion is the water-validated 12-6-4 model (``benchmarks/validate_ions.py``) where the ion has
one. No counter-ions: the net charge is handled by PME's uniform neutralizing background.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from chelscreen.simulate.build import Complex, choose_platform

logger = logging.getLogger(__name__)

PADDING_NM = 1.0
CUTOFF_NM = 0.9
ACCESS_A = 3.0
Q_SHELL_MARGIN_A = 0.6


def q_cutoff_A(ion: Any) -> float:
    """First-shell cutoff for ``q_water``: the ion's hydration reference distance (12-6-4 table
    target, else Shannon CN8 radius + 1.37 A) + 0.6 A (the same margin as the coordination
    cutoff of the ligand donors). Fixed before any complex was compared with a measured q."""
    from chelscreen.simulate.hydration import read_1264_table

    row = read_1264_table().get(ion.ion)
    if row and str(row.get("target_r_A") or "").strip():
        base = float(row["target_r_A"])
    else:
        base = ion.radius_for_cn(8) / 100.0 + 1.37
    return base + Q_SHELL_MARGIN_A


# The lone-pair site (Pb2+) interacts with the water only, not with the ligand atoms: it was
# fitted and validated on the aqua ion alone, and with its LJ site acting on the donors too it
# pushed them off one side of the metal (Pb-TCMC, seed 1, 5 + 20 ps: mean CN 2.05 of 8 donors,
# 26 % retained, against 8.0 and 100 % for the spherical ion; 2026-12-05). Whether a Pb(II)
# complex is hemi- or holodirected is left to the ligand's MMFF geometry and the spherical ion.
LP_WATER_ONLY = True


def explicit_system(cx: Complex) -> tuple[Any, np.ndarray, float, list[int], Any]:
    """The explicit-water system of a complex: (system, positions nm, box edge A, water-O
    indices, ion model). Ligand particles first, the metal at ``n_lig``, then the waters; an ion
    model with a lone-pair site (Pb2+) gets the site last (``hydration.add_lp_site``), placed on
    the side of the metal away from the ligand's heavy-atom centroid, its LJ site excluded from
    every ligand atom (:data:`LP_WATER_ONLY`)."""
    import openmm as mm

    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.simulate.build import make_system
    from chelscreen.simulate.hydration import (
        add_lp_site,
        add_waters,
        c4_force,
        ion_model,
        water_box,
    )

    system, _terms = make_system(cx.mol, cx.ion, solvent="vacuum", constraints=True,
                                 ion_nonbonded=True)
    n_lig = cx.mol.GetNumAtoms()
    try:
        model, fitted = ion_model(cx.ion.ion, "12-6-4"), True
    except UnsupportedMetalError:
        model, fitted = ion_model(cx.ion.ion, "12-6"), False
    solute = np.vstack([cx.ligand_positions_A, cx.metal_pos_A])
    if model.has_lp:
        heavy = [a.GetIdx() for a in cx.mol.GetAtoms() if a.GetAtomicNum() > 1]
        u = cx.metal_pos_A - cx.ligand_positions_A[heavy].mean(axis=0)
        nu = float(np.linalg.norm(u))
        u = u / nu if nu > 1e-3 else np.array([0.0, 0.0, 1.0])
        site_A = cx.metal_pos_A + model.lp_d_A * u
        solute = np.vstack([solute, site_A])
    wat, edge = water_box(0, solute_A=solute, padding_A=PADDING_NM * 10.0)
    nb = next(f for f in system.getForces() if isinstance(f, mm.NonbondedForce))
    nb.setNonbondedMethod(mm.NonbondedForce.PME)
    nb.setCutoffDistance(CUTOFF_NM)
    if fitted:  # the water-fitted model (else the 12-6 set the complex was built with)
        nb.setParticleParameters(n_lig, float(cx.ion.charge), model.sigma_nm, model.epsilon_kJ)
    first = add_waters(system, nb, len(wat))
    ow = list(range(first, system.getNumParticles(), 3))
    pos = np.vstack([solute[:n_lig + 1], wat.reshape(-1, 3)])
    if model.has_lp:
        site = add_lp_site(system, nb, n_lig, model)
        if LP_WATER_ONLY:
            for i in range(n_lig):
                nb.addException(i, site, 0.0, 1.0, 0.0)
        pos = np.vstack([pos, solute[n_lig + 1:]])
    if model.c4_kJ_nm4:
        system.addForce(c4_force(system.getNumParticles(), n_lig, ow, model.c4_kJ_nm4,
                                 CUTOFF_NM, nonbonded=nb))
    box = edge / 10.0
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box, 0, 0), mm.Vec3(0, box, 0),
                                        mm.Vec3(0, 0, box))
    for f in system.getForces():  # MMFF custom forces: no periodic images inside the ligand
        if hasattr(f, "setUsesPeriodicBoundaryConditions") and not isinstance(
                f, (mm.NonbondedForce, mm.CustomNonbondedForce)):
            f.setUsesPeriodicBoundaryConditions(False)
    return system, pos / 10.0, edge, ow, model


def run_explicit(cx: Complex, cfg: dict, seed: int,
                 platform: str | None) -> tuple[np.ndarray, np.ndarray, float, Any, dict]:
    """Explicit TIP3P run; returns (ligand frames, metal frames, MD wall s, platform, extra).

    The ion is the 12-6-4 model of ``data/ion_1264.csv`` when the ion has one (C4 between the ion
    and water oxygens only; ligand atoms keep the 12-6 term; Pb2+ with its lone-pair site, whose
    LJ site also meets the ligand atoms), else the Li/Merz 12-6 HFE set
    (:func:`explicit_system`).
    ``extra``: ``q_water`` (mean number of water O within :func:`q_cutoff_A` of the metal over
    the production frames), ``q_water_sd``, ``q_water_cutoff_A``, ``solvent_access`` (water O
    within 3 A), ``n_waters``, ``ion_model``.
    """
    import openmm as mm
    from openmm import unit

    system, pos, edge, ow, model = explicit_system(cx)
    n_lig = cx.mol.GetNumAtoms()
    wat_n = len(ow)
    plat = choose_platform(len(pos), platform)
    integ = mm.LangevinMiddleIntegrator(300.0, 5.0, cfg["dt_fs"] / 1000.0)
    integ.setRandomNumberSeed(int(seed))
    ctx = mm.Context(system, integ, plat)
    ctx.setPositions(pos * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 1000)
    ctx.setVelocitiesToTemperature(300.0, int(seed))
    integ.step(int(round(cfg["equil_ps"] * 1000.0 / cfg["dt_fs"])))
    spf = int(round(cfg["frame_ps"] * 1000.0 / cfg["dt_fs"]))
    n_frames = int(round(cfg["prod_ps"] / cfg["frame_ps"]))
    qcut = q_cutoff_A(cx.ion)
    lig, met, access, q = [], [], [], []
    t0 = time.perf_counter()
    for _ in range(n_frames):
        integ.step(spf)
        xyz = np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True)
                         .value_in_unit(unit.angstrom))
        m = xyz[n_lig]
        dv = xyz[ow] - m
        dv -= edge * np.round(dv / edge)  # minimum image
        d = np.linalg.norm(dv, axis=1)
        access.append(int((d <= ACCESS_A).sum()))
        q.append(int((d <= qcut).sum()))
        lig.append(xyz[:n_lig])
        met.append(m)
    wall = time.perf_counter() - t0
    del ctx
    logger.info("explicit run: %d waters, box %.1f A, %.1f s", wat_n, edge, wall)
    return (np.array(lig), np.array(met), wall, plat,
            {"solvent_access": float(np.mean(access)), "q_water": float(np.mean(q)),
             "q_water_sd": float(np.std(q)), "q_water_cutoff_A": round(qcut, 3),
             "n_waters": int(wat_n), "ion_model": model.source,
             "ion_model_warning": (f"{cx.ion.ion}: the 12-6-4 ion model failed its aqua-ion "
                                   "check (see ion_model)" if "water check FAIL" in model.source
                                   else "")})
