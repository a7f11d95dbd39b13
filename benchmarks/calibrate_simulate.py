"""Does the OpenMM simulation carry information about stability? Measure it.

Calibration set: chelator-metal pairs with experimental log K1 from the stability model's
training table (``models/stability/training_table.csv.gz``: NIST SRD 46 + SATCMF; the median
over ionic strengths/measurements per pair), for DOTA, DTPA, EDTA, NOTA, TETA, 18-crown-6 and
[2.2.2]cryptand with Ln3+, Y3+, Bi3+, Pb2+, alkaline earths, Cu2+, Ga3+, In3+, plus macropa with
La3+/Lu3+ (log K 14.99 / 8.25, Thiele et al., Angew. Chem. Int. Ed. 2017, 56, 14712, values as
quoted in issue 5 - not re-read here; macropa is not in the training table).

Prints: Spearman rho of every simulation feature with log K (and within-ligand rho averaged over
ligands, which removes the ligand identity), the selectivity checks, and a grouped-CV ablation
(GroupKFold by ligand, gradient boosting on simple ligand + ion descriptors with and without the
simulation features). Writes ``benchmarks/results/sim_features_calibration.csv``.

Run (about 6-10 min on one core): ``nice -n 10 python benchmarks/calibrate_simulate.py``
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"

LIGANDS = {
    # name: (regex on ligand_name in the training table, metals)
    "DOTA": (r"\(DOTA\)$", ["La3+", "Gd3+", "Lu3+", "Y3+", "Ca2+", "Sr2+", "Ba2+", "Mg2+",
                            "Cu2+", "Ga3+", "In3+", "Pb2+", "Zn2+"]),
    "DTPA": (r"\(DTPA\)$", ["La3+", "Lu3+", "Y3+", "Bi3+", "Ca2+", "Ba2+", "Cu2+", "Ga3+",
                            "Pb2+"]),
    "EDTA": (r"\(EDTA\)$", ["La3+", "Lu3+", "Y3+", "Bi3+", "In3+", "Ca2+", "Ba2+", "Sr2+",
                            "Mg2+", "Cu2+", "Pb2+", "Ra2+"]),
    "NOTA": (r"\(NOTA\)$", ["Ga3+", "In3+", "Cu2+", "Ca2+", "Mg2+", "Sr2+"]),
    "TETA": (r"\(TETA\)$", ["La3+", "Y3+", "Cu2+", "Pb2+", "Ca2+", "Ba2+"]),
    "18-crown-6": (r"\(18-Crown-6\)", ["Ba2+", "Ca2+", "Sr2+", "Pb2+", "Mg2+"]),
    "cryptand-222": (r"\(\[2\.2\.2\]cryptand\)", ["Ba2+", "Sr2+", "Ca2+", "Pb2+", "La3+"]),
}
MACROPA_SMILES = "O=C(O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1"
MACROPA = [("La3+", 14.99), ("Lu3+", 8.25)]
MACROPA_SOURCE = "Thiele et al. 2017 (values as quoted in issue 5)"
FEATURES = ["cn_initial", "cn_mean", "cn_min", "donors_retained_frac", "md_dist_mean_A",
            "md_dist_dev_A", "strain_kJ_mol", "binding_energy_kJ_mol", "strain_per_donor_kJ_mol"]


def calibration_pairs() -> pd.DataFrame:
    tt = pd.read_csv(REPO / "models" / "stability" / "training_table.csv.gz")
    rows = []
    for lig, (pat, metals) in LIGANDS.items():
        sub = tt[tt["ligand_name"].astype(str).str.contains(pat, regex=True)]
        for m in metals:
            s = sub[sub["metal"] == m]
            if s.empty:
                continue
            rows.append({"ligand": lig, "smiles": s["smiles"].iloc[0], "metal": m,
                         "logK_exp": float(s["logK"].median()),
                         "logK_source": "training_table (" + ";".join(
                             sorted(set(s["source"].astype(str)))) + ")"})
    for m, k in MACROPA:
        rows.append({"ligand": "macropa", "smiles": MACROPA_SMILES, "metal": m, "logK_exp": k,
                     "logK_source": MACROPA_SOURCE})
    return pd.DataFrame(rows)


def simulate_all(pairs: pd.DataFrame, protocol: str, cache_dir: Path,
                 lj_set: str = "hfe") -> pd.DataFrame:
    from chelscreen.simulate import simulate_pair

    out = []
    t0 = time.perf_counter()
    for n, r in enumerate(pairs.itertuples(index=False), 1):
        try:
            res = simulate_pair(r.smiles, r.metal, protocol, cache_dir=cache_dir, name=r.ligand,
                                lj_set=lj_set)
        except Exception as exc:  # noqa: BLE001 - report and go on
            res = {"status": "error", "message": str(exc)}
        out.append({**r._asdict(), **{k: res.get(k) for k in
                    [*FEATURES[:-1], "dissociation_work_kJ_mol", "wall_s", "ns_per_day",
                     "ion_params_source", "status", "message", "cached"]}})
        print(f"[{n}/{len(pairs)}] {r.ligand:13s} {r.metal:5s} logK {r.logK_exp:6.2f} "
              f"cn_mean {res.get('cn_mean', float('nan')):5.2f} "
              f"strain {res.get('strain_kJ_mol', float('nan')):8.1f} "
              f"wall {res.get('wall_s', float('nan')):5.1f}s {res.get('status')}"
              f"{' (cached)' if res.get('cached') else ''}", flush=True)
    print(f"simulated {len(pairs)} pairs in {time.perf_counter() - t0:.0f} s", flush=True)
    df = pd.DataFrame(out)
    df["strain_per_donor_kJ_mol"] = df["strain_kJ_mol"] / df["cn_initial"].clip(lower=1)
    return df


def descriptors(df: pd.DataFrame) -> pd.DataFrame:
    """Simple ligand + ion descriptors for the ablation (no simulation)."""
    from rdkit import Chem

    from chelscreen.chem.donors import perceive_donors
    from chelscreen.simulate.params import get_ion_parameters

    rows = []
    for r in df.itertuples(index=False):
        mol = Chem.MolFromSmiles(r.smiles)
        donors = perceive_donors(mol)
        ion = get_ion_parameters(r.metal)
        ri = mol.GetRingInfo()
        rows.append({
            "ion_charge": ion.charge,
            "ion_r6_pm": ion.radius_for_cn(6),
            "n_donor_N": sum(d.element == "N" for d in donors),
            "n_donor_O": sum(d.element == "O" for d in donors),
            "n_anionic": sum(bool(getattr(d, "anionic", False)) for d in donors),
            "max_ring": max((len(x) for x in ri.AtomRings()), default=0),
        })
    return pd.DataFrame(rows, index=df.index)


def ablation(df: pd.DataFrame) -> None:
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.metrics import mean_absolute_error, r2_score
    from sklearn.model_selection import GroupKFold

    ok = df[df["status"].isin(["ok", "warning"])].copy()
    base = descriptors(ok)
    sim = ok[FEATURES].astype(float)
    y = ok["logK_exp"].to_numpy()
    groups = ok["ligand"].to_numpy()
    n_groups = len(set(groups))
    for label, X in (("ligand+ion descriptors", base),
                     ("descriptors + simulation features", pd.concat([base, sim], axis=1)),
                     ("simulation features only + ion", pd.concat(
                         [base[["ion_charge", "ion_r6_pm"]], sim], axis=1))):
        pred = np.zeros_like(y)
        for tr, te in GroupKFold(n_splits=n_groups).split(X, y, groups):
            m = GradientBoostingRegressor(n_estimators=200, max_depth=2, learning_rate=0.05,
                                          subsample=0.8, random_state=0)
            m.fit(X.iloc[tr].fillna(-1), y[tr])
            pred[te] = m.predict(X.iloc[te].fillna(-1))
        print(f"  {label:38s} MAE {mean_absolute_error(y, pred):5.2f}  "
              f"R2 {r2_score(y, pred):6.3f}  (leave-one-ligand-out, {n_groups} ligands, "
              f"{len(y)} pairs)")


def report(df: pd.DataFrame) -> None:
    from scipy.stats import spearmanr  # scipy ships with scikit-learn

    ok = df[df["status"].isin(["ok", "warning"])]
    print(f"\npairs: {len(df)} ({len(ok)} simulated), ligands: {df['ligand'].nunique()}, "
          f"log K span {df['logK_exp'].min():.2f}..{df['logK_exp'].max():.2f} "
          f"({df['logK_exp'].max() - df['logK_exp'].min():.1f} log units)")
    print("\nSpearman rho with log K (all pairs | mean within-ligand rho over ligands with >= 4 "
          "pairs | mean rho within ligand AND ion charge, groups >= 4 pairs):")
    for f in FEATURES:
        x = ok[f].astype(float)
        rho, p = spearmanr(x, ok["logK_exp"], nan_policy="omit")
        within = []
        for _, g in ok.groupby("ligand"):
            if len(g) >= 4 and g[f].astype(float).nunique() > 1:
                within.append(spearmanr(g[f].astype(float), g["logK_exp"]).statistic)
        w = np.nanmean(within) if within else float("nan")
        within_q = []
        charge = ok["metal"].str.extract(r"(\d)\+", expand=False)
        for _, g in ok.groupby([ok["ligand"], charge]):
            if len(g) >= 4 and g[f].astype(float).nunique() > 1:
                within_q.append(spearmanr(g[f].astype(float), g["logK_exp"]).statistic)
        wq = np.nanmean(within_q) if within_q else float("nan")
        print(f"  {f:26s} rho {rho:6.3f} (p {p:.3g}) | within-ligand {w:6.3f} | "
              f"within ligand+charge {wq:6.3f} ({len(within_q)} groups)")

    def val(lig: str, metal: str, col: str) -> float:
        s = ok[(ok["ligand"] == lig) & (ok["metal"] == metal)]
        return float(s[col].iloc[0]) if len(s) else float("nan")

    print("\nSelectivity checks (experiment: first ion binds more strongly).")
    print("  A feature 'reproduces' a selectivity when it orders the pair like log K")
    print("  (higher cn_mean/retained, lower strain, more negative binding energy for the "
          "stronger complex):")
    checks = [("macropa", "La3+", "Lu3+"), ("DOTA", "Lu3+", "La3+"),
              ("18-crown-6", "Ba2+", "Ca2+")]
    for lig, strong, weak in checks:
        parts = []
        for f, sign in (("cn_mean", 1), ("donors_retained_frac", 1), ("strain_kJ_mol", -1),
                        ("strain_per_donor_kJ_mol", -1), ("binding_energy_kJ_mol", -1)):
            a, b = val(lig, strong, f), val(lig, weak, f)
            if np.isnan(a) or np.isnan(b):
                verdict = "n/a"
            elif a == b:
                verdict = "tie (missed)"
            else:
                verdict = "reproduced" if sign * (a - b) > 0 else "MISSED"
            parts.append(f"{f} {a:.2f} vs {b:.2f}: {verdict}")
        print(f"  {lig} {strong} > {weak}: " + "; ".join(parts))
    print("\nGrouped-CV ablation (GradientBoosting):")
    ablation(df)


def _num(v: object) -> float:
    return float("nan") if v is None else float(v)


SELECTIVITY = [("macropa", "La3+", "Lu3+"), ("DOTA", "Lu3+", "La3+"),
               ("18-crown-6", "Ba2+", "Ca2+")]


def selectivity_only(pairs: pd.DataFrame, protocol: str, cache_dir: Path, lj_set: str) -> None:
    """Run only the selectivity pairs (e.g. with the slow explicit-water protocol)."""
    want = {(lig, m) for lig, s, w in SELECTIVITY for m in (s, w)}
    sub = pairs[[(r.ligand, r.metal) in want for r in pairs.itertuples()]]
    from chelscreen.simulate import simulate_pair

    res = {}
    for r in sub.itertuples(index=False):
        out = simulate_pair(r.smiles, r.metal, protocol, cache_dir=cache_dir, name=r.ligand,
                            lj_set=lj_set)
        res[(r.ligand, r.metal)] = out
        print(f"{r.ligand:11s} {r.metal:5s} logK {r.logK_exp:6.2f} cn_mean {out['cn_mean']:5.2f} "
              f"retained {out['donors_retained_frac']:4.2f} waters<=3A "
              f"{_num(out.get('solvent_access')):4.2f} strain "
              f"{out['strain_kJ_mol']:7.1f} work {_num(out.get('dissociation_work_kJ_mol')):7.1f} "
              f"wall {out['wall_s']:6.1f}s ns/day {out['ns_per_day']:5.1f}", flush=True)
    print(f"\nSelectivity ({protocol}, lj_set={lj_set}); stronger complex should have higher CN,"
          " fewer waters at the metal, higher pulling work:")
    for lig, strong, weak in SELECTIVITY:
        a, b = res[(lig, strong)], res[(lig, weak)]
        parts = []
        for f, sign in (("cn_mean", 1), ("solvent_access", -1),
                        ("dissociation_work_kJ_mol", 1), ("strain_kJ_mol", -1)):
            x, y = a.get(f), b.get(f)
            if x is None or y is None:
                continue
            verdict = "tie (missed)" if x == y else (
                "reproduced" if sign * (x - y) > 0 else "MISSED")
            parts.append(f"{f} {x:.2f} vs {y:.2f}: {verdict}")
        print(f"  {lig} {strong} > {weak}: " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", default="fast", choices=["fast", "standard", "explicit"])
    ap.add_argument("--selectivity-only", action="store_true",
                    help="only the 6 selectivity pairs (use with --protocol explicit/standard)")
    ap.add_argument("--cache-dir", default="/tmp/chelscreen_sim_cache")
    ap.add_argument("--lj-set", default="hfe", choices=["hfe", "iod"])
    ap.add_argument("--out", default=None,
                    help="default: benchmarks/results/sim_features_calibration[_iod].csv")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pairs = calibration_pairs()
    if args.selectivity_only:
        selectivity_only(pairs, args.protocol, Path(args.cache_dir), args.lj_set)
        return 0
    df = simulate_all(pairs, args.protocol, Path(args.cache_dir), args.lj_set)
    df["lj_set"] = args.lj_set
    if args.out is None:
        suffix = "" if args.lj_set == "hfe" else f"_{args.lj_set}"
        args.out = str(RESULTS / f"sim_features_calibration{suffix}.csv")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print(f"wrote {args.out}")
    report(df)
    return 0


if __name__ == "__main__":
    sys.exit(main())
