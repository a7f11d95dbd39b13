"""The learned stability model (log K1 of M + L ⇌ ML, 25 °C).

:class:`StabilityModel` is a scikit-learn regressor whose input ``X`` is a DataFrame with
``smiles`` (any SMILES; it is standardized), ``metal`` (canonical ion, e.g. ``"Cu2+"``) and
optional ``ionic_strength`` (mol/L, NaN = unknown). It featurizes internally
(:mod:`chelscreen.model.features`), so ``fit``/``predict`` work on plain pairs and users can
retrain on their own data.

Components (all learned state ends in ``_``):

* ``basicity_models_`` — small gradient-boosting models that predict ligand basicity (sum of
  stepwise log K_H, largest log K_H, number of pKa > 4) from structure, trained on the NIST
  protonation constants; their predictions are features of the main model (training ligands get
  out-of-fold values so the main model learns from the same kind of estimate a new ligand gets).
* ``metal_reference_logK_`` — the metal "chemistry fingerprint" learned from the training rows:
  each metal's median log K1 with a few small reference ligands (EDTA, acetate, NTA, oxalate,
  IDA, glycine, citrate, malonate; :data:`chelscreen.model.features.REFERENCE_LIGANDS`). It
  encodes metal-specific affinity (Ga, Bi, In, Th) that radius and charge miss; stored in
  ``state.json``. In grouped CV it is rebuilt from each training fold, so it never leaks.
* ``model_`` — :class:`~sklearn.ensemble.HistGradientBoostingRegressor` on ligand + ion +
  interaction + metal-fingerprint + basicity features.
* ``scale_model_`` + ``conformal_q_`` — per-prediction uncertainty: a model of the absolute
  out-of-fold residual (inner cross-validation grouped by ligand) from similarity to the training
  ligands, training rows for the metal and the prediction itself; inflated for metals with few rows
  and calibrated (split-conformal) so that ±``conformal_q_``·scale covers 90 % of held-out values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from chelscreen.model import domain as _domain
from chelscreen.model import features as _features
from chelscreen.model import neighbours as _neighbours
from chelscreen.model import transfer as _transfer

logger = logging.getLogger(__name__)

Z90 = 1.6448536269514722
BASICITY_TARGETS = ["logKH_sum", "logKH_max", "n_pKa_gt4"]
#: ionic strength (mol/L) of a prediction when none is given (the medium of most training rows)
DEFAULT_IONIC_STRENGTH = 0.1
#: features of the linear base model: physically monotone terms (donor counts × ion charge
#: density, the metal's measured affinity × donor counts ...). A linear base extrapolates to the
#: strongest chelators, which trees alone shrink towards the mean of similar ligands.
LINEAR_FEATURES = [
    "mref_edta_x_carbox_amine", "mref_aff_x_donors", "mref_aff_x_charge", "mref_acetate_x_hardO",
    "mref_glycine_x_N", "mref_edta", "charge_product", "hardO_x_z2r", "eff_donors_x_z2r",
    "eff_donors_x_ie", "N_x_en", "N_x_ie", "S_x_en", "chel5_x_z2r", "chel6_x_z2r",
    "hydrox_x_z2r", "phos_x_z", "macro_x_r", "pyr_x_ie", "davies", "n_donors", "cu_n_donors",
    "n_chelating_donors", "z2_over_r", "charge", "charge_full_deprot", "basicity_x_z2r",
    "basicity_x_z", "basicity_x_aff", "basicity_x_edta",
    "lfer_pred",  # only with ``lfer_factor`` (absent otherwise)
]
#: features along which log K may only rise (``monotone=True``): the metal's measured affinity
#: for the reference ligands, its products with the ligand's donor count and basicity, and the
#: ligand's estimated basicity (linear free-energy relations: a more basic ligand binds a given
#: metal more strongly)
MONOTONE_FEATURES = [
    "mref_edta", "mref_affinity", "mref_aff_x_donors", "mref_edta_x_carbox_amine",
    "basicity_x_aff", "basicity_x_edta", "pred_logKH_sum",
    "nn_logK", "nn_logK_k", "nn_logK_x_sim",
    "lfer_pred",
]
#: pair columns of ``lfer_factor``: the metal's intercept and slope, and a + b·ŝ(ligand)
LFER_COLUMNS = ["lfer_a", "lfer_b", "lfer_pred"]
#: key of the ligand-strength sub-model among the ligand-level sub-models
#: (``basicity_models_``; its prediction is the ligand column ``pred_lfer_s``)
LFER_TARGET = "lfer_s"
#: metal groups with their own calibrated interval width
METAL_GROUP_ORDER = ["alkali", "alkaline earth", "3d/4d/5d M2+", "M3+ d/p block",
                     "lanthanide/Y/Sc", "actinide", "M4+", "soft p block", "other"]


_GROUP_CACHE: dict[tuple[int, str], str] = {}


def metal_group(ion: str, ion_frame: pd.DataFrame) -> str:
    """Coarse chemical group of an ion for per-group interval calibration."""
    key = (id(ion_frame), str(ion))
    if key not in _GROUP_CACHE:
        _GROUP_CACHE[key] = _metal_group(str(ion), ion_frame)
    return _GROUP_CACHE[key]


def _metal_group(ion: str, ion_frame: pd.DataFrame) -> str:
    if ion not in ion_frame.index:
        return "other"
    r = ion_frame.loc[ion]
    z, g, z_at = int(r["charge"]), r["group_id"], r["atomic_number"]
    if z >= 4:
        return "M4+"
    if z == 1 and g == 1:
        return "alkali"
    if z == 2 and g == 2:
        return "alkaline earth"
    if 89 <= z_at <= 103:
        return "actinide"
    if (57 <= z_at <= 71) or (z == 3 and g == 3):
        return "lanthanide/Y/Sc"
    if g in (11, 12, 13, 14, 15) and z_at >= 47:
        return "soft p block"
    if z == 2:
        return "3d/4d/5d M2+"
    if z == 3:
        return "M3+ d/p block"
    return "other"


@dataclass
class Featurized:
    """Featurized pairs: the numeric matrix plus what the domain/uncertainty parts need."""

    X: np.ndarray
    smiles: np.ndarray
    metal: np.ndarray
    valid: np.ndarray


#: rows per call of the tree ensemble in :meth:`StabilityModel.predict`
PREDICT_BLOCK_ROWS = 1024

def _hgb(**kw):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**kw)


class StabilityModel(RegressorMixin, BaseEstimator):
    """Gradient-boosted log K1 model with calibrated uncertainty and applicability domain.

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization, max_features
        Passed to the main :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.
    n_calibration_folds : int
        Inner GroupKFold folds (by ligand) for the out-of-fold residuals that calibrate
        ``logK_sd``; 0 switches uncertainty calibration off (``logK_sd`` = NaN).
    coverage : float
        Target coverage of the ``[logK_lo90, logK_hi90]`` interval.
    few_rows_n0 : float
        Interval inflation for metals with n training rows: × sqrt(1 + few_rows_n0 / n).
    random_state : int
    linear_base : bool
        Fit a ridge model on :data:`LINEAR_FEATURES` first and boost its residual (keeps the
        strongest chelators from being shrunk towards the mean).
    strong_weight : float
        Sample weight ``1 + strong_weight * max(log K − 10, 0) / 10`` in the boosting fit, so
        the rare strong chelators count more (0 = unweighted).
    metal_weight : float
        Sample weight ``(n_metal / median n_metal) ** (−metal_weight)`` in the boosting fit
        (clipped to [1/4, 4], mean 1), so the rows of data-rich ions (Cu²⁺, Ni²⁺, Zn²⁺ …) do not
        dominate the loss at the expense of rare ions (0 = unweighted).
    impute_reference : bool
        Complete the metal reference fingerprint (:func:`chelscreen.model.features.
        impute_metal_reference`): a missing reference constant (Ga³⁺–EDTA, Ac³⁺, or every
        metal when a reference ligand is held out) is estimated from the other references and
        the ion descriptors instead of left empty.
    analogue_extrapolation_sd : float
        Variance of an analogue estimate grows by (this × Δr)² when the target ion's radius lies
        Δr pm outside its analogues' radii (see :func:`chelscreen.model.transfer.
        analogue_estimate`).
    recalibration : {"blend", "mean", "quantile"}
        Out-of-fold recalibration map of the predictions (:func:`_recalibration_map`).
    recalibration_group_rows : int
        A metal group (:func:`metal_group`) with at least this many out-of-fold rows gets its
        own recalibration map (the shrinkage of strong complexes differs between groups:
        lanthanide polyaminocarboxylates −4, Ga³⁺/Bi³⁺/Fe³⁺ about 0); the other groups keep
        the common map. 0 = one common map (default; models/stability/EXPERIMENTS.md,
        2026-12-04 evening).
    target_stretch : float
        Fit the linear base and the trees on the stretched target ``t = y + s·max(y − 10, 0)``
        and map their sum back (piecewise linear): the trees' leaf means, taken on the
        stretched scale, shrink strong complexes less. 0 = off (default; models/stability/
        EXPERIMENTS.md, 2026-12-04 evening).
    analogue_evidence : {"measured", "any"}
        Which analogue constants a data-poor ion may borrow: ``"measured"`` (anchors and the
        measured look-up only) or ``"any"`` (also the model's own predictions for the
        analogues, which on held-out ligands made Sc³⁺ and actinide estimates worse).
    calibration_counts : {"fold", "full"}
        Metal row counts seen by the interval calibration: the inner fold's or the whole
        training set's (what a prediction sees).
    monotone : bool
        Constrain the boosted trees to raise log K along :data:`MONOTONE_FEATURES`. With
        600 iterations at learning rate 0.06 (the defaults) this lowered the MAE and RMSE on
        the inner skeleton-grouped hold-outs of outer folds 1 and 3 (models/stability/
        EXPERIMENTS.md, 2026-12-03); 300 iterations at 0.12 were the previous defaults.
    anchor_cap : bool
        A residual transferred from a ligand's anchors to another metal is clipped to the
        largest anchor residual in magnitude (the kernel passes a residual on at more than 1×
        when the target metal's residual scale exceeds the anchor metal's, e.g. Fe³⁺ → Ga³⁺).
        On the inner hold-outs of outer folds 1 and 3 (one anchor per ligand) it left the
        anchored MAE unchanged or 0.003 lower and lowered Ga³⁺'s by 0.02-0.05 in all three
        fits compared (models/stability/EXPERIMENTS.md, 2026-12-03 evening).
    donor_saturation : bool
        Count at most the ion's preferred coordination number of donors in the metal-affinity
        products (:func:`chelscreen.model.features.pair_features` ``saturate``).
    loss : {"squared_error", "absolute_error"}
        Loss of the main boosted model (on the linear base's residual).
    extra_interactions : bool or "linear"
        Add the donor-type × ion interaction terms of :func:`chelscreen.model.features.
        pair_features` ``extra`` (``"linear"``: also to the linear base).
    lfer_factor : bool or "trees"
        Linear-free-energy base: the training rows are factored as log K(L, M) ≈ a_M + b_M·s_L
        (one strength s per ligand, an intercept and a slope per metal; :func:`lfer_factors`),
        a ligand-level boosted model predicts s from structure (out-of-fold for the training
        ligands, like the basicity sub-models, and kept among them under ``"lfer_s"``), and
        ``lfer_pred`` = a_M + b_M·ŝ enters the linear base and the monotone trees. A strong
        metal then spreads a strong ligand's estimate by its own slope instead of each
        (ligand, metal) row being shrunk on its own. ``"trees"``: the same columns for the
        monotone trees only, not in the linear base. Off by default (models/stability/
        EXPERIMENTS.md, 2026-12-05: worse on new inner splits).
    neighbours : bool or "linear" or "blend"
        Add the measured log K of the most similar training ligands with the same metal
        (:mod:`chelscreen.model.neighbours`; ``"linear"``: ``nn_logK_x_sim`` and ``nn_sim``
        also in the linear base; ``"blend"``: the boosted residual is the mean of a model with
        and a model without the neighbour columns, in the calibration folds too, off by
        default: models/stability/EXPERIMENTS.md, 2026-12-04 evening). Both off by default: with ``extra_interactions="linear"``
        and ``neighbours=True`` the inner skeleton-grouped hold-outs of outer folds 1, 3 and
        5 had lower MAE and RMSE; on the outer folds MAE barely moved (1.133 vs 1.128, RMSE
        1.719 vs 1.740, one-anchor 0.894 vs 0.860; with the fixed inner split 1.127 vs 1.129,
        1.711 vs 1.743, one-anchor 0.893 vs 0.857; models/stability/EXPERIMENTS.md,
        2026-12-04).
    n_jobs : int or None
        OpenMP threads for the boosting models (None = library default). On a busy shared
        machine 1 is much faster than oversubscribing.

    Examples
    --------
    >>> import pandas as pd
    >>> from chelscreen.model.io import load
    >>> model = load()  # the bundled model  # doctest: +SKIP
    >>> pairs = pd.DataFrame({"smiles": ["OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"],
    ...                       "metal": ["Cu2+"]})
    >>> model.predict_full(pairs)[["logK_pred", "logK_sd"]]  # doctest: +SKIP
    """

    def __init__(
        self,
        max_iter: int = 600,
        learning_rate: float = 0.06,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 8,
        l2_regularization: float = 1.0,
        n_calibration_folds: int = 3,
        coverage: float = 0.90,
        few_rows_n0: float = 20.0,
        random_state: int = 0,
        n_jobs: int | None = 1,
        linear_base: bool = True,
        strong_weight: float = 0.0,
        metal_weight: float = 0.0,
        impute_reference: bool = False,
        analogue_extrapolation_sd: float = 0.0,
        recalibration: str = "blend",
        recalibration_group_rows: int = 0,
        target_stretch: float = 0.0,
        analogue_evidence: str = "measured",
        calibration_counts: str = "full",
        monotone: bool = True,
        anchor_cap: bool = True,
        max_features: float = 1.0,
        donor_saturation: bool = False,
        loss: str = "squared_error",
        extra_interactions: bool | str = False,
        neighbours: bool | str = False,
        lfer_factor: bool | str = False,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.n_calibration_folds = n_calibration_folds
        self.coverage = coverage
        self.few_rows_n0 = few_rows_n0
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.linear_base = linear_base
        self.strong_weight = strong_weight
        self.metal_weight = metal_weight
        self.impute_reference = impute_reference
        self.analogue_extrapolation_sd = analogue_extrapolation_sd
        self.recalibration = recalibration
        self.recalibration_group_rows = recalibration_group_rows
        self.target_stretch = target_stretch
        self.analogue_evidence = analogue_evidence
        self.calibration_counts = calibration_counts
        self.monotone = monotone
        self.anchor_cap = anchor_cap
        self.max_features = max_features
        self.donor_saturation = donor_saturation
        self.loss = loss
        self.extra_interactions = extra_interactions
        self.neighbours = neighbours
        self.lfer_factor = lfer_factor

    # ------------------------------------------------------------------ featurization
    def _ligand_frame(self, smiles: list[str]) -> pd.DataFrame:
        lig = _features.ligand_feature_frame(smiles)
        if hasattr(self, "basicity_models_") and self.basicity_models_ and len(lig):
            Xl = lig.reindex(columns=self.ligand_columns_).to_numpy(float)
            for target, m in self.basicity_models_.items():
                pred = np.full(len(lig), np.nan)
                ok = ~np.isnan(Xl).all(axis=1)
                if ok.any():
                    with _threads(getattr(self, "n_jobs", 1)):
                        pred[ok] = m.predict(Xl[ok])
                lig[f"pred_{target}"] = pred
        return lig

    def set_ion_tables(self) -> None:
        """Per-ion radii and analogue families of ``ion_frame_`` (``radii_``, ``families_``),
        kept on the model so the analogue step never recomputes or caches them globally."""
        self.radii_ = _transfer.ion_radii(self.ion_frame_)
        self.families_ = _transfer.ion_families(self.ion_frame_)

    def _ion_tables(self) -> tuple[dict, dict]:
        if getattr(self, "radii_", None) is None or getattr(self, "families_", None) is None:
            self.set_ion_tables()
        return self.radii_, self.families_

    def resolve_metals(self, metals) -> tuple[np.ndarray, list[str]]:
        """Canonical ions for metal or radionuclide texts (``"Lu-177"`` → ``"Lu3+"``).

        Returns the ions (``""`` where unusable) and a reason per row (``""`` when fine).
        """
        index = set(self.ion_table_index_)
        out = np.array([""] * len(metals), dtype=object)
        why = [""] * len(metals)
        cache: dict[str, tuple[str, str]] = {}
        for i, text in enumerate(metals):
            t = "" if text is None else str(text).strip()
            if t not in cache:
                if t in index:
                    cache[t] = (t, "")
                else:
                    try:
                        from chelscreen.metals import parse_metal

                        ion = parse_metal(t).ion.symbol
                        cache[t] = (ion, "") if ion in index else (
                            "", f"metal {t!r} ({ion}) has no descriptors in the stability model")
                    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad row
                        cache[t] = ("", f"cannot read metal {t!r}: {exc}")
            out[i], why[i] = cache[t]
        return out, why

    def featurize(self, X: pd.DataFrame, ligand_frame: pd.DataFrame | None = None) -> Featurized:
        """Standardize SMILES and build the feature matrix of pairs ``X``.

        ``metal`` may be an ion (``"Lu3+"``) or a radionuclide (``"Lu-177"``); a missing
        ``ionic_strength`` is :data:`DEFAULT_IONIC_STRENGTH`. Rows with unparsable SMILES or
        metals unknown to the model get ``valid=False`` (see :meth:`predict_full` for why).
        """
        X = _as_frame(X)
        std = [_features.standardize_smiles(s) for s in X["smiles"]]
        smiles = np.array([s if s else "" for s in std], dtype=object)
        metal, _ = self.resolve_metals(X["metal"].tolist())
        ionic = _ionic(X)
        valid = (smiles != "") & (metal != "")
        uniq = [s for s in dict.fromkeys(smiles[valid])]
        reuse = getattr(self, "_lig_reuse", None)
        if ligand_frame is not None:
            lig = ligand_frame
        elif reuse is not None and set(uniq) <= set(reuse.index):
            lig = reuse  # the analogue step re-predicts the same ligands with other metals
        else:
            lig = self._ligand_frame(uniq)
        self._lig_last = lig
        return self._assemble(lig, smiles, metal, ionic, valid)

    def _neighbour_frame(self, smiles, metal, pool=None) -> pd.DataFrame:
        pool = pool if pool is not None else self.neighbour_pool_
        fp_of = getattr(self, "_nn_fp_of", None) or {}
        skel_of = getattr(self, "_nn_skel_of", None) or {}
        new = [s for s in dict.fromkeys(smiles) if s not in fp_of]
        if new:
            fp_of = {**fp_of, **dict(zip(new, _domain.fingerprints(new)))}
            skel_of = {**skel_of, **{s: _features.skeleton_key(s) or s for s in new}}
        return pool.features(smiles, metal, fp_of, skel_of)

    def _lfer_frame(self, lig: pd.DataFrame, metal: np.ndarray) -> pd.DataFrame:
        """``lfer_factor`` columns of row-aligned ligand features and metals: the metal's
        intercept a and slope b (NaN for a metal without training rows) and a + b·ŝ."""
        ab = pd.DataFrame(self.lfer_metal_, index=["a", "b"]).T.reindex(list(metal))
        a, b = ab["a"].to_numpy(float), ab["b"].to_numpy(float)
        sh = lig.get("pred_" + LFER_TARGET, pd.Series(np.nan, index=lig.index)).to_numpy(float)
        return pd.DataFrame({"lfer_a": a, "lfer_b": b, "lfer_pred": a + b * sh})

    def _assemble(self, lig, smiles, metal, ionic, valid) -> Featurized:
        n = len(smiles)
        Xm = np.full((n, len(self.feature_names_)), np.nan, dtype=np.float32)
        if valid.any():
            lr = lig.loc[smiles[valid]].reset_index(drop=True)
            ir = self.ion_frame_.loc[metal[valid]].reset_index(drop=True)
            mref = _features.metal_reference_frame(
                getattr(self, "metal_reference_logK_", {}) or {}, metal[valid]
            )
            F = _features.pair_features(
                lr, ir, ionic[valid], mref,
                saturate=bool(getattr(self, "donor_saturation", False)),
                extra=bool(getattr(self, "extra_interactions", False)))
            if getattr(self, "neighbour_pool_", None) is not None:
                nn = self._neighbour_frame(smiles[valid], metal[valid])
                F = pd.concat([F, nn], axis=1)
            if getattr(self, "lfer_metal_", None):
                F = pd.concat([F, self._lfer_frame(lr, metal[valid])], axis=1)
            Xm[valid] = F.reindex(columns=self.feature_names_).to_numpy(np.float32)
        return Featurized(Xm, smiles, metal, valid)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X: pd.DataFrame,
        y,
        *,
        ions: pd.DataFrame | None = None,
        protonation: pd.DataFrame | None = None,
        ligand_frame: pd.DataFrame | None = None,
    ) -> StabilityModel:
        """Fit on pairs ``X`` (``smiles, metal[, ionic_strength]``) and log K values ``y``.

        Parameters
        ----------
        ions : DataFrame, optional
            Ion descriptor table (``models/stability/ions.csv`` format); default: the bundled one.
        protonation : DataFrame, optional
            Per-ligand basicity (``protonation.csv.gz`` format) for the basicity sub-models;
            default: the bundled one. Pass an empty frame to switch the sub-models off. Lists
            marked incomplete (``complete`` = False) are not used.
        ligand_frame : DataFrame, optional
            Precomputed :func:`chelscreen.model.features.ligand_feature_frame` of the
            standardized SMILES (a cache for cross-validation; computed when omitted).
        """
        with _threads(self.n_jobs):
            return self._fit(X, y, ions=ions, protonation=protonation, ligand_frame=ligand_frame)

    def _lig_features(self, smiles: list[str], cache: pd.DataFrame | None) -> pd.DataFrame:
        if cache is not None and set(smiles) <= set(cache.index):
            lig = cache.loc[smiles]
        else:
            lig = _features.ligand_feature_frame(smiles)
        return lig[[c for c in lig.columns if not c.startswith("pred_")]].copy()

    def _fit(self, X, y, *, ions, protonation, ligand_frame) -> StabilityModel:
        from sklearn.model_selection import GroupKFold, KFold

        X = _as_frame(X)
        y = np.asarray(y, dtype=float)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if ions is None:
            ions = load_bundled_table("ions.csv")
        if protonation is None:
            protonation = load_bundled_table("protonation.csv.gz")
        self.ions_ = ions.reset_index(drop=True)
        self.ion_frame_ = _features.ion_feature_frame(self.ions_)
        self.ion_table_index_ = np.array(self.ion_frame_.index, dtype=object)
        self.set_ion_tables()
        metal, why = self.resolve_metals(X["metal"].astype(str).tolist())
        bad_m = [i for i, w in enumerate(why) if w]
        if bad_m:
            raise ValueError(f"row {bad_m[0] + 1}: {why[bad_m[0]]}; use ions such as 'Cu2+' "
                             f"({len(bad_m)} such rows)")
        std = np.array([_features.standardize_smiles(s) or "" for s in X["smiles"]], dtype=object)
        bad = np.flatnonzero(std == "")
        if len(bad):
            raise ValueError(
                f"{len(bad)} training SMILES could not be parsed (first at row {bad[0] + 1}: "
                f"{X['smiles'].iloc[bad[0]]!r}); fix or remove them"
            )
        uniq = list(dict.fromkeys(std))
        lig = self._lig_features(uniq, ligand_frame)
        self.ligand_columns_ = list(lig.columns)
        # basicity sub-models (ligand level), trained on complete measured lists only
        self.basicity_models_ = {}
        prot = protonation if protonation is not None else pd.DataFrame()
        if "complete" in prot:
            prot = prot[prot["complete"].astype(str).str.lower() == "true"]
        if len(prot) >= 30:
            pstd = [_features.standardize_smiles(s) or "" for s in prot["smiles"]]
            prot = prot.assign(smiles=pstd)
            prot = prot[prot["smiles"] != ""].drop_duplicates("smiles")
            plig = self._lig_features(list(prot["smiles"]), ligand_frame)
            Xp = plig.reindex(columns=self.ligand_columns_).to_numpy(float)
            kf = KFold(3, shuffle=True, random_state=self.random_state)
            in_train = lig.index.isin(prot["smiles"])
            Xlig = lig.to_numpy(float)
            for target in BASICITY_TARGETS:
                yt = prot[target].to_numpy(float)
                kw = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                          min_samples_leaf=10, random_state=self.random_state)
                oof = np.full(len(yt), np.nan)
                for tr, te in kf.split(Xp):
                    oof[te] = _fit_safe(_hgb(**kw), Xp[tr], yt[tr]).predict(Xp[te])
                full = _fit_safe(_hgb(**kw), Xp, yt)
                self.basicity_models_[target] = full
                col = full.predict(Xlig)
                # ligands with measured basicity get their out-of-fold estimate
                oof_map = pd.Series(oof, index=prot["smiles"].to_numpy())
                col[in_train] = oof_map.reindex(lig.index[in_train]).to_numpy()
                lig[f"pred_{target}"] = col
        self.lfer_metal_ = {}
        if self.lfer_factor:
            self._fit_lfer(lig, std, metal, y)
        ionic = _ionic(X)
        # metal chemistry fingerprint: log K1 with small reference ligands, training rows only
        self.metal_reference_logK_ = _features.metal_reference_table(std, metal, y)
        if self.impute_reference:
            self.metal_reference_logK_ = _features.impute_metal_reference(
                self.metal_reference_logK_, self.ion_frame_)
        probe = _features.pair_features(
            lig.iloc[:1].reset_index(drop=True), self.ion_frame_.iloc[:1].reset_index(drop=True),
            np.array([0.1]),
            _features.metal_reference_frame(self.metal_reference_logK_, metal[:1]),
            extra=bool(self.extra_interactions),
        )
        self.feature_names_ = list(probe.columns)
        if self.lfer_metal_:
            self.feature_names_ += LFER_COLUMNS
        fps = _domain.fingerprints(uniq)
        fp_of = dict(zip(uniq, fps))
        self.neighbour_pool_ = None
        if self.neighbours:
            skel_of = {s: _features.skeleton_key(s) or s for s in uniq}
            self._nn_fp_of, self._nn_skel_of = fp_of, skel_of
            self.neighbour_pool_ = _neighbours.NeighbourPool.from_rows(std, metal, y, fp_of,
                                                                       skel_of)
            self.feature_names_ += _neighbours.NEIGHBOUR_COLUMNS
        feats = self._assemble(lig, std, metal, ionic, np.ones(len(X), bool))
        Xm = feats.X
        self.n_features_in_ = Xm.shape[1]
        stretch = float(getattr(self, "target_stretch", 0.0) or 0.0)
        t = _stretch(y, stretch)
        self.linear_ = self._linear_fit(Xm, t)
        self.model_, self.model_plain_ = self._boost_fit(
            Xm, t - self._linear(Xm, self.linear_), self._weights(y, metal))
        # training data summaries for domain / known pairs
        counts = pd.Series(metal).value_counts()
        self.metal_rows_ = {str(k): int(v) for k, v in counts.items()}
        self.train_smiles_ = np.array(uniq, dtype=object)
        self.train_fps_ = _domain.fps_to_array(fps)
        self._fps_cache = None
        embed = _transfer.ion_embedding(self.ion_frame_)
        self.analogue_extrapolation_sd_ = float(self.analogue_extrapolation_sd)
        self.analogue_evidence_ = str(self.analogue_evidence)
        self.analogue_sd_ = _transfer.calibrate_analogue_sd(std, metal, y, self.ion_frame_,
                                                            self.metal_rows_)
        # uncertainty calibration and residual transfer on inner out-of-fold residuals, folds
        # grouped by structure skeleton (stereoisomers and duplicates stay together)
        self.scale_model_ = None
        self.calibration_map_ = None
        self.calibration_map_group_ = {}
        self.conformal_q_ = float("nan")
        self.conformal_q_group_ = {}
        self.anchor_kernel_ = None
        k = int(self.n_calibration_folds)
        skel = np.array([_features.skeleton_key(s) or s for s in std], dtype=object)
        if k >= 2 and len(set(skel)) >= k:
            oof = np.full(len(y), np.nan)
            sim = np.full(len(y), np.nan)
            nrows = np.zeros(len(y))
            nn_idx = [self.feature_names_.index(c) for c in _neighbours.NEIGHBOUR_COLUMNS
                      if c in self.feature_names_]
            for tr, te in GroupKFold(k).split(Xm, y, skel):
                Xf = Xm
                if nn_idx:
                    # the fold's neighbours come from its own training ligands only
                    pool = _neighbours.NeighbourPool.from_rows(std[tr], metal[tr], y[tr],
                                                               fp_of, self._nn_skel_of)
                    Xf = Xm.copy()
                    Xf[:, nn_idx] = self._neighbour_frame(std, metal, pool).to_numpy(np.float32)
                lin = self._linear_fit(Xf[tr], t[tr])
                m = self._boost_fit(Xf[tr], t[tr] - self._linear(Xf[tr], lin),
                                    self._weights(y[tr], metal[tr]))
                oof[te] = _unstretch(self._trees(Xf[te], *m) + self._linear(Xf[te], lin),
                                     stretch)
                ref = [fp_of[s] for s in dict.fromkeys(std[tr])]
                te_lig = list(dict.fromkeys(std[te]))
                s_map = dict(zip(te_lig, _domain.max_similarity([fp_of[s] for s in te_lig], ref)))
                sim[te] = [s_map[s] for s in std[te]]
                # the metal's row count as a prediction will see it (the whole training set):
                # with the fold's smaller count the few-rows inflation was larger in
                # calibration than in use, and rare ions' intervals came out too narrow
                c = (pd.Series(metal) if self.calibration_counts == "full"
                     else pd.Series(metal[tr])).value_counts()
                nrows[te] = c.reindex(metal[te]).fillna(0).to_numpy()
            # monotone recalibration of the predictions on the out-of-fold values (boosted trees
            # shrink the strongest chelators towards the mean; E[log K | prediction] undoes it)
            self.calibration_map_ = _recalibration_map(oof, y, self.recalibration)
            grp = np.array([metal_group(m, self.ion_frame_) for m in metal], dtype=object)
            n_min = int(self.recalibration_group_rows)
            if n_min > 0:
                self.calibration_map_group_ = {
                    str(g): _recalibration_map(oof[grp == g], y[grp == g], self.recalibration)
                    for g in np.unique(grp) if (grp == g).sum() >= n_min
                }
            oof = self._recalibrate(oof, metal)
            Z = self._scale_inputs(oof, sim, nrows, Xm)
            absr = np.abs(oof - y)
            self.scale_model_ = _hgb(
                loss="absolute_error", max_iter=150, learning_rate=0.05, max_depth=3,
                min_samples_leaf=40, random_state=self.random_state,
            ).fit(Z, absr)
            ratio = absr / self._scale(Z, nrows)
            self.conformal_q_ = float(np.quantile(ratio, self.coverage))
            self.conformal_q_group_ = {
                str(g): float(np.quantile(ratio[grp == g], self.coverage))
                for g in np.unique(grp) if (grp == g).sum() >= 50
            }
            self.oof_abs_error_ = float(np.mean(absr))
            kern = _transfer.ResidualKernel.fit(std, metal, y - oof, embed)
            self.anchor_kernel_ = kern.to_dict()
            logger.info("calibration: OOF MAE %.3f, conformal q %.3f, kernel %s", absr.mean(),
                        self.conformal_q_, {k: v for k, v in self.anchor_kernel_.items()
                                            if k in ("rho0", "ell", "tau")})
        return self

    def _fit_lfer(self, lig: pd.DataFrame, std: np.ndarray, metal: np.ndarray,
                  y: np.ndarray) -> None:
        """``lfer_factor``: factor the rows (:func:`lfer_factors`), fit the ligand-strength
        sub-model on the ligand columns and put its estimate in ``lig["pred_lfer_s"]``:
        out-of-fold (3 skeleton-grouped folds) for the training ligands, so the main model
        learns from the kind of estimate a new ligand gets."""
        from sklearn.model_selection import GroupKFold

        a, b, s = lfer_factors(std, metal, y)
        self.lfer_metal_ = {str(m): [float(a[m]), float(b[m])] for m in a}
        names = list(lig.index)
        target = np.array([s[n] for n in names])
        nrows = pd.Series(std).value_counts().reindex(names).to_numpy(float)
        w = np.minimum(nrows, 5.0)
        Xl = lig[self.ligand_columns_].to_numpy(float)
        kw = dict(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=10,
                  random_state=self.random_state)
        skel = np.array([_features.skeleton_key(n) or n for n in names], dtype=object)
        oof = np.full(len(names), np.nan)
        if len(set(skel)) >= 3:
            for tr, te in GroupKFold(3).split(Xl, target, skel):
                oof[te] = _fit_safe(_hgb(**kw), Xl[tr], target[tr], w[tr]).predict(Xl[te])
        full = _fit_safe(_hgb(**kw), Xl, target, w)
        self.basicity_models_[LFER_TARGET] = full
        lig["pred_" + LFER_TARGET] = np.where(np.isfinite(oof), oof, full.predict(Xl))

    def _weights(self, y: np.ndarray, metal: np.ndarray) -> np.ndarray | None:
        """Boosting sample weights: strong chelators (``strong_weight``) and rare ions
        (``metal_weight``); None when both are off."""
        w = np.ones(len(y))
        sw = float(getattr(self, "strong_weight", 0.0) or 0.0)
        if sw > 0:
            w *= 1.0 + sw * np.clip(y - 10.0, 0.0, None) / 10.0
        mw = float(getattr(self, "metal_weight", 0.0) or 0.0)
        if mw > 0:
            counts = pd.Series(metal).value_counts()
            n = counts.reindex(metal).to_numpy(float)
            wm = np.clip((n / float(np.median(counts.to_numpy(float)))) ** (-mw), 0.25, 4.0)
            w *= wm / wm.mean()
        if sw <= 0 and mw <= 0:
            return None
        return w

    def _linear_fit(self, Xm: np.ndarray, y: np.ndarray) -> dict | None:
        """Ridge regression (alpha 10 on standardized columns) on :data:`LINEAR_FEATURES`."""
        if not self.linear_base:
            return None
        extra = (_features.EXTRA_INTERACTIONS
                 if getattr(self, "extra_interactions", False) == "linear" else [])
        if getattr(self, "neighbours", False) == "linear":
            extra = extra + ["nn_logK_x_sim", "nn_sim"]
        names = [c for c in LINEAR_FEATURES + extra if c in self.feature_names_
                 and not (c in LFER_COLUMNS and getattr(self, "lfer_factor", False) == "trees")]
        idx = [self.feature_names_.index(c) for c in names]
        A = Xm[:, idx].astype(float)
        fill = np.zeros(A.shape[1])
        seen = ~np.isnan(A).all(axis=0)
        if seen.any():
            fill[seen] = np.nanmedian(A[:, seen], axis=0)
        fill = np.where(np.isfinite(fill), fill, 0.0)
        A = np.where(np.isnan(A), fill, A)
        mu, sd = A.mean(axis=0), A.std(axis=0)
        sd[sd == 0] = 1.0
        Zs = (A - mu) / sd
        ym = float(y.mean())
        coef = np.linalg.solve(Zs.T @ Zs + 10.0 * np.eye(len(idx)), Zs.T @ (y - ym))
        return {"features": names, "fill": fill.tolist(), "mean": mu.tolist(),
                "scale": sd.tolist(), "coef": coef.tolist(), "intercept": ym}

    def _linear(self, Xm: np.ndarray, lin: dict | None) -> np.ndarray:
        if not lin:
            return np.zeros(len(Xm))
        idx = [self.feature_names_.index(c) for c in lin["features"]]
        A = Xm[:, idx].astype(float)
        A = np.where(np.isnan(A), np.asarray(lin["fill"]), A)
        z = (A - np.asarray(lin["mean"])) / np.asarray(lin["scale"])
        return np.clip(z @ np.asarray(lin["coef"]) + lin["intercept"], -10.0, 50.0)

    def _boost_fit(self, Xm: np.ndarray, r: np.ndarray, w: np.ndarray | None):
        """The boosted model(s) of the linear base's residual ``r``: ``(model, None)``, or with
        ``neighbours="blend"`` ``(model, plain)``, plain fitted without the neighbour columns."""
        model = _fit_safe(self._main_model(), Xm, r, w)
        if getattr(self, "neighbours", False) != "blend":
            return model, None
        return model, _fit_safe(self._main_model(), self._without_neighbours(Xm), r, w)

    def _without_neighbours(self, Xm: np.ndarray) -> np.ndarray:
        idx = [self.feature_names_.index(c) for c in _neighbours.NEIGHBOUR_COLUMNS
               if c in self.feature_names_]
        out = Xm.copy()
        out[:, idx] = np.nan
        return out

    def _trees(self, Xm: np.ndarray, model, plain=None) -> np.ndarray:
        """The boosted residual: ``model``'s, or its mean with ``plain``'s (``"blend"``)."""
        if plain is None:
            return model.predict(Xm)
        return 0.5 * (model.predict(Xm) + plain.predict(self._without_neighbours(Xm)))

    def _main_model(self):
        kw = {}
        if getattr(self, "monotone", False):
            kw["monotonic_cst"] = [1 if c in MONOTONE_FEATURES else 0
                                   for c in self.feature_names_]
        return _hgb(
            loss=str(getattr(self, "loss", "squared_error")),
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, random_state=self.random_state,
            max_features=float(getattr(self, "max_features", 1.0)), **kw,
        )

    def _scale_inputs(self, pred, sim, nrows, Xm) -> np.ndarray:
        ci = self.feature_names_.index("charge")
        ni = self.feature_names_.index("n_donors")
        return np.column_stack(
            [pred, np.nan_to_num(sim, nan=0.0), np.log1p(nrows), Xm[:, ci], Xm[:, ni]]
        )

    def _scale(self, Z: np.ndarray, nrows: np.ndarray) -> np.ndarray:
        with _threads(getattr(self, "n_jobs", 1)):
            base = np.clip(self.scale_model_.predict(Z), 0.25, None)
        return base * np.sqrt(1.0 + self.few_rows_n0 / np.maximum(nrows, 1.0))

    # ------------------------------------------------------------------ predict
    def _raw(self, feats: Featurized) -> np.ndarray:
        out = np.full(len(feats.X), np.nan)
        if feats.valid.any():
            Xv = feats.X[feats.valid]
            # row blocks that stay in the CPU cache while the trees walk them: ~3x faster than
            # one pass per tree over all rows, identical values (benchmarks/bench_stability)
            with _threads(getattr(self, "n_jobs", 1)):
                pair = (self.model_, getattr(self, "model_plain_", None))
                trees = np.concatenate([self._trees(Xv[i:i + PREDICT_BLOCK_ROWS], *pair)
                                        for i in range(0, len(Xv), PREDICT_BLOCK_ROWS)])
                out[feats.valid] = _unstretch(
                    trees + self._linear(Xv, getattr(self, "linear_", None)),
                    float(getattr(self, "target_stretch", 0.0) or 0.0))
        return self._recalibrate(out, feats.metal)

    def _recalibrate(self, pred: np.ndarray, metals) -> np.ndarray:
        """The out-of-fold recalibration map(s) applied to raw predictions: the metal group's
        own map where it has one (``recalibration_group_rows``), the common map otherwise."""
        out = _apply_map(pred, getattr(self, "calibration_map_", None))
        by_group = getattr(self, "calibration_map_group_", None) or {}
        if by_group:
            grp = np.array([metal_group(str(m), self.ion_frame_) for m in metals], dtype=object)
            for g, cmap in by_group.items():
                m = grp == g
                if m.any():
                    out[m] = _apply_map(pred[m], cmap)
        return out

    def predict(self, X) -> np.ndarray:
        """log K1 predictions of the structure model (no anchors).

        ``X`` is a pairs DataFrame (metals as ions or radionuclides) or a :class:`Featurized`.
        A row that cannot be predicted raises a ValueError naming the row; use
        :meth:`predict_full` to get a status per row instead.
        """
        feats = X if isinstance(X, Featurized) else self.featurize(X)
        if not feats.valid.all():
            i = int(np.flatnonzero(~feats.valid)[0])
            reason = "unknown metal" if feats.smiles[i] else "SMILES cannot be standardized"
            if not isinstance(X, Featurized):
                reason = self._invalid_reasons(X)[i]
            raise ValueError(
                f"row {i + 1}: {reason}; fix or remove it, or use predict_full() for a status "
                f"per row ({int((~feats.valid).sum())} such rows)")
        return self._raw(feats)

    def _invalid_reasons(self, X: pd.DataFrame) -> list[str]:
        X = _as_frame(X)
        _, why = self.resolve_metals(X["metal"].tolist())
        out = []
        for s, w in zip(X["smiles"], why):
            if not _features.standardize_smiles(s):
                out.append(f"SMILES {s!r} cannot be parsed or standardized")
            else:
                out.append(w)
        return out

    def _train_fps(self):
        if getattr(self, "_fps_cache", None) is None:
            self._fps_cache = _domain.array_to_fps(self.train_fps_)
        return self._fps_cache

    def _half_width(self, pred, sim, nrows, Xv, metals) -> np.ndarray:
        Z = self._scale_inputs(pred, sim, nrows, Xv)
        qg = getattr(self, "conformal_q_group_", {}) or {}
        q = np.array([qg.get(metal_group(m, self.ion_frame_), self.conformal_q_)
                      for m in metals], float)
        return q * self._scale(Z, nrows)

    def predict_full(self, X, anchors: pd.DataFrame | None = None, *,
                     analogues: bool = True) -> pd.DataFrame:
        """Predictions with ``logK_sd``, 90 % interval, domain flag, basis and row status.

        Parameters
        ----------
        X
            Pairs DataFrame (``smiles, metal[, ionic_strength]``; metals as ions or
            radionuclides, missing ionic strength = 0.1 M) or a :class:`Featurized`.
        anchors
            Measured constants ``smiles, metal, logK[, ionic_strength]``. For a row whose ligand
            has anchors with *other* metals the residual of those anchors is transferred
            (:class:`chelscreen.model.transfer.ResidualKernel`) and ``logK_basis`` is
            ``anchored``. An anchor for the row's own pair is not used for its prediction.
        analogues
            Estimate ions with few training rows from their family (``logK_basis`` =
            ``analogue`` when that estimate dominates).

        Returns
        -------
        DataFrame
            ``logK_pred, logK_sd, logK_lo90, logK_hi90, max_similarity, metal_train_rows,
            in_domain, domain_note, logK_basis, ion, ionic_strength_M, status, message``;
            invalid rows have ``status="invalid"`` and a message, never a silent NaN.
        """
        if isinstance(X, Featurized):
            feats, reasons, ionic = X, ["cannot featurize"] * len(X.X), np.full(len(X.X), 0.1)
        else:
            Xf = _as_frame(X)
            feats = self.featurize(Xf)
            reasons = self._invalid_reasons(Xf) if not feats.valid.all() else [""] * len(Xf)
            ionic = _ionic(Xf)
        pred = self._raw(feats)
        n = len(pred)
        uniq = [s for s in dict.fromkeys(feats.smiles[feats.valid])]
        sims = dict(
            zip(uniq, _domain.max_similarity(_domain.fingerprints(uniq), self._train_fps()))
        )
        sim = np.array([sims.get(s, np.nan) for s in feats.smiles])
        nrows = np.array([self.metal_rows_.get(str(m), 0) for m in feats.metal], dtype=float)
        half = np.full(n, np.nan)
        v = feats.valid
        if self.scale_model_ is not None and v.any():
            half[v] = self._half_width(pred[v], sim[v], nrows[v], feats.X[v], feats.metal[v])
        basis = np.where(v, "model", "").astype(object)
        notes_extra = [""] * n
        kern = _transfer.ResidualKernel.from_dict(getattr(self, "anchor_kernel_", None))
        if anchors is not None and len(anchors) and kern is not None and v.any():
            self._apply_anchors(anchors, feats, pred, half, basis, notes_extra, kern)
        if analogues and v.any():
            self._apply_analogues(anchors, feats, ionic, pred, half, basis, notes_extra)
        in_dom, notes = _domain.domain_flags(sim, nrows)
        notes = [a + ("; " + b if b else "") for a, b in zip(notes, notes_extra)]
        status = np.where(v, np.where(in_dom, "ok", "warning"), "invalid").astype(object)
        message = [("" if v[i] else f"row {i + 1}: {reasons[i] or 'cannot featurize'}")
                   for i in range(n)]
        return pd.DataFrame(
            {
                "logK_pred": pred,
                "logK_sd": half / Z90,
                "logK_lo90": pred - half,
                "logK_hi90": pred + half,
                "max_similarity": sim,
                "metal_train_rows": nrows.astype(int),
                "in_domain": in_dom & v,
                "domain_note": [nt if v[i] else "" for i, nt in enumerate(notes)],
                "logK_basis": basis,
                "ion": feats.metal,
                "ionic_strength_M": ionic,
                "status": status,
                "message": message,
            }
        )

    def _anchor_frame(self, anchors: pd.DataFrame) -> pd.DataFrame:
        """Standardized anchors with the model's prediction at each anchor."""
        a = _as_frame(anchors[[c for c in ("smiles", "metal", "logK", "ionic_strength")
                               if c in anchors]])
        a = a.assign(logK=pd.to_numeric(a["logK"], errors="coerce"))
        a = a[np.isfinite(a["logK"].to_numpy(float))]
        if not len(a):
            return a.assign(std="", ion="", resid=np.nan)
        # the anchors' ligands are (usually) among the rows just featurized: reuse their
        # ligand features, and keep them as the frame the analogue step reuses (featurizing
        # the anchors alone used to replace it, so every ligand was featurized twice)
        prev_reuse, prev_last = getattr(self, "_lig_reuse", None), getattr(self, "_lig_last", None)
        self._lig_reuse = prev_reuse if prev_reuse is not None else prev_last
        try:
            fa = self.featurize(a)
        finally:
            self._lig_reuse, self._lig_last = prev_reuse, prev_last
        a = a.assign(std=fa.smiles, ion=fa.metal)
        a["resid"] = a["logK"].to_numpy(float) - self._raw(fa)
        return a[fa.valid & np.isfinite(a["resid"].to_numpy(float))]

    def _apply_anchors(self, anchors, feats, pred, half, basis, notes, kern) -> None:
        a = self._anchor_frame(anchors)
        if not len(a):
            return
        embed = _transfer.ion_embedding(self.ion_frame_)
        by_lig = {s: g for s, g in a.groupby("std")}
        rows = pd.DataFrame({"s": feats.smiles, "m": feats.metal, "v": feats.valid})
        for s, g in rows[rows["v"] & rows["s"].isin(list(by_lig))].groupby("s"):
            anc = by_lig[s].groupby("ion")["resid"].mean()
            for m, idx in g.groupby("m").groups.items():
                other = anc[anc.index != m]
                if not len(other):
                    continue
                mean, ratio = kern.condition(list(other.index), other.to_numpy(),
                                             np.full(len(other), 0.3**2), [m], embed)
                shift = float(mean[0])
                if getattr(self, "anchor_cap", False):
                    cap = float(np.max(np.abs(other.to_numpy(float))))
                    shift = float(np.clip(shift, -cap, cap))
                idx = np.asarray(list(idx))
                pred[idx] += shift
                half[idx] *= np.sqrt(ratio[0])
                basis[idx] = "anchored"
                shown = list(other.index)
                text = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more ions"
                                               if len(shown) > 4 else "")
                for i in idx:
                    notes[i] = f"anchored on {len(shown)} measured constant(s) of this ligand ({text})"

    def _apply_analogues(self, anchors, feats, ionic, pred, half, basis, notes) -> None:
        from chelscreen.model.transfer import ANALOGUE_MAX_ROWS, ANALOGUE_MIN_ROWS

        radii, fams = self._ion_tables()
        sd_fam = getattr(self, "analogue_sd_", {}) or {}
        todo = [i for i in np.flatnonzero(feats.valid)
                if self.metal_rows_.get(str(feats.metal[i]), 0) < ANALOGUE_MAX_ROWS
                and fams.get(str(feats.metal[i]), "") in sd_fam]
        if not todo:
            return
        fam_members: dict[str, list[str]] = {}
        for m, n in self.metal_rows_.items():
            if n >= ANALOGUE_MIN_ROWS:
                fam_members.setdefault(fams.get(m, ""), []).append(m)
        need = sorted({(feats.smiles[i], a, float(ionic[i])) for i in todo
                       for a in fam_members.get(fams.get(str(feats.metal[i]), ""), [])})
        known = {}
        if anchors is not None and len(anchors):
            a = self._anchor_frame(anchors)
            known = {(s, m): k for s, m, k in zip(a["std"], a["ion"], a["logK"])}
        vals: dict[str, dict[str, tuple[float, float]]] = {}
        for s, m, _i in need:
            if (s, m) in known:
                vals.setdefault(s, {})[m] = (float(known[(s, m)]), 0.3**2)
        # only measured analogue constants are evidence ("measured"); the model's own
        # predictions for the analogues add its error to the radius extrapolation's and no
        # information, and are computed only where they are used ("any")
        unknown = [t for t in need if (t[0], t[1]) not in known]
        if getattr(self, "analogue_evidence_", "any") != "measured" and unknown:
            extra = pd.DataFrame(unknown, columns=["smiles", "metal", "ionic_strength"])
            self._lig_reuse = getattr(self, "_lig_last", None)
            try:
                ex = self.predict_full(extra, anchors, analogues=False)
            finally:
                self._lig_reuse = None
            for (s, m, _i), p, sd in zip(unknown, ex["logK_pred"], ex["logK_sd"]):
                if np.isfinite(p) and np.isfinite(sd):
                    vals.setdefault(s, {})[m] = (float(p), float(sd) ** 2)
        if not vals:
            return
        for i in todo:
            t = str(feats.metal[i])
            est = _transfer.analogue_estimate(t, vals.get(feats.smiles[i], {}), self.ion_frame_,
                                              self.metal_rows_, sd_fam[fams[t]],
                                              extrapolation_sd=float(getattr(
                                                  self, "analogue_extrapolation_sd_", 0.0)),
                                              radii=radii, families=fams)
            if est is None:
                continue
            mu_a, var_a, used = est
            sd_m = half[i] / Z90 if np.isfinite(half[i]) else np.inf
            w = 1.0 / var_a / (1.0 / var_a + (1.0 / sd_m**2 if np.isfinite(sd_m) else 0.0))
            pred[i] = w * mu_a + (1 - w) * pred[i]
            # both estimates may rest on the same measured constants (anchors), so they are not
            # independent: the combined error is not taken below the smaller of the two
            sd_new = min(np.sqrt(var_a), sd_m)
            half[i] = Z90 * sd_new
            if w >= 0.5:
                basis[i] = "analogue"
            notes[i] = (notes[i] + "; " if notes[i] else "") + (
                f"estimated from analogues {', '.join(used)} (weight {w:.2f}, radius-corrected)")


#: log K above which ``target_stretch`` stretches the target
STRETCH_KNOT = 10.0


def _stretch(y: np.ndarray, s: float) -> np.ndarray:
    """``y + s·max(y − STRETCH_KNOT, 0)`` (the identity for s = 0)."""
    return y + s * np.maximum(y - STRETCH_KNOT, 0.0) if s else y


def _unstretch(t: np.ndarray, s: float) -> np.ndarray:
    """The inverse of :func:`_stretch`."""
    return np.where(t > STRETCH_KNOT, STRETCH_KNOT + (t - STRETCH_KNOT) / (1.0 + s), t) if s else t


def _monotone_map(pred: np.ndarray, y: np.ndarray, bins: int = 40) -> dict:
    """Monotone piecewise-linear map prediction → E[log K | prediction] from binned
    out-of-fold values (quantile bins, running maximum); slope 1 beyond the end knots."""
    q = np.unique(np.quantile(pred, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(q, pred, side="right") - 1, 0, len(q) - 2)
    xs, ys = [], []
    for b in range(len(q) - 1):
        m = idx == b
        if m.sum() >= 20:
            xs.append(float(pred[m].mean()))
            ys.append(float(y[m].mean()))
    ys = np.maximum.accumulate(np.array(ys)) if ys else np.array([])
    return {"x": xs, "y": [float(v) for v in ys]}


def _quantile_map(pred: np.ndarray, y: np.ndarray, knots: int = 41) -> dict:
    """Monotone map that gives the out-of-fold predictions the distribution of the measured
    values (quantile matching, ``F_y⁻¹(F_pred(p))``): it undoes the shrinkage of the tails
    (strong chelators predicted too low) rather than estimating E[log K | prediction], which
    keeps the shrinkage by construction. Slope 1 beyond the end knots."""
    qs = np.linspace(0.0, 1.0, knots)
    qs = np.concatenate([qs[:-1], [0.99, 0.995, 1.0]])
    qs = np.unique(np.clip(qs, 0.0025, 0.9975))
    xs, ys = np.quantile(pred, qs), np.quantile(y, qs)
    keep = np.concatenate([[True], np.diff(xs) > 1e-9])
    return {"x": [float(v) for v in xs[keep]],
            "y": [float(v) for v in np.maximum.accumulate(ys[keep])]}


def lfer_factors(smiles, metal, y, n_iter: int = 30, lam_s: float = 1.0, lam_m: float = 5.0
                 ) -> tuple[dict, dict, dict]:
    """Rank-one linear-free-energy factorization log K(L, M) ≈ a_M + b_M·s_L.

    Alternating ridge fits: each ligand's strength s_L from its rows (shrunk towards 0 with
    ``lam_s``; then standardized over the ligands to mean 0, SD 1), each metal's intercept and
    slope from its rows (both shrunk towards the row-weighted means with ``lam_m``, so an ion
    with a few rows keeps a typical slope). Returns ``(a, b, s)`` as dicts by metal / ligand.
    """
    y = np.asarray(y, float)
    lig_u, li = np.unique(np.asarray(smiles, dtype=object).astype(str), return_inverse=True)
    met_u, mi = np.unique(np.asarray(metal, dtype=object).astype(str), return_inverse=True)
    nm = np.bincount(mi, minlength=len(met_u)).astype(float)
    a = np.bincount(mi, y, minlength=len(met_u)) / nm
    b = np.full(len(met_u), float(np.std(y)) or 1.0)
    s = np.zeros(len(lig_u))
    for _ in range(n_iter):
        r = y - a[mi]
        s = (np.bincount(li, b[mi] * r, minlength=len(lig_u))
             / (np.bincount(li, b[mi] ** 2, minlength=len(lig_u)) + lam_s))
        sd = float(np.std(s))
        s = (s - s.mean()) / (sd if sd > 0 else 1.0)
        a0, b0 = float(np.average(a, weights=nm)), float(np.average(b, weights=nm))
        sv = s[li]
        s1 = np.bincount(mi, sv, minlength=len(met_u))
        s2 = np.bincount(mi, sv ** 2, minlength=len(met_u)) + lam_m
        y0 = np.bincount(mi, y, minlength=len(met_u)) + lam_m * a0
        y1 = np.bincount(mi, sv * y, minlength=len(met_u)) + lam_m * b0
        s0 = nm + lam_m
        det = s0 * s2 - s1 ** 2
        a = (s2 * y0 - s1 * y1) / det
        b = (s0 * y1 - s1 * y0) / det
    return (dict(zip(met_u, a)), dict(zip(met_u, b)), dict(zip(lig_u, s)))


def _recalibration_map(pred: np.ndarray, y: np.ndarray, kind: str) -> dict:
    """The out-of-fold recalibration map: ``"mean"`` (:func:`_monotone_map`, E[log K |
    prediction]), ``"quantile"`` (:func:`_quantile_map`) or ``"blend"``, their average.

    The conditional mean keeps the shrinkage of the strongest chelators; quantile matching
    removes it but over-stretches when the out-of-fold models (trained on (k−1)/k of the rows)
    shrink more than the final one. Their average was the best of the three on the inner
    skeleton-grouped splits (benchmarks/bench_stability.py --inner-only). The average of two
    piecewise-linear maps is piecewise linear on the union of their knots, so it is stored
    as one map.
    """
    if kind == "mean":
        return _monotone_map(pred, y)
    if kind == "quantile":
        return _quantile_map(pred, y)
    # "blend" (equal weights) or "blend<w>": weight w on the quantile map, e.g. "blend0.75"
    try:
        w = 0.5 if kind == "blend" else float(kind[5:]) if kind.startswith("blend") else None
    except ValueError:
        w = None
    if w is None or not 0.0 <= w <= 1.0:
        raise ValueError(f"recalibration must be 'mean', 'quantile', 'blend' or 'blend<w>' "
                         f"(0 <= w <= 1), not {kind!r}")
    a, b = _monotone_map(pred, y), _quantile_map(pred, y)
    if len(a["x"]) < 2:
        return b
    x = np.unique(np.concatenate([a["x"], b["x"]]))
    yy = (1.0 - w) * _apply_map(x, a) + w * _apply_map(x, b)
    return {"x": [float(v) for v in x], "y": [float(v) for v in np.maximum.accumulate(yy)]}


def _apply_map(p: np.ndarray, cmap: dict | None) -> np.ndarray:
    if not cmap or len(cmap.get("x", [])) < 2:
        return p
    x, yk = np.asarray(cmap["x"]), np.asarray(cmap["y"])
    out = np.interp(p, x, yk)
    hi, lo = p > x[-1], p < x[0]
    out[hi] = yk[-1] + (p[hi] - x[-1])
    out[lo] = yk[0] + (p[lo] - x[0])
    return out


def _fit_safe(est, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
    """Fit a HistGradientBoosting model; all-NaN columns (e.g. no macrocycle in a small fold)
    are set to 0 for the fit, which sklearn's binning cannot handle. A constant column is
    never split on, so prediction-time values of that column do not matter."""
    allnan = np.isnan(X).all(axis=0)
    if allnan.any():
        X = X.copy()
        X[:, allnan] = 0.0
    return est.fit(X, y, sample_weight=sample_weight)


def _threads(n_jobs):
    from chelscreen._parallel import thread_limits

    return thread_limits(n_jobs, user_api="openmp")


def _ionic(X: pd.DataFrame) -> np.ndarray:
    """Ionic strength per row (mol/L); missing values are :data:`DEFAULT_IONIC_STRENGTH`."""
    if "ionic_strength" not in X:
        return np.full(len(X), DEFAULT_IONIC_STRENGTH)
    v = pd.to_numeric(X["ionic_strength"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(v), v, DEFAULT_IONIC_STRENGTH)


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        missing = {"smiles", "metal"} - set(X.columns)
        if missing:
            raise ValueError(f"pairs frame lacks columns {sorted(missing)}; need smiles, metal")
        return X.reset_index(drop=True)
    raise TypeError("StabilityModel expects a DataFrame with columns smiles, metal[, ionic_strength]")


def load_bundled_table(name: str) -> pd.DataFrame:
    """A table shipped in ``models/stability/`` (ions.csv, protonation.csv.gz, ...)."""
    from chelscreen._resources import models_dir

    return pd.read_csv(models_dir() / "stability" / name)


def grouped_cv(model: StabilityModel, X: pd.DataFrame, y, folds: int = 5, **fit_kw) -> dict:
    """Cross-validate ``model`` with folds grouped by structure skeleton
    (:func:`chelscreen.model.features.skeleton_key`); returns metrics."""
    from scipy.stats import spearmanr
    from sklearn.base import clone
    from sklearn.model_selection import GroupKFold

    X = _as_frame(X)
    y = np.asarray(y, dtype=float)
    groups = np.array([_features.skeleton_key(s) for s in X["smiles"]], dtype=object)
    pred = np.full(len(y), np.nan)
    lo = np.full(len(y), np.nan)
    hi = np.full(len(y), np.nan)
    for tr, te in GroupKFold(folds).split(X, y, groups):
        m = clone(model).fit(X.iloc[tr], y[tr], **fit_kw)
        full = m.predict_full(X.iloc[te])
        pred[te] = full["logK_pred"].to_numpy()
        lo[te] = full["logK_lo90"].to_numpy()
        hi[te] = full["logK_hi90"].to_numpy()
    e = pred - y
    return {
        "folds": folds, "n": int(len(y)), "MAE": float(np.mean(np.abs(e))),
        "RMSE": float(np.sqrt(np.mean(e**2))), "Spearman": float(spearmanr(pred, y).statistic),
        "bias": float(np.mean(e)),
        "coverage90": float(np.mean((y >= lo) & (y <= hi))) if np.isfinite(lo).all()
        else float("nan"),
    }
