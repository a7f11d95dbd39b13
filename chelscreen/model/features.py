"""Features of the stability model: ligand structure, metal ion, their interactions.

Everything here is computable for a *new* ligand from its structure alone (no measured
protonation constants are needed), so a user can screen molecules that were never measured.

* :func:`standardize_mol` — the canonical key of a ligand: the project's one standardizer
  (:func:`chelscreen.chem.standardize.standardize`) written without stereo. Used both when
  building the training table and at prediction time, so ``logK_exp`` look-ups match.
* :func:`skeleton_key` — InChIKey first block of the neutral metal-free ligand: the grouping key
  of every validation split (stereoisomers and duplicate database entries share it).
* :func:`ligand_feature_frame` — 2D ligand features: typed donor counts from SMARTS, chelate-ring
  counts between donor atoms, macrocycle size / donor count, charge after full deprotonation,
  RDKit descriptors and a hashed Morgan count fingerprint.
* :func:`pair_features` — ligand features + ion descriptors + physically motivated interactions
  (cavity vs ionic radius, hard-donor count × metal z²/r, charge products, donors vs the metal's
  preferred CN, Davies ionic-strength term) + the metal chemistry fingerprint
  (:func:`metal_reference_table`: each metal's measured log K1 with small reference ligands,
  learned from the training rows) and its interactions with the ligand's donor counts.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

N_MORGAN = 256
#: the names of the Morgan count features, ``mc_0`` … ``mc_255``
MORGAN_COLUMNS = tuple(f"mc_{i}" for i in range(N_MORGAN))

#: donor SMARTS (neutral-acid form). Each match counts once (first atom of the match is the donor).
#:
#: Why the model keeps its own donor perception beside :func:`chelscreen.chem.donors.analyse`
#: (whose chelating-unit counts are added as ``cu_*`` features): the two differ on purpose.
#: These SMARTS count *every* donor group of each type (amide O, ketone O, sulfonate O, oxime N,
#: thione S … that ``analyse`` leaves out or folds together), and the interaction terms of
#: :func:`pair_features` are built on them. Measured in 3-fold ligand-grouped CV on the training
#: table (2026-11-27): with both perceptions MAE 1.143; dropping these typed counts and keeping
#: only the ``cu_*`` features, MAE 1.165 — so both are kept.
DONOR_SMARTS: dict[str, str] = {
    "carboxylate_O": "[CX3](=O)[OX2H1,OX1-]",
    "phosphonate_O": "[PX4](=O)([OX2H1,OX1-])[OX2H1,OX1-]",
    "phosphinate_O": "[PX4;!$(P([OX2H1,OX1-])([OX2H1,OX1-]))](=O)[OX2H1,OX1-]",
    # hydroxamate, HOPO and catechol groups are taken from chelscreen.chem.donors (one
    # perception of these O,O units; see _GROUP_TYPES); the SMARTS here are not searched
    "hydroxamate_O": "[CX3](=O)[NX3][OX2H1,OX1-]",
    "hopo_O": "[OX1]=[#6;r6]~[#6,#7;r6]-[OX2H1,OX1-]",
    "catechol_O": "c([OX2H1,OX1-])c[OX2H1,OX1-]",
    "phenolate_O": "c[OX2H1,OX1-]",
    "sulfonate_O": "[SX4](=O)(=O)[OX2H1,OX1-]",
    "alcohol_O": "[CX4][OX2H1]",
    "ether_O": "[OX2H0;!$(O-C=O);!$(O-[P,S])]([#6])[#6]",
    "amide_O": "[CX3](=O)[NX3;!$(N[OH])]",
    "ketone_O": "[#6][CX3](=O)[#6]",
    "amine_N": "[NX3;H0,H1,H2;!$(N-C=[O,S,N]);!$(N-[S,P]=O);!$(N-a);!$(N-O)]",
    "aniline_N": "[NX3;!$(N-C=[O,S]);$(N-a)]",
    "pyridine_N": "[nX2;r6]",
    "azole_N": "[nX2;r5]",
    "imine_N": "[NX2;$(N=C);!$(N-O)]",
    "oxime_N": "[NX2](=C)[OX2H1]",
    "thiol_S": "[SX2H1,SX1-]",
    "thioether_S": "[SX2H0]([#6])[#6]",
    "thione_S": "[SX1]=[#6]",
    "phosphine_P": "[PX3]",
}

#: which atom of each SMARTS match is the donor atom (default 0)
DONOR_ATOM_INDEX: dict[str, int] = {
    "carboxylate_O": 1, "phosphonate_O": 1, "phosphinate_O": 1, "hydroxamate_O": 1,
    "catechol_O": 1, "phenolate_O": 1, "sulfonate_O": 1, "alcohol_O": 1, "amide_O": 1,
    "ketone_O": 2,
}

#: acidic groups (count of protons lost at full deprotonation)
ACID_SMARTS: dict[str, tuple[str, int]] = {
    "cooh": ("[CX3](=O)[OX2H1]", 1),
    "po3h2": ("[PX4](=O)([OX2H1])[OX2H1]", 2),
    "po2h": ("[PX4;!$(P([OX2H1])[OX2H1])](=O)[OX2H1]", 1),
    "so3h": ("[SX4](=O)(=O)[OX2H1]", 1),
    "phenol": ("c[OX2H1]", 1),
    # aliphatic or ring (1,2-HOPO's aromatic N-OH, the standardizer's form of its N-oxide drawing)
    "hydroxamic": ("[#6X3](=O)[#7X3][OX2H1]", 1),
    "thiol": ("[SX2H1]", 1),
    "oxime": ("[NX2](=C)[OX2H1]", 0),
}

HARD_O = ["carboxylate_O", "phosphonate_O", "phosphinate_O", "hydroxamate_O", "hopo_O",
          "catechol_O", "phenolate_O"]
NEUTRAL_O = ["alcohol_O", "ether_O", "amide_O", "ketone_O", "sulfonate_O"]
N_DONORS = ["amine_N", "aniline_N", "pyridine_N", "azole_N", "imine_N", "oxime_N"]
S_DONORS = ["thiol_S", "thioether_S", "thione_S"]


@lru_cache(maxsize=1)
def _patterns() -> tuple[dict, dict]:
    from rdkit import Chem

    donors = {k: Chem.MolFromSmarts(v) for k, v in DONOR_SMARTS.items()}
    acids = {k: (Chem.MolFromSmarts(v), n) for k, (v, n) in ACID_SMARTS.items()}
    for k, p in list(donors.items()) + [(k, p) for k, (p, _) in acids.items()]:
        if p is None:  # pragma: no cover - programming error
            raise RuntimeError(f"bad SMARTS for {k}")
    return donors, acids


def full_deprotonation_charge(smiles: str) -> int:
    """Charge (absolute value) of the fully deprotonated ligand, counted with
    :data:`ACID_SMARTS` as in :func:`ligand_features` (``charge_full_deprot``); 0 when the
    SMILES cannot be read."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(str(smiles))
    if mol is None:
        return 0
    _, acids = _patterns()
    return int(sum(n * len(mol.GetSubstructMatches(patt)) for patt, n in acids.values()))


