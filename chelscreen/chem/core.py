"""Find the chelating core inside a bioconjugate (DOTATATE -> DOTA with one amide arm).

Method (2D, no conformers)
--------------------------
1. Perceive donors and choose the donors one metal can use together
   (:func:`chelscreen.chem.donors.chelating_unit`: donor clusters closing 5/6-membered chelate
   rings, the best cluster plus nearby clusters of strong donors, e.g. DFO's three hydroxamates).
2. Keep: the atoms of every donor group of that unit; the shortest bond paths between unit donors
   at most 4 bonds apart (the chelate-ring backbones) and along a minimum spanning tree of the
   unit donors (joins the hydroxamates of DFO); every macrocycle (>= 9 atoms) holding >= 2 unit
   donors; every small ring (<= 8 atoms) touched by a kept atom (whole pyridines, the cyclohexane
   of CHX-A''-DTPA); and terminal atoms (=O, -CH3, halogen) on kept atoms.
3. Cut every other bond leaving the kept atoms. **Cap rule:** a cut single bond to a carbon keeps
   that carbon as a methyl cap; a cut bond to any other atom is replaced by H. So the DOTATATE
   linker amide ``N1-CH2-C(=O)-NH-CH(R)-...`` becomes the N-methyl amide ``N1-CH2-C(=O)NHCH3``:
   the amide O (a donor) and the secondary-amide N are kept as they are in the conjugate.
4. Shortcuts: when every perceived donor is in the unit and every atom lies <= 3 bonds from one,
   the molecule is a compact plain chelator and nothing is cut. Before the full search,
   :func:`_largest_piece_bound` bounds the largest piece that could be cut away using only atoms
   step 2 always keeps (donor groups, macrocycles, chelate-ring backbones, touched small rings,
   cap carbons), first without the chelate-ring backbones (no distance arithmetic), then with
   them; below :data:`MIN_REMOVED_HEAVY_ATOMS` the molecule is provably its own core and the
   search is skipped (identical result; most plain chelators with aryl handles).
5. A molecule is a *conjugate* only when the cut-away atoms hold one connected piece of at least
   :data:`MIN_REMOVED_HEAVY_ATOMS` heavy atoms (a targeting vector is one piece; two benzyl groups
   on a DOTA backbone are not a conjugate). Smaller handles (p-SCN-benzyl, NHS ester, NODAGA's
   glutaric acid arm, DFO's aminopentyl tail) leave the molecule as its own core
   (``info["is_conjugate"] = False``), as does a molecule without a chelating donor set.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rdkit import Chem

from chelscreen.chem.donors import analyse, macrocycle_rings

logger = logging.getLogger(__name__)

#: fewer cut-away heavy atoms than this: the molecule is its own core
MIN_REMOVED_HEAVY_ATOMS = 10
_SMALL_RING_MAX = 8



def _close_small_rings(kept: set[int], rings) -> None:
    """Add to ``kept`` every small ring (<= ``_SMALL_RING_MAX`` atoms) that touches it, to a
    fixed point (a pyridine or cyclohexane of an arm is never cut through)."""
    small = [set(r) for r in rings if len(r) <= _SMALL_RING_MAX]
    changed = bool(small)
    while changed:
        changed = False
        for r in small:
            if r & kept and not r <= kept:
                kept |= r
                changed = True

def _rings(mol: Chem.Mol, unit: Any) -> tuple[tuple[int, ...], ...]:
    """The SSSR atom rings, as read by the donor analysis when it did."""
    rings = getattr(unit, "rings", None)
    return mol.GetRingInfo().AtomRings() if rings is None else rings


def _compact(donors: list, dist: np.ndarray) -> bool:
    """Every atom lies <= 3 bonds from one of ``donors`` (the compact plain chelator)."""
    rows = dist.take(np.array([d.atom_idx for d in donors], dtype=np.intp), 0)
    return bool(rows.min(axis=0).max() <= 3)


def _mst_edges(points: list[int], dist: np.ndarray) -> list[tuple[int, int]]:
    """Prim's minimum spanning tree over atom indices with topological distances."""
    if len(points) < 2:
        return []
    d = dist[np.ix_(points, points)].tolist()
    n = len(points)
    # best[b] = min over tree members a of (d[a][b], a): the next edge is the smallest
    # (d, a, b), ties to the lowest a then b (O(n^2) Prim, same edges as a full scan)
    best = {b: (d[0][b], 0) for b in range(1, n)}
    edges = []
    while best:
        b = min(best, key=lambda k: (*best[k], k))
        a = best.pop(b)[1]
        edges.append((points[a], points[b]))
        row = d[b]
        for k, cur in best.items():
            if (row[k], b) < cur:
                best[k] = (row[k], b)
    return edges


