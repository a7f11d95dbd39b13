"""Radiolabeling feasibility and suggested conditions, learned from published labeling results.

The curated table ``molecules/labeling.csv`` holds published radiolabeling results (chelator,
radionuclide, temperature, time, pH, ligand amount, yield, citation with a verbatim quote). From it
this module derives, for any chelator x radionuclide pair:

* ``mild_labeling_prob``: probability that *mild* labeling works, i.e. >= 95 % conversion at
  <= 40 degC within <= 30 min (a small L2-regularised logistic regression, refit from the CSV on
  first use; no pickles);
* suggested conditions (temperature, time, pH) taken from the closest published precedents
  (same element, most similar chelating unit by count-fingerprint Tanimoto);
* ``decay_loss_frac``: activity lost to decay during the suggested labeling time;
* ``precedents``: up to three closest published results, with citation.

How table rows become training labels (documented in ``molecules/LABELING_CARD.md``):

* ``T <= 40 degC``, ``time <= 30 min``, yield >= 95 %                 -> positive (weight 1)
* ``T <= 40 degC`` and yield < 95 % (or > 30 min needed)              -> negative (weight 1; a
  nanoparticle / > 60 min row gets weight 0.3)
* ``T > 40 degC`` (heated only)                                       -> weak negative (weight 0.3):
  authors heat when room temperature is not enough, but a heated-only row is not proof that RT fails
* rows without yield or temperature (or a mild row without time) -> precedents only

Features come from the project's own modules, nothing is perceived twice:
:func:`chelscreen.chem.descriptors.ligand_features` for the chelating unit (macrocycle ring size,
cavity radius, preorganization, donor count) and :func:`chelscreen.metals.ion_features` for the
ion (charge, Shannon radius at the preferred CN, first hydrolysis constant, preferred CN).
:data:`CANDIDATE_FEATURES` lists every pair feature; :data:`FEATURE_SETS` the few small sets that
were compared by leave-one-chelator-out validation; :data:`FEATURE_NAMES` the set in use (chosen
on that same validation, so its figures are optimistic; see the card). With a few dozen training
rows nothing more can be supported; the model is a coarse prior, the precedents are the evidence.
"""

from __future__ import annotations

import logging
import math
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
#: Sample weights of the three kinds of training rows.
WEIGHT_DIRECT = 1.0
WEIGHT_WEAK = 0.3
#: Logistic-regression inverse regularisation strength (standardised features).
REGULARISATION_C = 0.5
#: Tanimoto similarity at which a precedent counts as "the same kind of chelator".
CLOSE_SIMILARITY = 0.75
#: Said in every scored row: the classifier's held-out skill is near chance (LABELING_CARD.md),
#: so its probability is a weak prior and the cited precedents are the evidence.
PROB_CAVEAT = ("mild_labeling_prob is a weak prior (near-chance leave-one-chelator-out skill, "
               "see molecules/LABELING_CARD.md): check the precedents")

#: Fewer same-element rows than this -> status "warning" (thin data).
THIN_DATA_ROWS = 3

OUTPUT_COLUMNS = [
    "chelator",
    "smiles",
    "radionuclide",
    "mild_labeling_prob",
    "suggested_temperature_C",
    "suggested_time_min",
    "suggested_pH",
    "decay_loss_frac",
    "precedents",
    "status",
    "message",
]