def standardize_mol(mol) -> str:
    """Canonical ligand key: :func:`chelscreen.chem.standardize.standardize` (the project's one
    standardizer: metals and counter-ions split off, largest organic fragment, neutral acid form),
    written as canonical SMILES without stereochemistry.

    Parameters
    ----------
    mol : rdkit.Chem.Mol

    Returns
    -------
    str
        Canonical SMILES without stereochemistry.

    Raises
    ------
    ValueError
        When the structure cannot be standardized (the message says why).
    """
    from rdkit import Chem

    from chelscreen.chem.standardize import standardize
    from chelscreen.errors import InvalidStructureError

    try:
        std = standardize(mol, find_core=False)
    except InvalidStructureError as exc:
        raise ValueError(str(exc)) from exc
    out = Chem.Mol(std.mol)
    Chem.RemoveStereochemistry(out)
    smi = Chem.MolToSmiles(out, isomericSmiles=False)
    if not smi:
        raise ValueError("empty molecule after standardization")
    return smi


@lru_cache(maxsize=65536)
def standardize_smiles(smiles: str) -> str | None:
    """:func:`standardize_mol` on a SMILES string; None when RDKit cannot parse it.

    Memoized (a pure function of the string): a screen asks for the same ligand once per metal.
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(str(smiles), sanitize=False) if smiles is not None else None
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    try:
        return standardize_mol(mol)
    except Exception:  # noqa: BLE001 - RDKit raises many types
        return None


#: model donor type -> chelscreen.chem.donors type for the bidentate O,O groups, which are
#: counted once per group from that module's perception (HOPO needs a ring N or O, catechol a
#: six-membered aromatic ring without exocyclic C=O, so oxocarbon acids are neither)
_GROUP_TYPES = {"hydroxamate_O": "hydroxamate_O", "hopo_O": "hopo_O",
                "catechol_O": "catecholate_O"}


@lru_cache(maxsize=65536)
def skeleton_key(smiles: str) -> str:
    """Structure-skeleton key of a ligand: the first InChIKey block (connectivity, no stereo,
    no protonation layer) of its standardized neutral metal-free form; ``""`` when unparsable.

    Validation folds are grouped by this key, so stereoisomers, tautomer-free duplicates and
    salts of one ligand never sit on both sides of a split.
    """
    from rdkit import Chem

    from chelscreen.chem.standardize import inchikey_block1

    key = standardize_smiles(smiles)
    if not key:
        return ""
    mol = Chem.MolFromSmiles(key)
    if mol is None:
        return ""
    # an InChI failure falls back to the canonical SMILES
    return inchikey_block1(mol) or key


def _donor_atoms(mol, donors: dict) -> dict[str, set[int]]:
    from chelscreen.chem.donors import analyse

    out: dict[str, set[int]] = {}
    used: set[int] = set()
    groups: dict[str, dict[int, tuple]] = {k: {} for k in _GROUP_TYPES}
    back = {v: k for k, v in _GROUP_TYPES.items()}
    for d in analyse(mol).all_donors:
        if d.donor_type in back:
            groups[back[d.donor_type]].setdefault(d.group_id, d.group_atoms)
    # order matters: specific types first claim their atoms
    for name, patt in donors.items():
        if name in groups:
            # one atom per group (the lowest-index O of the group)
            atoms = set()
            for gatoms in groups[name].values():
                o = [a for a in gatoms if mol.GetAtomWithIdx(a).GetAtomicNum() == 8]
                atoms.add(min(o))
                used.update(gatoms)
            out[name] = atoms
            continue
        atoms = set()
        for match in mol.GetSubstructMatches(patt):
            idx = match[DONOR_ATOM_INDEX.get(name, 0)]
            if idx in used:
                continue
            atoms.add(idx)
        used |= atoms
        out[name] = atoms
    return out


def ligand_features(mol, smiles: str | None = None) -> dict[str, float]:
    """2D features of one standardized ligand (see module docstring); ``smiles``: the SMILES
    ``mol`` was read from, when known (its ``cu_*`` features are then shared with the other
    callers of :func:`chelscreen.chem.descriptors.ligand_features` through a per-SMILES cache)."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors, rdMolDescriptors

    donors, acids = _patterns()
    feats: dict[str, float] = {}
    datoms = _donor_atoms(mol, donors)
    for name, atoms in datoms.items():
        feats[f"n_{name}"] = float(len(atoms))
    # group counts (carboxylate group counted once via its C=O oxygen above)
    all_donor = sorted(set().union(*datoms.values()))
    feats["n_donors"] = float(len(all_donor))
    feats["n_hard_O"] = float(sum(len(datoms[k]) for k in HARD_O))
    feats["n_neutral_O"] = float(sum(len(datoms[k]) for k in NEUTRAL_O))
    feats["n_N"] = float(sum(len(datoms[k]) for k in N_DONORS))
    feats["n_S"] = float(sum(len(datoms[k]) for k in S_DONORS))
    charge = 0
    for _k, (patt, n) in acids.items():
        charge += n * len(mol.GetSubstructMatches(patt))
    feats["charge_full_deprot"] = float(charge)
    # chelate rings between donor atoms: topological distance 3 → 5-ring, 4 → 6-ring
    if len(all_donor) > 1:
        dm = Chem.GetDistanceMatrix(mol)
        sub = dm[np.ix_(all_donor, all_donor)]
        iu = np.triu_indices(len(all_donor), 1)
        d = sub[iu]
        feats["n_chelate5"] = float((d == 3).sum())
        feats["n_chelate6"] = float((d == 4).sum())
        feats["n_chelate4"] = float((d == 2).sum())
        feats["n_chelate7"] = float((d == 5).sum())
        # donors that take part in at least one 5- or 6-ring
        part = ((sub == 3) | (sub == 4)).any(axis=1)
        feats["n_chelating_donors"] = float(part.sum())
    else:
        for k in ("n_chelate5", "n_chelate6", "n_chelate4", "n_chelate7", "n_chelating_donors"):
            feats[k] = 0.0
    # macrocycle perception (rings ≥ 9 atoms)
    ri = mol.GetRingInfo()
    rings = [r for r in ri.AtomRings()]
    big = [r for r in rings if len(r) >= 9]
    if not big:
        # SSSR can miss macrocycles in cryptands: fall back to the atom ring sizes
        sizes = [ri.MinAtomRingSize(a.GetIdx()) for a in mol.GetAtoms() if ri.NumAtomRings(a.GetIdx())]
        big_size = max([s for s in sizes if s >= 9], default=0)
        feats["macrocycle_size"] = float(big_size)
        feats["macrocycle_donors"] = 0.0
    else:
        ring = max(big, key=len)
        feats["macrocycle_size"] = float(len(ring))
        feats["macrocycle_donors"] = float(len(set(ring) & set(all_donor)))
    feats["n_macrocycles"] = float(len(big))
    # cavity radius estimate (pm): ring perimeter / 2π with 1.45 Å bonds, minus donor vdW 140 pm
    feats["cavity_radius_pm"] = (
        feats["macrocycle_size"] * 145.0 / (2 * np.pi) - 140.0 if feats["macrocycle_size"] else 0.0
    )
    feats["n_bridgehead_N"] = float(
        sum(1 for a in mol.GetAtoms() if a.GetSymbol() == "N" and ri.NumAtomRings(a.GetIdx()) >= 2
            and not a.GetIsAromatic())
    )
    # pendant arms: donors outside any ring
    feats["n_pendant_donors"] = float(sum(1 for i in all_donor if not ri.NumAtomRings(i)))
    feats["mw"] = Descriptors.MolWt(mol)
    feats["heavy_atoms"] = float(mol.GetNumHeavyAtoms())
    feats["tpsa"] = rdMolDescriptors.CalcTPSA(mol)
    feats["logp"] = Descriptors.MolLogP(mol)
    feats["n_rot_bonds"] = float(rdMolDescriptors.CalcNumRotatableBonds(mol))
    feats["hbd"] = float(rdMolDescriptors.CalcNumHBD(mol))
    feats["hba"] = float(rdMolDescriptors.CalcNumHBA(mol))
    feats["frac_csp3"] = rdMolDescriptors.CalcFractionCSP3(mol)
    feats["n_rings"] = float(rdMolDescriptors.CalcNumRings(mol))
    feats["n_arom_rings"] = float(rdMolDescriptors.CalcNumAromaticRings(mol))
    feats["formal_charge"] = float(Chem.GetFormalCharge(mol))
    feats["donor_density"] = feats["n_donors"] / max(feats["heavy_atoms"], 1.0)
    feats.update(project_chem_features(mol, smiles))
    gen = _morgan_gen()
    fp = gen.GetCountFingerprintAsNumPy(mol)
    # the counts as Python floats, named mc_0 … in one step (uint32 → float64 is exact)
    feats.update(zip(MORGAN_COLUMNS, fp[:N_MORGAN].astype(np.float64).tolist()))
    return feats


