"""Build a 3D metal-chelator complex and its OpenMM system.

Route (see ``docs``/module docstrings of :mod:`chelscreen.simulate`):

1. the ligand is deprotonated *as bound* (carboxylic, phosphonic/phosphinic, sulfonic and
   hydroxamic acids, and OH groups perceived as anionic donors: phenolate, HOPO);
2. the donor set comes from :func:`chelscreen.chem.donors.chelating_unit`: one atom per donor
   group (the member nearest the metal), anionic O before N before neutral O/S, capped at the top
   of the ion's coordination-number range;
3. ``n_conformers`` ETKDGv3 conformers (fixed seeds); per conformer the metal is put at the donor
   centroid, the donors are pulled to target M-donor distances (Shannon radius at that CN +
   1.37 A for O, 1.48 A for N, 1.80 A for S) by a one-sided harmonic restraint, the complex is
   minimized, the restraint released and the complex minimized again (MMFF94 ligand + ion in
   GBSA-OBC2);
4. the best conformer is the lowest-energy one that passes a geometry sanity check: at least
   75 % of the chosen donors within ``target + 0.6 A`` and the metal *inside* the donor set
   (length of the mean metal->donor unit vector < 0.6; a metal sitting on one face of two
   carboxylates scores ~0.8-1). When no conformer passes, the best-coordinated one is kept and
   the complex carries a warning.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chelscreen._parallel import resolve_n_jobs
from chelscreen.errors import InvalidStructureError, SimulationError
from chelscreen.simulate.params import IonParameters, get_ion_parameters

logger = logging.getLogger(__name__)

DONOR_RADIUS_A = {"O": 1.37, "N": 1.48, "S": 1.80, "P": 1.80}
CN_TOLERANCE_A = 0.6
ANIONIC = ("carboxyl", "phosphon", "phosphin", "phosphat", "sulfon", "hydroxam", "hopo",
           "phenol", "thiol", "alkoxide", "anion")
# mbondi2 radii (nm) and OBC/HCT screening factors for the ligand atoms
_GB_RADIUS = {1: 0.12, 6: 0.17, 7: 0.155, 8: 0.15, 9: 0.15, 15: 0.185, 16: 0.18, 17: 0.17,
              35: 0.185, 53: 0.198}
_GB_SCALE = {1: 0.85, 6: 0.72, 7: 0.79, 8: 0.85, 9: 0.88, 15: 0.86, 16: 0.96}
_ACID_SMARTS = (
    "[CX3](=O)[OX2H1]",
    "[PX4](=O)[OX2H1]",
    "[SX4](=O)(=O)[OX2H1]",
    "[CX3](=O)[NX3][OX2H1]",
)


@dataclass
class Complex:
    """A built metal-chelator complex.

    Attributes
    ----------
    mol : rdkit.Chem.Mol
        The ligand as bound (deprotonated, explicit H) with one 3D conformer (A).
    metal_pos_A : numpy.ndarray
        Metal position (A), same frame as ``mol``.
    ion : IonParameters
        Ion parameters used (with their provenance flags).
    donor_idx : list[int]
        Ligand atoms chosen as donors (restrained during the build).
    donor_types : list[str]
        Their donor types.
    target_dist_A : list[float]
        Target M-donor distances used in the build.
    ligand_smiles : str
        Canonical SMILES of the ligand as given (neutral form).
    bound_smiles : str
        Canonical SMILES of the bound (deprotonated) ligand.
    energy_kJ_mol : float
        Potential energy (MMFF94 + ion + GBSA) of the chosen conformer.
    cn_initial : int
        Ligand N/O/S atoms within ``target + 0.6 A`` of the metal in the built structure.
    warnings : list[str]
    timings_s : dict[str, float]
    """

    mol: Any
    metal_pos_A: np.ndarray
    ion: IonParameters
    donor_idx: list[int]
    donor_types: list[str]
    target_dist_A: list[float]
    ligand_smiles: str
    bound_smiles: str
    energy_kJ_mol: float
    cn_initial: int
    seed: int = 42
    name: str = ""
    conformer_report: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def n_atoms(self) -> int:
        return self.mol.GetNumAtoms() + 1

    @property
    def ligand_positions_A(self) -> np.ndarray:
        return np.asarray(self.mol.GetConformer().GetPositions())

    def complex_mol(self) -> Any:
        """RDKit Mol of the complex: ligand + metal atom with dative donor->metal bonds."""
        from rdkit import Chem
        from rdkit.Geometry import Point3D

        rw = Chem.RWMol(self.mol)
        m = Chem.Atom(self.ion.element)
        m.SetFormalCharge(self.ion.charge)
        m.SetNoImplicit(True)
        mi = rw.AddAtom(m)
        pos = self.ligand_positions_A
        for d in coordinating_atoms(self.mol, pos, self.metal_pos_A, self.ion,
                                    max(self.cn_initial, 1)):
            rw.AddBond(int(d), mi, Chem.BondType.DATIVE)
        out = rw.GetMol()
        conf = out.GetConformer()
        conf.SetAtomPosition(mi, Point3D(*map(float, self.metal_pos_A)))
        return out

    def write_pdb(self, path: str | Path) -> Path:
        """Write the complex (ligand + metal) as PDB."""
        from rdkit import Chem

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        Chem.MolToPDBFile(self.complex_mol(), str(path))
        return path

    def write_sdf(self, path: str | Path) -> Path:
        """Write the complex as SDF with the build metadata as properties."""
        from rdkit import Chem

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        mol = self.complex_mol()
        mol.SetProp("_Name", f"{self.name or self.ligand_smiles} {self.ion.ion}")
        mol.SetProp("ion", self.ion.ion)
        mol.SetProp("ion_params_source", self.ion.params_flag)
        mol.SetProp("cn_initial", str(self.cn_initial))
        mol.SetProp("energy_kJ_mol", f"{self.energy_kJ_mol:.2f}")
        mol.SetProp("warnings", "; ".join(self.warnings))
        with Chem.SDWriter(str(path)) as w:
            w.write(mol)
        return path


# ------------------------------------------------------------------------------------------
# ligand preparation


def ligand_to_mol(ligand: Any) -> tuple[Any, str]:
    """SMILES / library name / RDKit Mol -> (neutral heavy-atom Mol, name)."""
    from rdkit import Chem

    if hasattr(ligand, "GetNumAtoms"):
        mol = Chem.RemoveHs(ligand)
        name = ligand.GetProp("_Name") if ligand.HasProp("_Name") else ""
        return mol, name
    text = str(ligand).strip()
    if not text:
        raise InvalidStructureError("empty ligand; give a SMILES string or a library name.")
    mol = Chem.MolFromSmiles(text) if _looks_like_smiles(text) else None
    name = ""
    if mol is None:
        try:
            from chelscreen.io import read_ligands

            df = read_ligands([text])
            row = df.iloc[0]
            if row["status"] != "invalid" and row["mol"] is not None:
                mol, name = row["mol"], str(row.get("name") or text)
        except ImportError:  # pragma: no cover - chelscreen.io is part of the package
            pass
    if mol is None:
        raise InvalidStructureError(
            f"cannot read ligand {text!r}: not a valid SMILES or known library name."
        )
    if any(a.GetAtomicNum() not in (1, 5, 6, 7, 8, 9, 14, 15, 16, 17, 35, 53)
           for a in mol.GetAtoms()):
        raise InvalidStructureError(
            f"ligand {text!r} contains atoms MMFF94 cannot type (metals?); give the free "
            "chelator (the metal is passed separately)."
        )
    return mol, name


def _looks_like_smiles(text: str) -> bool:
    return not any(c.isspace() for c in text)


def bound_form(mol: Any, donors: list[Any]) -> Any:
    """Deprotonate acid groups and anionic donors (as bound to a metal). Heavy-atom indices kept."""
    from rdkit import Chem

    rw = Chem.RWMol(Chem.RemoveHs(mol))
    targets: set[int] = set()
    for sma in _ACID_SMARTS:
        patt = Chem.MolFromSmarts(sma)
        for match in rw.GetSubstructMatches(patt):
            targets.add(match[-1])
    for d in donors:
        if _is_anionic(d):
            targets.add(int(d.atom_idx))
    for idx in targets:
        a = rw.GetAtomWithIdx(idx)
        if a.GetSymbol() in ("O", "S") and a.GetTotalNumHs() == 1 and a.GetFormalCharge() == 0:
            a.SetFormalCharge(-1)
            a.SetNumExplicitHs(0)
            a.SetNoImplicit(True)
    out = rw.GetMol()
    Chem.SanitizeMol(out)
    return out


def _perceive(mol: Any) -> list[Any]:
    """Donors one metal can use together (the chelating unit), not every donor of the molecule.

    For a bioconjugate this leaves out peptide/linker donors far from the chelating core.
    """
    from chelscreen.chem.donors import chelating_unit

    return list(chelating_unit(mol).donors)


@dataclass(frozen=True)
class _Slot:
    """One metal contact: a donor atom (or, for carboxylate/phosphonate, any O of the group)."""

    atom_idx: int
    element: str
    donor_type: str
    anionic: bool


def _is_anionic(d: Any) -> bool:
    flag = getattr(d, "anionic", None)
    if flag is not None:
        return bool(flag)
    return any(k in str(d.donor_type).lower() for k in ANIONIC)


def _donor_rank(d: Any) -> int:
    if d.element == "O" and _is_anionic(d):
        return 0
    if d.element == "N":
        return 1
    if d.element == "O":
        return 2
    return 3


_OXO_GROUPS = ("carboxylate_O", "phosphonate_O", "phosphinate_O")


def _select_groups(mol: Any, donors: list[Any], cn_max: int) -> list[list[_Slot]]:
    """Metal contacts (each a list of alternative atoms), capped at ``cn_max`` by priority.

    Carboxylate/phosphonate/phosphinate groups give one contact whose atom is any of the group's
    O (the one nearest the metal is used per conformer); every other donor atom is one contact.
    """
    slots: list[list[_Slot]] = []
    for d in donors:
        if d.element not in DONOR_RADIUS_A:
            continue
        an = _is_anionic(d)
        if d.donor_type in _OXO_GROUPS and getattr(d, "group_atoms", ()):
            alts = [i for i in d.group_atoms if mol.GetAtomWithIdx(i).GetSymbol() == "O"]
            slots.append([_Slot(i, "O", d.donor_type, an) for i in alts])
        else:
            slots.append([_Slot(int(d.atom_idx), d.element, d.donor_type, an)])
    slots.sort(key=lambda g: (_donor_rank(g[0]), min(x.atom_idx for x in g)))
    return slots[:cn_max]


def target_distance_A(ion: IonParameters, element: str, cn: int) -> float:
    """Ideal M-donor distance: Shannon radius of the ion at ``cn`` + donor radius."""
    lo, hi = ion.cn_range
    r = ion.radius_for_cn(int(min(max(cn, lo), max(hi, lo))))
    return r / 100.0 + DONOR_RADIUS_A.get(element, 1.4)


def coordinating_atoms(mol: Any, lig_pos_A: np.ndarray, metal_pos_A: np.ndarray,
                       ion: IonParameters, cn_hint: int = 8) -> list[int]:
    """Ligand N/O/S atoms within ``target + 0.6 A`` of the metal."""
    d = np.linalg.norm(lig_pos_A - metal_pos_A, axis=1)
    out = []
    for a in mol.GetAtoms():
        el = a.GetSymbol()
        if el not in ("N", "O", "S"):
            continue
        if d[a.GetIdx()] <= target_distance_A(ion, el, cn_hint) + CN_TOLERANCE_A:
            out.append(a.GetIdx())
    return out


# ------------------------------------------------------------------------------------------
# OpenMM system


def make_system(mol: Any, ion: IonParameters | None, *, solvent: str = "implicit",
                constraints: bool = True, hmr: bool = False,
                electrostatics: bool = True, layout: str = "compact",
                ion_nonbonded: bool = False) -> tuple[Any, Any]:
    """OpenMM ``System`` of ligand (MMFF94) + metal ion (particle ``n_lig``) in GBSA-OBC2.

    ``solvent``: ``"implicit"`` (GBSA-OBC2, no cutoff) or ``"vacuum"``. ``ion=None`` builds the
    free ligand. ``electrostatics=False`` drops the ligand's intramolecular Coulomb term (strain
    probe; combine with ``solvent="vacuum"``). ``layout``: MMFF force layout (see
    :func:`chelscreen.simulate.mmff.add_mmff_forces`). Returns ``(system, terms)``.

    The ion-ligand interactions (12-6 LJ, Lorentz-Berthelot with each atom's MMFF-mapped site,
    and Coulomb) are one ``CustomBondForce`` over the n_lig ion-atom pairs
    (:func:`ion_pair_force`): a ``NonbondedForce`` with every ligand-ligand pair excluded did
    the same work through an all-pairs loop (measured: 25 against 14 us per force evaluation
    with the ligand pair force, Lu-DOTA, CPU platform; ``benchmarks/bench_simulate.py``).
    ``ion_nonbonded=True`` keeps the ``NonbondedForce`` (ligand sites + ion, every ligand-ligand
    pair excluded), which the explicit-water protocol turns into PME and adds the waters to.
    """
    import openmm as mm

    from chelscreen.simulate.mmff import add_mmff_forces, extract_terms, lj_from_mmff

    terms = extract_terms(mol)
    system = mm.System()
    masses = [a.GetMass() for a in mol.GetAtoms()]
    if hmr:
        for a in mol.GetAtoms():
            if a.GetAtomicNum() == 1:
                heavy = a.GetNeighbors()[0].GetIdx()
                shift = 3.024 - masses[a.GetIdx()]
                masses[a.GetIdx()] += shift
                masses[heavy] -= shift
    for m in masses:
        system.addParticle(m)
    n = len(masses)
    add_mmff_forces(system, terms, electrostatics=electrostatics, layout=layout)
    if constraints:
        for i, j, _kb, r0 in terms.bonds:
            if 1 in (mol.GetAtomWithIdx(i).GetAtomicNum(), mol.GetAtomWithIdx(j).GetAtomicNum()):
                system.addConstraint(i, j, r0 / 10.0)
    if ion is None:
        if solvent == "implicit":
            system.addForce(_gb_force(mol, terms, None))
        return system, terms
    from rdkit import Chem

    system.addParticle(Chem.GetPeriodicTable().GetAtomicWeight(ion.element))
    if ion_nonbonded:
        nb = mm.NonbondedForce()
        nb.setNonbondedMethod(mm.NonbondedForce.NoCutoff)
        for q, sig, eps in lj_from_mmff(terms):
            nb.addParticle(q, sig, eps)
        nb.addParticle(float(ion.charge), ion.sigma_nm, ion.epsilon_kJ)
        for i in range(n):
            for j in range(i + 1, n):
                nb.addException(i, j, 0.0, 0.1, 0.0)
        system.addForce(nb)
    else:
        system.addForce(ion_pair_force(terms, ion, n))
    if solvent == "implicit":
        system.addForce(_gb_force(mol, terms, ion))
    return system, terms


# Coulomb constant as OpenMM's NonbondedForce uses it (kJ mol^-1 nm e^-2), so that the
# ion-ligand pair force reproduces the NonbondedForce it replaced to rounding
ONE_4PI_EPS0_OPENMM = 138.93545764438198


def ion_pair_force(terms: Any, ion: IonParameters, ion_index: int) -> Any:
    """The ion's interactions with every ligand atom in one ``CustomBondForce``:
    ``a/r^12 - b/r^6 + qq/r`` with, per pair, ``a = 4 eps s^12``, ``b = 4 eps s^6`` (s, eps:
    Lorentz-Berthelot of the ion's 12-6 LJ and the atom's MMFF-mapped site) and
    ``qq = k_e q_ion q_atom``: the terms a ``NonbondedForce`` (no cutoff) gives these pairs."""
    import openmm as mm

    from chelscreen.simulate.mmff import lj_from_mmff

    f = mm.CustomBondForce("(a*x - b)*x + qq/r; x = 1/r^6")
    for name in ("a", "b", "qq"):
        f.addPerBondParameter(name)
    for i, (q, sig, eps) in enumerate(lj_from_mmff(terms)):
        s = 0.5 * (sig + ion.sigma_nm)
        e = (eps * ion.epsilon_kJ) ** 0.5
        f.addBond(i, ion_index, [4.0 * e * s**12, 4.0 * e * s**6,
                                 ONE_4PI_EPS0_OPENMM * q * float(ion.charge)])
    return f


def _gb_force(mol: Any, terms: Any, ion: IonParameters | None) -> Any:
    import openmm as mm

    gb = mm.GBSAOBCForce()
    gb.setNonbondedMethod(mm.GBSAOBCForce.NoCutoff)
    gb.setSoluteDielectric(1.0)
    gb.setSolventDielectric(78.5)
    for a, q in zip(mol.GetAtoms(), terms.charges):
        z = a.GetAtomicNum()
        r = _GB_RADIUS.get(z, 0.17)
        if z == 1 and a.GetNeighbors()[0].GetAtomicNum() == 7:
            r = 0.13
        gb.addParticle(q, r, _GB_SCALE.get(z, 0.8))
    if ion is not None:
        gb.addParticle(float(ion.charge), ion.obc_radius_nm, 0.8)
    return gb


def _initial_metal(pos: np.ndarray, donor_pos: np.ndarray, clearance: float = 2.0) -> np.ndarray:
    """Donor centroid, moved outward (away from the ligand centroid) until it is at least
    ``clearance`` A from every ligand atom (a lone donor's centroid is the donor itself)."""
    m = donor_pos.mean(axis=0)
    v = m - pos.mean(axis=0)
    if np.linalg.norm(v) < 1e-3:
        v = np.array([0.0, 0.0, 1.0])
    v = v / np.linalg.norm(v)
    for _ in range(60):
        if np.linalg.norm(pos - m, axis=1).min() >= clearance:
            break
        m = m + 0.1 * v
    return m


SMALL_SYSTEM = 1000  # particles; below this one CPU thread is the efficient choice


def choose_platform(n_particles: int, platform: str | None = None) -> Any:
    """OpenMM platform: the requested one; else, for a box of :data:`SMALL_SYSTEM` particles
    or more, CUDA/OpenCL when present; else CPU.

    A system below :data:`SMALL_SYSTEM` particles (a complex in vacuum or implicit water: the
    build, relaxation and strain stages, and the whole fast/standard protocols) stays on the CPU
    even where a GPU is present: measured on an H200 (2026-12-04, README "GPU"), a fast-protocol
    pair spent a median 8.4 s building and 8.8 s in the strain probe on CUDA against 1.2 s and
    1.5 s on one CPU thread (a context per conformer costs more than the MD it runs), so 8 CUDA
    workers gave 1,450 pairs/hour where 16 CPU workers gave 6,082. Explicit-water boxes
    (thousands of particles) go to the GPU: 806 ns/day per worker against 12 on one CPU thread.

    On the CPU platform the thread count is ``$OPENMM_CPU_THREADS`` when set, else 1 below
    :data:`SMALL_SYSTEM` particles (a complex in implicit water: threads only add overhead;
    ``benchmarks/bench_simulate.py --layouts``: CPU with 1 thread used 9 % less CPU time per MD
    step than the Reference platform for Lu-DOTA) and all cores for explicit-water boxes.
    """
    import os

    import openmm as mm

    names = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
    if platform:
        if platform not in names:
            raise SimulationError(
                f"OpenMM platform {platform!r} is not available here; available: {names}."
            )
        chosen = mm.Platform.getPlatformByName(platform)
    else:
        chosen = None
        for fast in ("CUDA", "OpenCL") if n_particles >= SMALL_SYSTEM else ():
            if fast in names:
                try:
                    p = mm.Platform.getPlatformByName(fast)
                    probe = mm.System()  # OpenMM refuses a Context for a System with no
                    probe.addParticle(1.0)  # particles, which made this probe always fail
                    ctx = mm.Context(probe, mm.VerletIntegrator(0.001), p)
                    del ctx
                    chosen = p
                    break
                except Exception:  # noqa: BLE001 - a broken GPU platform falls back to CPU
                    continue
        if chosen is None:
            chosen = mm.Platform.getPlatformByName("CPU" if "CPU" in names else "Reference")
    if chosen.getName() == "CPU":
        threads = os.environ.get("OPENMM_CPU_THREADS") or (
            "1" if n_particles < SMALL_SYSTEM else str(resolve_n_jobs(-1)))
        chosen.setPropertyDefaultValue("Threads", threads)
    return chosen


# ------------------------------------------------------------------------------------------
# the builder


def build_complex(ligand: Any, metal: Any, n_conformers: int = 4, seed: int = 42, *,
                  platform: str | None = None, lj_set: str = "hfe") -> Complex:
    """Build a 3D complex of ``ligand`` (SMILES, library name or RDKit Mol) and ``metal``.

    Parameters
    ----------
    ligand
        The free chelator in its neutral (acid) form.
    metal
        ``"Lu3+"``, ``"Ac"``, ``"Lu-177"``, an ``Ion`` ...
    n_conformers, seed
        ETKDGv3 starting conformers and the base random seed (reproducible).
    platform
        OpenMM platform name (default: fastest available, see :func:`choose_platform`).
    lj_set
        Li/Merz 12-6 parameter set of the ion: ``"hfe"`` (default) or ``"iod"``.

    Raises
    ------
    InvalidStructureError
        Unreadable ligand, or a ligand without donor atoms.
    UnsupportedMetalError
        A metal without simulation parameters.
    SimulationError
        When no conformer can be embedded.

    Examples
    --------
    >>> cx = build_complex("NOTA", "Ga3+", n_conformers=2)  # doctest: +SKIP
    >>> cx.cn_initial                                       # doctest: +SKIP
    6
    """
    import openmm as mm
    from openmm import unit
    from rdkit import Chem
    from rdkit.Chem import AllChem

    t0 = time.perf_counter()
    ion = get_ion_parameters(metal, lj_set)
    mol0, name = ligand_to_mol(ligand)
    lig_smiles = Chem.MolToSmiles(mol0)
    donors = _perceive(mol0)
    if not donors:
        raise InvalidStructureError(f"ligand {lig_smiles} has no donor atoms to bind a metal.")
    heavy = bound_form(mol0, donors)
    groups = _select_groups(mol0, donors, max(ion.cn_range[1], 2))
    cn_sel = len(groups)
    mol = Chem.AddHs(heavy)
    warnings: list[str] = []
    if len(Chem.GetMolFrags(mol)) > 1:
        raise InvalidStructureError(
            f"ligand {lig_smiles} has several fragments; simulate one chelator molecule at a time."
        )
    params = AllChem.ETKDGv3()
    params.randomSeed = int(seed)
    params.useRandomCoords = mol.GetNumAtoms() > 60
    cids = list(AllChem.EmbedMultipleConfs(mol, numConfs=int(n_conformers), params=params))
    if not cids:
        params.useRandomCoords = True
        cids = list(AllChem.EmbedMultipleConfs(mol, numConfs=int(n_conformers), params=params))
    if not cids:
        raise SimulationError(f"RDKit could not embed {lig_smiles} in 3D (ETKDGv3, seed {seed}).")
    t_embed = time.perf_counter()

    system, _terms = make_system(mol, ion, solvent="implicit", constraints=False)
    n = mol.GetNumAtoms()
    restr = mm.CustomBondForce("on*k_restr*step(r-r0)*(r-r0)^2")
    restr.addGlobalParameter("k_restr", 0.0)
    restr.addPerBondParameter("r0")
    restr.addPerBondParameter("on")
    slots: dict[int, int] = {}
    for g in groups:
        for x in g:
            slots[x.atom_idx] = restr.addBond(
                x.atom_idx, n, [target_distance_A(ion, x.element, cn_sel) / 10.0, 0.0]
            )
    system.addForce(restr)
    plat = choose_platform(n + 1, platform)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat)
    t_param = time.perf_counter()

    report = []
    best = None
    for cid in cids:
        pos = np.asarray(mol.GetConformer(cid).GetPositions())
        chosen = []
        centre = np.mean([pos[[x.atom_idx for x in g]].mean(axis=0) for g in groups], axis=0)
        for g in groups:
            dist = [np.linalg.norm(pos[x.atom_idx] - centre) for x in g]
            chosen.append(g[int(np.argmin(dist))])
        chosen_idx = {d.atom_idx for d in chosen}
        for g in groups:
            for x in g:
                restr.setBondParameters(
                    slots[x.atom_idx], x.atom_idx, n,
                    [target_distance_A(ion, x.element, cn_sel) / 10.0,
                     1.0 if x.atom_idx in chosen_idx else 0.0],
                )
        restr.updateParametersInContext(ctx)
        mpos = _initial_metal(pos, pos[[d.atom_idx for d in chosen]])
        allpos = np.vstack([pos, mpos]) / 10.0
        ctx.setPositions(allpos * unit.nanometer)
        ctx.setParameter("k_restr", 5000.0)
        mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 1500)
        ctx.setParameter("k_restr", 0.0)
        mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 1500)
        st = ctx.getState(getEnergy=True, getPositions=True)
        e = st.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        xyz = np.asarray(st.getPositions(asNumpy=True).value_in_unit(unit.angstrom))
        lig, m = xyz[:n], xyz[n]
        coord = coordinating_atoms(mol, lig, m, ion, cn_sel)
        sel_ok = sum(
            1 for d in chosen
            if np.linalg.norm(lig[d.atom_idx] - m)
            <= target_distance_A(ion, d.element, cn_sel) + CN_TOLERANCE_A
        )
        if coord:
            u = lig[coord] - m
            asym = float(np.linalg.norm((u / np.linalg.norm(u, axis=1)[:, None]).mean(axis=0)))
        else:
            asym = 1.0
        ok = bool(np.isfinite(e)) and sel_ok >= max(2, int(np.ceil(0.75 * len(chosen)))) \
            and (asym < 0.6 or len(chosen) < 4)
        rec = {"conformer": int(cid), "energy_kJ_mol": float(e), "cn": len(coord),
               "donors_held": sel_ok, "asymmetry": round(asym, 3), "ok": ok}
        report.append(rec)
        key = (0 if ok else 1, -len(coord) if not ok else 0, e)
        if best is None or key < best[0]:
            best = (key, lig.copy(), m.copy(), chosen, coord, e, rec)
    del ctx
    assert best is not None
    _, lig, m, chosen, coord, e, rec = best
    if not np.isfinite(e) or not np.all(np.isfinite(lig)):
        raise SimulationError(
            f"the {ion.ion} complex of {lig_smiles} could not be relaxed (non-finite energy in "
            f"all {len(cids)} conformers)."
        )
    if not rec["ok"]:
        warnings.append(
            f"no conformer passed the geometry check (best: {rec['donors_held']}/{len(chosen)} "
            f"chosen donors held, asymmetry {rec['asymmetry']}); structure is doubtful"
        )
    if not ion.lj_source.startswith("Li/Merz") or not ion.born_source.startswith("HFE"):
        warnings.append(f"{ion.ion}: fallback ion parameters ({ion.params_flag})")
    conf = Chem.Conformer(n)
    for i in range(n):
        conf.SetAtomPosition(i, lig[i].tolist())
    mol.RemoveAllConformers()
    mol.AddConformer(conf, assignId=True)
    t_end = time.perf_counter()
    cx = Complex(
        mol=mol,
        metal_pos_A=m,
        ion=ion,
        donor_idx=[d.atom_idx for d in chosen],
        donor_types=[str(d.donor_type) for d in chosen],
        target_dist_A=[target_distance_A(ion, d.element, cn_sel) for d in chosen],
        ligand_smiles=lig_smiles,
        bound_smiles=Chem.MolToSmiles(heavy),
        energy_kJ_mol=float(e),
        cn_initial=len(coord),
        seed=int(seed),
        name=name,
        conformer_report=report,
        warnings=warnings,
        timings_s={"embed": t_embed - t0, "parametrize": t_param - t_embed,
                   "relax": t_end - t_param, "build_total": t_end - t0},
    )
    logger.info("built %s-%s: CN %d, E %.1f kJ/mol (%s)", name or lig_smiles, ion.ion,
                cx.cn_initial, e, report)
    return cx