def core_atoms(mol: Chem.Mol) -> tuple[set[int], set[int], dict[str, Any]]:
    """Atoms of the chelating core and of the methyl caps.

    Returns
    -------
    kept : set of int
        Atom indices of the core proper.
    caps : set of int
        Carbon atoms kept as methyl caps at cut bonds.
    details : dict
        ``n_donors``, ``n_donors_total`` (all perceived donors), ``donor_atoms`` (the unit).
    """
    unit = analyse(mol)
    donors, dist = unit.all_donors, unit.dist
    details: dict[str, Any] = {
        "n_donors": unit.n_donors,
        "n_donors_total": len(donors),
        "donor_atoms": [d.atom_idx for d in unit.donors],
    }
    if not unit.donors or unit.n_donors < 2:
        return set(range(mol.GetNumAtoms())), set(), details
    # fast path: every donor is used and every atom is <= 3 bonds from one - a compact plain
    # chelator (DOTA, EDTA, macropa, crowns); nothing to cut
    if len(unit.donors) == len(donors) and _compact(donors, dist):
        return set(range(mol.GetNumAtoms())), set(), details
    kept: set[int] = set()
    donor_atoms = [d.atom_idx for d in unit.donors]
    for d in unit.donors:
        kept.update(d.group_atoms or (d.atom_idx,))
    # atoms on a shortest path between linked donors: d(a,k) + d(k,b) == d(a,b)
    idx = np.array(donor_atoms)
    dd = dist[idx]  # (n_donors, n_atoms)
    sub = dd[:, idx]
    pairs = [(i, j) for i in range(len(idx)) for j in range(i + 1, len(idx))
             if sub[i, j] <= 4]
    pairs += [(donor_atoms.index(a), donor_atoms.index(b)) for a, b in _mst_edges(donor_atoms,
                                                                                   dist)]
    if pairs:
        pi = np.array(pairs)
        on_path = (dd[pi[:, 0]] + dd[pi[:, 1]]) == sub[pi[:, 0], pi[:, 1]][:, None]
        kept.update(np.flatnonzero(on_path.any(axis=0)).tolist())
    dset = set(donor_atoms)
    rings = _rings(mol, unit)
    for ring in macrocycle_rings(mol, rings=rings):
        if len(dset.intersection(ring)) >= 2:
            kept.update(ring)
    _close_small_rings(kept, rings)
    # terminal atoms on kept atoms (=O, -CH3, -F ...)
    adj = Chem.GetAdjacencyMatrix(mol)
    kept_mask = np.zeros(adj.shape[0], dtype=bool)
    kept_mask[list(kept)] = True
    touch = adj[kept_mask].any(axis=0)
    kept_mask |= touch & (adj.sum(axis=1) == 1)
    kept = set(np.flatnonzero(kept_mask).tolist())
    caps: set[int] = set()
    for j in np.flatnonzero(adj[kept_mask].any(axis=0) & ~kept_mask).tolist():
        nb = mol.GetAtomWithIdx(j)
        if nb.GetAtomicNum() != 6:
            continue
        for k in np.flatnonzero(adj[j] & kept_mask).tolist():
            if mol.GetBondBetweenAtoms(j, k).GetBondType() == Chem.BondType.SINGLE:
                caps.add(j)
                break
    return kept, caps, details


def _extract(mol: Chem.Mol, keep: set[int], caps: set[int]) -> tuple[Chem.Mol, list[int]]:
    """Sub-molecule of the atoms in ``keep``; Hs fixed on atoms that lost neighbours."""
    rw = Chem.RWMol(mol)
    for c in caps:  # a cap is a plain sp3 methyl, even when cut out of an aromatic ring
        at = rw.GetAtomWithIdx(c)
        at.SetIsAromatic(False)
        at.SetFormalCharge(0)
    # kept atoms bonded to a removed one (one C++ adjacency matrix, not a Python bond loop)
    adj = Chem.GetAdjacencyMatrix(mol)
    keep_mask = np.zeros(mol.GetNumAtoms(), dtype=bool)
    keep_mask[list(keep)] = True
    lost = set(np.flatnonzero(keep_mask & adj[:, ~keep_mask].any(axis=1)).tolist())
    rw.BeginBatchEdit()
    for idx in set(range(mol.GetNumAtoms())) - keep:
        rw.RemoveAtom(idx)
    rw.CommitBatchEdit()
    kept_sorted = sorted(keep)
    old_to_new = {old: new for new, old in enumerate(kept_sorted)}
    for old in lost:
        at = rw.GetAtomWithIdx(old_to_new[old])
        at.SetNoImplicit(False)
        if at.GetIsAromatic() and at.GetAtomicNum() == 7:
            continue
        at.SetNumExplicitHs(0)
        at.SetNumRadicalElectrons(0)
        if at.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED:
            at.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    core = rw.GetMol()
    Chem.SanitizeMol(core)
    Chem.AssignStereochemistry(core, cleanIt=True, force=True)
    return core, kept_sorted


