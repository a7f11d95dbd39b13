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
(searched up to peak + 1.2 A). ``shell_asym`` is the frame mean of the length of the mean unit
vector from the ion to its first-shell water O: about 0 for a shell spread over the whole sphere
(holodirected), 0.5 for waters spread evenly over one hemisphere (the mean of cos(theta) over a
hemisphere) and 1 for all waters on one axis; a hemidirected shell, with one side left free (a
stereoactive lone pair), reads well above a holodirected one.
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
    # lone-pair site (Pb2+): a second centre ``lp_d_A`` from the ion (0 = no site) with no
    # charge and no C4, only a 12-6 LJ site (``lp_sigma_nm``, ``lp_epsilon_kJ``,
    # Lorentz-Berthelot with every other LJ site): it keeps waters (and donors) off one side of
    # the ion, as a stereoactive lone pair does. See ``add_lp_site``.
    lp_d_A: float = 0.0
    lp_sigma_nm: float = 0.1
    lp_epsilon_kJ: float = 0.0

    @property
    def rmin2_A(self) -> float:
        return self.sigma_nm * 10.0 * 2 ** (1.0 / 6.0) / 2.0

    @property
    def has_lp(self) -> bool:
        return self.lp_d_A > 0.0


def c4_to_openmm(c4_kcal_A4: float) -> float:
    """C4 in kcal/mol*A^4 (Amber/ParmEd) -> kJ/mol*nm^4."""
    return c4_kcal_A4 * KCAL * 1e-4


def rmin2_to_sigma_nm(rmin2_A: float) -> float:
    return 2.0 * rmin2_A / 2 ** (1.0 / 6.0) / 10.0


# Mass (u) of the lone-pair site, taken from the ion's own mass (the total is unchanged). The
# site is a real particle held at ``lp_d_A`` from the ion by a constraint, so the pair is a rigid
# rotor that turns freely: an OpenMM virtual site cannot do this for an ion, because every
# VirtualSite type is a function of the positions of other particles (for a lone ion there are
# none, and in a complex tying the site to ligand atoms would fix its direction). 4 u at 1.0 A
# gives a moment of inertia of 0.04 u nm^2, above a TIP3P water's smallest (about 0.006), so
# the 2 fs step that integrates the water rotations integrates the site's too (checked:
# ``tests/unit/test_simulate_hydration.py``, energy conservation and the site's temperature).
LP_MASS_U = 4.0


