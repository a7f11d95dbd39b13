"""Radiolabeling feasibility and suggested conditions: published precedent first, a model second.

The curated table ``molecules/labeling.csv`` holds published radiolabeling results (chelating
core, radionuclide, temperature, time, pH, ligand amount, yield, DOI with a verbatim quote). For a
chelator x radionuclide pair, :func:`labeling` answers in this order (``labeling_basis``):

1. ``precedent``: the table holds results for the *same chelating core* (InChIKey first block of
   the neutral metal-free core) with the *same element*. The call, the probability and the
   suggested temperature/time/pH/ligand concentration follow those rows; the suggested
   conditions are those of one printed precedent, never a mixture.
2. ``analogue``: the same core with a chemically close radiometal (same charge, same group of the
   periodic table, CN8 Shannon radii within :data:`ANALOGUE_MAX_DR_PM`), or a close core
   (similarity >= :data:`CLOSE_SIMILARITY`, stated) with the same element. Analogue rows count
   :data:`ANALOGUE_WEIGHT` of a precedent.
3. ``model``: no precedent or analogue, but the element (or a close ion) has labeled rows: a small
   logistic regression on formation-kinetics features (:data:`CANDIDATE_FEATURES`) gives the
   probability; conditions are suggested only where it predicts mild labeling (from the closest
   mild precedent of the same element, cited). The model is used only if its grouped
   cross-validation AUC on the table (the inner loop) reaches :data:`MIN_INNER_AUC` and its
   held-out AUC (``model_auc`` of :func:`labeling_skill`) is above chance; its probability is
   pulled toward 0.5 by that held-out skill (:func:`skill_shrunk`). Otherwise such pairs are
   ``insufficient`` and the message says why.
4. ``insufficient``: neither; ``mild_labeling_prob`` is NaN (an unknown must not look good).

``mild_labeling_prob`` is the probability that *mild* labeling works: >= 95 % conversion at
<= 40 degC within <= 30 min. With evidence rows it is the weighted mean of their labels with the
model's probability as a prior worth :data:`PRIOR_STRENGTH` rows (:func:`evidence_probability`).

Row labels (:func:`label_row`, also documented in ``molecules/LABELING_CARD.md``):

* ``T <= 40 degC``, ``time <= 30 min``, yield >= 95 %        -> positive (weight 1)
* ``T <= 40 degC``, yield >= 95 %, time not reported          -> positive (weight 0.5)
* ``T <= 40 degC``, yield >= 95 % after 30-60 min (e.g. a "10-40 min" range stored at its
  upper end)                                                  -> positive (weight 0.5)
* ``T <= 40 degC`` and yield < 95 % within <= 60 min           -> negative (weight 1)
* ``T <= 40 degC``, >= 95 % or < 95 % only after > 60 min      -> weak negative (weight 0.3)
* ``T > 40 degC`` (heated only, with or without a yield)      -> weak negative (weight 0.3):
  authors heat when room temperature is not enough, but a heated-only row does not prove it fails
* temperature not reported, yield < 50 % (a clear failure)   -> negative (weight 1; 0.5 when
  the time is not reported either): yield rises with temperature and time, so a clear failure at
  the authors' conditions, whatever they were, is also a failure at mild ones
* anything else (no temperature; RT without yield)            -> conditions precedent only

``labeling_shown`` says what the evidence rows (precedent or analogue) show: 0 if every one
reports a clear failure (yield below 50 %), otherwise 1 (a yield, or conditions that were used);
NaN for a model estimate or no evidence. The ranking
gives a labeling shown to work at least the value of a heated labeling; one shown only to fail
gets no such floor (``chelscreen.rank``).

The validated skill of the model (leave-one-core-out, ``benchmarks/validate_labeling.py``) is in
``molecules/labeling_validation.json`` and returned by :func:`labeling_skill`.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pandas as pd

from chelscreen._resources import molecules_dir
from chelscreen.errors import (
    InputFileError,
    InvalidStructureError,
    UnsupportedMetalError,
    UnsupportedNuclideError,
)

logger = logging.getLogger(__name__)

#: Mild labeling definition (all three must hold).
MILD_MAX_TEMPERATURE_C = 40.0
MILD_MAX_TIME_MIN = 30.0
MILD_MIN_RCY_PERCENT = 95.0
#: A complete labeling at <= 40 degC reported after 30-60 min counts as a half-weight positive.
SLOW_MILD_MAX_TIME_MIN = 60.0
#: Yield at which a published result counts as a successful labeling (source of conditions).
SUCCESS_RCY_PERCENT = 90.0
#: Yield below which a published result is a clear failure, whatever its (unreported) conditions.
CLEAR_FAILURE_RCY_PERCENT = 50.0
#: Sample weights of the kinds of labeled rows.
WEIGHT_DIRECT = 1.0
WEIGHT_NO_TIME = 0.5
WEIGHT_WEAK = 0.3
#: Tanimoto similarity at which another core counts as a close analogue.
CLOSE_SIMILARITY = 0.75
#: A table core and a query's chelating unit of which one is a substructure of the other (same
#: number of macrocyclic rings; the smaller with at least this fraction of the larger one's heavy
#: atoms) are close cores whatever their fingerprint similarity: a bifunctional handle or a
#: backbone substituent added to the same donor skeleton (DTPA / p-SCN-Bn-CHX-A''-DTPA shape).
CONTAINMENT_MIN_FRACTION = 0.5
#: Largest CN8 Shannon-radius difference (pm) between two ions of the same charge and group
#: for one to stand in for the other (Ac3+/La3+/Ce3+: 2-4 pm; Lu3+/Y3+/Tb3+: 2-6 pm).
ANALOGUE_MAX_DR_PM = 10.0
#: Weight of an analogue row relative to a precedent row.
ANALOGUE_WEIGHT = 0.5
#: Weight (in rows) of the model's probability as the prior of the evidence probability.
PRIOR_STRENGTH = 0.5
#: Basis values of the ``labeling_basis`` column.
BASES = ("precedent", "analogue", "model", "insufficient")
#: Printed precedents per pair.
N_PRECEDENTS = 3

OUTPUT_COLUMNS = [
    "chelator",
    "smiles",
    "radionuclide",
    "mild_labeling_prob",
    "labeling_basis",
    "suggested_temperature_C",
    "suggested_time_min",
    "suggested_pH",
    "suggested_ligand_conc_uM",
    "decay_loss_frac",
    "labeling_shown",
    "precedents",
    "precedent_dois",
    "status",
    "message",
]

#: Every pair feature :func:`pair_features` computes (definitions there).
CANDIDATE_FEATURES = [
    "ion_z2_over_r",
    "preorganization_code",
    "macrocycle",
    "flexible_macrocycle",
    "cavity_mismatch_pm",
    "denticity_deficit",
    "denticity_excess",
    "hard_donor_frac",
    "donor_mismatch",
    "ion_charge",
    "ligand_charge_pH7_4",
    "log_beta1_hydrolysis",
]
#: Condition features (taken from the table row in training; at prediction time the reference
#: values below unless a precedent gives them).
CONDITION_FEATURES = ["log_conc_uM", "pH"]
REFERENCE_CONDITIONS = {"log_conc_uM": 1.0, "pH": 5.5}
#: Small, physically motivated feature sets; the set and the regularisation are chosen by
#: grouped cross-validation in an inner loop (:func:`select_model`).
FEATURE_SETS: dict[str, list[str]] = {
    "kinetics": ["ion_z2_over_r", "preorganization_code", "cavity_mismatch_pm"],
    "kinetics+denticity": ["ion_z2_over_r", "preorganization_code", "cavity_mismatch_pm",
                           "denticity_deficit"],
    "kinetics+rigidity": ["ion_z2_over_r", "macrocycle", "flexible_macrocycle",
                          "cavity_mismatch_pm", "denticity_deficit"],
    "kinetics+donors": ["ion_z2_over_r", "preorganization_code", "cavity_mismatch_pm",
                        "denticity_deficit", "donor_mismatch"],
    "kinetics+charge": ["ion_z2_over_r", "preorganization_code", "cavity_mismatch_pm",
                        "denticity_deficit", "ion_charge", "ligand_charge_pH7_4"],
    "kinetics+conditions": ["ion_z2_over_r", "preorganization_code", "cavity_mismatch_pm",
                            "denticity_deficit", "log_conc_uM", "pH"],
    "structure_only": ["preorganization_code", "cavity_mismatch_pm", "denticity_excess"],
}
C_GRID = (0.1, 0.3, 1.0)
#: Class weighting candidates of the inner loop: ``False`` = row weights only; ``True`` = rows
#: re-weighted so both classes weigh the same (the intercept then does not follow the share of
#: mild rows in the training cores, which changes from fold to fold in leave-one-core-out).
BALANCE_GRID = (False, True)
#: Probability with which an answer without any information (``insufficient``) is scored in the
#: validation: the tool prints NaN there; a constant keeps such rows out of the ranking (an
#: AUC contribution of exactly 0.5) instead of ranking them by the training cores' base rate.
UNINFORMED_PROB = 0.5
#: The fitted model gives probabilities only if its grouped-CV AUC on the training cores (the
#: inner loop of :func:`select_model`) reaches this value; otherwise a pair without evidence is
#: ``insufficient``. Fixed in advance, never tuned on the outer (leave-one-core-out) folds.
MIN_INNER_AUC = 0.6

#: Ion classes whose donors are "hard" (1), "borderline" (0.5), "soft" (0) for donor_mismatch.
_HSAB_VALUE = {"hard": 1.0, "borderline": 0.5, "soft": 0.0}


# --------------------------------------------------------------------------------------------
# radionuclides (parsed by chelscreen.metals)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NuclideSpec:
    """A parsed radionuclide: ``nuclide`` like ``"Ac-225"``, its ``element`` and ion symbol."""

    nuclide: str
    element: str
    text: str
    ion: str = field(default="")


def parse_nuclide(text: str) -> NuclideSpec:
    """Parse ``Ac-225``, ``225Ac``, ``[225Ac]``, ``ac225`` into a :class:`NuclideSpec`.

    Parsing, the ion table and the ICRP-107 check are those of
    :func:`chelscreen.metals.parse_metal`.

    Raises
    ------
    UnsupportedNuclideError
        If the text is not a radionuclide of a metal chelscreen has ion data for (the message
        lists what is supported and how to write it).
    """
    from chelscreen.metals import parse_metal

    raw = str(text).strip()
    try:
        spec = parse_metal(raw)
    except UnsupportedMetalError as exc:
        raise UnsupportedNuclideError(f"radionuclide {text!r}: {exc}") from exc
    if spec.nuclide is None:
        raise UnsupportedNuclideError(
            f"{text!r} names a metal but not a radionuclide; add the mass number, e.g. "
            f"'{spec.ion.element}-<A>' such as 'Ac-225' or 'Ga-68'.")
    if not spec.ion.chelatable:
        raise UnsupportedNuclideError(
            f"{text!r}: {spec.ion.element} is not chelated as a metal cation; labeling "
            "predictions are for chelatable radiometals only.")
    return NuclideSpec(nuclide=spec.nuclide, element=spec.ion.element, text=raw,
                       ion=spec.ion.symbol)


def parse_radionuclides(radionuclides: str | Iterable[str]) -> list[NuclideSpec]:
    """Parse a comma-separated string or a list of radionuclide names (order kept)."""
    items = radionuclides.split(",") if isinstance(radionuclides, str) else list(radionuclides)
    items = [str(x).strip() for x in items if str(x).strip()]
    if not items:
        raise UnsupportedNuclideError("No radionuclide given; pass e.g. 'Ac-225,Ga-68'.")
    return [parse_nuclide(x) for x in items]


def half_life_s(nuclide: str) -> float:
    """Half-life in seconds (:func:`chelscreen.decay.decay_chain`, ICRP-107 data)."""
    handed = _HANDED_HALF_LIVES.get(nuclide)
    return handed if handed is not None else _chain_half_life_s(nuclide)


#: half-lives handed over by the process that started a screen (:func:`use_handover`)
_HANDED_HALF_LIVES: dict[str, float] = {}


@cache
def _chain_half_life_s(nuclide: str) -> float:
    from chelscreen.decay import decay_chain

    chain = decay_chain(nuclide)
    if chain.empty:  # a stable nuclide has no decay step
        return float("inf")
    return float(chain["half_life_s"].iloc[0])


def decay_loss_fraction(nuclide: str, time_min: float) -> float:
    """Fraction of activity lost to decay in ``time_min`` minutes: 1 - exp(-ln2 t / T1/2)."""
    if time_min is None or not np.isfinite(time_min):
        return float("nan")
    return float(1.0 - math.exp(-math.log(2.0) * time_min * 60.0 / half_life_s(nuclide)))


@cache
def ion_descriptors(element: str) -> dict[str, float]:
    """The ion features used here, from :func:`chelscreen.metals.ion_features`.

    ``element`` is a symbol such as ``"Ac"``; the default radiometal oxidation state of
    :mod:`chelscreen.metals` is used (Ac3+, Pb2+, Th4+, Zr4+, Cu2+, ...).
    """
    from chelscreen.metals import ion_features

    f = ion_features(element)
    return {"ion_charge": float(f["charge"]), "r_ionic_pm": float(f["r_ionic_pm"]),
            "r_ionic_cn6_pm": float(f["r_ionic_cn6_pm"]),
            "log_beta1_hydrolysis": float(f["log_beta1_hydrolysis"]),
            "cn_preferred": float(f["cn_preferred"]),
            "z2_over_r": float(f["z2_over_r_e2_per_pm"])}


# --------------------------------------------------------------------------------------------
# ions: hardness and analogues
# --------------------------------------------------------------------------------------------
@cache
def _ion_hardness_value(element: str) -> float:
    from chelscreen.metals import get_ion

    cls = str(get_ion(element).hsab_class).split(" ")[0].strip().lower()
    return _HSAB_VALUE.get(cls, float("nan"))


@cache
def close_ions(element: str) -> dict[str, float]:
    """Elements whose default ion can stand in for ``element``'s: same charge, same group,
    CN8 radius within :data:`ANALOGUE_MAX_DR_PM` (value: the radius difference in pm).
    Only elements of the labeling table are considered; ``element`` itself is excluded."""
    from chelscreen.metals import ion_features

    me = ion_features(element)
    out: dict[str, float] = {}
    for other in sorted(set(_default_arrays().element)):  # the table's elements
        if other == element:
            continue
        f = ion_features(other)
        dr = abs(f["r_ionic_cn8_pm"] - me["r_ionic_cn8_pm"])
        if f["charge"] == me["charge"] and f["group"] == me["group"] and \
                dr <= ANALOGUE_MAX_DR_PM:
            out[other] = round(float(dr), 1)
    return out


# --------------------------------------------------------------------------------------------
# ligands (features from chelscreen.chem.descriptors)
# --------------------------------------------------------------------------------------------
def _descriptors_readonly(smiles: str) -> dict[str, Any]:
    """The memoized features of :func:`ligand_descriptors` without the copy (read them only)."""
    from chelscreen.chem.descriptors import ligand_features_of_smiles

    feats = ligand_features_of_smiles(smiles)
    if feats is None:
        raise InvalidStructureError(f"RDKit cannot parse the SMILES '{smiles}'; check it.")
    if smiles not in _N_DONORS:
        if len(_N_DONORS) >= _N_DONORS_MAX:
            _N_DONORS.clear()
        _N_DONORS[smiles] = feats["n_donors"]
    return feats


#: ``n_donors`` of the features :func:`_descriptors_readonly` computed in this process, by
#: SMILES: :func:`_denticity` of the same (uncharged) SMILES reads it instead of perceiving the
#: donors again (a screen asks for both per chelator); bounded, cleared when full
_N_DONORS: dict[str, int] = {}
_N_DONORS_MAX = 16384


def ligand_descriptors(smiles: str) -> dict[str, Any]:
    """:func:`chelscreen.chem.descriptors.ligand_features` of a chelating unit (cached by SMILES).

    Raises
    ------
    InvalidStructureError
        If RDKit cannot parse ``smiles``.
    """
    return dict(_descriptors_readonly(smiles))


_CHARGED_ATOM = re.compile(r"\[[^\]]*[+-][^\]]*\]")


@lru_cache(maxsize=8192)
def core_key(smiles: str) -> str:
    """Skeleton key of a chelating core: first block of the InChIKey of the neutral ligand
    (charges, stereo and protonation do not change it). Empty if RDKit cannot read it.

    A SMILES without a charged atom is its own neutral form: its key is
    :func:`chelscreen.rank.ligand_key`'s (one InChI computation per ligand of a screen)."""
    from chelscreen.chem.standardize import inchikey_block1, neutral_mol

    if smiles and smiles == smiles.strip() and not _CHARGED_ATOM.search(smiles):
        from chelscreen.rank import ligand_key

        return ligand_key(smiles)
    return inchikey_block1(neutral_mol(smiles))


