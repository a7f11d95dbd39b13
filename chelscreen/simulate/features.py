"""Features computed from a built complex and its trajectory.

- coordination: ligand N/O/S atoms within ``target + 0.6 A`` of the metal (the target is the
  Shannon radius at the built CN + donor radius; see :mod:`chelscreen.simulate.build`);
- ``donors_retained_frac``: mean fraction of the initially coordinating atoms still within
  the cutoff, over the second half of the run;
- distances: mean metal-donor distance of the coordinating atoms vs the ideal (target) distance;
- ``binding_energy_kJ_mol``: E(complex, built and minimized) - E(relaxed free ligand) -
  E(solvated ion), all MMFF94 + ion + GBSA-OBC2: a continuum-solvent binding energy (no
  entropy; dominated by charge and desolvation, so compare it within one ion charge);
- ``strain_kJ_mol``: conformational strain, MMFF94 bonded + van der Waals energy (no Coulomb) of
  the ligand frozen in the complex geometry minus that of the relaxed free ligand (lowest of:
  the complex geometry minimized without the metal, and ETKDG conformers minimized).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from chelscreen.simulate.build import CN_TOLERANCE_A, Complex, target_distance_A

logger = logging.getLogger(__name__)


def _cutoffs(cx: Complex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices of ligand N/O/S, cutoff A, ideal distance A) for the complex's ion."""
    cn = max(cx.cn_initial, 1)
    idx, cut, ideal = [], [], []
    for a in cx.mol.GetAtoms():
        el = a.GetSymbol()
        if el in ("N", "O", "S"):
            t = target_distance_A(cx.ion, el, cn)
            idx.append(a.GetIdx())
            cut.append(t + CN_TOLERANCE_A)
            ideal.append(t)
    return np.array(idx, dtype=int), np.array(cut), np.array(ideal)


def coordination_features(cx: Complex, lig_frames_A: np.ndarray,
                          metal_frames_A: np.ndarray) -> dict[str, float]:
    """CN statistics and M-donor distances over frames (F, n_lig, 3) and (F, 3), Angstrom."""
    idx, cut, ideal = _cutoffs(cx)
    d0 = np.linalg.norm(cx.ligand_positions_A[idx] - cx.metal_pos_A, axis=1)
    initial = d0 <= cut
    d = np.linalg.norm(lig_frames_A[:, idx, :] - metal_frames_A[:, None, :], axis=2)
    bound = d <= cut[None, :]
    cn = bound.sum(axis=1)
    half = bound[len(bound) // 2:]
    retained = float(half[:, initial].mean()) if initial.any() else 0.0
    dist_bound = np.where(bound, d, np.nan)
    with np.errstate(invalid="ignore"):
        per_frame = np.nanmean(dist_bound, axis=1) if bound.any() else np.array([np.nan])
    md = float(np.nanmean(per_frame)) if np.isfinite(per_frame).any() else float("nan")
    ideal_mean = float(ideal[initial].mean()) if initial.any() else float("nan")
    return {
        "cn_initial": int(initial.sum()),
        "cn_mean": float(cn.mean()),
        "cn_min": int(cn.min()),
        "donors_retained_frac": retained,
        "md_dist_mean_A": md,
        "md_dist_ideal_A": ideal_mean,
        "md_dist_dev_A": md - ideal_mean,
    }


def strain_energy(cx: Complex, platform: Any, n_conformers: int = 4) -> tuple[float, float]:
    """Ligand conformational strain (kJ/mol) and the relaxed free ligand's energy (kJ/mol).

    ``strain``: intramolecular MMFF94 energy *without* the Coulomb term (bonded + van der
    Waals, vacuum) of the ligand frozen in the complex geometry, minus the lowest energy of the
    same function over relaxed free-ligand conformers (the complex geometry minimized without
    the metal, and ``n_conformers`` ETKDG conformers minimized). The Coulomb repulsion of the
    bound anionic donors is left out on purpose: with it (earlier versions) the "strain" of a
    small trivalent ion in DOTA reached 1,000-1,900 kJ/mol, i.e. the donor-donor repulsion
    that the metal pays for, which belongs to the binding energy, not to the ligand's shape.

    The second value, ``E_relaxed`` (MMFF94 + GBSA-OBC2, lowest over the same starting
    geometries), is the free-ligand reference of the binding energy.
    """
    import openmm as mm
    from openmm import unit
    from rdkit import Chem
    from rdkit.Chem import AllChem

    from chelscreen.simulate.build import make_system

    mol = Chem.Mol(cx.mol)
    pos = cx.ligand_positions_A / 10.0
    candidates = [pos]
    params = AllChem.ETKDGv3()
    params.randomSeed = int(cx.seed) + 1000
    cids = AllChem.EmbedMultipleConfs(mol, numConfs=int(n_conformers), params=params)
    for cid in cids:
        candidates.append(np.asarray(mol.GetConformer(cid).GetPositions()) / 10.0)

    def lowest(system: Any) -> tuple[float, float]:
        ctx = mm.Context(system, mm.VerletIntegrator(0.001), platform)
        ctx.setPositions(pos * unit.nanometer)
        e0 = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
            unit.kilojoule_per_mole)
        best = np.inf
        for p in candidates:
            ctx.setPositions(p * unit.nanometer)
            mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 1500)
            e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
                unit.kilojoule_per_mole)
            best = min(best, e)
        del ctx
        return float(e0), float(best)

    e_cx, e_min = lowest(make_system(mol, None, solvent="vacuum", constraints=False,
                                     electrostatics=False)[0])
    _, e_free = lowest(make_system(mol, None, solvent="implicit", constraints=False)[0])
    return float(max(e_cx - e_min, 0.0)), e_free


def ion_solvation_energy(cx: Complex, platform: Any) -> float:
    """GBSA-OBC2 energy (kJ/mol) of the isolated ion as parametrized (Born + surface term)."""
    import openmm as mm
    from openmm import unit

    system = mm.System()
    system.addParticle(1.0)
    gb = mm.GBSAOBCForce()
    gb.setSoluteDielectric(1.0)
    gb.setSolventDielectric(78.5)
    gb.addParticle(float(cx.ion.charge), cx.ion.obc_radius_nm, 0.8)
    system.addForce(gb)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), platform)
    ctx.setPositions([mm.Vec3(0, 0, 0)] * unit.nanometer)
    e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    del ctx
    return float(e)
