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

logger = logging.getLogger(__name__)

Z90 = 1.6448536269514722
BASICITY_TARGETS = ["logKH_sum", "logKH_max", "n_pKa_gt4"]


@dataclass
class Featurized:
    """Featurized pairs: the numeric matrix plus what the domain/uncertainty parts need."""

    X: np.ndarray
    smiles: np.ndarray
    metal: np.ndarray
    valid: np.ndarray


def _hgb(**kw):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**kw)


class StabilityModel(RegressorMixin, BaseEstimator):
    """Gradient-boosted log K1 model with calibrated uncertainty and applicability domain.

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Passed to the main :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.
    n_calibration_folds : int
        Inner GroupKFold folds (by ligand) for the out-of-fold residuals that calibrate
        ``logK_sd``; 0 switches uncertainty calibration off (``logK_sd`` = NaN).
    coverage : float
        Target coverage of the ``[logK_lo90, logK_hi90]`` interval.
    few_rows_n0 : float
        Interval inflation for metals with n training rows: × sqrt(1 + few_rows_n0 / n).
    random_state : int
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
        max_iter: int = 1000,
        learning_rate: float = 0.07,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 8,
        l2_regularization: float = 1.0,
        n_calibration_folds: int = 3,
        coverage: float = 0.90,
        few_rows_n0: float = 20.0,
        random_state: int = 0,
        n_jobs: int | None = 1,
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

    def featurize(self, X: pd.DataFrame, ligand_frame: pd.DataFrame | None = None) -> Featurized:
        """Standardize SMILES and build the feature matrix of pairs ``X``.

        Rows with unparsable SMILES or metals unknown to the model get ``valid=False``.
        """
        X = _as_frame(X)
        std = [_features.standardize_smiles(s) for s in X["smiles"]]
        smiles = np.array([s if s else "" for s in std], dtype=object)
        metal = X["metal"].astype(str).to_numpy(dtype=object)
        ionic = (
            pd.to_numeric(X["ionic_strength"], errors="coerce").to_numpy(float)
            if "ionic_strength" in X
            else np.full(len(X), np.nan)
        )
        known_metal = np.isin(metal, self.ion_table_index_)
        valid = (smiles != "") & known_metal
        uniq = [s for s in dict.fromkeys(smiles[valid])]
        lig = ligand_frame if ligand_frame is not None else self._ligand_frame(uniq)
        return self._assemble(lig, smiles, metal, ionic, valid)

    def _assemble(self, lig, smiles, metal, ionic, valid) -> Featurized:
        n = len(smiles)
        Xm = np.full((n, len(self.feature_names_)), np.nan, dtype=np.float32)
        if valid.any():
            lr = lig.loc[smiles[valid]].reset_index(drop=True)
            ir = self.ion_frame_.loc[metal[valid]].reset_index(drop=True)
            mref = _features.metal_reference_frame(
                getattr(self, "metal_reference_logK_", {}) or {}, metal[valid]
            )
            F = _features.pair_features(lr, ir, ionic[valid], mref)
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
    ) -> StabilityModel:
        """Fit on pairs ``X`` (``smiles, metal[, ionic_strength]``) and log K values ``y``.

        Parameters
        ----------
        ions : DataFrame, optional
            Ion descriptor table (``models/stability/ions.csv`` format); default: the bundled one.
        protonation : DataFrame, optional
            Per-ligand basicity (``protonation.csv.gz`` format) for the basicity sub-models;
            default: the bundled one. Pass an empty frame to switch the sub-models off.
        """
        with _threads(self.n_jobs):
            return self._fit(X, y, ions=ions, protonation=protonation)

    def _fit(self, X, y, *, ions, protonation) -> StabilityModel:
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
        unknown = sorted(set(X["metal"].astype(str)) - set(self.ion_table_index_))
        if unknown:
            raise ValueError(
                f"metals not in the ion table: {unknown[:10]}; use canonical ions such as 'Cu2+'"
            )
        std = np.array([_features.standardize_smiles(s) or "" for s in X["smiles"]], dtype=object)
        bad = np.flatnonzero(std == "")
        if len(bad):
            raise ValueError(
                f"{len(bad)} training SMILES could not be parsed (first at row {bad[0]}: "
                f"{X['smiles'].iloc[bad[0]]!r}); fix or remove them"
            )
        uniq = list(dict.fromkeys(std))
        lig = _features.ligand_feature_frame(uniq)
        self.ligand_columns_ = list(lig.columns)
        # basicity sub-models (ligand level)
        self.basicity_models_ = {}
        prot = protonation if protonation is not None else pd.DataFrame()
        if len(prot) >= 30:
            pstd = [_features.standardize_smiles(s) or "" for s in prot["smiles"]]
            prot = prot.assign(smiles=pstd)
            prot = prot[prot["smiles"] != ""].drop_duplicates("smiles")
            plig = _features.ligand_feature_frame(list(prot["smiles"]))
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
        ionic = (
            pd.to_numeric(X["ionic_strength"], errors="coerce").to_numpy(float)
            if "ionic_strength" in X
            else np.full(len(X), np.nan)
        )
        metal = X["metal"].astype(str).to_numpy(dtype=object)
        # metal chemistry fingerprint: log K1 with small reference ligands, training rows only
        self.metal_reference_logK_ = _features.metal_reference_table(std, metal, y)
        probe = _features.pair_features(
            lig.iloc[:1].reset_index(drop=True), self.ion_frame_.iloc[:1].reset_index(drop=True),
            np.array([0.1]),
            _features.metal_reference_frame(self.metal_reference_logK_, metal[:1]),
        )
        self.feature_names_ = list(probe.columns)
        feats = self._assemble(lig, std, metal, ionic, np.ones(len(X), bool))
        Xm = feats.X
        self.n_features_in_ = Xm.shape[1]
        self.model_ = _fit_safe(self._main_model(), Xm, y)
        # training data summaries for domain / known pairs
        counts = pd.Series(metal).value_counts()
        self.metal_rows_ = {str(k): int(v) for k, v in counts.items()}
        self.train_smiles_ = np.array(uniq, dtype=object)
        self.train_fps_ = _domain.fps_to_array(_domain.fingerprints(uniq))
        self._fps_cache = None
        # uncertainty calibration on inner grouped out-of-fold residuals
        self.scale_model_ = None
        self.conformal_q_ = float("nan")
        k = int(self.n_calibration_folds)
        n_groups = len(uniq)
        if k >= 2 and n_groups >= k:
            oof = np.full(len(y), np.nan)
            sim = np.full(len(y), np.nan)
            nrows = np.zeros(len(y))
            fps = _domain.fingerprints(uniq)
            fp_of = dict(zip(uniq, fps))
            for tr, te in GroupKFold(k).split(Xm, y, std):
                oof[te] = _fit_safe(self._main_model(), Xm[tr], y[tr]).predict(Xm[te])
                ref = [fp_of[s] for s in dict.fromkeys(std[tr])]
                te_lig = list(dict.fromkeys(std[te]))
                s_map = dict(zip(te_lig, _domain.max_similarity([fp_of[s] for s in te_lig], ref)))
                sim[te] = [s_map[s] for s in std[te]]
                c = pd.Series(metal[tr]).value_counts()
                nrows[te] = c.reindex(metal[te]).fillna(0).to_numpy()
            Z = self._scale_inputs(oof, sim, nrows, Xm)
            absr = np.abs(oof - y)
            self.scale_model_ = _hgb(
                loss="absolute_error", max_iter=150, learning_rate=0.05, max_depth=3,
                min_samples_leaf=40, random_state=self.random_state,
            ).fit(Z, absr)
            scale = self._scale(Z, nrows)
            self.conformal_q_ = float(np.quantile(absr / scale, self.coverage))
            self.oof_abs_error_ = float(np.mean(absr))
            logger.info("calibration: OOF MAE %.3f, conformal q %.3f", absr.mean(),
                        self.conformal_q_)
        return self

    def _main_model(self):
        return _hgb(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, random_state=self.random_state,
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
    def predict(self, X) -> np.ndarray:
        """log K1 predictions (NaN for invalid rows). ``X`` is a pairs DataFrame or a
        :class:`Featurized`."""
        feats = X if isinstance(X, Featurized) else self.featurize(X)
        out = np.full(len(feats.X), np.nan)
        if feats.valid.any():
            with _threads(getattr(self, "n_jobs", 1)):
                out[feats.valid] = self.model_.predict(feats.X[feats.valid])
        return out

    def _train_fps(self):
        if getattr(self, "_fps_cache", None) is None:
            self._fps_cache = _domain.array_to_fps(self.train_fps_)
        return self._fps_cache

    def predict_full(self, X) -> pd.DataFrame:
        """Predictions with ``logK_sd``, 90 % interval, ``in_domain`` and ``domain_note``."""
        feats = X if isinstance(X, Featurized) else self.featurize(X)
        pred = self.predict(feats)
        n = len(pred)
        uniq = [s for s in dict.fromkeys(feats.smiles[feats.valid])]
        sims = dict(
            zip(uniq, _domain.max_similarity(_domain.fingerprints(uniq), self._train_fps()))
        )
        sim = np.array([sims.get(s, np.nan) for s in feats.smiles])
        nrows = np.array([self.metal_rows_.get(str(m), 0) for m in feats.metal], dtype=float)
        sd = np.full(n, np.nan)
        half = np.full(n, np.nan)
        if self.scale_model_ is not None and feats.valid.any():
            v = feats.valid
            Z = self._scale_inputs(pred[v], sim[v], nrows[v], feats.X[v])
            half[v] = self.conformal_q_ * self._scale(Z, nrows[v])
            sd[v] = half[v] / Z90
        in_dom, notes = _domain.domain_flags(sim, nrows)
        return pd.DataFrame(
            {
                "logK_pred": pred,
                "logK_sd": sd,
                "logK_lo90": pred - half,
                "logK_hi90": pred + half,
                "max_similarity": sim,
                "metal_train_rows": nrows.astype(int),
                "in_domain": in_dom & feats.valid,
                "domain_note": notes,
            }
        )


def _fit_safe(est, X: np.ndarray, y: np.ndarray):
    """Fit a HistGradientBoosting model; all-NaN columns (e.g. no macrocycle in a small fold)
    are set to 0 for the fit, which sklearn's binning cannot handle. A constant column is
    never split on, so prediction-time values of that column do not matter."""
    allnan = np.isnan(X).all(axis=0)
    if allnan.any():
        X = X.copy()
        X[:, allnan] = 0.0
    return est.fit(X, y)


def _threads(n_jobs):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n_jobs, user_api="openmp")


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
    """Cross-validate ``model`` with folds grouped by canonical ligand; returns metrics."""
    from scipy.stats import spearmanr
    from sklearn.base import clone
    from sklearn.model_selection import GroupKFold

    X = _as_frame(X)
    y = np.asarray(y, dtype=float)
    groups = np.array([_features.standardize_smiles(s) or "" for s in X["smiles"]], dtype=object)
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
