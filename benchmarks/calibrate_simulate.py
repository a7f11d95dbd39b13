"""Calibration set for the OpenMM features: >= 500 metal-chelator pairs with measured log K.

Pairs come from the stability model's training table (``models/stability/training_table.csv.gz``:
NIST SRD 46 + SATCMF). Rule, fixed before any simulation was run (no look at the residuals):

1. metals: every ion with simulation parameters (``chelscreen.simulate.params``);
2. ligands: one molecule (no salts), 6-34 heavy atoms, a chelating unit of >= 3 donors
   (:func:`chelscreen.chem.donors.chelating_unit`), >= 4 such metals measured;
3. ligands ranked by (number of radiometal/analogue ions measured, number of ions measured), the
   first ``--n-ligands`` kept; per ligand at most ``--max-metals`` ions, radiometals and their
   analogues first (``PRIORITY``), then the most frequently measured ions;
4. ``logK_exp`` = the median over the table's ionic-strength buckets of that pair (the table is
   already one row per pair and bucket); ``skeleton`` = first InChIKey block of the neutral
   ligand, the grouping key of every validation.

Each pair is simulated once with the fast protocol (seed 42, 4 build conformers) through
:func:`chelscreen.simulate.simulate_pair` with a cache, so the job is resumable: re-running
skips finished pairs. The feature table (with versions and the git commit) is rewritten every
25 pairs to ``benchmarks/results/sim_features_calibration.csv``.

Run (one process, ~30-60 min on one core)::

    OMP_NUM_THREADS=1 nohup nice -n 10 python benchmarks/calibrate_simulate.py \\
        > benchmarks/results/sim_calibration.log 2>&1 &

``--list`` prints the selection and exits; ``--limit N`` simulates only the first N pairs
(for timing).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
OUT = RESULTS / "sim_features_calibration.csv"
CACHE = RESULTS / ".chelscreen-cache" / "simulate"
# radiometals of interest and their usual chemical analogues (ordered by priority)
PRIORITY = ["Ac3+", "Bi3+", "Pb2+", "Ra2+", "Ba2+", "La3+", "Lu3+", "Y3+", "Sc3+", "Ga3+",
            "In3+", "Th4+", "Zr4+", "Cu2+", "Am3+", "Cm3+", "Gd3+", "Tb3+", "Ho3+", "Sr2+"]
FEATURES = ["cn_initial", "cn_mean", "cn_min", "donors_retained_frac", "md_dist_mean_A",
            "md_dist_ideal_A", "md_dist_dev_A", "strain_kJ_mol", "binding_energy_kJ_mol"]
KEEP = [*FEATURES, "build_s", "relax_s", "md_s", "strain_s", "wall_s", "ns_per_day", "platform",
        "ion_params_source", "status", "message", "cached"]


def skeleton(smiles: str) -> str:
    """First InChIKey block of the neutral, metal-free ligand (the grouping key)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    key = Chem.MolToInchiKey(mol) if mol is not None else ""
    return key.split("-")[0] if key else smiles


def select_pairs(n_ligands: int = 64, max_metals: int = 9) -> pd.DataFrame:
    """The calibration pairs (see the module docstring for the rule)."""
    from rdkit import Chem

    from chelscreen.chem.donors import chelating_unit
    from chelscreen.simulate.params import registry

    ions = set(registry().symbols())
    tt = pd.read_csv(REPO / "models" / "stability" / "training_table.csv.gz")
    tt = tt[tt["metal"].isin(ions) & tt["logK"].notna()]
    freq = tt["metal"].value_counts()
    cands = []
    for smi, g in tt.groupby("smiles", sort=False):
        metals = set(g["metal"])
        if len(metals) < 4:
            continue
        mol = Chem.MolFromSmiles(smi)
        if mol is None or len(Chem.GetMolFrags(mol)) > 1 or not 6 <= mol.GetNumHeavyAtoms() <= 34:
            continue
        if chelating_unit(mol).n_donors < 3:
            continue
        n_rad = len(metals & set(PRIORITY))
        cands.append((n_rad, len(metals), smi))
    cands.sort(key=lambda x: (-x[0], -x[1], x[2]))
    rank = {m: i for i, m in enumerate(PRIORITY)}
    rows = []
    for _, _, smi in cands[:n_ligands]:
        g = tt[tt["smiles"] == smi]
        metals = sorted(set(g["metal"]), key=lambda m: (rank.get(m, 99), -freq[m], m))
        name = str(g["ligand_name"].dropna().iloc[0]) if g["ligand_name"].notna().any() else ""
        for m in metals[:max_metals]:
            s = g[g["metal"] == m]
            rows.append({"ligand": name.split(";")[0][:60], "smiles": smi,
                         "skeleton": skeleton(smi), "metal": m,
                         "logK_exp": float(s["logK"].median()),
                         "n_buckets": int(len(s)),
                         "logK_source": ";".join(sorted(set(s["source"].astype(str))))})
    return pd.DataFrame(rows)


