"""``chelscreen enumerate``: write an enumerated chelator library (scaffold × pendant arms)."""

from __future__ import annotations

from pathlib import Path

import click


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@click.command("enumerate")
@click.option("--scaffold", "scaffolds", required=True,
              help="Comma-separated backbones, e.g. cyclen,tacn,diaza18c6 "
                   "(see --list).")
@click.option("--arms", required=True,
              help="Comma-separated pendant arms by name (acetate,acetamide,picolinate …) or "
                   "SMILES attached through their first atom.")
@click.option("--max", "max_n", type=click.IntRange(1), default=None,
              help="Stop after this many distinct molecules.")
@click.option("--min-donors", type=click.IntRange(0), default=2, show_default=True,
              help="Drop molecules with fewer perceived donor atoms.")
@click.option("--out", type=click.Path(dir_okay=False), required=False, default=None,
              help="Output file: .smi (SMILES id), .csv or .tsv. Default: print .smi lines.")
@click.option("--list", "list_only", is_flag=True, help="List the known scaffolds and arms.")
def enumerate_cmd(scaffolds: str, arms: str, max_n: int | None, min_donors: int,
                  out: str | None, list_only: bool) -> None:
    """Enumerate chelators: every combination of ARMS on the donor N of each SCAFFOLD.

    Symmetry-equivalent combinations collapse to one canonical SMILES; every molecule is parsed,
    sanitized and checked for charge and donor count. The output feeds ``chelscreen screen``.
    """
    from chelscreen.enumerate import ARMS, SCAFFOLDS, enumerate_ligands

    if list_only:
        click.echo("scaffolds: " + ", ".join(f"{k} ({v[1]} sites)" for k, v in SCAFFOLDS.items()))
        click.echo("arms: " + ", ".join(f"{k} {v}" for k, v in ARMS.items()))
        return
    df = enumerate_ligands(_split(scaffolds), _split(arms), max_n=max_n, min_donors=min_donors)
    if out is None:
        for r in df.itertuples():
            click.echo(f"{r.smiles} {r.id}")
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes[-1:]).lower()
    if suffix == ".smi":
        path.write_text("".join(f"{r.smiles} {r.id}\n" for r in df.itertuples()))
    elif suffix in (".csv", ".tsv"):
        df.to_csv(path, index=False, sep="," if suffix == ".csv" else "\t")
    else:
        raise click.BadParameter(f"unknown output format {suffix!r}; use .smi, .csv or .tsv",
                                 param_hint="--out")
    click.echo(f"wrote {len(df)} chelators to {path}", err=True)