def pair_features(smiles: str, element: str) -> dict[str, float]:
    """Every candidate feature (:data:`CANDIDATE_FEATURES`) of a chelating unit x element pair.

    Formation kinetics, not thermodynamics, decide whether labeling is mild:

    * ``ion_z2_over_r``: z^2 / r (e^2/pm, ``chelscreen.metals``), the charge density that sets
      how tightly the aqua ion holds its waters; it stands in for the water-exchange rate, for
      which no cited table could be assembled (see the card);
    * ``preorganization_code``: 0 acyclic, 1 rigid acyclic, 2 macrocyclic, 3 macrobicyclic
      (``ligand_features``): a rigid cage must open to let the ion in, an open chain wraps it;
    * ``macrocycle``: 1 for a macrocycle; ``flexible_macrocycle``: 1 for a macrocycle whose ring
      has more than 3 ring atoms per ring donor or more than 15 ring atoms (crown-like rings
      that fold around the ion) and 0 for a small rigid polyaza ring;
    * ``cavity_mismatch_pm``: |``cavity_radius_pm`` - Shannon radius of the ion at its preferred
      CN| for a macrocycle, 0 for an open-chain chelator;
    * ``denticity_deficit`` = max(0, preferred CN - ``n_donors``); ``denticity_excess`` =
      ``n_donors`` - preferred CN;
    * ``hard_donor_frac`` (``ligand_features``) and ``donor_mismatch`` = |hard donor fraction -
      hardness of the ion (hard 1, borderline 0.5, soft 0; chelscreen.metals)|;
    * ``ion_charge``, ``log_beta1_hydrolysis``: ``chelscreen.metals.ion_features``;
    * ``ligand_charge_pH7_4``: ``charge_pH7_4`` of ``ligand_features``.
    """
    return _pair_from_terms(_ligand_terms(smiles), element)