def provenance() -> dict[str, str]:
    from chelscreen.simulate.cache import versions

    v = versions()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = ""
    return {f"{k}_version": val for k, val in v.items()} | {"git_commit": commit}


def simulate_all(pairs: pd.DataFrame, cache_dir: Path, out: Path) -> pd.DataFrame:
    from chelscreen.simulate import simulate_pair

    prov = provenance()
    rows = []
    t0 = time.perf_counter()
    for n, r in enumerate(pairs.itertuples(index=False), 1):
        ts = time.perf_counter()
        try:
            res = simulate_pair(r.smiles, r.metal, "fast", cache_dir=cache_dir, name=r.ligand)
        except Exception as exc:  # noqa: BLE001 - record and go on
            res = {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
        rows.append({**r._asdict(), **{k: res.get(k) for k in KEEP}, **prov})
        print(f"[{n}/{len(pairs)}] {r.ligand[:28]:28s} {r.metal:5s} logK {r.logK_exp:6.2f} "
              f"cn {res.get('cn_mean', np.nan) or np.nan:5.2f} strain "
              f"{res.get('strain_kJ_mol', np.nan) or np.nan:7.1f} "
              f"{time.perf_counter() - ts:5.1f}s {res.get('status')}"
              f"{' (cached)' if res.get('cached') else ''}", flush=True)
        if n % 25 == 0 or n == len(pairs):
            pd.DataFrame(rows).to_csv(out, index=False)
    print(f"{len(pairs)} pairs in {time.perf_counter() - t0:.0f} s wall", flush=True)
    return pd.DataFrame(rows)


def summary(df: pd.DataFrame) -> None:
    ok = df[df["status"].isin(["ok", "warning"])]
    print(f"\npairs {len(df)} (simulated {len(ok)}), ligands {df['smiles'].nunique()}, "
          f"skeletons {df['skeleton'].nunique()}, metals {df['metal'].nunique()}: "
          + ", ".join(f"{m} {n}" for m, n in df["metal"].value_counts().items()))
    if len(ok):
        print("per-pair wall s: median {:.1f}, p90 {:.1f}; strain kJ/mol median {:.0f}, max {:.0f}"
              .format(ok["wall_s"].median(), ok["wall_s"].quantile(0.9),
                      ok["strain_kJ_mol"].median(), ok["strain_kJ_mol"].max()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-ligands", type=int, default=64)
    ap.add_argument("--max-metals", type=int, default=9)
    ap.add_argument("--limit", type=int, default=None, help="only the first N pairs (timing)")
    ap.add_argument("--list", action="store_true", help="print the selection and exit")
    ap.add_argument("--cache-dir", default=str(CACHE))
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pairs = select_pairs(args.n_ligands, args.max_metals)
    if args.list:
        summary(pairs.assign(status="listed"))
        print(pairs.groupby("ligand", sort=False)["metal"].agg(", ".join).to_string())
        return 0
    if args.limit:
        pairs = pairs.iloc[: args.limit]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    df = simulate_all(pairs, Path(args.cache_dir), Path(args.out))
    summary(df)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
