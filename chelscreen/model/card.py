"""Train the bundled stability model and write its model card (``CARD.md`` + ``card.json``).

Build step (not used at prediction time)::

    nice -n 10 python -m chelscreen.model.card --table models/stability/training_table.csv.gz \\
        --validation models/stability/validation.json --out models/stability

``validation.json`` is written by ``benchmarks/bench_stability.py --write``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

FEW_ROWS = 20
SOURCE_LABEL = {
    "NIST_SRD46": "NIST SRD 46 v8.0 (doi:10.18434/M32154)",
    "SATCMF": "SATCMF dataset (MIT)",
    "CMI_IUPAC_v2": "CMI LOGKPREDICT IUPAC_v2 (MIT; IUPAC-derived)",
    "user": "user training data",
}


def known_pairs_table(table: pd.DataFrame) -> pd.DataFrame:
    """One measured value per (ligand, metal): NIST first, then the bucket nearest I = 0.1 M."""
    t = table.copy()
    if "source" not in t:
        t["source"] = "user"
    if "ionic_strength" not in t:
        t["ionic_strength"] = np.nan
    t["src_rank"] = (t["source"] != "NIST_SRD46").astype(int)
    t["i_rank"] = (t["ionic_strength"].fillna(0.1) - 0.1).abs()
    t = t.sort_values(["smiles", "metal", "src_rank", "i_rank"], kind="stable")
    first = t.drop_duplicates(["smiles", "metal"])
    src = []
    for row in first.itertuples(index=False):
        label = SOURCE_LABEL.get(row.source, str(row.source))
        ion = "" if not np.isfinite(row.ionic_strength) else f"I={row.ionic_strength:g} M"
        ids = str(getattr(row, "source_id", "") or "")
        ids = ids if len(ids) <= 80 else ids[:77] + "..."
        src.append("; ".join(p for p in (label, ion, ids) if p))
    return pd.DataFrame(
        {"smiles": first["smiles"].to_numpy(), "metal": first["metal"].to_numpy(),
         "logK": first["logK"].to_numpy(), "source": src}
    )


def _fmt_metrics(m: dict) -> list[str]:
    return [
        f"| overall (n={m['n']}) | MAE {m['MAE']:.2f} | RMSE {m['RMSE']:.2f} | "
        f"Spearman {m['Spearman']:.3f} | bias {m['bias']:+.2f} |",
        f"| log K > 15 (n={m['gt15']['n']}) | MAE {m['gt15']['MAE']:.2f} | | | "
        f"bias {m['gt15']['bias']:+.2f} |",
        f"| log K > 20 (n={m['gt20']['n']}) | MAE {m['gt20']['MAE']:.2f} | | | "
        f"bias {m['gt20']['bias']:+.2f} |",
        f"| radiometals (n={m['radiometals']['n']}) | MAE {m['radiometals']['MAE']:.2f} | | | |",
    ]


def target_check(m: dict) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for the project's accuracy targets."""
    g15 = m["gt15"]
    return [
        ("MAE <= 1.0", f"{m['MAE']:.3f}", m["MAE"] <= 1.0),
        ("RMSE <= 1.6", f"{m['RMSE']:.3f}", m["RMSE"] <= 1.6),
        ("Spearman >= 0.94", f"{m['Spearman']:.3f}", m["Spearman"] >= 0.94),
        ("log K > 15: abs(bias) <= 0.5", f"{g15['bias']:+.3f}", abs(g15["bias"]) <= 0.5),
        ("log K > 15: MAE <= 1.6", f"{g15['MAE']:.3f}", g15["MAE"] <= 1.6),
        ("radiometals MAE <= 1.2", f"{m['radiometals']['MAE']:.3f}",
         m["radiometals"]["MAE"] <= 1.2),
        ("90 % coverage 0.85-0.95", f"{m['coverage90']:.3f}", 0.85 <= m["coverage90"] <= 0.95),
    ]