#: features taken from the project's chemistry modules (:func:`chelscreen.chem.descriptors.
#: ligand_features`, whose donor perception is :func:`chelscreen.chem.donors.analyse`), prefixed
#: ``cu_`` (chelating unit) in the model
PROJECT_CHEM_COLUMNS = [
    "n_donors", "charge_pH7_4", "cavity_radius_pm", "preorganization_code", "n_chelate_ring_5",
    "n_chelate_ring_6", "hard_donor_frac", "soft_donor_frac", "borderline_donor_frac",
    "donor_softness", "n_anionic_donor_groups", "n_donor_N", "n_donor_O", "n_donor_S",
    "n_amine_N_tertiary", "n_donors_in_ring", "macrocycle_ring_size",
]


def project_chem_features(mol, smiles: str | None = None) -> dict[str, float]:
    """Chelating-unit features from :mod:`chelscreen.chem` (``cu_*``; NaN when it fails).

    These complement the model's own donor SMARTS (see :data:`DONOR_SMARTS`): the project's
    perception gives the denticity one metal can use (peptide donors excluded), the charge at
    pH 7.4, preorganization class and a donor-element-aware cavity radius.
    """
    from chelscreen.chem.descriptors import ligand_features as _chem_features

    try:
        if smiles is not None:
            # the same function of the same molecule (``Chem.MolFromSmiles(smiles)``), memoized
            # by SMILES: a screen asks for it again for the structure and labeling terms
            from chelscreen.chem.descriptors import ligand_features_of_smiles

            cached = ligand_features_of_smiles(smiles)
            d = dict(cached) if cached is not None else _chem_features(mol)
        else:
            d = _chem_features(mol)
    except Exception as exc:  # noqa: BLE001 - unusual structures; features become NaN
        logger.debug("chem.descriptors failed (%s); cu_* features are NaN", exc)
        d = {}
    out = {}
    for k in PROJECT_CHEM_COLUMNS:
        v = d.get(k, np.nan)
        out[f"cu_{k}"] = float(v) if isinstance(v, (int, float, np.number)) else np.nan
    return out


