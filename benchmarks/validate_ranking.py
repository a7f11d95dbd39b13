"""Does the ranking reproduce published head-to-head outcomes and established practice?

Two separate checks, both printed by one run:

1. **Head-to-head concordance** on ``models/validation/ranking_outcomes.csv`` (two chelators,
   one radionuclide, one assay, the published winner with a quote). Both chelators of every
   row are scored with :func:`chelscreen.screen` and the share of published orderings the
   chosen score reproduces is the concordance (a tied prediction counts ½; published ties are
   listed, not counted). The outcomes are retention read-outs (serum/in vivo stability,
   challenges, acid dissociation), which labeling and the daughter term do not measure, so
   the score compared is ``retention_score`` by default (``--score``); the total ``score``
   is printed beside it from the same screens (:func:`other_score`). Four protocols, side by
   side:

   * ``loco`` — leave-one-chelator-out for everything fitted on the evidence table: the
     retention evidence of *both* chelators of the row (their cores, every radionuclide) is
     removed, and the structural-inertness coefficients are re-calibrated without them. This
     is the honest figure for a chelator the tool has no evidence about.
   * ``study_out`` — the tool with its evidence, minus every evidence row from the outcome's
     own study (same DOI): evidence from other studies may be used.
   * ``shipped`` — the tool as installed (evidence of the same study may be in the table, so
     this figure is not independent; shown for completeness).
   * ``baseline`` — a plain rule in the same run: the higher log K wins (measured constant
     when there is one, else the model's prediction), nothing else.

2. **Established practice** per radionuclide on ``models/validation/established_practice.csv``
   (clinical/preclinical chelator of each radionuclide, cited): the bundled library (plus the
   established chelator when the library lacks it) is screened for the radionuclide and the
   table shows the established chelator's rank, whether it is indistinguishable from the top
   pick (``tied_with``), its ``p_best``, and the rank it gets under ``loco`` (its own evidence
   removed). ``agrees`` = rank 1 or indistinguishable from rank 1. This check ranks by the
   total ``score`` whatever ``--score`` is: the question is the one a user asks the screen,
   which chelator to use, labeling and daughters included.

The figures are written to ``benchmarks/results/validate_ranking.json`` (``--json``), with
the command, the commit and the load, so that the README rows can be checked against a file.
The head-to-head table is also broken down by assay class (acid dissociation, serum/plasma,
in vivo, challenge, buffer: keywords of the outcome's assay text) for the ``loco`` protocol
and the baseline, to show which read-outs the score and log K get right.

Usage::

    python benchmarks/validate_ranking.py [--score retention_score|score] [--csv OUT.csv]
                                          [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
VALIDATION = REPO / "models" / "validation"
RESULTS = REPO / "benchmarks" / "results" / "validate_ranking.json"
#: assay class of a head-to-head outcome from keywords of its assay text (first match wins)
ASSAY_CLASSES = (
    ("acid dissociation", ("acid", "decomplexation")),
    ("in vivo", ("in vivo", "liver", "bone", "femur", "biodistribution", "mice", "rat",
                 "excretion", "pet", "pharmacokinetics")),
    ("challenge", ("challenge", "transchelation", "transmetallation", "competition", "sod")),
    ("serum/plasma", ("serum", "plasma")),
    ("buffer", ("pbs", "buffer", "nacl", "saline")),
)
PROTOCOLS = ("loco", "study_out", "shipped", "baseline")


def _resolve(name: str, smiles: str) -> str | None:
    from chelscreen.io import library_lookup

    if isinstance(smiles, str) and smiles.strip():
        return smiles.strip()
    hit = library_lookup(name)
    return None if hit is None else str(hit["smiles"])


#: the score a head-to-head outcome is compared on by default: the outcomes are retention
#: read-outs (serum/in vivo stability, challenges, acid dissociation), which
#: ``retention_score`` is about; ``score`` adds the daughter and labeling terms a user
#: chooses by, which none of these assays measures
DEFAULT_SCORE = "retention_score"


def other_score(score: str) -> str:
    """The second score printed beside the compared one on every head-to-head row (same
    screens): the total ``score`` beside ``retention_score``, else ``retention_score``."""
    return "score" if score == DEFAULT_SCORE else DEFAULT_SCORE


def _screen(ligs: dict[str, str], nuclide: str, score: str) -> tuple[dict, dict, str]:
    """Scores (``score`` and :func:`other_score` as ``(a, b)`` tuples) and log K by chelator
    name (or an error text)."""
    from chelscreen.errors import ChelscreenError
    from chelscreen.screening import screen

    inp = pd.DataFrame({"name": list(ligs), "smiles": list(ligs.values())})
    try:
        res = screen(inp, [nuclide], out=None, progress=False, report=False)
    except (ChelscreenError, ValueError) as exc:
        return {}, {}, str(exc).splitlines()[0]
    return (dict(zip(res["chelator"], zip(res[score], res[other_score(score)]))),
            dict(zip(res["chelator"], res["logK_used"])), "")


def _verdict(sa, sb, better: str) -> str:
    if sa is None or sb is None or pd.isna(sa) or pd.isna(sb):
        return "skipped"
    if better == "tie":
        return "published tie"
    pred = "a" if sa > sb else ("b" if sb > sa else "tie")
    return "concordant" if pred == better else ("tied prediction" if pred == "tie"
                                                else "discordant")


def head_to_head(table: pd.DataFrame, score: str = DEFAULT_SCORE) -> pd.DataFrame:
    """One row per outcome with the verdict of every protocol on ``score`` (columns named by
    the protocol; the verdict on :func:`other_score` in ``<protocol>_<other score>``)."""
    from chelscreen.rank import ligand_key, override, retention_evidence

    second = other_score(score)

    evidence = retention_evidence()
    rows = []
    for r in table.itertuples():
        sa_smi, sb_smi = _resolve(r.chelator_a, r.smiles_a), _resolve(r.chelator_b, r.smiles_b)
        row = {"id": r.id, "radionuclide": r.radionuclide, "a": r.chelator_a,
               "b": r.chelator_b, "published_better": r.better,
               "assay_class": assay_class(getattr(r, "assay", ""))}
        if sa_smi is None or sb_smi is None:
            missing = [n for n, s in ((r.chelator_a, sa_smi), (r.chelator_b, sb_smi)) if not s]
            for p in PROTOCOLS:
                row[p] = f"skipped: no structure for {', '.join(missing)}"
            rows.append(row)
            continue
        ligs = {r.chelator_a: sa_smi, r.chelator_b: sb_smi}
        keys = {ligand_key(sa_smi), ligand_key(sb_smi)} - {""}
        with override(exclude_keys=keys):
            s_loco, _, err = _screen(ligs, r.radionuclide, score)
        own = str(r.doi or "").strip().lower()
        ev_other = evidence[evidence["doi"].str.strip().str.lower() != own] if own else evidence
        with override(evidence_table=ev_other):
            s_study, _, err2 = _screen(ligs, r.radionuclide, score)
        s_ship, logk, err3 = _screen(ligs, r.radionuclide, score)
        for p, sc, e in (("loco", s_loco, err), ("study_out", s_study, err2),
                         ("shipped", s_ship, err3), ("baseline", logk, err3)):
            if e:
                row[p] = row[f"{p}_{second}"] = f"skipped: {e}"
                continue
            a, b = sc.get(r.chelator_a), sc.get(r.chelator_b)
            if p == "baseline":
                row[p] = _verdict(a, b, r.better)
                row[f"{p}_a"], row[f"{p}_b"] = a, b
                continue
            a, b = (a or (None, None)), (b or (None, None))
            row[p] = _verdict(a[0], b[0], r.better)
            row[f"{p}_a"], row[f"{p}_b"] = a[0], b[0]
            row[f"{p}_{second}"] = _verdict(a[1], b[1], r.better)
        rows.append(row)
    return pd.DataFrame(rows)


def concordance(res: pd.DataFrame, protocol: str) -> tuple[float, int, int, int]:
    col = res[protocol].astype(str)
    counted = col.isin(["concordant", "discordant", "tied prediction"])
    n = int(counted.sum())
    ok = int((col == "concordant").sum())
    tie = int((col == "tied prediction").sum())
    conc = (ok + 0.5 * tie) / n if n else float("nan")
    return conc, ok, n, tie


def assay_class(text: str) -> str:
    """Coarse class of a head-to-head outcome's assay text (:data:`ASSAY_CLASSES`)."""
    import re

    low = str(text).lower()
    for name, words in ASSAY_CLASSES:
        if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words):
            return name
    return "other"