def write_card(out: Path, table: pd.DataFrame, validation: dict | None, build_stats: dict | None,
               train_seconds: float, table_sha: str) -> dict:
    """Write ``CARD.md`` and extend ``card.json`` (keeps the file hashes already there)."""
    out = Path(out)
    card = json.loads((out / "card.json").read_text())
    counts = table["metal"].value_counts()
    flagged = {m: int(n) for m, n in counts.items() if n < FEW_ROWS}
    card.update(
        {
            "model": "chelscreen StabilityModel (HistGradientBoosting + basicity sub-models + "
                     "conformal intervals)",
            "target": "log10 K1 for M + L = ML, 25 C (NIST beta definition [ML]/[M][L])",
            "training_table": {"file": "training_table.csv.gz", "sha256": table_sha,
                               "rows": int(len(table)),
                               "ligands": int(table["smiles"].nunique()),
                               "rows_by_source": table["source"].value_counts().to_dict()},
            "data_sources": [
                "NIST SRD 46 v8.0 (2004), doi:10.18434/M32154, via logK25 commit 42e017a "
                "(see NOTICE)",
                "SATCMF dataset.csv, chengeng17/SATCMF commit 06c3ee2, MIT",
                "ion descriptors: mendeleev 1.3.0 (MIT): Shannon radii, ionization energies, "
                "Pauling EN",
            ],
            "metal_rows": {m: int(n) for m, n in counts.items()},
            "metals_flagged_few_rows": flagged,
            "train_seconds": round(train_seconds, 1),
            "validation": validation,
            "build_stats": build_stats,
        }
    )
    (out / "card.json").write_text(json.dumps(card, indent=2, default=str))
    lines = [
        "# Model card: chelscreen stability model (log K1)",
        "",
        "**Predicts** log10 K1 of M + L ⇌ ML at 25 °C (NIST definition `[ML]/[M][L]`, fully "
        "deprotonated ligand) for an organic chelator and a metal cation, with a 90 % interval "
        "(`logK_lo90`, `logK_hi90`, `logK_sd` = half-width / 1.645), an applicability-domain flag "
        "and, for pairs in the training data, the measured value (`logK_exp`) with its source.",
        "",
        "## Data",
        f"- Training table `training_table.csv.gz` (SHA-256 `{table_sha}`): {len(table)} rows, "
        f"{table['smiles'].nunique()} ligands; rows by source: "
        f"{table['source'].value_counts().to_dict()}. Built by `python -m "
        "chelscreen.model.dataset` (see NOTICE for the changes made to the NIST data).",
        "- NIST SRD 46 v8.0 1:1 ML constants at 25 °C with ligand molfiles; ligands whose "
        "molfile heavy-atom formula disagrees with the NIST formula are dropped (H-count "
        "differences are fixed by standardization to the neutral acid form); inorganic ligands "
        "(no carbon) and oxo/organometallic cations (UO2 2+, MeHg+ …) are left out. Repeats are "
        "merged per (ligand, metal, ionic-strength bucket) as the median, with the count.",
        "- SATCMF (MIT) for post-2004 radiochelators (macropa, picolinates, DOTA–Bi/Ga/Sc); no "
        "ionic strength (`ionic_strength` = NaN).",
        "- The CMI IUPAC_v2 lanthanide set is **not** included: its values come from the IUPAC "
        "SC-Database whose redistribution rights are unclear (PROVENANCE §3/§7). "
        "`--include-iupac` adds it for local use only.",
        "- Censored values: none of the used sources carries `>`/`<` values in the rows used "
        "(column `censored` exists and is empty).",
        "- Protonation constants (`protonation.csv.gz`, NIST `[HnL]/[Hn-1L][H]` rows) train "
        "sub-models that predict basicity (Σ log K_H, max log K_H, # pKa > 4) from structure; "
        "the main model sees only those predictions, so a new ligand needs no measured pKa.",
        "",
        "## Features",
        "Ligand (own RDKit perception in `chelscreen/model/features.py`): typed donor counts "
        "(carboxylate, phosphonate, phosphinate, hydroxamate, HOPO, catecholate, phenolate, "
        "amine, pyridine, azole, imine, ether, amide, thioether …), chelate-ring counts "
        "between donors (5/6-membered), macrocycle size and donors, cavity-radius estimate, "
        "charge at full deprotonation, RDKit descriptors, 256-bit Morgan count fingerprint, "
        "predicted basicity; plus the project's chelating-unit perception "
        "(`chelscreen.chem.descriptors.ligand_features` / `chelscreen.chem.donors.analyse`, "
        "`cu_*`: usable denticity, charge at pH 7.4, preorganization class, chelate rings, "
        "hard/soft donor fractions, donor-aware cavity radius). Ion: charge, Shannon radius "
        "(CN 6/8), ionization energies, hardness (IE difference), Pauling EN, polarizability, "
        "block, first hydrolysis constant and preferred CN (`chelscreen.metals.ion_features`). "
        "Metal chemistry fingerprint learned from the training rows (stored in `state.json`): "
        "each metal's median log K1 with EDTA, acetate, NTA, oxalate, IDA, glycine, citrate and "
        "malonate, summarized as log K(EDTA), a mean z-score 'affinity' and the number of "
        "references measured (NaN when absent; rebuilt from the training fold in grouped CV). "
        "Interactions: cavity − ionic radius, hard-O donors × z²/r, N donors × EN/IE, charge "
        "product, donors − preferred CN, log K(EDTA) × (carboxylate + amine donors)/6, affinity × "
        "donors and × charge, log K(acetate) × hard-O donors, log K(glycine) × N donors, Davies "
        "ionic-strength term, ionic strength.",
        "",
        "## Validation (5-fold CV grouped by ligand, NIST 1:1 rows, `benchmarks/bench_stability.py`)",
    ]
    if validation:
        m = validation["model"]
        lines += ["", "| StabilityModel | | | | |", "|---|---|---|---|---|", *_fmt_metrics(m)]
        lines.append(f"| 90 % interval coverage | {m['coverage90']:.3f} | radiometals "
                     f"{m['coverage90_radiometals']:.3f} | | |")
        if "baseline" in validation:
            b = validation["baseline"]
            lines += ["", "| Baseline GBM (donor counts + Morgan + metal) | | | | |",
                      "|---|---|---|---|---|", *_fmt_metrics(b)]
        lines += ["", "Per radiometal MAE (model): " + ", ".join(
            f"{k} {v['MAE']:.2f} (n={v['n']})" for k, v in m["per_metal_MAE"].items())]
        checks = target_check(m)
        card["targets"] = {t: {"measured": v, "met": ok} for t, v, ok in checks}
        lines += ["", "| accuracy target | measured | met |", "|---|---|---|",
                  *[f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in checks]]
        lines += ["", "Most targets are **missed**; the model beats the baseline on every metric "
                  "but not by the margin asked. Why: (1) the error is dominated by strong, "
                  "structurally unique chelators (macrocycles, polyaminocarboxylates with log K "
                  "> 15): with folds grouped by ligand each is predicted from other, different "
                  "ligands, and gradient-boosted trees cannot extrapolate beyond the range of "
                  f"similar training ligands, so they regress to the mean (bias "
                  f"{m['gt15']['bias']:+.1f} above 15, {m['gt20']['bias']:+.1f} above 20); (2) Ga3+, In3+, Bi3+, Th4+, Sc3+ have 18–82 NIST rows, "
                  "mostly weak ligands, so their strong-chelator constants are extrapolations; "
                  "(3) ~7 % of the NIST molfiles disagree with their formula (dropped) and "
                  "more structure errors are likely undetected; (4) the repeat noise is ~0.6 "
                  "log units. The baseline as re-run here (MAE "
                  f"{validation.get('baseline', {}).get('MAE', float('nan')):.2f}) is weaker "
                  "than the figure "
                  "quoted earlier (MAE 1.21), which was measured on a different cut of "
                  "the data; compare the two rows of this card, not that number."]
        (out / "card.json").write_text(json.dumps(card, indent=2, default=str))
        if "featurized_pairs_per_s" in validation:
            lines += ["", f"Speed: {validation['featurized_pairs_per_s']:,.0f} featurized "
                      f"pairs/s; {validation['smiles_to_prediction_pairs_per_s']:,.0f} "
                      "SMILES→prediction pairs/s (1 thread, shared machine)."]
        rr = validation.get("speed_rerun_load2")
        if rr:
            lines += ["", f"Re-measured at lower load (load average 2.2): training on the full "
                      f"table {rr['train_full_table_wall_s']} s wall / "
                      f"{rr['train_full_table_cpu_s']} s CPU; featurized prediction "
                      f"{rr['featurized_pairs_per_s_1thread']:,} pairs/s (1 thread), "
                      f"{rr['featurized_pairs_per_s_2threads']:,} (2 threads); SMILES→prediction "
                      f"{rr['smiles_to_prediction_pairs_per_s_2threads']:,} pairs/s; "
                      f"`predict_stability` end to end incl. `read_ligands` "
                      f"{rr['predict_stability_end_to_end_pairs_per_s']:,} pairs/s (4 metals per "
                      "ligand). The 20,000 pairs/s and 1,000 pairs/s speed targets are **not "
                      "met** on this shared machine."]
    else:
        lines += ["", "No validation run recorded."]
    lines += [
        f"\nTraining the bundled model on the full table took {train_seconds:.0f} s wall time on "
        f"a shared 2-core machine (load average {card.get('train_load_average', 'n/a')} when "
        "training started); the < 5 min target was not verified on an idle machine.",
        "",
        "## Metal coverage (training rows)",
        ", ".join(f"{m} {n}" for m, n in counts.items()),
        "",
        f"Metals with < {FEW_ROWS} rows are flagged (`in_domain` = False, intervals widened by "
        f"√(1 + 20/n)): {', '.join(f'{m} ({n})' for m, n in flagged.items())}. Ac3+ has only "
        f"{int(counts.get('Ac3+', 0))} organic-ligand rows and Ra2+ {int(counts.get('Ra2+', 0))}"
        ": predictions for them are extrapolations from ion descriptors.",
        "",
        "## Known failure modes",
        "- Strong chelators (log K > 15) are under-predicted: each is a rare, unique structure "
        "and the trees shrink towards the mean of similar-looking ligands (see the >15 bias).",
        "- Soft metal–soft donor pairs (Hg2+, Pd2+, Ag+ with thiols/thioethers/phosphines) and "
        "metals with few rows (Ga3+, In3+, Bi3+, Th4+, Zr4+, Ac3+, Ra2+) have the largest errors.",
        "- The repeat-measurement noise of the NIST data is about 0.6 log units; SATCMF contains "
        "internal conflicts (e.g. Sc–DOTA 30.79 vs 16.5), merged as medians.",
        "- Stereochemistry is ignored (diastereomers such as trans-/cis-CDTA share a key); "
        "oxo-cations (UO2 2+) and organometallic cations are not modelled.",
        "- Ionic strength is a feature; SATCMF rows have none. Predictions are for the "
        "conditions of the training data, mostly I = 0.1 M.",
        "",
        "## Files",
        "`model.skops` (sklearn estimators; loaded only with an explicit trusted-type list), "
        "`state.json`, `train_fps.npy`, `known_pairs.csv.gz`; `card.json` records their SHA-256 "
        "and a file whose hash differs is refused (`ModelFileError`).",
    ]
    text = "\n".join(lines) + "\n"
    # keep sections written by other benchmarks (e.g. the simulation ablation) across rewrites
    previous = out / "CARD.md"
    if previous.is_file():
        old_text = previous.read_text()
        begin, end = "<!-- SIM:BEGIN -->", "<!-- SIM:END -->"
        if begin in old_text and end in old_text:
            kept = old_text[old_text.index(begin): old_text.index(end) + len(end)]
            text = text + "\n" + kept + "\n"
    previous.write_text(text)
    return card


