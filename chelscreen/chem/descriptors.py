"""2D ligand features of chelators and the batch :func:`describe`.

:func:`ligand_features` turns one RDKit Mol (the chelating core) into a flat dict of numbers; no 3D
embedding. The whole :func:`describe` (reading, standardization, core finding, features) runs at
roughly 1,000-1,100 drug-like chelators per CPU-second on the shared development machine (a
serial run reads and describes :data:`SERIAL_CHUNK` records at a time); ``n_jobs`` spreads it
over processes (``benchmarks/bench_describe.py``, which also prints where the time goes: RDKit's
Crippen logP is the largest single cost, and the RDKit calls alone cost about 1.2x its plain-RDKit
reference).

Feature definitions
-------------------
``n_donors``
    Denticity offered to one metal (:func:`chelscreen.chem.donors.chelating_unit`).
``n_donor_<type>``
    Donors of the chelating unit per type (they sum to ``n_donors`` unless the cap of 12 applies);
    ``n_donor_N``, ``n_donor_O``, ``n_donor_S`` per element; ``n_donor_atoms_total`` counts every
    perceived donor of the molecule, also those no metal can reach together;
    ``n_amine_N_primary|secondary|tertiary`` among the unit's amine N.
``n_chelate_ring_5``, ``n_chelate_ring_6``
    Pairs of unit donors whose shortest bond path is 3 or 4 bonds: with the metal they close a
    5- or 6-membered chelate ring (path of L bonds -> ring of L + 2 atoms). EDTA gives 5 five-rings.
``macrocycle_ring_size``, ``n_macrocycles``, ``n_donors_in_ring``
    Largest ring of >= 9 atoms holding >= 2 unit donors (0 if none): an SSSR ring, or for fused
    macrocycles the envelope ring around a shared bridge (CB-TE2A: the 14-membered cyclam, not the
    two 10-membered SSSR rings); the number of such SSSR rings; unit donors lying in any of them.
``cavity_radius_pm``
    2D estimate for the largest macrocycle (0 without one). The ring of n atoms is a circle of
    perimeter n x 1.45 A (a typical single-bond length); puckering pulls the donors inwards by a
    factor f, and the donor's van der Waals radius (RDKit periodic table) is subtracted:
    ``r = f * n * 1.45 / (2 pi) - mean r_vdW(ring donors)``, clipped at 0. ``f`` is fitted by least
    squares to the crown-ether hole diameters 14-crown-4 120-150, 15-crown-5 170-220, 18-crown-6
    260-320, 21-crown-7 340-430 pm (FU Berlin, "Crown Ethers",
    http://www.e-learning.chemie.fu-berlin.de/en/bioanorganik/natrium/molekuele/kronenether/
    index.html);
    midpoint radii used. 18-crown-6 comes out at ~143 pm.
``preorganization``, ``preorganization_code``
    ``macrobicyclic`` (3): two macrocycles sharing atoms (cryptands, cross-bridged cyclams);
    ``macrocyclic`` (2); ``rigid_acyclic`` (1): at least one chelate ring between two *different*
    donor groups whose backbone atoms are all in small rings or sp2 (picolinates, bipyridines, the
    trans-cyclohexanediamine of CHX-A''-DTPA); ``acyclic`` (0).
``charge_full_deprot``
    Formal charge with every acidic proton removed: CO2H, P-OH (each), SO3H, hydroxamic N-OH,
    HOPO/hydroxypyrone OH, phenol/catechol OH (each), SH: -1 each; plus formal charges present.
``charge_pH7_4``
    Group-additive estimate at pH 7.4 (Henderson-Hasselbalch per group, see :data:`PKA`).
    Amines are protonated one after another (highest effective pKa first); each protonated amine
    lowers the pKa of an amine <= 3 bonds away by 4.8 and of one 4-6 bonds away by 1.6 log units.
    These two penalties were fitted to NIST protonation constants of EDTA, NOTA, DOTA and DTPA
    (second protonation 6.13, 5.7, 9.69, 8.6; model 5.96, 5.96, 9.16, 9.16). Gives EDTA -2.9,
    DOTA -2.0, DTPA -3.0, NOTA -1.9.
``donor_softness``, ``hard_donor_frac``, ``borderline_donor_frac``, ``soft_donor_frac``
    ``(n_soft + 0.5 n_borderline) / n_donors`` and the fractions of each HSAB class (0 when no
    donors).
RDKit descriptors
    ``mw`` (g/mol), ``tpsa`` (A^2, Ertl), ``logp`` (Crippen), ``n_rot_bonds`` (RDKit NonStrict
    definition: single, non-ring bonds between non-terminal heavy atoms), ``hbd``, ``hba``,
    ``n_heavy_atoms``, ``n_rings``, ``frac_csp3`` - direct ``rdMolDescriptors`` calls.
"""

