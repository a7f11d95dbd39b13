"""Ablation: do OpenMM fast-protocol features improve the stability model's log K?

1. Out-of-sample base predictions: a :class:`~chelscreen.model.estimator.StabilityModel` is
   trained on the committed training table WITHOUT any row (or protonation entry) of the
   calibration ligands (matched by the model's canonical ``standardize_smiles``) and predicts the
   calibration pairs of ``benchmarks/results/sim_features_calibration.csv``. This takes a few
   minutes once; the result is cached in ``benchmarks/results/sim_ablation_base_predictions.csv``
   (``--retrain`` redoes it).
2. Leave-one-ligand-out: :class:`~chelscreen.model.simcorrect.SimCorrection` is fitted on the
   residuals (log K_exp − base) of the other ligands and applied to the held-out one. MAE, RMSE
   and Spearman of base vs base + correction are printed. The primary configuration is fixed in
   advance (``DEFAULT_FEATURES``, alpha 10, no charge interaction); the variants are printed for
   information only (choosing among them on the same 8 folds would be optimistic).
   A control shifts the base by the mean residual of the other ligands (no simulation input).
3. Only if the primary configuration lowers the leave-one-ligand-out MAE below both the base and
   the control, the correction is fitted
   on all pairs and written to ``models/stability/simcorrect.json`` (``--write``); otherwise an
   existing file is removed so that the screen does not use it.

Run::

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/ablate_simulation.py --write
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CALIB = REPO / "benchmarks/results/sim_features_calibration.csv"
CACHE = REPO / "benchmarks/results/sim_ablation_base_predictions.csv"
OUT_JSON = REPO / "models/stability/simcorrect.json"
PRIMARY = {"alpha": 10.0, "charge_interaction": False}


def base_predictions(calib: pd.DataFrame, retrain: bool = False) -> pd.DataFrame:
    """Out-of-sample base-model log K of the calibration pairs (cached)."""
    if CACHE.is_file() and not retrain:
        cached = pd.read_csv(CACHE)
        if len(cached) == len(calib) and (cached["metal"].to_numpy() ==
                                           calib["metal"].to_numpy()).all():
            return cached
    from chelscreen.model.estimator import StabilityModel
    from chelscreen.model.features import standardize_smiles

    t = pd.read_csv(REPO / "models/stability/training_table.csv.gz")
    ions = pd.read_csv(REPO / "models/stability/ions.csv")
    prot = pd.read_csv(REPO / "models/stability/protonation.csv.gz")
    held = {standardize_smiles(s) for s in calib["smiles"].unique()} - {None, ""}
    t_std = np.array([standardize_smiles(s) or "" for s in t["smiles"]], dtype=object)
    p_std = np.array([standardize_smiles(s) or "" for s in prot["smiles"]], dtype=object)
    keep = ~np.isin(t_std, list(held))
    print(f"training without {len(held)} calibration ligands: {int((~keep).sum())} of {len(t)} "
          f"rows removed, {int(np.isin(p_std, list(held)).sum())} protonation entries removed",
          flush=True)
    t0 = time.perf_counter()
    model = StabilityModel().fit(t.loc[keep, ["smiles", "metal", "ionic_strength"]],
                                 t.loc[keep, "logK"].to_numpy(float), ions=ions,
                                 protonation=prot[~np.isin(p_std, list(held))])
    print(f"fit {time.perf_counter() - t0:.1f} s", flush=True)
    # like the screen (predict_stability), no ionic strength is given
    full = model.predict_full(calib[["smiles", "metal"]])
    out = calib[["ligand", "smiles", "metal", "logK_exp"]].copy()
    out["logK_pred_oos"] = full["logK_pred"].to_numpy()
    out.to_csv(CACHE, index=False)
    return out


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from scipy.stats import spearmanr

    e = p - y
    return {"MAE": float(np.mean(np.abs(e))), "RMSE": float(np.sqrt(np.mean(e**2))),
            "Spearman": float(spearmanr(p, y).statistic)}


def lolo(calib: pd.DataFrame, base: np.ndarray, **kw) -> np.ndarray:
    """Leave-one-ligand-out corrected predictions."""
    from chelscreen.model.simcorrect import SimCorrection

    y = calib["logK_exp"].to_numpy(float)
    out = np.full(len(y), np.nan)
    for lig in calib["ligand"].unique():
        te = (calib["ligand"] == lig).to_numpy()
        m = SimCorrection(**kw).fit(calib[~te], y[~te] - base[~te])
        corr = m.predict(calib[te])
        out[te] = base[te] + np.nan_to_num(corr)
    return out


def main(argv: list[str] | None = None) -> dict:
    from chelscreen.metals import get_ion
    from chelscreen.model.simcorrect import SimCorrection

    ap = argparse.ArgumentParser()
    ap.add_argument("--retrain", action="store_true", help="ignore the cached base predictions")
    ap.add_argument("--write", action="store_true",
                    help="write models/stability/simcorrect.json if the correction helps")
    args = ap.parse_args(argv)

    calib = pd.read_csv(CALIB)
    calib = calib[calib["status"].isin(["ok", "warning"])].reset_index(drop=True)
    calib["charge"] = [get_ion(m).charge for m in calib["metal"]]
    bp = base_predictions(calib, retrain=args.retrain)
    base = bp["logK_pred_oos"].to_numpy(float)
    y = calib["logK_exp"].to_numpy(float)
    n_lig = calib["ligand"].nunique()
    print(f"calibration pairs: {len(calib)} ({n_lig} ligands), log K "
          f"{y.min():.1f}–{y.max():.1f}")
    res: dict = {"n_pairs": int(len(calib)), "n_ligands": int(n_lig),
                 "base_oos": metrics(y, base)}
    print("base (out-of-sample model)        : " + fmt(res["base_oos"]))
    from scipy.stats import spearmanr

    resid = y - base
    res["spearman_residual_vs_feature"] = {}
    for f in ("binding_energy_kJ_mol", "md_dist_dev_A", "donors_retained_frac", "strain_kJ_mol",
              "cn_mean"):
        v = pd.to_numeric(calib[f], errors="coerce").to_numpy(float)
        ok = np.isfinite(v)
        rho = float(spearmanr(v[ok], resid[ok]).statistic)
        res["spearman_residual_vs_feature"][f] = rho
    print("Spearman(base residual, feature):", ", ".join(
        f"{k} {v:+.2f}" for k, v in res["spearman_residual_vs_feature"].items()))
    variants = {"primary": PRIMARY, "alpha=1": {"alpha": 1.0},
                "alpha=100": {"alpha": 100.0},
                "alpha=10,+charge": {"alpha": 10.0, "charge_interaction": True},
                "binding energy only": {"alpha": 10.0, "features": ["binding_energy_kJ_mol"]}}
    res["lolo"] = {}
    # control: the mean residual of the other ligands alone (no simulation feature). Without it,
    # a plain bias shift of the base model on this subset would be credited to the simulation.
    shift = np.full(len(y), np.nan)
    for lig in calib["ligand"].unique():
        te = (calib["ligand"] == lig).to_numpy()
        shift[te] = base[te] + np.mean(y[~te] - base[~te])
    res["lolo"]["intercept only (control)"] = metrics(y, shift)
    print("base+mean shift LOLO (control)   : " + fmt(res["lolo"]["intercept only (control)"]))
    for name, kw in variants.items():
        m = metrics(y, lolo(calib, base, **kw))
        res["lolo"][name] = m
        print(f"base+correction LOLO {name:<13}: " + fmt(m))
    helps = res["lolo"]["primary"]["MAE"] < min(res["base_oos"]["MAE"],
                                                res["lolo"]["intercept only (control)"]["MAE"])
    res["helps"] = bool(helps)
    final = SimCorrection(**PRIMARY).fit(calib, y - base)
    res["coef_all_pairs"] = dict(zip(final.feature_names(), final.coef_.round(4).tolist()))
    print("coefficients (standardized, all pairs):", res["coef_all_pairs"],
          f"intercept {final.intercept_:+.3f}")
    print("verdict:", "correction lowers LOLO MAE" if helps else
          "correction does NOT lower LOLO MAE; features stay informational")
    if args.write:
        if helps:
            final.save(OUT_JSON, ablation={
                "protocol": "leave-one-ligand-out over the calibration ligands; base predictions "
                            "from a StabilityModel trained without those ligands",
                "command": "OMP_NUM_THREADS=1 python benchmarks/ablate_simulation.py --write",
                "base_oos": res["base_oos"], "corrected_lolo": res["lolo"]["primary"],
                "shift_only_lolo": res["lolo"]["intercept only (control)"],
                "n_ligands": res["n_ligands"]})
            print(f"wrote {OUT_JSON}")
        elif OUT_JSON.exists():
            OUT_JSON.unlink()
            print(f"removed {OUT_JSON} (correction does not help)")
    print(json.dumps(res, indent=1))
    return res


def fmt(m: dict) -> str:
    return f"MAE={m['MAE']:.3f} RMSE={m['RMSE']:.3f} Spearman={m['Spearman']:.3f}"


if __name__ == "__main__":
    main()
