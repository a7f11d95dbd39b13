"""Simulation protocols: ``fast`` and ``standard`` (GBSA-OBC2) and ``explicit`` (TIP3P + PME).

=========  ==========================================================================
fast       implicit water, 2 ps equilibration + 20 ps Langevin MD (4 fs with hydrogen
           mass repartitioning to 3.024 u, H bonds constrained, 300 K, 5/ps);
           coordination, distance and strain features.
standard   implicit water, 5 ps + 100 ps MD, plus steered pulling (metal pulled from
           the ligand's heavy-atom centroid: spring 5000 kJ/mol/nm^2, 0.02 nm/ps over
           1.2 nm) from 3 seeds; ``dissociation_work_kJ_mol`` is the mean work, with
           its standard deviation.
explicit   TIP3P box (>= 1.0 nm padding, cut from OpenMM's equilibrated water box),
           PME 0.9 nm, NVT; 5 ps + 20 ps; water-validated 12-6-4 ion where available;
           adds ``q_water`` (mean water O within the first-shell cutoff of the metal
           over production frames, with ``q_water_sd`` and ``q_water_cutoff_A``) and
           ``solvent_access`` (water O within 3 A). No counter-ions (net charge handled
           by PME's neutralizing background).
=========  ==========================================================================

Runs are reproducible for a given seed on one platform (Reference/CPU are deterministic).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from chelscreen.errors import SimulationError
from chelscreen.simulate.build import Complex, choose_platform, make_system
from chelscreen.simulate.features import (
    coordination_features,
    ion_solvation_energy,
    strain_energy,
)

logger = logging.getLogger(__name__)

PROTOCOLS: dict[str, dict[str, Any]] = {
    "fast": {"solvent": "implicit", "equil_ps": 2.0, "prod_ps": 20.0, "frame_ps": 0.5,
             "dt_fs": 4.0, "pull_seeds": 0, "strain_confs": 2},
    "standard": {"solvent": "implicit", "equil_ps": 5.0, "prod_ps": 100.0, "frame_ps": 0.5,
                 "dt_fs": 4.0, "pull_seeds": 3, "strain_confs": 6},
    "explicit": {"solvent": "explicit", "equil_ps": 5.0, "prod_ps": 20.0, "frame_ps": 0.5,
                 "dt_fs": 2.0, "pull_seeds": 0, "strain_confs": 4},
}
FEATURE_COLUMNS = [
    "cn_initial", "cn_mean", "cn_min", "donors_retained_frac", "md_dist_mean_A",
    "md_dist_ideal_A", "md_dist_dev_A", "strain_kJ_mol", "binding_energy_kJ_mol",
    "solvent_access", "q_water", "q_water_sd", "q_water_cutoff_A",
    "dissociation_work_kJ_mol", "dissociation_work_sd_kJ_mol",
]
TEMPERATURE_K = 300.0
FRICTION_PER_PS = 5.0
PULL_K = 5000.0  # kJ/mol/nm^2
PULL_SPEED = 0.02  # nm/ps
PULL_DIST = 1.2  # nm


def _integrator(dt_fs: float, seed: int) -> Any:
    import openmm as mm

    integ = mm.LangevinMiddleIntegrator(TEMPERATURE_K, FRICTION_PER_PS, dt_fs / 1000.0)
    integ.setRandomNumberSeed(int(seed))
    return integ


def _sample(ctx: Any, n_lig: int, metal_index: int, steps_per_frame: int,
            n_frames: int) -> tuple[np.ndarray, np.ndarray, float]:
    from openmm import unit

    lig, met = [], []
    t0 = time.perf_counter()
    integ = ctx.getIntegrator()
    for _ in range(n_frames):
        integ.step(steps_per_frame)
        xyz = ctx.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(
            unit.angstrom)
        xyz = np.asarray(xyz)
        if not np.all(np.isfinite(xyz)):
            raise SimulationError("the simulation blew up (NaN coordinates)")
        lig.append(xyz[:n_lig])
        met.append(xyz[metal_index])
    return np.array(lig), np.array(met), time.perf_counter() - t0


def _implicit_context(cx: Complex, seed: int, dt_fs: float, platform: Any,
                      extra_forces: list[Any] | None = None) -> Any:
    import openmm as mm
    from openmm import unit

    system, _ = make_system(cx.mol, cx.ion, solvent="implicit", constraints=True,
                            hmr=dt_fs > 2.0)
    for f in extra_forces or []:
        system.addForce(f)
    ctx = mm.Context(system, _integrator(dt_fs, seed), platform)
    pos = np.vstack([cx.ligand_positions_A, cx.metal_pos_A]) / 10.0
    ctx.setPositions(pos * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 500)
    ctx.setVelocitiesToTemperature(TEMPERATURE_K, int(seed))
    return ctx


def _pull_work(cx: Complex, seed: int, platform: Any, dt_fs: float) -> float:
    """Work (kJ/mol) to drag the metal PULL_DIST away from the ligand heavy-atom centroid."""
    import openmm as mm

    n = cx.mol.GetNumAtoms()
    heavy = [a.GetIdx() for a in cx.mol.GetAtoms() if a.GetAtomicNum() > 1]
    pull = mm.CustomCentroidBondForce(2, "0.5*k_pull*(distance(g1,g2)-r_pull)^2")
    pull.addGlobalParameter("k_pull", PULL_K)
    pull.addGlobalParameter("r_pull", 0.0)
    g_lig = pull.addGroup(heavy)
    g_met = pull.addGroup([n])
    pull.addBond([g_lig, g_met], [])
    ctx = _implicit_context(cx, seed, dt_fs, platform, [pull])
    from openmm import unit

    xyz = ctx.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
    r = float(np.linalg.norm(np.asarray(xyz)[heavy].mean(axis=0) - np.asarray(xyz)[n]))
    ctx.setParameter("r_pull", r)
    ctx.getIntegrator().step(int(1000 / dt_fs))  # 1 ps with the spring on, before pulling
    dt_ps = dt_fs / 1000.0
    chunk = 10
    dr = PULL_SPEED * dt_ps * chunk
    n_chunks = int(round(PULL_DIST / dr))
    work = 0.0
    for _ in range(n_chunks):
        xyz = np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True)
                         .value_in_unit(unit.nanometer))
        d = float(np.linalg.norm(xyz[heavy].mean(axis=0) - xyz[n]))
        work += PULL_K * (r - d) * dr  # dW = dU/dr_pull * dr_pull = k (r - d) dr
        r += dr
        ctx.setParameter("r_pull", r)
        ctx.getIntegrator().step(chunk)
    del ctx
    return float(work)


def run(complex: Complex, protocol: str = "fast", seed: int | None = None,
        platform: str | None = None) -> dict[str, Any]:
    """Run one protocol on a built complex and return one row of features.

    Parameters
    ----------
    complex
        From :func:`chelscreen.simulate.build_complex`.
    protocol
        ``"fast"``, ``"standard"`` or ``"explicit"`` (see module docstring).
    seed
        Random seed (default: the complex's build seed).
    platform
        OpenMM platform name; default: CUDA/OpenCL when present, else CPU (one thread for
        a complex in implicit water; see :func:`chelscreen.simulate.build.choose_platform`).

    Returns
    -------
    dict
        ``cn_initial, cn_mean, cn_min, donors_retained_frac, md_dist_mean_A, md_dist_ideal_A,
        md_dist_dev_A, strain_kJ_mol, binding_energy_kJ_mol, solvent_access, q_water,
        q_water_sd, q_water_cutoff_A, dissociation_work_kJ_mol, dissociation_work_sd_kJ_mol,
        build_s, relax_s, md_s, strain_s, pull_s, wall_s, md_wall_s, ns_per_day, platform,
        ion_params_source, protocol, seed, status, message`` (NaN for features a protocol does
        not compute; ``*_s`` are wall seconds per stage).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}."
        )
    cfg = PROTOCOLS[protocol]
    seed = complex.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    row: dict[str, Any] = {c: float("nan") for c in FEATURE_COLUMNS}
    times: dict[str, float] = {}
    ts = time.perf_counter()
    if cfg["solvent"] == "explicit":
        from chelscreen.simulate.explicit import run_explicit

        lig, met, md_wall, plat, extra = run_explicit(complex, cfg, seed, platform)
        row.update(extra)
    else:
        plat = choose_platform(complex.n_atoms, platform)
        ctx = _implicit_context(complex, seed, cfg["dt_fs"], plat)
        times["setup_s"] = time.perf_counter() - ts
        spf = int(round(cfg["frame_ps"] * 1000.0 / cfg["dt_fs"]))
        ctx.getIntegrator().step(int(round(cfg["equil_ps"] * 1000.0 / cfg["dt_fs"])))
        lig, met, md_wall = _sample(ctx, complex.mol.GetNumAtoms(), complex.mol.GetNumAtoms(),
                                    spf, int(round(cfg["prod_ps"] / cfg["frame_ps"])))
        del ctx
    # MD stage: system setup + minimization + equilibration + production (ns_per_day uses
    # production only)
    times["md_s"] = time.perf_counter() - ts
    row.update(coordination_features(complex, lig, met))
    tp = time.perf_counter()
    lig_plat = choose_platform(complex.mol.GetNumAtoms(), platform)
    row["strain_kJ_mol"], e_free = strain_energy(complex, lig_plat, cfg["strain_confs"])
    row["binding_energy_kJ_mol"] = (complex.energy_kJ_mol - e_free
                                    - ion_solvation_energy(complex, lig_plat))
    times["strain_s"] = time.perf_counter() - tp
    if cfg["pull_seeds"]:
        tp = time.perf_counter()
        works = [_pull_work(complex, seed + k, plat, cfg["dt_fs"])
                 for k in range(cfg["pull_seeds"])]
        row["dissociation_work_kJ_mol"] = float(np.mean(works))
        row["dissociation_work_sd_kJ_mol"] = float(np.std(works, ddof=1))
        times["pull_s"] = time.perf_counter() - tp
    wall = time.perf_counter() - t0
    warnings = list(complex.warnings)
    if row["cn_min"] == 0:
        warnings.append("the metal left the ligand during the run")
    row.update({
        "wall_s": wall + complex.timings_s.get("build_total", 0.0),
        "md_wall_s": md_wall,
        "ns_per_day": cfg["prod_ps"] / 1000.0 / md_wall * 86400.0 if md_wall > 0 else np.nan,
        "platform": plat.getName(),
        "ion_params_source": complex.ion.params_flag,
        "protocol": protocol,
        "seed": seed,
        "build_s": complex.timings_s.get("build_total", np.nan),
        "relax_s": complex.timings_s.get("relax", np.nan),
        **{f"{k}": v for k, v in times.items()},
        "status": "warning" if warnings else "ok",
        "message": "; ".join(warnings),
    })
    return row
