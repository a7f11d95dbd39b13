"""``chelscreen describe``: donor atoms, denticity and 2D descriptors of chelators."""

from __future__ import annotations

import logging
from pathlib import Path

import click

logger = logging.getLogger(__name__)

#: columns shown on screen when no --out is given (all columns go to files)
SCREEN_COLUMNS = [
    "id", "name", "status", "n_donors", "n_donor_N", "n_donor_O", "n_donor_S",
    "n_chelate_ring_5", "n_chelate_ring_6", "macrocycle_ring_size", "cavity_radius_pm",
    "preorganization", "charge_full_deprot", "charge_pH7_4", "mw", "message",
]
_WRITERS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


def write_table(df, out: Path) -> None:
    """Write ``df`` to ``out`` by its suffix (.csv, .tsv, .parquet)."""
    from chelscreen.errors import InputFileError

    kind = _WRITERS.get(out.suffix.lower())
    if kind is None:
        raise InputFileError(
            f"cannot write {out}: unknown file type {out.suffix!r}; use .csv, .tsv or .parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        df.to_csv(out, index=False)
    elif kind == "tsv":
        df.to_csv(out, index=False, sep="\t")
    else:
        df.to_parquet(out, index=False)


@click.command("describe")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write all columns to FILE (.csv, .tsv or .parquet) instead of printing.")
@click.option("--smiles-column", default=None, help="Column holding SMILES in a .csv/.tsv input.")
@click.option("--name-column", default=None, help="Column holding names in a .csv/.tsv input.")
@click.option("-j", "--n-jobs", type=int, default=1, show_default=True,
              help="Worker processes (-1: all cores).")
def describe(inputs: tuple[str, ...], out: Path | None, smiles_column: str | None,
             name_column: str | None, n_jobs: int) -> None:
    """Perceive donors and compute 2D descriptors of chelators.

    INPUT is a file (.smi, .csv, .tsv, .sdf, optionally .gz), a SMILES, or one or more library
    names (DOTA, macropa, ...). One output row per input, in input order; invalid rows are kept
    with status "invalid" and a message.
    """
    import pandas as pd

    from chelscreen.chem.descriptors import describe as describe_fn

    if out is not None and out.suffix.lower() not in _WRITERS:
        from chelscreen.errors import InputFileError

        raise InputFileError(
            f"cannot write {out}: unknown file type {out.suffix!r}; use .csv, .tsv or .parquet")
    source: object
    if len(inputs) == 1:
        source = inputs[0]
    else:
        paths = [p for p in inputs if Path(p).is_file()]
        if paths:
            raise click.UsageError(
                "give one input file, or several SMILES / library names (not files mixed in)")
        source = list(inputs)
    df = describe_fn(source, n_jobs=n_jobs, smiles_column=smiles_column, name_column=name_column)
    n_bad = int((df["status"] != "ok").sum())
    if out is not None:
        write_table(df, out)
        click.echo(f"wrote {len(df)} rows ({n_bad} not ok) to {out}", err=True)
        return
    cols = [c for c in SCREEN_COLUMNS if c in df.columns]
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50,
                           "display.width", 200, "display.max_colwidth", 60):
        click.echo(df[cols].to_string(index=False))
    if n_bad:
        click.echo(f"{n_bad} of {len(df)} rows not ok; see the message column", err=True)