def _ligand_terms(smiles: str) -> tuple[float, ...]:
    """The ligand's part of :func:`pair_features` (computed once per ligand): preorganization
    code, macrocycle, flexible macrocycle, cavity radius, donors, hard-donor fraction, charge."""
    lig = _descriptors_readonly(smiles)
    macro = float(lig["preorganization_code"] >= 2 and lig["macrocycle_ring_size"] > 0)
    flexible = float(rigidity_class(smiles) == 2)
    return (float(lig["preorganization_code"]), macro, flexible, float(lig["cavity_radius_pm"]),
            float(lig["n_donors"]), float(lig.get("hard_donor_frac", float("nan"))),
            float(lig["charge_pH7_4"]))


def _pair_from_terms(terms: tuple[float, ...], element: str) -> dict[str, float]:
    """:func:`pair_features` from the ligand's :func:`_ligand_terms` and the ion."""
    preorg, macro, flexible, cavity, n_don, hard, charge = terms
    ion = ion_descriptors(element)
    return {
        "ion_z2_over_r": ion["z2_over_r"],
        "preorganization_code": preorg,
        "macrocycle": macro,
        "flexible_macrocycle": flexible,
        "cavity_mismatch_pm": abs(cavity - ion["r_ionic_pm"]) * macro,
        "denticity_deficit": max(0.0, ion["cn_preferred"] - n_don),
        "denticity_excess": n_don - ion["cn_preferred"],
        "hard_donor_frac": hard,
        "donor_mismatch": abs(hard - _ion_hardness_value(element)),
        "ion_charge": ion["ion_charge"],
        "ligand_charge_pH7_4": charge,
        "log_beta1_hydrolysis": ion["log_beta1_hydrolysis"],
    }


@lru_cache(maxsize=4096)
def _fingerprints(smiles: str):
    from rdkit.Chem import rdFingerprintGenerator

    from chelscreen.chem.descriptors import mol_of_smiles

    mol = mol_of_smiles(smiles)  # shared, read-only
    if mol is None:
        return None
    morgan = rdFingerprintGenerator.GetMorganGenerator(radius=2).GetCountFingerprint(mol)
    pairs = rdFingerprintGenerator.GetAtomPairGenerator().GetCountFingerprint(mol)
    return morgan, pairs


def tanimoto(a: str, b: str) -> float:
    """Similarity of two chelating units: mean of Morgan-count and atom-pair-count Tanimoto.

    Count fingerprints plus atom pairs (topological distances) are used because plain Morgan
    bits cannot tell ring sizes apart (NOTA and DOTA share every radius-2 environment).
    Returns 0 if a SMILES does not parse.
    """
    from rdkit import DataStructs

    fa, fb = _fingerprints(a), _fingerprints(b)
    if fa is None or fb is None:
        return 0.0
    return float(np.mean([DataStructs.TanimotoSimilarity(x, y) for x, y in zip(fa, fb)]))


# --------------------------------------------------------------------------------------------
# table and labels
# --------------------------------------------------------------------------------------------
TABLE_COLUMNS = [
    "id", "chelator", "chelator_smiles", "conjugate", "radionuclide", "temperature_C", "pH",
    "time_min", "ligand_conc_uM", "ligand_amount_nmol", "volume_uL", "buffer", "rcy_percent",
    "rcy_qualifier", "molar_activity", "molar_activity_unit", "doi", "quote", "notes",
]


@lru_cache(maxsize=1)
def load_table() -> pd.DataFrame:
    """The curated labeling table ``molecules/labeling.csv`` with derived columns
    (``element``, ``core_key``, ``mild_label``, ``label_weight``, ``log_conc_uM``)."""
    path = molecules_dir() / "labeling.csv"
    if not path.is_file():
        raise InputFileError(f"labeling table missing: {path}; reinstall chelscreen.")
    try:
        df = pd.read_csv(path, dtype={"molar_activity": str, "pH": float})
    except (ValueError, UnicodeDecodeError) as exc:  # ParserError subclasses ValueError
        raise InputFileError(f"{path} cannot be read as a table "
                             f"({' '.join(str(exc).split())}); fix the file or reinstall "
                             "chelscreen") from exc
    missing = [c for c in TABLE_COLUMNS if c not in df.columns]
    if missing:
        raise InputFileError(f"{path} lacks columns {missing}.")
    try:
        return prepare_table(df)
    except ValueError as exc:  # a damaged row (unreadable nuclide, SMILES...): name the file
        raise InputFileError(f"{path}: {' '.join(str(exc).split())}") from exc


def prepare_table(df: pd.DataFrame) -> pd.DataFrame:
    """Add the derived columns of :func:`load_table` to a frame with :data:`TABLE_COLUMNS`."""
    df = df.copy()
    df["element"] = [parse_nuclide(n).element for n in df["radionuclide"]]
    df["core_key"] = [core_key(str(s)) for s in df["chelator_smiles"]]
    labels = [label_row(r) for r in df.itertuples(index=False)]
    df["mild_label"] = [lab for lab, _ in labels]
    df["label_weight"] = [w for _, w in labels]
    conc = df["ligand_conc_uM"].astype(float)
    from_amount = df["ligand_amount_nmol"].astype(float) / df["volume_uL"].astype(float) * 1e3
    conc = conc.fillna(from_amount)
    df["conc_uM"] = conc
    with np.errstate(divide="ignore", invalid="ignore"):
        df["log_conc_uM"] = np.log10(conc.where(conc > 0))
    return df


def label_row(row: Any) -> tuple[float, float]:
    """Label (1, 0 or NaN) and weight of one table row (rules in the module docstring)."""
    t, time, rcy = row.temperature_C, row.time_min, row.rcy_percent
    if not np.isfinite(t):
        if np.isfinite(rcy) and rcy < CLEAR_FAILURE_RCY_PERCENT:
            return 0.0, (WEIGHT_DIRECT if np.isfinite(time) else WEIGHT_NO_TIME)
        return float("nan"), 0.0
    if t > MILD_MAX_TEMPERATURE_C:
        return 0.0, WEIGHT_WEAK
    if not np.isfinite(rcy):
        return float("nan"), 0.0
    if not np.isfinite(time):
        if rcy >= MILD_MIN_RCY_PERCENT:
            return 1.0, WEIGHT_NO_TIME
        return float("nan"), 0.0  # a mild failure without its time cannot be judged
    if rcy >= MILD_MIN_RCY_PERCENT and time <= MILD_MAX_TIME_MIN:
        return 1.0, WEIGHT_DIRECT
    if rcy >= MILD_MIN_RCY_PERCENT and time <= SLOW_MILD_MAX_TIME_MIN:
        # complete at room temperature, but the source reports (the upper end of) 30-60 min:
        # the temperature is mild, the time only probably within 30 min
        return 1.0, WEIGHT_NO_TIME
    # a success only after more than an hour, or a failure after more than an hour: weak negative
    return 0.0, (WEIGHT_WEAK if time > SLOW_MILD_MAX_TIME_MIN or rcy >= MILD_MIN_RCY_PERCENT
                 else WEIGHT_DIRECT)


def _row_features(terms: tuple[float, ...], element: str, conditions: dict[str, float] | None
                  ) -> dict[str, float]:
    f = _pair_from_terms(terms, element)
    cond = dict(REFERENCE_CONDITIONS)
    for k, v in (conditions or {}).items():
        if v is not None and np.isfinite(v):
            cond[k] = float(v)
    f.update(cond)
    return f


def feature_matrix(smiles: Sequence[str], elements: Sequence[str], features: Sequence[str],
                   conditions: Sequence[dict[str, float] | None] | None = None) -> np.ndarray:
    """Rows of :func:`pair_features` (+ condition features) restricted to ``features`` (the
    ligand's terms computed once per distinct SMILES)."""
    conds = conditions if conditions is not None else [None] * len(smiles)
    names = list(features)
    terms: dict[str, tuple[float, ...]] = {}
    rows = []
    for s, e, c in zip(smiles, elements, conds):
        t = terms.get(s)
        if t is None:
            t = terms[s] = _ligand_terms(s)
        f = _row_features(t, e, c)
        rows.append([f[n] for n in names])
    return np.array(rows, dtype=float).reshape(len(smiles), len(names))


def training_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The labeled rows of a prepared table (those with a finite ``mild_label``)."""
    return df[df["mild_label"].notna()].reset_index(drop=True)


def _training_matrix(used: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    conds = [{"log_conc_uM": lc, "pH": ph} for lc, ph in zip(used["log_conc_uM"], used["pH"])]
    return feature_matrix(list(used["chelator_smiles"]), list(used["element"]), features, conds)


@dataclass
class MildLabelingModel:
    """Standardised L2 logistic regression on ``features``; a missing value is imputed with
    the training median."""

    features: tuple[str, ...]
    C: float = 0.3
    balanced: bool = False

    def fit(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> MildLabelingModel:
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if len(set(y.tolist())) < 2:
            raise ValueError("labeling table needs both mild successes and failures to fit.")
        self.pipeline_ = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                                       StandardScaler(), LogisticRegression(C=self.C))
        w = np.asarray(w, dtype=float)
        if self.balanced:  # both classes carry the same total weight
            pos = y == 1
            w = np.where(pos, w / w[pos].sum(), w / w[~pos].sum()) * w.sum() / 2.0
        self.pipeline_.fit(X, y, logisticregression__sample_weight=w)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.pipeline_.predict_proba(X)[:, 1]

    def usable_proba(self, X: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` where the model passed its inner validation
        (``skilful_``, see :data:`MIN_INNER_AUC`), else NaN (the answer is then evidence or
        ``insufficient``)."""
        p = self.predict_proba(X)
        return p if getattr(self, "skilful_", True) else np.full(len(p), np.nan)

    @property
    def coefficients(self) -> dict[str, float]:
        coef = self.pipeline_.named_steps["logisticregression"].coef_[0]
        return dict(zip(self.features, map(float, coef)))