#: Every pair feature :func:`pair_features` computes (see :func:`pair_features` for definitions).
CANDIDATE_FEATURES = [
    "macrocycle",
    "preorganization_code",
    "cavity_mismatch_pm",
    "ring_size_mismatch",
    "denticity_excess",
    "ion_charge",
    "log_beta1_hydrolysis",
    "ligand_charge_pH7_4",
]
#: Small, physically motivated feature sets compared by leave-one-chelator-out validation
#: (``benchmarks/validate_labeling.py`` prints the AUC of each).
FEATURE_SETS: dict[str, list[str]] = {
    "macrocycle": ["macrocycle"],
    "macrocycle+cavity": ["macrocycle", "cavity_mismatch_pm"],
    "macrocycle+ring_size": ["macrocycle", "ring_size_mismatch"],
    "macrocycle+ring_size+denticity": ["macrocycle", "ring_size_mismatch", "denticity_excess"],
    "macrocycle+ring_size+ion": ["macrocycle", "ring_size_mismatch", "ion_charge",
                                 "log_beta1_hydrolysis"],
    "preorg+cavity+denticity": ["preorganization_code", "cavity_mismatch_pm", "denticity_excess"],
    "macrocycle+cavity+hydrolysis": ["macrocycle", "cavity_mismatch_pm", "log_beta1_hydrolysis"],
}
#: The set in use (chosen on the leave-one-chelator-out AUC; see the card).
SELECTED_FEATURE_SET = "macrocycle+ring_size+denticity"
FEATURE_NAMES = FEATURE_SETS[SELECTED_FEATURE_SET]

# Anchors of the ring-size mismatch feature: the 9-membered NOTA ring fits Ga3+ (CN6 Shannon
# radius 62 pm), the 18-membered macropa ring fits Ac3+ (112 pm); linear in between, extrapolated
# outside. Radii come from chelscreen.metals at run time, so the anchors follow the ion table.
_RING_ANCHORS = (("Ga", 9.0), ("Ac", 18.0))


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


@cache
def half_life_s(nuclide: str) -> float:
    """Half-life in seconds (:func:`chelscreen.decay.decay_chain`, ICRP-107 data)."""
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
            "cn_preferred": float(f["cn_preferred"])}


# --------------------------------------------------------------------------------------------
# ligands (features from chelscreen.chem.descriptors)
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _ligand_features_cached(smiles: str) -> tuple[tuple[str, Any], ...] | None:
    from rdkit import Chem

    from chelscreen.chem.descriptors import ligand_features

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    return tuple(ligand_features(mol).items())


def ligand_descriptors(smiles: str) -> dict[str, Any]:
    """:func:`chelscreen.chem.descriptors.ligand_features` of a chelating unit (cached by SMILES).

    Raises
    ------
    InvalidStructureError
        If RDKit cannot parse ``smiles``.
    """
    feats = _ligand_features_cached(smiles)
    if feats is None:
        raise InvalidStructureError(f"RDKit cannot parse the SMILES '{smiles}'; check it.")
    return dict(feats)


def _preferred_ring_size(r6_pm: float) -> float:
    (el_a, n_a), (el_b, n_b) = _RING_ANCHORS
    r_a, r_b = ion_descriptors(el_a)["r_ionic_cn6_pm"], ion_descriptors(el_b)["r_ionic_cn6_pm"]
    return n_a + (r6_pm - r_a) * (n_b - n_a) / (r_b - r_a)


def pair_features(smiles: str, element: str) -> dict[str, float]:
    """Every candidate feature (:data:`CANDIDATE_FEATURES`) of a chelating unit x element pair.

    * ``macrocycle``: 1 if ``ligand_features`` finds a macrocycle (``preorganization_code`` >= 2);
    * ``preorganization_code``: 0 acyclic, 1 rigid acyclic, 2 macrocyclic, 3 macrobicyclic;
    * ``cavity_mismatch_pm``: |``cavity_radius_pm`` - Shannon radius of the ion at its preferred
      CN| for a macrocycle, 0 for an open-chain chelator;
    * ``ring_size_mismatch``: |``macrocycle_ring_size`` - ring size the ion prefers| / 3, the
      preferred size linear in the CN6 radius between NOTA-Ga3+ (9) and macropa-Ac3+ (18); 0 for
      an open-chain chelator;
    * ``denticity_excess``: ``n_donors`` - the ion's preferred CN;
    * ``ion_charge``, ``log_beta1_hydrolysis``: from ``chelscreen.metals.ion_features``;
    * ``ligand_charge_pH7_4``: ``charge_pH7_4`` of ``ligand_features``.
    """
    lig = ligand_descriptors(smiles)
    ion = ion_descriptors(element)
    macro = float(lig["preorganization_code"] >= 2 and lig["macrocycle_ring_size"] > 0)
    ring = float(lig["macrocycle_ring_size"])
    return {
        "macrocycle": macro,
        "preorganization_code": float(lig["preorganization_code"]),
        "cavity_mismatch_pm": abs(float(lig["cavity_radius_pm"]) - ion["r_ionic_pm"]) * macro,
        "ring_size_mismatch": abs(ring - _preferred_ring_size(ion["r_ionic_cn6_pm"])) / 3.0
        * macro,
        "denticity_excess": float(lig["n_donors"]) - ion["cn_preferred"],
        "ion_charge": ion["ion_charge"],
        "log_beta1_hydrolysis": ion["log_beta1_hydrolysis"],
        "ligand_charge_pH7_4": float(lig["charge_pH7_4"]),
    }


