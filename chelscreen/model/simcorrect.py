"""Optional simulation correction of the stability model's log K.

:class:`SimCorrection` is a tiny ridge regression on standardized OpenMM fast-protocol features
(``binding_energy_kJ_mol``, ``md_dist_dev_A``, ``donors_retained_frac`` by default) whose target
is the *residual* of the stability model, ``log K_exp − logK_pred``. It is applied only to pairs
that were simulated (the screen's ``--simulate-top`` funnel); every other pair keeps the plain
model prediction. The learned state lives in ``_``-suffixed attributes and is saved as JSON
arrays (no pickle); :func:`load_simcorrect` refuses files with another schema.

Whether the correction is worth using is decided by ``benchmarks/ablate_simulation.py``
(576 calibration pairs, 64 ligand skeletons: skeleton-grouped out-of-fold base predictions, outer
GroupKFold by skeleton with the penalty chosen in an inner split, bias-only and charge/size-only
controls); the figures are in ``benchmarks/results/sim_ablation.json`` and
``models/stability/CARD.md``. Current verdict: no gain beyond the controls, so no correction
file is bundled and :func:`load_simcorrect` raises ``ModelFileError`` for the default path.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chelscreen.errors import ModelFileError

logger = logging.getLogger(__name__)

SCHEMA = "chelscreen.simcorrect/1"
DEFAULT_FEATURES: tuple[str, ...] = (
    "binding_energy_kJ_mol",
    "md_dist_dev_A",
    "donors_retained_frac",
)
FILE_NAME = "simcorrect.json"


class SimCorrection:
    """Ridge regression of the log K residual on standardized simulation features.

    Parameters
    ----------
    features : sequence of str
        Simulation feature columns used as inputs.
    alpha : float
        Ridge penalty on the standardized coefficients (the intercept is not penalized).
        Strong by default: the calibration set is small (tens of pairs).
    charge_interaction : bool
        Also use each feature × ion charge (needs a ``charge`` column in ``X``).
    """

    def __init__(self, features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
                 alpha: float = 10.0, charge_interaction: bool = False) -> None:
        self.features = tuple(features)
        self.alpha = float(alpha)
        self.charge_interaction = bool(charge_interaction)

    # ------------------------------------------------------------------ design matrix
    def _design(self, X: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.features if c not in X.columns]
        if self.charge_interaction and "charge" not in X.columns:
            missing.append("charge")
        if missing:
            raise ValueError(f"SimCorrection input lacks columns {missing}; "
                             f"need {list(self.features)}"
                             + (" and charge" if self.charge_interaction else ""))
        A = X[list(self.features)].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        if self.charge_interaction:
            q = pd.to_numeric(X["charge"], errors="coerce").to_numpy(float)[:, None]
            A = np.hstack([A, A * q])
        return A

    def feature_names(self) -> list[str]:
        """Names of the design-matrix columns."""
        names = list(self.features)
        if self.charge_interaction:
            names += [f"{f}*charge" for f in self.features]
        return names

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X: pd.DataFrame, residual) -> SimCorrection:
        """Fit on feature rows ``X`` and residuals ``log K_exp − logK_pred``.

        Rows with any missing feature or residual are ignored; at least 5 complete rows needed.
        """
        A = self._design(X)
        r = np.asarray(residual, dtype=float)
        if len(r) != len(A):
            raise ValueError(f"X has {len(A)} rows but residual has {len(r)}")
        ok = np.isfinite(A).all(axis=1) & np.isfinite(r)
        if ok.sum() < 5:
            raise ValueError(f"SimCorrection needs ≥ 5 complete rows, got {int(ok.sum())}")
        A, r = A[ok], r[ok]
        mean = A.mean(axis=0)
        scale = A.std(axis=0)
        scale[scale == 0] = 1.0
        Z = (A - mean) / scale
        rc = r - r.mean()
        coef = np.linalg.solve(Z.T @ Z + self.alpha * np.eye(Z.shape[1]), Z.T @ rc)
        self.mean_ = mean
        self.scale_ = scale
        self.coef_ = coef
        self.intercept_ = float(r.mean())
        self.n_fit_ = int(ok.sum())
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted residual (add to ``logK_pred``); NaN where a feature is missing."""
        if not hasattr(self, "coef_"):
            raise ModelFileError("SimCorrection is not fitted; call fit() or load_simcorrect()")
        A = self._design(X)
        out = self.intercept_ + ((A - self.mean_) / self.scale_) @ self.coef_
        out[~np.isfinite(A).all(axis=1)] = np.nan
        return out

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (schema :data:`SCHEMA`)."""
        if not hasattr(self, "coef_"):
            raise ModelFileError("SimCorrection is not fitted; nothing to save")
        return {
            "schema": SCHEMA,
            "features": list(self.features),
            "design_columns": self.feature_names(),
            "alpha": self.alpha,
            "charge_interaction": self.charge_interaction,
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
            "n_pairs": self.n_fit_,
        }

    def save(self, path: str | Path, **extra: Any) -> Path:
        """Write the state (plus ``extra`` keys such as ``ablation``) as JSON."""
        d = self.to_dict()
        d.update(extra)
        path = Path(path)
        path.write_text(json.dumps(d, indent=2) + "\n")
        return path

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "<dict>") -> SimCorrection:
        """Rebuild from :meth:`to_dict` output; raises ``ModelFileError`` on a bad schema."""
        if not isinstance(d, dict) or d.get("schema") != SCHEMA:
            got = d.get("schema") if isinstance(d, dict) else type(d).__name__
            raise ModelFileError(f"{source}: not a simulation-correction file (schema {got!r}, "
                                 f"expected {SCHEMA!r}); regenerate it with "
                                 "benchmarks/ablate_simulation.py")
        try:
            m = cls(d["features"], alpha=d["alpha"], charge_interaction=d["charge_interaction"])
            m.mean_ = np.asarray(d["mean"], dtype=float)
            m.scale_ = np.asarray(d["scale"], dtype=float)
            m.coef_ = np.asarray(d["coef"], dtype=float)
            m.intercept_ = float(d["intercept"])
            m.n_fit_ = int(d["n_pairs"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{source}: damaged simulation-correction file ({e})") from e
        k = len(m.feature_names())
        if not (len(m.mean_) == len(m.scale_) == len(m.coef_) == k):
            raise ModelFileError(f"{source}: array lengths do not match {k} design columns")
        return m


def default_path() -> Path:
    """The bundled ``models/stability/simcorrect.json``."""
    from chelscreen._resources import models_dir

    return models_dir() / "stability" / FILE_NAME


def load_simcorrect(path: str | Path | None = None) -> SimCorrection:
    """Load a saved correction (default: the bundled one).

    Raises
    ------
    ModelFileError
        File missing, not JSON, or of another schema.
    """
    p = Path(path) if path is not None else default_path()
    if not p.is_file():
        raise ModelFileError(f"simulation-correction file not found: {p}")
    try:
        d = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise ModelFileError(f"{p}: not valid JSON ({e})") from e
    return SimCorrection.from_dict(d, source=str(p))