from __future__ import annotations

import logging
import math
import operator
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, RDLogger
from rdkit.Chem import rdMolDescriptors as rdmd

from chelscreen._parallel import resolve_n_jobs
from chelscreen.chem.donors import (
    ANIONIC_TYPES,
    BORDERLINE,
    DONOR_TYPES,
    HARD,
    SOFT,
    analyse,
    macrocycle_rings,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# acid / base table for the charge estimate
# --------------------------------------------------------------------------------------------
#: pKa (log K(HL), 25 C, I = 0.1 M unless marked I = 0) of model compounds, NIST SRD 46 v8.0
#: (doi:10.18434/M32154), file shared/data/raw/nist_srd46/derived/
#: nist_srd46_K_25C_from_logK25_chunks.csv. The acidic/basic groups themselves are found by the
#: donor perception (:mod:`chelscreen.chem.donors`), plus a SMARTS for sulfonic acids.
PKA: dict[str, float] = {
    "carboxylic": 4.56,  # acetic acid
    "hydroxamic": 9.29,  # acetohydroxamic acid
    "hopo12": 5.78,  # 1-hydroxy-2(1H)-pyridinone (1,2-HOPO)
    "hopo32": 8.53,  # no NIST value for 3,2-HOPO: maltol (3-hydroxy-2-methyl-4-pyrone) proxy
    "hopo34": 9.81,  # 1,2-dimethyl-3-hydroxy-4-pyridinone (deferiprone)
    "phenol": 9.78,  # phenol
    "arylthiol": 6.46,  # thiophenol
    "thiol": 10.61,  # ethanethiol, I = 0
    "sulfonic": -2.0,  # strong acid: taken as always ionized (no NIST value used)
    "aniline": 4.64,  # aniline
    "pyridine": 5.24,  # pyridine
    "imidazole": 7.1,  # 1-methylimidazole
}
#: methylphosphonic acid (also used for phosphinic acids / phosphate esters, first pKa only)
PKA_PHOSPHONIC: tuple[float, ...] = (2.16, 7.49)
#: catechol: first pKa 9.26; the second (> 12) only counts for the fully deprotonated charge
PKA_CATECHOL: tuple[float, ...] = (9.26, 99.0)
PKA_HOPO = {"1,2": PKA["hopo12"], "3,2": PKA["hopo32"], "3,4": PKA["hopo34"]}
#: aliphatic amines: methylamine, diethylamine, triethylamine
PKA_AMINE = {"primary": 10.65, "secondary": 11.04, "tertiary": 10.76}
_SULFONIC = Chem.MolFromSmarts("[SX4](=[OX1])(=[OX1])-[OX2H1]")
_IMIDAZOLE = Chem.MolFromSmarts("[nX2;r5;+0]:[c]:[nX3;r5]")
_PENALTY_NEAR = 4.8  # protonated amine <= 3 bonds away
_PENALTY_MID = 1.6  # protonated amine 4-6 bonds away
_PH = 7.4


# --------------------------------------------------------------------------------------------
# cavity model
# --------------------------------------------------------------------------------------------
_BOND_A = 1.45
#: crown ether ring size -> hole diameter range (pm), FU Berlin page cited in the module docstring
CROWN_HOLE_DIAMETER_PM: dict[int, tuple[float, float]] = {
    14: (120.0, 150.0),
    15: (170.0, 220.0),
    18: (260.0, 320.0),
    21: (340.0, 430.0),
}
_PT = Chem.GetPeriodicTable()
_ROT_NONSTRICT = rdmd.NumRotatableBondsOptions.NonStrict


def _fit_pucker_factor() -> float:
    r_o = _PT.GetRvdw(8)
    x = np.array([n * _BOND_A / (2 * math.pi) for n in CROWN_HOLE_DIAMETER_PM])
    y = np.array([(lo + hi) / 4 / 100 + r_o for lo, hi in CROWN_HOLE_DIAMETER_PM.values()])
    return float(x @ y / (x @ x))


#: donors are pulled inwards from the ring-atom circle by this factor (fitted on crowns)
PUCKER_FACTOR = _fit_pucker_factor()


_RVDW: dict[str | int, float] = {}


def _rvdw(element: str | int) -> float:
    """Van der Waals radius (A) from RDKit's periodic table, memoized per element."""
    r = _RVDW.get(element)
    if r is None:
        r = _RVDW[element] = _PT.GetRvdw(element)
    return r


def cavity_radius_pm(ring_size: int, donor_elements: Iterable[str | int]) -> float:
    """Estimated cavity radius (pm) of a macrocycle from its ring size (see module docstring).

    ``donor_elements`` are the symbols or atomic numbers of the donor atoms in the ring.
    """
    radii = [_rvdw(e) for e in donor_elements]
    if ring_size < 9 or not radii:
        return 0.0
    r = PUCKER_FACTOR * ring_size * _BOND_A / (2 * math.pi) - sum(radii) / len(radii)
    return round(max(r, 0.0) * 100.0, 1)


#: feature key of each donor type
_TYPE_KEYS = {t: f"n_donor_{t}" for t in DONOR_TYPES}

PREORGANIZATION_CODES = {"acyclic": 0, "rigid_acyclic": 1, "macrocyclic": 2, "macrobicyclic": 3}

#: numeric feature columns in output order (``preorganization`` is the one string column)
FEATURE_COLUMNS: list[str] = (
    ["n_donors", "n_donor_atoms_total"]
    + [f"n_donor_{t}" for t in DONOR_TYPES]
    + ["n_donor_N", "n_donor_O", "n_donor_S", "n_donor_other",
       "n_amine_N_primary", "n_amine_N_secondary", "n_amine_N_tertiary",
       "n_anionic_donor_groups", "n_chelate_ring_5", "n_chelate_ring_6",
       "macrocycle_ring_size", "n_macrocycles", "n_donors_in_ring", "cavity_radius_pm",
       "preorganization", "preorganization_code", "charge_full_deprot", "charge_pH7_4",
       "donor_softness", "hard_donor_frac", "borderline_donor_frac", "soft_donor_frac",
       "mw", "tpsa", "logp", "n_rot_bonds", "hbd", "hba", "n_heavy_atoms", "n_rings",
       "frac_csp3"]
)


#: integer-valued feature columns (nullable ``Int64`` in :func:`describe` output)
INT_COLUMNS = frozenset(
    [c for c in FEATURE_COLUMNS if c.startswith("n_")]
    + ["macrocycle_ring_size", "preorganization_code", "charge_full_deprot", "hbd", "hba"]
)


# --------------------------------------------------------------------------------------------
def _acid_pkas(mol: Chem.Mol, donors: list,
               elements: frozenset[int] | None = None) -> list[float]:
    """pKa of every acidic proton, from the perceived donor groups (+ sulfonic acids).

    ``elements``: which of N, O, P, S the molecule holds, when known (no S: no sulfonic acid).
    The hydrogens of donor atoms are those recorded by the perception (``Donor.n_hs``).
    """
    pkas: list[float] = []
    groups: dict[int, list] = {}
    for d in donors:
        groups.setdefault(d.group_id, []).append(d)

    for members in groups.values():
        d = members[0]
        t = d.donor_type
        if t == "carboxylate_O":
            if d.n_hs > 0:
                pkas.append(PKA["carboxylic"])
        elif t in ("phosphonate_O", "phosphinate_O"):
            n_oh = 0
            for a in d.group_atoms:
                atom = mol.GetAtomWithIdx(a)
                if atom.GetAtomicNum() == 8 and atom.GetTotalNumHs() > 0:
                    n_oh += 1
            pkas.extend(PKA_PHOSPHONIC[:n_oh])
        elif t in ("hydroxamate_O", "hopo_O"):
            if any(m.n_hs > 0 for m in members):
                pkas.append(PKA["hydroxamic"] if t == "hydroxamate_O"
                            else PKA_HOPO.get(d.subtype, PKA["hopo34"]))
        elif t == "catecholate_O":
            n_oh = sum(1 for m in members if m.n_hs > 0)
            pkas.extend(PKA_CATECHOL[:n_oh])
        elif t == "phenolate_O":
            if d.n_hs > 0:
                pkas.append(PKA["phenol"])
        elif t == "thiolate_S":
            if d.n_hs > 0:
                aryl = any(nb.GetIsAromatic() for nb in mol.GetAtomWithIdx(d.atom_idx)
                           .GetNeighbors())
                pkas.append(PKA["arylthiol"] if aryl else PKA["thiol"])
    if elements is None or 16 in elements:
        pkas.extend(PKA["sulfonic"] for _ in mol.GetSubstructMatches(_SULFONIC))
    return pkas


def _charges(mol: Chem.Mol, dist: np.ndarray, donors: list,
             elements: frozenset[int] | None = None) -> tuple[int, float]:
    """(charge of the fully deprotonated ligand, estimated charge at pH 7.4)."""
    formal = Chem.GetFormalCharge(mol)
    acid = _acid_pkas(mol, donors, elements)
    full = formal - len(acid)
    neg = sum(1.0 / (1.0 + 10 ** (p - _PH)) for p in acid)
    amines: list[tuple[int, float]] = []
    pos = 0.0
    for d in donors:
        if d.charge != 0:
            continue
        t = d.donor_type
        if t == "amine_N":
            amines.append((d.atom_idx, PKA_AMINE.get(d.subtype, PKA_AMINE["tertiary"])))
            continue
        if t == "imidazole_N":
            if not mol.GetAtomWithIdx(d.atom_idx).IsInRingSize(5) or not any(
                    m[0] == d.atom_idx for m in mol.GetSubstructMatches(_IMIDAZOLE)):
                continue
            pka = PKA["imidazole"]
        elif t == "pyridine_N":
            pka = PKA["pyridine"]
        elif t == "aniline_N":
            pka = PKA["aniline"]
        else:
            continue
        pos += 1.0 / (1.0 + 10 ** (_PH - pka))
    if amines:
        # protonate one after another, highest effective pKa first (ties: most peripheral)
        n_am = len(amines)
        am = np.array([a for a, _ in amines], dtype=np.intp)
        dl = dist.take(am, 0).take(am, 1).tolist()
        periph = [sum(row) for row in dl]
        eff = [p for _, p in amines]
        left = set(range(n_am))
        while left:
            k = max(left, key=lambda i: (eff[i], periph[i], -i))
            left.discard(k)
            pos += 1.0 / (1.0 + 10 ** (_PH - eff[k]))
            for i in left:
                d = dl[k][i]
                if d <= 3:
                    eff[i] -= _PENALTY_NEAR
                elif d <= 6:
                    eff[i] -= _PENALTY_MID
    return int(full), round(formal - neg + pos, 2)


_SP_SP2 = (Chem.HybridizationType.SP2, Chem.HybridizationType.SP)


def _is_rigid_path(mol: Chem.Mol, path: tuple[int, ...],
                   seen: dict[int, bool] | None = None) -> bool:
    """Every inner atom of ``path`` is in a small ring (3-8 atoms) or sp/sp2/aromatic.

    ``seen`` memoizes the per-atom answer across the paths of one molecule.
    """
    ri = mol.GetRingInfo()
    for a in path[1:-1]:
        rigid = seen.get(a) if seen is not None else None
        if rigid is None:
            # in a ring of 3-8 atoms <=> smallest ring holding the atom has <= 8 atoms
            if 0 < ri.MinAtomRingSize(a) <= 8:
                rigid = True
            else:
                atom = mol.GetAtomWithIdx(a)
                rigid = atom.GetHybridization() in _SP_SP2 or atom.GetIsAromatic()
            if seen is not None:
                seen[a] = rigid
        if not rigid:
            return False
    return True


def _envelope_rings(mol: Chem.Mol, rings: list[tuple[int, ...]]) -> list[list[int]]:
    """Rings formed by two fused macrocycles without their shared bridge.

    The SSSR of a cross-bridged cyclam (CB-TE2A) holds two 10-membered rings; their bond-set
    symmetric difference is the 14-membered cyclam ring, which is the macrocycle that matters.
    """
    out: list[list[int]] = []
    if len(rings) < 2:
        return out
    bond_rings = {r: _ring_bonds(mol, r) for r in rings}
    for k, a in enumerate(rings):
        for b in rings[k + 1:]:
            if not set(a) & set(b):
                continue
            bonds = bond_rings[a] ^ bond_rings[b]
            degree: dict[int, int] = {}
            for i, j in bonds:
                degree[i] = degree.get(i, 0) + 1
                degree[j] = degree.get(j, 0) + 1
            if bonds and all(v == 2 for v in degree.values()) and len(degree) == len(bonds):
                out.append(sorted(degree))
    return out


def _ring_bonds(mol: Chem.Mol, ring: tuple[int, ...]) -> set[tuple[int, int]]:
    n = len(ring)
    return {tuple(sorted((ring[i], ring[(i + 1) % n]))) for i in range(n)}


def _has_rigid_chelate_ring(mol: Chem.Mol, ud: list, sub: np.ndarray) -> bool:
    """A 5/6-membered chelate ring between two different donor groups on a rigid backbone."""
    ii, jj = np.nonzero((sub == 3) | (sub == 4))
    seen: dict[int, bool] = {}
    for i, j in zip(ii.tolist(), jj.tolist()):
        if i < j and ud[i].group_id != ud[j].group_id and _is_rigid_path(
                mol, Chem.GetShortestPath(mol, ud[i].atom_idx, ud[j].atom_idx), seen):
            return True
    return False


def ligand_features(mol: Chem.Mol) -> dict[str, Any]:
    """2D features of one ligand (pass the chelating core of a conjugate).

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The ligand (neutral acid form).

    Returns
    -------
    dict
        Keys :data:`FEATURE_COLUMNS`; every value is numeric except ``preorganization``.

    Examples
    --------
    >>> from rdkit import Chem
    >>> f = ligand_features(Chem.MolFromSmiles("OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"))
    >>> f["n_donors"], f["n_chelate_ring_5"], f["charge_full_deprot"]
    (6, 5, -4)
    """
    if mol is None:
        raise ValueError("ligand_features() got None instead of an RDKit Mol")
    unit = analyse(mol)
    donors, dist = unit.all_donors, unit.dist
    ud = unit.donors
    f: dict[str, Any] = {"n_donors": unit.n_donors, "n_donor_atoms_total": len(donors)}
    counts = dict.fromkeys(_TYPE_KEYS.values(), 0)
    amine = {"primary": 0, "secondary": 0, "tertiary": 0}
    elem = {"N": 0, "O": 0, "S": 0}
    hardness = {HARD: 0, BORDERLINE: 0, SOFT: 0}
    anionic_groups = set()
    donor_elements: dict[int, str] = {}
    for d in ud:
        t = d.donor_type
        counts[_TYPE_KEYS[t]] += 1
        if t == "amine_N" and d.subtype in amine:
            amine[d.subtype] += 1
        if t in ANIONIC_TYPES:
            anionic_groups.add(d.group_id)
        if d.element in elem:
            elem[d.element] += 1
        hardness[d.hardness] += 1
        donor_elements[d.atom_idx] = d.element
    f.update(counts)
    f["n_donor_N"] = elem["N"]
    f["n_donor_O"] = elem["O"]
    f["n_donor_S"] = elem["S"]
    f["n_donor_other"] = len(ud) - elem["N"] - elem["O"] - elem["S"]
    f["n_amine_N_primary"] = amine["primary"]
    f["n_amine_N_secondary"] = amine["secondary"]
    f["n_amine_N_tertiary"] = amine["tertiary"]
    f["n_anionic_donor_groups"] = len(anionic_groups)
    # chelate rings: donor pairs 3 (5-ring) or 4 (6-ring) bonds apart
    sub = unit.unit_dist if unit.unit_dist is not None else np.zeros((0, 0))
    # the matrix is symmetric with a zero diagonal: each pair is counted twice
    f["n_chelate_ring_5"] = int(np.count_nonzero(sub == 3)) // 2
    f["n_chelate_ring_6"] = int(np.count_nonzero(sub == 4)) // 2
    # macrocycles
    macro = [r for r in macrocycle_rings(mol, rings=unit.rings)
             if sum(1 for a in r if a in donor_elements) >= 2]
    if macro:
        largest = max(macro + _envelope_rings(mol, macro), key=len)
        in_ring = {a for r in macro for a in r if a in donor_elements}
        f["macrocycle_ring_size"] = len(largest)
        f["n_macrocycles"] = len(macro)
        f["n_donors_in_ring"] = len(in_ring)
        f["cavity_radius_pm"] = cavity_radius_pm(
            len(largest), [donor_elements[a] for a in largest if a in donor_elements])
    else:
        f["macrocycle_ring_size"] = 0
        f["n_macrocycles"] = 0
        f["n_donors_in_ring"] = 0
        f["cavity_radius_pm"] = 0.0
    bicyclic = any(set(a) & set(b) for k, a in enumerate(macro) for b in macro[k + 1:])
    if bicyclic:
        pre = "macrobicyclic"
    elif macro:
        pre = "macrocyclic"
    elif _has_rigid_chelate_ring(mol, ud, sub):
        pre = "rigid_acyclic"
    else:
        pre = "acyclic"
    f["preorganization"] = pre
    f["preorganization_code"] = PREORGANIZATION_CODES[pre]
    full, ph74 = _charges(mol, dist, donors, unit.elements)
    f["charge_full_deprot"] = full
    f["charge_pH7_4"] = ph74
    n = len(ud)
    if n:
        n_soft, n_border = hardness[SOFT], hardness[BORDERLINE]
        f["donor_softness"] = round((n_soft + 0.5 * n_border) / n, 4)
        f["hard_donor_frac"] = round(hardness[HARD] / n, 4)
        f["borderline_donor_frac"] = round(n_border / n, 4)
        f["soft_donor_frac"] = round(n_soft / n, 4)
    else:
        f["donor_softness"] = f["hard_donor_frac"] = 0.0
        f["borderline_donor_frac"] = f["soft_donor_frac"] = 0.0
    f["mw"] = round(rdmd._CalcMolWt(mol), 3)
    f["tpsa"] = round(rdmd.CalcTPSA(mol), 2)
    f["logp"] = round(rdmd.CalcCrippenDescriptors(mol)[0], 3)
    f["n_rot_bonds"] = rdmd.CalcNumRotatableBonds(mol, _ROT_NONSTRICT)
    f["hbd"] = rdmd.CalcNumHBD(mol)
    f["hba"] = rdmd.CalcNumHBA(mol)
    f["n_heavy_atoms"] = mol.GetNumHeavyAtoms()
    f["n_rings"] = rdmd.CalcNumRings(mol)
    f["frac_csp3"] = round(rdmd.CalcFractionCSP3(mol), 4)
    return f


# --------------------------------------------------------------------------------------------
# batch
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def mol_of_smiles(smiles: str) -> Chem.Mol | None:
    """``Chem.MolFromSmiles(smiles)``, one Mol per SMILES for the process (the last 512 read):
    **read-only** (never modify it). Its per-Mol caches are then shared by every caller that
    reads the same SMILES — the donor analysis (:func:`chelscreen.chem.donors.analyse`),
    RDKit's Crippen contributions and distance matrix: a screen's structure terms, these
    descriptors and the stability model's ligand features each parsed the ligand and
    computed them again (≈ 0.6 ms a ligand)."""
    return Chem.MolFromSmiles(smiles)


@lru_cache(maxsize=4096)
def ligand_features_of_smiles(smiles: str) -> dict[str, Any] | None:
    """:func:`ligand_features` of ``Chem.MolFromSmiles(smiles)`` (None if RDKit cannot read it),
    memoized by SMILES: **read-only**, shared by every caller (the stability model's ``cu_*``
    features, the labeling and the structure terms of a screen ask for the same ligand)."""
    mol = mol_of_smiles(smiles)
    if mol is None:
        return None
    return ligand_features(mol)


def _features_from_smiles(smiles: str) -> tuple[dict[str, Any] | None, str]:
    """Features of a SMILES (a conjugate's core), from the shared per-SMILES memo
    :func:`ligand_features_of_smiles`: conjugates of one chelator (DOTA-peptides) share their
    core, which is then parsed and described once (the dict is shared: read-only)."""
    try:
        feats = ligand_features_of_smiles(smiles)
    except Exception as exc:  # keep the row, report why (a failure is not memoized)
        return None, f"feature computation failed: {exc}"
    if feats is None:
        return None, f"could not parse the core SMILES {smiles!r}"
    return feats, ""


def _features_from_mol(mol: Chem.Mol) -> tuple[dict[str, Any] | None, str]:
    try:
        return ligand_features(mol), ""
    except Exception as exc:  # keep the row, report why
        return None, f"feature computation failed: {exc}"


def _features_chunk(smiles: list[str]) -> list[tuple[dict[str, Any] | None, str]]:
    RDLogger.DisableLog("rdApp.*")
    return [_features_from_smiles(s) for s in smiles]


def _features_chunk_at(smiles: list[str], start: int) -> list[tuple[dict[str, Any] | None, str]]:
    """Worker for :func:`chelscreen._parallel.map_chunks` (``start`` is not needed)."""
    return _features_chunk(smiles)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _core_input(mol: Any, smiles: Any, core: Any) -> tuple[str | None, Chem.Mol | None]:
    """The SMILES (for workers) and Mol (for this process) whose features describe one row."""
    if isinstance(core, str) and core and core != smiles:
        return core, None
    if not _is_missing(mol):
        return (smiles if isinstance(smiles, str) and smiles else Chem.MolToSmiles(mol)), mol
    if isinstance(smiles, str) and smiles:
        return smiles, None
    return None, None


def _table_from_mols(source: pd.DataFrame) -> pd.DataFrame:
    """Complete a user DataFrame that already has a ``mol`` column."""
    table = source.copy()
    mols = table["mol"].tolist()
    if "status" not in table.columns:
        table["status"] = ["invalid" if _is_missing(m) else "ok" for m in mols]
    if "message" not in table.columns:
        table["message"] = ["" if not _is_missing(m) else "no molecule" for m in mols]
    if "smiles" not in table.columns:
        table["smiles"] = ["" if _is_missing(m) else Chem.MolToSmiles(m) for m in mols]
    if "core_smiles" not in table.columns:
        from chelscreen.chem.core import find_chelating_core

        cores, conj = [], []
        for m, smi in zip(mols, table["smiles"]):
            info = find_chelating_core(m)[1] if not _is_missing(m) else {}
            cores.append(info.get("core_smiles") or smi)
            conj.append(bool(info.get("is_conjugate", False)))
        table["core_smiles"] = cores
        # the user's SMILES need not be canonical: record the core finder's verdict
        table["is_conjugate"] = conj
    return table


def _features_for_rows(ok: list[bool], mols: list[Any], smiles_col: list[Any],
                       core_col: list[Any], progress: bool = False,
                       ) -> dict[int, tuple[dict[str, Any] | None, str]]:
    """Features of every non-invalid row, in this process (row index -> (features, problem))."""
    results: dict[int, tuple[dict[str, Any] | None, str]] = {}
    inputs = [(i, *_core_input(mols[i], smiles_col[i], core_col[i]))
              for i in range(len(ok)) if ok[i]]
    it: Iterable = inputs
    if progress:
        from tqdm import tqdm

        it = tqdm(inputs, desc="describe", unit="ligand")
    for i, smi, mol in it:
        if mol is not None:
            results[i] = _features_from_mol(mol)
        elif smi:
            results[i] = _features_from_smiles(smi)
        else:
            results[i] = (None, "no structure to describe")
    return results


def _add_features(table: pd.DataFrame, n_jobs: int = 1, progress: bool = False) -> pd.DataFrame:
    """``table`` (read_ligands columns, with ``mol``) -> table without ``mol`` plus features."""
    table = table.reset_index(drop=True)
    n = len(table)
    status = table["status"].astype(str).tolist()
    ok = [st != "invalid" for st in status]
    mols = table["mol"].tolist() if "mol" in table.columns else [None] * n
    smiles_col = table["smiles"].tolist() if "smiles" in table.columns else [None] * n
    core_col = table["core_smiles"].tolist() if "core_smiles" in table.columns else [None] * n
    jobs = resolve_n_jobs(n_jobs)
    if jobs > 1 and sum(ok) >= 200:
        from chelscreen._parallel import map_chunks

        inputs = [(i, *_core_input(mols[i], smiles_col[i], core_col[i]))
                  for i in range(n) if ok[i]]
        results: dict[int, tuple[dict[str, Any] | None, str]] = {}
        smiles = [s or "" for _, s, _ in inputs]
        parts = map_chunks(_features_chunk_at, smiles, jobs)
        flat = [res for part in parts for res in part]
        for (i, _, _), res in zip(inputs, flat):
            results[i] = res
    else:
        results = _features_for_rows(ok, mols, smiles_col, core_col, progress)
    return _assemble(table, results, ok)


#: the feature values of one row as a tuple in column order, and the tuple of a row without
#: features
_FEATURE_GETTER = operator.itemgetter(*FEATURE_COLUMNS)
_MISSING_ROW = tuple(None if c == "preorganization" else np.nan for c in FEATURE_COLUMNS)


def _assemble(table: pd.DataFrame, results: dict[int, tuple[dict[str, Any] | None, str]],
              ok: list[bool]) -> pd.DataFrame:
    n = len(table)
    status = table["status"].astype(str).tolist()
    message = table["message"].fillna("").astype(str).tolist()
    ids = table["id"].astype(str).tolist() if "id" in table.columns else [str(i) for i in range(n)]
    rows: list[dict[str, Any] | None] = []
    for i in range(n):
        feats, msg = results.get(i, (None, ""))
        if feats is None and ok[i]:
            status[i] = "error"
            message[i] = f"row {ids[i]}: {msg or 'features could not be computed'}"
            logger.warning(message[i])
        rows.append(feats)
    # one C-level tuple per row, transposed into columns (no per-cell Python lookups)
    missing = np.array([f is None for f in rows], dtype=bool)
    if rows:
        columns = list(zip(*[_MISSING_ROW if f is None else _FEATURE_GETTER(f) for f in rows]))
    else:
        columns = [() for _ in FEATURE_COLUMNS]
    out = table.drop(columns=["mol"], errors="ignore")
    out["status"] = status
    out["message"] = message
    if "is_conjugate" in out.columns:
        out["is_conjugate"] = [bool(ok[i]) and bool(v) for i, v in enumerate(out["is_conjugate"])]
    elif "smiles" in out.columns and "core_smiles" in out.columns:
        out["is_conjugate"] = [
            bool(ok[i]) and isinstance(c, str) and bool(c) and c != s
            for i, (c, s) in enumerate(zip(out["core_smiles"], out["smiles"]))
        ]
    typed: dict[str, Any] = {}
    for c, values in zip(FEATURE_COLUMNS, columns):
        if c in INT_COLUMNS:  # counts stay integers next to missing values (invalid rows)
            arr = np.array(values, dtype=float)
            arr[missing] = 0
            typed[c] = pd.arrays.IntegerArray(arr.astype(np.int64), missing.copy())
        elif c != "preorganization":
            typed[c] = np.array(values, dtype=float)
        else:
            typed[c] = list(values)
    feats_df = pd.DataFrame(typed, index=out.index)
    return pd.concat([out, feats_df], axis=1)


def _describe_records(records: list[Any], start: int, width: int, library: Any,
                      ) -> tuple[dict[str, list[Any]], dict[int, tuple[dict[str, Any] | None, str]]]:
    """Read (standardize, find the core) and describe one chunk of records.

    Returns the ``read_ligands`` columns without ``mol`` and the features keyed by the row's
    position in the whole input. The Mols of the chunk are dropped on return.
    """
    from chelscreen import io

    rows = io._process_records(records, start, width, library)
    mols = rows.pop("mol")
    ok = [st != "invalid" for st in rows["status"]]
    res = _features_for_rows(ok, mols, rows["smiles"], rows["core_smiles"])
    return rows, {start + i: r for i, r in res.items()}


def _describe_chunk(records: list[Any], start: int, width: int,
                    ) -> tuple[dict[str, list[Any]], dict[int, tuple[dict[str, Any] | None, str]]]:
    """Worker (:func:`chelscreen._parallel.map_chunks`): :func:`_describe_records` of one
    chunk in a child process, RDKit's log silenced there."""
    from chelscreen import io

    RDLogger.DisableLog("rdApp.*")
    return _describe_records(records, start, width, io._current_library())


#: records read and described together in a serial run: each molecule is described while its
#: Mol and cached donor analysis are fresh, and a chunk's Mols are freed before the next chunk
#: is read (a run never holds every Mol at once: less memory and garbage-collector work)
SERIAL_CHUNK = 32


def _describe_serial(records: list[Any], width: int, progress: bool = False) -> list[Any]:
    """:func:`_describe_records` over consecutive chunks of :data:`SERIAL_CHUNK` records."""
    from chelscreen import io

    library = io._current_library()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(records), desc="describe", unit="ligand")
    parts = []
    try:
        for a in range(0, len(records), SERIAL_CHUNK):
            chunk = records[a:a + SERIAL_CHUNK]
            parts.append(_describe_records(chunk, a, width, library))
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    return parts