@lru_cache(maxsize=1)
def _morgan_gen():
    from rdkit.Chem import rdFingerprintGenerator as rfg

    return rfg.GetMorganGenerator(radius=2, fpSize=N_MORGAN)


@lru_cache(maxsize=1)
def _fp_gen():
    from rdkit.Chem import rdFingerprintGenerator as rfg

    return rfg.GetMorganGenerator(radius=2, fpSize=2048)


def similarity_fp(mol):
    """Morgan radius-2 2048-bit fingerprint used for the applicability domain."""
    return _fp_gen().GetFingerprint(mol)


def ligand_feature_frame(smiles: list[str]) -> pd.DataFrame:
    """Ligand features for canonical SMILES (one row each, index = SMILES, duplicates computed once).

    Rows whose SMILES RDKit cannot parse are all-NaN.
    """
    from chelscreen.chem.descriptors import mol_of_smiles

    uniq = list(dict.fromkeys(smiles))
    rows = []
    for smi in uniq:
        mol = mol_of_smiles(smi)  # shared, read-only: its donor analysis and logP are reused
        rows.append(ligand_features(mol, smi) if mol is not None else {})
    df = pd.DataFrame(rows, index=pd.Index(uniq, name="smiles"))
    return df


# --------------------------------------------------------------------------------------------
# ions and pair features
# --------------------------------------------------------------------------------------------

