"""Standardize a ligand: split off metals, strip salts, neutralize, find the chelating core.

The standard form of a chelator in chelscreen is its **neutral acid form**: every carboxylate,
phosphonate, phenolate or hydroxamate protonated, every protonated amine deprotonated, no metal,
no counter-ion and no solvent. Tautomers are *not* searched for a canonical form; two targeted
normal forms (:data:`NORMAL_FORM_RULES`) join the drawings that databases use for one ligand:

* an N-oxide next to an aromatic C–OH (2-hydroxypyridine N-oxide, ``[O-][n+]1ccccc1O``) is written
  as the cyclic hydroxamic acid (1-hydroxy-2-pyridinone, ``O=c1ccccn1O``);
* a lactim, an aromatic C–OH next to a pyridine-type ring N in a six-membered ring (2-hydroxy-
  pyridine, the purine ``c(O)n`` of inosine or xanthosine), is written as the lactam
  (``O=c1cccc[nH]1``), repeated until none is left (xanthosine's two lactims).

Other N-oxides (picolinic acid N-oxide) and nitro groups keep their charge-separated form.

Steps, in order (:func:`standardize`):

1. reject empty molecules, molecules without heavy atoms, dummy atoms (``*``) and elements
   outside the organic set (H B C N O F Si P S Cl Se Br I) and the metals;
2. cut every bond to a metal (dative ``->`` bonds and covalently written M–X bonds) and remember
   the metal with its charge (formal charge + covalent bond orders), e.g. ``Gd3+``;
3. sanitize, then keep one fragment: organic (has carbon) first, then not a known counter-ion
   or solvent (:data:`KNOWN_COUNTERIONS`: HCl, TFA, mesylate, tosylate, water, DMSO...), then
   the most heavy atoms. Removed fragments are listed in ``changes``; removing one of more than
   :data:`LARGE_FRAGMENT_HEAVY_ATOMS` heavy atoms adds a warning (a mixture?);
4. reject a ligand of more than :data:`MAX_HEAVY_ATOMS` heavy atoms;
5. remove explicit hydrogens and neutralize charges (acid form);
6. apply the normal forms above (N-oxide → N-hydroxy, lactim → lactam);
7. find the chelating core with :func:`chelscreen.chem.core.find_chelating_core`.

Alkali-metal ions (Li+, Na+, K+, Rb+, Cs+) are treated as counter-ions unless they are bound with
dative bonds; every other metal that was split off is reported in ``Standardized.metals``.

Examples
--------
>>> from rdkit import Chem
>>> s = standardize(Chem.MolFromSmiles("[O-]C(=O)C[NH3+].[Na+]"))
>>> Chem.MolToSmiles(s.mol)
'NCC(=O)O'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem import rdChemReactions

from chelscreen.errors import InvalidStructureError

logger = logging.getLogger(__name__)

#: Largest ligand (heavy atoms of the kept fragment) that chelscreen accepts.
MAX_HEAVY_ATOMS = 300

#: Elements allowed in a ligand (atomic numbers): H B C N O F Si P S Cl Se Br I.
ORGANIC_ELEMENTS = frozenset({1, 5, 6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53})

#: Metals that are split off (atomic numbers): alkali and alkaline-earth metals, Al, the d-block,
#: Ga In Sn Tl Pb Bi Po, the lanthanides La–Lu and the actinides Ac–Lr.
METAL_ELEMENTS = frozenset(
    {3, 4, 11, 12, 13, *range(19, 32), *range(37, 51), *range(55, 85), *range(87, 104)}
)

#: Alkali metals: counter-ions unless bound by dative bonds.
ALKALI_ELEMENTS = frozenset({3, 11, 19, 37, 55, 87})

#: Removed fragments larger than this (heavy atoms) make the result doubtful (a mixture?).
LARGE_FRAGMENT_HEAVY_ATOMS = 15

_ALLOWED_TEXT = "H B C N O F Si P S Cl Se Br I, plus metals, which are split off"
_PT = Chem.GetPeriodicTable()

# one C++ substructure call each instead of Python loops over atoms (fast path for clean input)
_Q_BAD_ELEMENT = Chem.MolFromSmarts(
    "[" + "&".join(f"!#{z}" for z in sorted(ORGANIC_ELEMENTS | METAL_ELEMENTS)) + "]"
)
_Q_METAL = Chem.MolFromSmarts("[" + ",".join(f"#{z}" for z in sorted(METAL_ELEMENTS)) + "]")
_Q_HYDROGEN = Chem.MolFromSmarts("[#1]")
_Q_CHARGED = Chem.MolFromSmarts("[!+0]")
_Q_CARBON = Chem.MolFromSmarts("[#6]")
# anything that is not a neutral organic heavy atom: charged, hydrogen, metal, other element
_Q_UNUSUAL = Chem.MolFromSmarts(
    "[!+0,#1," + "&".join(f"!#{z}" for z in sorted(ORGANIC_ELEMENTS - {1})) + "]"
)


#: Counter-ions, acids and solvents (neutral forms) removed from salts before the largest
#: fragment is chosen, so mesylate or tosylate never wins over a small ligand.
KNOWN_COUNTERIONS = (
    "Cl Br I F O OO N S(=O)(=O)(O)O O=[N+]([O-])O O=P(O)(O)O O=Cl(=O)(=O)O OB(O)O "
    "OC(=O)C(F)(F)F CC(=O)O OC=O CS(=O)(=O)O OS(=O)(=O)C(F)(F)F Cc1ccc(S(=O)(=O)O)cc1 "
    "O=S(=O)(O)c1ccccc1 OC(=O)C=CC(=O)O OC(=O)C(=O)O OC(=O)CCC(=O)O OC(=O)C(O)C(O)C(=O)O "
    "OC(=O)CC(O)(CC(=O)O)C(=O)O CC(O)C(=O)O OC(=O)CC(=O)O CO CCO CC(C)O CS(C)=O CN(C)C=O "
    "CC#N CC(C)=O CCOCC C1CCOC1 ClCCl ClC(Cl)Cl CCN(CC)CC CCN(C(C)C)C(C)C OCC(N)(CO)CO "
    "C1COCCN1 CCCCCC c1ccccc1 Cc1ccccc1 CCOC(C)=O"
).split()


_COUNTERION_MAX_HEAVY_ATOMS = 14


@lru_cache(maxsize=1024)
def _canonical_neutral(smiles: str) -> str | None:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    rw = Chem.RWMol(mol)
    if _neutralize(rw):
        try:
            Chem.SanitizeMol(rw)
        except Exception:
            return None
    return Chem.MolToSmiles(rw, isomericSmiles=False)


_KNOWN_COUNTERION_KEYS: frozenset[str] | None = None


def _is_known_counterion(smiles: str) -> bool:
    global _KNOWN_COUNTERION_KEYS
    if _KNOWN_COUNTERION_KEYS is None:
        _KNOWN_COUNTERION_KEYS = frozenset(
            k for k in map(_canonical_neutral, KNOWN_COUNTERIONS) if k is not None
        )
    return _canonical_neutral(smiles) in _KNOWN_COUNTERION_KEYS


def _has(mol: Chem.Mol, query: Chem.Mol) -> bool:
    return mol.HasSubstructMatch(query)


@dataclass
class Standardized:
    """Result of :func:`standardize`.

    Attributes
    ----------
    mol
        The standardized ligand (neutral acid form, largest organic fragment, no metal).
    core
        The chelating core of ``mol`` (``mol`` itself for a plain chelator).
    metals
        Metals split off the input that were bound to the ligand or are not simple counter-ions,
        as ion symbols with charge (``"Gd3+"``, ``"Cu2+"``; a bare symbol for charge 0).
    changes
        Human-readable list of what was changed (fragments removed, charges neutralized...).
    warnings
        Changes that make the result doubtful (a large fragment removed, core finding failed).
    core_info
        The ``info`` dict returned by the core finder.
    """

    mol: Chem.Mol
    core: Chem.Mol
    metals: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    core_info: dict[str, Any] = field(default_factory=dict)


def ion_symbol(symbol: str, charge: int) -> str:
    """Format an ion as ``Gd3+``, ``Na+``, ``Cl-`` or ``Gd`` (charge 0).

    >>> ion_symbol("Gd", 3), ion_symbol("Na", 1), ion_symbol("Gd", 0)
    ('Gd3+', 'Na+', 'Gd')
    """
    if charge == 0:
        return symbol
    sign = "+" if charge > 0 else "-"
    n = abs(charge)
    return f"{symbol}{n if n > 1 else ''}{sign}"


def _check_elements(mol: Chem.Mol) -> None:
    if not _has(mol, _Q_BAD_ELEMENT):
        return
    bad: dict[str, int] = {}
    dummy = 0
    for atom in mol.GetAtoms():
        z = atom.GetAtomicNum()
        if z in ORGANIC_ELEMENTS or z in METAL_ELEMENTS:
            continue
        if z == 0:
            dummy += 1
        else:
            sym = atom.GetSymbol()
            bad[sym] = bad.get(sym, 0) + 1
    if dummy:
        raise InvalidStructureError(
            f"contains {dummy} dummy/attachment atom(s) '*'; replace each '*' by the real group "
            "or by a hydrogen"
        )
    if bad:
        names = ", ".join(sorted(bad))
        raise InvalidStructureError(
            f"contains unsupported element(s) {names}; chelscreen handles ligands made of "
            f"{_ALLOWED_TEXT}; remove or replace {names}"
        )


def _disconnect_metals(rw: Chem.RWMol) -> dict[int, tuple[int, bool]]:
    """Cut every bond to a metal atom in place.

    Returns ``{metal atom idx: (charge, bound_by_dative)}`` for every metal atom in ``rw``.
    Non-metal atoms that lose a covalent bond keep their valence by taking a hydrogen (implicit
    for unbracketed atoms, explicit for bracketed neutral ones), which is the acid form.
    """
    metals: dict[int, list[int | bool]] = {}
    for (idx,) in rw.GetSubstructMatches(_Q_METAL, uniquify=False, maxMatches=100000):
        metals[idx] = [rw.GetAtomWithIdx(idx).GetFormalCharge(), False]
    if not metals:
        return {}
    bonds = {b.GetIdx(): b for i in metals for b in rw.GetAtomWithIdx(i).GetBonds()}
    to_cut = []
    for bond in bonds.values():
        a, b = bond.GetBeginAtom(), bond.GetEndAtom()
        a_metal, b_metal = a.GetIdx() in metals, b.GetIdx() in metals
        if not (a_metal or b_metal):
            continue
        to_cut.append((a.GetIdx(), b.GetIdx()))
        if a_metal and b_metal:
            continue
        metal, other = (a, b) if a_metal else (b, a)
        btype = bond.GetBondType()
        if btype in (
            Chem.BondType.DATIVE,
            Chem.BondType.DATIVEONE,
            Chem.BondType.DATIVEL,
            Chem.BondType.DATIVER,
        ):
            metals[metal.GetIdx()][1] = True
            continue
        if _saturated_without(other, metals):
            # a neutral amine N (or any donor at full valence) written with a plain bond:
            # the bond is dative in fact and gives the metal no charge
            metals[metal.GetIdx()][1] = True
            continue
        order = max(1, int(round(bond.GetBondTypeAsDouble())))
        metals[metal.GetIdx()][0] += order
        if other.GetNoImplicit() and other.GetFormalCharge() >= 0:
            other.SetNumExplicitHs(other.GetNumExplicitHs() + order)
    for i, j in to_cut:
        rw.RemoveBond(i, j)
    return {idx: (int(q), bool(d)) for idx, (q, d) in metals.items()}


_VALENCE_GROUPS = frozenset({7, 8, 15, 16, 34})  # N O P S Se: valence = default + charge


def _saturated_without(atom: Chem.Atom, metals: dict) -> bool:
    """Whether ``atom`` already has its full valence without its bonds to metals."""
    z = atom.GetAtomicNum()
    if z not in _VALENCE_GROUPS:
        return False
    valence = atom.GetNumExplicitHs()
    for bond in atom.GetBonds():
        if bond.GetOtherAtomIdx(atom.GetIdx()) in metals:
            continue
        valence += bond.GetBondTypeAsDouble()
    allowed = _PT.GetDefaultValence(z) + atom.GetFormalCharge()
    return valence >= allowed - 1e-6


def _sanitize(mol: Chem.Mol) -> None:
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several exception types (valence, kekulize...)
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidStructureError(
            f"RDKit cannot sanitize the structure ({msg}); check charges, valences and "
            "aromatic rings (write them as Kekulé structures if in doubt)"
        ) from exc


def _neutralize(mol: Chem.Mol) -> int:
    """Neutralize ionized acids and protonated bases in place; return the number of atoms changed.

    Charge-separated pairs (nitro, N-oxide) where a charged atom has a neighbour of opposite
    charge are left as written. Quaternary cations without hydrogen cannot be neutralized.
    """
    n = 0
    for (idx,) in mol.GetSubstructMatches(_Q_CHARGED, uniquify=False, maxMatches=100000):
        atom = mol.GetAtomWithIdx(idx)
        q = atom.GetFormalCharge()
        if q == 0:
            continue
        if any(nb.GetFormalCharge() * q < 0 for nb in atom.GetNeighbors()):
            continue
        z = atom.GetAtomicNum()
        if q == -1 and z in (7, 8, 16, 34):
            atom.SetFormalCharge(0)
            if atom.GetNoImplicit():
                atom.SetNumExplicitHs(atom.GetNumExplicitHs() + 1)
            n += 1
        elif q == 1 and z in (7, 8, 15, 16) and atom.GetTotalNumHs() > 0:
            atom.SetFormalCharge(0)
            if atom.GetNumExplicitHs() > 0:
                atom.SetNumExplicitHs(atom.GetNumExplicitHs() - 1)
            n += 1
    return n


#: ≈ 30–40 KB per cached Mol: 2,048 hold the table cores a screen compares with and a work
#: unit's ligands (8,192 made a worker grow by ≈ 300 MB, and loky restarted it)
@lru_cache(maxsize=2048)
def neutral_mol(smiles: str) -> Chem.Mol | None:
    """The molecule of ``smiles`` with ionized acids and protonated bases neutralized (the
    standardizer's own :func:`_neutralize`); ``None`` when RDKit cannot read or sanitize it.

    A light companion of :func:`standardize` for keys and substructure tests on chelating cores
    that are already metal- and salt-free; memoized (treat the result as read-only).
    """
    from chelscreen.chem.descriptors import mol_of_smiles

    # the shared read-only parse of the SMILES (copied here before any change)
    mol = mol_of_smiles(str(smiles or ""))
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    rw = Chem.RWMol(mol)
    if _neutralize(rw):
        try:
            Chem.SanitizeMol(rw)
        except Exception:  # noqa: BLE001 - RDKit raises several exception types
            return None
    return rw.GetMol()


def inchikey_block1(mol: Chem.Mol | None) -> str:
    """First InChIKey block (connectivity; stereo and protonation live in later blocks) of
    ``mol``; ``""`` for ``None`` or when InChI fails."""
    if mol is None:
        return ""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        key = Chem.MolToInchiKey(mol)
    except Exception:  # noqa: BLE001 - InChI can fail on exotic input
        key = ""
    finally:
        RDLogger.EnableLog("rdApp.*")
    return key.split("-")[0] if key else ""


def conjugate_parent_smiles(core_smiles: str, smiles: str = "") -> str:
    """Acid-form parent chelator of a conjugate's chelating core (``""`` for a plain chelator).

    The core finder caps the conjugation amide as an N-methyl amide (DOTATATE → DOTA
    mono-N-methylamide); evidence tables write a conjugate's chelator in its acid form (DOTA).
    Turning each N-methyl amide cap back into the acid gives that parent. ``""`` when
    ``core_smiles`` is empty or equal to ``smiles`` (not a conjugate) or the result cannot be
    sanitized; a core without a cap is returned as it is.
    """
    core = str(core_smiles or "").strip()
    if not core or core == str(smiles or "").strip():
        return ""
    mol = Chem.MolFromSmiles(core)
    if mol is None:
        return ""
    rw = Chem.RWMol(mol)
    drop = []
    for _c, _o, n, me in mol.GetSubstructMatches(_Q_AMIDE_CAP):
        rw.GetAtomWithIdx(n).SetAtomicNum(8)
        rw.GetAtomWithIdx(n).SetNoImplicit(False)
        rw.GetAtomWithIdx(n).SetNumExplicitHs(0)
        drop.append(me)
    if not drop:
        return Chem.MolToSmiles(mol)  # a core without a cap is its own parent
    for idx in sorted(drop, reverse=True):
        rw.RemoveAtom(idx)
    try:
        Chem.SanitizeMol(rw)
    except Exception:  # noqa: BLE001 - an odd cap: no parent
        return ""
    return Chem.MolToSmiles(rw)


_Q_AMIDE_CAP = Chem.MolFromSmarts("[CX3](=O)[NX3H1][CH3]")


_core_finder: Any = None


def _find_core(mol: Chem.Mol) -> tuple[Chem.Mol, dict[str, Any], str | None]:
    """Call the core finder; fall back to the whole molecule (with a warning) on failure."""
    global _core_finder
    if _core_finder is None:
        try:
            from chelscreen.chem.core import find_chelating_core
        except ImportError as exc:
            logger.warning("chelating-core finder unavailable (%s); using whole molecules", exc)
            _core_finder = False
        else:
            _core_finder = find_chelating_core
    if _core_finder is False:
        return mol, {}, "chelating-core finder unavailable; core_smiles is the whole molecule"
    try:
        core, info = _core_finder(mol)
    except Exception as exc:  # a failing core finder must not lose the row
        logger.warning("core finding failed for %s: %s", Chem.MolToSmiles(mol), exc)
        return (
            mol,
            {},
            f"finding the chelating core failed ({exc}); core_smiles is the whole molecule",
        )
    if core is None:
        core = mol
    return core, dict(info or {}), None


def standardize(mol: Chem.Mol | str, *, find_core: bool = True) -> Standardized:
    """Standardize a ligand to its neutral acid form and find its chelating core.

    Parameters
    ----------
    mol
        RDKit molecule (sanitized or not: metal complexes are best passed unsanitized, as parsed
        with ``Chem.MolFromSmiles(smiles, sanitize=False)``) or a SMILES string. The caller's
        Mol is never changed.
    find_core
        Call :func:`chelscreen.chem.core.find_chelating_core` (default). With ``False`` the core
        is the whole molecule.

    Returns
    -------
    Standardized
        The ligand, its core, the metals split off and the list of changes.

    Raises
    ------
    InvalidStructureError
        Unparsable or empty input, no heavy atoms, unsupported elements, no ligand left after
        removing metals, more than :data:`MAX_HEAVY_ATOMS` heavy atoms, or RDKit sanitization
        failure. The message says what is wrong and how to fix it.

    Examples
    --------
    >>> from rdkit import Chem
    >>> std = standardize("[O-]C(=O)CN(CC(=O)[O-])CC(=O)[O-].[Na+].[Na+].[Na+]")
    >>> Chem.MolToSmiles(std.mol)
    'O=C(O)CN(CC(=O)O)CC(=O)O'
    """
    return _standardize(mol, find_core=find_core)


#: Normal forms applied by :func:`standardize` after neutralization, in order, each until it no
#: longer matches (name, reaction SMARTS, text for ``changes``). Targeted rewrites, not a tautomer
#: search: one substructure test per ligand on the fast path. 2,3-dihydroxypyridine becomes
#: 3-hydroxy-2-pyridinone, a 3,2-HOPO, which keeps it an O,O donor.
NORMAL_FORM_RULES: tuple[tuple[str, str, str], ...] = (
    ("n_oxide_hydroxamic",
     "[OX1-:1]-[n+:2]:[c:3]-[OX2H1:4]>>[OH1+0:1]-[n+0:2]:[c:3]=[OH0+0:4]",
     "wrote a 2-hydroxy-aza-arene N-oxide as its N-hydroxy lactam (1-hydroxy-2-pyridinone form)"),
    ("lactim_lactam",
     "[OX2H1:1]-[c;r6:2]:[nX2+0;r6:3]>>[OH0+0:1]=[c:2]:[nH1+0:3]",
     "wrote aromatic lactim(s) C(OH)=N as lactam(s) C(=O)NH"),
)

#: intermediate forms explored per rule before the search follows one branch only
_NORMAL_FORM_MAX_STATES = 256

_NORMAL_FORM_ANY = Chem.MolFromSmarts(
    "[$([OX2H1]-[c;r6]:[nX2+0;r6]),$([OX2H1]-c:[n+]-[OX1-])]"
)


def _reaction(smarts: str) -> rdChemReactions.ChemicalReaction:
    rxn = rdChemReactions.ReactionFromSmarts(smarts)
    rxn.Initialize()
    return rxn


_NORMAL_FORM_REACTIONS = tuple((name, _reaction(sma), text)
                               for name, sma, text in NORMAL_FORM_RULES)


def _rule_products(mol: Chem.Mol, rxn: rdChemReactions.ChemicalReaction) -> dict[str, Chem.Mol]:
    """Every sanitizable product of one application of ``rxn`` to ``mol``, by canonical SMILES."""
    out = {}
    with rdBase.BlockLogs():
        for (prod,) in rxn.RunReactants((mol,)):
            try:
                Chem.SanitizeMol(prod)
            except Exception:  # noqa: BLE001 - no valid Kekulé form: not a product
                continue
            out.setdefault(Chem.MolToSmiles(prod), prod)
    return out


def _apply_normal_forms(mol: Chem.Mol) -> tuple[Chem.Mol, list[str]]:
    """``mol`` with the :data:`NORMAL_FORM_RULES` applied (``mol`` itself when none matched) and
    the ``changes`` texts.

    Each rule is applied until it no longer matches; where the matches compete (xanthosine: the
    2-lactim can take either ring N, and taking N1 leaves the 6-lactim without one) the result is
    the one with the most rewrites, then the smallest canonical SMILES, so the normal form does
    not depend on the order in which the input lists its atoms.
    """
    if not mol.HasSubstructMatch(_NORMAL_FORM_ANY):
        return mol, []
    done = []
    for _name, rxn, text in _NORMAL_FORM_REACTIONS:
        best: tuple[int, str, Chem.Mol] | None = None
        seen: set[str] = set()
        todo = [(0, mol)]
        while todo:
            depth, cur = todo.pop()
            prods = _rule_products(cur, rxn)
            if not prods:
                key = (-depth, Chem.MolToSmiles(cur))
                if best is None or key < best[:2]:
                    best = (*key, cur)
            for smi, prod in sorted(prods.items()):
                if smi not in seen:
                    seen.add(smi)
                    todo.append((depth + 1, prod))
                    if len(seen) > _NORMAL_FORM_MAX_STATES:
                        break  # many competing matches: follow one branch to its end
        n = -best[0]
        if n:
            mol = best[2]
            done.append(f"{text} ({n}x)" if n > 1 else text)
    return mol, done


def _standardize(mol: Chem.Mol | str, *, find_core: bool = True,
                 _owned: bool = False) -> Standardized:
    """:func:`standardize`; ``_owned``: ``mol`` was made for this call (parsed from text by the
    caller) and may be changed in place, which saves a copy."""
    if isinstance(mol, str):
        text = mol
        _owned = True
        mol = Chem.MolFromSmiles(text, sanitize=False)
        if mol is None:
            raise InvalidStructureError(
                f"could not parse SMILES {text!r}; check brackets, ring-closure digits and "
                "element symbols"
            )
    if mol is None:
        raise InvalidStructureError("no molecule (None); pass an RDKit Mol or a SMILES string")
    if mol.GetNumAtoms() == 0:
        raise InvalidStructureError("empty molecule; give a SMILES with at least one atom")
    if mol.GetNumHeavyAtoms() == 0:
        raise InvalidStructureError(
            "no heavy atoms (only hydrogen); give the ligand's full structure"
        )
    unusual = _has(mol, _Q_UNUSUAL)  # False: plain neutral organic molecule, fast path
    if unusual:
        _check_elements(mol)

    changes: list[str] = []
    warnings: list[str] = []
    # a plain Mol copy on the fast path; an editable RWMol only when bonds/atoms are removed
    metal_info: dict[int, tuple[int, bool]] = {}
    if unusual and _has(mol, _Q_METAL):
        rw = Chem.RWMol(mol)
        metal_info = _disconnect_metals(rw)
    else:
        rw = mol if _owned else Chem.Mol(mol)
    _sanitize(rw)

    # --- fragments: metals, then the largest organic fragment -----------------------------
    frags = Chem.GetMolFrags(rw, asMols=False, sanitizeFrags=False)
    bound: list[str] = []
    counter_metals: list[str] = []
    candidates = []
    if len(frags) == 1 and not metal_info:
        frags_to_scan: tuple = ()
        has_c = _has(rw, _Q_CARBON)
        candidates.append((has_c, True, rw.GetNumHeavyAtoms(), rw.GetNumAtoms(), 0, frags[0]))
    else:
        frags_to_scan = frags
    for k, idxs in enumerate(frags_to_scan):
        if len(idxs) == 1 and idxs[0] in metal_info:
            atom = rw.GetAtomWithIdx(idxs[0])
            charge, dative = metal_info[idxs[0]]
            ion = ion_symbol(atom.GetSymbol(), charge)
            if atom.GetAtomicNum() in ALKALI_ELEMENTS and not dative:
                counter_metals.append(ion)
            else:
                bound.append(ion)
            continue
        n_heavy = sum(1 for i in idxs if rw.GetAtomWithIdx(i).GetAtomicNum() > 1)
        has_c = any(rw.GetAtomWithIdx(i).GetAtomicNum() == 6 for i in idxs)
        candidates.append((has_c, True, n_heavy, len(idxs), -k, idxs))
    if len(candidates) > 1:  # several non-metal fragments: known counter-ions/solvents lose
        for j, cand in enumerate(candidates):
            if cand[2] <= _COUNTERION_MAX_HEAVY_ATOMS:
                frag_smiles = Chem.MolFragmentToSmiles(rw, atomsToUse=list(cand[5]))
                if _is_known_counterion(frag_smiles):
                    candidates[j] = (cand[0], False, *cand[2:])
    if not any(c[0] for c in candidates):
        found = [ion_symbol(rw.GetAtomWithIdx(i).GetSymbol(), metal_info[i][0]) for i in metal_info]
        found += [Chem.MolFragmentToSmiles(rw, atomsToUse=list(c[5])) for c in candidates]
        raise InvalidStructureError(
            f"no organic (carbon-containing) ligand found, only {', '.join(_counted(found))}; "
            "give the ligand's structure, not only ions or inorganic species"
        )
    # organic first, then not a known counter-ion/solvent, then the most heavy atoms
    candidates.sort(reverse=True)
    keep = candidates[0][5]
    if bound:
        changes.append(f"split off metal(s) {', '.join(bound)}")
    if counter_metals:
        changes.append(f"removed counter-ion(s) {', '.join(_counted(counter_metals))}")
    if len(candidates) > 1:
        removed = []
        for _, _, n_heavy, _, _, idxs in candidates[1:]:
            removed.append(Chem.MolFragmentToSmiles(rw, atomsToUse=list(idxs)))
            if n_heavy > LARGE_FRAGMENT_HEAVY_ATOMS:
                warnings.append(
                    f"the input holds several sizeable molecules; kept the largest, removed "
                    f"{removed[-1]} ({n_heavy} heavy atoms) - give one molecule per row"
                )
        changes.append(f"removed fragment(s) {', '.join(_counted(removed))}")
    if len(frags) > 1:
        keep_set = set(keep)
        rw = Chem.RWMol(rw)
        rw.BeginBatchEdit()
        for atom in rw.GetAtoms():
            if atom.GetIdx() not in keep_set:
                rw.RemoveAtom(atom.GetIdx())
        rw.CommitBatchEdit()
        _sanitize(rw)

    n_heavy = rw.GetNumHeavyAtoms()
    if n_heavy > MAX_HEAVY_ATOMS:
        raise InvalidStructureError(
            f"the ligand has {n_heavy} heavy atoms, more than the {MAX_HEAVY_ATOMS} chelscreen "
            "handles; give the chelator (or its conjugate without the large biomolecule)"
        )

    if unusual:
        if _has(rw, _Q_HYDROGEN):
            rw = Chem.RemoveHs(rw, sanitize=False)
            changes.append("removed explicit hydrogens")
            # the heavy atoms' cached hydrogen counts still exclude the removed H atoms:
            # descriptors computed on this Mol (logP, HBD …) would be those of another molecule
            _sanitize(rw)
        n_neut = _neutralize(rw)
        if n_neut:
            changes.append(f"neutralized {n_neut} charged atom(s) to the acid form")
            _sanitize(rw)
        net = Chem.GetFormalCharge(rw)
        if net != 0:
            changes.append(
                f"kept a net charge of {net:+d} (cannot be neutralized by (de)protonation)"
            )
    out = rw.GetMol() if isinstance(rw, Chem.RWMol) else rw
    out, normal = _apply_normal_forms(out)
    changes += normal
    Chem.AssignStereochemistry(out, cleanIt=True, force=True)

    core, info = out, {}
    if find_core:
        core, info, problem = _find_core(out)
        if problem:
            warnings.append(problem)
    return Standardized(
        mol=out, core=core, metals=bound, changes=changes, warnings=warnings, core_info=info
    )


def _counted(items: list[str]) -> list[str]:
    """``['Na+', 'Na+', 'Cl-']`` → ``['Na+ x2', 'Cl-']`` (first-seen order)."""
    counts: dict[str, int] = {}
    for it in items:
        counts[it] = counts.get(it, 0) + 1
    return [k if n == 1 else f"{k} x{n}" for k, n in counts.items()]