@lru_cache(maxsize=4096)
def _fingerprints(smiles: str):
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    mol = Chem.MolFromSmiles(smiles)
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
    """The curated labeling table ``molecules/labeling.csv`` with derived label columns."""
    path = molecules_dir() / "labeling.csv"
    if not path.is_file():
        raise InputFileError(f"labeling table missing: {path}; reinstall chelscreen.")
    df = pd.read_csv(path, dtype={"molar_activity": str, "pH": float})
    missing = [c for c in TABLE_COLUMNS if c not in df.columns]
    if missing:
        raise InputFileError(f"{path} lacks columns {missing}.")
    df["element"] = [parse_nuclide(n).element for n in df["radionuclide"]]
    labels = [label_row(r) for r in df.itertuples(index=False)]
    df["mild_label"] = [lab for lab, _ in labels]
    df["label_weight"] = [w for _, w in labels]
    return df


def label_row(row: Any) -> tuple[float, float]:
    """Training label (1, 0 or NaN) and sample weight of one table row (see module docstring)."""
    t, time, rcy = row.temperature_C, row.time_min, row.rcy_percent
    if not (np.isfinite(t) and np.isfinite(rcy)):
        return float("nan"), 0.0
    if t <= MILD_MAX_TEMPERATURE_C and not np.isfinite(time):
        return float("nan"), 0.0  # a mild row without its time cannot be judged
    time = float(time) if np.isfinite(time) else float("inf")
    if t <= MILD_MAX_TEMPERATURE_C:
        if rcy >= MILD_MIN_RCY_PERCENT and time <= MILD_MAX_TIME_MIN:
            return 1.0, WEIGHT_DIRECT
        return 0.0, (WEIGHT_WEAK if time > 60 else WEIGHT_DIRECT)
    return 0.0, WEIGHT_WEAK


def feature_matrix(smiles: Sequence[str], elements: Sequence[str],
                   features: Sequence[str] | None = None) -> np.ndarray:
    """Rows of :func:`pair_features` restricted to ``features`` (default :data:`FEATURE_NAMES`)."""
    names = list(FEATURE_NAMES if features is None else features)
    return np.array([[pair_features(s, e)[f] for f in names] for s, e in zip(smiles, elements)],
                    dtype=float).reshape(len(smiles), len(names))