def add_lp_site(system: Any, nonbonded: Any, ion_index: int, model: IonModel) -> int:
    """Append the lone-pair site of ``model`` (a particle of LP_MASS_U, moved from the ion's
    mass, constrained at ``lp_d_A`` from the ion, no charge, its LJ site in ``nonbonded``,
    excluded from the ion there); returns its index."""
    m_ion = system.getParticleMass(ion_index)
    mass = m_ion.value_in_unit(m_ion.unit) if hasattr(m_ion, "unit") else float(m_ion)
    system.setParticleMass(ion_index, mass - LP_MASS_U)
    site = system.addParticle(LP_MASS_U)
    nonbonded.addParticle(0.0, model.lp_sigma_nm, model.lp_epsilon_kJ)
    nonbonded.addException(ion_index, site, 0.0, 1.0, 0.0)
    system.addConstraint(ion_index, site, model.lp_d_A / 10.0)
    return site


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
    check = str(row.get("water_check") or "not checked on the aqua ion")
    lp_d = float(row.get("lp_d_A") or 0.0)
    lp_text = ""
    lp_sig, lp_eps = 0.1, 0.0
    if lp_d > 0:
        lp_sig = rmin2_to_sigma_nm(float(row["lp_rmin2_A"]))
        lp_eps = float(row["lp_eps_kcal"]) * KCAL
        lp_text = (f"; lone-pair site at {lp_d:g} A (Rmin/2 {float(row['lp_rmin2_A']):g} A, "
                   f"eps {float(row['lp_eps_kcal']):g}): {row.get('lp_source') or ''}")
    return IonModel(p.ion, p.charge, rmin2_to_sigma_nm(float(row["rmin2_A"])),
                    float(row["eps_kcal"]) * KCAL, c4_to_openmm(float(row["c4_kcal_A4"])),
                    f"12-6-4: {row['c4_source']}; Rmin/2 {row['rmin2_source']}{lp_text}; "
                    f"water check {check}", lp_d, lp_sig, lp_eps)


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
                r_max_A: float = 5.0, vec_frames_A: np.ndarray | None = None
                ) -> dict[str, float]:
    """First-shell peak distance, first minimum and coordination number from M-O distances.

    ``dist_frames_A``: (frames, n_waters) minimum-image M-O distances; ``vec_frames_A``
    (optional): the matching (frames, n_waters, 3) M-O vectors, for ``shell_asym`` (module
    docstring).
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
    out = {"r_peak_A": r_peak, "r_mean_A": r_mean, "r_min_A": r_min,
           "cn_mean": float(cn_frames.mean()),
           "cn_sd": float(cn_frames.std()), "g_peak": float(gs[ip])}
    if vec_frames_A is not None:
        unit_v = vec_frames_A / np.maximum(dist_frames_A, 1e-9)[..., None]
        n_in = np.maximum(cn_frames, 1)[:, None]
        mean_u = (unit_v * inner[..., None]).sum(axis=1) / n_in
        out["shell_asym"] = float(np.linalg.norm(mean_u, axis=1)[cn_frames > 0].mean())
    return out


def simulate_aqua_ion(model: IonModel, n_waters: int = 400, equil_ps: float = 5.0,
                      prod_ps: float = 20.0, frame_ps: float = 0.1, seed: int = 1,
                      platform: Any = None) -> dict[str, Any]:
    """One aqua-ion MD run; returns first-shell figures and timings (no counter-ions: PME
    neutralizing background)."""
    import openmm as mm
    from openmm import unit

    system, pos, edge, ow = _aqua_system(model, n_waters, coupled=False)
    plat = platform or cpu_platform()
    integ = mm.LangevinMiddleIntegrator(300.0, 5.0, 0.002)
    integ.setRandomNumberSeed(int(seed))
    ctx = mm.Context(system, integ, plat)
    ctx.setPositions(pos * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 500)
    ctx.setVelocitiesToTemperature(300.0, int(seed))
    t0 = time.perf_counter()
    integ.step(int(round(equil_ps / 0.002)))
    spf = max(1, int(round(frame_ps / 0.002)))
    n_frames = int(round(prod_ps / frame_ps))
    dists = np.empty((n_frames, len(ow)))
    vecs = np.empty((n_frames, len(ow), 3))
    for k in range(n_frames):
        integ.step(spf)
        xyz = np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True)
                         .value_in_unit(unit.angstrom))
        dv = xyz[ow] - xyz[0]
        dv -= edge * np.round(dv / edge)
        vecs[k] = dv
        dists[k] = np.linalg.norm(dv, axis=1)
    wall = time.perf_counter() - t0
    del ctx
    out = first_shell(dists, edge, len(ow), vec_frames_A=vecs)
    out.update({"ion": model.ion, "model": "12-6-4" if model.c4_kJ_nm4 else "12-6",
                "rmin2_A": model.rmin2_A, "eps_kcal": model.epsilon_kJ / KCAL,
                "c4_kcal_A4": model.c4_kJ_nm4 / (KCAL * 1e-4), "lp_d_A": model.lp_d_A,
                "lp_rmin2_A": model.lp_sigma_nm * 10.0 * 2 ** (1.0 / 6.0) / 2.0,
                "lp_eps_kcal": model.lp_epsilon_kJ / KCAL, "n_waters": len(ow),
                "box_A": edge, "equil_ps": equil_ps, "prod_ps": prod_ps, "wall_s": wall,
                "ns_per_day": (equil_ps + prod_ps) / 1000.0 / wall * 86400.0,
                "platform": plat.getName(), "source": model.source})
    return out


# --- Hydration free energy of an ion model (benchmarks/validate_ions.py --hfe) -------------------
#
# Path (stated method): the ion's charge and its C4 term are switched on together, linearly in one
# coupling parameter lambda (q = lambda Q, C4 = lambda C4_full), in the presence of the full 12-6
# LJ sphere, by thermodynamic integration with Gauss-Legendre windows; the neutral 12-6 sphere is
# inserted into pure water by Widom test-particle insertion (the LJ cavity term is a few kcal/mol
# and needs no soft-core path). With PME, OpenMM's energy of a charged box includes the
# neutralizing-background (Wigner) self-energy of the ion with its images (checked in the unit
# tests), so the lambda^2 self term is exactly -Q^2 xi / (2 L) (xi = 2.837297, cubic lattice) and
# the remaining finite-size error is the solvent-screened part of it, corrected by
# ``finite_size_kcal`` (Hummer, Pratt & Garcia, J. Phys. Chem. 1996, 100, 1206,
# doi:10.1021/jp951011v: Ewald sums with the self term; the continuum estimate of what is left is
# + Q^2 xi / (8 pi eps0 eps_s L)).
# Sign convention: free energies in kcal/mol, negative = favourable hydration.

WIGNER_XI = 2.837297  # |xi_EW| of a simple cubic lattice (Ewald sum of a point charge + background)
KB_KCAL = 0.0019872043  # kcal/mol/K


def _aqua_system(model: IonModel, n_waters: int, coupled: bool) -> tuple:
    """The aqua-ion system used by :func:`simulate_aqua_ion` and the HFE runs.

    ``coupled=True``: the ion charge and C4 are controlled by global parameters ``lambda_q``
    (charge = lambda_q * Q, a NonbondedForce particle-parameter offset) and ``c4``; the
    NonbondedForce is in force group 0, the C4 force in group 1.
    A model with a lone-pair site gets it as the last particle (:func:`add_lp_site`), placed
    ``lp_d_A`` from the ion along +z.
    Returns (system, positions_nm, edge_A, water-O indices).
    """
    import openmm as mm
    from rdkit import Chem

    el = "".join(c for c in model.ion if c.isalpha())
    wat, edge = water_box(n_waters, centre_A=np.zeros(3), solute_A=np.zeros((1, 3)),
                          padding_A=0.0)
    wat = wat[np.linalg.norm(wat[:, 0, :], axis=1) > 2.0]  # drop waters on the ion
    system = mm.System()
    system.addParticle(Chem.GetPeriodicTable().GetAtomicWeight(el))
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.PME)
    nb.setCutoffDistance(CUTOFF_NM)
    nb.setUseDispersionCorrection(True)
    if coupled:
        nb.addGlobalParameter("lambda_q", 1.0)
        nb.addParticle(0.0, model.sigma_nm, model.epsilon_kJ)
        nb.addParticleParameterOffset("lambda_q", 0, float(model.charge), 0.0, 0.0)
    else:
        nb.addParticle(float(model.charge), model.sigma_nm, model.epsilon_kJ)
    first = add_waters(system, nb, len(wat))
    nb.setForceGroup(0)
    system.addForce(nb)
    ow = list(range(first, system.getNumParticles(), 3))
    pos = np.vstack([np.zeros((1, 3)), wat.reshape(-1, 3)]) / 10.0
    if model.has_lp:
        add_lp_site(system, nb, 0, model)
        pos = np.vstack([pos, [[0.0, 0.0, model.lp_d_A / 10.0]]])
    if model.c4_kJ_nm4 or coupled:
        f = c4_force(system.getNumParticles(), 0, ow, model.c4_kJ_nm4, nonbonded=nb)
        f.setForceGroup(1)
        system.addForce(f)
    box = edge / 10.0
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box, 0, 0), mm.Vec3(0, box, 0),
                                        mm.Vec3(0, 0, box))
    return system, pos, edge, ow


def pme_self_energy_kJ(charge: float, edge_A: float, platform: Any = None) -> float:
    """Energy of one point charge alone in the periodic box with OpenMM's PME settings of the
    aqua-ion runs (the ion's interaction with its images and the neutralizing background)."""
    import openmm as mm
    from openmm import unit

    s = mm.System()
    s.addParticle(1.0)
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.PME)
    nb.setCutoffDistance(CUTOFF_NM)
    nb.addParticle(float(charge), 0.3, 0.0)
    s.addForce(nb)
    b = edge_A / 10.0
    s.setDefaultPeriodicBoxVectors(mm.Vec3(b, 0, 0), mm.Vec3(0, b, 0), mm.Vec3(0, 0, b))
    ctx = mm.Context(s, mm.VerletIntegrator(0.001),
                     platform or mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions([mm.Vec3(0, 0, 0)] * unit.nanometer)
    return ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
        unit.kilojoule_per_mole)


