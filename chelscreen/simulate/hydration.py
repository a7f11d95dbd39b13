"""Aqua-ion simulations: first-shell M-O distance and coordination number in TIP3P water.

Used to validate and fit the ion models of the explicit-water protocol
(``benchmarks/validate_ions.py``):

- ``model="12-6"``: the Li/Merz 12-6 HFE set of :mod:`chelscreen.simulate.params` (as used by the
  implicit protocols);
- ``model="12-6-4"``: Li/Merz-type 12-6-4 ion (12-6 LJ + an ion-induced-dipole term
  ``-C4/r^4`` between the ion and every water oxygen, a ``CustomNonbondedForce``), with the
  parameters of ``data/ion_1264.csv`` (C4 from ParmEd's TIP3P table where one is published;
  Rmin/2 fitted to the experimental M-O distance; provenance in ``data/PROVENANCE.md``).

The box is cut from OpenMM's equilibrated TIP3P box (:func:`water_box`), PME (0.9 nm), NVT
Langevin at 300 K, rigid water, 2 fs. The first-shell distance is the maximum of the M-O radial
distribution (0.01 A bins, 5-point smoothing), ``r_mean_A`` the mean M-O distance of the
first-shell waters (the quantity EXAFS fits report, and the one compared with references); the
coordination number is the mean count of water O within the first minimum of g(r) after the peak
(searched up to peak + 1.2 A).
"""

from __future__ import annotations

import csv
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

KCAL = 4.184
DATA_1264 = Path(__file__).resolve().parent / "data" / "ion_1264.csv"
TIP3P = {"qO": -0.834, "qH": 0.417, "sigO": 0.31507524065751241, "epsO": 0.635968,
         "rOH": 0.09572, "rHH": 0.15139065}
CUTOFF_NM = 0.9
CLASH_A = 2.4


@dataclass(frozen=True)
class IonModel:
    """Nonbonded model of one ion in water (OpenMM units)."""

    ion: str
    charge: int
    sigma_nm: float
    epsilon_kJ: float
    c4_kJ_nm4: float  # ion-water-O C4 (0 = plain 12-6)
    source: str

    @property
    def rmin2_A(self) -> float:
        return self.sigma_nm * 10.0 * 2 ** (1.0 / 6.0) / 2.0


def c4_to_openmm(c4_kcal_A4: float) -> float:
    """C4 in kcal/mol*A^4 (Amber/ParmEd) -> kJ/mol*nm^4."""
    return c4_kcal_A4 * KCAL * 1e-4


def rmin2_to_sigma_nm(rmin2_A: float) -> float:
    return 2.0 * rmin2_A / 2 ** (1.0 / 6.0) / 10.0


def read_1264_table(path: str | Path = DATA_1264) -> dict[str, dict]:
    """Rows of the bundled 12-6-4 table keyed by ion."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["ion"]: r for r in csv.DictReader(fh)}


def ion_model(ion: str, model: str = "12-6-4") -> IonModel:
    """The ion's model: ``"12-6"`` (Li/Merz HFE set) or ``"12-6-4"`` (bundled fitted set)."""
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.simulate.params import get_ion_parameters

    p = get_ion_parameters(ion)
    if model == "12-6":
        return IonModel(p.ion, p.charge, p.sigma_nm, p.epsilon_kJ, 0.0, p.lj_source)
    if model != "12-6-4":
        raise ValueError(f"model must be '12-6' or '12-6-4', got {model!r}")
    row = read_1264_table().get(p.ion)
    if row is None:
        raise UnsupportedMetalError(
            f"no 12-6-4 parameters for {p.ion}; fit them with benchmarks/validate_ions.py --fit "
            f"{p.ion}, or use the 12-6 model."
        )
    return IonModel(p.ion, p.charge, rmin2_to_sigma_nm(float(row["rmin2_A"])),
                    float(row["eps_kcal"]) * KCAL, c4_to_openmm(float(row["c4_kcal_A4"])),
                    f"12-6-4: {row['c4_source']}; Rmin/2 {row['rmin2_source']}")


