"""``chelscreen predict`` and ``chelscreen train``: thin wrappers over chelscreen.model."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import numpy as np

from chelscreen.cli.options import (
    attach_input_columns,
    base_ligands,
    ligand_columns,
    metals_callback,
    out_option,
    read_cli_ligands,
    write_output,
)

logger = logging.getLogger(__name__)


def _is_pairs_table(path: Path) -> bool:
    """A CSV/TSV input whose header has a ``metal`` column (one prediction per row)."""
    from chelscreen.io import _base_suffix

    if not path.is_file() or _base_suffix(path) not in (".csv", ".tsv", ".tab"):
        return False
    import csv

    from chelscreen.errors import InputFileError
    from chelscreen.io import _read_text

    try:  # the reader's decoding (gzip, UTF-8 BOM, UTF-16); a bad file is reported by it later
        first = next((ln for ln in _read_text(path).splitlines() if ln.strip()), "")
    except InputFileError:
        return False
    sep = "\t" if "\t" in first else (";" if "," not in first and ";" in first else ",")
    header = next(csv.reader([first], delimiter=sep), [])
    return "metal" in {c.strip().lower() for c in header}


def _predict_pairs_table(ligs, model_dir, **kw):  # noqa: ANN001, ANN202 - DataFrames
    """One prediction per row of a pairs table read by ``read_ligands`` (same row errors)."""
    import pandas as pd

    from chelscreen.cli.options import base_ligands
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import parse_metal, unsupported_reason
    from chelscreen.model.predict import predict_stability

    metal_col = next(c for c in ligs.columns if c.strip().lower() == "metal")
    ligs = ligs.rename(columns={metal_col: "_metal"}).reset_index(drop=True)
    base = base_ligands(ligs).copy()
    for i, text in enumerate(ligs["_metal"].astype(str)):
        problem = None
        if not text.strip():
            problem = "empty 'metal' cell; give an ion (Ac3+) or a radionuclide (Ac-225)"
        else:
            try:
                parse_metal(text)
            except UnsupportedMetalError as exc:
                problem = unsupported_reason(exc)
        if problem and base.at[i, "status"] != "invalid":
            base.at[i, "status"] = "invalid"
            base.at[i, "message"] = f"row {i + 1}: {problem}"
    parts = []
    for text, idx in base.groupby(ligs["_metal"].astype(str), sort=False).groups.items():
        sub = base.loc[idx]
        metal = text if text.strip() else "Ac3+"  # invalid rows only; never predicted
        part = predict_stability(sub, [metal], model=model_dir, **kw)
        part.index = idx
        part["metal"] = text
        parts.append(part)
    out = pd.concat(parts).sort_index()
    return out.reset_index(drop=True), ligs.drop(columns=["_metal"])


@click.command("predict")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--metals", "-m", default=None, callback=metals_callback,
              help="Comma-separated metals or nuclides, e.g. 'Ac3+,Lu-177,225Ac'. Not needed when "
                   "INPUT is a pairs CSV with a 'metal' column.")
@out_option("CSV on standard output")
@ligand_columns
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
def predict(inputs: tuple[str, ...], metals: str | None, out: Path | None,
            smiles_column: str | None, name_column: str | None, id_column: str | None,
            model_dir: str | None, anchors: str | None, ionic_strength: float,
            no_measured: bool) -> None:
    """Predict log K1 (M + L = ML, 25 C) with uncertainty for chelator-metal pairs.

    INPUT is a ligand file (.smi/.csv/.sdf), SMILES or library names (then --metals is
    required), or a pairs CSV with columns smiles, metal (optional id, name): one prediction
    per row, order and ids kept; bad rows are marked invalid with their row number, never
    dropped or shifted. Extra input columns are kept in the output.
    """
    from chelscreen.errors import ChelscreenError
    from chelscreen.model.predict import predict_stability, read_anchors

    try:  # a bad anchors file is reported before any ligand is read
        anchor_table = read_anchors(anchors) if anchors else None
    except ChelscreenError as exc:
        raise click.ClickException(str(exc)) from None
    kw = dict(anchors=anchor_table, ionic_strength=ionic_strength,
              use_measured=not no_measured)
    pairs = len(inputs) == 1 and _is_pairs_table(Path(inputs[0]))
    if not pairs and not metals:
        raise click.UsageError(
            "--metals is required unless INPUT is a pairs CSV with a 'metal' column "
            "(example: --metals Ac3+,Lu-177)"
        )
    ligs = read_cli_ligands(inputs, smiles_column, name_column, id_column)
    if pairs:
        if metals:
            logger.warning("--metals is ignored: %s has a 'metal' column", inputs[0])
        df, ligs = _predict_pairs_table(ligs, model_dir, **kw)
    else:
        df = predict_stability(base_ligands(ligs), metals, model=model_dir, **kw)
    df = attach_input_columns(df, ligs)
    invalid = df["status"] == "invalid"
    first = ""
    if invalid.any():
        i = int(np.flatnonzero(invalid.to_numpy())[0])
        ident = df["id"].iloc[i] if "id" in df else ""
        first = f"row {i + 1}" + (f" ({ident})" if ident else "") + f": {df['message'].iloc[i]}"
        if pairs and not invalid.all():
            # ligand problems were reported when the ligands were read; a pairs table can
            # also hold invalid metals, so its rows are counted here with the first reason
            logger.warning("%d of %d rows are invalid; %s", int(invalid.sum()), len(df), first)
    if not write_output(df, out):
        df.to_csv(sys.stdout, index=False, float_format="%.3f")
    if len(df) and invalid.all():
        more = f" (and {len(df) - 1} more rows; see the message column)" if len(df) > 1 else ""
        err = click.ClickException(f"no row could be predicted: {first}{more}")
        err.exit_code = 2  # bad input, like every other user error (1 = unexpected failure)
        raise err


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

    with TrainingProgress(data, folds):
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


class TrainingProgress(logging.Handler):
    """Progress and time estimate of ``chelscreen train`` (stderr; silent with ``-q``).

    Training is ``folds`` cross-validation fits plus the final fit. Each fit of the stability
    model logs its calibration (``chelscreen.model`` logger, "calibration: ..."); this handler
    counts those records, so the bar advances per fit and tqdm's estimate of the time left
    comes from the fits already done. The elapsed time ticks every second meanwhile (a model
    trained on fewer than 10 ligands skips calibration: then only the elapsed time shows).
    """

    def __init__(self, data: str, folds: int) -> None:
        super().__init__(level=logging.DEBUG)
        self.data, self.folds = data, folds
        self.bar = None
        self.fits_done = 0
        self._stop = None
        self._level = logging.NOTSET

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("calibration:"):
            self.fits_done += 1
            if self.bar is not None:
                self.bar.update(1)

    def __enter__(self) -> TrainingProgress:
        import threading

        from tqdm.auto import tqdm

        from chelscreen.cli import is_quiet

        try:
            import pandas as pd

            n = len(pd.read_csv(self.data, usecols=lambda c: True, dtype=str))
        except Exception:  # noqa: BLE001 - only for the message; train_user_model reports errors
            n = None
        fits = (self.folds + 1) if self.folds else 1
        rows = f"{n} rows" if n is not None else self.data
        from chelscreen.cli.options import note

        note(f"training on {rows}: {fits} model fit(s) ({self.folds}-fold grouped CV + final); "
             "the estimate of the time left appears after the first fit")
        self.bar = tqdm(total=fits, desc="train", unit="fit", disable=True if is_quiet() else None,
                        bar_format="{desc}: {n}/{total} fits |{bar}| {elapsed} elapsed, "
                                   "~{remaining} left")
        model_log = logging.getLogger("chelscreen.model")
        model_log.addHandler(self)
        self._level = model_log.level
        if not model_log.isEnabledFor(logging.INFO):
            model_log.setLevel(logging.INFO)  # the other handlers keep their own levels
        self._stop = threading.Event()

        def tick() -> None:
            while not self._stop.wait(1.0):
                self.bar.refresh()

        threading.Thread(target=tick, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        total = self.bar.total if self.bar is not None else 0
        logger.info("train: %d of %d model fits reported progress", self.fits_done, total)
        logging.getLogger("chelscreen.model").removeHandler(self)
        logging.getLogger("chelscreen.model").setLevel(self._level)
        if self._stop is not None:
            self._stop.set()
        if self.bar is not None:
            if exc[0] is None:
                self.bar.n = self.bar.total
            self.bar.close()