def finite_size_kcal(charge: float, edge_A: float, eps_solvent: float) -> float:
    """Residual finite-size correction of a PME charging free energy that already contains the
    Wigner self term: + Q^2 xi / (8 pi eps0 eps_s L) (continuum estimate; Hummer, Pratt &
    Garcia 1996, doi:10.1021/jp951011v). Positive: the periodic images make the raw value too
    negative."""
    from chelscreen.simulate.params import ONE_4PI_EPS0

    return ONE_4PI_EPS0 * charge**2 * WIGNER_XI / (2.0 * eps_solvent * edge_A / 10.0) / KCAL


def gauss_legendre_windows(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    t, w = np.polynomial.legendre.leggauss(int(n))
    return (t + 1.0) / 2.0, w / 2.0


def _block_se(x: np.ndarray, n_blocks: int = 5) -> float:
    """Standard error of the mean from block averages (correlated samples)."""
    blocks = np.array_split(np.asarray(x, float), n_blocks)
    m = np.array([b.mean() for b in blocks if len(b)])
    return float(m.std(ddof=1) / math.sqrt(len(m))) if len(m) > 1 else float("nan")


def charging_free_energy(model: IonModel, n_windows: int = 5, equil_ps: float = 2.0,
                         first_equil_ps: float = 4.0, prod_ps: float = 8.0,
                         sample_ps: float = 0.05, n_waters: int = 400, seed: int = 1,
                         temperature_K: float = 300.0, platform: Any = None,
                         progress: Any = None) -> dict[str, Any]:
    """TI of switching the ion's charge and C4 term on (lambda: 0 -> 1) in the presence of its
    12-6 sphere, in TIP3P with PME.

    U(lambda) = U_0 + lambda * (ion-water Coulomb + C4 terms) + lambda^2 * Q^2 S, S the
    configuration-independent self term of the ion with its images (:func:`pme_self_energy_kJ`),
    so dU/dlambda = [E_nb(1) - E_nb(0)] + (2 lambda - 1) Q^2 S + E_C4(lambda) / lambda, evaluated
    exactly on each sampled configuration (two extra energy evaluations). Windows run from
    lambda near 1 down, each starting from the previous one's last state.
    Returns dG (kcal/mol), its block standard error, the per-window means and the box edge.
    """
    import openmm as mm
    from openmm import unit

    system, pos, edge, ow = _aqua_system(model, n_waters, coupled=True)
    plat = platform or cpu_platform()
    integ = mm.LangevinMiddleIntegrator(temperature_K, 5.0, 0.002)
    integ.setRandomNumberSeed(int(seed))
    ctx = mm.Context(system, integ, plat)
    ctx.setPositions(pos * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 500)
    ctx.setVelocitiesToTemperature(temperature_K, int(seed))
    q = float(model.charge)
    self_kJ = pme_self_energy_kJ(q, edge, plat)  # = Q^2 S
    lams, wts = gauss_legendre_windows(n_windows)
    order = np.argsort(-lams)
    spf = max(1, int(round(sample_ps / 0.002)))
    n_samp = int(round(prod_ps / sample_ps))
    kJ = unit.kilojoule_per_mole
    win: list[dict] = []
    t0 = time.perf_counter()
    for k, i in enumerate(order):
        lam = float(lams[i])
        ctx.setParameter("lambda_q", lam)
        ctx.setParameter("c4", lam * model.c4_kJ_nm4)
        integ.step(int(round((first_equil_ps if k == 0 else equil_ps) / 0.002)))
        du = np.empty(n_samp)
        for s in range(n_samp):
            integ.step(spf)
            e_c4 = (ctx.getState(getEnergy=True, groups={1}).getPotentialEnergy()
                    .value_in_unit(kJ)) if model.c4_kJ_nm4 else 0.0
            ctx.setParameter("lambda_q", 1.0)
            e1 = ctx.getState(getEnergy=True, groups={0}).getPotentialEnergy().value_in_unit(kJ)
            ctx.setParameter("lambda_q", 0.0)
            e0 = ctx.getState(getEnergy=True, groups={0}).getPotentialEnergy().value_in_unit(kJ)
            ctx.setParameter("lambda_q", lam)
            du[s] = (e1 - e0) + (2.0 * lam - 1.0) * self_kJ + e_c4 / lam
        du /= KCAL
        win.append({"lambda": lam, "weight": float(wts[i]), "dudl_kcal": float(du.mean()),
                    "dudl_se_kcal": _block_se(du), "dudl_sd_kcal": float(du.std())})
        if progress:
            progress(f"{model.ion} lambda {lam:.4f}: <dU/dl> {du.mean():9.2f} +/- "
                     f"{win[-1]['dudl_se_kcal']:.2f} kcal/mol ({time.perf_counter() - t0:.0f} s)")
    del ctx
    dg = float(sum(w["weight"] * w["dudl_kcal"] for w in win))
    se = float(math.sqrt(sum((w["weight"] * w["dudl_se_kcal"]) ** 2 for w in win)))
    return {"ion": model.ion, "dG_charge_c4_kcal": dg, "dG_charge_c4_se_kcal": se,
            "windows": sorted(win, key=lambda w: w["lambda"]), "edge_A": edge,
            "n_waters": len(ow), "self_energy_kJ": self_kJ, "wall_s": time.perf_counter() - t0,
            "platform": plat.getName(), "n_windows": int(n_windows), "equil_ps": equil_ps,
            "prod_ps": prod_ps}


def water_frames(n_waters: int = 400, equil_ps: float = 2.0, prod_ps: float = 20.0,
                 frame_ps: float = 0.1, seed: int = 7, temperature_K: float = 300.0,
                 platform: Any = None) -> tuple[np.ndarray, float]:
    """Water-oxygen positions (frames, n, 3) in A of a pure TIP3P box cut like the aqua-ion box
    (PME, 300 K), for Widom insertion; returns (frames, edge_A)."""
    import openmm as mm
    from openmm import unit

    wat, edge = water_box(n_waters, centre_A=np.zeros(3), solute_A=np.zeros((1, 3)),
                          padding_A=0.0)
    wat = wat[np.linalg.norm(wat[:, 0, :], axis=1) > 2.0]
    system = mm.System()
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.PME)
    nb.setCutoffDistance(CUTOFF_NM)
    nb.setUseDispersionCorrection(True)
    add_waters(system, nb, len(wat))
    system.addForce(nb)
    b = edge / 10.0
    system.setDefaultPeriodicBoxVectors(mm.Vec3(b, 0, 0), mm.Vec3(0, b, 0), mm.Vec3(0, 0, b))
    integ = mm.LangevinMiddleIntegrator(temperature_K, 5.0, 0.002)
    integ.setRandomNumberSeed(int(seed))
    ctx = mm.Context(system, integ, platform or cpu_platform())
    ctx.setPositions(wat.reshape(-1, 3) / 10.0 * unit.nanometer)
    ctx.applyConstraints(1e-6)
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 500)
    ctx.setVelocitiesToTemperature(temperature_K, int(seed))
    integ.step(int(round(equil_ps / 0.002)))
    spf = max(1, int(round(frame_ps / 0.002)))
    frames = []
    for _ in range(int(round(prod_ps / frame_ps))):
        integ.step(spf)
        xyz = np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True)
                         .value_in_unit(unit.angstrom))
        frames.append(xyz[0::3])
    return np.array(frames), float(edge)


