"""Scores of a chelator–radionuclide pair, their ranking, and the sentence that explains them.

Every term is a quantity a radiochemist already reasons with; the weights start from the
physical argument written next to each of them, only the structural-inertness coefficients are
calibrated (on the cited retention evidence, see below), and nothing here knows any chelator by
name. Published evidence for a pair is used as evidence and beats the model. How well the
resulting order reproduces published head-to-head outcomes, and established practice, is
measured by ``benchmarks/validate_ranking.py`` on ``models/validation/``.

Thermodynamics: pM at pH 7.4
    ``pM = -log10 [M]free`` for ``[M]tot = 1 µM`` and ``[L]tot = 10 µM`` (the usual pM test),
    computed exactly from the conditional constant
    ``log K' = log K - log αL(H) - log αM(OH)`` at pH 7.4, where

    * ``αL(H) = 1 + Σ_k Π_{i≤k} 10^(pKa_i - 7.4)`` uses the ligand's measured stepwise
      protonation constants when the stability model's table holds them (NIST SRD 46,
      ``models/stability/protonation.csv.gz``; column ``pKa_source`` says which), otherwise
      constants *estimated from the structure* (:func:`estimate_pkas`): basic
      aliphatic amines start at pKa 10.0 (benzylic/pyridylmethyl amines, carbamoylmethyl amines
      — glycinamide 8.0 vs methylamine 10.6 — and amines in ether-rich rings at 8.0, cyclic
      polyamines +1.5 on the first protonation) and each further amine
      protonation of the same molecule is lowered by 2.5 units (electrostatic repulsion; this
      reproduces EDTA 10.2/6.2 and DTPA 10.5/8.6/4.3 within ~1 unit and under-estimates DOTA's
      12.6/9.7); hydroxamic acids 9.0, phenols 10.0, thiols 9.5, hydroxypyridinones 6.0, and
      second phosphonate protons 6.5;
    * ``αM(OH) = 1 + β1*/[H+]`` from the ion's first hydrolysis constant (``chelscreen.metals``);
      when no constant is tabulated (Ac³⁺) no correction is made, which the row says.

    ``log K`` is the measured constant (``logK_exp``, with its source) whenever the stability
    model reports one (``logK_basis == "measured"``, or no basis column with ``logK_exp``
    set); the model's value (``logK_pred ± logK_sd``) fills the gaps only.

    ``thermo = 1 / (1 + exp(-(pM - 15) / 2))``: at pM 15 the free fraction is 10⁻⁹, the level
    where endogenous competitors at µM–mM concentration with conditional constants of 8–10
    start to take a comparable share; each 2 pM units is a factor 100 in free metal.

Kinetic inertness
    Structural estimate (``inertness_struct``), a logistic function of seven descriptors, none
    of which names a chelator (:func:`inertness_features`)::

        logit = b0 + b_macro·macro + b_cage·cage + b_rigid·rigid_open + b_amide·amide
                + b_hard·hard_match + b_dent·denticity + b_fit·cavity_fit

    * ``macro``/``cage``/``rigid_open``: macrocycle, cross-bridged/macrobicyclic cage, open
      chain with a rigid backbone (cyclohexanediamine, pyridine spacers) — preorganization
      slows dissociation by orders of magnitude (macrocyclic effect, CB-TE2A for Cu(II));
    * ``amide``: share of donors that are amide O. Neutral amide arms lower log K but resist
      proton-assisted dissociation (the rate-determining path of cyclen complexes), so the
      estimate can tell a tetra-amide from a tetra-carboxylate on the same ring;
    * ``hard_match = h·f_O + (1 − h)·(1 − f_O)``: the share of donors of the kind the ion
      prefers; ``h`` the ion's HSAB hardness from its element's Pauling electronegativity
      (2.4 → 0: Pb; 0.9 → 1: Ra; Ac, Ln, Th, Zr, Sc hard, Ga/In intermediate, Cu/Bi/Pb
      borderline) times ``charge / 3`` (the preference of a hard ion for hard donors is
      electrostatic and grows with its charge: Th⁴⁺, Zr⁴⁺ hardest), ``f_O`` the share of O
      donors;
    * ``denticity = min(1, n_donors / CN)`` (every site left to water is a dissociation path);
    * ``cavity_fit = exp(-½ (Δr / 25 pm)²)`` for macrocycles (1 for open chains). 25 pm is
      about the La³⁺→Lu³⁺ contraction (CN 8: 116 → 97.7 pm), across which the size-match
      selectivity of crowns and cyclens inverts. ``Δr`` is the distance of the ion's radius
      (Shannon, at the ion's preferred CN) from the range of sizes the ligand can wrap:
      ``[r_hole, r_hole]`` for a ring that carries all the donors, and
      ``[r_hole, r_hole + 60 pm]`` when pendant arms carry donors (the Ln–DOTA series, r 98–116
      pm at CN 8, forms the same 8-coordinate N4O4 cage over a 38 pm hole).

    The coefficients start from the physical values in :data:`INERTNESS_PRIOR` and are
    calibrated on ``molecules/retention_evidence.csv`` (MAP logistic fit, Gaussian prior of sd
    1 logit around each physical value, rows weighted by assay and grouped by chelating core so
    that each core counts once; :func:`fit_inertness`) once the table holds ≥ 20 usable rows —
    and only if the calibrated coefficients predict held-out cores better than the physical
    ones (leave-one-core-out log loss on the evidence table, :func:`calibration_cv`);
    otherwise the physical values stand. The calibration also gives each element an offset
    (``element:Cu``, Gaussian prior at 0 with the same sd 1: partial pooling): what the seven
    descriptors cannot see about an ion — Cu(II) is reduced and taken up by proteins in vivo
    whatever holds it — is learned from that ion's cited outcomes; an element with few
    outcomes stays near 0 and an element absent from the table gets 0. On the bundled table
    the offsets lower the leave-one-core-out log loss from 0.617 to 0.585.
    The spread of a structural estimate is measured, not assumed (:func:`heldout_spread`):
    the held-out error of the estimate per core and element, less the evidence's own noise,
    never below ±1 logit. ``benchmarks/validate_ranking.py`` measures the whole ranking
    leave-one-chelator-out.

    Simulation evidence (``--simulate-top``): when OpenMM features exist for a pair,
    ``inertness = inertness_struct × sqrt(donors_retained_frac)`` — a complex that loses donors
    within the fast implicit-solvent run is evidence of lability; one that keeps them all keeps
    its structural score (so simulated pairs are never favoured over unsimulated ones).

Retention: evidence before the model
    ``model retention = sqrt(thermo × inertness)`` (both are needed: a strong but labile
    complex, or an inert but weak one, loses the metal in vivo). Where
    ``molecules/retention_evidence.csv`` holds outcomes for the same chelating core (InChIKey
    skeleton of the core, so a conjugate counts for its core) with the same element, they enter
    as evidence: each outcome has an assay weight (:data:`ASSAY_WEIGHT`; serum/plasma
    and in vivo 1, challenges 0.7, acid dissociation 0.5, buffer 0.3) and a value
    (:data:`OUTCOME_VALUE`: stable 0.95, partial 0.70, unstable 0.25, the midpoints of the
    percent-intact bins). Outcomes are pooled **by study** (:func:`study_pool`): the rows of
    one DOI are one outcome, their weighted mean at their strongest assay weight, so one
    paper with many read-outs cannot outvote several papers; and the model counts as
    :data:`EVIDENCE_PRIOR_WEIGHT` = 0.4 studies (its measured error against the studies of
    cores it has not seen, ``benchmarks/calibrate_evidence_weight.py``)::

        retention = (W·evidence_mean + 0.4·model) / (W + 0.4),  W = Σ study weights

    with the evidence mean's own spread (±1/√W logit). Studies that disagree beyond that
    (logit sd ``s`` of the study means > 1) count ``W / s²`` (inverse variance by the
    between-study spread). The ``why`` sentence gives the tally ("4 stable from 3 studies"),
    the weight ``W / (W + 0.4)`` and the DOIs. A conjugate in the input (DOTATATE) without
    evidence of its own uses the evidence for its parent chelator (:func:`parent_key`: the
    chelating core with the conjugation amide back in acid form, DOTA), and says so.
    Evidence for a **close core** with the same element — the same donor skeleton with a
    backbone substituent or a bifunctional handle (:func:`close_core`: the labeling module's
    skeleton-containment rule plus the same donor types), e.g. a C-substituted open-chain
    analogue — is pooled in as analogue evidence, each of its studies (pooled as above) at
    ``chelscreen.radiolabeling.ANALOGUE_WEIGHT`` (0.5) of its weight, the weight an
    analogue precedent has for labeling; the ``why`` sentence names the analogue.

``daughter_score = 1 - released_alpha_energy_frac``
    The fraction of the chain's alpha energy that is emitted by daughters released from the
    chelate (recoil, or chemistry after β⁻/EC), from ``chelscreen.decay.daughter_fate``. 1 for
    nuclides without alpha-emitting progeny.

Labeling: evidence counts, the model by its skill, an unknown is not good, short half-lives weigh
    ``L = (1 - loss) × (0.5 + 0.5 × mild)``, ``mild`` drawn as a Bernoulli of
    ``mild_labeling_prob``: a labeling shown to work scores between 0.5 (needs heating) and 1
    (mild), less the activity that decays before it is ready: ``loss`` is the decay during
    the reference hour of preparation (labeling, purification, quality control;
    :func:`prep_decay_frac`), or during the suggested labeling time when that is longer
    (:func:`preparation_loss`). It is combined with the value
    of a labeling *not shown*, ``L₀ = 0.25 × (1 − prep_decay_frac)``
    (:func:`labeling_unknown_score`; :data:`LABELING_UNKNOWN_SCORE` = 0.25: feasibility itself
    is unproven, so an unknown scores half of a proven-but-heated labeling of the same
    preparation time, and loses the same decay — the lower-bound rule applied to labeling), as ``w·L + (1 − w)·L₀`` with the weight of its basis
    (:func:`labeling_weights`): ``w = 1`` for a precedent for the exact pair (evidence,
    whatever the model's skill), ``w = 0.5`` for an analogue precedent (same core with a close
    ion, or a close core with the same ion; the labeling module's ``ANALOGUE_WEIGHT``),
    ``w = clip(2·(model_auc − 0.5), 0, 1)`` for a model estimate (the model's own held-out skill
    from ``chelscreen.radiolabeling.labeling_skill()``, not the tool's, which is mostly that of
    its precedents; a missing file is zero skill) and 0 for
    ``insufficient`` (no probability). A model at chance gives every unproven pair the same
    ``L₀`` and cannot reorder them.

    The factor in the score is ``1 − span + span × (w·L + (1 − w)·L₀)`` with a span that
    grows as the half-life shrinks (:func:`labeling_span`)::

        span = 0.3 + 0.7 × (1 − 2^(−1 h / t½))

    ``1 − 2^(−1 h / t½)`` is the share of the activity that decays during one hour of
    preparation (labeling, purification, quality control): 0.59 for ²¹³Bi (46 min), 0.46 for
    ⁶⁸Ga (68 min), 0.06 for ²¹²Pb (10.6 h), 0.003 for ²²⁵Ac (10 d). For a long-lived nuclide
    the span stays 0.3 (mild labeling still matters for heat-sensitive vectors); for a nuclide
    that decays while it is labeled a slow, hot or unproven labeling costs most of the score.
    The decay loss during the suggested labeling time is in ``L`` itself.

Structures that are not fully verified
    A library chelator whose ``structure_status`` is not ``verified`` (``probable``: not every
    part of the SMILES is stated in a source; :func:`chelscreen.io.structure_status_note`) has
    its model estimates widened in quadrature: log K sd + 2 log units (unless measured) and
    inertness + 1 logit (:data:`PROBABLE_LOGK_SD`, :data:`PROBABLE_INERTNESS_LOGIT_SD`) — the
    predictions may be of a different molecule, and the lower bound makes that cost score.

Decision rule: what is known to be good beats what might be good
    Every uncertain input is sampled (401 draws per pair: log K ~ N(log K, sd) with sd the
    model's ``logK_sd`` or 0.6 for a measured constant — the repeat-measurement noise of the
    NIST data; inertness and evidence in logit space; labeling as above), and the total

        s = retention × (0.5 + 0.5 × daughter_score) × labeling factor

    is computed per draw. ``score`` is its **10th percentile** — a one-sided 90 % lower
    confidence bound: a pair ranks high only if it is good in nine of ten plausible worlds.
    An expectation would pull an unknown toward the middle of the scale (``E[σ(x)] → 0.5``
    as the sd grows), so when every candidate is weak (Ra²⁺) the least-known ligand would
    win; the lower bound makes ignorance cost score instead. ``thermo_score`` and
    ``retention_score`` are the same lower bound of their parts; ``score_mean``, ``score_lo``
    and ``score_hi`` (5th/95th percentiles) describe the spread. Draws are a fixed function of
    (SMILES, radionuclide) — the same in every block, executor and run.

    ``rank`` is 1 for the best ``score`` of each radionuclide, **one rank per chelating
    core** (:func:`core_representatives`): a conjugate whose chelating core is screened too
    (DOTATATE and DOTA) shares its core's rank, p_best and tied_with, ``ranked_with`` names
    the core and its ``why`` starts "conjugate of DOTA; ranked with its core" — the vector is
    not what the score is about, so a conjugate must not compete with its own core. A
    bifunctional form (the chelator with a conjugation handle on its backbone, p-SCN-Bn-NOTA:
    :func:`strip_handle`) is ranked with the chelator the same way ("bifunctional form of
    NOTA"); a backbone substituent that stays when the handle goes (CHX-A''-DTPA's
    cyclohexane) makes another chelator, ranked on its own. ``p_best``
    is the share of draws in which the pair has the highest score of its radionuclide (sums
    to 1 over the chelators ranked, conjugates repeat their core's value); ``tied_with`` lists
    the chelators it is **indistinguishable** from (neither scores higher in ≥ 90 % of the
    paired draws), never conjugates of a core.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from functools import cache, lru_cache

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

PH = 7.4
M_TOT = 1e-6
L_TOT = 1e-5
PM_MID = 15.0
PM_SCALE = 2.0
MEASURED_SD = 0.6
#: spread of a close core's measured constant standing in for a ligand's own (same metal):
#: RMS of log K(a, M) − log K(b, M) over 5,936 same-metal comparisons of 2,244 close-core
#: ligand pairs in the training table (median |Δ| 0.53, 90th percentile 2.4;
#: ``benchmarks/calibrate_close_core_logk.py``, benchmarks/results/close_core_logk.json)
CLOSE_CORE_LOGK_SD = 1.6
#: log K sd assumed when a prediction carries none (a whole stability-constant range)
UNKNOWN_LOGK_SD = 10.0
CAVITY_SIGMA_PM = 25.0
PENDANT_REACH_PM = 60.0
#: Pauling electronegativity of the ion's element mapped to a 0…1 hardness index: 2.4 (Pb 2.33,
#: borderline/soft) → 0, 0.9 (Ra, hard) → 1. This reproduces the HSAB classes of the supported
#: ions (Ra, Ac, Ln, Th, Zr, Sc hard; Ga, In intermediate; Cu, Bi, Pb borderline)
EN_SOFT = 2.4
EN_HARD = 0.9
#: the EN-based hardness is scaled by ``charge / HARDNESS_REF_CHARGE`` (:func:`ion_hardness_index`)
HARDNESS_REF_CHARGE = 3.0

#: decision rule: ``score`` is this quantile of the sampled score (one-sided 90 % lower bound)
LCB_QUANTILE = 0.10
#: ``score_lo``, ``score_hi``: the 90 % interval of the sampled score
INTERVAL = (0.05, 0.95)
#: draws per pair (a prime: see :func:`_pair_streams`)
N_DRAWS = 401
#: a pair is distinguishable from another when it scores higher in ≥ this share of draws
DISTINGUISH_P = 0.90
#: pairs per radionuclide whose draws are compared exactly for ``p_best``/``tied_with``
CONFIDENCE_CANDIDATES = 100
TIE_WINDOW = 10
#: pairs below the candidates compared with their neighbours per block (memory bound only)
TIE_BLOCK = 65_536

#: structural inertness: ``logit(inertness_struct) = intercept + Σ coef × feature``
INERTNESS_FEATURES = ("macro", "cage", "rigid_open", "amide", "hard_match", "denticity",
                      "cavity_fit")
INERTNESS_PRIOR: dict[str, float] = {
    "intercept": -4.0, "macro": 1.5, "cage": 1.0, "rigid_open": 0.7, "amide": 1.5,
    "hard_match": 1.5, "denticity": 2.5, "cavity_fit": 1.0,
}
INERTNESS_PRIOR_SD = 1.0
#: key prefix of an element's offset in the structural coefficients (``element:Cu``)
ELEMENT_PREFIX = "element:"
#: spread (logit units) of a structural inertness estimate
INERTNESS_LOGIT_SD = 1.0
#: fewer evidence rows than this: the prior coefficients are used as they are
MIN_CALIBRATION_ROWS = 20

#: evidence: outcome → retained fraction (midpoints of the percent-intact bins ≥ 90, 50–90, < 50)
OUTCOME_VALUE = {"stable": 0.95, "partial": 0.70, "unstable": 0.25}
#: evidence weight of one outcome by assay (in vivo and serum read-outs are what retention means)
ASSAY_WEIGHT = {
    "in_vivo_stability": 1.0, "bone_uptake": 1.0, "liver_uptake": 1.0, "kidney_uptake": 0.7,
    "serum_stability": 1.0, "plasma_stability": 1.0, "transchelation_challenge": 0.7,
    "metal_challenge": 0.7, "acid_dissociation": 0.5, "pbs_stability": 0.3,
}
#: the model estimate counts as this many studies when evidence is combined with it —
#: measured, not assumed: screened without their own evidence (cores held out, the structural
#: coefficients recalibrated), the model's retention misses the pooled outcome of a study by
#: an RMS of 1.86 logit (mean +0.95: the model is low), against the ±0.96 logit between the
#: studies of one pair, so it is worth 1 / (1.86² − 1) ≈ 0.41 studies (90 % grouped
#: bootstrap 0.29–0.64; 112 studies, 44 cores: ``benchmarks/calibrate_evidence_weight.py``,
#: benchmarks/results/evidence_weight.json). Its draws' own spread (±0.76) is smaller than
#: its error, so their variance is not used as its weight
EVIDENCE_PRIOR_WEIGHT = 0.4
#: between-study spread (logit sd of the study means) beyond which a core's evidence for an
#: element is weighted ``W / s²`` (:func:`study_pool`): the ±1 logit one study is assumed to have
STUDY_SPREAD_LOGIT = 1.0

#: labeling: the factor is ``1 − span + span × L`` with ``span`` from the half-life
#: (:func:`labeling_span`): ``LONG + (SHORT − LONG) × (1 − 2^(−PREP_H / t½))``
LABELING_SPAN_LONG = 0.3
LABELING_SPAN_SHORT = 1.0
LABELING_PREP_H = 1.0
#: ``L`` of a pair whose labeling is not shown (no precedent, no analogue, no skilled model):
#: half the value of a labeling proven to work with heating (0.5), since feasibility itself
#: is unproven — an unknown never scores like a proven labeling
LABELING_UNKNOWN_SCORE = 0.25
#: ``L`` of a labeling proven to need heating (the floor of a precedent)
LABELING_HEATED_SCORE = 0.5
#: a library structure that is not fully verified (``structure_status`` probable): its model
#: estimates are of a possibly different molecule; spreads added in quadrature
PROBABLE_LOGK_SD = 2.0
PROBABLE_INERTNESS_LOGIT_SD = 1.0

#: evaluation-time overrides (``exclude_keys`` for leave-one-chelator-out, ``labeling_auc``, ``evidence_table``)
_OVERRIDE: dict = {}


class override:
    """Context manager for validation and tests: drop the evidence of some ligands (by
    :func:`ligand_key`), use another evidence table, fix the structural coefficients (e.g. the
    uncalibrated :data:`INERTNESS_PRIOR`), or fix the labeling model's AUC.

    >>> with override(exclude_keys={"WDLRUFUQRNWCPK"}):   # doctest: +SKIP
    ...     df = chelscreen.screen(...)
    """

    def __init__(self, exclude_keys=(), labeling_auc: float | None = None,
                 evidence_table: pd.DataFrame | None = None,
                 coefficients: dict[str, float] | None = None) -> None:
        self.new: dict = {}
        if coefficients is not None:
            self.new["coefficients"] = dict(coefficients)
        if evidence_table is not None:
            self.new["evidence_table"] = evidence_table
        if exclude_keys:
            self.new["exclude_keys"] = frozenset(exclude_keys)
        if labeling_auc is not None:
            self.new["labeling_auc"] = float(labeling_auc)

    def __enter__(self):
        self.old = dict(_OVERRIDE)
        _OVERRIDE.update(self.new)
        return self

    def __exit__(self, *exc):
        _OVERRIDE.clear()
        _OVERRIDE.update(self.old)
        return False


# --------------------------------------------------------------------------------------------
# ligand structure: topology, donors, estimated protonation constants
# --------------------------------------------------------------------------------------------
_SMARTS = {
    "amine": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-O);!$([N]-[N])]",
    "amine_benzylic": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-O)]-[CH2]-a",
    "amine_amidomethyl": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-O)]-[CH2]-C(=O)[NX3]",
    "hydroxamic": "[CX3](=O)[NX3][OX2H1]",
    "phenol": "c[OX2H1]",
    "thiol": "[SX2H1]",
    "hopo": "[OX2H1][c,n]~[c,n]=,:[#8]",
    "po3h2": "[PX4](=O)([OX2H1])[OX2H1]",
    "carboxylic": "[CX3](=O)[OX2H1,OX1-]",
    "pyridine": "[nX2;r6]",
    "ether": "[OX2H0;!$(O-C=O);!$(O-[P,S])]([#6])[#6]",
    "amide_O": "[OX1]=[CX3][NX3;!$(N[OX2])]",
    "thioether": "[SX2H0]([#6])[#6]",
    "phosphinate": "[PX4;!$(P([OX2H1,OX1-])[OX2H1,OX1-])](=O)[OX2H1,OX1-]",
    "handle_ncs": "N=C=S",
    "handle_nhs": "C(=O)ON1C(=O)CCC1=O",
    "handle_maleimide": "N1C(=O)C=CC1=O",
}


@cache
def _patt(name: str):
    from rdkit import Chem

    return Chem.MolFromSmarts(_SMARTS[name])


def _count(mol, name: str) -> int:
    return len(mol.GetSubstructMatches(_patt(name)))


def topology(mol) -> tuple[str, int]:
    """Classify a ligand as ``acyclic``, ``macrocycle`` or ``cross-bridged`` (largest ring size).

    A macrocycle is a ring of ≥ 9 atoms with ≥ 3 heteroatoms (N, O, S, P); two such rings sharing
    atoms (bicyclic cage, cross-bridge) make it ``cross-bridged``.
    """
    rings = [set(r) for r in mol.GetRingInfo().AtomRings()]
    big = []
    for r in rings:
        hetero = sum(1 for i in r if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O", "S", "P"))
        if len(r) >= 9 and hetero >= 3:
            big.append(r)
    # SSSR splits a bridged macrocycle into smaller rings: look for large rings via ring
    # systems too (atoms of fused rings whose union is large and hetero-rich)
    systems: list[set[int]] = []
    for r in rings:
        merged = [s for s in systems if len(s & r) >= 2]
        new = set(r).union(*merged) if merged else set(r)
        systems = [s for s in systems if s not in merged] + [new]
    bridged = False
    largest = max((len(r) for r in big), default=0)
    for s in systems:
        members = [r for r in rings if r <= s]
        hetero = sum(1 for i in s if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O", "S", "P"))
        if len(members) >= 2 and hetero >= 4 and len(s) >= 12:
            # a fused system with ≥ 2 rings of ≥ 8 atoms sharing ≥ 2 atoms = cage/cross-bridge
            if sum(1 for r in members if len(r) >= 8) >= 2:
                bridged = True
                largest = max(largest, len(s) - 2)
    if bridged:
        return "cross-bridged", largest
    if big:
        return "macrocycle", largest
    return "acyclic", 0


def ring_heteroatoms(mol) -> int:
    """N/O/S atoms in the largest ring (donors the ring itself can offer)."""
    rings = mol.GetRingInfo().AtomRings()
    if not rings:
        return 0
    big = max(rings, key=len)
    return sum(1 for i in big if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O", "S"))


def count_donors(mol) -> int:
    """Rough donor-atom count used only when ``ligand_features`` gives no ``n_donors``."""
    n = _count(mol, "amine") + _count(mol, "pyridine") + _count(mol, "carboxylic")
    n += 2 * _count(mol, "hydroxamic") + _count(mol, "po3h2") + _count(mol, "phosphinate")
    n += _count(mol, "ether") + _count(mol, "amide_O") + _count(mol, "thioether")
    n += 2 * _count(mol, "hopo") + _count(mol, "phenol") + _count(mol, "thiol")
    return int(n)


def estimate_pkas(mol) -> list[float]:
    """Protonation constants above ~5 estimated from the structure (documented in the module).

    Returns the estimates sorted from most to least basic. Only sites that can matter at pH 7.4
    are returned (carboxylic acids and first phosphonate protons, pKa < 5, are omitted).
    """
    topo, _ = topology(mol)
    n_amine = _count(mol, "amine")
    weak = {m[0] for m in mol.GetSubstructMatches(_patt("amine_benzylic"))}
    weak |= {m[0] for m in mol.GetSubstructMatches(_patt("amine_amidomethyl"))}
    n_benzylic = min(n_amine, len(weak))
    ether_rich = topo != "acyclic" and _count(mol, "ether") >= 2
    amine_bases: list[float] = []
    for i in range(n_amine):
        base = 8.0 if (i < n_benzylic or ether_rich) else 10.0
        amine_bases.append(base)
    amine_bases.sort(reverse=True)
    amines = []
    for k, base in enumerate(amine_bases):
        pka = base - 2.5 * k
        if k == 0 and topo != "acyclic" and not ether_rich:
            pka += 1.5
        amines.append(pka)
    others = (
        [9.0] * _count(mol, "hydroxamic")
        + [10.0] * _count(mol, "phenol")
        + [9.5] * _count(mol, "thiol")
        + [6.0] * _count(mol, "hopo")
        + [6.5] * _count(mol, "po3h2")
    )
    pkas = sorted([p for p in amines + others if p > 5.0], reverse=True)
    return [round(p, 2) for p in pkas]


def log_alpha_ligand(pkas: Sequence[float], ph: float = PH) -> float:
    """``log10 αL(H)`` of a polyprotic ligand from stepwise pKa's (most basic first)."""
    total, term = 1.0, 1.0
    for p in sorted(pkas, reverse=True):
        term *= 10.0 ** (p - ph)
        total += term
    return float(math.log10(total))


