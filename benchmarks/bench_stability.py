"""Grouped-CV accuracy and speed of the stability model (issue 4).

5-fold cross-validation GROUPED BY LIGAND (GroupKFold on the canonical ligand SMILES) over the
committed training table; metrics are computed on the NIST SRD 46 1:1 rows of the held-out folds
(SATCMF rows are used for training only). The baseline is a plain gradient-boosting model on
donor counts, a Morgan count fingerprint and metal descriptors, on the same folds.

Run (about 5–15 min on a busy 2-core machine)::

    nice -n 10 python benchmarks/bench_stability.py [--folds 5] [--write models/stability/validation.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

RADIOMETALS = ["Pb2+", "Bi3+", "La3+", "Lu3+", "Y3+", "Gd3+", "Ga3+", "In3+", "Th4+", "Sc3+",
               "Sr2+", "Ba2+"]
REPO = Path(__file__).resolve().parents[1]


def metrics(y: np.ndarray, p: np.ndarray, metal: np.ndarray, lo=None, hi=None) -> dict:
    from scipy.stats import spearmanr

    e = p - y
    out = {
        "n": int(len(y)),
        "MAE": float(np.mean(np.abs(e))),
        "RMSE": float(np.sqrt(np.mean(e**2))),
        "Spearman": float(spearmanr(p, y).statistic),
        "bias": float(np.mean(e)),
    }
    for thr in (15, 20):
        m = y > thr
        out[f"gt{thr}"] = {"n": int(m.sum()), "MAE": float(np.mean(np.abs(e[m]))),
                           "bias": float(np.mean(e[m]))}
    m = y > 15
    m2 = (y > 15) & (y <= 20)
    out["15to20_bias"] = float(np.mean(e[m2])) if m2.any() else float("nan")
    rm = np.isin(metal, RADIOMETALS)
    out["radiometals"] = {"n": int(rm.sum()), "MAE": float(np.mean(np.abs(e[rm])))}
    out["per_metal_MAE"] = {
        r: {"n": int((metal == r).sum()), "MAE": float(np.mean(np.abs(e[metal == r])))}
        for r in RADIOMETALS if (metal == r).any()
    }
    if lo is not None:
        inside = (y >= lo) & (y <= hi)
        out["coverage90"] = float(np.mean(inside))
        out["coverage90_radiometals"] = float(np.mean(inside[rm]))
        out["mean_interval_halfwidth"] = float(np.mean((hi - lo) / 2))
    del m
    return out


def baseline_features(smiles: list[str], metal: np.ndarray, ions: pd.DataFrame) -> np.ndarray:
    from chelscreen.model import features as F

    lig = F.ligand_feature_frame(list(dict.fromkeys(smiles)))
    cols = [c for c in lig.columns if c.startswith("mc_")] + [
        f"n_{k}" for k in F.DONOR_SMARTS
    ]
    ion = ions.set_index("metal")[F.ION_COLUMNS].astype(float)
    return np.hstack([lig.loc[smiles, cols].to_numpy(float), ion.loc[metal].to_numpy(float)])


def fmt(name: str, m: dict) -> str:
    lines = [
        f"{name}: n={m['n']} MAE={m['MAE']:.3f} RMSE={m['RMSE']:.3f} "
        f"Spearman={m['Spearman']:.3f} bias={m['bias']:+.3f}",
        f"  logK>15: n={m['gt15']['n']} MAE={m['gt15']['MAE']:.3f} bias={m['gt15']['bias']:+.3f}"
        f" (15-20 bias {m['15to20_bias']:+.3f})",
        f"  logK>20: n={m['gt20']['n']} MAE={m['gt20']['MAE']:.3f} bias={m['gt20']['bias']:+.3f}",
        f"  radiometals: n={m['radiometals']['n']} MAE={m['radiometals']['MAE']:.3f}",
        "  per metal MAE: " + ", ".join(
            f"{k} {v['MAE']:.2f} (n={v['n']})" for k, v in m["per_metal_MAE"].items()
        ),
    ]
    if "coverage90" in m:
        lines.append(
            f"  90% interval coverage: {m['coverage90']:.3f} (radiometals "
            f"{m['coverage90_radiometals']:.3f}); mean half-width {m['mean_interval_halfwidth']:.2f}"
        )
    return "\n".join(lines)


def bundled_speed(table: str) -> dict:
    """Prediction speed of the bundled model: featurized pairs/s and SMILES -> prediction."""
    import os

    from threadpoolctl import threadpool_limits

    from chelscreen.model.estimator import Featurized
    from chelscreen.model.features import standardize_smiles
    from chelscreen.model.io import load as load_model

    model = load_model()
    smiles = pd.read_csv(table)["smiles"].drop_duplicates().sample(500, random_state=0).tolist()
    metals4 = ["Cu2+", "Lu3+", "Ac3+", "Bi3+"]
    pairs = pd.DataFrame([(s, m) for s in smiles for m in metals4], columns=["smiles", "metal"])
    res: dict = {"load_average": os.getloadavg()}
    for threads in (1, 2):
        model.n_jobs = threads
        standardize_smiles.cache_clear()
        with threadpool_limits(limits=threads):
            t0 = time.perf_counter()
            model.predict_full(pairs)
            res[f"smiles_to_prediction_pairs_per_s_{threads}t"] = len(pairs) / (
                time.perf_counter() - t0)
            feats = model.featurize(pairs)
            big = Featurized(np.tile(feats.X, (25, 1)), np.tile(feats.smiles, 25),
                             np.tile(feats.metal, 25), np.tile(feats.valid, 25))
            t0 = time.perf_counter()
            model.predict(big)
            res[f"featurized_pairs_per_s_{threads}t"] = len(big.X) / (time.perf_counter() - t0)
        print(f"{threads} thread(s): featurized prediction "
              f"{res[f'featurized_pairs_per_s_{threads}t']:,.0f} pairs/s ({len(big.X):,} pairs); "
              f"SMILES->prediction incl. domain and uncertainty "
              f"{res[f'smiles_to_prediction_pairs_per_s_{threads}t']:,.0f} pairs/s "
              f"({len(pairs)} pairs = 500 ligands x 4 metals)")
    print("load average at start: {:.1f}/{:.1f}/{:.1f}".format(*res["load_average"]))
    return res


def main(argv: list[str] | None = None) -> dict:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import GroupKFold
    from threadpoolctl import threadpool_limits

    from chelscreen.model.estimator import StabilityModel
    from chelscreen.model.features import standardize_smiles

    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default=str(REPO / "models/stability/training_table.csv.gz"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--write", default=None, help="write the metrics as JSON here")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--speed-only", action="store_true",
                    help="only time the bundled model (1 and 2 threads); no cross-validation")
    args = ap.parse_args(argv)
    if args.speed_only:
        return bundled_speed(args.table)

    t = pd.read_csv(args.table)
    ions = pd.read_csv(REPO / "models/stability/ions.csv")
    prot = pd.read_csv(REPO / "models/stability/protonation.csv.gz")
    y = t["logK"].to_numpy(float)
    groups = t["smiles"].to_numpy()
    metal = t["metal"].to_numpy()
    nist = (t["source"] == "NIST_SRD46").to_numpy()
    pred = np.full(len(t), np.nan)
    lo = np.full(len(t), np.nan)
    hi = np.full(len(t), np.nan)
    base = np.full(len(t), np.nan)
    fit_times = []
    Xb = None if args.no_baseline else baseline_features(list(groups), metal, ions)
    X = t[["smiles", "metal", "ionic_strength"]]
    for k, (tr, te) in enumerate(GroupKFold(args.folds).split(X, y, groups)):
        # protonation constants of held-out ligands must not leak into the basicity sub-model
        held = set(groups[te])
        prot_tr = prot[~prot["smiles"].isin(held)]
        t0 = time.perf_counter()
        model = StabilityModel().fit(X.iloc[tr], y[tr], ions=ions, protonation=prot_tr)
        fit_times.append(time.perf_counter() - t0)
        full = model.predict_full(X.iloc[te])
        pred[te] = full["logK_pred"].to_numpy()
        lo[te] = full["logK_lo90"].to_numpy()
        hi[te] = full["logK_hi90"].to_numpy()
        if Xb is not None:
            with threadpool_limits(1, user_api="openmp"):
                b = HistGradientBoostingRegressor(random_state=0).fit(Xb[tr], y[tr])
                base[te] = b.predict(Xb[te])
        print(f"fold {k + 1}/{args.folds}: fit {fit_times[-1]:.1f} s", flush=True)

    res: dict = {"folds": args.folds, "grouping": "canonical ligand SMILES (GroupKFold)",
                 "evaluated_rows": "NIST SRD 46 1:1 rows of held-out folds"}
    res["model"] = metrics(y[nist], pred[nist], metal[nist], lo[nist], hi[nist])
    print(fmt("StabilityModel (grouped CV)", res["model"]))
    if Xb is not None:
        res["baseline"] = metrics(y[nist], base[nist], metal[nist])
        print(fmt("Baseline GBM (donor counts + Morgan + metal descriptors)", res["baseline"]))
    # per-metal coverage of the rare metals
    res["mean_fold_fit_s"] = float(np.mean(fit_times))

    # ---- speed
    lig = pd.Series(groups).drop_duplicates().sample(500, random_state=0).tolist()
    metals4 = ["Cu2+", "Lu3+", "Ac3+", "Bi3+"]
    pairs = pd.DataFrame([(s, m) for s in lig for m in metals4], columns=["smiles", "metal"])
    t0 = time.perf_counter()
    _ = model.predict_full(pairs)
    dt = time.perf_counter() - t0
    res["smiles_to_prediction_pairs_per_s"] = len(pairs) / dt
    feats = model.featurize(pairs)
    from chelscreen.model.estimator import Featurized

    big = Featurized(np.tile(feats.X, (25, 1)), np.tile(feats.smiles, 25),
                     np.tile(feats.metal, 25), np.tile(feats.valid, 25))
    t0 = time.perf_counter()
    model.predict(big)
    dt2 = time.perf_counter() - t0
    res["featurized_pairs_per_s"] = len(big.X) / dt2
    t0 = time.perf_counter()
    [standardize_smiles(s) for s in lig]
    res["standardize_ligands_per_s"] = len(lig) / (time.perf_counter() - t0)
    print(f"speed: featurized prediction {res['featurized_pairs_per_s']:,.0f} pairs/s "
          f"({len(big.X):,} pairs); SMILES->prediction incl. domain and uncertainty "
          f"{res['smiles_to_prediction_pairs_per_s']:,.0f} pairs/s ({len(pairs)} pairs = "
          f"500 ligands x 4 metals, 1 thread)")
    print(f"training time per fold (80% of the table, incl. calibration): "
          f"{res['mean_fold_fit_s']:.1f} s mean")
    if args.write:
        Path(args.write).write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