def by_assay(res: pd.DataFrame, protocols: tuple[str, ...] = ("loco", "baseline")
             ) -> pd.DataFrame:
    """Concordance of each protocol per assay class (rows with a verdict in every protocol)."""
    rows = []
    for cls, g in res.groupby("assay_class", sort=True):
        row = {"assay_class": cls}
        for p in protocols:
            conc, ok, n, tie = concordance(g, p)
            row[p] = round(conc, 2) if n else float("nan")
            row[f"n_{p}"] = n
        rows.append(row)
    return pd.DataFrame(rows)


def _top(res: pd.DataFrame) -> pd.Series:
    """The first-ranked chelator (a conjugate sharing its core's rank is not a pick)."""
    from chelscreen.reporting import chelator_rows

    ranked = chelator_rows(res)
    ranked = ranked[ranked["rank"].notna()]
    return ranked.sort_values("rank", kind="stable").iloc[0]


def established(table: pd.DataFrame) -> pd.DataFrame:
    """Rank of each established chelator in a screen of the bundled library (``rank``: by
    the total ``score``, the screen's own order)."""
    from chelscreen._resources import molecules_dir
    from chelscreen.io import read_ligands
    from chelscreen.rank import ligand_key, override
    from chelscreen.screening import screen

    lib = read_ligands(molecules_dir() / "chelators.csv")
    lib = lib[["name", "smiles"]].dropna()
    lib_keys = {ligand_key(s): n for n, s in zip(lib["name"], lib["smiles"])}
    rows = []
    done = set()
    for r in table.itertuples():
        nuc, chel, smi = r.radionuclide, str(r.chelator), str(r.smiles or "").strip()
        if (nuc, chel) in done:
            continue
        done.add((nuc, chel))
        out = {"radionuclide": nuc, "established": chel, "status": r.status}
        if not smi:
            smi = _resolve(chel, "") or ""
        if not smi and not chel.lower().startswith("none"):
            out.update(rank="–", agrees="skipped: no structure for the established chelator")
            rows.append(out)
            continue
        if not smi:
            res = screen(lib, [nuc], out=None, progress=False, report=False)
            top = _top(res)
            out.update(rank="–", n=int(res["rank"].notna().sum()), top_pick=top["chelator"],
                       agrees="n/a (no chelator established)",
                       note=f"top pick has {int(top['evidence_n'])} evidence row(s) for the "
                            "element; " + ("indistinguishable from: " + top["tied_with"]
                                           if top["tied_with"] else "distinguishable"))
            rows.append(out)
            continue
        key = ligand_key(smi)
        name = lib_keys.get(key)
        ligs = lib.copy()
        if name is None:
            name = chel
            ligs = pd.concat([ligs, pd.DataFrame({"name": [chel], "smiles": [smi]})],
                             ignore_index=True)
        res = screen(ligs, [nuc], out=None, progress=False, report=False)
        with override(exclude_keys={key}):
            res_loco = screen(ligs, [nuc], out=None, progress=False, report=False)
        mine = res[res["chelator"] == name].iloc[0]
        top = _top(res)
        tied_top = name in str(top["tied_with"]).split("; ")
        rk = int(mine["rank"])
        rk_loco = int(res_loco[res_loco["chelator"] == name]["rank"].iloc[0])
        out.update(rank=rk, n=int(res["rank"].notna().sum()), rank_loco=rk_loco,
                   p_best=float(mine["p_best"]), top_pick=top["chelator"],
                   top3="yes" if rk <= 3 else "no",  # ranks count chelating cores
                   agrees="yes" if (rk == 1 or tied_top) else "no",
                   evidence_n=int(mine["evidence_n"]))
        rows.append(out)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default=str(VALIDATION / "ranking_outcomes.csv"))
    ap.add_argument("--established", default=str(VALIDATION / "established_practice.csv"))
    ap.add_argument("--score", default=DEFAULT_SCORE,
                    choices=["retention_score", "score", "score_mean", "thermo_score",
                             "inertness"],
                    help="score the head-to-head outcomes are compared on (default "
                         "%(default)s: what the retention assays measure); the practice "
                         "check ranks by the total score in every case"),
    ap.add_argument("--csv", default=None, help="also write the per-outcome table here")
    ap.add_argument("--json", default=str(RESULTS),
                    help="write the figures here ('' for none; default %(default)s)")
    ap.add_argument("--prior-only", action="store_true",
                    help="structural inertness from the physical prior coefficients, no "
                         "calibration on the evidence table (the comparison for the calibration)")
    args = ap.parse_args(argv)
    from chelscreen.rank import INERTNESS_PRIOR, override

    with override(coefficients=INERTNESS_PRIOR if args.prior_only else None):
        return run(args)