ION_COLUMNS = ["charge", "atomic_number", "r_ionic_cn6_pm", "r_ionic_cn8_pm", "ie_last_eV",
               "ie_sum_eV", "hardness_eV", "en_pauling", "period", "group_id",
               "dipole_polarizability"]


#: ion features taken from :func:`chelscreen.metals.ion_features` (prefixed ``ion_``)
ION_EXTRA_COLUMNS = ["log_beta1_hydrolysis", "cn_preferred", "r_ionic_pm"]


def ion_feature_frame(ions: pd.DataFrame) -> pd.DataFrame:
    """Numeric ion features (index = canonical ion) from the model's ion table."""
    t = ions.set_index("metal")
    out = t[ION_COLUMNS].astype(float).copy()
    r = out["r_ionic_cn8_pm"].where(out["r_ionic_cn8_pm"].notna(), out["r_ionic_cn6_pm"])
    z = out["charge"]
    out["z_over_r"] = z / r * 100
    out["z2_over_r"] = z**2 / r * 100
    out["ie_over_r"] = out["ie_last_eV"] / r * 100
    for b in ("s", "p", "d", "f"):
        out[f"block_{b}"] = (t["block"].astype(str) == b).astype(float)
    # preferred coordination number from radius (≈ 4 small ... ≥ 9 large ions)
    out["cn_pref"] = np.clip(np.round((r - 40.0) / 12.0 + 4.0), 4, 10)
    # hydrolysis constant and tabulated preferred CN from the project's metal table
    extra = {k: [] for k in ION_EXTRA_COLUMNS}
    for ion in out.index:
        try:
            from chelscreen.metals import ion_features

            f = ion_features(str(ion))
        except Exception:  # noqa: BLE001 - ion not in chelscreen.metals: NaN, never invented
            f = {}
        for k in ION_EXTRA_COLUMNS:
            extra[k].append(float(f.get(k, np.nan)))
    for k, v in extra.items():
        out[f"ion_{k}"] = v
    return out


#: small reference ligands with the widest metal coverage in the training table; a metal's
#: measured log K1 with them (from the training rows only) is its learned "chemistry fingerprint"
REFERENCE_LIGANDS: dict[str, str] = {
    "edta": "O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CC(=O)O",
    "acetate": "CC(=O)O",
    "nta": "O=C(O)CN(CC(=O)O)CC(=O)O",
    "oxalate": "O=C(O)C(=O)O",
    "ida": "O=C(O)CNCC(=O)O",
    "glycine": "NCC(=O)O",
    "citrate": "O=C(O)CC(O)(CC(=O)O)C(=O)O",
    "malonate": "O=C(O)CC(=O)O",
}