def weighted_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    """ROC AUC with sample weights; NaN when a class is missing."""
    from sklearn.metrics import roc_auc_score

    ok = np.isfinite(p)
    if len(set(y[ok].tolist())) < 2:
        return float("nan")
    return float(roc_auc_score(y[ok], p[ok], sample_weight=None if w is None else w[ok]))


def _grouped_cv_probs(used: pd.DataFrame, features: Sequence[str], C: float,
                      n_splits: int = 5, balanced: bool = False) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    groups = used["core_key"].to_numpy()
    k = min(n_splits, len(set(groups)))
    X = _training_matrix(used, features)
    y, w = used["mild_label"].to_numpy(float), used["label_weight"].to_numpy(float)
    out = np.full(len(used), np.nan)
    for tr, te in GroupKFold(n_splits=k).split(X, y, groups):
        if len(set(y[tr].tolist())) < 2:
            continue
        m = MildLabelingModel(features=tuple(features), C=C, balanced=balanced).fit(
            X[tr], y[tr], w[tr])
        out[te] = m.predict_proba(X[te])
    return out


def select_model(used: pd.DataFrame) -> tuple[str, float, bool, pd.DataFrame]:
    """Choose the feature set, C and class balancing by grouped (by core) 5-fold CV AUC on
    ``used`` only.

    Returns the set name, C, the balancing flag and the table of every candidate's score.
    Ties go to the smaller set, the stronger regularisation and no balancing (listed first)."""
    y, w = used["mild_label"].to_numpy(float), used["label_weight"].to_numpy(float)
    rows = []
    for name, feats in FEATURE_SETS.items():
        for C in C_GRID:
            for bal in BALANCE_GRID:
                p = _grouped_cv_probs(used, feats, C, balanced=bal)
                rows.append({"feature_set": name, "C": C, "balanced": bal,
                             "n_features": len(feats), "auc": weighted_auc(y, p, w)})
    res = pd.DataFrame(rows)
    best = res.sort_values(["auc", "n_features", "C", "balanced"],
                           ascending=[False, True, True, True], na_position="last").iloc[0]
    return str(best["feature_set"]), float(best["C"]), bool(best["balanced"]), res


def fit_model(df: pd.DataFrame, choice: dict[str, Any] | None = None) -> MildLabelingModel:
    """Select (inner grouped CV) and fit the model on the labeled rows of ``df``.

    ``choice`` (``feature_set``, ``C``, ``balanced``, ``inner_auc``), the result of that
    selection recorded for exactly this table (:func:`recorded_choice`), skips the selection:
    the one fit is then the same as after the full selection."""
    used = training_rows(df)
    if choice is None:
        name, C, balanced, scores = select_model(used)
        inner_auc = float(scores["auc"].max())
    else:
        name, C, balanced = choice["feature_set"], float(choice["C"]), bool(choice["balanced"])
        inner_auc = float(choice["inner_auc"])
    feats = tuple(FEATURE_SETS[name])
    model = MildLabelingModel(features=feats, C=C, balanced=balanced)
    model.feature_set_ = name
    model.inner_auc_ = inner_auc
    model.skilful_ = bool(np.isfinite(model.inner_auc_) and model.inner_auc_ >= MIN_INNER_AUC)
    model.fit(_training_matrix(used, feats), used["mild_label"].to_numpy(float),
              used["label_weight"].to_numpy(float))
    model.trained_elements_ = frozenset(
        (e, rigidity_class(s)) for e, s in zip(used["element"], used["chelator_smiles"]))
    return model


#: a model fitted by :func:`fitted_model` in the parent process of a screen, handed to its
#: workers (:func:`use_handover`) so that each worker does not select and refit it
_HANDED: list[MildLabelingModel] = []


def handover(radionuclides: Iterable[str]) -> dict[str, Any]:
    """What a screen's workers need from this module, computed once by the parent: the
    :func:`fitted_model`, the bundled table's arrays (:func:`_default_arrays`, ≈ 84 KB) and the
    half-lives of ``radionuclides`` (names as given to :func:`labeling`). Pass it to
    :func:`use_handover` in a worker."""
    return {"model": fitted_model(), "table": _default_arrays(),
            "half_lives": {n.nuclide: half_life_s(n.nuclide)
                           for n in parse_radionuclides(list(radionuclides))}}


def use_handover(state: dict[str, Any]) -> None:
    """Use ``state``, the :func:`handover` of another process of the same job: the same values
    by the same code (the fit is deterministic), so results are the same; a worker then does
    not refit the model (≈ 5 CPU-s), read and parse the table, or import the decay data its
    radionuclides' parsing and half-lives need (radioactivedecay and sympy, ≈ 1.3 CPU-s)."""
    _HANDED[:] = [state["model"]]
    _HANDED_TABLE[:] = [state["table"]]
    _HANDED_HALF_LIVES.update(state["half_lives"])


def fitted_model() -> MildLabelingModel:
    """The model selected and fitted on the whole table (cached for the process)."""
    if _HANDED:
        return _HANDED[0]
    return _fitted_model()


#: where :func:`write_model_choice` records the selection of :func:`fitted_model`
MODEL_CHOICE_FILE = "labeling_model_choice.json"


def selection_key(used: pd.DataFrame) -> str:
    """SHA-256 of everything :func:`select_model` decides on for the labeled rows ``used``:
    the feature matrix of every candidate feature, labels, weights and core groups, the
    candidate grid (:data:`FEATURE_SETS`, :data:`C_GRID`, :data:`BALANCE_GRID`) and the
    scikit-learn version. A change of the table or of the feature code changes the key."""
    import hashlib

    import sklearn

    names = sorted({f for feats in FEATURE_SETS.values() for f in feats})
    h = hashlib.sha256(json.dumps([FEATURE_SETS, list(C_GRID), list(BALANCE_GRID), names,
                                   sklearn.__version__, list(used["core_key"])],
                                  sort_keys=True).encode())
    for arr in (_training_matrix(used, names), used["mild_label"].to_numpy(float),
                used["label_weight"].to_numpy(float)):
        h.update(np.ascontiguousarray(arr, dtype="<f8").tobytes())
    return h.hexdigest()


def model_choice(df: pd.DataFrame) -> dict[str, Any]:
    """The result of :func:`select_model` on the labeled rows of ``df`` as a JSON-able dict."""
    name, C, balanced, scores = select_model(training_rows(df))
    return {"feature_set": name, "C": C, "balanced": balanced,
            "inner_auc": float(scores["auc"].max())}


def write_model_choice() -> dict[str, Any]:
    """Run the selection on the packaged table and record it with :func:`selection_key` in
    ``molecules/labeling_model_choice.json`` (``benchmarks/validate_labeling.py --write``)."""
    df = load_table()
    rec = {"selection_key_sha256": selection_key(training_rows(df)), **model_choice(df),
           "note": "written by benchmarks/validate_labeling.py --write; used by fitted_model() "
                   "only while selection_key_sha256 matches the labeled rows' features, "
                   "labels, weights, groups, the grid and the scikit-learn version"}
    path = molecules_dir() / MODEL_CHOICE_FILE
    path.write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    return rec


def recorded_choice(df: pd.DataFrame) -> dict[str, Any] | None:
    """The selection recorded by :func:`write_model_choice` if it was made on exactly the
    labeled rows of ``df`` (same :func:`selection_key`), else None (the selection then runs)."""
    path = molecules_dir() / MODEL_CHOICE_FILE
    if not path.is_file():
        return None
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(rec, dict) or rec.get("selection_key_sha256") != selection_key(training_rows(df)):
        return None
    if rec.get("feature_set") not in FEATURE_SETS:
        return None
    return rec


@lru_cache(maxsize=1)
def _fitted_model() -> MildLabelingModel:
    df = load_table()
    return fit_model(df, choice=recorded_choice(df))


def skill_weight(auc: float | None) -> float:
    """Weight of a model with this AUC: ``clip(2 × (auc − 0.5), 0, 1)``, 0 at chance or for a
    missing/NaN AUC, 1 for a perfect model."""
    if auc is None or not math.isfinite(float(auc)):
        return 0.0
    return min(1.0, max(0.0, 2.0 * (float(auc) - 0.5)))


def model_skill_weight() -> float:
    """:func:`skill_weight` of the model alone on held-out cores (``model_auc`` of
    :func:`labeling_skill`; 0 without a validation file)."""
    return skill_weight(labeling_skill().get("model_auc"))