def train_bundled(table_path: Path, out: Path, validation_path: Path | None = None) -> dict:
    """Train on the committed table, save the model, write the card."""
    from chelscreen.model.estimator import StabilityModel
    from chelscreen.model.io import save, sha256

    table = pd.read_csv(table_path)
    ions = pd.read_csv(Path(out) / "ions.csv")
    prot = pd.read_csv(Path(out) / "protonation.csv.gz")
    import os

    load_avg = round(os.getloadavg()[0], 1)
    t0 = time.perf_counter()
    model = StabilityModel().fit(table[["smiles", "metal", "ionic_strength"]], table["logK"],
                                 ions=ions, protonation=prot)
    dt = time.perf_counter() - t0
    save(model, out, known_pairs=known_pairs_table(table))
    validation = None
    if validation_path and Path(validation_path).is_file():
        validation = json.loads(Path(validation_path).read_text())
    stats_path = Path(out) / "build_stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.is_file() else None
    card = json.loads((Path(out) / "card.json").read_text())
    card["train_load_average"] = load_avg
    (Path(out) / "card.json").write_text(json.dumps(card, indent=2, default=str))
    return write_card(out, table, validation, stats, dt, sha256(table_path))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Train the bundled stability model + card")
    ap.add_argument("--table", type=Path, default=Path("models/stability/training_table.csv.gz"))
    ap.add_argument("--out", type=Path, default=Path("models/stability"))
    ap.add_argument("--validation", type=Path, default=Path("models/stability/validation.json"))
    ap.add_argument("--card-only", action="store_true",
                    help="only rewrite CARD.md/card.json for the saved model (no training)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if args.card_only:
        from chelscreen.model.io import sha256

        old = json.loads((args.out / "card.json").read_text())
        table = pd.read_csv(args.table)
        val = json.loads(args.validation.read_text()) if args.validation.is_file() else None
        stats_path = args.out / "build_stats.json"
        stats = json.loads(stats_path.read_text()) if stats_path.is_file() else None
        write_card(args.out, table, val, stats, float(old.get("train_seconds", float("nan"))),
                   sha256(args.table))
        return
    card = train_bundled(args.table, args.out, args.validation)
    logger.info("trained in %.1f s", card["train_seconds"])


if __name__ == "__main__":
    main()
