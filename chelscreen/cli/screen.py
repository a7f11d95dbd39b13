"""``chelscreen screen``: rank chelator–radionuclide pairings (thin wrapper of the library)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from chelscreen.cli.options import (
    attach_input_columns,
    base_ligands,
    ligand_columns,
    radionuclides_callback,
    read_cli_ligands,
)

logger = logging.getLogger(__name__)


@click.command("screen")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option("--radionuclides", "-r", default=None, callback=radionuclides_callback,
              help="Comma-separated list, e.g. Ac-225,Pb-212,Lu-177 (default: the therapy set "
                   "Ac-225,Bi-213,Pb-212,Th-227,Ra-223,Lu-177,Y-90,Tb-161,Sc-47,Ga-68,Cu-64,"
                   "In-111).")
@ligand_columns
@click.option("--simulate-top", type=click.IntRange(min=0), default=0, show_default=True,
              help="Run the OpenMM fast protocol on the N best pairs per radionuclide.")
@click.option("--out", "-o", type=click.Path(file_okay=False), default="chelscreen-results",
              show_default=True, help="Output folder.")
@click.option("--resume", is_flag=True, help="Continue an interrupted screen in --out.")
@click.option("--overwrite", is_flag=True,
              help="Replace the results already in --out (otherwise a non-empty --out is refused).")
@click.option("--n-jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (local) or workers (dask LocalCluster).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Where the work runs.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address (tcp://HOST:PORT); default: a local cluster.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Chelators per work unit (default: about 64 units per job).")
@click.option("--no-labeling", is_flag=True,
              help="Skip the labeling model (faster for very large screens; the score is then "
                   "retention × daughters for every pair).")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="Pairs per radionuclide printed and written to top.sdf.")
@click.option("--csv/--no-csv", "csv", default=None,
              help="Write results.csv besides results.parquet (default: only up to 100,000 "
                   "rows).")
def screen(inputs: tuple[str, ...], radionuclides: str | None, smiles_column: str | None,
           name_column: str | None, id_column: str | None, simulate_top: int, out: str,
           resume: bool, overwrite: bool, n_jobs: int, executor: str, scheduler: str | None,
           chunk_size: int | None, no_labeling: bool, top: int, csv: bool | None) -> None:
    """Rank chelator × radionuclide pairs for in vivo retention and daughter release.

    INPUT is a file of chelators (.smi/.csv/.tsv/.sdf, optionally .gz), a SMILES or a library
    name, or several of them; without INPUT the bundled chelator library is screened. Writes
    results.parquet, results.csv (up to 100,000 rows unless --csv/--no-csv), top.sdf and
    report.html to --out (extra input columns kept).
    """
    from chelscreen.cli import is_quiet
    from chelscreen.screening import screen as run_screen
    from chelscreen.store import check_out_folder

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite exclude each other; give one")
    check_out_folder(out, resume=resume, overwrite=overwrite)
    quiet = is_quiet()
    # no Mols kept: the screen needs the standardized SMILES only (memory flat in n)
    ligs = (read_cli_ligands(inputs, smiles_column, name_column, id_column, n_jobs=n_jobs,
                             keep_mol=False) if inputs else None)
    # streamed: the results go to --out one work unit at a time (with the user's extra input
    # columns); only the rows the report and the summary show come back
    each_part = None if ligs is None else (
        lambda part, a, b: attach_input_columns(part, ligs.iloc[a:b]))
    result = run_screen(
        None if ligs is None else base_ligands(ligs), radionuclides,
        simulate_top=simulate_top, out=out, resume=resume,
        n_jobs=n_jobs, executor=executor, scheduler=scheduler, progress=not quiet,
        chunk_size=chunk_size, report=True, labeling=not no_labeling, write=True, load=False,
        top_n=top, csv=csv, each_part=each_part,
    )
    written = {k: Path(v) for k, v in result.attrs.get("written", {}).items()}
    if quiet:
        return
    from chelscreen.reporting import console_summary

    click.echo(console_summary(result, top_n=min(top, 3)))
    _report_bad_inputs(result)
    click.echo(f"wrote {out}/" + ", ".join(p.name for p in written.values()))


def _report_bad_inputs(result, limit: int = 10) -> None:  # noqa: ANN001 - DataFrame
    """Name every chelator that could not be scored, with its reason (stderr)."""
    bad = result.drop_duplicates("id")
    bad = bad[bad["status"].isin(["invalid", "error"])]
    if not len(bad):
        return
    click.echo(f"{len(bad)} input row(s) could not be scored:", err=True)
    for r in bad.head(limit).to_dict("records"):
        label = str(r["id"]) if str(r["chelator"]) in ("", str(r["id"])) else (
            f"{r['id']} ({r['chelator']})")
        click.echo(f"  {label}: {r['message']}", err=True)
    if len(bad) > limit:
        click.echo(f"  ... and {len(bad) - limit} more (status/message in results.parquet)", err=True)
