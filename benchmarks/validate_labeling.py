"""Leave-one-chelator-out validation of the radiolabeling model; prints the card's figures.

Usage::

    python benchmarks/validate_labeling.py            # print figures (markdown)
    python benchmarks/validate_labeling.py --card molecules/LABELING_CARD.md
        # also replace the block between the AUTO markers of the card

Figures: AUC, Brier score and accuracy of the mild-labeling classifier with every chelator held
out in turn (weighted by the training weights of the rows), the same AUC for every candidate
feature set of ``chelscreen.radiolabeling.FEATURE_SETS`` (the set in use was chosen on it, so its figure
is optimistic), the AUC without the DOTA fold (diagnostic), the mean absolute error of the
suggested temperature for the successful rows (their chelator held out), the coefficients of the
model fitted on all rows and the coverage per radionuclide.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BEGIN, END = "<!-- AUTO:BEGIN -->", "<!-- AUTO:END -->"


def figures_markdown() -> str:
    """Run the validation and return the figures as a markdown block."""
    import numpy as np

    from chelscreen.radiolabeling import (
        SELECTED_FEATURE_SET,
        compare_feature_sets,
        coverage,
        validate,
    )

    v = validate()
    cov = coverage()
    sets = compare_feature_sets()
    pred = v["predictions"]
    keep = (pred["chelator"] != "DOTA").to_numpy()
    y, w, p = (pred["mild_label"].to_numpy(float), pred["label_weight"].to_numpy(float),
               pred["loco_prob"].to_numpy(float))
    ok = keep & np.isfinite(p)
    from sklearn.metrics import roc_auc_score

    auc_no_dota = (roc_auc_score(y[ok], p[ok], sample_weight=w[ok])
                   if len(set(y[ok].tolist())) == 2 else float("nan"))
    lines = [
        f"- table rows: {v['n_rows']}; rows used for training: {v['n_training_rows']} "
        f"({v['n_positive']} mild positives); chelators: {v['n_chelators']}",
        f"- features in use: `{SELECTED_FEATURE_SET}` = {', '.join(v['features'])}",
        f"- leave-one-chelator-out AUC (weighted): {v['auc']:.2f}; unweighted on the room-"
        f"temperature rows only: {v['auc_direct_rows']:.2f}; without the DOTA fold (diagnostic): "
        f"{auc_no_dota:.2f}",
        f"- leave-one-chelator-out Brier score (weighted): {v['brier']:.3f}",
        f"- leave-one-chelator-out accuracy at p = 0.5 (weighted): {v['accuracy']:.2f}",
        f"- suggested temperature, chelator held out: MAE {v['temperature_mae_C']:.1f} °C over "
        f"{v['temperature_n']} of {v['temperature_n_total']} successful rows (the others got "
        "no suggestion: no precedent left for that element)",
        "- coefficients of the model fitted on all rows (standardised features): "
        + ", ".join(f"{k} {c:+.2f}" for k, c in v["coefficients"].items()),
        "",
        "Candidate feature sets, same leave-one-chelator-out protocol (the set in use is the one "
        "with the highest weighted AUC, i.e. chosen on this CV: optimistic):",
        "",
        "| feature set | features | AUC | AUC (RT rows) | Brier | accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for r in sets.itertuples(index=False):
        mark = " (in use)" if r.selected else ""
        lines.append(f"| {r.feature_set}{mark} | {r.features} | {r.auc:.2f} | "
                     f"{r.auc_direct_rows:.2f} | {r.brier:.3f} | {r.accuracy:.2f} |")
    lines += [
        "",
        "| radionuclide | rows | chelators | mild positives | training rows |",
        "|---|---|---|---|---|",
    ]
    for r in cov.itertuples(index=False):
        lines.append(f"| {r.radionuclide} | {r.rows} | {r.chelators} | {r.mild_positive} | "
                     f"{r.training_rows} |")
    lines += ["", "Per-row held-out predictions:", "",
              "| id | chelator | radionuclide | T °C | time min | yield % | label | weight | "
              "p (held out) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in v["predictions"].itertuples(index=False):
        lines.append(f"| {r.id} | {r.chelator} | {r.radionuclide} | {r.temperature_C:g} | "
                     f"{r.time_min:g} | {r.rcy_percent:g} | {int(r.mild_label)} | "
                     f"{r.label_weight:g} | {r.loco_prob:.2f} |")
    lines += ["", "Command: `python benchmarks/validate_labeling.py "
              "--card molecules/LABELING_CARD.md`"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--card", type=Path, default=None,
                        help="card file whose AUTO block is replaced with the figures")
    args = parser.parse_args(argv)
    block = figures_markdown()
    print(block)
    if args.card is not None:
        text = args.card.read_text(encoding="utf-8")
        if BEGIN not in text or END not in text:
            print(f"{args.card} has no {BEGIN} ... {END} block", file=sys.stderr)
            return 1
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        args.card.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