def widom_lj_kcal(models: list[IonModel], frames_A: np.ndarray, edge_A: float,
                  n_insert: int = 500, seed: int = 11,
                  temperature_K: float = 300.0) -> list[tuple[float, float]]:
    """Excess chemical potential (kcal/mol) of each model's neutral 12-6 sphere in water by Widom
    test-particle insertion (Lorentz-Berthelot with TIP3P O, cut at the simulation cutoff, plus
    the analytical dispersion tail OpenMM adds). A model with a lone-pair site is inserted as
    the rigid ion-site dumbbell, its axis drawn uniformly on the sphere per inserted point (from
    a second random stream, so the inserted points, and the values of models without a site,
    are those of the one-sphere version). Returns [(mu_LJ, block standard error)] in the
    order of ``models``."""
    from scipy.special import logsumexp

    rng = np.random.default_rng(seed)
    rng_axis = np.random.default_rng(seed + 1)  # its own stream: the points stay as before
    kt = KB_KCAL * temperature_K
    rc = CUTOFF_NM * 10.0
    n_o = frames_A.shape[1]
    rho = n_o / edge_A**3
    sig_o, eps_o = TIP3P["sigO"] * 10.0, TIP3P["epsO"] / KCAL
    def lb(sigma_nm: float, eps_kj: float) -> tuple[float, float, float]:
        s = 0.5 * (sigma_nm * 10.0 + sig_o)
        e = math.sqrt(eps_kj / KCAL * eps_o)
        return s, e, 16.0 * math.pi * rho * e * (s**12 / (9.0 * rc**9) - s**6 / (3.0 * rc**3))

    pars = [(lb(m.sigma_nm, m.epsilon_kJ),
             lb(m.lp_sigma_nm, m.lp_epsilon_kJ) + (m.lp_d_A,) if m.has_lp else None)
            for m in models]

    def inv6_of(pts: np.ndarray, o: np.ndarray) -> np.ndarray:
        dv = pts[:, None, :] - o[None, :, :]
        dv -= edge_A * np.round(dv / edge_A)
        r2 = (dv**2).sum(axis=2)
        return np.where(r2 < rc * rc, 1.0 / np.maximum(r2, 1e-6) ** 3, 0.0)

    def lj(inv6: np.ndarray, s: float, e: float, tail: float) -> np.ndarray:
        s6 = s**6 * inv6
        return (4.0 * e * (s6 * s6 - s6)).sum(axis=1) + tail

    log_b = np.zeros((len(models), len(frames_A)))  # log of each frame's mean Boltzmann factor
    for f, o in enumerate(frames_A):
        pts = rng.uniform(-edge_A / 2, edge_A / 2, size=(n_insert, 3))
        inv6 = inv6_of(pts, o)
        # lone-pair site (a rigid dumbbell): a random orientation per inserted point
        axis = rng_axis.normal(size=(n_insert, 3))
        axis /= np.linalg.norm(axis, axis=1, keepdims=True)
        for k, (ion_p, lp_p) in enumerate(pars):
            u = lj(inv6, *ion_p)
            if lp_p is not None:
                u = u + lj(inv6_of(pts + lp_p[3] * axis, o), *lp_p[:3])
            log_b[k, f] = logsumexp(-u / kt) - math.log(n_insert)
    out = []
    for lb in log_b:
        mu = -kt * (logsumexp(lb) - math.log(len(lb)))
        nb = min(5, len(lb))
        blocks = [-kt * (logsumexp(x) - math.log(len(x))) for x in np.array_split(lb, nb)]
        se = float(np.std(blocks, ddof=1) / math.sqrt(nb)) if nb > 1 else float("nan")
        out.append((float(mu), se))
    return out
