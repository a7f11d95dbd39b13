"""How many published head-to-head stability outcomes does the ranking reproduce?

Reads ``models/validation/ranking_outcomes.csv`` (pairs of chelators with the same radionuclide,
the published winner and the quoted evidence), scores both chelators of every pair with
:func:`chelscreen.screen` and counts the pairs whose order is reproduced (concordance). Ties in
the outcome (``better == "tie"``) are listed but not counted; a pair whose chelator has no
SMILES in the table and is not in the bundled library, or whose radionuclide is not supported,
is reported as skipped.

Usage::

    python benchmarks/validate_ranking.py [--score retention_score|score] [--csv OUT.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def _resolve(name: str, smiles: str) -> str | None:
    from chelscreen.io import library_lookup

    if isinstance(smiles, str) and smiles.strip():
        return smiles.strip()
    hit = library_lookup(name)
    return None if hit is None else str(hit["smiles"])


def evaluate(table: pd.DataFrame, score: str = "retention_score") -> pd.DataFrame:
    """One row per validation pair with both scores and whether the order is reproduced."""
    from chelscreen.errors import ChelscreenError
    from chelscreen.screening import screen

    rows = []
    for nuc, grp in table.groupby("radionuclide", sort=False):
        ligs: dict[str, str] = {}
        for r in grp.itertuples():
            for name, smi in ((r.chelator_a, r.smiles_a), (r.chelator_b, r.smiles_b)):
                s = _resolve(name, smi)
                if s is not None:
                    ligs[name] = s
        scores: dict[str, float] = {}
        err = ""
        if ligs:
            inp = pd.DataFrame({"name": list(ligs), "smiles": list(ligs.values())})
            try:
                res = screen(inp, [nuc], out=None, progress=False)
                scores = dict(zip(res["chelator"], res[score]))
            except (ChelscreenError, ValueError) as exc:
                err = str(exc).splitlines()[0]
        for r in grp.itertuples():
            sa, sb = scores.get(r.chelator_a), scores.get(r.chelator_b)
            if err:
                status = f"skipped: {err}"
            elif sa is None or sb is None or pd.isna(sa) or pd.isna(sb):
                missing = [n for n, s in ((r.chelator_a, sa), (r.chelator_b, sb))
                           if s is None or pd.isna(s)]
                status = f"skipped: no structure/score for {', '.join(missing)}"
            elif r.better == "tie":
                status = "tie (not counted)"
            else:
                pred = "a" if sa > sb else ("b" if sb > sa else "tie")
                status = "concordant" if pred == r.better else (
                    "tied prediction" if pred == "tie" else "discordant")
            rows.append({"id": r.id, "radionuclide": nuc, "a": r.chelator_a, "b": r.chelator_b,
                         "published_better": r.better, f"{score}_a": sa, f"{score}_b": sb,
                         "result": status})
    return pd.DataFrame(rows).sort_values("id").reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default=str(REPO / "models" / "validation" /
                                           "ranking_outcomes.csv"))
    ap.add_argument("--score", default="retention_score",
                    choices=["retention_score", "score", "thermo_score", "inertness"])
    ap.add_argument("--csv", default=None, help="also write the per-pair table here")
    args = ap.parse_args(argv)
    table = pd.read_csv(args.table, dtype=str, keep_default_na=False)
    res = evaluate(table, args.score)
    pd.set_option("display.width", 160)
    print(res.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    counted = res[res["result"].isin(["concordant", "discordant", "tied prediction"])]
    n_ok = int((counted["result"] == "concordant").sum())
    n_tie = int((counted["result"] == "tied prediction").sum())
    n = len(counted)
    conc = (n_ok + 0.5 * n_tie) / n if n else float("nan")
    print(f"\n{args.score}: {n_ok} of {n} published orderings reproduced"
          f" ({n_tie} tied predictions count ½): concordance {conc:.2f};"
          f" {int(res['result'].str.startswith('skipped').sum())} skipped,"
          f" {int((res['result'] == 'tie (not counted)').sum())} published ties")
    if args.csv:
        res.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