def _training_matrix(df: pd.DataFrame, features: Sequence[str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    used = df[df["mild_label"].notna()]
    X = feature_matrix(list(used["chelator_smiles"]), list(used["element"]), features)
    return X, used["mild_label"].to_numpy(float), used["label_weight"].to_numpy(float)


@dataclass
class MildLabelingModel:
    """Standardised L2 logistic regression on ``features`` (default :data:`FEATURE_NAMES`).

    A missing ion value (NaN in ``chelscreen.metals``) is imputed with the training median.
    """

    C: float = REGULARISATION_C
    features: tuple[str, ...] = tuple(FEATURE_NAMES)

    def fit(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> MildLabelingModel:
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if len(set(y.tolist())) < 2:
            raise ValueError("labeling table needs both mild successes and failures to fit.")
        self.pipeline_ = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                                       LogisticRegression(C=self.C))
        self.pipeline_.fit(X, y, logisticregression__sample_weight=w)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.pipeline_.predict_proba(X)[:, 1]

    @property
    def coefficients(self) -> dict[str, float]:
        coef = self.pipeline_.named_steps["logisticregression"].coef_[0]
        return dict(zip(self.features, map(float, coef)))


@lru_cache(maxsize=1)
def fitted_model() -> MildLabelingModel:
    """The model fitted on the whole table (cached for the process)."""
    X, y, w = _training_matrix(load_table())
    return MildLabelingModel().fit(X, y, w)


# --------------------------------------------------------------------------------------------
# precedents and suggested conditions
# --------------------------------------------------------------------------------------------
def _fmt(x: float, unit: str = "", nd: int = 0) -> str:
    if x is None or not np.isfinite(x):
        return "?"
    return f"{x:.{nd}f}{unit}"


def _precedent_text(r: pd.Series) -> str:
    name = r["chelator"] + (f" ({r['conjugate']})" if isinstance(r["conjugate"], str)
                            and r["conjugate"] else "")
    ph = f", pH {r['pH']:g}" if np.isfinite(r["pH"]) else ""
    rcy = f"{r['rcy_percent']:g} %" if np.isfinite(r["rcy_percent"]) else "yield n/r"
    return (f"{name}/{r['radionuclide']}: {_fmt(r['temperature_C'], ' °C', 0)}, "
            f"{_fmt(r['time_min'], ' min', 0)}{ph}, {rcy} ({r['doi']})")


def _success(df: pd.DataFrame) -> pd.Series:
    return df["rcy_percent"].fillna(-1) >= 90.0


def suggest(smiles: str, nuclide: NuclideSpec, prob: float,
            table: pd.DataFrame | None = None, exclude_chelator: str | None = None
            ) -> dict[str, Any]:
    """Suggested conditions, precedents, status and message for one pair.

    Rules, in order: (1) a successful same-element precedent with a similar chelating unit
    (Tanimoto >= ``CLOSE_SIMILARITY``): its mildest conditions; (2) no close precedent and the
    model predicts mild labeling (p >= 0.5): the mildest successful same-element conditions;
    (3) otherwise heated conditions: the same chelator's mildest heated success with any element,
    else the element's heated successes, else nothing (NaN) with a message.
    """
    df = load_table() if table is None else table
    if exclude_chelator is not None:
        df = df[df["chelator"] != exclude_chelator]
    df = df.assign(similarity=[tanimoto(smiles, s) for s in df["chelator_smiles"]])
    same = df[df["element"] == nuclide.element].sort_values(
        ["similarity", "rcy_percent"], ascending=[False, False])
    ok = same[_success(same) & same["temperature_C"].notna()]
    notes: list[str] = []
    source = None
    close = ok[ok["similarity"] >= CLOSE_SIMILARITY]
    if len(close):
        source = close.sort_values(["temperature_C", "time_min"]).iloc[0]
        notes.append("conditions from the closest published precedent")
    elif prob >= 0.5 and len(ok[ok["temperature_C"] <= MILD_MAX_TEMPERATURE_C]):
        mild = ok[ok["temperature_C"] <= MILD_MAX_TEMPERATURE_C]
        source = mild.sort_values(["similarity", "time_min"], ascending=[False, True]).iloc[0]
        notes.append(f"no close precedent for {nuclide.nuclide}; mild conditions of another "
                     f"chelator ({source['chelator']}) with {nuclide.element}")
    else:
        chel_ok = df[_success(df) & (df["similarity"] >= CLOSE_SIMILARITY)
                     & (df["temperature_C"] > MILD_MAX_TEMPERATURE_C)]
        heated = ok[ok["temperature_C"] > MILD_MAX_TEMPERATURE_C]
        if len(chel_ok):
            source = chel_ok.sort_values(["similarity", "temperature_C"],
                                         ascending=[False, True]).iloc[0]
            notes.append(f"no close precedent with {nuclide.element}; heated conditions of the "
                         f"same chelator with {source['radionuclide']}")
        elif len(heated):
            source = heated.sort_values("similarity", ascending=False).iloc[0]
            notes.append(f"no close precedent; heated conditions used for {nuclide.element} "
                         f"with {source['chelator']}")
        else:
            notes.append(f"no successful published labeling with {nuclide.element} in the table; "
                         "no conditions suggested")
    n_same = len(same)
    status = "ok"
    if n_same < THIN_DATA_ROWS:
        status = "warning"
        notes.append(f"thin data: {n_same} table row(s) for {nuclide.element}")
    if not len(same) or same["similarity"].max() < CLOSE_SIMILARITY:
        status = "warning"
        notes.append("no similar chelator labeled with this element in the table")
    missing = [k for k, v in ion_descriptors(nuclide.element).items() if not np.isfinite(v)]
    if missing:
        notes.append(f"{nuclide.ion or nuclide.element}: {', '.join(missing)} missing in the ion "
                     "table (training median used)")
    t = float(source["temperature_C"]) if source is not None else float("nan")
    tm = float(source["time_min"]) if source is not None else float("nan")
    ph = float(source["pH"]) if source is not None else float("nan")
    prec = "; ".join(_precedent_text(r) for _, r in same.head(3).iterrows())
    return {"suggested_temperature_C": t, "suggested_time_min": tm, "suggested_pH": ph,
            "decay_loss_frac": decay_loss_fraction(nuclide.nuclide, tm),
            "precedents": prec, "status": status, "message": "; ".join(notes)}


def _is_read(ligands: Any) -> bool:
    """True for a :func:`chelscreen.io.read_ligands` result (not read a second time)."""
    return isinstance(ligands, pd.DataFrame) and {"smiles", "core_smiles", "status", "message",
                                                  "name", "input"} <= set(ligands.columns)


@dataclass(frozen=True)
class _TableArrays:
    """The labeling table as arrays, for :func:`_suggest_fast` (built once per process)."""

    morgan: list
    pairs: list
    uniq_of_row: np.ndarray
    uniq_ok: np.ndarray
    element: np.ndarray
    chelator: np.ndarray
    radionuclide: np.ndarray
    temperature: np.ndarray
    time: np.ndarray
    ph: np.ndarray
    rcy: np.ndarray
    success: np.ndarray
    texts: list
    rows_of_element: dict


@lru_cache(maxsize=1)
def _table_arrays() -> _TableArrays:
    df = load_table()
    uniq = list(dict.fromkeys(df["chelator_smiles"].astype(str)))
    fps = [_fingerprints(s) for s in uniq]
    pos = {s: k for k, s in enumerate(uniq)}
    element = df["element"].to_numpy(dtype=object)
    return _TableArrays(
        morgan=[f[0] for f in fps if f is not None],
        pairs=[f[1] for f in fps if f is not None],
        uniq_of_row=np.array([pos[str(s)] for s in df["chelator_smiles"]], dtype=np.int64),
        uniq_ok=np.array([f is not None for f in fps], dtype=bool),
        element=element,
        chelator=df["chelator"].to_numpy(dtype=object),
        radionuclide=df["radionuclide"].to_numpy(dtype=object),
        temperature=df["temperature_C"].to_numpy(dtype=float),
        time=df["time_min"].to_numpy(dtype=float),
        ph=df["pH"].to_numpy(dtype=float),
        rcy=df["rcy_percent"].to_numpy(dtype=float),
        success=_success(df).to_numpy(dtype=bool),
        texts=[_precedent_text(r) for _, r in df.iterrows()],
        rows_of_element={e: np.flatnonzero(element == e) for e in dict.fromkeys(element)},
    )


def _table_similarity(smiles: str, tab: _TableArrays) -> np.ndarray:
    """:func:`tanimoto` of ``smiles`` against every table row (bulk, same values)."""
    from rdkit import DataStructs

    n_uniq = len(tab.uniq_ok)
    sim_u = np.zeros(n_uniq)
    fa = _fingerprints(smiles)
    if fa is not None and tab.uniq_ok.any():
        a = np.array(DataStructs.BulkTanimotoSimilarity(fa[0], tab.morgan))
        b = np.array(DataStructs.BulkTanimotoSimilarity(fa[1], tab.pairs))
        sim_u[tab.uniq_ok] = (a + b) / 2.0  # == np.mean([a, b]) of tanimoto()
    return sim_u[tab.uniq_of_row]


def _first_desc_quicksort(values: np.ndarray) -> int:
    """Position of the first row of pandas' single-column ``sort_values(ascending=False)``
    (``nargsort`` with ``kind="quicksort"``; ``values`` without NaN)."""
    idx = np.arange(len(values))[::-1]
    order = idx[values[::-1].argsort(kind="quicksort")][::-1]
    return int(order[0])


def _suggest_fast(sim: np.ndarray, nuclide: NuclideSpec, prob: float,
                  tab: _TableArrays) -> dict[str, Any]:
    """:func:`suggest` (whole table, nothing excluded) on precomputed arrays; same results.

    The pandas sorts of :func:`suggest` are reproduced exactly: multi-column sorts are stable
    lexsorts (descending = negated key, NaN last), the single-column one is pandas' quicksort
    ``nargsort``.
    """
    rows_e = tab.rows_of_element.get(nuclide.element, np.empty(0, dtype=np.int64))
    same = rows_e[np.lexsort((-tab.rcy[rows_e], -sim[rows_e]))]
    ok = same[tab.success[same] & ~np.isnan(tab.temperature[same])]
    notes: list[str] = []
    src = -1
    close = ok[sim[ok] >= CLOSE_SIMILARITY]
    mild = ok[tab.temperature[ok] <= MILD_MAX_TEMPERATURE_C]
    if len(close):
        src = int(close[np.lexsort((tab.time[close], tab.temperature[close]))[0]])
        notes.append("conditions from the closest published precedent")
    elif prob >= 0.5 and len(mild):
        src = int(mild[np.lexsort((tab.time[mild], -sim[mild]))[0]])
        notes.append(f"no close precedent for {nuclide.nuclide}; mild conditions of another "
                     f"chelator ({tab.chelator[src]}) with {nuclide.element}")
    else:
        with np.errstate(invalid="ignore"):
            chel_ok = np.flatnonzero(tab.success & (sim >= CLOSE_SIMILARITY)
                                     & (tab.temperature > MILD_MAX_TEMPERATURE_C))
        heated = ok[tab.temperature[ok] > MILD_MAX_TEMPERATURE_C]
        if len(chel_ok):
            src = int(chel_ok[np.lexsort((tab.temperature[chel_ok], -sim[chel_ok]))[0]])
            notes.append(f"no close precedent with {nuclide.element}; heated conditions of the "
                         f"same chelator with {tab.radionuclide[src]}")
        elif len(heated):
            src = int(heated[_first_desc_quicksort(sim[heated])])
            notes.append(f"no close precedent; heated conditions used for {nuclide.element} "
                         f"with {tab.chelator[src]}")
        else:
            notes.append(f"no successful published labeling with {nuclide.element} in the table; "
                         "no conditions suggested")
    n_same = len(same)
    status = "ok"
    if n_same < THIN_DATA_ROWS:
        status = "warning"
        notes.append(f"thin data: {n_same} table row(s) for {nuclide.element}")
    if not n_same or sim[same].max() < CLOSE_SIMILARITY:
        status = "warning"
        notes.append("no similar chelator labeled with this element in the table")
    missing = _missing_ion_values(nuclide.element)
    if missing:
        notes.append(f"{nuclide.ion or nuclide.element}: {', '.join(missing)} missing in the ion "
                     "table (training median used)")
    nan = float("nan")
    t = float(tab.temperature[src]) if src >= 0 else nan
    tm = float(tab.time[src]) if src >= 0 else nan
    ph = float(tab.ph[src]) if src >= 0 else nan
    prec = "; ".join(tab.texts[i] for i in same[:3])
    return {"suggested_temperature_C": t, "suggested_time_min": tm, "suggested_pH": ph,
            "decay_loss_frac": decay_loss_fraction(nuclide.nuclide, tm),
            "precedents": prec, "status": status, "message": "; ".join(notes)}


@cache
def _missing_ion_values(element: str) -> tuple[str, ...]:
    return tuple(k for k, v in ion_descriptors(element).items() if not np.isfinite(v))


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def _read_ligands(ligands: Any) -> pd.DataFrame:
    """Ligands through :func:`chelscreen.io.read_ligands` (``core_smiles`` = chelating unit)."""
    from chelscreen.io import read_ligands

    df = read_ligands(ligands)
    if "core_smiles" not in df.columns:
        df = df.assign(core_smiles=df["smiles"])
    return df


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def labeling(ligands: Any, radionuclides: str | Sequence[str]) -> pd.DataFrame:
    """Mild-labeling probability and suggested conditions for every chelator x radionuclide.

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
        ``status="invalid"``) with columns :data:`OUTPUT_COLUMNS`.

    Raises
    ------
    UnsupportedNuclideError
        For a radionuclide that cannot be parsed or has no ion data.

    Examples
    --------
    >>> from chelscreen.radiolabeling import labeling
    >>> labeling("macropa", "Ac-225")[["chelator", "mild_labeling_prob"]]  # doctest: +SKIP
    """
    nuclides = parse_radionuclides(radionuclides)
    ligs = ligands if _is_read(ligands) else _read_ligands(ligands)
    model = fitted_model()
    tab = _table_arrays()
    empty = {**dict.fromkeys(OUTPUT_COLUMNS[3:8], float("nan")), "precedents": ""}
    rows: list[dict[str, Any]] = []
    # pass 1: one row per pair; features of the pairs that can be scored (cached per ligand)
    todo: list[tuple[int, str, NuclideSpec, str, np.ndarray]] = []
    cols = {c: (ligs[c].tolist() if c in ligs.columns else [None] * len(ligs))
            for c in ("core_smiles", "smiles", "name", "input", "message", "status")}
    for i in range(len(ligs)):
        smiles = _text(cols["core_smiles"][i]) or _text(cols["smiles"][i])
        name = _text(cols["name"][i]) or _text(cols["input"][i]) or smiles
        lig_msg = _text(cols["message"][i])
        status = cols["status"][i] if cols["status"][i] is not None else "ok"
        sims = None
        for nuc in nuclides:
            base = {"chelator": name, "smiles": _text(cols["smiles"][i]),
                    "radionuclide": nuc.nuclide}
            if status == "invalid" or not smiles:
                msg = lig_msg or "invalid ligand; give a SMILES or a library name"
                rows.append({**base, **empty, "status": "invalid", "message": msg})
                continue
            try:
                x = feature_matrix([smiles], [nuc.element])[0]
            except InvalidStructureError as exc:
                rows.append({**base, **empty, "status": "invalid", "message": str(exc)})
                continue
            except Exception as exc:  # noqa: BLE001 - one bad pair must not stop the batch
                logger.warning("labeling: %s / %s failed: %s", name, nuc.nuclide, exc)
                rows.append({**base, **empty, "status": "error",
                             "message": f"feature computation failed ({exc}); report this input"})
                continue
            if sims is None:
                sims = _table_similarity(smiles, tab)
            rows.append(base)
            todo.append((len(rows) - 1, lig_msg, nuc, sims, x))
    # pass 2: one classifier call for every scorable pair, then the precedent rules
    if todo:
        probs = model.predict_proba(np.vstack([t[4] for t in todo]))
        for (k, lig_msg, nuc, sims, _), prob in zip(todo, probs):
            res = _suggest_fast(sims, nuc, float(prob), tab)
            msg = "; ".join(m for m in (lig_msg, res.pop("message"), PROB_CAVEAT) if m)
            rows[k] = {**rows[k], "mild_labeling_prob": round(float(prob), 3), **res,
                       "message": msg}
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _loco_predictions(df: pd.DataFrame, features: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    used = df[df["mild_label"].notna()].reset_index(drop=True)
    preds = np.full(len(used), np.nan)
    for chel in used["chelator"].unique():
        X, y, w = _training_matrix(df[df["chelator"] != chel], features)
        if len(set(y.tolist())) < 2:
            continue
        model = MildLabelingModel(features=tuple(features)).fit(X, y, w)
        idx = used.index[used["chelator"] == chel]
        preds[idx] = model.predict_proba(feature_matrix(
            list(used.loc[idx, "chelator_smiles"]), list(used.loc[idx, "element"]), features))
    return used, preds


def _scores(y: np.ndarray, w: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    ok = np.isfinite(p)
    y, w, p = y[ok], w[ok], p[ok]
    auc = float(roc_auc_score(y, p, sample_weight=w)) if len(set(y.tolist())) == 2 else float(
        "nan")
    direct = w >= WEIGHT_DIRECT
    auc_direct = (float(roc_auc_score(y[direct], p[direct])) if len(set(y[direct].tolist())) == 2
                  else float("nan"))
    return {"auc": auc, "auc_direct_rows": auc_direct,
            "brier": float(np.average((p - y) ** 2, weights=w)),
            "accuracy": float(np.average((p >= 0.5) == (y == 1), weights=w)),
            "n_scored": int(ok.sum())}


def compare_feature_sets(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Leave-one-chelator-out scores of every set in :data:`FEATURE_SETS` (one row per set)."""
    df = load_table() if table is None else table
    out = []
    for name, feats in FEATURE_SETS.items():
        used, preds = _loco_predictions(df, feats)
        s = _scores(used["mild_label"].to_numpy(float), used["label_weight"].to_numpy(float),
                    preds)
        out.append({"feature_set": name, "features": ", ".join(feats), **s,
                    "selected": name == SELECTED_FEATURE_SET})
    return pd.DataFrame(out)


def validate(table: pd.DataFrame | None = None,
             features: Sequence[str] | None = None) -> dict[str, Any]:
    """Leave-one-chelator-out validation of the classifier and of the suggested temperature.

    Returns a dict with ``n_rows``, ``n_chelators``, ``auc``, ``auc_direct_rows`` (unweighted,
    room-temperature rows only), ``brier``, ``accuracy`` (weighted by the sample weights,
    threshold 0.5), ``temperature_mae_C`` (suggested vs published temperature of the successful
    rows, the row's chelator held out) and per-row predictions.
    """
    df = load_table() if table is None else table
    feats = list(FEATURE_NAMES if features is None else features)
    used, preds = _loco_predictions(df, feats)
    y, w = used["mild_label"].to_numpy(float), used["label_weight"].to_numpy(float)
    scores = _scores(y, w, preds)
    errs, trows = [], []
    succ = df[_success(df) & df["temperature_C"].notna()]
    for _, r in succ.iterrows():
        nuc = parse_nuclide(r["radionuclide"])
        hit = used.index[used["id"] == r["id"]]
        p = preds[hit[0]] if len(hit) else 0.5
        s = suggest(r["chelator_smiles"], nuc, float(p) if np.isfinite(p) else 0.5,
                    table=df, exclude_chelator=r["chelator"])
        if np.isfinite(s["suggested_temperature_C"]):
            errs.append(abs(s["suggested_temperature_C"] - r["temperature_C"]))
        trows.append((r["id"], r["chelator"], r["radionuclide"], r["temperature_C"],
                      s["suggested_temperature_C"]))
    model = MildLabelingModel(features=tuple(feats)).fit(*_training_matrix(df, feats))
    return {
        "n_rows": int(len(df)), "n_training_rows": int(len(used)),
        "n_positive": int((used["mild_label"] == 1).sum()),
        "n_chelators": int(df["chelator"].nunique()),
        "features": feats, **scores,
        "temperature_mae_C": float(np.mean(errs)) if errs else float("nan"),
        "temperature_n": len(errs), "temperature_n_total": len(trows),
        "predictions": used.assign(loco_prob=preds)[
            ["id", "chelator", "radionuclide", "temperature_C", "time_min", "rcy_percent",
             "mild_label", "label_weight", "loco_prob"]],
        "temperature_rows": pd.DataFrame(trows, columns=["id", "chelator", "radionuclide",
                                                         "temperature_C", "suggested_C"]),
        "coefficients": model.coefficients,
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
