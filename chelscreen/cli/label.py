"""``chelscreen label``: radiolabeling feasibility and suggested conditions."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import click

from chelscreen.cli.options import (
    attach_input_columns,
    base_ligands,
    ligand_columns,
    out_option,
    radionuclides_callback,
    read_cli_ligands,
    write_output,
)

logger = logging.getLogger(__name__)


def _to_json_records(df) -> str:
    records = df.to_dict(orient="records")
    for rec in records:
        for key, val in rec.items():
            if isinstance(val, float) and math.isnan(val):
                rec[key] = None
    return json.dumps(records, indent=2, ensure_ascii=False)


@click.command("label")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-r", "--radionuclides", required=True, callback=radionuclides_callback,
              help="Comma-separated radionuclides, e.g. 'Ac-225,Ga-68'.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Format on standard output (--out follows its suffix).")
@out_option("standard output in --format")
@ligand_columns
def label(inputs: tuple[str, ...], radionuclides: str, fmt: str, out: Path | None,
          smiles_column: str | None, name_column: str | None, id_column: str | None) -> None:
    """Probability of mild labeling (>=95 % at <=40 degC in <=30 min) and suggested conditions.

    INPUT is a chelator name from the library (e.g. macropa), a SMILES string, or a file of
    ligands (.smi/.csv/.sdf). One output row per chelator x radionuclide, in input order; invalid
    ligands are kept with status 'invalid'. Conditions come from the closest published precedents
    in molecules/labeling.csv (see molecules/LABELING_CARD.md for the validation).
    """
    from chelscreen.radiolabeling import labeling

    ligs = read_cli_ligands(inputs, smiles_column, name_column, id_column)
    df = attach_input_columns(labeling(base_ligands(ligs), radionuclides), ligs)
    if write_output(df, out):
        return
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = _to_json_records(df)
    else:
        show = df.drop(columns=["smiles"]).copy()
        show["precedents"] = show["precedents"].str.slice(0, 80)
        text = show.to_string(index=False, max_colwidth=80) + "\n"
    click.echo(text, nl=not text.endswith("\n"))