def skill_shrunk(p: np.ndarray) -> np.ndarray:
    """The model's probabilities as :func:`labeling` uses them: pulled toward 0.5 by the model's
    held-out skill (:func:`model_skill_weight`), ``0.5 + s × (p − 0.5)``, and NaN (not used)
    when that skill is 0. The inner check (:data:`MIN_INNER_AUC`) chooses and gates the model on
    all rows; the held-out figure says how far it can be trusted, as a prediction for a pair
    without evidence and as the prior of the evidence of a pair with some. A model at chance
    must not move a precedent's probability either."""
    s = model_skill_weight()
    p = np.asarray(p, dtype=float)
    if s <= 0.0:
        return np.full(p.shape, np.nan)
    return 0.5 + s * (p - 0.5)


@lru_cache(maxsize=1)
def labeling_skill() -> dict[str, Any]:
    """The validated skill of the labeling model (``molecules/labeling_validation.json``,
    written by ``benchmarks/validate_labeling.py``): ``loco_auc``, ``brier``, ``n`` and more.

    Returns an empty-skill dict (``loco_auc`` NaN) if the file is missing.
    """
    path = molecules_dir() / "labeling_validation.json"
    if not path.is_file():
        return {"loco_auc": float("nan"), "brier": float("nan"), "n": 0,
                "note": f"{path.name} missing; run benchmarks/validate_labeling.py"}
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# precedents, analogues and suggested conditions
# --------------------------------------------------------------------------------------------
def _fmt(x: float, unit: str = "", nd: int = 0) -> str:
    if x is None or not np.isfinite(x):
        return "?"
    return f"{x:.{nd}f}{unit}"


def _doi_text(doi: str) -> str:
    doi = str(doi)
    return doi if doi.startswith("http") else f"doi:{doi}"


def _precedent_text(r: Any) -> str:
    name = r.chelator + (f" ({r.conjugate})" if isinstance(r.conjugate, str) and r.conjugate
                         else "")
    ph = f", pH {r.pH:g}" if np.isfinite(r.pH) else ""
    conc = f", {r.conc_uM:.3g} µM ligand" if np.isfinite(r.conc_uM) else ""
    rcy = f"{r.rcy_percent:g} %" if np.isfinite(r.rcy_percent) else "yield n/r"
    temp = _fmt(r.temperature_C, " °C", 0).replace("?", "temperature n/r")
    time = _fmt(r.time_min, " min", 0).replace("?", "time n/r")
    return f"{name}/{r.radionuclide}: {temp}, {time}{ph}{conc}, {rcy} ({_doi_text(r.doi)})"


def evidence_probability(labels: np.ndarray, weights: np.ndarray, prior: float) -> float:
    """Weighted mean of the evidence labels with ``prior`` worth :data:`PRIOR_STRENGTH` rows.

    Rows without a label (NaN) are ignored; a NaN prior counts as 0.5. With no labeled row the
    prior itself is returned."""
    ok = np.isfinite(labels) & (weights > 0)
    prior = 0.5 if prior is None or not np.isfinite(prior) else float(prior)
    if not ok.any():
        return prior
    wsum = float(weights[ok].sum())
    return float((float((labels[ok] * weights[ok]).sum()) + PRIOR_STRENGTH * prior)
                 / (wsum + PRIOR_STRENGTH))


@dataclass(frozen=True)
class _TableArrays:
    """The labeling table as arrays (built once per table)."""

    df: pd.DataFrame
    uniq_smiles: list
    morgan: list
    pairs: list
    uniq_of_row: np.ndarray
    uniq_ok: np.ndarray
    key: np.ndarray
    element: np.ndarray
    label: np.ndarray
    weight: np.ndarray
    temperature: np.ndarray
    time: np.ndarray
    ph: np.ndarray
    conc: np.ndarray
    rcy: np.ndarray
    success: np.ndarray
    texts: list
    dois: list
    chelator: np.ndarray
    radionuclide: np.ndarray
    #: :func:`_containment_facts` of each unique core (macrocyclic rings, heavy atoms; -1, 0
    #: where RDKit cannot read it): :func:`skeleton_containment`'s first tests on arrays
    uniq_macro: np.ndarray
    uniq_heavy: np.ndarray


