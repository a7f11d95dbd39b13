"""Ablation: do OpenMM fast-protocol features lower the stability model's held-out error?

Data: ``benchmarks/results/sim_features_calibration.csv`` (``calibrate_simulate.py``: >= 500
pairs, 64 ligands, their measured log K and fast-protocol features).

1. Out-of-fold base predictions, grouped by ligand skeleton (first InChIKey block): the
   calibration skeletons are split into 5 folds (GroupKFold); for each fold a
   :class:`~chelscreen.model.estimator.StabilityModel` is trained on the committed training table
   WITHOUT any row (or protonation entry) whose skeleton is in that fold, and predicts the
   fold's pairs. Cached in ``benchmarks/results/sim_ablation_base_predictions.csv``
   (``--retrain`` redoes it; ~5 fits of 2-3 min).
2. Residual models (target: log K_exp - base), outer GroupKFold(5) by skeleton on the
   calibration pairs (different seed-free fold assignment from step 1), all ridge regressions
   (:class:`~chelscreen.model.simcorrect.SimCorrection`) with the penalty chosen in an inner
   GroupKFold(4) on the outer-training pairs only (grid 0.1-1000):

   - ``bias`` (control): the mean residual of the training pairs;
   - ``charge/size`` (control): ion charge, Shannon CN6 radius and charge^2/radius;
   - ``simulation``: charge/size + the simulation features (``SIM_FEATURES``).

   Plus the plain base model. MAE, RMSE, Spearman on the outer folds, and a 95 % bootstrap
   interval (over skeletons, 2,000 resamples) of MAE(simulation) - MAE(best control).
3. Verdict: the correction is bundled (``models/stability/simcorrect.json``, with ``--write``)
   only if the simulation model beats both controls and the base and the interval lies below
   zero; otherwise any bundled file is removed and the result says so.

Run::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/ablate_simulation.py --write
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
RESULT_JSON = REPO / "benchmarks/results/sim_ablation.json"
CONTROL_FEATURES = ["ion_charge", "ion_r6_pm", "ion_q2_over_r"]
SIM_FEATURES = ["cn_mean", "cn_initial", "donors_retained_frac", "md_dist_dev_A",
                "strain_kJ_mol", "binding_energy_kJ_mol"]
ALPHAS = [0.1, 1.0, 10.0, 100.0, 1000.0]


def skeleton(smiles: str) -> str:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(str(smiles))
    key = Chem.MolToInchiKey(mol) if mol is not None else ""
    return key.split("-")[0] if key else str(smiles)


def base_predictions(calib: pd.DataFrame, retrain: bool = False) -> np.ndarray:
    """Skeleton-grouped out-of-fold base-model log K of the calibration pairs (cached)."""
    key = calib[["smiles", "metal"]].astype(str).agg("|".join, axis=1)
    if CACHE.is_file() and not retrain:
        cached = pd.read_csv(CACHE)
        ck = cached[["smiles", "metal"]].astype(str).agg("|".join, axis=1)
        if len(cached) == len(calib) and (ck.to_numpy() == key.to_numpy()).all():
            return cached["logK_pred_oof"].to_numpy(float)
    from sklearn.model_selection import GroupKFold

    from chelscreen.model.estimator import StabilityModel

    t = pd.read_csv(REPO / "models/stability/training_table.csv.gz")
    ions = pd.read_csv(REPO / "models/stability/ions.csv")
    prot = pd.read_csv(REPO / "models/stability/protonation.csv.gz")
    t_sk = np.array([skeleton(s) for s in t["smiles"]], dtype=object)
    p_sk = np.array([skeleton(s) for s in prot["smiles"]], dtype=object)
    pred = np.full(len(calib), np.nan)
    folds = GroupKFold(n_splits=5).split(calib, groups=calib["skeleton"])
    for k, (_tr, te) in enumerate(folds, 1):
        held = set(calib["skeleton"].iloc[te])
        keep = ~np.isin(t_sk, list(held))
        t0 = time.perf_counter()
        model = StabilityModel().fit(t.loc[keep, ["smiles", "metal", "ionic_strength"]],
                                     t.loc[keep, "logK"].to_numpy(float), ions=ions,
                                     protonation=prot[~np.isin(p_sk, list(held))])
        full = model.predict_full(calib.iloc[te][["smiles", "metal"]])
        pred[te] = full["logK_pred"].to_numpy(float)
        print(f"base fold {k}/5: {len(held)} skeletons held out ({int((~keep).sum())} training "
              f"rows removed), fit {time.perf_counter() - t0:.0f} s", flush=True)
    out = calib[["ligand", "skeleton", "smiles", "metal", "logK_exp"]].copy()
    out["logK_pred_oof"] = pred
    out.to_csv(CACHE, index=False)
    return pred


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from scipy.stats import spearmanr

    e = p - y
    return {"MAE": float(np.mean(np.abs(e))), "RMSE": float(np.sqrt(np.mean(e**2))),
            "Spearman": float(spearmanr(p, y).statistic)}


def fit_predict(X: pd.DataFrame, r: np.ndarray, groups: np.ndarray, tr: np.ndarray,
                te: np.ndarray, features: list[str] | None) -> tuple[np.ndarray, float]:
    """Residual prediction for ``te`` from a model fitted on ``tr`` (alpha by inner CV)."""
    from sklearn.model_selection import GroupKFold

    from chelscreen.model.simcorrect import SimCorrection

    if not features:
        return np.full(len(te), float(np.mean(r[tr]))), float("nan")
    best = (np.inf, ALPHAS[0])
    for a in ALPHAS:
        err = []
        for itr, ite in GroupKFold(n_splits=4).split(X.iloc[tr], groups=groups[tr]):
            m = SimCorrection(features, alpha=a).fit(X.iloc[tr[itr]], r[tr[itr]])
            p = np.nan_to_num(m.predict(X.iloc[tr[ite]]), nan=float(np.mean(r[tr[itr]])))
            err.append(np.abs(p - r[tr[ite]]))
        e = float(np.mean(np.concatenate(err)))
        if e < best[0]:
            best = (e, a)
    m = SimCorrection(features, alpha=best[1]).fit(X.iloc[tr], r[tr])
    return np.nan_to_num(m.predict(X.iloc[te]), nan=float(np.mean(r[tr]))), best[1]


def add_ion_features(df: pd.DataFrame) -> pd.DataFrame:
    from chelscreen.simulate.params import get_ion_parameters

    q = np.array([get_ion_parameters(m).charge for m in df["metal"]], float)
    r6 = np.array([get_ion_parameters(m).radius_for_cn(6) for m in df["metal"]], float)
    return df.assign(ion_charge=q, ion_r6_pm=r6, ion_q2_over_r=q**2 / r6 * 100.0)


def bootstrap_diff(y, pa, pb, groups, n=2000, seed=0) -> tuple[float, float]:
    """95 % interval of MAE(a) - MAE(b), resampling skeletons."""
    rng = np.random.default_rng(seed)
    ug = np.unique(groups)
    idx = {g: np.where(groups == g)[0] for g in ug}
    da, db = np.abs(pa - y), np.abs(pb - y)
    out = []
    for _ in range(n):
        sel = np.concatenate([idx[g] for g in rng.choice(ug, size=len(ug), replace=True)])
        out.append(da[sel].mean() - db[sel].mean())
    return float(np.percentile(out, 2.5)), float(np.percentile(out, 97.5))


def main(argv: list[str] | None = None) -> dict:
    from scipy.stats import spearmanr
    from sklearn.model_selection import GroupKFold

    from chelscreen.model.simcorrect import SimCorrection

    ap = argparse.ArgumentParser()
    ap.add_argument("--retrain", action="store_true", help="ignore the cached base predictions")
    ap.add_argument("--write", action="store_true",
                    help="bundle models/stability/simcorrect.json if the correction helps, "
                         "else remove it")
    args = ap.parse_args(argv)

    calib = pd.read_csv(CALIB)
    n_all = len(calib)
    calib = calib[calib["status"].isin(["ok", "warning"])].reset_index(drop=True)
    if "skeleton" not in calib.columns:
        calib["skeleton"] = [skeleton(s) for s in calib["smiles"]]
    calib = add_ion_features(calib)
    for c in SIM_FEATURES:
        calib[c] = pd.to_numeric(calib[c], errors="coerce")
    y = calib["logK_exp"].to_numpy(float)
    groups = calib["skeleton"].to_numpy()
    base = base_predictions(calib, retrain=args.retrain)
    r = y - base
    print(f"\ncalibration pairs: {len(calib)} simulated of {n_all}; skeletons "
          f"{calib['skeleton'].nunique()}, metals {calib['metal'].nunique()}, log K "
          f"{y.min():.1f}..{y.max():.1f}")
    res: dict = {"n_pairs": int(len(calib)), "n_skeletons": int(calib["skeleton"].nunique()),
                 "n_metals": int(calib["metal"].nunique()),
                 "base_oof": metrics(y, base), "spearman_residual_vs_feature": {}}
    print("Spearman(base residual, feature):")
    for f in SIM_FEATURES + CONTROL_FEATURES:
        v = calib[f].to_numpy(float)
        ok = np.isfinite(v)
        rho = float(spearmanr(v[ok], r[ok]).statistic)
        res["spearman_residual_vs_feature"][f] = rho
        print(f"  {f:24s} {rho:+.3f}")
    models = {"bias (control)": [], "charge/size (control)": CONTROL_FEATURES,
              "simulation": CONTROL_FEATURES + SIM_FEATURES}
    preds = {k: np.full(len(y), np.nan) for k in models}
    alphas: dict[str, list] = {k: [] for k in models}
    for tr, te in GroupKFold(n_splits=5).split(calib, groups=groups):
        for k, feats in models.items():
            p, a = fit_predict(calib, r, groups, tr, te, feats)
            preds[k][te] = base[te] + p
            alphas[k].append(a)
    res["outer"] = {"base": metrics(y, base)}
    print("\nouter GroupKFold(5) by skeleton; residual models tuned in an inner GroupKFold(4):")
    print(f"  {'model':24s} {'MAE':>6s} {'RMSE':>6s} {'Spearman':>8s}")
    print(f"  {'base (plain)':24s} {res['base_oof']['MAE']:6.3f} {res['base_oof']['RMSE']:6.3f} "
          f"{res['base_oof']['Spearman']:8.3f}")
    for k in models:
        m = metrics(y, preds[k])
        res["outer"][k] = {**m, "alphas": alphas[k]}
        print(f"  base + {k:17s} {m['MAE']:6.3f} {m['RMSE']:6.3f} {m['Spearman']:8.3f}")
    ctrl = min(("bias (control)", "charge/size (control)"),
               key=lambda k: res["outer"][k]["MAE"])
    lo, hi = bootstrap_diff(y, preds["simulation"], preds[ctrl], groups)
    res["mae_diff_simulation_minus_best_control_95ci"] = [lo, hi]
    res["best_control"] = ctrl
    sim_mae = res["outer"]["simulation"]["MAE"]
    helps = (sim_mae < res["outer"][ctrl]["MAE"] and sim_mae < res["base_oof"]["MAE"]
             and hi < 0)
    res["helps"] = bool(helps)
    print(f"\nMAE(simulation) - MAE({ctrl}): 95 % bootstrap interval over skeletons "
          f"[{lo:+.3f}, {hi:+.3f}]")
    verdict = ("the simulation features lower held-out error beyond the controls: correction "
               "bundled" if helps else
               "the simulation features do NOT lower held-out error beyond the controls: "
               "no correction is bundled")
    res["verdict"] = verdict
    print("verdict:", verdict)
    res["command"] = "OMP_NUM_THREADS=1 nice -n 10 python benchmarks/ablate_simulation.py --write"
    if args.write:
        if helps:
            _, a = fit_predict(calib, r, groups, np.arange(len(y)), np.arange(0),
                               models["simulation"])
            final = SimCorrection(models["simulation"], alpha=a).fit(calib, r)
            final.save(OUT_JSON, ablation={k: res[k] for k in
                                           ("outer", "base_oof", "n_pairs", "n_skeletons",
                                            "command")})
            print(f"wrote {OUT_JSON}")
        elif OUT_JSON.exists():
            OUT_JSON.unlink()
            print(f"removed {OUT_JSON} (correction does not help)")
    RESULT_JSON.write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {RESULT_JSON}")
    return res


if __name__ == "__main__":
    main()
