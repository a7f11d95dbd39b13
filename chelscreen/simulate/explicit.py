"""Explicit-water (TIP3P + PME) run of a built complex (the ``explicit`` protocol).

The water box is cut from OpenMM's bundled equilibrated TIP3P box (``openmm/app/data/tip3p.pdb``,
3 nm cube, tiled as needed): a cube with >= 1.0 nm padding around the complex, waters whose O
is within 2.4 A of a solute atom removed. TIP3P (Jorgensen 1983) parameters as in OpenMM's
``tip3p.xml``; rigid waters. Ligand-ligand interactions stay the exact MMFF94 pair force; the
ligand's MMFF-mapped LJ sites and charges and the ion's Li/Merz 12-6 site interact with water
through a PME ``NonbondedForce`` (cutoff 0.9 nm, Lorentz-Berthelot). No counter-ions: the
net charge is handled by PME's uniform neutralizing background.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from chelscreen.simulate.build import Complex, choose_platform

logger = logging.getLogger(__name__)

TIP3P = {"qO": -0.834, "qH": 0.417, "sigO": 0.31507524065751241, "epsO": 0.635968,
         "rOH": 0.09572, "rHH": 0.15139065}
PADDING_NM = 1.0
CUTOFF_NM = 0.9
CLASH_A = 2.4
ACCESS_A = 3.0


def _water_box(solute_A: np.ndarray) -> tuple[np.ndarray, float]:
    """Water coordinates (n_wat, 3, 3) in A around the solute, and the cubic box edge (A)."""
    import openmm.app as app

    pdb = app.PDBFile(os.path.join(os.path.dirname(app.__file__), "data", "tip3p.pdb"))
    ref = np.asarray(pdb.getPositions(asNumpy=True).value_in_unit(pdb.positions.unit)) * 10.0
    edge0 = 30.0
    ref = ref.reshape(-1, 3, 3)
    centre = solute_A.mean(axis=0)
    extent = np.ptp(solute_A, axis=0).max()
    edge = extent + 2 * PADDING_NM * 10.0
    reps = int(np.ceil(edge / edge0))
    tiles = []
    for i in range(reps):
        for j in range(reps):
            for k in range(reps):
                tiles.append(ref + np.array([i, j, k]) * edge0)
    wat = np.concatenate(tiles)
    o = wat[:, 0, :]
    keep = np.all((o >= 0) & (o < edge), axis=1)
    wat = wat[keep] - edge / 2.0 + centre
    d = np.linalg.norm(wat[:, 0, None, :] - solute_A[None, :, :], axis=2).min(axis=1)
    return wat[d > CLASH_A], float(edge)


def run_explicit(cx: Complex, cfg: dict, seed: int,
                 platform: str | None) -> tuple[np.ndarray, np.ndarray, float, Any, dict]:
    """Explicit TIP3P run; returns (ligand frames, metal frames, MD wall s, platform, extra)."""
    import openmm as mm
    from openmm import unit
    from rdkit import Chem

    from chelscreen.simulate.build import make_system

    system, terms = make_system(cx.mol, cx.ion, solvent="vacuum", constraints=True)
    n_lig = cx.mol.GetNumAtoms()
    solute = np.vstack([cx.ligand_positions_A, cx.metal_pos_A])
    wat, edge = _water_box(solute)
    nb = next(f for f in system.getForces() if isinstance(f, mm.NonbondedForce))
    nb.setNonbondedMethod(mm.NonbondedForce.PME)
    nb.setCutoffDistance(CUTOFF_NM)
    mO, mH = (Chem.GetPeriodicTable().GetAtomicWeight(e) for e in ("O", "H"))
    first = system.getNumParticles()
    for _w in range(len(wat)):
        o = system.addParticle(mO)
        h1 = system.addParticle(mH)
        h2 = system.addParticle(mH)
        nb.addParticle(TIP3P["qO"], TIP3P["sigO"], TIP3P["epsO"])
        nb.addParticle(TIP3P["qH"], 1.0, 0.0)
        nb.addParticle(TIP3P["qH"], 1.0, 0.0)
        for a, b in ((o, h1), (o, h2), (h1, h2)):
            nb.addException(a, b, 0.0, 1.0, 0.0)
        system.addConstraint(o, h1, TIP3P["rOH"])
        system.addConstraint(o, h2, TIP3P["rOH"])
        system.addConstraint(h1, h2, TIP3P["rHH"])
    box = edge / 10.0
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box, 0, 0), mm.Vec3(0, box, 0),
                                        mm.Vec3(0, 0, box))
    for f in system.getForces():  # MMFF custom forces: no periodic images inside the ligand
        if hasattr(f, "setUsesPeriodicBoundaryConditions"):
            f.setUsesPeriodicBoundaryConditions(False)
    pos = np.vstack([solute, wat.reshape(-1, 3)]) / 10.0
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
    lig, met, access = [], [], []
    ow = np.arange(first, system.getNumParticles(), 3)
    t0 = time.perf_counter()
    for _ in range(n_frames):
        integ.step(spf)
        xyz = np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True)
                         .value_in_unit(unit.angstrom))
        m = xyz[n_lig]
        dv = xyz[ow] - m
        dv -= edge * np.round(dv / edge)  # minimum image
        access.append(int((np.linalg.norm(dv, axis=1) <= ACCESS_A).sum()))
        lig.append(xyz[:n_lig])
        met.append(m)
    wall = time.perf_counter() - t0
    del ctx
    logger.info("explicit run: %d waters, box %.1f A, %.1f s", len(wat), edge, wall)
    return (np.array(lig), np.array(met), wall, plat,
            {"solvent_access": float(np.mean(access)), "n_waters": int(len(wat))})