def describe(source: Any, n_jobs: int = 1, *, smiles_column: str | None = None,
             name_column: str | None = None, progress: bool = False,
             keep_columns: bool = False) -> pd.DataFrame:
    """Read ligands and add their 2D features (computed on the chelating core).

    Parameters
    ----------
    source : path, str, list, or DataFrame
        Anything :func:`chelscreen.io.read_ligands` accepts (file, SMILES, library names, list of
        SMILES / Mols). A DataFrame that already has a ``mol`` column (a ``read_ligands`` result)
        is used as it is; for it ``core_smiles`` is used when present, else the core is found here.
    n_jobs : int, default 1
        Worker processes (-1: all cores). Inputs of fewer than 200 rows run in this process.
        Otherwise the input is parsed here and split into contiguous chunks that the workers
        read (standardize, find the core) and describe; the result equals a serial run (same
        order, ids, messages and duplicate-id flags).
    smiles_column, name_column : str, optional
        Passed to ``read_ligands`` for tables.
    progress : bool, default False
        Show a tqdm progress bar (serial runs).
    keep_columns : bool, default False
        Keep the input table's other columns (as :func:`chelscreen.io.read_ligands`).

    Returns
    -------
    pandas.DataFrame
        One row per input, in input order: the ``read_ligands`` columns without ``mol`` (and,
        with ``keep_columns=True``, the input's own other columns), then ``is_conjugate`` and
        :data:`FEATURE_COLUMNS`. Invalid rows keep NaN features; a row whose
        features fail gets ``status="error"`` and a message.

    Examples
    --------
    >>> df = describe(["DOTA", "macropa"])
    >>> df[["name", "n_donors", "macrocycle_ring_size"]].values.tolist()
    [['DOTA', 8, 12], ['macropa', 10, 18]]
    """
    jobs = resolve_n_jobs(n_jobs)
    if isinstance(source, pd.DataFrame) and "mol" in source.columns:
        return _add_features(_table_from_mols(source), jobs, progress)
    from chelscreen import io

    if io.is_read_result(source):  # a read_ligands result is not read again
        return _add_features(io.read_ligands(source, keep_columns=keep_columns), jobs, progress)
    records = io._records_from_source(source, smiles_column, name_column, None)
    width = io.record_id_width(records)
    if jobs > 1 and len(records) >= io.PARALLEL_MIN_RECORDS:
        # read + standardize + core + features in the workers, over contiguous chunks
        parts = io._process_parallel(_describe_chunk, records, jobs, width)
    else:
        parts = _describe_serial(records, width, progress)
    # ids, messages and duplicate-id flags are those of read_ligands on the whole input
    rows: dict[str, list[Any]] = {c: [] for c in io.COLUMNS[:-1]}
    results: dict[int, tuple[dict[str, Any] | None, str]] = {}
    for part, res in parts:
        for c in rows:
            rows[c].extend(part[c])
        results.update(res)
    table = io._rows_to_frame(rows, records, keep_columns=keep_columns)
    ok = [st != "invalid" for st in table["status"]]
    return _assemble(table, results, ok)
