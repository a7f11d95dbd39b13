"""Donor-atom perception for chelators (2D, SMARTS based).

:func:`perceive_donors` types every atom that can bind a metal ion (one :class:`Donor` per binding
atom) and :func:`chelating_unit` picks the donors that ONE metal can use at the same time, which
gives the denticity ``n_donors``.

Typing rules (first match wins; an atom already typed is not typed again)
-------------------------------------------------------------------------
========================  =====================================================  ==========
donor_type                what binds                                             hardness
========================  =====================================================  ==========
``hopo_O``                1,2-/3,2-/3,4-hydroxypyridinone (ring N) and            hard
                          3-hydroxy-4-pyrone (ring O, subtype ``3,4-pyrone``):
                          the oxo O and the hydroxy O (two donors per group)
``hydroxamate_O``         hydroxamic acid C(=O)N-OH: both O (two per group)       hard
``catecholate_O``         1,2-dihydroxyarene: both O (two per group)              hard
``carboxylate_O``         CO2H: ONE donor per group (the OH / O- oxygen)          hard
``phosphonate_O``         P(=O)(OH)2 / phosphate: one donor per group             hard
``phosphinate_O``         R2P(=O)OH: one donor per group                          hard
``amide_O``               carbonyl O of an amide, urea or carbamate (see below)   hard
``phenolate_O``           a lone phenol OH                                        hard
``n_oxide_O``             N-oxide O                                               hard
``alcohol_O``             aliphatic OH (see below)                                hard
``ether_O``               aliphatic / aryl ether O (crowns, macropa ring O)       hard
``amine_N``               sp3 amine N (primary/secondary/tertiary, ring N)        hard
``aniline_N``             amine N on an aromatic ring                             borderline
``pyridine_N``            aromatic 6-ring N without H (pyridine, pyrazine ...)    borderline
``imidazole_N``           aromatic 5-ring N without H (imidazole, triazole ...)   borderline
``imine_N``               non-aromatic C=N (imine, oxime N)                       borderline
``thiolate_S``            SH / S- on carbon                                       soft
``thioether_S``           R-S-R (non aromatic)                                    soft
``phosphine_P``           R3P                                                     soft
========================  =====================================================  ==========

Not donors: amide / hydroxamate / sulfonamide N, pyrrole-type N-H, nitrile and isothiocyanate N,
thiourea / thiocarbonyl S (the NCS conjugation handle), ester and aromatic ring O (furan, pyrone
ring O), disulfide S, ketone O outside a hydroxypyridinone, the N-OH of an N-hydroxyimide.

Look-alikes (tested in ``tests/unit/test_donors.py``): oxocarbon acids (squaric, croconic,
rhodizonic), hydroxyquinones and tropolone have no ring heteroatom, so they are neither HOPO nor
catechol (an aromatic enol OH counts as ``phenolate_O``); maltol and kojic acid are hydroxypyrones
(``hopo_O``, subtype ``3,4-pyrone``); catechol needs a six-membered aromatic ring without exocyclic
C=O.

Hardness follows Pearson's HSAB classes (R. G. Pearson, *J. Am. Chem. Soc.* 1963, 85, 3533,
doi:10.1021/ja00905a001): O donors and aliphatic amines hard, pyridine / aniline N borderline,
thioethers, thiolates and phosphines soft.

Which donors one metal can use
------------------------------
A metal binds donors that close 5- or 6-membered chelate rings with each other, so
:func:`chelating_unit` keeps

1. *strong* donors (anionic O/S, amine and aromatic N, ether O in rings ...) that have another donor
   at most 4 bonds away (a 5- or 6-membered chelate ring; two O of one hydroxamate, HOPO or catechol
   count as such a pair);
2. *weak* donors - ``amide_O`` and ``alcohol_O`` - only when they sit exactly 3 bonds (5-membered
   chelate ring) from an amine/aniline/aromatic/imine N or an ether O. This keeps DOTAM / DOTA-amide
   arms, diglycolamides, HEDTA and HP-DO3A hydroxyls, and leaves out peptide backbone amides, DFO's
   backbone amides and the carboxamide linkers of 3,4,3-LI(1,2-HOPO);
3. the donors are clustered (single linkage, <= 4 bonds); the best cluster (most donors, strong
   donors and macrocycle ring donors weighted up) is the unit, and further small clusters (<= 4
   donors, >= 2 of them strong) within 14 bonds are merged while the unit has < 10 donors (the three
   hydroxamates of DFO, the four HOPO units of 3,4,3-LI(1,2-HOPO)); when the unit and the cluster
   consist only of bidentate O,O groups (HOPO, hydroxamate, catecholate) the limit is 20 bonds,
   so that tripodal podands such as THP (three 3,4-HOPO arms 16-18 bonds apart) are hexadentate;
   two DOTA units of a bis-chelator stay separate (8, not 16). The denticity is capped at 12.

A molecule with donors but no chelating pair is monodentate (``n_donors`` = 1).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
from rdkit import Chem
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

logger = logging.getLogger(__name__)

HARD, BORDERLINE, SOFT = "hard", "borderline", "soft"

#: hardness class (Pearson 1963) of each donor type
DONOR_HARDNESS: dict[str, str] = {
    "hopo_O": HARD,
    "hydroxamate_O": HARD,
    "catecholate_O": HARD,
    "carboxylate_O": HARD,
    "phosphonate_O": HARD,
    "phosphinate_O": HARD,
    "amide_O": HARD,
    "phenolate_O": HARD,
    "n_oxide_O": HARD,
    "alcohol_O": HARD,
    "ether_O": HARD,
    "amine_N": HARD,
    "aniline_N": BORDERLINE,
    "pyridine_N": BORDERLINE,
    "imidazole_N": BORDERLINE,
    "imine_N": BORDERLINE,
    "thiolate_S": SOFT,
    "thioether_S": SOFT,
    "phosphine_P": SOFT,
}

#: all donor types, in a fixed order (feature columns use it)
DONOR_TYPES: tuple[str, ...] = tuple(DONOR_HARDNESS)

#: donors that count only when anchored (3 bonds) to an N or ether O donor
WEAK_TYPES = frozenset({"amide_O", "alcohol_O"})
#: anchors for weak donors
_ANCHOR_TYPES = frozenset(
    {"amine_N", "aniline_N", "pyridine_N", "imidazole_N", "imine_N", "ether_O"}
)
#: donor groups that lose a proton (anionic donors)
ANIONIC_TYPES = frozenset(
    {
        "hopo_O",
        "hydroxamate_O",
        "catecholate_O",
        "carboxylate_O",
        "phosphonate_O",
        "phosphinate_O",
        "phenolate_O",
        "thiolate_S",
    }
)

MAX_DENTICITY = 12
_PAIR_MAX_BONDS = 4  # 5- or 6-membered chelate ring
_MERGE_MAX_BONDS = 14
_MERGE_UNTIL = 10
_MERGE_MAX_CLUSTER = 4  # only small units (hydroxamate, HOPO, catechol pairs) are merged
#: bidentate O,O groups of podands (tris-HOPO THP, tris-catecholates, hydroxamate
#: siderophores): such units are merged with each other up to this many bonds apart
_BIDENTATE_O_TYPES = frozenset({"hopo_O", "hydroxamate_O", "catecholate_O"})
_MERGE_MAX_BONDS_PODAND = 20


@dataclass(slots=True)
class Donor:
    """One donor atom.

    Attributes
    ----------
    atom_idx : int
        Index of the donor atom in the molecule.
    element : str
        Element symbol of the donor atom.
    donor_type : str
        One of :data:`DONOR_TYPES` (e.g. ``"amine_N"``, ``"carboxylate_O"``).
    group_id : int
        Index of the functional group the donor belongs to (the two O of one hydroxamate share it).
    hardness : str
        ``"hard"``, ``"borderline"`` or ``"soft"`` (Pearson HSAB).
    group_atoms : tuple of int
        All atoms of the functional group (e.g. C, O, O of a carboxylic acid).
    subtype : str
        Finer class: ``primary``/``secondary``/``tertiary`` for amines, ``1,2``/``3,2``/``3,4`` for
        HOPO, ``ring`` for a ring ether, else ``""``.
    n_hs : int
        Hydrogens on the donor atom (``GetTotalNumHs``) when it was perceived.
    charge : int
        Formal charge of the donor atom when it was perceived.
    """

    atom_idx: int
    element: str
    donor_type: str
    group_id: int
    hardness: str
    group_atoms: tuple[int, ...] = field(default=())
    subtype: str = ""
    n_hs: int = 0
    charge: int = 0

    @property
    def weak(self) -> bool:
        """True for donors that need an N/ether anchor (amide O, alcohol O)."""
        return self.donor_type in WEAK_TYPES

    @property
    def anionic(self) -> bool:
        """True when the donor group carries a negative charge once deprotonated."""
        return self.donor_type in ANIONIC_TYPES


# --------------------------------------------------------------------------------------------
# SMARTS, compiled once. Each entry: (donor_type, smarts, indices of donor atoms in the match,
# subtype)
# --------------------------------------------------------------------------------------------
_ACID_O = "[OX2H1,OX1-]"
_RULES_SRC: list[tuple[str, str, tuple[int, ...], str]] = [
    # 1,2-HOPO: O=c1ccccn1O (cyclic aromatic hydroxamate)
    ("hopo_O", f"[OX1]=[#6;R1;r6]@[#7;R1;r6]-{_ACID_O}", (0, 3), "1,2"),
    # the same 1,2-HOPO drawn as its tautomer 2-hydroxypyridine N-oxide ([O-][n+]1ccccc1O):
    # NIST lists 1,2-HOPO under both drawings; without this rule the N-oxide one was read as
    # an N-oxide plus a phenolate
    ("hopo_O", f"[OX1-]-[#7+;R1;r6]@[#6;R1;r6]-{_ACID_O}", (0, 3), "1,2"),
    # 3,2-HOPO: O=c1n(R)cccc1O
    ("hopo_O", f"[OX1]=[#6;R1;r6](@[#7;r6])@[#6;R1;r6]-{_ACID_O}", (0, 4), "3,2"),
    # 3,4-HOPO: O=c1ccn(R)cc1O - the ring N para to the oxo C (a real pyridinone ring)
    ("hopo_O", f"[OX1]=[#6;R1]1@[#6;R1](-{_ACID_O})@[#6;R1]@[#7;R1]@[#6;R1]@[#6;R1]@1", (0, 3),
     "3,4"),
    # 3-hydroxy-4-pyrone (maltol, kojic acid): same O,O motif with a ring O
    ("hopo_O", f"[OX1]=[#6;R1]1@[#6;R1](-{_ACID_O})@[#6;R1]@[#8;R1]@[#6;R1]@[#6;R1]@1", (0, 3),
     "3,4-pyrone"),
    # hydroxamic acid C(=O)N-OH; an N-hydroxyimide (N-hydroxysuccinimide) is not one
    ("hydroxamate_O", f"[OX1]=[CX3][NX3;!$(N(C=O)C=O)]-{_ACID_O}", (0, 3), ""),
    # 1,2-dihydroxyarene on a six-membered aromatic ring that carries no exocyclic C=O/C=S:
    # oxocarbon acids (squaric, croconic, rhodizonic) and hydroxyquinones are not catechols
    ("catecholate_O", f"{_ACID_O}-c1:c(-{_ACID_O}):[a;!$(*=[#8,#16])]:[a;!$(*=[#8,#16])]"
     ":[a;!$(*=[#8,#16])]:[a;!$(*=[#8,#16])]:1", (0, 3), ""),
    ("carboxylate_O", f"[CX3](=[OX1])-{_ACID_O}", (2,), ""),
    ("phosphonate_O", f"[PX4](=[OX1])(-{_ACID_O})-[OX2H1,OX1-,OX2]", (2,), ""),
    ("phosphinate_O", f"[PX4](=[OX1])(-{_ACID_O})", (2,), ""),
    ("amide_O", "[OX1]=[CX3]-[NX3]", (0,), ""),
    ("phenolate_O", f"{_ACID_O}-a", (0,), ""),
    ("n_oxide_O", "[OX1-]-[#7X4+,#7X3+;!$([#7]=O)]", (0,), ""),
    ("alcohol_O", "[OX2H1]-[CX4]", (0,), ""),
    ("ether_O", "[OX2;H0;!a;!$(O-[#6,#7]=[O,S,N]);!$(O-[!#6])](-[#6])-[#6]", (0,), ""),
    ("aniline_N", "[NX3,NX4+;!$(N-[#6,#15,#16]=[O,S,N]);!$(N-[#7,#8,#16]);!$(N-[#6]#*)]-a",
     (0,), ""),
    ("amine_N", "[NX3,NX4+;!a;!$(N-[#6,#15,#16]=[O,S,N]);!$(N-[#7,#8,#16]);!$(N-[#6]#*);"
     "!$(N-a);!$(N=*)]", (0,), ""),
    ("pyridine_N", "[nX2;r6;+0]", (0,), ""),
    ("imidazole_N", "[nX2;r5;+0]", (0,), ""),
    ("imine_N", "[NX2;!a;+0;!$(N=[#6]=[O,S,N])]=[#6]", (0,), ""),
    ("thiolate_S", "[SX2H1,SX1-]-[#6;!$([#6]=[O,S,N])]", (0,), ""),
    ("thioether_S", "[SX2;!a;H0;!$(S-[#6]=[O,S,N])](-[#6])-[#6]", (0,), ""),
    ("phosphine_P", "[PX3;+0](-[#6])(-[#6])-[#6]", (0,), ""),
]


#: elements a rule needs in the molecule (atomic numbers); rules whose elements are absent are
#: skipped without a substructure search
_RULE_ELEMENTS = {
    "hopo_O": frozenset({8}), "hydroxamate_O": frozenset({7, 8}),
    "catecholate_O": frozenset({8}), "carboxylate_O": frozenset({8}),
    "phosphonate_O": frozenset({8, 15}), "phosphinate_O": frozenset({8, 15}),
    "amide_O": frozenset({7, 8}), "phenolate_O": frozenset({8}), "n_oxide_O": frozenset({7, 8}),
    "alcohol_O": frozenset({8}), "ether_O": frozenset({8}), "aniline_N": frozenset({7}),
    "amine_N": frozenset({7}), "pyridine_N": frozenset({7}), "imidazole_N": frozenset({7}),
    "imine_N": frozenset({7}), "thiolate_S": frozenset({16}), "thioether_S": frozenset({16}),
    "phosphine_P": frozenset({15}),
}


def _compile() -> list[tuple[str, Chem.Mol, tuple[int, ...], str, frozenset]]:
    rules = []
    for dtype, smarts, idx, sub in _RULES_SRC:
        patt = Chem.MolFromSmarts(smarts)
        if patt is None:  # pragma: no cover - a programming error
            raise RuntimeError(f"bad donor SMARTS for {dtype}: {smarts}")
        rules.append((dtype, patt, idx, sub, _RULE_ELEMENTS[dtype]))
    return rules


_RULES = _compile()

#: cheap pre-checks (one substructure test each) that a rule's own SMARTS implies: a rule whose
#: pre-check fails cannot match and is skipped (same donors, fewer searches). Each gate is a
#: necessary condition read off the rule's SMARTS: e.g. every HOPO pattern starts with an
#: exocyclic ``[OX1]=`` on a ring carbon or an ``[OX1-]`` on a ring N+, every hydroxamate has an
#: N-OH.
_GATE_SMARTS = {
    "aromatic": "a",
    "charged": "[!+0]",
    # every HOPO pattern has an exocyclic [OX1]= on a ring carbon, or (the N-oxide drawing of
    # 1,2-HOPO) an [OX1-] on a ring N+
    "ring_carbonyl": "[$([OX1]=[#6;R1]),$([OX1-]-[#7+;R1])]",
    "n_oh": f"[NX3]-{_ACID_O}",
    "ether_o": "[OX2;H0;!a]",
    "n_aryl": "[NX3,NX4+]-a",
    "arom_n": "[nX2;+0]",
    "imine": "[NX2;!a;+0]=[#6]",
}
_GATES = {name: Chem.MolFromSmarts(sm) for name, sm in _GATE_SMARTS.items()}
#: gates of each rule, tested in order; ``two_phenol_O`` (a catechol has two O that each match
#: the ``phenolate_O`` SMARTS) reuses the phenolate matches, which that rule needs anyway
_RULE_GATES: dict[str, tuple[str, ...]] = {
    "hopo_O": ("ring_carbonyl",),
    "hydroxamate_O": ("n_oh",),
    "catecholate_O": ("aromatic", "two_phenol_O"),
    "phenolate_O": ("aromatic",),
    "n_oxide_O": ("charged",),
    "ether_O": ("ether_o",),
    "aniline_N": ("aromatic", "n_aryl"),
    "pyridine_N": ("aromatic", "arom_n"),
    "imidazole_N": ("aromatic", "arom_n"),
    "imine_N": ("imine",),
}
_PHENOLATE_RULE = next(r[1] for r in _RULES if r[0] == "phenolate_O")


def _amine_subtype(atom: Chem.Atom) -> str:
    n_heavy = atom.GetDegree()
    return {1: "primary", 2: "secondary"}.get(n_heavy, "tertiary" if n_heavy >= 3 else "ammonia")


def perceive_donors(mol: Chem.Mol) -> list[Donor]:
    """Type the donor atoms of a molecule.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The ligand, neutral acid form preferred (anionic forms are understood too).

    Returns
    -------
    list of Donor
        One entry per donor atom, sorted by atom index. Every perceived donor is returned, also
        those a metal cannot reach together; see :func:`chelating_unit` for the denticity.

    Examples
    --------
    >>> from rdkit import Chem
    >>> [d.donor_type for d in perceive_donors(Chem.MolFromSmiles("OC(=O)CN(C)C"))]
    ['carboxylate_O', 'amine_N']
    """
    if mol is None:
        raise ValueError("perceive_donors() got None instead of an RDKit Mol")
    return _perceive(mol)[0]


#: rule data in the order :func:`_perceive` uses it: (type, pattern, donor positions in the
#: match, subtype, needed elements, gates, skip a match that touches a typed atom, phosphorus
#: acid, hardness, donor element: every rule's SMARTS puts its donors on the element that its
#: type names, ``..._O`` on O, ``..._N`` on N/n ...)
_PLAN = [
    (dtype, patt, idx, sub, needs, _RULE_GATES.get(dtype, ()),
     dtype in ("carboxylate_O", "phosphonate_O", "phosphinate_O", "hydroxamate_O",
               "catecholate_O"),
     dtype in ("phosphonate_O", "phosphinate_O"), DONOR_HARDNESS[dtype], dtype.rsplit("_", 1)[1])
    for dtype, patt, idx, sub, needs in _RULES
]
_SYMBOL_RE = re.compile(r"[A-Z][a-z]?")
_WATCHED_ELEMENTS = {"N": 7, "O": 8, "P": 15, "S": 16}


def _perceive(mol: Chem.Mol) -> tuple[list[Donor], frozenset[int]]:
    """:func:`perceive_donors` and which of N, O, P, S the molecule holds."""
    taken: set[int] = set()
    donors: list[Donor] = []
    group_id = 0
    present = frozenset(_WATCHED_ELEMENTS[sym] for sym in
                        set(_SYMBOL_RE.findall(CalcMolFormula(mol))) & _WATCHED_ELEMENTS.keys())
    gates: dict[str, bool] = {}
    phenol_matches = None
    get_atom = mol.GetAtomWithIdx
    for dtype, patt, idx, sub, needs, rule_gates, whole, phos, hard, elem in _PLAN:
        if not needs <= present:
            continue
        closed = False
        for g in rule_gates:
            ok = gates.get(g)
            if ok is None:
                if g == "two_phenol_O":
                    phenol_matches = mol.GetSubstructMatches(_PHENOLATE_RULE, uniquify=True)
                    ok = len({m[0] for m in phenol_matches}) >= 2
                else:
                    ok = mol.HasSubstructMatch(_GATES[g])
                gates[g] = ok
            if not ok:
                closed = True
                break
        if closed:
            continue
        if patt is _PHENOLATE_RULE and phenol_matches is not None:
            matches = phenol_matches
        else:
            matches = mol.GetSubstructMatches(patt, uniquify=True)
        for match in matches:
            atoms = [match[i] for i in idx]
            if not taken.isdisjoint(atoms):
                continue
            if whole and not taken.isdisjoint(match):
                # an O shared with an already typed group (e.g. HOPO ring) - skip
                continue
            dtype_eff = dtype
            if phos:
                p = get_atom(match[0])
                group_atoms = tuple(sorted([p.GetIdx()] + [
                    n.GetIdx() for n in p.GetNeighbors() if n.GetAtomicNum() == 8]))
                if not taken.isdisjoint(group_atoms):
                    continue
                if dtype == "phosphinate_O":
                    n_c = sum(1 for n in p.GetNeighbors() if n.GetAtomicNum() == 6)
                    dtype_eff = "phosphinate_O" if n_c >= 2 else "phosphonate_O"
            else:
                group_atoms = tuple(sorted(match))
            for a in atoms:
                atom = get_atom(a)
                subtype = sub
                if dtype_eff in ("amine_N", "aniline_N"):
                    subtype = _amine_subtype(atom)
                elif dtype_eff == "ether_O":
                    subtype = "ring" if atom.IsInRing() else "chain"
                donors.append(Donor(a, elem, dtype_eff, group_id,
                                    hard if dtype_eff == dtype else DONOR_HARDNESS[dtype_eff],
                                    group_atoms, subtype, atom.GetTotalNumHs(),
                                    atom.GetFormalCharge()))
            # the whole acid group is used up (the second O of a carboxylate is no ether/amide O)
            taken.update(group_atoms if dtype_eff != "amide_O" else atoms)
            group_id += 1
    donors.sort(key=lambda d: d.atom_idx)
    return donors, present


# --------------------------------------------------------------------------------------------
# the chelating unit
# --------------------------------------------------------------------------------------------
def macrocycle_rings(mol: Chem.Mol, min_size: int = 9,
                     rings: tuple[tuple[int, ...], ...] | None = None) -> list[tuple[int, ...]]:
    """Rings (SSSR) of at least ``min_size`` atoms (``rings``: the SSSR when already read)."""
    if rings is None:
        rings = mol.GetRingInfo().AtomRings()
    return [r for r in rings if len(r) >= min_size]


@dataclass
class ChelatingUnit:
    """The donors one metal can use together, and how they were chosen.

    Attributes
    ----------
    donors : list of Donor
        Donors of the unit (before the denticity cap).
    all_donors : list of Donor
        Every perceived donor of the molecule.
    n_donors : int
        Denticity offered to one metal (``min(len(donors), 12)``; 1 for a monodentate ligand).
    n_clusters : int
        Number of donor clusters in the molecule (> 1 for a conjugate or a bis-chelator).
    dist : numpy.ndarray
        Topological distance matrix of the molecule (bonds).
    rings : tuple of tuple of int
        ``mol.GetRingInfo().AtomRings()`` (SSSR), read once for the core finder and the
        features; ``None`` when the unit was built without it.
    elements : frozenset of int
        Which of N, O, P, S (atomic numbers) the molecule holds, as read by the donor
        perception; ``None`` when the donors were passed in.
    unit_dist : numpy.ndarray
        Bond distances between the unit's donors (``dist`` at their atoms, in the order of
        ``donors``); ``None`` when there are no donors.
    """

    donors: list[Donor]
    all_donors: list[Donor]
    n_donors: int
    n_clusters: int
    dist: np.ndarray
    rings: tuple[tuple[int, ...], ...] | None = None
    elements: frozenset[int] | None = None
    unit_dist: np.ndarray | None = None


def chelating_unit(mol: Chem.Mol, donors: list[Donor] | None = None,
                   dist: np.ndarray | None = None) -> ChelatingUnit:
    """Choose the donors that one metal can use together (see the module docstring).

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The ligand.
    donors : list of Donor, optional
        Output of :func:`perceive_donors` (computed when omitted).
    dist : numpy.ndarray, optional
        ``Chem.GetDistanceMatrix(mol)`` (computed when omitted).

    Returns
    -------
    ChelatingUnit
    """
    elements = None
    if donors is None:
        if mol is None:
            raise ValueError("perceive_donors() got None instead of an RDKit Mol")
        donors, elements = _perceive(mol)
    if dist is None:
        dist = Chem.GetDistanceMatrix(mol)
    rings = mol.GetRingInfo().AtomRings()
    if not donors:
        return ChelatingUnit([], [], 0, 0, dist, rings, elements)
    nd = len(donors)
    atom_idx = [d.atom_idx for d in donors]
    sub_np = dist.take(atom_idx, 0).take(atom_idx, 1)  # donor x donor distances
    weak_list = [d.donor_type in WEAK_TYPES for d in donors]
    # small matrices: plain lists are cheaper than numpy calls here
    subl = sub_np.tolist()
    # partners of each donor within 4 bonds (a 5- or 6-membered chelate ring)
    near = [[j for j, x in enumerate(row) if 0 < x <= _PAIR_MAX_BONDS] for row in subl]
    if True in weak_list:
        # weak donors: need an anchor exactly 3 bonds away
        anchor = [d.donor_type in _ANCHOR_TYPES for d in donors]
        cand = [not w or any(x == 3 and a for x, a in zip(row, anchor))
                for w, row in zip(weak_list, subl)]
    else:
        cand = [True] * nd
    # every kept donor needs a partner (other kept donor) within 4 bonds (two passes)
    for _ in range(2):
        cand = [c and any(cand[j] for j in near[i]) for i, c in enumerate(cand)]
    kept = [i for i, c in enumerate(cand) if c]
    if not kept:
        return ChelatingUnit([donors[0]], donors, 1, 0, dist, rings, elements,
                             sub_np[:1, :1])
    # clusters: single linkage at <= 4 bonds over the kept donors, in order of their first
    # donor, each in donor order
    label = [-1] * nd
    clusters: list[list[int]] = []
    for i in kept:
        if label[i] >= 0:
            continue
        label[i] = len(clusters)
        members, stack = [i], [i]
        while stack:
            for j in near[stack.pop()]:
                if cand[j] and label[j] < 0:
                    label[j] = label[i]
                    members.append(j)
                    stack.append(j)
        members.sort()
        clusters.append(members)
    n_clusters = len(clusters)
    # one cluster is the unit; else the best one with small clusters merged into it
    unit = clusters[0] if n_clusters == 1 else _best_units(donors, weak_list, clusters, subl,
                                                           rings)
    unit.sort(key=atom_idx.__getitem__)  # atom order
    unit_donors = [donors[m] for m in unit]
    unit_dist = sub_np if unit == list(range(nd)) else sub_np.take(unit, 0).take(unit, 1)
    return ChelatingUnit(unit_donors, donors, min(len(unit_donors), MAX_DENTICITY), n_clusters,
                         dist, rings, elements, unit_dist)


def _best_units(donors: list[Donor], weak: list[bool], clusters: list[list[int]],
                sub: list[list[float]], rings) -> list[int]:
    """The best-scoring cluster with the small clusters merged into it (positions in
    ``donors``; ``sub``: donor x donor bond distances); see the module docstring."""
    n_clusters = len(clusters)
    ring_atoms: set[int] = set()
    for ring in rings:
        if len(ring) >= 9:  # the macrocycles (see macrocycle_rings)
            ring_atoms.update(ring)

    def score(members: list[int]) -> float:
        s = 0.0
        for m in members:
            d = donors[m]
            s += 0.5 if weak[m] else 1.0
            if d.donor_type in ANIONIC_TYPES:
                s += 0.25
            if d.atom_idx in ring_atoms:
                s += 0.5
        return s

    order = sorted(range(n_clusters), key=lambda c: (-score(clusters[c]), c))
    unit = list(clusters[order[0]])
    merged = {order[0]}
    changed = True
    while changed and len(unit) < _MERGE_UNTIL:
        changed = False
        for c in order[1:]:
            if c in merged:
                continue
            members = clusters[c]
            n_strong = sum(1 for m in members if not weak[m])
            if n_strong < 2 or len(members) > _MERGE_MAX_CLUSTER:
                continue
            limit = _MERGE_MAX_BONDS
            if all(donors[m].donor_type in _BIDENTATE_O_TYPES for m in unit + members):
                limit = _MERGE_MAX_BONDS_PODAND
            if min(sub[a][b] for a in unit for b in members) <= limit:
                unit.extend(members)
                merged.add(c)
                changed = True
                if len(unit) >= _MERGE_UNTIL:
                    break
    return unit


def analyse(mol: Chem.Mol) -> ChelatingUnit:
    """:func:`chelating_unit` with donors and distance matrix, cached on the Mol object.

    The result is stored in a private attribute of ``mol`` (keyed by its atom and bond counts),
    so standardization (core finding) and :func:`~chelscreen.chem.descriptors.ligand_features`
    on the same plain chelator perceive its donors only once.
    """
    key = (mol.GetNumAtoms(), mol.GetNumBonds())
    cached = getattr(mol, "_chelscreen_unit", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    unit = chelating_unit(mol)
    try:
        mol._chelscreen_unit = (key, unit)
    except AttributeError:  # pragma: no cover - a Mol type without __dict__
        pass
    return unit


def n_donors(mol: Chem.Mol) -> int:
    """Denticity the ligand can offer to one metal (see :func:`chelating_unit`)."""
    return chelating_unit(mol).n_donors
