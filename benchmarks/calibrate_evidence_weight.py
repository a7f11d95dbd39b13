"""How many published outcomes is the model's retention estimate worth? (issue 11, evidence)

Where retention evidence exists for a pair, ``chelscreen.rank`` combines it with the model
estimate ``sqrt(thermo × inertness)``, the model counting as
``rank.EVIDENCE_PRIOR_WEIGHT`` (1) study of ±1 logit. This script measures that weight instead
of assuming it: for every chelating core and element of ``molecules/retention_evidence.csv``
the pair is screened **without that core's evidence** (``rank.override(exclude_keys=…)``: its
rows removed and the structural coefficients recalibrated without them), the model's
retention draws are taken with the evidence term switched off, and each study's pooled
outcome (:func:`chelscreen.rank.study_pool`, rows of one DOI) is compared with the draws'
mean in logit space. With one study worth ±1 logit (the unit of the evidence weight,
``rank.study_pool``),

    E[(logit(study) − model)²] = model error² + 1,

so the model is worth ``1 / (E[r²] − 1)`` studies (each core counts once, its studies by
assay weight). The bias (mean residual) is reported too: it is part of the error. The ±1 logit
of one study is checked on the same table: the pooled sd of study means around their group
mean, over the core–element groups with ≥ 2 studies, is printed beside it (and the weight
that this measured sd would give).

    python benchmarks/calibrate_evidence_weight.py [--write benchmarks/results/evidence_weight.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", default=None, help="write the figures here (JSON)")
    args = ap.parse_args(argv)
    from chelscreen.errors import ChelscreenError
    from chelscreen.rank import (
        EVIDENCE_PRIOR_WEIGHT,
        _logit,
        override,
        retention_evidence,
        sample_scores,
    )
    from chelscreen.screening import screen

    logging.disable(logging.WARNING)
    c0, t0 = time.process_time(), time.perf_counter()
    tab = retention_evidence()
    rows, skipped = [], []
    for (key, el), g in tab.groupby(["key", "element"], sort=True):
        smi, nuc, name = (str(g["chelator_smiles"].iloc[0]), str(g["radionuclide"].iloc[0]),
                          str(g["chelator"].iloc[0]))
        try:
            with override(exclude_keys={key}):
                res = screen(pd.DataFrame({"name": [name], "smiles": [smi]}), [nuc], out=None,
                             progress=False, report=False)
        except (ChelscreenError, ValueError) as exc:
            skipped.append(f"{name} {nuc}: {str(exc).splitlines()[0][:80]}")
            continue
        res = res[res["score"].notna()]
        if not len(res):
            skipped.append(f"{name} {nuc}: not scored")
            continue
        model = res.iloc[[0]].copy()
        model["evidence_weight"] = 0.0  # the model's own retention draws
        draws = _logit(np.clip(sample_scores(model)["retention"][0], 1e-4, 1 - 1e-4))
        mu, var = float(draws.mean()), float(draws.var())
        ids = [str(d).split(";")[0].strip().lower() or f"row {i}"
               for i, d in enumerate(g["doi"])]
        g = g.assign(study=ids)
        n_st = g["study"].nunique()
        for sid, s in g.groupby("study", sort=False):
            w = s["weight"].to_numpy(float)
            m = float((w * s["value_num"].to_numpy(float)).sum() / w.sum())
            rows.append({"key": key, "element": el, "chelator": name, "study": sid,
                         "weight": float(w.max()) / n_st, "value": m, "model_mu": mu,
                         "model_var": var,
                         "resid": float(_logit(np.clip(m, 0.02, 0.98))) - mu})
    df = pd.DataFrame(rows)
    # the noise of one study, measured: pooled sd of the study means within their groups
    lg = _logit(np.clip(df["value"].to_numpy(float), 0.02, 0.98))
    grp = df.groupby(["key", "element"]).ngroup().to_numpy()
    dev = lg - pd.Series(lg).groupby(grp).transform("mean").to_numpy()
    dof = int((pd.Series(grp).value_counts() - 1).sum())
    sd_study = float(np.sqrt((dev ** 2).sum() / dof)) if dof else float("nan")
    n_multi = int((pd.Series(grp).value_counts() > 1).sum())
    # every core counts once (its element groups share it, as in the calibration)
    per_core = df.groupby("key")["weight"].transform("sum")
    w = (df["weight"] / per_core).to_numpy(float)
    r = df["resid"].to_numpy(float)
    ms = float((w * r ** 2).sum() / w.sum())
    bias = float((w * r).sum() / w.sum())
    err2 = ms - 1.0
    weight = 1.0 / err2 if err2 > 0 else float("inf")
    boot = []
    rng = np.random.default_rng(20261205)
    cores = df["key"].unique()
    for _ in range(500):  # cores resampled (grouped bootstrap)
        pick = rng.choice(cores, size=len(cores), replace=True)
        sel = np.concatenate([np.flatnonzero(df["key"].to_numpy() == k) for k in pick])
        ms_b = float((w[sel] * r[sel] ** 2).sum() / w[sel].sum())
        boot.append(1.0 / (ms_b - 1.0) if ms_b > 1.0 else np.inf)
    lo, hi = np.quantile(boot, [0.05, 0.95])
    load = os.getloadavg()[0]
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(f"{len(df)} studies, {df['key'].nunique()} cores, {df.groupby(['key', 'element']).ngroups}"
          f" core-element groups scored; {len(skipped)} groups not scorable")
    for s in skipped:
        print(f"  skipped: {s}")
    print(f"residual logit(study) − model (each core once): mean {bias:+.2f}, "
          f"RMS {np.sqrt(ms):.2f}; model draws' own sd (mean) "
          f"{np.sqrt((w * df['model_var']).sum() / w.sum()):.2f}")
    w_meas = (1.0 / sd_study ** 2) / (ms - sd_study ** 2) if ms > sd_study ** 2 else np.inf
    print(f"one study: pooled between-study sd {sd_study:.2f} logit ({n_multi} groups with ≥ 2 "
          f"studies, {dof} dof; the evidence weight assumes 1.00); with it the model is worth "
          f"{w_meas:.2f} studies")
    print(f"model worth {weight:.2f} studies (90 % grouped bootstrap {lo:.2f}–{hi:.2f}); "
          f"the ranking uses EVIDENCE_PRIOR_WEIGHT = {EVIDENCE_PRIOR_WEIGHT:g}")
    print(f"CPU {cpu:.1f} s, wall {wall:.1f} s, load average {load:.2f}")
    if args.write:
        Path(args.write).write_text(json.dumps({
            "command": "python benchmarks/calibrate_evidence_weight.py --write " + args.write,
            "studies": int(len(df)), "cores": int(df["key"].nunique()),
            "skipped": skipped, "residual_mean": round(bias, 3),
            "residual_rms": round(float(np.sqrt(ms)), 3), "model_weight": round(weight, 3),
            "model_weight_90": [round(float(lo), 3), round(float(hi), 3)],
            "study_sd_logit": round(sd_study, 3), "study_sd_groups": n_multi,
            "model_weight_with_measured_study_sd": round(float(w_meas), 3),
            "evidence_prior_weight_used": EVIDENCE_PRIOR_WEIGHT, "cpu_s": round(cpu, 1),
            "load_average": round(load, 2)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