def metal_reference_table(smiles: np.ndarray, metal: np.ndarray, y: np.ndarray) -> dict:
    """Median measured log K1 of each metal with each :data:`REFERENCE_LIGANDS` entry.

    Parameters
    ----------
    smiles, metal, y : arrays
        Standardized ligand SMILES, canonical metal ion and log K1 of the training rows.

    Returns
    -------
    dict
        ``{metal: {reference_name: logK}}`` (JSON-serializable; absent pairs are left out).
    """
    key = {standardize_smiles(v): k for k, v in REFERENCE_LIGANDS.items()}
    df = pd.DataFrame({"smiles": np.asarray(smiles, dtype=object),
                       "metal": np.asarray(metal, dtype=object), "y": np.asarray(y, float)})
    df = df[df["smiles"].isin(list(key))]
    out: dict[str, dict[str, float]] = {}
    for (m, s), v in df.groupby(["metal", "smiles"])["y"].median().items():
        out.setdefault(str(m), {})[key[s]] = float(v)
    return out


#: ion descriptors that predict a missing reference constant (Hancock-style: affinity for hard
#: donors follows charge density and hydrolysis, for N donors electronegativity and IE)
REFERENCE_IMPUTE_IONS = ["charge", "z2_over_r", "en_pauling", "ie_last_eV", "hardness_eV",
                         "ion_log_beta1_hydrolysis"]
#: key of the measured-reference count in an imputed table
N_MEASURED = "n_measured"


def impute_metal_reference(table: dict, ion_frame: pd.DataFrame, min_metals: int = 8) -> dict:
    """Complete a :func:`metal_reference_table` for every ion of ``ion_frame``.

    A metal's missing reference constant (e.g. log K(EDTA) of Ga³⁺ or Ac³⁺, or of every metal
    when EDTA itself is held out in a cross-validation fold) is estimated by a ridge
    regression across the metals that have it, on the metal's *other* reference constants
    and its ion descriptors (:data:`REFERENCE_IMPUTE_IONS`) -- a linear free-energy relation
    between reference ligands (Hancock & Martell). Iterated three times so imputed columns
    help each other. Only training rows enter ``table``, so nothing leaks. Each metal also
    gets ``n_measured`` (how many references were measured, not imputed); a reference with
    fewer than ``min_metals`` measured metals is not imputed.
    """
    refs = list(REFERENCE_LIGANDS)
    piv = pd.DataFrame.from_dict(table, orient="index").reindex(
        index=list(ion_frame.index), columns=refs).astype(float)
    measured = piv.notna()
    ion = ion_frame.reindex(columns=REFERENCE_IMPUTE_IONS).astype(float)
    ion = (ion - ion.mean()) / ion.std().replace(0, 1.0)
    ion = ion.fillna(0.0)
    cur = piv.copy()
    for _ in range(3):
        nxt = cur.copy()
        for c in refs:
            have = measured[c].to_numpy()
            if have.sum() < min_metals:
                continue
            others = [o for o in refs if o != c and measured[o].sum() >= min_metals]
            F = pd.concat([ion, cur[others]], axis=1)
            F = F.fillna(F.mean()).fillna(0.0).to_numpy(float)
            mu, sd = F[have].mean(axis=0), F[have].std(axis=0)
            sd[sd == 0] = 1.0
            Z = (F - mu) / sd
            yv = piv[c].to_numpy(float)[have]
            ym = yv.mean()
            A = Z[have]
            coef = np.linalg.solve(A.T @ A + 3.0 * np.eye(A.shape[1]), A.T @ (yv - ym))
            est = Z @ coef + ym
            nxt[c] = np.where(have, piv[c].to_numpy(float), est)
        cur = nxt
    out: dict[str, dict[str, float]] = {}
    for m in cur.index:
        row = {c: float(v) for c, v in cur.loc[m].items() if np.isfinite(v)}
        row[N_MEASURED] = float(measured.loc[m].sum())
        out[str(m)] = row
    return out


def metal_reference_frame(table: dict, metal: np.ndarray) -> pd.DataFrame:
    """Row-aligned metal-fingerprint features from a :func:`metal_reference_table`.

    Columns: ``mref_edta`` (log K1 with EDTA), ``mref_affinity`` (mean z-score over the
    reference ligands measured for that metal, z relative to all metals in the table) and
    ``mref_n`` (how many references were measured); NaN when unknown.
    """
    refs = list(REFERENCE_LIGANDS)
    raw = pd.DataFrame.from_dict(table, orient="index")
    piv = raw.reindex(columns=refs).astype(float)
    if len(piv):
        z = (piv - piv.mean()) / piv.std()
        piv["affinity"] = z.mean(axis=1)
        piv["n"] = (raw[N_MEASURED].astype(float) if N_MEASURED in raw
                    else piv[refs].notna().sum(axis=1).astype(float))
    else:
        piv["affinity"] = pd.Series(dtype=float)
        piv["n"] = pd.Series(dtype=float)
    piv = piv.reindex(np.asarray(metal, dtype=object))
    return pd.DataFrame({
        "mref_edta": piv["edta"].to_numpy(float),
        "mref_acetate": piv["acetate"].to_numpy(float),
        "mref_glycine": piv["glycine"].to_numpy(float),
        "mref_affinity": piv["affinity"].to_numpy(float),
        "mref_n": piv["n"].fillna(0.0).to_numpy(float),
    })