def log_alpha_hydrolysis(log_beta1_star: float | None, ph: float = PH) -> float:
    """``log10 αM(OH) = log10(1 + β1*/[H+])``; 0 when the constant is unknown."""
    if log_beta1_star is None or not np.isfinite(log_beta1_star):
        return 0.0
    return float(math.log10(1.0 + 10.0 ** (log_beta1_star + ph)))


def pm_from_logk(logk_cond: np.ndarray | float, m_tot: float = M_TOT, l_tot: float = L_TOT):
    """pM = -log10 [M]free from the exact 1:1 mass balance (vectorised).

    ``K (M - x)(L - x) = x``: the complexed metal is the smaller root
    ``x = 2KML / (b + sqrt(K²(L - M)² + 2K(M + L) + 1))`` with ``b = K(M + L) + 1`` (no
    cancellation for any K), and the free metal follows from the same balance as
    ``M - x = x / (K (L - x))``, which keeps full precision when ``x → M`` (large K).
    """
    lk = np.asarray(logk_cond, dtype=float)
    finite = np.isfinite(lk)
    k = np.power(10.0, np.clip(np.where(finite, lk, 0.0), -30, 60))
    b = k * (m_tot + l_tot) + 1.0
    kd = k * (l_tot - m_tot)
    root = np.sqrt(kd * kd + 2.0 * k * (m_tot + l_tot) + 1.0)
    x = 2.0 * m_tot * l_tot * k / (b + root)
    out = -np.log10(x / (k * (l_tot - x)))
    return np.where(finite, out, np.nan)


