"""``chelscreen describe``: donor atoms, denticity and 2D descriptors of chelators."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from chelscreen.cli.options import (
    attach_input_columns,
    base_ligands,
    ligand_columns,
    out_option,
    read_cli_ligands,
    write_output,
)

logger = logging.getLogger(__name__)

#: columns shown on screen when no --out is given (all columns go to files)
SCREEN_COLUMNS = [
    "id", "name", "status", "n_donors", "n_donor_N", "n_donor_O", "n_donor_S",
    "n_chelate_ring_5", "n_chelate_ring_6", "macrocycle_ring_size", "cavity_radius_pm",
    "preorganization", "charge_full_deprot", "charge_pH7_4", "mw", "message",
]


@click.command("describe")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@out_option("the main columns as a table")
@ligand_columns
@click.option("-j", "--n-jobs", type=int, default=1, show_default=True,
              help="Worker processes (-1: all cores).")
def describe(inputs: tuple[str, ...], out: Path | None, smiles_column: str | None,
             name_column: str | None, id_column: str | None, n_jobs: int) -> None:
    """Perceive donors and compute 2D descriptors of chelators.

    INPUT is a file (.smi, .csv, .tsv, .sdf, optionally .gz), a SMILES, or one or more library
    names (DOTA, macropa, ...). One output row per input, in input order; invalid rows are kept
    with status "invalid" and a message. Extra columns of a CSV/SDF input are kept.
    """
    import pandas as pd

    from chelscreen.chem.descriptors import describe as describe_fn

    ligs = read_cli_ligands(inputs, smiles_column, name_column, id_column, n_jobs=n_jobs)
    df = attach_input_columns(describe_fn(base_ligands(ligs), n_jobs=n_jobs), ligs)
    if write_output(df, out):
        return
    n_bad = int((df["status"] != "ok").sum())
    cols = [c for c in SCREEN_COLUMNS if c in df.columns]
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50,
                           "display.width", 200, "display.max_colwidth", 60):
        click.echo(df[cols].to_string(index=False))
    if n_bad:
        click.echo(f"{n_bad} of {len(df)} rows not ok; see the message column", err=True)
