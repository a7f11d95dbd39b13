"""``chelscreen label``: radiolabeling feasibility and suggested conditions."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import click

logger = logging.getLogger(__name__)


def _to_json_records(df) -> str:
    records = df.to_dict(orient="records")
    for rec in records:
        for key, val in rec.items():
            if isinstance(val, float) and math.isnan(val):
                rec[key] = None
    return json.dumps(records, indent=2, ensure_ascii=False)


@click.command("label")
@click.argument("input", metavar="INPUT")
@click.option("-r", "--radionuclides", required=True,
              help="Comma-separated radionuclides, e.g. 'Ac-225,Ga-68'.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def label(input: str, radionuclides: str, fmt: str, out: Path | None) -> None:
    """Probability of mild labeling (>=95 % at <=40 degC in <=30 min) and suggested conditions.

    INPUT is a chelator name from the library (e.g. macropa), a SMILES string, or a file of
    ligands (.smi/.csv/.sdf). One output row per chelator x radionuclide, in input order; invalid
    ligands are kept with status 'invalid'. Conditions come from the closest published precedents
    in molecules/labeling.csv (see molecules/LABELING_CARD.md for the validation).
    """
    from chelscreen.radiolabeling import labeling

    source: object = input
    if Path(input).is_file():
        source = Path(input)
    df = labeling(source, radionuclides)
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = _to_json_records(df)
    else:
        show = df.drop(columns=["smiles"]).copy()
        show["precedents"] = show["precedents"].str.slice(0, 80)
        with_pd = show.to_string(index=False, max_colwidth=80)
        text = with_pd + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
        logger.info("wrote %d rows to %s", len(df), out)
    else:
        click.echo(text, nl=not text.endswith("\n"))