#: donor-type × ion interaction terms of :func:`pair_features` ``extra``
EXTRA_INTERACTIONS = [
    "carbox_x_z2r", "phenolate_x_z2r", "amine_x_hard", "amine_x_en", "pyr_x_en", "soft_x_pol",
    "anionic_x_z", "donors_x_z", "chelates_x_z", "hardfrac_x_z2r", "softfrac_x_en",
]


def pair_features(
    lig: pd.DataFrame, ion: pd.DataFrame, ionic_strength: np.ndarray,
    mref: pd.DataFrame | None = None, *, saturate: bool = False, extra: bool = False,
) -> pd.DataFrame:
    """Combine row-aligned ligand and ion feature frames and add interaction terms.

    Parameters
    ----------
    lig, ion : DataFrame
        Row-aligned (same length) ligand and ion features.
    ionic_strength : array
        mol/L, NaN where unknown (NaN is kept; a Davies term uses 0.1 M then).
    mref : DataFrame, optional
        Row-aligned :func:`metal_reference_frame`; adds the metal fingerprint and its
        interactions with the ligand's donor counts (omitted when None).
    saturate : bool
        Count at most the ion's preferred coordination number (``cn_pref``) of donors in the
        metal-affinity products (``mref_aff_x_donors``, ``mref_edta_x_carbox_amine``) and
        scale the ligand's total basicity in the linear-free-energy terms by
        ``min(1, cn_pref / n_donors)``: an ion cannot bind more donors than it has sites, so a
        decadentate ligand must not gain affinity × 10 donors, or the basicity of all ten,
        with a six- or seven-coordinate ion (Ga³⁺ was predicted up to 11 units above the
        measured value for octa-/decadentate ligands).
    extra : bool
        Add :data:`EXTRA_INTERACTIONS`: each donor type × the ion property that sets its
        bond strength (anionic O × charge density, amine N × hardness and electronegativity,
        soft S/P × polarizability, anionic groups and chelate rings × charge).
    """
    lig = lig.reset_index(drop=True)
    ion = ion.reset_index(drop=True)
    # the added columns are collected first and joined once (a pandas column insert each
    # cost ~0.3 ms: ~40 per call)
    X: dict[str, np.ndarray] = {}
    z = ion["charge"].to_numpy(float)
    r = ion["r_ionic_cn8_pm"].fillna(ion["r_ionic_cn6_pm"]).to_numpy(float)
    zl = lig["charge_full_deprot"].to_numpy(float)
    ionic = np.asarray(ionic_strength, dtype=float)
    I_eff = np.where(np.isfinite(ionic), ionic, 0.1)
    sq = np.sqrt(I_eff)
    X["ionic_strength_M"] = ionic
    X["davies"] = 0.51 * 2 * z * zl * (sq / (1 + sq) - 0.3 * I_eff)
    X["charge_product"] = z * zl
    X["charge_min"] = np.minimum(z, zl)
    z2r = ion["z2_over_r"].to_numpy(float)
    X["hardO_x_z2r"] = lig["n_hard_O"].to_numpy(float) * z2r
    X["N_x_en"] = lig["n_N"].to_numpy(float) * ion["en_pauling"].to_numpy(float)
    X["N_x_ie"] = lig["n_N"].to_numpy(float) * ion["ie_last_eV"].to_numpy(float)
    X["S_x_en"] = lig["n_S"].to_numpy(float) * ion["en_pauling"].to_numpy(float)
    X["hardO_x_hard"] = lig["n_hard_O"].to_numpy(float) * ion["hardness_eV"].to_numpy(float)
    X["neutralO_x_z2r"] = lig["n_neutral_O"].to_numpy(float) * z2r
    cav = lig["cavity_radius_pm"].to_numpy(float)
    X["cavity_minus_r"] = np.where(cav > 0, cav - r, np.nan)
    X["abs_cavity_minus_r"] = np.abs(X["cavity_minus_r"])
    nd = lig["n_donors"].to_numpy(float)
    X["donors_minus_cn"] = nd - ion["cn_pref"].to_numpy(float)
    X["eff_donors"] = np.minimum(nd, ion["cn_pref"].to_numpy(float))
    X["chel5_x_z2r"] = lig["n_chelate5"].to_numpy(float) * z2r
    X["chel6_x_z2r"] = lig["n_chelate6"].to_numpy(float) * z2r
    X["chel5_x_r"] = lig["n_chelate5"].to_numpy(float) / r * 100
    X["eff_donors_x_z2r"] = X["eff_donors"] * z2r
    X["eff_donors_x_ie"] = X["eff_donors"] * ion["ie_last_eV"].to_numpy(float)
    X["macro_x_r"] = lig["macrocycle_donors"].to_numpy(float) * r / 100
    X["phos_x_z"] = (lig["n_phosphonate_O"] + lig["n_phosphinate_O"]).to_numpy(float) * z
    X["hydrox_x_z2r"] = (lig["n_hydroxamate_O"] + lig["n_hopo_O"] + lig["n_catechol_O"]
                         ).to_numpy(float) * z2r
    X["pyr_x_ie"] = lig["n_pyridine_N"].to_numpy(float) * ion["ie_last_eV"].to_numpy(float)
    if extra:
        hard = ion["hardness_eV"].to_numpy(float)
        en = ion["en_pauling"].to_numpy(float)
        pol = ion["dipole_polarizability"].to_numpy(float)
        f = {c: lig[c].to_numpy(float) for c in lig.columns}
        X["carbox_x_z2r"] = f["n_carboxylate_O"] * z2r
        X["phenolate_x_z2r"] = f["n_phenolate_O"] * z2r
        X["amine_x_hard"] = f["n_amine_N"] * hard
        X["amine_x_en"] = f["n_amine_N"] * en
        X["pyr_x_en"] = f["n_pyridine_N"] * en
        X["soft_x_pol"] = (f["n_S"] + f["n_phosphine_P"]) * pol / 100.0
        X["anionic_x_z"] = f["cu_n_anionic_donor_groups"] * z
        X["donors_x_z"] = nd * z
        X["chelates_x_z"] = (f["n_chelate5"] + f["n_chelate6"]) * z
        X["hardfrac_x_z2r"] = f["cu_hard_donor_frac"] * z2r
        X["softfrac_x_en"] = f["cu_soft_donor_frac"] * en
    if "pred_logKH_sum" in lig:
        # linear-free-energy terms: log K_ML grows with the ligand's total basicity, with a
        # slope set by the metal's charge density and measured affinity
        bas = lig["pred_logKH_sum"].to_numpy(float)
        if saturate:
            # only the donors the ion can bind: basicity × min(1, cn_pref / n_donors)
            cn = ion["cn_pref"].to_numpy(float)
            bas = bas * np.clip(cn / np.maximum(nd, 1.0), None, 1.0)
        X["basicity_x_z2r"] = bas * z2r / 10.0
        X["basicity_x_z"] = bas * z
    if mref is not None:
        mref = mref.reset_index(drop=True)
        nd_an = (lig["n_carboxylate_O"] + lig["n_amine_N"]).to_numpy(float)
        nd_aff = nd
        if saturate:
            cn = ion["cn_pref"].to_numpy(float)
            nd_an, nd_aff = np.minimum(nd_an, cn), np.minimum(nd, cn)
        aff = mref["mref_affinity"].to_numpy(float)
        X["mref_edta"] = mref["mref_edta"].to_numpy(float)
        X["mref_affinity"] = aff
        X["mref_n"] = mref["mref_n"].to_numpy(float)
        X["mref_edta_x_carbox_amine"] = X["mref_edta"] * nd_an / 6.0
        X["mref_aff_x_donors"] = aff * nd_aff
        X["mref_aff_x_charge"] = aff * zl
        X["mref_acetate_x_hardO"] = (mref["mref_acetate"].to_numpy(float)
                                     * lig["n_hard_O"].to_numpy(float))
        X["mref_glycine_x_N"] = mref["mref_glycine"].to_numpy(float) * lig["n_N"].to_numpy(float)
        if "pred_logKH_sum" in lig:
            X["basicity_x_aff"] = bas * aff
            X["basicity_x_edta"] = bas * X["mref_edta"] / 40.0
    base = pd.concat([lig, ion], axis=1)
    for c in [c for c in X if c in base.columns]:  # a name already there is replaced in place
        base[c] = X.pop(c)
    return pd.concat([base, pd.DataFrame(X)], axis=1) if X else base
