"""``chelscreen simulate``: OpenMM stability simulations of chelator x metal pairs."""

from __future__ import annotations

import logging
from pathlib import Path

import click

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


@click.command("simulate")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--metals", "-m", required=True, callback=metals_callback,
              help="Comma-separated metals/radionuclides, e.g. 'Lu3+,Ac3+' or 'Lu-177,Ac-225'.")
@ligand_columns
@click.option("--protocol", "-p", type=click.Choice(["fast", "standard", "explicit"]),
              default="fast", show_default=True,
              help="fast: 20 ps implicit water; standard: 100 ps + steered pulling (3 seeds); "
                   "explicit: TIP3P water (slow).")
@out_option("CSV on standard output")
@click.option("--structures", type=click.Path(file_okay=False), default=None,
              help="Folder for the built complexes (PDB + SDF per pair).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Result cache folder: finished pairs are not simulated again "
                   "(default: $CHELSCREEN_CACHE_DIR/simulate or ~/.cache/chelscreen/simulate).")
@click.option("--no-cache", is_flag=True, default=False,
              help="Do not read or write the result cache.")
@click.option("--n-jobs", "-j", type=int, default=1, show_default=True,
              help="Worker processes (-1 = all cores); each runs OpenMM on one thread.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option("--conformers", type=int, default=4, show_default=True,
              help="Starting conformers tried per complex.")
@click.option("--platform", default=None,
              help="OpenMM platform (Reference, CPU, CUDA, OpenCL); default: fastest available.")
@click.option("--lj-set", type=click.Choice(["hfe", "iod"]), default="hfe", show_default=True,
              help="Li/Merz 12-6 ion set: fitted to hydration free energies or to ion-oxygen "
                   "distances.")
@click.option("--ion-params", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV/JSON file adding or overriding ion parameters (see docs).")
def simulate(inputs: tuple[str, ...], metals: str, smiles_column: str | None,
             name_column: str | None, id_column: str | None, protocol: str,
             out: Path | None, structures: str | None, cache_dir: str | None, no_cache: bool,
             n_jobs: int, seed: int, conformers: int, platform: str | None, lj_set: str,
             ion_params: str | None) -> None:
    """Build and simulate metal-chelator complexes; one row per ligand x metal.

    INPUT is a ligand file (.smi/.csv/.sdf...), a SMILES string or a library name (DOTA).
    The features (coordination retained, distances, strain, pulling work, q_water in explicit
    water) are probes of the complex's structure, not binding free energies. The output has
    the seconds spent per stage (build_s, relax_s, md_s, strain_s, wall_s).
    """
    import pandas as pd

    from chelscreen.cli import is_quiet
    from chelscreen.simulate import register_ion_parameters, simulate_pairs

    if ion_params:
        register_ion_parameters(ion_params)
    if no_cache:
        cache: str | None = None
    else:
        cache = cache_dir or "default"
    ligs = read_cli_ligands(inputs, smiles_column, name_column, id_column)
    df = simulate_pairs(base_ligands(ligs), metals, protocol, cache_dir=cache,
                        structures_dir=structures, seed=seed, n_conformers=conformers,
                        platform=platform, lj_set=lj_set, progress=not is_quiet(),
                        n_jobs=n_jobs)
    df = attach_input_columns(df, ligs)
    if not write_output(df, out):
        click.echo(df.to_csv(index=False), nl=False)
    ok = df[df["status"].isin(["ok", "warning"])]
    if len(ok) and not is_quiet():
        t = ok[["build_s", "relax_s", "md_s", "strain_s", "wall_s"]].apply(pd.to_numeric,
                                                                         errors="coerce")
        click.echo(f"time per stage (s, sum over {len(ok)} pairs, cached ones included): "
                   f"build {t['build_s'].sum():.1f} (relaxation {t['relax_s'].sum():.1f} of it), "
                   f"MD {t['md_s'].sum():.1f}, "
                   f"strain {t['strain_s'].sum():.1f}, total {t['wall_s'].sum():.1f}", err=True)
    bad = (df["status"].isin(["invalid", "error"])).sum()
    if bad:
        click.echo(f"{bad} of {len(df)} rows are invalid/error (see 'message').", err=True)
