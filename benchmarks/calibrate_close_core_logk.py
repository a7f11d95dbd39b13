"""How far apart are the measured log K of two *close cores* with the same metal?

A close core (:func:`chelscreen.rank.close_core`: one chelator is a substructure of the other
with the same donor set — a backbone substituent or a bifunctional handle on one skeleton,
e.g. 1B4M-DTPA / DTPA, HBED-CC / HBED) is used by the ranking as analogue evidence. This script
measures, on the training table (NIST + literature rows; SATCMF left out), the differences
``log K(a, M) − log K(b, M)`` over every close-core pair (a, b) measured with the same metal
M at the same ionic-strength bucket, and prints their RMS and quantiles: the spread a
close-core value carries when it stands in for a ligand's own constant.

    python benchmarks/calibrate_close_core_logk.py [--write benchmarks/results/close_core_logk.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chelscreen.rank import _element_counts, close_core


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", default="models/stability/training_table.csv.gz")
    ap.add_argument("--write", default=None)
    args = ap.parse_args()
    t0 = time.process_time()
    t = pd.read_csv(args.table, low_memory=False)
    t = t[t["source"].isin(["NIST_SRD46", "literature"])]
    per = t.groupby(["smiles", "metal", "I_bucket"])["logK"].median().reset_index()
    ligands = sorted(per["smiles"].unique())
    counts = {s: _element_counts(s) for s in ligands}
    by_nosp: dict[tuple, list[str]] = {}
    for s, c in counts.items():
        by_nosp.setdefault(c[1:], []).append(s)
    pairs = []
    # close cores need the smaller's N/O/S/P counts <= the larger's; candidates are scanned
    # within count vectors that dominate, with the cheap checks of close_core first
    keys = list(by_nosp)
    for ka in keys:
        for kb in keys:
            if not all(x <= y for x, y in zip(ka, kb)):
                continue
            for a in by_nosp[ka]:
                for b in by_nosp[kb]:
                    if a >= b and ka == kb:
                        continue
                    if counts[a][0] > counts[b][0] or counts[a][0] < 0.5 * counts[b][0]:
                        continue
                    if close_core(a, b):
                        pairs.append((a, b))

    diffs = []
    rows = []
    idx = per.groupby("smiles")
    groups = {s: g for s, g in idx}
    for a, b in pairs:
        ga, gb = groups[a], groups[b]
        common = ga.merge(gb, on=["metal", "I_bucket"], suffixes=("_a", "_b"))
        for r in common.itertuples():
            diffs.append(r.logK_a - r.logK_b)
            rows.append((a, b, r.metal, r.I_bucket, r.logK_a, r.logK_b))
    d = np.asarray(diffs)
    res = {
        "close_core_ligand_pairs": len(pairs),
        "same_metal_comparisons": int(len(d)),
        "rms_logK_difference": float(np.sqrt(np.mean(d ** 2))) if len(d) else None,
        "median_abs_difference": float(np.median(np.abs(d))) if len(d) else None,
        "q90_abs_difference": float(np.quantile(np.abs(d), 0.9)) if len(d) else None,
        "cpu_s": round(time.process_time() - t0, 1),
        "load_average": os.getloadavg()[0],
        "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "table": args.table,
    }
    print(json.dumps(res, indent=2))
    ex = pd.DataFrame(rows, columns=["a", "b", "metal", "I", "logK_a", "logK_b"])
    if len(ex):
        ex["diff"] = ex.logK_a - ex.logK_b
        print(ex.reindex(ex["diff"].abs().sort_values(ascending=False).index).head(8)
              .to_string(index=False, max_colwidth=45))
    if args.write:
        Path(args.write).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
