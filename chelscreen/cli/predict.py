"""``chelscreen predict`` and ``chelscreen train``: thin wrappers over chelscreen.model."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

logger = logging.getLogger(__name__)


def _write(df, out: str | None) -> None:
    if out is None:
        df.to_csv(sys.stdout, index=False, float_format="%.3f")
        return
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix in (".tsv", ".tab"):
        df.to_csv(path, sep="\t", index=False, float_format="%.4g")
    else:
        df.to_csv(path, index=False, float_format="%.4g")
    click.echo(f"wrote {len(df)} rows to {path}", err=True)


def _is_pairs_table(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() not in (".csv", ".tsv", ".tab"):
        return False
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    cols = {c.strip().lower() for c in header.split(sep)}
    return {"smiles", "metal"} <= cols


@click.command("predict")
@click.argument("input", metavar="INPUT")
@click.option("--metals", "-m", default=None,
              help="Comma-separated metals or nuclides, e.g. 'Ac3+,Lu-177,225Ac'. Not needed when "
                   "INPUT is a pairs CSV with columns id, smiles, metal.")
@click.option("--out", "-o", default=None, type=click.Path(dir_okay=False),
              help="Output file (.csv, .tsv or .parquet); default: CSV on stdout.")
@click.option("--model", "model_dir", default=None, type=click.Path(file_okay=False),
              help="Model folder made by 'chelscreen train' (default: the bundled model).")
@click.option("--anchors", default=None, type=click.Path(dir_okay=False),
              help="CSV of measured constants (columns smiles, metal, logK, optional "
                   "ionic_strength): a ligand's measured log K with one metal sharpens its "
                   "predictions for the others (logK_basis 'anchored').")
@click.option("--ionic-strength", "ionic_strength", default=0.1, show_default=True,
              type=click.FloatRange(min=0.0, max=6.0),
              help="Ionic strength of the predictions in mol/L.")
@click.option("--no-measured", is_flag=True, default=False,
              help="Do not anchor on (or show) the measured constants bundled with the model.")
def predict(input: str, metals: str | None, out: str | None, model_dir: str | None,
            anchors: str | None, ionic_strength: float, no_measured: bool) -> None:
    """Predict log K1 (M + L = ML, 25 C) with uncertainty for chelator-metal pairs.

    INPUT is a ligand file (.smi/.csv/.sdf), a SMILES or a library name (then --metals is
    required), or a pairs CSV with columns id, smiles, metal (one prediction per row, order
    and ids kept; bad rows are marked invalid, not dropped).
    """
    from chelscreen.errors import ChelscreenError
    from chelscreen.model.predict import predict_pairs, predict_stability

    kw = dict(model=model_dir, anchors=anchors, ionic_strength=ionic_strength,
              use_measured=not no_measured)
    try:
        df = _run(input, metals, predict_pairs, predict_stability, kw)
    except ChelscreenError as exc:
        raise click.ClickException(str(exc)) from None
    bad = int((df["status"] == "invalid").sum())
    if bad:
        logger.warning("%d of %d rows are invalid (see the message column)", bad, len(df))
    _write(df, out)


def _run(input, metals, predict_pairs, predict_stability, kw):
    path = Path(input)
    if _is_pairs_table(path):
        if metals:
            logger.warning("--metals is ignored: %s has a 'metal' column", path)
        return predict_pairs(path, **kw)
    if not metals:
        raise click.UsageError(
            "--metals is required unless INPUT is a pairs CSV with a 'metal' column "
            "(example: --metals Ac3+,Lu-177)"
        )
    return predict_stability(input, metals, **kw)


@click.command("train")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder to write the model to (use it with 'predict --model').")
@click.option("--folds", default=5, show_default=True,
              help="Grouped-by-ligand CV folds for the report (0: skip CV).")
@click.option("--basicity/--no-basicity", default=True, show_default=True,
              help="Use the bundled protonation constants for the basicity sub-models.")
def train(data: str, out: str, folds: int, basicity: bool) -> None:
    """Retrain the stability model on DATA.csv (columns smiles, metal, logK[, ionic_strength]).

    Prints grouped-CV metrics (folds grouped by ligand) and writes a model folder.
    """
    from chelscreen.model.train import train_user_model

    report = train_user_model(data, out, folds=folds, basicity=basicity)
    cv = report.get("cv")
    if cv:
        click.echo(
            f"grouped CV ({cv['folds']} folds by ligand, n={cv['n']}): MAE {cv['MAE']:.3f}  "
            f"RMSE {cv['RMSE']:.3f}  Spearman {cv['Spearman']:.3f}  bias {cv['bias']:+.3f}  "
            f"90% coverage {cv['coverage90']:.3f}"
        )
    else:
        click.echo("grouped CV skipped (too few ligands or --folds 0)")
    click.echo(f"trained on {report['rows']} rows ({report['ligands']} ligands, "
               f"{report['metals']} metals); model written to {out}")