def water_box(n_min: int, centre_A: np.ndarray | None = None,
              solute_A: np.ndarray | None = None, padding_A: float = 10.0) -> tuple[np.ndarray,
                                                                                     float]:
    """Water (n, 3, 3) coordinates in A and cubic box edge (A), cut from OpenMM's TIP3P box.

    The edge is the larger of: the solute extent + 2 * padding, and the edge holding ``n_min``
    waters at the box density (33.4 per nm^3). Waters with O within 2.4 A of a solute atom are
    removed.
    """
    import openmm.app as app

    pdb = app.PDBFile(os.path.join(os.path.dirname(app.__file__), "data", "tip3p.pdb"))
    ref = np.asarray(pdb.getPositions(asNumpy=True).value_in_unit(pdb.positions.unit)) * 10.0
    ref = ref.reshape(-1, 3, 3)
    edge0 = 30.0
    solute = np.zeros((0, 3)) if solute_A is None else np.asarray(solute_A, float)
    centre = (solute.mean(axis=0) if len(solute) else
              (np.zeros(3) if centre_A is None else np.asarray(centre_A, float)))
    extent = float(np.ptp(solute, axis=0).max()) if len(solute) > 1 else 0.0
    edge = max(extent + 2 * padding_A, (n_min / 0.0334) ** (1.0 / 3.0), 2 * CUTOFF_NM * 10 + 0.5)
    reps = int(np.ceil(edge / edge0))
    tiles = [ref + np.array([i, j, k]) * edge0
             for i in range(reps) for j in range(reps) for k in range(reps)]
    wat = np.concatenate(tiles)
    o = wat[:, 0, :]
    keep = np.all((o >= 0) & (o < edge - 1.0), axis=1)  # 1 A gap: no clash across the boundary
    wat = wat[keep] - edge / 2.0 + centre
    if len(solute):
        d = np.linalg.norm(wat[:, 0, None, :] - solute[None, :, :], axis=2).min(axis=1)
        wat = wat[d > CLASH_A]
    return wat, float(edge)


def add_waters(system: Any, nb: Any, n_waters: int) -> int:
    """Append ``n_waters`` rigid TIP3P molecules; returns the index of the first water O."""
    from rdkit import Chem

    mO, mH = (Chem.GetPeriodicTable().GetAtomicWeight(e) for e in ("O", "H"))
    first = system.getNumParticles()
    for _ in range(n_waters):
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
    return first


def c4_force(n_particles: int, ion_index: int, partners: list[int], c4_kJ_nm4: float,
             cutoff_nm: float = CUTOFF_NM, periodic: bool = True, nonbonded: Any = None) -> Any:
    """``-C4/r^4`` between one ion and ``partners`` (one CustomNonbondedForce, interaction group
    ion x partners only, so its cost is one row of pairs). ``nonbonded``: the system's
    ``NonbondedForce``, whose exceptions are copied as exclusions (OpenMM requires identical
    exclusions)."""
    import openmm as mm

    f = mm.CustomNonbondedForce("-c4/r^4")
    f.addGlobalParameter("c4", float(c4_kJ_nm4))
    if periodic:
        f.setNonbondedMethod(mm.CustomNonbondedForce.CutoffPeriodic)
        f.setCutoffDistance(cutoff_nm)
    else:
        f.setNonbondedMethod(mm.CustomNonbondedForce.NoCutoff)
    for _ in range(n_particles):
        f.addParticle([])
    if nonbonded is not None:
        for k in range(nonbonded.getNumExceptions()):
            i, j, *_ = nonbonded.getExceptionParameters(k)
            f.addExclusion(i, j)
    f.addInteractionGroup([ion_index], list(partners))
    return f


def cpu_platform() -> Any:
    """CUDA/OpenCL when present, else CPU (PME systems)."""
    from chelscreen.simulate.build import choose_platform

    return choose_platform(10_000)