def table_arrays(df: pd.DataFrame) -> _TableArrays:
    """Arrays of a prepared table (:func:`prepare_table`) for :func:`assess`."""
    uniq = list(dict.fromkeys(df["chelator_smiles"].astype(str)))
    fps = [_fingerprints(s) for s in uniq]
    pos = {s: k for k, s in enumerate(uniq)}
    rcy = df["rcy_percent"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        success = rcy >= SUCCESS_RCY_PERCENT
    facts = [_containment_facts(s) for s in uniq]
    return _TableArrays(
        df=df, uniq_smiles=uniq,
        morgan=[f[0] for f in fps if f is not None], pairs=[f[1] for f in fps if f is not None],
        uniq_of_row=np.array([pos[str(s)] for s in df["chelator_smiles"]], dtype=np.int64),
        uniq_ok=np.array([f is not None for f in fps], dtype=bool),
        key=df["core_key"].to_numpy(dtype=object), element=df["element"].to_numpy(dtype=object),
        label=df["mild_label"].to_numpy(float), weight=df["label_weight"].to_numpy(float),
        temperature=df["temperature_C"].to_numpy(float), time=df["time_min"].to_numpy(float),
        ph=df["pH"].to_numpy(float), conc=df["conc_uM"].to_numpy(float), rcy=rcy,
        success=success, texts=[_precedent_text(r) for r in df.itertuples(index=False)],
        dois=[_doi_text(d) for d in df["doi"]],
        chelator=df["chelator"].to_numpy(dtype=object),
        radionuclide=df["radionuclide"].to_numpy(dtype=object),
        uniq_macro=np.array([-1 if f is None else f[0] for f in facts], dtype=np.int64),
        uniq_heavy=np.array([0 if f is None else f[1] for f in facts], dtype=np.int64),
    )


#: the :func:`_default_arrays` of the process that started a screen (:func:`use_handover`)
_HANDED_TABLE: list[_TableArrays] = []


def _default_arrays() -> _TableArrays:
    """:func:`table_arrays` of the bundled table (:func:`load_table`), once per process."""
    if _HANDED_TABLE:
        return _HANDED_TABLE[0]
    return _bundled_arrays()


@lru_cache(maxsize=1)
def _bundled_arrays() -> _TableArrays:
    return table_arrays(load_table())


@lru_cache(maxsize=16384)
def _containment_facts(smiles: str) -> tuple[int, int] | None:
    """(macrocyclic rings >= 9 atoms, heavy atoms) of the neutral form of ``smiles``; None if
    RDKit cannot read it. Memoized: :func:`skeleton_containment` compares one ligand with many
    table cores (and the ranking with every measured ligand of a metal)."""
    from chelscreen.chem.donors import macrocycle_rings
    from chelscreen.chem.standardize import neutral_mol

    mol = neutral_mol(smiles)
    if mol is None:
        return None
    return len(macrocycle_rings(mol)), mol.GetNumHeavyAtoms()


@lru_cache(maxsize=16384)
def _denticity(smiles: str) -> int:
    """:func:`chelscreen.chem.donors.n_donors` of the neutral form (memoized).

    A SMILES without a charged atom is its own neutral form (:func:`neutral_mol` changes
    charged atoms only), so the ``n_donors`` of its :func:`ligand_descriptors`, when this
    process has computed them, is the same count (the same chelating unit of the same
    molecule) and is read instead of perceiving the donors again."""
    from chelscreen.chem.donors import n_donors
    from chelscreen.chem.standardize import neutral_mol

    known = _N_DONORS.get(smiles)
    if known is not None and not _CHARGED_ATOM.search(smiles):
        return int(known)
    return n_donors(neutral_mol(smiles))


def skeleton_containment(a: str, b: str) -> bool:
    """True if one chelating unit is a substructure of the other (neutral forms), both have the
    same number of macrocyclic rings (>= 9 atoms) **and the same denticity** (the same donor
    set: a bifunctional handle or a backbone substituent on one skeleton — never a chelator
    with donor arms removed, such as bare cyclen inside DO2A or IDA inside NTA), and the
    smaller has at least :data:`CONTAINMENT_MIN_FRACTION` of the larger one's heavy atoms."""
    from chelscreen.chem.standardize import neutral_mol

    fa, fb = _containment_facts(a), _containment_facts(b)
    if fa is None or fb is None or fa[0] != fb[0]:
        return False
    (small, fs), (big, fl) = ((a, fa), (b, fb)) if fa[1] <= fb[1] else ((b, fb), (a, fa))
    if fs[1] < CONTAINMENT_MIN_FRACTION * fl[1]:
        return False
    # the denticities are memoized per SMILES: compared before the substructure search
    if _denticity(small) != _denticity(big):
        return False
    return neutral_mol(big).HasSubstructMatch(neutral_mol(small))


def table_similarity(smiles: str, tab: _TableArrays, containment: bool = True) -> np.ndarray:
    """:func:`tanimoto` of ``smiles`` against every table row, raised to
    :data:`CLOSE_SIMILARITY` for a table core that shares its donor skeleton
    (:func:`skeleton_containment`; ``containment=False`` leaves the fingerprint similarity
    alone, for the validation's comparison)."""
    from rdkit import DataStructs

    sim_u = np.zeros(len(tab.uniq_ok))
    fa = _fingerprints(smiles)
    if fa is not None and tab.uniq_ok.any():
        a = np.array(DataStructs.BulkTanimotoSimilarity(fa[0], tab.morgan))
        b = np.array(DataStructs.BulkTanimotoSimilarity(fa[1], tab.pairs))
        sim_u[tab.uniq_ok] = (a + b) / 2.0
        test = tab.uniq_ok & (sim_u < CLOSE_SIMILARITY) & containment
        facts = _containment_facts(smiles) if test.any() else None
        if facts is not None:
            # skeleton_containment's first tests on arrays (same macrocyclic rings, the
            # smaller holds enough of the larger's heavy atoms): only the cores that pass
            # them are searched, so the result is the same
            lo = np.minimum(tab.uniq_heavy, facts[1])
            hi = np.maximum(tab.uniq_heavy, facts[1])
            test &= (tab.uniq_macro == facts[0]) & (lo >= CONTAINMENT_MIN_FRACTION * hi)
            for k in np.flatnonzero(test):
                if skeleton_containment(smiles, tab.uniq_smiles[k]):
                    sim_u[k] = CLOSE_SIMILARITY
    return sim_u[tab.uniq_of_row]


def _mildest(rows: np.ndarray, tab: _TableArrays, rank: np.ndarray | None = None) -> int:
    """The row with the mildest conditions (lowest T, then shortest time, then highest yield);
    ``rank`` (lower first) orders before the conditions when given."""
    t = tab.temperature[rows]
    tm = np.where(np.isfinite(tab.time[rows]), tab.time[rows], np.inf)
    keys = [-np.nan_to_num(tab.rcy[rows], nan=-1.0), tm, t]
    if rank is not None:
        keys.append(rank)
    return int(rows[np.lexsort(keys)[0]])


def _condition_source(rows: np.ndarray, tab: _TableArrays, rank: np.ndarray | None = None
                      ) -> tuple[int, str]:
    """Row whose conditions are suggested among ``rows``: the mildest successful result, else
    the mildest reported conditions without a yield; (-1, reason) if there is neither."""
    if not len(rows):
        return -1, ""
    has_t = np.isfinite(tab.temperature[rows])
    succ = tab.success[rows] & has_t
    if succ.any():
        return _mildest(rows[succ], tab, None if rank is None else rank[succ]), "success"
    cond_only = np.isnan(tab.rcy[rows]) & has_t
    if cond_only.any():
        return (_mildest(rows[cond_only], tab, None if rank is None else rank[cond_only]),
                "conditions")
    if tab.success[rows].any():  # successful, but the source does not give the temperature
        return -1, "unstated"
    if np.isfinite(tab.rcy[rows]).any():
        return -1, "failed"
    return -1, "unreported"


def rigidity_class(smiles: str) -> int:
    """0 open chain, 1 rigid macrocycle, 2 flexible (crown-like) macrocycle
    (``macrocycle`` and ``flexible_macrocycle`` of :func:`pair_features`)."""
    lig = _descriptors_readonly(smiles)
    ring = float(lig["macrocycle_ring_size"])
    if not (lig["preorganization_code"] >= 2 and ring > 0):
        return 0
    in_ring = float(lig.get("n_donors_in_ring", 0) or 0)
    return 2 if ring > 15 or (in_ring > 0 and ring / in_ring > 3.0) else 1


def model_domain(smiles: str, element: str, trained: Iterable[tuple[str, int]]) -> bool:
    """True if the model was trained on a chelator of the same rigidity class
    (:func:`rigidity_class`) labeled with ``element`` or a close ion: the model does not
    extrapolate from macrocycles to open chains (or back) for an ion."""
    return _class_domain(rigidity_class(smiles), element, set(trained))


def _class_domain(cls: int, element: str, trained: set) -> bool:
    return any((e, cls) in trained for e in (element, *close_ions(element)))


class AssessContext:
    """What :func:`assess` needs of the table per element (its rows, the close ions' rows, the
    mild successes) and per ligand (its core's rows, the close rows, its rigidity class),
    computed once and reused by the pairs of a :func:`labeling` call (each pair's answer is
    the one it gets alone). ``exclude_key`` hides every row of that core."""

    def __init__(self, tab: _TableArrays, trained: Iterable[Any],
                 exclude_key: str | None = None) -> None:
        self.tab = tab
        self.trained = set(trained)
        self.keep = (np.ones(len(tab.key), dtype=bool) if exclude_key is None
                     else tab.key != exclude_key)
        self._elements: dict[str, tuple] = {}
        self._domain: dict[tuple[int, str], bool] = {}
        self._ligand: list | None = None

    def element(self, el: str) -> tuple:
        """(same-element mask, its rows, close-ion mask, mild successes) of ``el``."""
        got = self._elements.get(el)
        if got is None:
            tab = self.tab
            same_el = self.keep & (tab.element == el)
            near = close_ions(el)
            mild = np.flatnonzero(same_el & tab.success
                                  & (tab.temperature <= MILD_MAX_TEMPERATURE_C)
                                  & (np.nan_to_num(tab.rcy) >= MILD_MIN_RCY_PERCENT))
            got = self._elements[el] = (same_el, np.flatnonzero(same_el), near,
                                        self.keep & np.isin(tab.element, list(near)), mild)
        return got

    def ligand(self, smiles: str, sims: np.ndarray) -> tuple:
        """(core key, its rows (None without a key), rows similar enough) of a ligand (the
        last one asked for is kept, with its rigidity class once needed: a labeling call asks
        ligand by ligand)."""
        if self._ligand is None or self._ligand[0] != smiles or self._ligand[1] is not sims:
            key = core_key(smiles)
            with np.errstate(invalid="ignore"):
                close = sims >= CLOSE_SIMILARITY
            self._ligand = [smiles, sims, key, (self.tab.key == key) if key else None, close,
                            None]
        return self._ligand[2:5]

    def in_domain(self, smiles: str, el: str) -> bool:
        """:func:`model_domain` of the ligand last given to :meth:`ligand`."""
        lig = self._ligand
        if lig is None or lig[0] != smiles:
            return _class_domain(rigidity_class(smiles), el, self.trained)
        if lig[5] is None:
            lig[5] = rigidity_class(smiles)
        cls = lig[5]
        got = self._domain.get((cls, el))
        if got is None:
            got = self._domain[(cls, el)] = _class_domain(cls, el, self.trained)
        return got


def assess(smiles: str, nuclide: NuclideSpec, p_model: float, sims: np.ndarray,
           tab: _TableArrays, trained: Iterable[str], exclude_key: str | None = None,
           *, context: AssessContext | None = None) -> dict[str, Any]:
    """The labeling answer for one pair (basis, probability, conditions, precedents, message).

    ``exclude_key`` hides every row of that core (leave-one-core-out validation).
    ``context``: an :class:`AssessContext` of the same ``tab``, ``trained`` and
    ``exclude_key``, shared by many pairs (built here when not given)."""
    ctx = context if context is not None else AssessContext(tab, trained, exclude_key)
    el = nuclide.element
    key, key_rows, close = ctx.ligand(smiles, sims)
    same_el, el_rows, near, near_rows, mild = ctx.element(el)
    exact = (np.flatnonzero(same_el & key_rows) if key else np.empty(0, dtype=np.int64))
    notes: list[str] = []
    nan = float("nan")
    rank = None
    if len(exact):
        basis, rows = "precedent", exact
        w = tab.weight[rows]
        notes.append(f"published precedent for this chelating core with {el}")
    else:
        ion_rows = np.flatnonzero(key_rows & near_rows) if key else np.empty(0, dtype=np.int64)
        core_rows = np.flatnonzero(same_el & close)
        if len(ion_rows) or len(core_rows):
            basis = "analogue"
            rows = np.concatenate([ion_rows, core_rows])
            # ion analogues (same core) rank first, then core analogues by similarity
            rank = np.concatenate([np.zeros(len(ion_rows)), 2.0 - sims[core_rows]])
            w = tab.weight[rows] * ANALOGUE_WEIGHT
            if len(ion_rows):
                ions = sorted({tab.radionuclide[i] for i in ion_rows})
                drs = ", ".join(f"{n} (ΔR {near[parse_nuclide(n).element]:g} pm)" for n in ions)
                notes.append(f"no precedent with {el}; same chelating core with the chemically "
                             f"close radiometal(s) {drs}")
            if len(core_rows):
                best = core_rows[np.argmax(sims[core_rows])]
                how = (f"similarity {sims[best]:.2f}"
                       if sims[best] > CLOSE_SIMILARITY or not skeleton_containment(
                           smiles, tab.uniq_smiles[tab.uniq_of_row[best]])
                       else "same donor skeleton: one is a substructure of the other")
                notes.append(f"close chelating core {tab.chelator[best]} ({how}) labeled with "
                             f"{el}")
        elif (in_domain := ctx.in_domain(smiles, el)) and np.isfinite(p_model):
            basis, rows, w = "model", np.empty(0, dtype=np.int64), np.empty(0)
            notes.append(f"no precedent or analogue for this chelating core with {el}: "
                         "probability from the kinetics model (see labeling_skill())")
        elif in_domain:
            basis, rows, w = "insufficient", np.empty(0, dtype=np.int64), np.empty(0)
            notes.append(f"insufficient evidence: no precedent or analogue with {el}, and the "
                         f"kinetics model is not used (no shown skill: its grouped "
                         f"cross-validation AUC on the table is below {MIN_INNER_AUC}, or its "
                         f"AUC on held-out cores is at chance)")
        else:
            basis, rows, w = "insufficient", np.empty(0, dtype=np.int64), np.empty(0)
            notes.append(f"insufficient evidence: no precedent or analogue, and the model has "
                         f"no training row of this kind of chelator (open chain / rigid / "
                         f"flexible macrocycle) with {el} or a close ion")
    if basis in ("precedent", "analogue"):
        prob = evidence_probability(tab.label[rows], w, p_model)
    elif basis == "model":
        prob = float(p_model)
    else:
        prob = nan
    src, kind = -1, ""
    if basis in ("precedent", "analogue"):
        src, kind = _condition_source(rows, tab, rank)
        if kind == "failed":
            notes.append("the precedents report labeling below 90 % at the conditions tried; "
                         "no conditions suggested")
        elif kind == "unreported":
            notes.append("the precedents report neither a usable temperature nor a yield; no "
                         "conditions suggested")
        elif kind == "unstated":
            notes.append("the precedents report labeling of 90 % or more but not the "
                         "temperature used; no conditions suggested")
        elif kind == "conditions":
            notes.append("conditions of a published protocol whose yield was not reported")
    elif basis == "model":
        if prob >= 0.5 and len(mild):
            src = int(mild[np.lexsort((np.nan_to_num(tab.time[mild], nan=np.inf),
                                       -sims[mild]))[0]])
            notes.append(f"mild conditions of the most similar chelator labeled mildly with "
                         f"{el} ({tab.chelator[src]}, similarity {sims[src]:.2f})")
        else:
            notes.append("mild labeling not expected and no precedent for this core: heating "
                         "conditions of other chelators are not transferable; no conditions "
                         "suggested")
    shown_ok = nan
    if basis in ("precedent", "analogue"):
        with np.errstate(invalid="ignore"):
            failed = np.isfinite(tab.rcy[rows]) & (tab.rcy[rows] < CLEAR_FAILURE_RCY_PERCENT)
        shown_ok = 0.0 if failed.all() else 1.0
    if src >= 0:
        shown = [src] + [int(i) for i in rows if i != src]
    elif len(rows):
        shown = [int(i) for i in rows]
    else:
        shown = [int(i) for i in el_rows[np.argsort(-sims[el_rows], kind="stable")]]
    shown = shown[:N_PRECEDENTS]
    prefix = "" if basis in ("precedent", "analogue") or src >= 0 else "other chelators: "
    status = "ok" if basis == "precedent" else "warning"
    return {
        "mild_labeling_prob": round(prob, 3) if np.isfinite(prob) else nan,
        "labeling_basis": basis,
        "suggested_temperature_C": float(tab.temperature[src]) if src >= 0 else nan,
        "suggested_time_min": float(tab.time[src]) if src >= 0 else nan,
        "suggested_pH": float(tab.ph[src]) if src >= 0 else nan,
        "suggested_ligand_conc_uM": float(tab.conc[src]) if src >= 0 else nan,
        "decay_loss_frac": decay_loss_fraction(nuclide.nuclide, float(tab.time[src]))
        if src >= 0 else nan,
        "labeling_shown": shown_ok,
        "precedents": (prefix + "; ".join(tab.texts[i] for i in shown)) if shown else "",
        "precedent_dois": "; ".join(dict.fromkeys(tab.dois[i] for i in shown)),
        "source_row": int(src),
        "status": status,
        "message": "; ".join(notes),
    }


@cache
def _missing_ion_values(element: str) -> tuple[str, ...]:
    return tuple(k for k, v in ion_descriptors(element).items() if not np.isfinite(v))


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def _is_read(ligands: Any) -> bool:
    """True for a :func:`chelscreen.io.read_ligands` result (not read a second time)."""
    return isinstance(ligands, pd.DataFrame) and {"smiles", "core_smiles", "status", "message",
                                                  "name", "input"} <= set(ligands.columns)


def _read_ligands(ligands: Any) -> pd.DataFrame:
    """Ligands through :func:`chelscreen.io.read_ligands` (``core_smiles`` = chelating unit)."""
    from chelscreen.io import read_ligands

    df = read_ligands(ligands)
    if "core_smiles" not in df.columns:
        df = df.assign(core_smiles=df["smiles"])
    return df


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _skill_note() -> str:
    s = labeling_skill()
    auc = s.get("model_auc", float("nan"))
    if auc is None or not np.isfinite(auc):
        return "model skill not validated (run benchmarks/validate_labeling.py)"
    return (f"the model alone has a leave-one-core-out AUC of {auc:.2f} (labeling_skill()); "
            "the ranking weighs it by that skill")


def labeling(ligands: Any, radionuclides: str | Sequence[str]) -> pd.DataFrame:
    """Mild-labeling probability, its basis and suggested conditions for every pair.

    Parameters
    ----------
    ligands
        Anything ``chelscreen.io.read_ligands`` accepts: a path, a list of SMILES / library
        names, a single SMILES or name, or a DataFrame with a ``smiles`` column.
    radionuclides
        ``"Ac-225,Ga-68"`` or a list such as ``["Ac-225", "Lu-177"]``.

    Returns
    -------
    pandas.DataFrame
        One row per ligand x radionuclide (ligand-major, input order, invalid ligands kept with
        ``status="invalid"``) with columns :data:`OUTPUT_COLUMNS`: ``mild_labeling_prob``
        (NaN when the basis is ``insufficient``), ``labeling_basis`` (precedent / analogue /
        model / insufficient), the suggested temperature, time, pH and ligand concentration
        (those of the first printed precedent), ``precedents`` (with DOIs) and
        ``precedent_dois``.

    Raises
    ------
    UnsupportedNuclideError
        For a radionuclide that cannot be parsed or has no ion data.

    Examples
    --------
    >>> from chelscreen.radiolabeling import labeling
    >>> labeling("macropa", "Ac-225")[["chelator", "labeling_basis"]]  # doctest: +SKIP
    """
    nuclides = parse_radionuclides(radionuclides)
    ligs = ligands if _is_read(ligands) else _read_ligands(ligands)
    model = fitted_model()
    tab = _default_arrays()
    empty = {**dict.fromkeys(OUTPUT_COLUMNS[3:11], float("nan")), "labeling_basis": "",
             "precedents": "", "precedent_dois": ""}
    rows: list[dict[str, Any]] = []
    todo: list[tuple[int, str, NuclideSpec, str, np.ndarray]] = []
    cols = {c: (ligs[c].tolist() if c in ligs.columns else [None] * len(ligs))
            for c in ("core_smiles", "smiles", "name", "input", "message", "status")}
    from chelscreen.chem.standardize import conjugate_parent_smiles

    for i in range(len(ligs)):
        smiles = _text(cols["core_smiles"][i]) or _text(cols["smiles"][i])
        # a conjugate is labeled through its chelator: DOTATATE's capped core (DOTA
        # mono-N-methylamide) is answered as DOTA, whose precedents name the conjugates they
        # were measured on ("DOTA (DOTATOC / DOTA-tate)"), so conjugate and core agree
        parent = conjugate_parent_smiles(_text(cols["core_smiles"][i]), _text(cols["smiles"][i]))
        smiles = parent or smiles
        name = _text(cols["name"][i]) or _text(cols["input"][i]) or smiles
        lig_msg = _text(cols["message"][i])
        status = cols["status"][i] if cols["status"][i] is not None else "ok"
        sims = None
        # the ligand's feature rows for every radionuclide at once (its terms computed once);
        # any other failure is retried pair by pair below, as each pair reports its own
        xs: np.ndarray | None = None
        if not (status == "invalid" or not smiles):
            try:
                xs = feature_matrix([smiles] * len(nuclides), [n.element for n in nuclides],
                                    model.features)
            except Exception:  # noqa: BLE001 - reported per pair below
                xs = None
        for j, nuc in enumerate(nuclides):
            base = {"chelator": name, "smiles": _text(cols["smiles"][i]),
                    "radionuclide": nuc.nuclide}
            if status == "invalid" or not smiles:
                msg = lig_msg or "invalid ligand; give a SMILES or a library name"
                rows.append({**base, **empty, "status": "invalid", "message": msg})
                continue
            try:
                x = xs[j] if xs is not None else feature_matrix([smiles], [nuc.element],
                                                                model.features)[0]
            except InvalidStructureError as exc:
                rows.append({**base, **empty, "status": "invalid", "message": str(exc)})
                continue
            except Exception as exc:  # noqa: BLE001 - one bad pair must not stop the batch
                logger.warning("labeling: %s / %s failed: %s", name, nuc.nuclide, exc)
                rows.append({**base, **empty, "status": "error",
                             "message": f"feature computation failed ({exc}); report this input"})
                continue
            if sims is None:
                sims = table_similarity(smiles, tab)
            rows.append(base)
            todo.append((len(rows) - 1, lig_msg, nuc, smiles, x, sims))
    if todo:
        probs = skill_shrunk(model.usable_proba(np.vstack([t[4] for t in todo])))
        ctx = AssessContext(tab, model.trained_elements_)
        skill_note = None
        for (k, lig_msg, nuc, smiles, _, sims), prob in zip(todo, probs):
            res = assess(smiles, nuc, float(prob), sims, tab, model.trained_elements_,
                         context=ctx)
            res.pop("source_row")
            notes = [lig_msg, res.pop("message")]
            if res["labeling_basis"] == "model":
                skill_note = _skill_note() if skill_note is None else skill_note
                notes.append(skill_note)
            missing = _missing_ion_values(nuc.element)
            if missing and res["labeling_basis"] == "model":
                notes.append(f"{nuc.ion or nuc.element}: {', '.join(missing)} missing in the "
                             "ion tables (training median used)")
            rows[k] = {**rows[k], **res, "message": "; ".join(m for m in notes if m)}
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)