def run(args: argparse.Namespace) -> int:
    t0, c0 = time.perf_counter(), time.process_time()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 40)
    table = pd.read_csv(args.table, dtype=str, keep_default_na=False)
    res = head_to_head(table, args.score)
    show = ["id", "radionuclide", "a", "b", "published_better", *PROTOCOLS]
    second = other_score(args.score)
    print(f"== head-to-head outcomes ({len(table)} rows, {table['radionuclide'].nunique()} "
          f"radionuclides), compared on {args.score} ({second} beside it)")
    print(res[show].to_string(index=False))
    print()
    figures: dict = {"command": " ".join(["python benchmarks/validate_ranking.py", *(
        sys.argv[1:] if __name__ == "__main__" else [])]), "score": args.score,
        "prior_only": bool(args.prior_only), "commit": _commit(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_outcomes": int(len(table)), "head_to_head": {}}
    for p in PROTOCOLS:
        conc, ok, n, tie = concordance(res, p)
        skipped = int(res[p].astype(str).str.startswith("skipped").sum())
        label = {"loco": "leave-one-chelator-out (no evidence of either chelator, "
                         "recalibrated)",
                 "study_out": "evidence from other studies only",
                 "shipped": "as shipped (same-study evidence may be used: not independent)",
                 "baseline": "baseline: higher log K wins"}[p]
        print(f"{p:>9}: concordance {conc:.2f} ({ok} of {n} reproduced, {tie} tied "
              f"predictions count ½; {skipped} skipped) — {label}")
        figures["head_to_head"][p] = {"concordance": round(conc, 4), "reproduced": ok,
                                      "counted": n, "tied_predictions": tie,
                                      "skipped": skipped}
        if p != "baseline":
            conc2, ok2, n2, tie2 = concordance(res, f"{p}_{second}")
            figures["head_to_head"][f"{p}_{second}"] = {
                "concordance": round(conc2, 4), "reproduced": ok2, "counted": n2,
                "tied_predictions": tie2}
            what = ("the total score, labeling and daughters included (not what the "
                    "outcomes measure)" if second == "score" else
                    "the retention term alone, what the outcomes measure")
            print(f"{'':>9}  {second}: concordance {conc2:.2f} ({ok2} of {n2}, {tie2} "
                  f"tied) — {what}")
    per_assay = by_assay(res)
    print(f"\nper assay class (leave-one-chelator-out {args.score} vs the log K baseline):")
    print(per_assay.to_string(index=False))
    figures["head_to_head_by_assay"] = per_assay.to_dict("records")
    if args.csv:
        res.to_csv(args.csv, index=False)
    est_path = Path(args.established)
    if est_path.exists():
        est = established(pd.read_csv(est_path, dtype=str, keep_default_na=False))
        print(f"\n== established practice ({est_path.name}): bundled library screened per "
              "radionuclide")
        print(est.to_string(index=False))
        judged = est[est["agrees"].isin(["yes", "no"])]
        both = (judged["agrees"] == "yes") & (judged["top3"] == "yes")
        figures["established"] = {
            "ranked_by": "score", "judged": int(len(judged)), "agrees": int((judged["agrees"] == "yes").sum()),
            "top3": int((judged["top3"] == "yes").sum()), "both": int(both.sum()),
            "entries": [{k: (v if not isinstance(v, float) or v == v else None)
                         for k, v in r.items() if k in ("radionuclide", "established",
                                                         "status", "rank", "rank_loco",
                                                         "p_best", "top_pick", "agrees",
                                                         "evidence_n")}
                        for r in est.to_dict("records")]}
        print(f"agreement: {int((judged['agrees'] == 'yes').sum())} of {len(judged)} "
              "established chelators ranked first or indistinguishable from the first; "
              f"{int((judged['top3'] == 'yes').sum())} of {len(judged)} in the top 3; "
              f"{int(both.sum())} of {len(judged)} both")
    else:
        print(f"\n(no {est_path.name}: established-practice check not run)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(f"\nCPU {cpu:.1f} s, wall {wall:.1f} s, load average {load:.2f}")
    figures.update(cpu_s=round(cpu, 1), wall_s=round(wall, 1), load_average=round(load, 2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str) + "\n")
        print(f"figures written to {args.json}")
    return 0


def _commit() -> str:
    """The checked-out commit (with '+dirty' for local changes), '' outside a git tree."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, text=True, capture_output=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
