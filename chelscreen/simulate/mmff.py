"""RDKit MMFF94 terms rebuilt as OpenMM forces (no conda, no AmberTools).

Every bonded MMFF94 term of the ligand is read from ``MMFFGetMoleculeProperties`` and written as
OpenMM forces with the MMFF functional form (see :func:`add_mmff_forces` for the force layout) (Halgren, J. Comput. Chem. 1996, 17, 490;
constants as in RDKit's ``ForceField/MMFF`` code):

- bond stretch (quartic): ``0.5*143.9325*kb*dr^2*(1 + cs*dr + 7/12*cs^2*dr^2)``, cs = -2 /A
- angle bend (cubic): ``0.5*0.043844*ka*dt^2*(1 + cb*dt)``, dt in degrees, cb = -0.006981317;
  linear centres: ``143.9325*ka*(1 + cos(theta))``
- stretch-bend: ``2.51210*(kIJK*dr_ij + kKJI*dr_kj)*dt``
- out-of-plane (Wilson angle chi, degrees): ``0.5*0.043844*koop*chi^2``
- torsion: ``0.5*(V1*(1+cos phi) + V2*(1-cos 2phi) + V3*(1+cos 3phi))``
- van der Waals: buffered 14-7 with RDKit's combined pair parameters (all pairs 1-4 and beyond,
  no 1-4 scaling) in a ``CustomBondForce`` over the pair list (exact, not mapped to LJ);
- electrostatics: MMFF charges, ``332.0716*qi*qj/(D*(r + 0.05))``, 1-4 pairs scaled by 0.75,
  D = 1 (constant dielectric), same ``CustomBondForce``.

Energies in kcal/mol and lengths in Angstrom are converted to kJ/mol and nm. The translation is
checked against RDKit's own MMFF energy in ``tests/unit/test_simulate_mmff.py``.

For interactions with the metal and with explicit water, each ligand atom also gets a 12-6
Lennard-Jones site mapped from its own MMFF vdW parameters (sigma = R*_ii / 2^(1/6),
epsilon = eps_ii) and its MMFF charge; those go into the system's ``NonbondedForce`` with every
ligand-ligand pair excluded there (they are handled exactly by the MMFF pair force).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

KCAL = 4.184  # kJ per kcal
C_BOND = 143.9325  # MDYNE_A_TO_KCAL_MOL
C_ANGLE = C_BOND * (math.pi / 180.0) ** 2  # 0.043844
C_STBN = 2.51210  # 143.9325 * pi/180
CS = -2.0
CB = -0.006981317
ELE = 332.0716
ELE_BUFFER_A = 0.05
LINEAR_TYPES = {4, 42, 53, 61}  # MMFF atom types with the 'lin' property


@dataclass
class MMFFTerms:
    """MMFF94 parameters of one molecule, extracted once, in MMFF units (kcal/mol, A, deg)."""

    n_atoms: int
    charges: list[float]
    atom_types: list[int]
    bonds: list[tuple[int, int, float, float]] = field(default_factory=list)
    angles: list[tuple[int, int, int, float, float, bool]] = field(default_factory=list)
    stretch_bends: list[tuple[int, int, int, float, float, float, float, float]] = field(
        default_factory=list
    )
    oops: list[tuple[int, int, int, int, float]] = field(default_factory=list)
    torsions: list[tuple[int, int, int, int, float, float, float]] = field(default_factory=list)
    pairs: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    self_vdw: list[tuple[float, float]] = field(default_factory=list)  # (R*_ii A, eps_ii kcal)


def extract_terms(mol: Any, *, variant: str = "MMFF94") -> MMFFTerms:
    """Read all MMFF94 terms of an RDKit molecule (explicit hydrogens, any charge state).

    Raises
    ------
    chelscreen.errors.SimulationError
        When RDKit cannot assign MMFF atom types (unsupported atoms, e.g. a metal).
    """
    from rdkit import Chem
    from rdkit.Chem import AllChem

    from chelscreen.errors import SimulationError

    mp = AllChem.MMFFGetMoleculeProperties(mol, mmffVariant=variant)
    if mp is None:
        raise SimulationError(
            f"RDKit cannot assign MMFF94 types to {Chem.MolToSmiles(mol)}; chelscreen simulates "
            "organic ligands (H, C, N, O, F, P, S, Cl, Br, I) with the metal as a separate ion."
        )
    n = mol.GetNumAtoms()
    terms = MMFFTerms(
        n_atoms=n,
        charges=[mp.GetMMFFPartialCharge(i) for i in range(n)],
        atom_types=[mp.GetMMFFAtomType(i) for i in range(n)],
    )
    r0 = {}
    for b in mol.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        p = mp.GetMMFFBondStretchParams(mol, i, j)
        if p is None:
            raise SimulationError(f"no MMFF bond parameters for atoms {i}-{j}")
        _, kb, r = p
        terms.bonds.append((i, j, kb, r))
        r0[(i, j)] = r0[(j, i)] = r
    neighbors = [[nb.GetIdx() for nb in a.GetNeighbors()] for a in mol.GetAtoms()]
    for j in range(n):
        nbs = neighbors[j]
        linear = terms.atom_types[j] in LINEAR_TYPES
        for a in range(len(nbs)):
            for c in range(a + 1, len(nbs)):
                i, k = nbs[a], nbs[c]
                p = mp.GetMMFFAngleBendParams(mol, i, j, k)
                if p is None:
                    continue
                _, ka, theta0 = p
                terms.angles.append((i, j, k, ka, theta0, linear))
                if linear:
                    continue
                s = mp.GetMMFFStretchBendParams(mol, i, j, k)
                if s is None:
                    continue
                _, kijk, kkji = s
                terms.stretch_bends.append((i, j, k, kijk, kkji, r0[(i, j)], r0[(k, j)], theta0))
        if len(nbs) == 3:
            n0, n1, n2 = nbs
            for i, k, l_ in ((n0, n1, n2), (n0, n2, n1), (n1, n2, n0)):
                koop = mp.GetMMFFOopBendParams(mol, i, j, k, l_)
                if koop:
                    terms.oops.append((i, j, k, l_, koop))
    seen = set()
    for b in mol.GetBonds():
        j, k = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        for i in neighbors[j]:
            if i == k:
                continue
            for l_ in neighbors[k]:
                if l_ == j or l_ == i:
                    continue
                key = (i, j, k, l_) if (i, j) < (l_, k) else (l_, k, j, i)
                if key in seen:
                    continue
                seen.add(key)
                p = mp.GetMMFFTorsionParams(mol, *key)
                if p is None:
                    continue
                _, v1, v2, v3 = p
                if v1 == 0 and v2 == 0 and v3 == 0:
                    continue
                terms.torsions.append((*key, v1, v2, v3))
    dmat = Chem.GetDistanceMatrix(mol)
    for i in range(n):
        p = mp.GetMMFFVdWParams(i, i)
        terms.self_vdw.append((p[2], p[3]))
        for j in range(i + 1, n):
            d = dmat[i, j]
            if d < 3:
                continue
            p = mp.GetMMFFVdWParams(i, j)
            scale = 0.75 if d == 3 else 1.0
            terms.pairs.append((i, j, p[2], p[3], scale * terms.charges[i] * terms.charges[j]))
    return terms


LAYOUTS = ("compact", "separate")
# angle from coordinates (faster in OpenMM than the angle()/distance() functions of a
# CustomCompoundBondForce: measured 0.4 vs 0.8 us per stretch-bend term, Reference platform)
_GEOM3 = ("r1=sqrt(ax^2+ay^2+az^2); r2=sqrt(bx^2+by^2+bz^2); "
          "ax=x1-x2; ay=y1-y2; az=z1-z2; bx=x3-x2; by=y3-y2; bz=z3-z2")


def add_mmff_forces(system: Any, terms: MMFFTerms, offset: int = 0, group: int = 0,
                    electrostatics: bool = True, layout: str = "compact") -> list[Any]:
    """Add the ligand's MMFF94 terms to an OpenMM ``System`` (particles ``offset``...).

    Two equivalent layouts (same energy and forces, checked against RDKit and against each
    other in ``tests/unit/test_simulate_mmff.py``):

    - ``"compact"`` (default, used for MD): the angle bend and stretch-bend of each non-linear
      angle in one ``CustomCompoundBondForce`` written in particle coordinates (angle and both
      bond lengths computed once per triple); linear bends, if any, in a ``CustomAngleForce``.
      5 forces (6 with a linear centre).
    - ``"separate"``: one force per MMFF term (bond, angle, stretch-bend, oop, torsion,
      nonbonded pairs) using OpenMM's ``angle()``/``distance()`` functions: the term-by-term
      reference the tests compare with RDKit.

    Why this split (per-force CPU time, Lu-DOTA, Reference platform, measured 2026-12-03): a
    ``CustomCompoundBondForce`` term using ``angle()`` costs ~0.6 us against ~0.07 us for a
    ``CustomAngleForce`` term, and the coordinate form is ~2x cheaper than the function form;
    OpenMM's native ``PeriodicTorsionForce`` (three periodic terms per MMFF torsion) was slower
    than one ``CustomTorsionForce`` (30 vs 17 us), and folding the 14-7 constants gained
    nothing, so those stay. The MMFF bond and angle terms are quartic/cubic and the van der
    Waals term is a buffered 14-7, so OpenMM's harmonic/LJ forces cannot represent them
    exactly. The MD gain against the old layout and a native-force system with the same
    interaction lists is measured by ``benchmarks/bench_simulate.py --layouts``.

    ``electrostatics=False`` leaves out the intramolecular Coulomb term (used for the
    conformational strain, bonded + van der Waals only).
    Returns the list of forces added.
    """
    import openmm as mm

    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    forces = []
    o = offset
    # distances in nm inside expressions are converted to A (x10); energies kcal -> kJ
    bond = mm.CustomBondForce(
        f"{KCAL}*0.5*{C_BOND}*kb*dr^2*(1+({CS})*dr+{7.0 / 12.0 * CS * CS}*dr^2); dr=10*r-r0"
    )
    bond.addPerBondParameter("kb")
    bond.addPerBondParameter("r0")
    for i, j, kb, r in terms.bonds:
        bond.addBond(i + o, j + o, [kb, r])
    forces.append(bond)

    angle_expr = (f"lin*{C_BOND}*ka*(1+cos(theta)) + (1-lin)*0.5*{C_ANGLE}*ka*dt^2*(1+({CB})*dt)")
    if layout == "compact":
        # non-linear angles: bend + stretch-bend in one force, angle and bond lengths computed
        # once from the coordinates; theta = atan2(|a x b|, a.b) (no acos clamping needed)
        sb_of = {(i, j, k): (kijk, kkji, rij, rkj)
                 for i, j, k, kijk, kkji, rij, rkj, _t0 in terms.stretch_bends}
        ang = mm.CustomCompoundBondForce(
            3,
            f"{KCAL}*(0.5*{C_ANGLE}*ka*dt^2*(1+({CB})*dt)"
            f" + {C_STBN}*(kijk*(10*r1-rij) + kkji*(10*r2-rkj))*dt);"
            f" dt=theta*{180.0 / math.pi}-t0;"
            " theta=atan2(sqrt(cx^2+cy^2+cz^2), ax*bx+ay*by+az*bz);"
            " cx=ay*bz-az*by; cy=az*bx-ax*bz; cz=ax*by-ay*bx; " + _GEOM3,
        )
        for name in ("ka", "t0", "kijk", "kkji", "rij", "rkj"):
            ang.addPerBondParameter(name)
        linear = []
        for i, j, k, ka, t0, lin in terms.angles:
            if lin:
                linear.append((i, j, k, ka))
                continue
            kijk, kkji, rij, rkj = sb_of.get((i, j, k), (0.0, 0.0, 0.0, 0.0))
            ang.addBond([i + o, j + o, k + o], [ka, t0, kijk, kkji, rij, rkj])
        forces.append(ang)
        if linear:  # MMFF linear bend (no stretch-bend), only for molecules that have one
            lin_f = mm.CustomAngleForce(f"{KCAL}*{C_BOND}*ka*(1+cos(theta))")
            lin_f.addPerAngleParameter("ka")
            for i, j, k, ka in linear:
                lin_f.addAngle(i + o, j + o, k + o, [ka])
            forces.append(lin_f)
    else:
        ang = mm.CustomAngleForce(f"{KCAL}*({angle_expr}); dt=theta*{180.0 / math.pi}-t0")
        for name in ("ka", "t0", "lin"):
            ang.addPerAngleParameter(name)
        for i, j, k, ka, t0, lin in terms.angles:
            ang.addAngle(i + o, j + o, k + o, [ka, t0, 1.0 if lin else 0.0])
        forces.append(ang)

        sb = mm.CustomCompoundBondForce(
            3,
            f"{KCAL}*{C_STBN}*(kijk*(10*distance(p1,p2)-rij) + kkji*(10*distance(p3,p2)-rkj))*dt;"
            f" dt=angle(p1,p2,p3)*{180.0 / math.pi}-t0",
        )
        for name in ("kijk", "kkji", "rij", "rkj", "t0"):
            sb.addPerBondParameter(name)
        for i, j, k, kijk, kkji, rij, rkj, t0 in terms.stretch_bends:
            sb.addBond([i + o, j + o, k + o], [kijk, kkji, rij, rkj, t0])
        forces.append(sb)

    # Wilson angle: p1=i, p2=j (centre), p3=k, p4=l (out of plane)
    oop = mm.CustomCompoundBondForce(
        4,
        f"{KCAL}*0.5*{C_ANGLE}*koop*chi^2;"
        f" chi={180.0 / math.pi}*asin(min(1, max(-1, (nx*lx+ny*ly+nz*lz)/(nn*ll))));"
        " nn=sqrt(nx^2+ny^2+nz^2); ll=sqrt(lx^2+ly^2+lz^2);"
        " nx=ay*bz-az*by; ny=az*bx-ax*bz; nz=ax*by-ay*bx;"
        " ax=x1-x2; ay=y1-y2; az=z1-z2; bx=x3-x2; by=y3-y2; bz=z3-z2;"
        " lx=x4-x2; ly=y4-y2; lz=z4-z2",
    )
    oop.addPerBondParameter("koop")
    for i, j, k, l_, koop in terms.oops:
        oop.addBond([i + o, j + o, k + o, l_ + o], [koop])
    forces.append(oop)

    tor = mm.CustomTorsionForce(
        f"{KCAL}*0.5*(v1*(1+cos(theta)) + v2*(1-cos(2*theta)) + v3*(1+cos(3*theta)))"
    )
    for name in ("v1", "v2", "v3"):
        tor.addPerTorsionParameter(name)
    for i, j, k, l_, v1, v2, v3 in terms.torsions:
        tor.addTorsion(i + o, j + o, k + o, l_ + o, [v1, v2, v3])
    forces.append(tor)

    nb = mm.CustomBondForce(
        f"{KCAL}*(eps*(1.07*rs/(R+0.07*rs))^7*(1.12*rs^7/(R^7+0.12*rs^7)-2)"
        f" + {ELE}*qq/(R+{ELE_BUFFER_A})); R=10*r"
    )
    for name in ("rs", "eps", "qq"):
        nb.addPerBondParameter(name)
    for i, j, rs, eps, qq in terms.pairs:
        nb.addBond(i + o, j + o, [rs, eps, qq if electrostatics else 0.0])
    forces.append(nb)

    for f in forces:
        f.setForceGroup(group)
        system.addForce(f)
    return forces


def lj_from_mmff(terms: MMFFTerms) -> list[tuple[float, float, float]]:
    """(charge e, sigma nm, epsilon kJ/mol) per atom: MMFF self vdW mapped to a 12-6 LJ site."""
    out = []
    for q, (rs, eps) in zip(terms.charges, terms.self_vdw):
        out.append((q, rs / 10.0 / 2 ** (1.0 / 6.0), eps * KCAL))
    return out


def openmm_mmff_energy(mol: Any, conf_id: int = -1, layout: str = "compact") -> float:
    """MMFF94 energy (kJ/mol) of ``mol`` evaluated with the OpenMM translation (vacuum).

    Used to check the translation against ``rdkit`` (see tests); not needed for simulations.
    """
    import openmm as mm
    from openmm import unit

    terms = extract_terms(mol)
    system = mm.System()
    for a in mol.GetAtoms():
        system.addParticle(a.GetMass())
    add_mmff_forces(system, terms, layout=layout)
    ctx = mm.Context(
        system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference")
    )
    pos = np.asarray(mol.GetConformer(conf_id).GetPositions()) / 10.0
    ctx.setPositions(pos * unit.nanometer)
    e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    return float(e)


def rdkit_mmff_energy(mol: Any, conf_id: int = -1, **term_switches: bool) -> float:
    """RDKit's own MMFF94 energy (kJ/mol); ``term_switches`` e.g. ``ele=False`` turn terms off."""
    from rdkit.Chem import AllChem

    mp = AllChem.MMFFGetMoleculeProperties(mol)
    setters = {
        "bond": mp.SetMMFFBondTerm,
        "angle": mp.SetMMFFAngleTerm,
        "stretch_bend": mp.SetMMFFStretchBendTerm,
        "oop": mp.SetMMFFOopTerm,
        "torsion": mp.SetMMFFTorsionTerm,
        "vdw": mp.SetMMFFVdWTerm,
        "ele": mp.SetMMFFEleTerm,
    }
    for name, on in term_switches.items():
        setters[name](bool(on))
    ff = AllChem.MMFFGetMoleculeForceField(mol, mp, confId=conf_id, nonBondedThresh=1000.0)
    return float(ff.CalcEnergy()) * KCAL