# --------------------------------------------------------------------------------------------
# validation (leave one chelating core out; inner grouped CV for the model choice)
# --------------------------------------------------------------------------------------------
def _brier(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    ok = np.isfinite(p)
    return float(np.average((p[ok] - y[ok]) ** 2, weights=w[ok])) if ok.any() else float("nan")


def calibration_curve(y: np.ndarray, p: np.ndarray, w: np.ndarray,
                      edges: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)) -> list[dict]:
    """Weighted observed fraction of positives per predicted-probability bin."""
    out = []
    ok = np.isfinite(p)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = ok & (p >= lo) & ((p < hi) if hi < 1.0 else (p <= hi))
        if m.any():
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()),
                        "mean_pred": float(np.average(p[m], weights=w[m])),
                        "observed": float(np.average(y[m], weights=w[m]))})
    return out


def validate(table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Leave-one-chelating-core-out validation (groups: InChIKey first block of the core).

    For every core held out: the model's feature set, C and class balancing are chosen by
    grouped 5-fold CV on the remaining rows only (:func:`select_model`), the model is fitted
    there, and each labeled row of the held-out core is predicted three ways:

    * ``model``: the model alone (with the row's ligand concentration and pH);
    * ``tool``: what :func:`labeling` answers once the core's own rows are hidden (analogue
      evidence with the model as prior, else the model; an ``insufficient`` answer, NaN in the
      tool, is scored :data:`UNINFORMED_PROB`);
    * ``baseline``: precedent/analogue evidence with an uninformed prior, else
      :data:`UNINFORMED_PROB` (no model at all).

    The earlier scoring, where an answer without information got the *training cores' base
    rate*, is reported too (``*_trainrate_fallback``): that rate rises whenever a core with
    many failures is held out, which ranks exactly those failures high and pushes every AUC
    below 0.5 without saying anything about the answers.

    The suggested temperature is checked on every successful row with a temperature (its core
    hidden). Returns scores, per-row predictions and the calibration curve of the tool.
    """
    df = load_table() if table is None else table
    used = training_rows(df)
    keys = list(dict.fromkeys(used["core_key"]))
    n = len(used)
    p_model, p_tool, p_base, p_tool_tr, p_base_tr, p_base_fp = (np.full(n, np.nan)
                                                                 for _ in range(6))
    basis = np.array([""] * n, dtype=object)
    chosen: dict[str, int] = {}
    n_skilful = 0
    t_rows = []
    succ = df[(df["rcy_percent"].fillna(-1) >= SUCCESS_RCY_PERCENT)
              & df["temperature_C"].notna()]
    for key in keys:
        train_df = df[df["core_key"] != key]
        train_used = training_rows(train_df)
        y_tr = train_used["mild_label"].to_numpy(float)
        if len(set(y_tr.tolist())) < 2:
            continue
        model = fit_model(train_df)
        chosen[model.feature_set_] = chosen.get(model.feature_set_, 0) + 1
        n_skilful += int(model.skilful_)
        base_rate = float(np.average(y_tr, weights=train_used["label_weight"].to_numpy(float)))
        tab = table_arrays(train_df)
        idx = np.flatnonzero(used["core_key"].to_numpy() == key)
        sub = used.iloc[idx]
        X = _training_matrix(sub, model.features)
        p_model[idx] = model.predict_proba(X)
        pm = model.usable_proba(X)
        for j, r, prob in zip(idx, sub.itertuples(index=False), pm):
            nuc = parse_nuclide(r.radionuclide)
            sims = table_similarity(r.chelator_smiles, tab)
            a = assess(r.chelator_smiles, nuc, float(prob), sims, tab, model.trained_elements_)
            basis[j] = a["labeling_basis"]
            informed = np.isfinite(a["mild_labeling_prob"])
            p_tool[j] = a["mild_labeling_prob"] if informed else UNINFORMED_PROB
            p_tool_tr[j] = a["mild_labeling_prob"] if informed else base_rate
            b = assess(r.chelator_smiles, nuc, UNINFORMED_PROB, sims, tab,
                       model.trained_elements_)
            has_ev = b["labeling_basis"] in ("precedent", "analogue")
            p_base[j] = b["mild_labeling_prob"] if has_ev else UNINFORMED_PROB
            b = assess(r.chelator_smiles, nuc, base_rate, sims, tab, model.trained_elements_)
            p_base_tr[j] = b["mild_labeling_prob"] if has_ev else base_rate
            b = assess(r.chelator_smiles, nuc, UNINFORMED_PROB,
                       table_similarity(r.chelator_smiles, tab, containment=False), tab,
                       model.trained_elements_)
            p_base_fp[j] = (b["mild_labeling_prob"] if b["labeling_basis"] in
                            ("precedent", "analogue") else UNINFORMED_PROB)
        for r in succ[succ["core_key"] == key].itertuples(index=False):
            nuc = parse_nuclide(r.radionuclide)
            X1 = feature_matrix([r.chelator_smiles], [nuc.element], model.features)
            sims = table_similarity(r.chelator_smiles, tab)
            a = assess(r.chelator_smiles, nuc, float(model.usable_proba(X1)[0]), sims, tab,
                       model.trained_elements_)
            t_rows.append({"id": r.id, "chelator": r.chelator, "radionuclide": r.radionuclide,
                           "temperature_C": r.temperature_C,
                           "suggested_C": a["suggested_temperature_C"],
                           "basis": a["labeling_basis"]})
    y, w = used["mild_label"].to_numpy(float), used["label_weight"].to_numpy(float)
    trows = pd.DataFrame(t_rows, columns=["id", "chelator", "radionuclide", "temperature_C",
                                          "suggested_C", "basis"])
    has = trows["suggested_C"].notna()
    err = (trows.loc[has, "suggested_C"] - trows.loc[has, "temperature_C"]).abs()
    mild_pub = trows["temperature_C"] <= MILD_MAX_TEMPERATURE_C
    heated_sugg = trows["suggested_C"] > MILD_MAX_TEMPERATURE_C
    mild_sugg = trows["suggested_C"] <= MILD_MAX_TEMPERATURE_C
    class_ok = (mild_pub & mild_sugg) | (~mild_pub & (heated_sugg | trows["suggested_C"].isna()))
    preds = used[["id", "chelator", "radionuclide", "temperature_C", "time_min", "rcy_percent",
                  "mild_label", "label_weight"]].assign(
        p_model=p_model, p_tool=p_tool, p_baseline=p_base, p_baseline_fingerprint=p_base_fp,
        p_tool_trainrate=p_tool_tr,
        p_baseline_trainrate=p_base_tr, basis_held_out=basis)
    scored = np.isfinite(p_model)
    return {
        "n_rows": int(len(df)), "n": int(scored.sum()), "n_training_rows": int(n),
        "n_positive": int((used["mild_label"] == 1).sum()),
        "n_cores": int(len(keys)), "n_chelators": int(df["chelator"].nunique()),
        "loco_auc": weighted_auc(y[scored], p_tool[scored], w[scored]),
        "brier": _brier(y[scored], p_tool[scored], w[scored]),
        "model_auc": weighted_auc(y[scored], p_model[scored], w[scored]),
        "model_brier": _brier(y[scored], p_model[scored], w[scored]),
        "baseline_auc": weighted_auc(y[scored], p_base[scored], w[scored]),
        "baseline_brier": _brier(y[scored], p_base[scored], w[scored]),
        "baseline_auc_fingerprint_only": weighted_auc(y[scored], p_base_fp[scored], w[scored]),
        "loco_auc_unweighted": weighted_auc(y[scored], p_tool[scored]),
        "baseline_auc_unweighted": weighted_auc(y[scored], p_base[scored]),
        "loco_auc_trainrate_fallback": weighted_auc(y[scored], p_tool_tr[scored], w[scored]),
        "baseline_auc_trainrate_fallback": weighted_auc(y[scored], p_base_tr[scored],
                                                        w[scored]),
        "n_informed": int((scored & (basis != "insufficient")).sum()),
        "loco_auc_informed": weighted_auc(y[scored & (basis != "insufficient")],
                                          p_tool[scored & (basis != "insufficient")],
                                          w[scored & (basis != "insufficient")]),
        "calibration": calibration_curve(y[scored], p_tool[scored], w[scored]),
        "feature_sets_chosen": chosen, "n_folds": int(sum(chosen.values())),
        "n_folds_model_used": int(n_skilful),
        "temperature_mae_C": float(err.mean()) if len(err) else float("nan"),
        "temperature_n": int(has.sum()), "temperature_n_total": int(len(trows)),
        "temperature_class_accuracy": float(class_ok.mean()) if len(trows) else float("nan"),
        "predictions": preds, "temperature_rows": trows,
    }


def coverage(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows, chelators and mild positives per radionuclide in the table."""
    df = load_table() if table is None else table
    g = df.groupby("radionuclide")
    return pd.DataFrame({
        "rows": g.size(),
        "chelators": g["chelator"].nunique(),
        "mild_positive": g["mild_label"].apply(lambda s: int((s == 1).sum())),
        "training_rows": g["mild_label"].apply(lambda s: int(s.notna().sum())),
    }).reset_index()
