"""Use what is measured: residual transfer across metals (anchors) and analogue ions.

Two ideas, both learned from the training data and stored as plain numbers in ``state.json``:

**Anchors** (:class:`ResidualKernel`). A ligand whose constant with one metal the model gets
wrong by +2 tends to be mispredicted the same way for related metals. The out-of-fold residuals
``r = log K − prediction`` of the training rows (inner folds grouped by structure skeleton) are
modelled per ligand as a Gaussian vector over metals with covariance

    cov(r_a, r_b) = s_a s_b [(1 − τ) c(a, b) + τ δ_ab],
    c(a, b) = ρ0 + (1 − ρ0) exp(−d(a, b)² / 2ℓ²),

where ``s_m`` is the metal's residual scale, ``d`` a distance between ions (charge, radius,
electronegativity, block) and ``ρ0, ℓ, τ`` are fitted by maximum likelihood. A measured anchor
``(ligand, metal a, log K)`` then gives the conditional mean and variance of the residual at any
metal ``b`` (kriging over metals): the correction is large for related ions and fades for
unrelated ones, and the interval shrinks by the explained variance.

**Analogues** (:func:`analogue_estimate`). An ion with few training rows (Ac³⁺, Ra²⁺ ...) is
estimated from the ions of its family (same charge; trivalent group-3/f ions, alkaline earths,
tetravalent ions) that have many rows: the analogues' values for the ligand (measured where known,
else the model's) are fitted linearly against the ionic radius and read at the target's radius
(the size correction). The error of this estimate is calibrated on the training data by treating
data-rich family members as targets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: ion descriptor scales for the metal distance (charge dominates, then radius, EN, block)
_EMBED = {"charge": 1.0, "r_pm": 1 / 15.0, "en": 1 / 0.25, "f_or_g3": 0.7}
#: an ion with fewer training rows than this borrows from its family
ANALOGUE_MAX_ROWS = 30
#: an analogue needs at least this many training rows
ANALOGUE_MIN_ROWS = 100
#: error (log units) of an analogue estimate that the family calibration cannot see: the
#: target ion's own chemistry (Ac is an actinide read from lanthanides, Ra from lighter
#: alkaline earths). It cannot be calibrated on the 3 Ac / 7 Ra rows, so it is set, not fitted.
ION_SPECIFIC_SD = 1.0
#: residual scale shrinkage towards the global scale (pseudo-rows)
_SCALE_N0 = 20.0


def ion_embedding(ion_frame: pd.DataFrame) -> pd.DataFrame:
    """Scaled ion coordinates used for the metal distance (index = canonical ion)."""
    r = ion_frame["r_ionic_cn8_pm"].where(ion_frame["r_ionic_cn8_pm"].notna(),
                                          ion_frame["r_ionic_cn6_pm"])
    group3 = (ion_frame.get("block_f", 0) > 0) | (ion_frame["group_id"] == 3)
    return pd.DataFrame({
        "charge": ion_frame["charge"].astype(float) * _EMBED["charge"],
        "r_pm": r.astype(float).fillna(r.median()) * _EMBED["r_pm"],
        "en": ion_frame["en_pauling"].astype(float).fillna(1.3) * _EMBED["en"],
        "f_or_g3": group3.astype(float) * _EMBED["f_or_g3"],
    }, index=ion_frame.index)


def family_of(ion: str, ion_frame: pd.DataFrame) -> str:
    """Chemical family used for analogues: ``M3+ group3/f``, ``M2+ group2``, ``M4+`` or ``""``.

    Uncached: a fitted model keeps the families of its ion table (:func:`ion_families`).
    """
    return _family_of(ion, ion_frame)


def ion_families(ion_frame: pd.DataFrame) -> dict[str, str]:
    """Family (:func:`family_of`) of every ion of an ion table, computed once per fitted model."""
    return {str(m): _family_of(m, ion_frame) for m in ion_frame.index}


def _family_of(ion: str, ion_frame: pd.DataFrame) -> str:
    if ion not in ion_frame.index:
        return ""
    row = ion_frame.loc[ion]
    z = int(row["charge"])
    if z == 3 and (row.get("block_f", 0) > 0 or row["group_id"] == 3):
        return "M3+ group3/f"
    if z == 2 and row["group_id"] == 2:
        return "M2+ group2"
    if z == 4:
        return "M4+"
    return ""


class ResidualKernel:
    """Kriging of a ligand's residuals over metals (see the module docstring)."""

    def __init__(self, rho0: float = 0.3, ell: float = 1.0, tau: float = 0.3,
                 scale: dict | None = None, global_scale: float = 1.0) -> None:
        self.rho0, self.ell, self.tau = float(rho0), float(ell), float(tau)
        self.scale = dict(scale or {})
        self.global_scale = float(global_scale)

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict:
        return {"rho0": self.rho0, "ell": self.ell, "tau": self.tau,
                "scale": self.scale, "global_scale": self.global_scale}

    @classmethod
    def from_dict(cls, d: dict | None) -> ResidualKernel | None:
        if not d:
            return None
        return cls(d["rho0"], d["ell"], d["tau"], d.get("scale"), d.get("global_scale", 1.0))

    # ------------------------------------------------------------------ pieces
    def s(self, metals) -> np.ndarray:
        return np.array([self.scale.get(str(m), self.global_scale) for m in metals], float)

    def corr(self, ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
        d2 = ((ea[:, None, :] - eb[None, :, :]) ** 2).sum(-1)
        return self.rho0 + (1.0 - self.rho0) * np.exp(-d2 / (2.0 * self.ell**2))

    def cov(self, metals_a, ea, metals_b=None, eb=None) -> np.ndarray:
        same = metals_b is None
        if same:
            metals_b, eb = metals_a, ea
        sa, sb = self.s(metals_a), self.s(metals_b)
        k = np.outer(sa, sb) * (1.0 - self.tau) * self.corr(ea, eb)
        if same:
            k = k + np.diag(sa**2 * self.tau)
        return k

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(cls, ligand: np.ndarray, metal: np.ndarray, resid: np.ndarray,
            embed: pd.DataFrame) -> ResidualKernel:
        """Fit scales and (ρ0, ℓ, τ) by maximum likelihood on out-of-fold residuals."""
        df = pd.DataFrame({"lig": ligand, "metal": metal, "r": resid}).dropna()
        df = df[df["metal"].isin(embed.index)]
        g2 = float(np.mean(df["r"] ** 2))
        agg = df.groupby("metal")["r"].agg(lambda r: float(np.sum(r**2))).to_dict()
        cnt = df["metal"].value_counts().to_dict()
        scale = {m: float(np.sqrt((agg[m] + _SCALE_N0 * g2) / (cnt[m] + _SCALE_N0)))
                 for m in agg}
        groups = [(g["metal"].to_numpy(), g["r"].to_numpy())
                  for _, g in df.groupby("lig") if len(g) >= 2]
        emb = {m: embed.loc[m].to_numpy(float) for m in df["metal"].unique()}
        best, best_ll = (0.3, 1.0, 0.3), -np.inf
        for rho0 in (0.0, 0.2, 0.4, 0.6):
            for ell in (0.5, 1.0, 2.0, 4.0):
                for tau in (0.1, 0.25, 0.4, 0.6):
                    k = cls(rho0, ell, tau, scale, np.sqrt(g2))
                    ll = 0.0
                    for ms, r in groups:
                        e = np.array([emb[m] for m in ms])
                        K = k.cov(ms, e)
                        sign, logdet = np.linalg.slogdet(K)
                        ll -= 0.5 * (logdet + r @ np.linalg.solve(K, r))
                    if ll > best_ll:
                        best, best_ll = (rho0, ell, tau), ll
        return cls(*best, scale=scale, global_scale=np.sqrt(g2))

    # ------------------------------------------------------------------ use
    def condition(self, anchor_metals, anchor_resid, anchor_extra_var, target_metals,
                  embed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Conditional mean residual and variance ratio (posterior / prior) at ``target_metals``.

        ``anchor_extra_var`` adds measurement variance per anchor (0 for none).
        """
        ea = embed.reindex(list(anchor_metals)).to_numpy(float)
        et = embed.reindex(list(target_metals)).to_numpy(float)
        ok = ~np.isnan(ea).any(axis=1)
        if not ok.any() or np.isnan(et).any():
            n = len(target_metals)
            return np.zeros(n), np.ones(n)
        am = [m for m, o in zip(anchor_metals, ok) if o]
        K = self.cov(am, ea[ok]) + np.diag(np.asarray(anchor_extra_var, float)[ok])
        kt = self.cov(list(target_metals), et, am, ea[ok])
        sol = np.linalg.solve(K, np.asarray(anchor_resid, float)[ok])
        mean = kt @ sol
        prior = self.s(target_metals) ** 2
        post = prior - np.einsum("ij,ji->i", kt, np.linalg.solve(K, kt.T))
        return mean, np.clip(post / prior, 0.05, 1.0)


def ion_radii(ion_frame: pd.DataFrame) -> dict[str, float]:
    """Ionic radius (pm) per ion: CN 8, else CN 6. A fitted model computes this once from its
    ion table and keeps it (``radii_``); nothing is cached at module level (a cache keyed on
    the table's ``id()`` kept every table alive and went stale when one was edited in place)."""
    r = ion_frame["r_ionic_cn8_pm"].where(ion_frame["r_ionic_cn8_pm"].notna(),
                                          ion_frame["r_ionic_cn6_pm"])
    return {str(k): float(v) for k, v in r.items()}


def analogue_estimate(target: str, values: dict[str, tuple[float, float]],
                      ion_frame: pd.DataFrame, metal_rows: dict[str, int],
                      size_sd: float, ion_sd: float = ION_SPECIFIC_SD,
                      extrapolation_sd: float = 0.0, *,
                      radii: dict[str, float] | None = None,
                      families: dict[str, str] | None = None,
                      ) -> tuple[float, float, list[str]] | None:
    """Estimate a data-poor ion's log K from its family.

    Parameters
    ----------
    target
        Canonical ion (e.g. ``"Ac3+"``).
    values
        ``{analogue ion: (log K, variance)}`` for this ligand (measured or predicted).
    size_sd
        Calibrated error (log units) of the radius extrapolation for this family.
    ion_sd
        Added error for the target ion's own chemistry (:data:`ION_SPECIFIC_SD`).
    extrapolation_sd
        Error (log units per pm) of the radius trend outside the analogues' radius range: the
        variance grows by ``(extrapolation_sd · Δr)²`` with Δr the distance from the target's
        radius to the nearest analogue radius when the target lies outside their range (Sc³⁺,
        11 pm smaller than Lu³⁺, is far outside; Ac³⁺ 3 pm beyond La³⁺). The family
        calibration only sees interpolation, so this term is what an extrapolation costs.
    radii, families
        :func:`ion_radii` / :func:`ion_families` of ``ion_frame`` when the caller keeps them
        (a fitted model does); computed from ``ion_frame`` otherwise.

    Returns
    -------
    (estimate, variance, analogues used) or None when the family has no usable analogue.
    """
    fams = families if families is not None else ion_families(ion_frame)
    fam = fams.get(target, "")
    if not fam:
        return None
    r = radii if radii is not None else ion_radii(ion_frame)
    cands = [m for m in values if m != target and fams.get(m, "") == fam
             and metal_rows.get(m, 0) >= ANALOGUE_MIN_ROWS and np.isfinite(r.get(m, np.nan))]
    if not cands or not np.isfinite(r.get(target, np.nan)):
        return None
    cands = sorted(cands, key=lambda m: abs(r[m] - r[target]))[:4]
    x = np.array([r[m] for m in cands], float)
    yv = np.array([values[m][0] for m in cands], float)
    var = np.array([values[m][1] for m in cands], float)
    if len(cands) >= 2 and np.ptp(x) > 1.0:
        slope, icpt = np.polyfit(x, yv, 1)
        # a radius trend within a family is mild: clip the slope (log units per pm)
        slope = float(np.clip(slope, -0.3, 0.3))
        est = float(np.mean(yv + slope * (r[target] - x)))
    else:
        est = float(yv[0])
    dr = max(float(x.min() - r[target]), float(r[target] - x.max()), 0.0)
    extra = (extrapolation_sd * dr) ** 2
    return est, float(size_sd**2 + ion_sd**2 + np.mean(var) + extra), cands


def calibrate_analogue_sd(smiles: np.ndarray, metal: np.ndarray, y: np.ndarray,
                          ion_frame: pd.DataFrame, metal_rows: dict[str, int]) -> dict[str, float]:
    """Error of :func:`analogue_estimate` from measured analogue values, per family.

    Each data-rich family member in turn plays the target; its measured constants are compared
    with the estimate from the same ligand's measured constants with the other members.
    """
    df = pd.DataFrame({"s": smiles, "m": metal, "y": y})
    df = df.groupby(["s", "m"])["y"].median().reset_index()
    out: dict[str, list[float]] = {}
    radii, fams = ion_radii(ion_frame), ion_families(ion_frame)
    for _s, g in df.groupby("s"):
        if len(g) < 3:
            continue
        vals = {m: (v, 0.0) for m, v in zip(g["m"], g["y"])}
        for m, v in zip(g["m"], g["y"]):
            fam = fams.get(m, "")
            if not fam or metal_rows.get(m, 0) < ANALOGUE_MIN_ROWS:
                continue
            others = {k: val for k, val in vals.items() if k != m}
            est = analogue_estimate(m, others, ion_frame, metal_rows, 0.0, 0.0,
                                    radii=radii, families=fams)
            if est is not None:
                out.setdefault(fam, []).append(est[0] - v)
    return {fam: float(np.sqrt(np.mean(np.square(e)))) for fam, e in out.items() if len(e) >= 10}