def _largest_fragment(mol: Chem.Mol, atoms: list[int]) -> int:
    """Size of the largest connected piece formed by ``atoms``."""
    if not atoms:
        return 0
    # neighbours within the piece from one adjacency sub-matrix (RDKit caches the matrix)
    adj = Chem.GetAdjacencyMatrix(mol)
    ii, jj = adj[np.ix_(atoms, atoms)].nonzero()
    near: list[list[int]] = [[] for _ in atoms]
    for i, j in zip(ii.tolist(), jj.tolist()):
        near[i].append(j)
    seen = [False] * len(atoms)
    best = 0
    for start in range(len(atoms)):
        if seen[start]:
            continue
        seen[start] = True
        stack, size = [start], 1
        while stack:
            for j in near[stack.pop()]:
                if not seen[j]:
                    seen[j] = True
                    stack.append(j)
                    size += 1
        best = max(best, size)
    return best


def _largest_piece_bound(mol: Chem.Mol, unit: Any) -> int:
    """Upper bound on the largest cut-away piece, without finding the core.

    :func:`core_atoms` always keeps the atoms of every unit donor group, every macrocycle
    holding >= 2 unit donors and the shortest bond paths between unit donors at most 4 bonds
    apart (set ``K0``), so every cut-away piece lies inside one connected
    piece of the heavy atoms outside ``K0``. The size of the largest such piece is returned,
    or the number of atoms outside ``K0`` when that is already below
    :data:`MIN_REMOVED_HEAVY_ATOMS` (0 when the molecule is certainly its own core: too few
    donors, or the compact fast path
    of :func:`core_atoms`). ``K0`` is first taken without the chelate-ring backbones (a subset,
    so a looser but still valid bound) and completed only when that bound is not enough. A bound below :data:`MIN_REMOVED_HEAVY_ATOMS` proves that the
    molecule is not a conjugate, which is the case for most plain chelators.
    """
    ud, dist = unit.donors, unit.dist
    if not ud or unit.n_donors < 2:
        return 0
    idx = [d.atom_idx for d in ud]
    dd = dist.take(idx, 0)  # (unit donors, atoms)
    # the compact fast path of core_atoms (every perceived donor is in the unit)
    if len(ud) == len(unit.all_donors) and dd.min(0).max() <= 3:
        return 0
    n = mol.GetNumAtoms()
    kept: set[int] = set()
    for d in ud:
        kept.update(d.group_atoms or (d.atom_idx,))
    dset = set(idx)
    rings = _rings(mol, unit)
    for ring in rings:
        if len(ring) >= 9 and len(dset.intersection(ring)) >= 2:
            kept.update(ring)
    _close_small_rings(kept, rings)
    if n - len(kept) < MIN_REMOVED_HEAVY_ATOMS:
        # already without the chelate-ring backbones: a looser bound, found without them
        return n - len(kept)
    sub = unit.unit_dist
    if sub is None:
        sub = dd.take(idx, 1)
    # atoms on shortest paths between unit donors <= 4 bonds apart (chelate-ring backbones);
    # each pair once (the matrix is symmetric); a donor paired with itself would add only its
    # own atom, which is kept anyway (a donor atom lies in its group's atoms)
    pi, pj = np.triu(sub <= 4, 1).nonzero()
    on_path = (dd[pi] + dd[pj] == sub[pi, pj][:, None]).any(0)
    kept.update(on_path.nonzero()[0].tolist())
    _close_small_rings(kept, rings)
    if n - len(kept) < MIN_REMOVED_HEAVY_ATOMS:
        return n - len(kept)  # too few atoms left outside the kept ones for any conjugate
    free = np.ones(n, dtype=bool)
    free[list(kept)] = False
    # a carbon single-bonded to a kept atom is kept or becomes a methyl cap: never cut away
    kept0 = ~free
    boundary = free & (dist[:, kept0] == 1).any(axis=1)
    for i in np.flatnonzero(boundary).tolist():
        atom = mol.GetAtomWithIdx(i)
        if atom.GetAtomicNum() != 6:
            continue
        for bond in atom.GetBonds():
            if bond.GetBondType() == Chem.BondType.SINGLE and kept0[bond.GetOtherAtomIdx(i)]:
                free[i] = False
                break
    if mol.GetNumHeavyAtoms() != n:
        free &= np.array([a.GetAtomicNum() > 1 for a in mol.GetAtoms()], dtype=bool)
    n_free = int(free.sum())
    if n_free < MIN_REMOVED_HEAVY_ATOMS:
        return n_free
    sub = dist[free][:, free] == 1  # bonds between free atoms
    parent = list(range(n_free))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ii, jj = np.nonzero(sub)
    for i, j in zip(ii.tolist(), jj.tolist()):
        if i > j:
            continue
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
    sizes: dict[int, int] = {}
    for i in range(n_free):
        r = find(i)
        sizes[r] = sizes.get(r, 0) + 1
    return max(sizes.values())


