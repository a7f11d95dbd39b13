"""Leave-one-chelating-core-out validation of chelscreen's labeling answer; prints the figures.

Usage::

    python benchmarks/validate_labeling.py                 # print figures (markdown)
    python benchmarks/validate_labeling.py --write         # also write
        # molecules/labeling_validation.json and the AUTO block of molecules/LABELING_CARD.md

Protocol (``chelscreen.radiolabeling.validate``): every chelating core (InChIKey first block of
the neutral metal-free core) is held out in turn with all its rows; on the remaining rows the
model's feature set and regularisation are chosen by grouped 5-fold CV (inner loop), the model
is fitted, and the held-out rows are predicted three ways: the model alone, the tool's answer
(analogue evidence with the model as prior, else the model) and a precedent-only baseline
(analogue evidence with the training base rate as prior, else the base rate). AUC and Brier
are weighted by the rows' label weights. The suggested temperature is compared with the
published one for every successful row, its core hidden. CPU time and the load average are
printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- AUTO:BEGIN -->", "<!-- AUTO:END -->"


def _f(x: float, nd: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def run() -> tuple[dict, str]:
    """Run the validation; return the JSON summary and the markdown block."""
    from chelscreen.radiolabeling import (
        MIN_INNER_AUC,
        UNINFORMED_PROB,
        coverage,
        fitted_model,
        skill_weight,
        validate,
    )

    t0 = time.process_time()
    v = validate()
    cpu = time.process_time() - t0
    model = fitted_model()
    summary = {k: v[k] for k in (
        "loco_auc", "brier", "n", "n_rows", "n_training_rows", "n_positive", "n_cores",
        "n_chelators", "model_auc", "model_brier", "baseline_auc", "baseline_brier",
        "loco_auc_unweighted", "baseline_auc_unweighted", "loco_auc_trainrate_fallback",
        "baseline_auc_trainrate_fallback", "baseline_auc_fingerprint_only", "n_informed", "loco_auc_informed", "n_folds",
        "n_folds_model_used", "temperature_mae_C",
        "temperature_n", "temperature_n_total", "temperature_class_accuracy",
        "calibration", "feature_sets_chosen")}
    summary.update({
        "protocol": "leave one chelating core (InChIKey first block) out; feature set, C and "
                    "class balancing chosen by grouped 5-fold CV on the training cores only; "
                    "the model is used only if that inner AUC >= MIN_INNER_AUC; an "
                    "'insufficient' answer is scored UNINFORMED_PROB",
        "min_inner_auc": MIN_INNER_AUC, "uninformed_prob": UNINFORMED_PROB,
        "final_feature_set": model.feature_set_, "final_features": list(model.features),
        "final_C": model.C, "final_balanced": model.balanced,
        "final_inner_auc": model.inner_auc_, "final_model_used": model.skilful_,
        "coefficients": model.coefficients,
        "command": "python benchmarks/validate_labeling.py --write",
    })
    cov = coverage()
    lines = [
        f"- table rows: {v['n_rows']}; labeled rows: {v['n_training_rows']} ({v['n_positive']} "
        f"mild positives) over {v['n_cores']} chelating cores; rows scored held out: {v['n']}",
        "",
        "| answer (core held out) | AUC (weighted) | AUC (unweighted) | Brier (weighted) |",
        "|---|---|---|---|",
        f"| tool: analogue evidence (model prior), else model if it passed its inner check, "
        f"else insufficient | {_f(v['loco_auc'])} | {_f(v['loco_auc_unweighted'])} | "
        f"{_f(v['brier'], 3)} |",
        f"| model alone (no gate) | {_f(v['model_auc'])} | – | {_f(v['model_brier'], 3)} |",
        f"| precedent-only baseline (analogue evidence, else uninformed) | "
        f"{_f(v['baseline_auc'])} | {_f(v['baseline_auc_unweighted'])} | "
        f"{_f(v['baseline_brier'], 3)} |",
        f"| precedent-only baseline, close cores by fingerprint similarity only (no "
        f"skeleton containment) | {_f(v['baseline_auc_fingerprint_only'])} | – | – |",
        "",
        f"- 'insufficient' answers are scored {UNINFORMED_PROB:g} (the tool prints NaN). With "
        f"the older scoring (training cores' base rate) the tool reads "
        f"{_f(v['loco_auc_trainrate_fallback'])} and the baseline "
        f"{_f(v['baseline_auc_trainrate_fallback'])}: that rate is highest exactly when a core "
        f"full of failures is held out, which ranks those failures first.",
        f"- tool on the {v['n_informed']} held-out rows it answered with evidence or the model: "
        f"AUC {_f(v['loco_auc_informed'])}",
        f"- model used (inner grouped-CV AUC >= {MIN_INNER_AUC:g}) in {v['n_folds_model_used']}"
        f" of {v['n_folds']} outer folds",
        f"- suggested temperature, core held out: MAE {_f(v['temperature_mae_C'], 1)} °C over "
        f"{v['temperature_n']} of {v['temperature_n_total']} successful rows (the others got no "
        f"suggestion); mild/heated class right for {_f(v['temperature_class_accuracy'])} of them",
        "- feature sets chosen in the inner loop (count of outer folds): "
        + ", ".join(f"{k} {n}" for k, n in sorted(v["feature_sets_chosen"].items())),
        f"- model fitted on all rows (chosen by grouped CV on all rows): "
        f"`{model.feature_set_}`, C = {model.C:g}, class-balanced {model.balanced}; inner AUC "
        f"{_f(model.inner_auc_)} -> "
        + (f"passes the inner check; the model alone on held-out cores: AUC "
           f"{_f(v['model_auc'])}, so labeling() "
           + (f"pulls its probability toward 0.5 by the skill {skill_weight(v['model_auc']):.2f}"
              if skill_weight(v['model_auc']) > 0 else
              "**does not use it** (at chance: pairs without evidence are 'insufficient', and "
              "precedents get the uninformed prior 0.5)")
           if model.skilful_ else
           f"**not used** by labeling() (below {MIN_INNER_AUC:g}: pairs without evidence are "
           "'insufficient')")
        + "; coefficients (standardised): "
        + ", ".join(f"{k} {c:+.2f}" for k, c in model.coefficients.items()),
        "",
        "Calibration of the tool's held-out probability (weighted):",
        "",
        "| predicted bin | rows | mean predicted | observed mild fraction |",
        "|---|---|---|---|",
    ]
    for c in v["calibration"]:
        lines.append(f"| {c['bin']} | {c['n']} | {c['mean_pred']:.2f} | {c['observed']:.2f} |")
    lines += ["", "| radionuclide | rows | chelators | mild positives | labeled rows |",
              "|---|---|---|---|---|"]
    for r in cov.itertuples(index=False):
        lines.append(f"| {r.radionuclide} | {r.rows} | {r.chelators} | {r.mild_positive} | "
                     f"{r.training_rows} |")
    lines += ["", f"CPU time {cpu:.1f} s; load average {os.getloadavg()[0]:.2f}.",
              "", "Command: `python benchmarks/validate_labeling.py --write`"]
    summary["cpu_s"] = round(cpu, 1)
    return summary, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="write molecules/labeling_validation.json and the card's AUTO block")
    args = parser.parse_args(argv)
    summary, block = run()
    print(block)
    if args.write:
        from chelscreen.radiolabeling import write_model_choice

        write_model_choice()  # the selection of fitted_model(), recorded with the table's hash
        out = ROOT / "molecules" / "labeling_validation.json"
        out.write_text(json.dumps(summary, indent=2, default=float) + "\n", encoding="utf-8")
        card = ROOT / "molecules" / "LABELING_CARD.md"
        text = card.read_text(encoding="utf-8")
        if BEGIN not in text or END not in text:
            print(f"{card} has no {BEGIN} ... {END} block", file=sys.stderr)
            return 1
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        card.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