def first_shell(dist_frames_A: np.ndarray, box_A: float, n_waters: int,
                r_max_A: float = 5.0) -> dict[str, float]:
    """First-shell peak distance, first minimum and coordination number from M-O distances.

    ``dist_frames_A``: (frames, n_waters) minimum-image M-O distances.
    """
    edges = np.arange(1.5, r_max_A + 1e-9, 0.01)
    h, _ = np.histogram(dist_frames_A.ravel(), bins=edges)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 * math.pi * r**2 * 0.01
    rho = n_waters / box_A**3
    g = h / (len(dist_frames_A) * shell * rho)
    gs = np.convolve(g, np.ones(5) / 5.0, mode="same")
    ip = int(np.argmax(gs))
    r_peak = float(r[ip])
    win = (r > r_peak + 0.1) & (r < r_peak + 1.2)
    r_min = float(r[win][np.argmin(gs[win])]) if win.any() else r_peak + 0.6
    inner = dist_frames_A <= r_min
    cn_frames = inner.sum(axis=1)
    r_mean = float(dist_frames_A[inner].mean()) if inner.any() else float("nan")
    return {"r_peak_A": r_peak, "r_mean_A": r_mean, "r_min_A": r_min,
            "cn_mean": float(cn_frames.mean()),
            "cn_sd": float(cn_frames.std()), "g_peak": float(gs[ip])}


def simulate_aqua_ion(model: IonModel, n_waters: int = 400, equil_ps: float = 5.0,
                      prod_ps: float = 20.0, frame_ps: float = 0.1, seed: int = 1,
                      platform: Any = None) -> dict[str, Any]:
    """One aqua-ion MD run; returns first-shell figures and timings (no counter-ions: PME
    neutralizing background)."""
    import openmm as mm
    from openmm import unit
    from rdkit import Chem

    el = "".join(c for c in model.ion if c.isalpha())
    wat, edge = water_box(n_waters, centre_A=np.zeros(3), solute_A=np.zeros((1, 3)),
                          padding_A=0.0)
    # drop waters too close to the ion at the origin
    wat = wat[np.linalg.norm(wat[:, 0, :], axis=1) > 2.0]
    system = mm.System()
    system.addParticle(Chem.GetPeriodicTable().GetAtomicWeight(el))
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.PME)
    nb.setCutoffDistance(CUTOFF_NM)
    nb.setUseDispersionCorrection(True)
    nb.addParticle(float(model.charge), model.sigma_nm, model.epsilon_kJ)
    first = add_waters(system, nb, len(wat))
    system.addForce(nb)
    ow = list(range(first, system.getNumParticles(), 3))
    if model.c4_kJ_nm4:
        system.addForce(c4_force(system.getNumParticles(), 0, ow, model.c4_kJ_nm4, nonbonded=nb))
    box = edge / 10.0
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box, 0, 0), mm.Vec3(0, box, 0),
                                        mm.Vec3(0, 0, box))
    plat = platform or cpu_platform()
    integ = mm.LangevinMiddleIntegrator(300.0, 5.0, 0.002)
    integ.setRandomNumberSeed(int(seed))
    ctx = mm.Context(system, integ, plat)
    pos = np.vstack([np.zeros((1, 3)), wat.reshape(-1, 3)]) / 10.0
    ctx.setPositions(pos * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 500)
    ctx.setVelocitiesToTemperature(300.0, int(seed))
    t0 = time.perf_counter()
    integ.step(int(round(equil_ps / 0.002)))
    spf = max(1, int(round(frame_ps / 0.002)))
    n_frames = int(round(prod_ps / frame_ps))
    dists = np.empty((n_frames, len(ow)))
    for k in range(n_frames):
        integ.step(spf)
        xyz = np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True)
                         .value_in_unit(unit.angstrom))
        dv = xyz[ow] - xyz[0]
        dv -= edge * np.round(dv / edge)
        dists[k] = np.linalg.norm(dv, axis=1)
    wall = time.perf_counter() - t0
    del ctx
    out = first_shell(dists, edge, len(ow))
    out.update({"ion": model.ion, "model": "12-6-4" if model.c4_kJ_nm4 else "12-6",
                "rmin2_A": model.rmin2_A, "eps_kcal": model.epsilon_kJ / KCAL,
                "c4_kcal_A4": model.c4_kJ_nm4 / (KCAL * 1e-4), "n_waters": len(ow),
                "box_A": edge, "equil_ps": equil_ps, "prod_ps": prod_ps, "wall_s": wall,
                "ns_per_day": (equil_ps + prod_ps) / 1000.0 / wall * 86400.0,
                "platform": plat.getName(), "source": model.source})
    return out