def find_chelating_core(mol: Chem.Mol) -> tuple[Chem.Mol, dict[str, Any]]:
    """Find the chelating unit of a (possibly conjugated) chelator.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The whole molecule (neutral acid form, no metal).

    Returns
    -------
    core_mol : rdkit.Chem.Mol
        The chelating core; ``mol`` itself (not a copy) for a plain chelator.
    info : dict
        ``is_conjugate`` (bool), ``core_smiles`` (canonical; ``None`` for a plain chelator,
        whose core is the molecule itself), ``n_heavy_removed``, ``n_donors`` (denticity of
        the core), ``n_donors_total`` (all donor atoms perceived in the whole molecule, peptide
        side chains included), ``atom_map`` (core atom index -> original atom index), ``cap``
        (``"methyl"``) and ``method``.

    Examples
    --------
    >>> from rdkit import Chem
    >>> core, info = find_chelating_core(Chem.MolFromSmiles("OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CC1"))
    >>> info["is_conjugate"], info["n_donors"]
    (False, 6)
    """
    if mol is None:
        raise ValueError("find_chelating_core() got None instead of an RDKit Mol")
    unit = analyse(mol)
    if _largest_piece_bound(mol, unit) < MIN_REMOVED_HEAVY_ATOMS:
        # provably not a conjugate: skip the core search (same result, much faster)
        return mol, {
            "is_conjugate": False,
            "n_heavy_removed": 0,
            "n_donors": unit.n_donors,
            "n_donors_total": len(unit.all_donors),
            "cap": "methyl",
            "method": "donor-cluster",
            "atom_map": list(range(mol.GetNumAtoms())),
            "core_smiles": None,
        }
    kept, caps, details = core_atoms(mol)
    keep = kept | caps
    removed = [i for i in range(mol.GetNumAtoms())
               if i not in keep and mol.GetAtomWithIdx(i).GetAtomicNum() > 1]
    n_removed = len(removed)
    largest = _largest_fragment(mol, removed) if n_removed >= MIN_REMOVED_HEAVY_ATOMS else 0
    info: dict[str, Any] = {
        "is_conjugate": False,
        "n_heavy_removed": 0,
        "n_donors": details["n_donors"],
        "n_donors_total": details["n_donors_total"],
        "cap": "methyl",
        "method": "donor-cluster",
    }
    if largest < MIN_REMOVED_HEAVY_ATOMS:
        info["atom_map"] = list(range(mol.GetNumAtoms()))
        info["core_smiles"] = None  # the molecule itself
        return mol, info
    try:
        core, kept_sorted = _extract(mol, keep, caps)
    except Exception as exc:  # sanitization of an odd cut: fall back to the whole molecule
        logger.warning("could not cut the chelating core (%s); using the whole molecule", exc)
        info["atom_map"] = list(range(mol.GetNumAtoms()))
        info["core_smiles"] = None
        info["method"] = f"donor-cluster (cut failed: {exc}; whole molecule used)"
        return mol, info
    info.update(
        is_conjugate=True,
        n_heavy_removed=int(n_removed),
        atom_map=kept_sorted,
        core_smiles=Chem.MolToSmiles(core),
    )
    return core, info