# --------------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------------
def _col(df: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
    return np.full(len(df), default, dtype=float)


def _text_col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name in df.columns:
        col = df[name].astype(object)
        return np.array(["" if v is None or (isinstance(v, float) and v != v) else str(v)
                         for v in col], dtype=object)
    return np.full(len(df), "", dtype=object)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


# ---- structural inertness ------------------------------------------------------------------
def ion_hardness_index(pauling_en, charge=None) -> np.ndarray:
    """HSAB hardness of an ion: its element's Pauling EN on a 0 (Pb, 2.4) … 1 (Ra, 0.9) scale,
    times ``charge / 3`` when the charge is known (:data:`HARDNESS_REF_CHARGE`).

    The EN scale tells class-a (hard) from class-b (soft) elements but not how strongly a hard
    ion prefers hard donors: that preference is mostly electrostatic, so it grows with the
    ion's charge (Pearson's hard acids: every M⁴⁺ — Zr⁴⁺, Th⁴⁺, U⁴⁺ — is hard; a divalent
    ion of the same EN is less so). With the trivalent ions as reference the M³⁺ values are
    unchanged; Th⁴⁺ 0.73 → 0.98, Zr⁴⁺ 0.71 → 0.95, Ra²⁺ 1 → 0.67, Cu²⁺ 0.33 → 0.22.
    """
    en = np.asarray(pauling_en, dtype=float)
    h = np.clip((EN_SOFT - en) / (EN_SOFT - EN_HARD), 0.0, 1.0)
    if charge is None:
        return h
    z = np.asarray(charge, dtype=float)
    return np.clip(np.where(np.isfinite(z) & (z > 0), h * z / HARDNESS_REF_CHARGE, h), 0.0, 1.0)


@lru_cache(maxsize=256)
def _ion_charge(symbol: str) -> float:
    """Formal charge of an ion symbol (``Th4+`` → 4); NaN when it is not a known ion."""
    from chelscreen.metals import get_ion

    try:
        return float(get_ion(symbol).charge)
    except Exception:  # noqa: BLE001 - unknown ion: hardness from the EN alone
        return float("nan")


def ion_charges(df: pd.DataFrame) -> np.ndarray:
    """Charge of each row's ion from its ``metal`` column (NaN where there is none)."""
    return np.array([_ion_charge(m) if m else np.nan for m in _text_col(df, "metal")],
                    dtype=float)


def inertness_features(df: pd.DataFrame) -> pd.DataFrame:
    """Structural descriptors of kinetic inertness, one row per pair (all in 0…1).

    ``macro`` (macrocycle or cage), ``cage`` (cross-bridged/macrobicyclic), ``rigid_open``
    (open chain with a rigid backbone: cyclohexane/pyridine spacers), ``amide`` (share of
    donors that are amide O: neutral arms slow proton-assisted dissociation), ``hard_match``
    (share of donors of the kind the ion prefers: ``h·f_O + (1 − h)·(1 − f_O)``, hard ions
    O donors, borderline ions N/S), ``denticity`` (donors / the ion's preferred CN), ``cavity_fit``.
    """
    topo = _text_col(df, "topology")
    code = _col(df, "preorganization_code")
    macro_t = np.array([t in ("macrocycle", "cross-bridged") for t in topo], dtype=float)
    cage_t = np.array([t == "cross-bridged" for t in topo], dtype=float)
    macro = np.where(np.isfinite(code), (code >= 2).astype(float), macro_t)
    cage = np.where(np.isfinite(code), (code >= 3).astype(float), cage_t)
    rigid = np.where(np.isfinite(code), (code == 1).astype(float), 0.0)
    n_don = _col(df, "n_donors")
    n_safe = np.where(np.isfinite(n_don) & (n_don > 0), n_don, np.nan)
    amide = np.nan_to_num(_col(df, "n_donor_amide_O") / n_safe, nan=0.0)
    o_frac = np.clip(np.nan_to_num(_col(df, "n_donor_O") / n_safe, nan=0.5), 0, 1)
    h_ion = ion_hardness_index(_col(df, "ion_pauling_en"), ion_charges(df))
    hard = np.where(np.isfinite(h_ion), h_ion * o_frac + (1.0 - h_ion) * (1.0 - o_frac), 0.5)
    dent = np.nan_to_num(_col(df, "denticity_fraction"), nan=0.0)
    fit = np.nan_to_num(_col(df, "cavity_fit"), nan=1.0)
    return pd.DataFrame({"macro": macro, "cage": cage, "rigid_open": rigid,
                         "amide": np.clip(amide, 0, 1), "hard_match": hard,
                         "denticity": np.clip(dent, 0, 1), "cavity_fit": np.clip(fit, 0, 1)},
                        index=df.index)


def _linear(feats: pd.DataFrame, coef: dict[str, float],
            elements: Sequence[str] | None = None) -> np.ndarray:
    """``intercept + Σ coef × feature`` (+ the element's offset, ``coef["element:Cu"]``, when
    ``elements`` are given; an element without one gets 0)."""
    z = np.full(len(feats), coef["intercept"], dtype=float)
    for name in INERTNESS_FEATURES:
        z = z + coef[name] * feats[name].to_numpy(dtype=float)
    if elements is not None:
        z = z + np.array([coef.get(f"{ELEMENT_PREFIX}{e}", 0.0) for e in elements], dtype=float)
    return z


def fit_inertness(feats: pd.DataFrame, target: np.ndarray, weight: np.ndarray,
                  prior: dict[str, float] | None = None,
                  prior_sd: float = INERTNESS_PRIOR_SD,
                  elements: Sequence[str] | None = None) -> dict[str, float]:
    """MAP logistic calibration of the structural coefficients on evidence outcomes.

    ``target`` ∈ [0, 1] (outcome value), ``weight`` the assay weight of each row. Each
    coefficient has a Gaussian prior centred on the physical value of
    :data:`INERTNESS_PRIOR` (sd ``prior_sd`` logit units): with few outcomes the physics
    stands, with many the data move it. With ``elements`` (the radiometal's element of each
    row) every element also gets an offset ``element:<El>`` with a Gaussian prior at 0 of the
    same sd — partial pooling: what the structure does not capture about an ion (Cu(II)
    reduced and taken up by proteins in vivo) is learned from that ion's outcomes, and an
    element with few outcomes stays near 0. Deterministic (L-BFGS from the prior).
    """
    from scipy.optimize import minimize

    prior = dict(prior or INERTNESS_PRIOR)
    names = ["intercept", *INERTNESS_FEATURES]
    cols = [np.ones(len(feats))] + [feats[n].to_numpy(float) for n in INERTNESS_FEATURES]
    b0 = [prior[n] for n in names]
    if elements is not None:
        els = sorted({str(e) for e in elements})
        el_arr = np.asarray(elements, dtype=object)
        cols += [(el_arr == e).astype(float) for e in els]
        names += [f"{ELEMENT_PREFIX}{e}" for e in els]
        b0 += [0.0] * len(els)
    x = np.column_stack(cols)
    y = np.asarray(target, float)
    w = np.asarray(weight, float)
    b0 = np.array(b0)

    def loss(b):
        z = x @ b
        p = _sigmoid(z)
        ll = w * (y * np.log(np.clip(p, 1e-12, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-12, 1)))
        pen = 0.5 * np.sum(((b - b0) / prior_sd) ** 2)
        grad = -(x.T @ (w * (y - p))) + (b - b0) / prior_sd**2
        return -ll.sum() + pen, grad

    res = minimize(loss, b0, jac=True, method="L-BFGS-B")
    return {n: float(v) for n, v in zip(names, res.x)}


# ---- retention evidence --------------------------------------------------------------------
@lru_cache(maxsize=16384)
def ligand_key(smiles: str) -> str:
    """First InChIKey block of a ligand (skeleton + H layer; protonation-state independent).

    Memoized by SMILES (a few dozen bytes each): a screen asks for the same ligand's key in
    its structure terms, its parent key and (:func:`chelscreen.radiolabeling.core_key`, for a
    SMILES without charges) its labeling."""
    from chelscreen.chem.descriptors import mol_of_smiles
    from chelscreen.chem.standardize import inchikey_block1

    text = str(smiles or "").strip()
    mol = mol_of_smiles(text) if text else None  # the shared read-only Mol: not parsed again
    return inchikey_block1(mol if mol is not None and mol.GetNumAtoms() else None)


def parent_key(core_smiles: str, smiles: str = "") -> str:
    """Key of the parent chelator of a conjugate's chelating core (``""`` for a plain chelator).

    The core finder caps the conjugation amide as an N-methyl amide (DOTATATE → DOTA
    mono-N-methylamide); the evidence table writes a conjugate's core in its acid form (DOTA):
    :func:`chelscreen.chem.standardize.conjugate_parent_smiles` turns the caps back. A plain
    chelator that carries a conjugation handle (:func:`strip_handle`: p-SCN-Bn-NOTA) has the
    chelator without it as its parent (NOTA): the bifunctional form is the same chelator made
    ready for a vector, so it is ranked with that chelator and, without evidence of its own,
    uses that chelator's evidence — as a conjugate made from it does.
    """
    from chelscreen.chem.standardize import conjugate_parent_smiles

    parent = conjugate_parent_smiles(core_smiles, smiles)
    if not parent:
        parent = strip_handle(str(smiles or core_smiles or ""))
    if not parent:
        return ""
    key = ligand_key(parent)
    return "" if key == ligand_key(smiles) else key


#: conjugation handles of a bifunctional chelator (reactive groups for a vector; names in
#: :data:`_SMARTS`): isothiocyanate, N-hydroxysuccinimide ester, maleimide
_HANDLES = ("handle_ncs", "handle_nhs", "handle_maleimide")


@lru_cache(maxsize=65536)
def strip_handle(smiles: str) -> str:
    """The chelator without its conjugation handle (``""`` when it carries none).

    The handle (:data:`_HANDLES`) is removed with the whole donor-free side chain that
    carries it, cut at the acyclic single bond closest to the chelator: the largest fragment
    that holds every handle atom and no other N, O, S or P (p-SCN-Bn-NOTA → NOTA; the
    cyclohexane of CHX-A''-DTPA is part of the chelator and stays). Nothing is removed when no
    such cut exists (a handle on a donor arm).
    """
    from rdkit import Chem

    from chelscreen.chem.descriptors import mol_of_smiles

    mol = mol_of_smiles(smiles) if smiles else None  # shared, read-only (edited as a copy)
    if mol is None:
        return ""
    handle: set[int] = set()
    for name in _HANDLES:
        for match in mol.GetSubstructMatches(_patt(name)):
            handle.update(match)
    if not handle:
        return ""
    hetero = {a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() in (7, 8, 15, 16)}
    best: set[int] = set()
    anchor = -1
    for bond in mol.GetBonds():
        if bond.IsInRing() or bond.GetBondType() != Chem.BondType.SINGLE:
            continue
        # the two sides of the acyclic bond (RDKit cuts it; atom indices are kept)
        frags = Chem.GetMolFrags(Chem.FragmentOnBonds(mol, [bond.GetIdx()], addDummies=False))
        for start, stop in ((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()),
                            (bond.GetEndAtomIdx(), bond.GetBeginAtomIdx())):
            side = set(next(f for f in frags if start in f))  # ``start``'s side of the bond
            if handle <= side and not (side & hetero) - handle and len(side) > len(best) \
                    and len(side) < mol.GetNumAtoms() / 2:
                best, anchor = side, stop
    if not best:
        return ""
    rw = Chem.RWMol(mol)
    kept = rw.GetAtomWithIdx(anchor)  # the chelator atom that held the side chain: an H back
    kept.SetNumExplicitHs(kept.GetNumExplicitHs() + 1)
    kept.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    for idx in sorted(best, reverse=True):
        rw.RemoveAtom(idx)
    try:
        out = rw.GetMol()
        Chem.SanitizeMol(out)
    except Exception:  # noqa: BLE001 - an odd structure: no parent
        return ""
    return Chem.MolToSmiles(out)


def _element_of(nuclide: str) -> str:
    return "".join(ch for ch in str(nuclide).split("-")[0] if ch.isalpha()).capitalize()


def evidence_path():
    from chelscreen._resources import molecules_dir

    return molecules_dir() / "retention_evidence.csv"


@cache
def retention_evidence() -> pd.DataFrame:
    """The bundled retention evidence with ``key`` (core ligand) and ``element`` columns.

    Rows with an unknown assay or outcome, or whose core SMILES does not parse, are left out
    (logged). An absent file gives an empty table: every pair then uses the structural estimate.
    """
    try:
        path = evidence_path()
    except FileNotFoundError:
        return prepare_evidence(pd.DataFrame())
    if not path.exists():
        return prepare_evidence(pd.DataFrame())
    from chelscreen.io import read_table

    # the one table parser: a never-closed quote is a one-line error naming its line; a row
    # with too many fields is left out with a warning (never shifted into other columns)
    tab, lines, errors = read_table(path)
    if errors:
        logger.warning("%s: %d malformed row(s) left out (%s)", path, len(errors),
                       "; ".join(f"line {lines[i]}: {m}" for i, m in list(errors.items())[:3]))
        tab = tab.drop(index=tab.index[list(errors)]).reset_index(drop=True)
    return prepare_evidence(tab, str(path))


def prepare_evidence(tab: pd.DataFrame, where: str = "evidence table") -> pd.DataFrame:
    """Add ``key``, ``element``, ``value_num`` and ``weight`` to a retention-evidence table."""
    cols = ["key", "element", "assay", "outcome", "value_num", "weight", "chelator",
            "chelator_smiles", "conjugate", "radionuclide", "doi", "time_h", "unit", "value"]
    need = {"chelator_smiles", "radionuclide", "assay", "outcome"}
    if not need <= set(tab.columns):
        logger.warning("%s lacks columns %s; evidence not used", where, sorted(need - set(tab)))
        return pd.DataFrame(columns=cols)
    tab = tab.astype(str).copy()
    tab["assay"] = tab["assay"].str.strip()
    tab["outcome"] = tab["outcome"].str.strip().str.lower()
    keep = tab["assay"].isin(list(ASSAY_WEIGHT)) & tab["outcome"].isin(list(OUTCOME_VALUE))
    if (~keep).any():
        logger.info("%s: %d row(s) with unknown assay/outcome skipped", where,
                    int((~keep).sum()))
    tab = tab[keep]
    tab["key"] = [ligand_key(s) for s in tab["chelator_smiles"]]
    tab = tab[tab["key"] != ""]
    tab["element"] = [_element_of(n) for n in tab["radionuclide"]]
    tab["value_num"] = tab["outcome"].map(OUTCOME_VALUE).astype(float)
    tab["weight"] = tab["assay"].map(ASSAY_WEIGHT).astype(float)
    for c in cols:
        if c not in tab:
            tab[c] = ""
    return tab[cols].reset_index(drop=True)


def _evidence_table(exclude: frozenset[str] = frozenset()) -> pd.DataFrame:
    given = _OVERRIDE.get("evidence_table")
    tab = prepare_evidence(given, "override") if given is not None else retention_evidence()
    excl = set(exclude) | set(_OVERRIDE.get("exclude_keys", ()))
    if excl and len(tab):
        tab = tab[~tab["key"].isin(excl)]
    return tab


def study_pool(weight: np.ndarray, value: np.ndarray, doi: Sequence[str]
               ) -> tuple[float, float, int, float]:
    """Evidence rows of one chelating core and element pooled by study: ``(W, mean,
    n_studies, spread)``.

    * Rows with the same DOI are **one study**: their weighted mean value, at the weight of
      their strongest assay. The read-outs of one paper (serum at 1, 3 and 7 days, a challenge,
      a biodistribution of the same preparation) share its compound, batch and methods; they
      are one observation of the pair, so one paper with many rows must not outvote several
      papers. A row without a DOI is a study of its own; a cell with several identifiers
      (``10.x/y; PMC123``) is the study of its first.
    * Studies are combined by weight: ``mean = Σ w_s m_s / W``, ``W = Σ w_s``; the evidence
      mean then has a spread of ±1/√W logit (one study ≈ ±1 logit).
    * When the studies **disagree beyond that** — the weighted sd ``s`` of their means in
      logit space (values clipped to 0.02…0.98, as where they are sampled) exceeds
      :data:`STUDY_SPREAD_LOGIT` — a study's own noise is ``s``, not 1, and the weight is
      ``W / s²`` (inverse variance): evidence that contradicts itself counts less against
      the model estimate.
    """
    weight = np.asarray(weight, dtype=float)
    value = np.asarray(value, dtype=float)
    ids = [str(d).split(";")[0].strip().lower() or f"row {i}" for i, d in enumerate(doi)]
    w_s, m_s = [], []
    for sid in dict.fromkeys(ids):
        rows = np.array([x == sid for x in ids])
        w, v = weight[rows], value[rows]
        w_s.append(float(w.max()))
        m_s.append(float((w * v).sum() / w.sum()) if w.sum() > 0 else float(v.mean()))
    w_s, m_s = np.array(w_s), np.array(m_s)
    w_tot = float(w_s.sum())
    if w_tot <= 0:
        return 0.0, float("nan"), len(w_s), 0.0
    mean = float((w_s * m_s).sum() / w_tot)
    lg = _logit(np.clip(m_s, 0.02, 0.98))
    centre = float((w_s * lg).sum() / w_tot)
    spread = float(np.sqrt((w_s * (lg - centre) ** 2).sum() / w_tot))
    if spread > STUDY_SPREAD_LOGIT:
        w_tot /= spread ** 2
    return w_tot, mean, len(w_s), spread


def _group_summaries(tab: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    """``(key, element) → (n, weight, weighted mean, text, core SMILES, chelator)`` of an
    evidence table (cached)."""
    sig = (id(tab), len(tab))
    hit = _SUMMARY_CACHE.get(sig)
    if hit is not None and hit[0] is tab:
        return hit[1]
    groups: dict[tuple[str, str], tuple] = {}
    for (k, el), g in tab.groupby(["key", "element"], sort=False):
        w_tot, mean, n_studies, spread = study_pool(
            g["weight"].to_numpy(float), g["value_num"].to_numpy(float), list(g["doi"]))
        outcomes = list(g["outcome"])
        tally = ", ".join(f"{outcomes.count(o)} {o}" for o in ("stable", "partial", "unstable")
                          if o in outcomes)
        tally += f" from {n_studies} stud{'y' if n_studies == 1 else 'ies'}"
        if spread > STUDY_SPREAD_LOGIT:
            tally += (f" that disagree (between-study spread ±{spread:.2f} logit: weight "
                      f"÷ {spread ** 2:.2f})")
        assays = ", ".join(dict.fromkeys(a.replace("_", " ") for a in g["assay"]))
        dois = list(dict.fromkeys(d for d in g["doi"] if d))
        cite = "; ".join(dois[:3]) + (f" +{len(dois) - 3} more" if len(dois) > 3 else "")
        groups[(k, el)] = (float(len(g)), w_tot, mean,
                           f"{tally} ({assays}; {cite})", str(g["chelator_smiles"].iloc[0]),
                           str(g["chelator"].iloc[0]))
    _SUMMARY_CACHE.clear()
    _SUMMARY_CACHE[sig] = (tab, groups)
    return groups


_SUMMARY_CACHE: dict = {}


@cache
def _donor_types(smiles: str) -> tuple[tuple[str, int], ...]:
    """Perceived donors of a ligand by type (``amine_N``: 3, ``carboxylate_O``: 5 …)."""
    from collections import Counter

    from rdkit import Chem

    from chelscreen.chem.donors import perceive_donors

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ()
    return tuple(sorted(Counter(d.donor_type for d in perceive_donors(mol)).items()))


@lru_cache(maxsize=65536)
def close_core(a: str, b: str) -> bool:
    """Whether two chelators share one donor skeleton, so that retention evidence of one is
    analogue evidence for the other (same metal).

    The labeling module's rule for a close core (:func:`chelscreen.radiolabeling.
    skeleton_containment`: one is a substructure of the other, same number of macrocyclic
    rings, same denticity, the smaller holds ≥ half of the larger's heavy atoms — a backbone
    substituent or a bifunctional handle on the same skeleton), and, since kinetic
    inertness depends on what binds, every donor of the smaller one (by type: amine N,
    carboxylate O, …) is in the larger one too: a hydroxyethyl arm is not an acetate arm.
    """
    from chelscreen.radiolabeling import CONTAINMENT_MIN_FRACTION, skeleton_containment

    if not a or not b or a == b:
        return False
    ca, cb = _element_counts(a), _element_counts(b)
    small, big = (ca, cb) if ca[0] <= cb[0] else (cb, ca)
    # cheap necessary conditions first (heavy-atom share, N/O/S/P counts)
    if small[0] < CONTAINMENT_MIN_FRACTION * big[0] or any(
            x > y for x, y in zip(small[1:], big[1:])):
        return False
    if not skeleton_containment(a, b):
        return False
    da, db = dict(_donor_types(a)), dict(_donor_types(b))
    s_d, b_d = (da, db) if ca[0] <= cb[0] else (db, da)
    return all(b_d.get(t, 0) >= n for t, n in s_d.items())


@lru_cache(maxsize=256)
def _core_arrays(cands: tuple[str, ...]) -> tuple:
    """Element counts (:func:`_element_counts`), macrocyclic-ring and heavy-atom counts of the
    neutral forms (:func:`chelscreen.radiolabeling._containment_facts`; ring count -1 where
    RDKit cannot read one) of candidate close cores, as arrays, the candidates, and their
    denticities (:func:`chelscreen.radiolabeling._denticity`; filled by :func:`_may_be_close`
    for the candidates that reach that test, -2 until then)."""
    from chelscreen.radiolabeling import _containment_facts

    counts = np.array([_element_counts(s) for s in cands], dtype=float).reshape(-1, 5)
    facts = [_containment_facts(s) for s in cands]
    return (counts, np.array([-1 if f is None else f[0] for f in facts], dtype=np.int64),
            np.array([0 if f is None else f[1] for f in facts], dtype=np.int64), cands,
            np.full(len(cands), -2, dtype=np.int64))


def _may_be_close(smiles: str, arrays: tuple) -> np.ndarray:
    """Necessary conditions of :func:`close_core` of ``smiles`` with each candidate, on arrays
    (:func:`_core_arrays`): the smaller one's N/O/S/P counts within the larger one's, the same
    number of macrocyclic rings, the smaller holds >= ``CONTAINMENT_MIN_FRACTION`` of the
    larger's heavy atoms, and (for those left) the same denticity (memoized per SMILES). A
    candidate it rejects fails :func:`close_core`; the others are tested with it, so results
    are unchanged (the searches are skipped)."""
    from chelscreen.radiolabeling import (
        CONTAINMENT_MIN_FRACTION,
        _containment_facts,
        _denticity,
    )

    counts, macro, n_heavy, cands, dent = arrays
    facts = _containment_facts(smiles) if smiles else None
    if facts is None or not len(counts):
        return np.zeros(len(counts), dtype=bool)
    c = np.asarray(_element_counts(smiles), dtype=float)
    a_small = c[0] <= counts[:, 0]
    within = np.where(a_small, (c[1:] <= counts[:, 1:]).all(axis=1),
                      (counts[:, 1:] <= c[1:]).all(axis=1))
    lo, hi = np.minimum(counts[:, 0], c[0]), np.maximum(counts[:, 0], c[0])
    lo_n, hi_n = np.minimum(n_heavy, facts[1]), np.maximum(n_heavy, facts[1])
    keep = (within & (lo >= CONTAINMENT_MIN_FRACTION * hi) & (macro == facts[0])
            & (lo_n >= CONTAINMENT_MIN_FRACTION * hi_n))
    idx = np.flatnonzero(keep)
    if len(idx):
        d = _denticity(smiles)
        new = idx[dent[idx] == -2]
        if len(new):
            dent[new] = [_denticity(cands[i]) for i in new]
        keep[idx] = dent[idx] == d
    return keep


def evidence_summary(keys: Sequence[str], elements: Sequence[str],
                     parent_keys: Sequence[str] | None = None,
                     smiles: Sequence[str] | None = None) -> pd.DataFrame:
    """Per pair: evidence count, weight, weighted mean outcome, and a citation text.

    Evidence for the ligand itself is used first; a conjugate without its own evidence uses
    the evidence for its parent chelating core (``parent_keys``, see :func:`parent_key`), which
    the text says. Evidence for a **close core** with the same element (:func:`close_core`:
    the same donor skeleton with a backbone substituent or a handle, e.g. a C-substituted
    analogue of an open-chain chelator) is added as analogue evidence, each of its studies
    (:func:`study_pool`) counting :data:`chelscreen.radiolabeling.ANALOGUE_WEIGHT` of its
    weight (the weight the labeling module gives an analogue precedent); the text names the
    analogue.
    ``smiles``: the pairs' ligand SMILES (no analogue evidence without them).
    """
    from chelscreen.radiolabeling import ANALOGUE_WEIGHT

    tab = _evidence_table()
    parents = list(parent_keys) if parent_keys is not None else [""] * len(keys)
    smis = list(smiles) if smiles is not None else [""] * len(keys)
    out = {"evidence_n": np.zeros(len(keys)), "evidence_weight": np.zeros(len(keys)),
           "evidence_mean": np.full(len(keys), np.nan), "evidence_text": [""] * len(keys)}
    if len(tab) == 0:
        return pd.DataFrame(out)
    groups = _group_summaries(tab)
    by_element: dict[str, list[tuple[str, tuple]]] = {}
    for (k, el), g in groups.items():
        by_element.setdefault(el, []).append((k, g))
    # the close-core prefilter of a ligand against the candidates of every element at once
    # (:func:`_may_be_close` on the arrays of all elements; each element's slice is its own)
    union = tuple(ga[4] for el_cands in by_element.values() for _, ga in el_cands)
    starts = np.cumsum([0] + [len(v) for v in by_element.values()])
    span = {el: (int(a), int(b)) for el, a, b in zip(by_element, starts[:-1], starts[1:])}
    prefilter: dict[str, np.ndarray] = {}
    for i, (k, el, pk, smi) in enumerate(zip(keys, elements, parents, smis)):
        g = groups.get((k, el)) if k else None
        via = ""
        if g is None and pk:
            g = groups.get((pk, el))
            via = "via its chelating core: "
        n, w, wv, texts = 0.0, 0.0, 0.0, []
        if g is not None:
            n, w, wv = g[0], g[1], g[1] * g[2]
            texts.append(via + g[3])
        cands = by_element.get(el, ())
        # the close-core search runs for plain chelators, bifunctional forms included (a
        # conjugate's own SMILES is the vector's, not a chelator's)
        if smi and (not pk or strip_handle(str(smi))) and cands:
            smi = str(smi)
            if smi not in prefilter:
                prefilter[smi] = _may_be_close(smi, _core_arrays(union))
            a, b = span[el]
            maybe = prefilter[smi][a:b]
            for (ck, ga), m in zip(cands, maybe):
                if not m or ck in (k, pk) or not close_core(str(smi), ga[4]):
                    continue
                wa = ANALOGUE_WEIGHT * ga[1]
                n, w, wv = n + ga[0], w + wa, wv + wa * ga[2]
                texts.append(f"analogue evidence (close core {ga[5]}: same donor skeleton, "
                             f"{ANALOGUE_WEIGHT:g} weight a study): {ga[3]}")
        if w <= 0:
            continue
        out["evidence_n"][i], out["evidence_weight"][i] = n, w
        out["evidence_mean"][i] = wv / w
        out["evidence_text"][i] = "; ".join(texts)
    return pd.DataFrame(out)


@cache
def _calibration(exclude: frozenset[str] = frozenset()
                 ) -> tuple[tuple[tuple[str, float], ...], float]:
    """Structural coefficients calibrated on the evidence table (minus ``exclude`` keys) and
    the spread of a structural estimate (logit sd, :func:`heldout_spread`)."""
    prior = tuple(INERTNESS_PRIOR.items())
    tab = _evidence_table(exclude)
    if len(tab) < MIN_CALIBRATION_ROWS:
        return prior, INERTNESS_LOGIT_SD
    feats = evidence_features(tab)
    ok = feats.notna().all(axis=1).to_numpy()
    if ok.sum() < MIN_CALIBRATION_ROWS:
        return prior, INERTNESS_LOGIT_SD
    # every chelating core counts once (rows of a core share its weight): a much-studied
    # chelator (DOTA, DFO) must not set the coefficients for all others
    per_core = tab.groupby("key")["key"].transform("size").to_numpy(float)
    weight = tab["weight"].to_numpy(float) / per_core
    feats, y, w = feats[ok], tab["value_num"].to_numpy(float)[ok], weight[ok]
    keys = tab["key"].to_numpy()[ok]
    elements = tab["element"].to_numpy()[ok]
    cv = calibration_cv(feats, y, w, keys, elements)
    use_prior = cv["calibrated"] >= cv["prior"]
    if use_prior:
        logger.info("inertness calibration not used: leave-one-core-out log loss %.4f vs "
                    "prior %.4f", cv["calibrated"], cv["prior"])
    held_out = (_sigmoid(_linear(feats, INERTNESS_PRIOR)) if use_prior
                else cv["heldout_pred"])
    spread = heldout_spread(held_out, y, tab["weight"].to_numpy(float)[ok], keys, elements)
    coef = prior if use_prior else tuple(fit_inertness(feats, y, w, elements=elements).items())
    return coef, spread


def heldout_spread(pred: np.ndarray, y: np.ndarray, w: np.ndarray, keys: np.ndarray,
                   elements: np.ndarray) -> float:
    """Spread (logit sd) of a structural inertness estimate for a chelator it has not seen.

    Per chelating core and element of the evidence table: the residual ``logit(evidence
    mean) − logit(mean held-out estimate)`` (estimates from coefficients fitted without that
    core). Part of a residual is the evidence's own noise, which the retention term already
    takes as ``1/√W`` logit (``W`` the group's assay weight), so that variance is removed::

        spread = sqrt(max(mean(residual² − 1/W), INERTNESS_LOGIT_SD²))

    — never narrower than the physical assumption of ±1 logit. With the bundled table this is
    about 1.3 logit: the structure alone says less about a chelator it has not seen than the
    assumed ±1, and the lower bound must charge an unknown for it.
    """
    frame = pd.DataFrame({"k": keys, "el": elements, "y": y, "w": w, "p": pred})
    res2 = []
    for _, g in frame.groupby(["k", "el"], sort=False):
        wg = g["w"].to_numpy(float)
        ev = float(np.average(g["y"], weights=wg))
        r = float(_logit(ev) - _logit(float(g["p"].mean())))
        res2.append(r * r - 1.0 / wg.sum())
    if not res2:
        return INERTNESS_LOGIT_SD
    return float(np.sqrt(max(float(np.mean(res2)), INERTNESS_LOGIT_SD ** 2)))


def _log_loss(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())


def calibration_cv(feats: pd.DataFrame, y: np.ndarray, w: np.ndarray,
                   groups: np.ndarray, elements: Sequence[str] | None = None
                   ) -> dict[str, float]:
    """Leave-one-core-out log loss of the calibrated vs the prior structural coefficients
    (and the held-out estimates themselves, ``heldout_pred``).

    The inner check that decides whether the calibration is used (on the evidence table only;
    the ranking outcomes in ``models/validation/`` stay an outer test): each core's rows are
    predicted by coefficients fitted without that core (with ``elements``: and with an
    offset per element, :func:`fit_inertness`).
    """
    pred = np.empty(len(y))
    for g in np.unique(groups):
        test = groups == g
        el_train = None if elements is None else np.asarray(elements, dtype=object)[~test]
        el_test = None if elements is None else np.asarray(elements, dtype=object)[test]
        coef = fit_inertness(feats[~test], y[~test], w[~test], elements=el_train)
        pred[test] = _sigmoid(_linear(feats[test], coef, el_test))
    prior = _sigmoid(_linear(feats, INERTNESS_PRIOR))
    return {"calibrated": _log_loss(pred, y, w), "prior": _log_loss(prior, y, w),
            "n_rows": float(len(y)), "n_cores": float(len(np.unique(groups))),
            "heldout_pred": pred}


def inertness_coefficients() -> dict[str, float]:
    """The structural coefficients in use (calibrated unless the table is too small)."""
    return structural_model()[0]


def structural_model() -> tuple[dict[str, float], float]:
    """The structural coefficients in use and the logit sd of a structural estimate
    (:func:`heldout_spread` on the evidence table in use; :data:`INERTNESS_LOGIT_SD` with
    fixed coefficients, as in the ``override(coefficients=…)`` comparison, or too few rows)."""
    if _OVERRIDE.get("coefficients") is not None:
        return dict(_OVERRIDE["coefficients"]), INERTNESS_LOGIT_SD
    excl = frozenset(_OVERRIDE.get("exclude_keys", ()))
    if _OVERRIDE.get("evidence_table") is not None:
        coef, spread = _calibration.__wrapped__(excl)
    elif not excl and _HANDED_CALIBRATION:
        coef, spread = _HANDED_CALIBRATION[0]
    else:
        coef, spread = _calibration(excl)
    return dict(coef), float(spread)


#: the bundled evidence table's :func:`_calibration` computed by the process that started a
#: screen (:func:`use_calibration`)
_HANDED_CALIBRATION: list[tuple[tuple[tuple[str, float], ...], float]] = []


def calibration_handover() -> tuple[tuple[tuple[str, float], ...], float]:
    """The calibration on the bundled evidence table (no override), for :func:`use_calibration`
    in a screen's workers."""
    return _calibration(frozenset())


def use_calibration(value: tuple[tuple[tuple[str, float], ...], float]) -> None:
    """Use ``value``, the :func:`calibration_handover` of another process of the same job (the
    same fit of the same table): a worker then neither refits it (leave-one-core-out) nor
    imports the decay data of the table's radionuclides (≈ 1.5 CPU-s each)."""
    _HANDED_CALIBRATION[:] = [value]


def evidence_features(tab: pd.DataFrame) -> pd.DataFrame:
    """:func:`inertness_features` of each evidence row (core ligand × its radionuclide)."""
    from chelscreen.screening import nuclide_info

    rows = []
    for smi, nuc in zip(tab.get("chelator_smiles", tab.get("smiles", pd.Series(dtype=str))),
                        tab["radionuclide"]):
        try:
            info = nuclide_info(str(nuc))
        except Exception:  # noqa: BLE001 - unsupported nuclide in the table: row not used
            rows.append(None)
            continue
        st = _ligand_structure_cached(str(smi))
        if "_struct_error" in st:
            rows.append(None)
            continue
        rows.append({**info, **st})
    frame = pd.DataFrame([r or {} for r in rows], index=tab.index)
    if not len(frame.columns):
        return pd.DataFrame(columns=INERTNESS_FEATURES, index=tab.index, dtype=float)
    frame = _structural_terms(frame)
    feats = inertness_features(frame)
    bad = np.array([r is None for r in rows])
    feats.loc[bad, :] = np.nan
    return feats


@cache
def _ligand_structure_cached(smiles: str) -> dict:
    from rdkit import Chem

    from chelscreen.chem.standardize import standardize
    from chelscreen.screening import _ligand_structure

    try:
        smi = Chem.MolToSmiles(standardize(smiles, find_core=False).mol)
    except Exception:  # noqa: BLE001 - fall back to the SMILES as given
        smi = None
    return _ligand_structure(smi or smiles)


def _structural_terms(out: pd.DataFrame) -> pd.DataFrame:
    """Cavity fit and denticity fraction (deterministic structure terms)."""
    out = out.copy()
    topo = _text_col(out, "topology")
    cav = np.clip(np.nan_to_num(_col(out, "cavity_radius_pm"), nan=0.0), 0.0, None)
    rion = _col(out, "r_ionic_pm")
    pendant = np.nan_to_num(_col(out, "n_donors"), nan=0.0) > np.nan_to_num(
        _col(out, "ring_donors"), nan=np.inf)
    upper = cav + np.where(pendant, PENDANT_REACH_PM, 0.0)
    dr = np.where(rion < cav, cav - rion, np.where(rion > upper, rion - upper, 0.0))
    is_macro = np.array([t not in ("acyclic", "") for t in topo])
    fit = np.where(is_macro & np.isfinite(dr), np.exp(-0.5 * (dr / CAVITY_SIGMA_PM) ** 2), 1.0)
    out["cavity_mismatch_pm"] = np.where(is_macro, dr, np.nan)
    out["cavity_fit"] = fit
    n_don = _col(out, "n_donors")
    cn = np.minimum(_col(out, "cn_preferred", 9.0), 10.0)
    out["denticity_fraction"] = np.clip(
        np.nan_to_num(n_don, nan=0.0) / np.where(cn > 0, cn, 9.0), 0.0, 1.0)
    return out


# ---- sampling ------------------------------------------------------------------------------
@cache
def _base_normals(n: int = N_DRAWS) -> np.ndarray:
    """Exact standard-normal quantiles in a fixed pseudo-random order (seed 20261203)."""
    from scipy.stats import norm

    q = norm.ppf((np.arange(n) + 0.5) / n)
    return np.random.default_rng(20261203).permutation(q)


def _pair_streams(keys: Sequence[str], salt: str, n: int = N_DRAWS) -> np.ndarray:
    """Standard-normal draws (len(keys) × n), a fixed function of each key and ``salt``.

    Every pair gets its own permutation of the same exact normal quantiles
    (index ``(a·j + b) mod n`` with ``a, b`` from a hash of the key; ``n`` is prime), so the
    draws of a pair do not depend on which other pairs are scored with it, on the block it
    falls in, or on the executor — and two pairs' draws are unrelated.
    """
    import hashlib

    base = _base_normals(n)
    blake = hashlib.blake2b
    # each key's 8-byte digest read as a little-endian unsigned integer, on arrays
    v = np.frombuffer(b"".join([blake(f"{salt}|{k}".encode(), digest_size=8).digest()
                                for k in keys]), dtype="<u8")
    # a·j + b < n² + n: 32-bit integers (faster) when that fits, the same indices
    itype = np.int32 if n * n + n < 2**31 else np.int64
    a = (1 + v % np.uint64(n - 1)).astype(itype)
    b = ((v // np.uint64(n - 1)) % np.uint64(n)).astype(itype)
    idx = (a[:, None] * np.arange(n, dtype=itype)[None, :] + b[:, None]) % itype(n)
    return base[idx]


#: the labeling validation figure that weights a model-basis labeling (:func:`_labeling_skill_weight`)
SKILL_KEY = "model_auc"


def _labeling_skill_weight() -> tuple[float, str]:
    """Weight of the labeling model's p(mild) in the score, from its validated skill.

    ``skill = clip(2 × (model_auc − 0.5), 0, 1)``: 0 at chance (AUC 0.5), 1 for a perfect
    model. ``model_auc`` is the model's own held-out AUC (every row scored by the model fitted
    without its chelating core, ``benchmarks/validate_labeling.py``), not the tool's
    ``loco_auc``: the tool answers most held-out rows from precedents of close cores, and that
    evidence's skill must not be lent to the pairs the model answers alone (50 rows: tool 0.68,
    model alone 0.46). No validation file, or one without ``model_auc``, is zero skill.
    """
    if "labeling_auc" in _OVERRIDE:
        auc = _OVERRIDE["labeling_auc"]
        src = "override"
    else:
        auc, src = _labeling_auc()
    from chelscreen.radiolabeling import skill_weight

    return skill_weight(auc), src


@cache
def _labeling_auc() -> tuple[float | None, str]:
    try:
        from chelscreen.radiolabeling import labeling_skill  # type: ignore[attr-defined]

        skill = labeling_skill()
        auc = skill.get(SKILL_KEY) if isinstance(skill, dict) else None
        return (float(auc) if auc is not None else None), "labeling_skill()"
    except ImportError:
        pass
    except Exception as exc:  # noqa: BLE001 - a broken skill file means no skill
        logger.warning("labeling_skill() failed (%s): labeling weighted as zero skill", exc)
        return None, "labeling_skill() failed"
    import json

    try:
        from chelscreen._resources import molecules_dir

        path = molecules_dir() / "labeling_validation.json"
        if not path.exists():
            return None, "no labeling_validation.json"
        auc = json.loads(path.read_text()).get(SKILL_KEY)
        return (float(auc) if auc is not None else None), str(path.name)
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("labeling_validation.json unreadable (%s): zero skill", exc)
        return None, "labeling_validation.json unreadable"


def labeling_weights(basis: Sequence[str], p_mild: np.ndarray | None = None) -> np.ndarray:
    """Weight of each pair's labeling estimate against the unknown value, by its basis.

    ``precedent`` 1 (a cited result for the exact pair is evidence, whatever the model's
    skill); ``analogue`` :data:`chelscreen.radiolabeling.ANALOGUE_WEIGHT` (a precedent of the
    same core with a close ion, or a close core with the same ion, counts that share of a
    precedent there too); ``model`` (or no basis with a probability) the model's validated
    skill (:func:`_labeling_skill_weight`); ``insufficient`` or no probability 0.
    """
    basis = np.asarray(basis, dtype=object)
    p = np.full(len(basis), np.nan) if p_mild is None else np.asarray(p_mild, dtype=float)
    from chelscreen.radiolabeling import ANALOGUE_WEIGHT as analogue

    skill, _src = _labeling_skill_weight()
    w = np.where(basis == "precedent", 1.0,
                 np.where(basis == "analogue", float(analogue),
                          np.where(basis == "insufficient", 0.0, skill)))
    return np.where(np.isfinite(p), w, 0.0)


@cache
def half_life_h(nuclide: str) -> float:
    """Half-life of a radionuclide in hours (NaN when unknown: no nuclide, only an ion)."""
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import parse_nuclide
    from chelscreen.radiolabeling import half_life_s

    try:  # the project's one nuclide parser: 'Bi-213', '213Bi', 'bi213', '[213Bi]' ...
        name = parse_nuclide(str(nuclide or ""))
    except UnsupportedMetalError:  # an ion without a mass number: no half-life term
        return float("nan")
    return float(half_life_s(name)) / 3600.0


def prep_decay_frac(nuclides: Sequence[str]) -> np.ndarray:
    """Share of the activity that decays during :data:`LABELING_PREP_H` of preparation
    (``1 − 2^(−PREP_H / t½)``; 0 without a half-life): Bi-213 0.59, Ga-68 0.46, Pb-212 0.06."""
    uniq, inv = np.unique(np.asarray(nuclides, dtype=str), return_inverse=True)
    t = np.array([half_life_h(n) for n in uniq], dtype=float)  # once per nuclide, not per row
    ok = np.isfinite(t) & (t > 0)
    f = np.where(ok, 1.0 - np.power(2.0, -LABELING_PREP_H / np.where(ok, t, 1.0)), 0.0)
    return f[inv].reshape(-1)


def preparation_loss(label_loss: np.ndarray, loss_ref: np.ndarray) -> np.ndarray:
    """Share of the activity lost to decay before a shown labeling is ready for use.

    ``max(loss during the suggested labeling time, loss during the reference preparation)``:
    the reference hour (:func:`prep_decay_frac`) covers labeling, purification and quality
    control, so a labeling step shorter than it is part of that hour, and only a longer one
    adds decay. A labeling without a stated time is charged the reference hour. (Charging
    a stated 5-min step only its 5 minutes, but an unstated one the whole hour, made the
    *absence of a time in the source* decide between two precedents of a short-lived
    nuclide: 7 % against 59 % of ²¹³Bi.)
    """
    loss = np.asarray(label_loss, dtype=float)
    ref = np.asarray(loss_ref, dtype=float)
    return np.clip(np.where(np.isfinite(loss), np.maximum(loss, ref), ref), 0.0, 1.0)


@cache
def _reference_loss(nuclide: str) -> float:
    """:func:`prep_decay_frac` of one nuclide (cached: the ``why`` sentence asks per row)."""
    return float(prep_decay_frac([nuclide])[0]) if nuclide else 0.0


def labeling_floor(df: pd.DataFrame) -> np.ndarray:
    """Lowest ``L`` of each pair's labeling when it is scored (before decay):
    :data:`LABELING_HEATED_SCORE` for a labeling shown to work at some conditions, 0 where the
    labeling module's ``labeling_shown`` is 0 — every precedent or analogue reports a clear
    failure (``chelscreen.radiolabeling.CLEAR_FAILURE_RCY_PERCENT``): a published failure must
    not score like a published success; its ``L`` is the probability of mild labeling that the
    failures leave. A frame without the column (older results) keeps the heated floor."""
    shown = _col(df, "labeling_shown")
    return np.where(shown == 0.0, 0.0, LABELING_HEATED_SCORE)


def labeling_unknown_score(nuclides: Sequence[str], prep_decay: np.ndarray | None = None
                           ) -> np.ndarray:
    """Value of a labeling *not shown* for each nuclide: :data:`LABELING_UNKNOWN_SCORE` less the
    activity that decays during the reference preparation (:func:`prep_decay_frac`, or the
    ``prep_decay`` already computed for these nuclides). A shown labeling loses at least this
    reference loss (:func:`preparation_loss`), so an unknown can never score above a proven
    labeling — for a short-lived nuclide too, where an undecayed constant once beat a proven
    heated labeling."""
    f = prep_decay_frac(nuclides) if prep_decay is None else prep_decay
    return LABELING_UNKNOWN_SCORE * (1.0 - f)


def labeling_span(nuclides: Sequence[str], prep_decay: np.ndarray | None = None
                  ) -> np.ndarray:
    """How much labeling can move the score, from each nuclide's half-life (0.3 … 1).

    ``span = LONG + (SHORT − LONG) × f``, ``f = 1 − 2^(−PREP_H / t½)`` the share of the
    activity that decays during one hour of preparation (labeling, purification, quality
    control): Bi-213 (46 min) 0.59, Ga-68 (68 min) 0.46, Pb-212 (10.6 h) 0.06, Ac-225 (10 d)
    0.003. ``LONG = 0.3`` is the span of a long-lived nuclide (mild labeling still matters
    for heat-sensitive vectors such as antibodies); for a nuclide that decays away while it
    is labeled, a labeling that is slow, hot or unproven can cost the whole score. No
    half-life (an ion without a mass number): ``LONG``. ``prep_decay``: :func:`prep_decay_frac`
    of ``nuclides`` when the caller has it already.
    """
    f = prep_decay_frac(nuclides) if prep_decay is None else prep_decay
    return LABELING_SPAN_LONG + (LABELING_SPAN_SHORT - LABELING_SPAN_LONG) * f


def _draw_keys(df: pd.DataFrame) -> list[str]:
    smi = _text_col(df, "smiles")
    chel = _text_col(df, "chelator")
    nuc = _text_col(df, "radionuclide")
    met = _text_col(df, "metal")
    return [f"{s or c}|{n or m}" for s, c, n, m in zip(smi, chel, nuc, met)]


def sample_scores(df: pd.DataFrame, n: int = N_DRAWS) -> dict[str, np.ndarray]:
    """Draws (rows × n) of thermo, retention and total score from the scored columns.

    Needs the columns :func:`score_pairs` writes (``logK_used``, ``logK_sd_used``,
    ``log_alphaL_pH7_4``, ``log_alphaM_pH7_4``, ``inertness``, ``inertness_logit_sd``,
    ``evidence_*``, ``daughter_score``, ``labeling_*``). A pure function of each row, so
    :func:`add_confidence` regenerates exactly the draws behind ``score``.
    """
    keys = _draw_keys(df)
    z_k = _pair_streams(keys, "logK", n)
    z_i = _pair_streams(keys, "inertness", n)
    z_e = _pair_streams(keys, "evidence", n)
    z_l = _pair_streams(keys, "labeling", n)
    logk = _col(df, "logK_used")[:, None] + np.nan_to_num(_col(df, "logK_sd_used"))[:, None] * z_k
    cond = logk - np.nan_to_num(_col(df, "log_alphaL_pH7_4"))[:, None] - np.nan_to_num(
        _col(df, "log_alphaM_pH7_4"))[:, None]
    pm = pm_from_logk(cond)
    thermo = _sigmoid((pm - PM_MID) / PM_SCALE)
    inert_mu = _logit(np.clip(np.nan_to_num(_col(df, "inertness"), nan=0.0), 0, 1))
    inert = _sigmoid(inert_mu[:, None] + np.nan_to_num(
        _col(df, "inertness_logit_sd"), nan=INERTNESS_LOGIT_SD)[:, None] * z_i)
    model_ret = np.sqrt(np.clip(thermo, 0, 1) * np.clip(inert, 0, 1))
    ew = np.nan_to_num(_col(df, "evidence_weight"))
    w_ev = (ew / (ew + EVIDENCE_PRIOR_WEIGHT))[:, None]
    ev_mu = _logit(np.clip(np.nan_to_num(_col(df, "evidence_mean"), nan=0.5), 0.02, 0.98))
    ev_sd = 1.0 / np.sqrt(np.maximum(ew, 1e-9))
    ev = _sigmoid(ev_mu[:, None] + ev_sd[:, None] * z_e)
    retention = np.where(w_ev > 0, w_ev * ev + (1 - w_ev) * model_ret, model_ret)
    daughter = np.nan_to_num(_col(df, "daughter_score"), nan=1.0)[:, None]
    p_mild = _col(df, "mild_labeling_prob")
    nucs = _text_col(df, "radionuclide")
    loss_ref = prep_decay_frac(nucs)
    loss = preparation_loss(_col(df, "decay_loss_frac"), loss_ref)
    lab_w = np.where(np.isfinite(p_mild),
                     np.nan_to_num(_col(df, "labeling_weight"), nan=0.0), 0.0)[:, None]
    span = _col(df, "labeling_span")
    span = np.where(np.isfinite(span), span, labeling_span(nucs, loss_ref))
    from scipy.special import ndtr  # norm.cdf's own function, without its argument checks

    u = ndtr(z_l)
    mild = (u < np.clip(np.nan_to_num(p_mild, nan=0.0), 0, 1)[:, None]).astype(float)
    floor = labeling_floor(df)[:, None]
    lab_draw = (1.0 - loss)[:, None] * (floor + (1 - floor) * mild)
    lab = lab_w * lab_draw + (1 - lab_w) * labeling_unknown_score(nucs, loss_ref)[:, None]
    lab_factor = 1.0 - span[:, None] + span[:, None] * lab
    score = retention * (0.5 + 0.5 * daughter) * lab_factor
    return {"thermo": thermo, "retention": retention, "score": score}


#: the text :func:`chelscreen.io.structure_status_note` puts in a row's ``message``
STRUCTURE_NOTE_MARK = "library structure_status="


def structure_unverified(df: pd.DataFrame) -> np.ndarray:
    """Rows whose library structure is not fully verified (``structure_status`` probable…).

    The screen carries the library's status as the note of
    :func:`chelscreen.io.structure_status_note` in ``message``; a ``structure_status`` column,
    when present, is read directly.
    """
    if "structure_status" in df.columns:
        st = _text_col(df, "structure_status")
        return np.array([v.strip().lower() not in ("", "verified", "nan") for v in st])
    return np.array([STRUCTURE_NOTE_MARK in m for m in _text_col(df, "message")], dtype=bool)


@cache
def _known_by_metal() -> dict[str, tuple[list[str], np.ndarray, list[str], np.ndarray]]:
    """The bundled measured look-up by metal: SMILES, log K, source, element counts."""
    from chelscreen._resources import models_dir

    path = models_dir() / "stability" / "known_pairs.csv.gz"
    try:
        tab = pd.read_csv(path, dtype={"smiles": str, "metal": str, "source": str})
    except (OSError, ValueError) as exc:
        logger.debug("no measured look-up for close cores: %s", exc)
        return {}
    if "measured" in tab:  # anchor-only values (no per-row reference) are not a close core's
        tab = tab[tab["measured"].astype(str).str.lower().isin(["true", "1"])]
    out = {}
    for metal, g in tab.groupby("metal", sort=False):
        smiles = g["smiles"].astype(str).tolist()
        counts = np.array([_element_counts(x) for x in smiles], dtype=float)
        out[str(metal)] = (smiles, g["logK"].to_numpy(float), g["source"].astype(str).tolist(),
                           counts)
    return out


@lru_cache(maxsize=16)
def _known_union(metals: tuple[str, ...]) -> tuple[tuple, tuple[tuple[int, int], ...]]:
    """:func:`_core_arrays` of the measured ligands of several metals (:func:`_known_by_metal`)
    one after the other, and each metal's ``(start, stop)`` in them: a ligand's prefilter runs
    once over every metal of a screen instead of once per pair."""
    known = _known_by_metal()
    bounds, cands, start = [], [], 0
    for m in metals:
        smi = known[m][0]
        cands.extend(smi)
        bounds.append((start, start + len(smi)))
        start += len(smi)
    return _core_arrays(tuple(cands)), tuple(bounds)


def close_core_constants(smiles: str, metals: Sequence[str]
                         ) -> list[tuple[float, str, str] | None]:
    """:func:`close_core_constant` of one ligand with each of ``metals`` (the candidates that
    fail :func:`close_core`'s necessary conditions are dropped on the arrays of all the metals
    at once; each metal's search is the one :func:`close_core_constant` describes)."""
    out: list[tuple[float, str, str] | None] = [None] * len(metals)
    known = _known_by_metal()
    use = [k for k, m in enumerate(metals) if known.get(str(m))]
    if not smiles or not use:
        return out
    if len({str(metals[k]) for k in use}) < len(use):  # a metal twice (Cu-64 and Cu-67)
        uniq = list(dict.fromkeys(str(m) for m in metals))
        found = dict(zip(uniq, close_core_constants(smiles, uniq)))
        return [found[str(m)] for m in metals]
    c = np.asarray(_element_counts(smiles), dtype=float)
    if c[0] >= 10**6:
        return out
    arrays, bounds = _known_union(tuple(str(metals[k]) for k in use))
    counts = arrays[0]
    heavy = counts[:, 0]
    size_ok = (heavy >= 0.5 * c[0]) & (heavy <= 2.0 * c[0])
    # the candidates that fail close_core's necessary conditions are dropped on arrays (the
    # first match found below is the same); _may_be_close keeps only candidates whose N/O/S/P
    # counts are all within or all above the ligand's (the former separate test of that)
    keep = size_ok & _may_be_close(smiles, arrays)
    for k, (a, b) in zip(use, bounds):
        cands, values, sources, _counts = known[str(metals[k])]
        idx = np.flatnonzero(keep[a:b])
        if not len(idx):
            continue
        for i in idx[np.argsort(np.abs(heavy[a:b][idx] - c[0]), kind="stable")]:
            if cands[i] != smiles and close_core(smiles, cands[i]):
                out[k] = (float(values[i]), sources[i], cands[i])
                break
    return out


@lru_cache(maxsize=65536)
def close_core_constant(smiles: str, metal: str) -> tuple[float, str, str] | None:
    """A measured constant of a close core (:func:`close_core`) with the same metal:
    ``(log K, its source, the close core's SMILES)``, or None.

    A C-substituted or bifunctional analogue without a constant of its own (1B4M-DTPA,
    HBED-CC) is closer to its parent's measured value than to a model estimate that has no
    neighbour in the training data; :data:`CLOSE_CORE_LOGK_SD` is the spread such a stand-in
    carries. Among several close cores the one nearest in size is used."""
    return close_core_constants(smiles, [metal])[0]


@cache
def _close_core_names() -> dict[str, str]:
    """Library names by ligand key, to name a close core in the ``why`` text."""
    from chelscreen.errors import ChelscreenError
    from chelscreen.io import load_library

    try:
        lib = load_library()
    except ChelscreenError:  # no library: the close core is named by its SMILES
        return {}
    return {ligand_key(s): n for s, n in zip(lib["smiles"], lib["name"])}


def _runs(values: np.ndarray, rows: np.ndarray) -> list[tuple[str, list[int]]]:
    """``rows`` grouped by ``values[row]`` in first-seen order: (value, its rows)."""
    groups: dict[str, list[int]] = {}
    for r in rows.tolist():
        groups.setdefault(values[r], []).append(r)
    return list(groups.items())


def score_pairs(df: pd.DataFrame) -> pd.DataFrame:
    """Add the thermodynamic, inertness, retention, daughter, labeling and total scores.

    ``df`` holds one row per pair with (where known) ``logK_pred, logK_sd, logK_exp,
    logK_basis, log_alphaL_pH7_4, log_beta1_hydrolysis, topology, n_donors, ring_donors,
    cn_preferred, cavity_radius_pm, r_ionic_pm, ion_pauling_en, n_donor_O, n_donor_amide_O,
    preorganization_code, ligand_key, sim_donors_retained_frac, released_alpha_energy_frac,
    mild_labeling_prob, labeling_basis, decay_loss_frac``. Rows whose ``status`` is
    ``invalid``/``error`` get NaN scores. Returns a new DataFrame (decision rule and
    confidence columns: see the module docstring).
    """
    out = df.copy()
    ok = ~out.get("status", pd.Series("ok", index=out.index)).isin(["invalid", "error"]).to_numpy()
    logk_exp = _col(out, "logK_exp")
    logk_pred = _col(out, "logK_pred")
    basis = _text_col(out, "logK_basis")
    measured = np.isfinite(logk_exp) & np.array([b in ("", "measured") for b in basis])
    logk = np.where(measured, logk_exp, logk_pred)
    sd = np.where(measured, MEASURED_SD, np.abs(_col(out, "logK_sd")))
    sd = np.where(np.isfinite(sd), sd, UNKNOWN_LOGK_SD)
    # a model-only estimate is combined (inverse-variance) with a close core's measured
    # constant for the same metal, when the bundled look-up holds one
    note = np.full(len(out), "", dtype=object)
    smiles_col = _text_col(out, "smiles")
    metal_col = _text_col(out, "metal")
    want = np.flatnonzero(ok & ~measured & np.array([b == "model" for b in basis])
                          & np.isfinite(logk))
    # one look-up per ligand for all its metals (pairs are ligand-major: a ligand's rows follow
    # each other)
    hits: dict[int, tuple[float, str, str] | None] = {}
    for smi, rows in _runs(smiles_col, want):
        for r, hit in zip(rows, close_core_constants(smi, [metal_col[r] for r in rows])):
            hits[r] = hit
    for i in want:
        hit = hits[i]
        if hit is None:
            continue
        value, source, other = hit
        w_m, w_c = 1.0 / sd[i] ** 2, 1.0 / CLOSE_CORE_LOGK_SD ** 2
        combined = (w_m * logk[i] + w_c * value) / (w_m + w_c)
        label = _close_core_names().get(ligand_key(other), other)
        note[i] = (f"model {logk[i]:.1f} ± {sd[i]:.1f} combined with the measured {value:.2f} of "
                   f"the close core {label} ({source}; ± {CLOSE_CORE_LOGK_SD:g} as a stand-in)")
        logk[i], sd[i] = combined, (w_m + w_c) ** -0.5
    out["logK_used"] = logk
    out["logK_close_core"] = note
    probable = structure_unverified(out)
    sd = np.where(probable & ~measured, np.hypot(sd, PROBABLE_LOGK_SD), sd)
    out["logK_sd_used"] = sd
    la_l = _col(out, "log_alphaL_pH7_4", 0.0)
    beta = _col(out, "log_beta1_hydrolysis")
    la_m = np.where(np.isfinite(beta), np.log10(1.0 + np.power(10.0, np.nan_to_num(beta) + PH)),
                    0.0)
    out["log_alphaM_pH7_4"] = la_m
    cond = logk - np.nan_to_num(la_l) - la_m
    out["logK_cond_pH7_4"] = cond
    out["pM_pH7_4"] = pm_from_logk(cond)

    out = _structural_terms(out)
    feats = inertness_features(out)
    coef, spread = structural_model()
    elements = [_element_of(n) if n else "".join(c for c in m if c.isalpha())
                for n, m in zip(_text_col(out, "radionuclide"), _text_col(out, "metal"))]
    inert_struct = _sigmoid(_linear(feats, coef, elements))
    out["inertness_struct"] = inert_struct
    out["inertness_logit_sd"] = np.where(
        probable, np.hypot(spread, PROBABLE_INERTNESS_LOGIT_SD), spread)
    sim = _col(out, "sim_donors_retained_frac")
    out["inertness"] = np.where(
        np.isfinite(sim), inert_struct * np.sqrt(np.clip(sim, 0.0, 1.0)), inert_struct)

    if "ligand_key" in out.columns:
        keys = _text_col(out, "ligand_key")
    else:
        keys = np.array([ligand_key(s) for s in _text_col(out, "smiles")], dtype=object)
        out["ligand_key"] = keys
    ev = evidence_summary(list(keys), elements, list(_text_col(out, "ligand_parent_key")),
                          list(_text_col(out, "smiles")))
    for c in ev.columns:
        out[c] = ev[c].to_numpy()

    rel = _col(out, "released_alpha_energy_frac")
    out["daughter_score"] = np.where(np.isfinite(rel), 1.0 - np.clip(rel, 0.0, 1.0), 1.0)
    p_mild = _col(out, "mild_labeling_prob")
    out["labeling_weight"] = labeling_weights(_text_col(out, "labeling_basis"), p_mild)
    nucs = _text_col(out, "radionuclide")
    loss_ref = prep_decay_frac(nucs)
    out["labeling_span"] = labeling_span(nucs, loss_ref)
    unknown = labeling_unknown_score(nucs, loss_ref)
    floor = labeling_floor(out)
    lab = (1.0 - preparation_loss(_col(out, "decay_loss_frac"), loss_ref)) * (
        floor + (1 - floor) * np.clip(np.nan_to_num(p_mild, nan=0.0), 0, 1))
    w = out["labeling_weight"].to_numpy(float)
    out["labeling_score"] = np.where(np.isfinite(p_mild), w * lab + (1 - w) * unknown, unknown)

    draws = sample_scores(out)
    q = [LCB_QUANTILE, INTERVAL[0], INTERVAL[1]]
    th_q = np.quantile(draws["thermo"], LCB_QUANTILE, axis=1)
    ret_q = np.quantile(draws["retention"], LCB_QUANTILE, axis=1)
    sc_q = np.quantile(draws["score"], q, axis=1)
    out["thermo_score"] = th_q
    out["retention_score"] = ret_q
    out["score_mean"] = draws["score"].mean(axis=1)
    out["score_lo"] = sc_q[1]
    out["score_hi"] = sc_q[2]
    for name in ("thermo_score", "inertness", "retention_score", "daughter_score",
                 "labeling_score", "pM_pH7_4", "logK_cond_pH7_4", "logK_used", "score_mean",
                 "score_lo", "score_hi"):
        out[name] = np.where(ok, out[name].to_numpy(dtype=float), np.nan)
    out["score"] = np.where(ok & np.isfinite(sc_q[0]), sc_q[0], np.nan)
    return out


def core_representatives(df: pd.DataFrame, by: str = "radionuclide",
                         score: str = "score") -> np.ndarray:
    """Position of the row each row is ranked with: itself, or its chelating core's row.

    One rank per chelating core and radionuclide: a conjugate (``ligand_parent_key``: the key
    of its chelating core, :func:`parent_key`) whose core is screened too (a row of the same
    radionuclide with that ``ligand_key``) is ranked with that row; conjugates of the same
    core whose core is not screened are ranked with the best-scored of them. A conjugate
    differs from its core by the vector, which none of the scores is about (its own predicted
    log K differs from the core's only by the model's error), so it must not compete with its
    core or crowd other chelators out of the top. Frames without key columns: every row is
    its own. The work is done on integer codes (:func:`core_codes`,
    :func:`representatives`).
    """
    n = len(df)
    if n == 0 or ("ligand_key" not in df.columns and "ligand_parent_key" not in df.columns):
        return np.arange(n)
    has_key, key_code, parent_code = core_codes(df.get("ligand_key"), df.get("ligand_parent_key"),
                                                n)
    sc = _col(df, score) if score in df.columns else np.zeros(n)
    groups = (pd.factorize(df[by].astype(str))[0] if by in df.columns
              else np.zeros(n, dtype=np.int64))
    smiles = (df["smiles"].array if "smiles" in df.columns
              else np.full(n, "", dtype=object))
    return representatives(groups, sc, has_key, key_code, parent_code, smiles)


def _key_text(col: pd.Series | None, n: int) -> pd.Series:
    """A key column as text with ``""`` for missing values (vectorized)."""
    if col is None:
        return pd.Series(np.full(n, "", dtype=object))
    col = pd.Series(col, copy=False)
    return col.where(col.notna(), "").astype(str)


def core_codes(keys: pd.Series | None, parents: pd.Series | None, n: int,
               parent_set: pd.Index | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of the chelating-core keys: ``has_key`` (a non-empty ``ligand_key``),
    ``key_code`` and ``parent_code``, the position of ``ligand_key``/``ligand_parent_key`` in
    the sorted distinct non-empty parent keys (``parent_set``, default: those of ``parents``),
    -1 when the key is no row's parent or the row has no parent. Two codes ≥ 0 are equal
    exactly when their keys are: what :func:`representatives` compares, as numbers."""
    k = _key_text(keys, n)
    p = _key_text(parents, n)
    if parent_set is None:
        parent_set = pd.Index(sorted(set(p[p != ""].tolist())), dtype=object)
    has_key = (k != "").to_numpy(bool)
    key_code = np.where(has_key, parent_set.get_indexer(k), -1) if len(parent_set) else \
        np.full(n, -1)
    has_parent = (p != "").to_numpy(bool)
    parent_code = (np.where(has_parent, parent_set.get_indexer(p), -1) if len(parent_set)
                   else np.full(n, -1))
    return has_key, key_code.astype(np.int64), parent_code.astype(np.int64)


def _text_at(arr, rows: np.ndarray) -> list[str]:
    """The texts of ``arr`` (a NumPy or pandas string array) at ``rows``, ``""`` for missing."""
    out = []
    for i in rows:
        v = arr[int(i)]
        out.append("" if v is None or (isinstance(v, float) and v != v) or v is pd.NA
                   else str(v))
    return out


def representatives(groups: np.ndarray, sc: np.ndarray, has_key: np.ndarray,
                    key_code: np.ndarray, parent_code: np.ndarray, smiles) -> np.ndarray:
    """:func:`core_representatives` on numbers: ``groups`` integer codes of the radionuclide,
    ``sc`` the scores (rows without a finite score are their own), the key codes of
    :func:`core_codes`, ``smiles`` a string array (read only for conjugates and, when a
    conjugate's core key is not screened, for the plain chelators searched for its core).
    Only the conjugates' rows are visited one by one; memory is a few numbers per row."""
    n = len(sc)
    rep = np.arange(n)
    fin = np.isfinite(sc)
    conj = np.flatnonzero((parent_code >= 0) & fin)
    if not len(conj):
        return rep
    plain = has_key & (parent_code < 0) & fin
    # the first plain row of each (group, key code) that is some conjugate's parent
    cand = np.flatnonzero(plain & (key_code >= 0))
    core_row: dict[tuple[int, int], int] = {}
    for i in cand[::-1]:
        core_row[(int(groups[i]), int(key_code[i]))] = int(i)
    by_core: dict[tuple[int, int], list[int]] = {}
    for i in conj:
        by_core.setdefault((int(groups[i]), int(parent_code[i])), []).append(int(i))
    first_smiles = {gk: _text_at(smiles, [m[0]])[0] for gk, m in by_core.items()
                    if gk not in core_row}
    unscreened = set(first_smiles.values())
    heads: dict[str, tuple[str, ...]] = {}
    if unscreened:
        plain_all = np.flatnonzero(plain)
        heads = _core_heads(unscreened, np.asarray(pd.Series(smiles).iloc[plain_all]
                                                   .astype(object).to_numpy()))
    plain_rows: dict[str, np.ndarray] = {}
    if first_smiles:
        want = sorted({s for c in first_smiles.values() for s in heads.get(c, ())})
        if want:
            rows = np.flatnonzero(plain)
            hit = pd.Series(smiles).iloc[rows].isin(want).to_numpy(bool)
            rows = rows[hit]
            for i, s in zip(rows, _text_at(smiles, rows)):
                plain_rows.setdefault(s, []).append(int(i))
    for (g, pk), members in by_core.items():
        if (g, pk) in core_row:
            head = core_row[(g, pk)]
        else:
            # the core in another acid/linker form (HBED-CC for PSMA-11, whose core finder
            # keeps the HBED unit only): the largest screened chelator of the same radionuclide
            # that holds the conjugate's chelating core and whose skeleton the conjugate holds
            cands = [j for s in heads.get(first_smiles[(g, pk)], ())
                     for j in plain_rows.get(s, ()) if groups[j] == g]
            if cands:
                head = max(cands, key=lambda j: (_heavy_atoms(_text_at(smiles, [j])[0]), -j))
            else:  # core not screened: the best-scored conjugate (first on ties) stands
                head = members[int(np.argmax(sc[members]))]
        rep[members] = head
    return rep


def rank_within(groups: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Rank (1 = highest ``s``, input order among equals) within each group code; NaN where
    ``s`` is not finite (numbers only: a stable sort on (group, -s, position))."""
    n = len(s)
    rank = np.full(n, np.nan)
    ok = np.flatnonzero(~np.isnan(s))
    if not len(ok):
        return rank
    order = ok[np.lexsort((ok, -s[ok], groups[ok]))]
    g = groups[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(start, np.diff(np.r_[start, len(order)]))
    rank[order] = np.arange(len(order)) - first + 1
    return rank


def tie_neighbours(idx: np.ndarray, pos: np.ndarray, mean: np.ndarray,
                   spread: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs a ranked pair below the confidence candidates is tied with: for the pairs at
    sorted positions ``pos`` of ``idx`` (one radionuclide's ranked rows, best first), their
    neighbours within :data:`TIE_WINDOW` positions (rows, ``len(pos) × 2W``) and which of
    them are indistinguishable (normal approximation of the draws' ``mean`` and ``spread``)."""
    from scipy.stats import norm

    off = np.concatenate([np.arange(-TIE_WINDOW, 0), np.arange(1, TIE_WINDOW + 1)])
    rows = idx[pos]
    nbp = pos[:, None] + off[None, :]
    valid = (nbp >= 0) & (nbp < len(idx))
    nb = idx[np.clip(nbp, 0, len(idx) - 1)]
    s = np.sqrt(spread[rows][:, None] ** 2 + spread[nb] ** 2)
    p = norm.cdf((mean[rows][:, None] - mean[nb]) / np.where(s > 0, s, 1e-9))
    keep = valid & (p < DISTINGUISH_P) & (1 - p < DISTINGUISH_P)
    return nb, keep


def tie_texts(names, nb: np.ndarray, keep: np.ndarray) -> list[str]:
    """``tied_with`` texts of :func:`tie_neighbours`'s rows: the names joined by ``"; "``."""
    if not len(nb):
        return []
    flat = np.asarray(pd.Series(names).iloc[nb.ravel()].astype(object).to_numpy()
                      ).reshape(nb.shape)
    return ["; ".join(flat[k][keep[k]]) for k in range(len(nb))]


#: ``(conjugate SMILES, signature of the plain chelators searched) → the plain SMILES that
#: are its chelating core`` (:func:`_core_heads`)
_HEADS_MEMO: dict[tuple[str, int], tuple[str, ...]] = {}
_HEADS_MEMO_MAX = 100_000


def _core_heads(conjugates: set[str], plain: np.ndarray) -> dict[str, tuple[str, ...]]:
    """For each conjugate SMILES, the plain chelator SMILES (among ``plain``) that are its
    chelating core in another form (:func:`_is_core_of`).

    The plain chelators are grouped by their (N, O, S, P) counts once per call, so a
    conjugate is tested only against the groups whose counts can hold its core's (a dict
    scan over distinct count tuples, not over every chelator), and only chelators no larger
    than the conjugate go on to the substructure test. Results are memoized per conjugate
    and set of plain chelators, so the two ranking passes and the per-radionuclide calls of
    a streamed screen search once.
    """
    uniq = sorted(set(plain.tolist()))
    sig = hash(tuple(uniq))
    todo = [c for c in conjugates if (c, sig) not in _HEADS_MEMO]
    if todo:
        by_counts: dict[tuple[int, ...], list[tuple[int, str]]] = {}
        for s in uniq:
            ec = _element_counts(s)
            by_counts.setdefault(ec[1:], []).append((ec[0], s))
        if len(_HEADS_MEMO) > _HEADS_MEMO_MAX:
            _HEADS_MEMO.clear()
        for c in todo:
            core, whole = _element_counts(c, core=True), _element_counts(c)
            hits = []
            for counts, members in by_counts.items():
                if all(x <= y for x, y in zip(core[1:], counts)):
                    hits.extend(s for h, s in members if h <= whole[0] and _is_core_of(c, s))
            _HEADS_MEMO[(c, sig)] = tuple(hits)
    return {c: _HEADS_MEMO[(c, sig)] for c in conjugates}


@lru_cache(maxsize=65536)
def _element_counts(smiles: str, core: bool = False) -> tuple[int, ...]:
    """Heavy atoms and N, O, S, P counts of a ligand (or of its chelating core)."""
    mol = None
    if core:
        try:
            from chelscreen.chem.standardize import standardize

            mol = standardize(smiles).core
        except Exception:  # noqa: BLE001 - no core: nothing can match
            return (10**6,) * 5
    else:
        from chelscreen.chem.descriptors import mol_of_smiles

        mol = mol_of_smiles(smiles)  # the shared read-only Mol of the ligand
    if mol is None:
        return (10**6,) * 5
    sym = [a.GetSymbol() for a in mol.GetAtoms() if a.GetAtomicNum() > 1]
    return (len(sym), sym.count("N"), sym.count("O"), sym.count("S"), sym.count("P"))


@cache
def _heavy_atoms(smiles: str) -> int:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return mol.GetNumHeavyAtoms() if mol is not None else 0


@cache
def _is_core_of(conjugate: str, chelator: str) -> bool:
    """Whether ``chelator`` is the chelating core of ``conjugate`` in another form.

    Both must hold: the conjugate's chelating core (:func:`chelscreen.chem.standardize`'s core
    finder) is a substructure of the chelator (same elements: the donor set is the
    chelator's), and the chelator's skeleton — any atom, any bond — is a substructure of the
    conjugate (the conjugate was made from it by turning a group into the linker, e.g. an
    acid into an amide). DO3A is not DOTATATE's core (DOTATATE's core has a fourth arm);
    HBED-CC is PSMA-11's.
    """
    from rdkit import Chem

    from chelscreen.chem.standardize import standardize

    try:
        std = standardize(conjugate)
    except Exception:  # noqa: BLE001 - no core: no match
        return False
    x = Chem.MolFromSmiles(chelator)
    if x is None or std.core is None:
        return False
    if not x.HasSubstructMatch(std.core):
        return False
    params = Chem.AdjustQueryParameters.NoAdjustments()
    params.makeAtomsGeneric = True
    params.makeBondsGeneric = True
    generic = Chem.AdjustQueryProperties(x, params)
    return bool(std.mol.HasSubstructMatch(generic))


def add_rank(df: pd.DataFrame, by: str = "radionuclide", score: str = "score") -> pd.DataFrame:
    """``rank`` (1 = best) of each chelating core within its radionuclide; ties keep input order.

    Conjugates are ranked with their chelating core (:func:`core_representatives`): they
    share its rank, ``ranked_with`` names the row they are ranked with, and their ``why``
    (when present) starts with that note. Every other row has an empty ``ranked_with``.
    """
    out = df.copy()
    order = np.arange(len(out))
    rep = core_representatives(out, by, score)
    is_rep = rep == order
    s = pd.to_numeric(out[score], errors="coerce").to_numpy(float)
    groups = pd.factorize(out[by], use_na_sentinel=False)[0]
    rank = rank_within(groups, np.where(is_rep, s, np.nan))
    rank = np.where(is_rep, rank, rank[rep])
    out["rank"] = pd.array(np.where(np.isnan(rank), None, rank), dtype="Int64")
    names = (out["chelator"].astype(str).to_numpy() if "chelator" in out.columns
             else order.astype(str))
    out["ranked_with"] = np.where(is_rep, "", names[rep]).astype(object)
    notes = np.full(len(out), "", dtype=object)
    if (~is_rep).any():
        parents = _text_col(out, "ligand_parent_key")
        keys = _text_col(out, "ligand_key")
        smiles = _text_col(out, "smiles")
        for i in np.flatnonzero(~is_rep):
            head = rep[i]
            notes[i] = rank_note(names[head], keys[head] == parents[i] or not parents[head],
                                 smiles[i])
    out["_rank_note"] = notes
    if "why" in out.columns:
        out["why"] = with_rank_notes(out["why"].to_numpy(dtype=object), notes)
    return out


def rank_note(head: str, of_core: bool, smiles: str = "") -> str:
    """The note that starts the ``why`` of a row ranked with another (``head``): a conjugate of
    that chelating core (``of_core``), a bifunctional form of it (a conjugation handle on the
    chelator, :func:`strip_handle`), or another form of the same chelating core."""
    if not of_core:
        return f"same chelating core as {head}; ranked with it"
    if smiles and strip_handle(smiles):
        return f"bifunctional form of {head} (a conjugation handle); ranked with it"
    return f"conjugate of {head}; ranked with its core"


def with_rank_notes(why: np.ndarray, notes: np.ndarray) -> np.ndarray:
    """``why`` with each non-empty rank note (:func:`add_rank`'s ``_rank_note``) in front
    (once: a sentence that already starts with its note is left as it is)."""
    out = np.asarray(why, dtype=object).copy()
    for i in np.flatnonzero(np.array([bool(n) for n in notes], dtype=bool)):
        text = "" if out[i] is None or out[i] != out[i] else str(out[i])
        if not text.startswith(notes[i]):
            out[i] = f"{notes[i]}; {text}" if text else notes[i]
    return out


def add_confidence(df: pd.DataFrame, by: str = "radionuclide",
                   candidates: int = CONFIDENCE_CANDIDATES) -> pd.DataFrame:
    """``p_best`` and ``tied_with`` for every scored pair (needs ``rank`` and the score inputs).

    The draws behind ``score`` are regenerated (:func:`sample_scores`) for the ``candidates``
    best-ranked pairs of each radionuclide. ``p_best`` is the share of draws in which a pair
    has the highest score of its radionuclide (pairs ranked below the candidates get 0; the
    values of a radionuclide sum to 1). ``tied_with`` lists the chelators whose score is not
    distinguishable: neither is higher in ≥ :data:`DISTINGUISH_P` of the paired draws
    (pairs below the candidates are compared with their neighbours within
    :data:`TIE_WINDOW` ranks by the normal approximation of the draws' mean and spread).
    """
    out = df.copy()
    rank = pd.to_numeric(out["rank"], errors="coerce").to_numpy(float)
    p_best = np.where(np.isfinite(rank), 0.0, np.nan)
    tied_with = np.full(len(out), "", dtype=object)
    names = out["chelator"].astype(str).to_numpy()
    rep = core_representatives(out, by, "score") if "score" in out.columns else np.arange(
        len(out))
    is_rep = rep == np.arange(len(out))
    mean = spread = None
    # column-wise: every radionuclide's values are computed with numpy and assigned once
    # (per-row ``iloc`` writes cost ~2 ms each and dominated large screens)
    for _nuc, idx in out.groupby(by, sort=False).indices.items():
        idx = np.asarray(idx)
        idx = idx[np.isfinite(rank[idx]) & is_rep[idx]]
        if not len(idx):
            continue
        idx = idx[np.argsort(rank[idx], kind="stable")]
        top = idx[:candidates]
        draws = sample_scores(out.iloc[top])["score"]
        best = np.argmax(draws, axis=0)
        counts = np.bincount(best, minlength=len(top))
        p_best[top] = counts / draws.shape[1]
        gt = (draws[:, None, :] > draws[None, :, :]).mean(axis=2)
        tied = (gt < DISTINGUISH_P) & (gt.T < DISTINGUISH_P)
        np.fill_diagonal(tied, False)
        for a, i in enumerate(top):
            tied_with[i] = "; ".join(names[top[tied[a]]])
        rest = idx[candidates:]
        if len(rest):
            if mean is None:
                mean = _col(out, "score_mean")
                spread = (_col(out, "score_hi") - _col(out, "score_lo")) / (2 * 1.645)
            # in blocks: the temporaries are rows × 2W each (bounded memory for 10^6 pairs)
            for b0 in range(0, len(rest), TIE_BLOCK):
                blk = rest[b0:b0 + TIE_BLOCK]
                pos = candidates + b0 + np.arange(len(blk))
                nb, keep = tie_neighbours(idx, pos, mean, spread)
                tied_with[blk] = np.array(tie_texts(names, nb, keep) + [None],
                                          dtype=object)[:-1]
    # a conjugate shows its core's confidence (it is not a competitor of its own)
    conj = np.flatnonzero(~is_rep)
    p_best[conj] = p_best[rep[conj]]
    tied_with[conj] = tied_with[rep[conj]]
    out["p_best"] = p_best
    out["tied_with"] = tied_with
    return out


def distinguishable(df: pd.DataFrame, a: int, b: int) -> bool:
    """Whether row ``b`` is not in row ``a``'s ``tied_with``."""
    tied = str(df.iloc[a].get("tied_with", "") or "").split("; ")
    return str(df.iloc[b]["chelator"]) not in tied


# --------------------------------------------------------------------------------------------
# the sentence
# --------------------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def _ion_text(symbol: str) -> str:
    el = "".join(c for c in symbol if c.isalpha())
    rest = symbol[len(el):]
    return el + rest.translate(_SUPERSCRIPT)


def _fmt(x, nd: int = 1) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "?"
    return f"{v:.{nd}f}" if math.isfinite(v) else "?"


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _str(x) -> str:
    """Text of a cell; empty for None/NaN."""
    if x is None or (isinstance(x, float) and x != x):
        return ""
    return str(x).strip()


#: a predicted log K with this sd or more (90 % interval wider than ~16 log units) is reported
#: as uninformative in the ``why`` sentence rather than as a number to reason with
UNINFORMATIVE_LOGK_SD = 5.0


def why_sentence(row: pd.Series | dict) -> str:
    """One sentence of reasons, in words, for one scored pair."""
    r = dict(row)
    status = str(r.get("status", "ok"))
    if status in ("invalid", "error"):
        return f"not scored: {r.get('message') or status}"
    ion = _ion_text(str(r.get("metal", "")))
    parts: list[str] = []
    topo = str(r.get("topology", "acyclic"))
    n_don = r.get("n_donors")
    dent = f"{int(n_don)}-donor " if _finite(n_don) else ""
    if topo == "acyclic":
        desc = f"open-chain {dent}chelator (no macrocyclic inertness)"
    else:
        ring = r.get("macrocycle_ring_size")
        ring_txt = f"{int(ring)}-membered " if _finite(ring) and float(ring) > 0 else ""
        kind = "cross-bridged cage" if topo == "cross-bridged" else "macrocycle"
        desc = f"{dent}{ring_txt}{kind}"
        dr = r.get("cavity_mismatch_pm")
        r_ion, cav = r.get("r_ionic_pm"), r.get("cavity_radius_pm")
        pendant = (_finite(n_don) and _finite(r.get("ring_donors"))
                   and float(n_don) > float(r.get("ring_donors")))
        above = (_finite(dr) and float(dr) > CAVITY_SIGMA_PM and _finite(r_ion) and _finite(cav)
                 and float(r_ion) > float(cav) and pendant and _finite(ring)
                 and float(ring) <= 12)
        if above:
            # a large ion sits above the N4 plane of a small ring and is held by the pendant
            # arms (Pb²⁺/Bi³⁺/Ac³⁺ with cyclen-based chelators): "cavity fit" does not apply
            desc += (f" with {ion} above the ring plane, held by the pendant arms "
                     f"(ion {float(dr):.0f} pm larger than the cavity)")
        elif _finite(dr):
            fits = ("fits" if float(dr) <= 10 else
                    "loosely fits" if float(dr) <= CAVITY_SIGMA_PM else "is mismatched to")
            desc += f" whose cavity {fits} {ion} (Δr {float(dr):.0f} pm)"
    cn = r.get("cn_preferred")
    if _finite(n_don) and _finite(cn) and float(n_don) < min(float(cn), 10):
        desc += f", leaving {int(min(float(cn), 10) - float(n_don))} of {ion}'s sites to water"
    parts.append(desc)
    ev_n = r.get("evidence_n")
    if _finite(ev_n) and float(ev_n) > 0:
        w = float(r.get("evidence_weight") or 0.0)
        share = w / (w + EVIDENCE_PRIOR_WEIGHT)
        text = _str(r.get("evidence_text"))
        # evidence of close cores only (:func:`evidence_summary`) is not about this core
        where = ("a close chelating core" if text.startswith("analogue evidence")
                 else "this chelating core")
        parts.append(f"retention evidence for {ion} with {where}: "
                     f"{text or int(float(ev_n))} — weight {share:.2f} "
                     "against the model estimate")
    if _finite(r.get("pM_pH7_4")):
        parts.append(f"pM {_fmt(r.get('pM_pH7_4'))}")
    basis = _str(r.get("logK_basis"))
    if _finite(r.get("logK_exp")) and basis in ("", "measured"):
        src = _str(r.get("logK_exp_source"))
        parts.append(f"log K {_fmt(r.get('logK_exp'))} (measured{', ' + src if src else ''};"
                     " used instead of the model's value)")
    elif _finite(r.get("logK_pred")):
        dom = r.get("in_domain")
        dom_txt = "in domain" if bool(dom) and dom is not None and dom == dom else "OUT OF DOMAIN"
        note = _str(r.get("domain_note"))
        if dom_txt == "OUT OF DOMAIN" and note:
            dom_txt += f": {note}"
        sd = f" ± {_fmt(r.get('logK_sd'))}" if _finite(r.get("logK_sd")) else ""
        how = f"{basis} estimate, " if basis and basis != "model" else ""
        if _str(r.get("logK_close_core")) and _finite(r.get("logK_used")):
            parts.append(f"log K {_fmt(r.get('logK_used'))} ± "
                         f"{_fmt(r.get('logK_sd_used'))} ({_str(r.get('logK_close_core'))})")
            how = None
        if how is None:
            pass
        elif _finite(r.get("logK_sd")) and float(r.get("logK_sd")) >= UNINFORMATIVE_LOGK_SD:
            # a 90 % interval wider than ~16 log units says nothing about this pair
            parts.append(f"log K uninformative ({_fmt(r.get('logK_pred'))}{sd}; {how}"
                         f"{dom_txt}): the score rests on its lower bound")
        else:
            parts.append(f"log K {_fmt(r.get('logK_pred'))}{sd} ({how}{dom_txt})")
    if not _finite(r.get("log_beta1_hydrolysis")):
        parts.append(f"no hydrolysis constant for {ion}, pM not hydrolysis-corrected")
    if _finite(r.get("sim_donors_retained_frac")):
        parts.append(
            f"simulation keeps {float(r['sim_donors_retained_frac']) * 100:.0f}% of donors bound"
        )
    p = r.get("mild_labeling_prob")
    if _finite(p):
        temp = r.get("suggested_temperature_C")
        tmin = r.get("suggested_time_min")
        cond = ""
        if _finite(temp) and _finite(tmin):
            where = "RT" if float(temp) <= 30 else f"{float(temp):.0f} °C"
            cond = f"; suggested {where}, {float(tmin):.0f} min"
        if float(p) >= 0.7:
            verdict = "mild labeling likely"
        elif float(p) >= 0.3:
            verdict = "mild labeling uncertain"
        else:
            verdict = "likely needs heating to label"
        lw = r.get("labeling_weight")
        lb = _str(r.get("labeling_basis"))
        if lb == "precedent":
            wtxt = "; precedent for this pair, full weight"
        elif lb == "analogue" and _finite(lw):
            wtxt = f"; analogue precedent, weight {float(lw):.2f}"
        elif _finite(lw):
            wtxt = (f"; weight {float(lw):.2f} from the model's validated skill"
                    if float(lw) > 0 else "; not weighted: labeling model without validated skill")
        else:
            wtxt = ""
        parts.append(f"{verdict} (p={float(p):.2f}{cond}{wtxt})")
        loss = float(r["decay_loss_frac"]) if _finite(r.get("decay_loss_frac")) else np.nan
        nuc = _str(r.get("radionuclide"))
        ref = _reference_loss(nuc)
        if np.isfinite(loss) and loss >= 0.1 and loss >= ref:
            parts.append(f"{loss * 100:.0f}% of the activity decays during labeling")
        elif ref >= 0.1:
            # the score charges at least the reference hour (:func:`preparation_loss`): say so
            during = (f"{loss * 100:.0f}% during the labeling step, "
                      if np.isfinite(loss) and loss >= 0.01 else "")
            parts.append(f"{during}{ref * 100:.0f}% of the activity decays before use "
                         f"(scored with {LABELING_PREP_H:g} h of labeling, purification and QC)")
    elif _str(r.get("labeling_note")):
        parts.append(str(r.get("labeling_note")) + "; scored as a labeling not shown "
                     f"({LABELING_UNKNOWN_SCORE:g} of 1)")
    apd = r.get("alphas_per_decay")
    rel = r.get("released_alpha_energy_frac")
    if _finite(apd) and float(apd) > 0:
        a = round(float(apd), 2)  # 0.99999999999899 for Pb-212 is 1 α, not "1.00"
        txt = f"{a:.0f} α per decay" if abs(a - round(a)) < 0.005 else f"{a:.2f} α per decay"
        if _finite(rel):
            txt += f", {float(rel) * 100:.0f}% of α energy from released daughters"
        parts.append(txt)
    elif _str(r.get("daughter_note")):
        parts.append(str(r.get("daughter_note")))
    elif _finite(apd):
        parts.append("no α-emitting daughters")
    return "; ".join(parts)


def add_why(df: pd.DataFrame) -> pd.DataFrame:
    """Add the ``why`` column."""
    out = df.copy()
    out["why"] = [why_sentence(r) for r in out.to_dict("records")]
    return out
