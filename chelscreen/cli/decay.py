"""``chelscreen decay``: decay chain, recoil energies and daughter fate of a radionuclide."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import click

from chelscreen.cli.options import note, nuclide_argument_callback

logger = logging.getLogger(__name__)


def _fmt(v: float, spec: str = "{:.4g}") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return spec.format(v)


def _chain_table(chain) -> str:  # noqa: ANN001 - DataFrame
    view = chain[["parent", "daughter", "mode", "branching", "half_life", "E_alpha_MeV",
                  "E_recoil_keV", "daughter_note"]].copy()
    view.columns = ["parent", "daughter", "mode", "branching", "t1/2 (parent)", "E_alpha_MeV",
                    "E_recoil_keV", "note"]
    return view.to_string(index=False, na_rep="-", formatters={
        "branching": lambda v: f"{v:.5g}",
        "E_alpha_MeV": lambda v: _fmt(v, "{:.3f}"),
        "E_recoil_keV": lambda v: _fmt(v, "{:.1f}") if v >= 1 else _fmt(v, "{:.3g}"),
    })


def _fate_table(fate) -> str:  # noqa: ANN001 - DataFrame
    view = fate[["nuclide", "role", "half_life", "arrives_by", "p_release_on_formation",
                 "decays_per_parent_decay", "alpha_decays_per_parent_decay",
                 "frac_decays_released", "frac_decays_off_target", "ion"]].copy()
    view.columns = ["nuclide", "role", "t1/2", "formed by", "p_release", "decays/parent",
                    "alphas/parent", "frac_released", "frac_off_target", "ion"]
    num = lambda v: _fmt(v, "{:.4f}")  # noqa: E731
    return view.to_string(index=False, na_rep="-", formatters={
        "p_release": num, "decays/parent": num, "alphas/parent": num, "frac_released": num,
        "frac_off_target": num})


@click.command("decay")
@click.argument("nuclide", callback=nuclide_argument_callback)
@click.option("--chelator", default=None, help="Chelator name (library name or alias).")
@click.option("--scenario", type=click.Choice(["internalized", "surface", "circulating"]),
              default="internalized", show_default=True,
              help="Where the conjugate is when it decays.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write a figure (.png/.svg/.pdf): every chain member's "
                                 "activity vs time, and where daughters decay (retained vs "
                                 "released) for --chelator.")
@click.option("--beta-release", type=click.FloatRange(0.0, 1.0), default=None,
              help="Release probability after beta-/EC decay of a chelated atom "
                   "(default: 0.36, see docs).")
def decay(nuclide: str, chelator: str | None, scenario: str, fmt: str, plot_path: Path | None,
          beta_release: float | None) -> None:
    """Decay chain, recoil energies and daughter fate of NUCLIDE (e.g. Ac-225, 212Pb)."""
    from chelscreen.decay import daughter_fate, decay_chain, decay_summary

    kwargs = {} if beta_release is None else {"beta_release": beta_release}
    if fmt == "json":
        summary = decay_summary(nuclide, chelator=chelator, scenario=scenario, **kwargs)
        click.echo(json.dumps(summary, indent=2))
        parent = summary["parent"]
    else:
        fate = daughter_fate(nuclide, chelator=chelator, scenario=scenario, **kwargs)
        a = fate.attrs
        parent = a["parent"]
        chain = decay_chain(parent)
        click.echo(f"Decay chain of {parent} ({a['data']})")
        click.echo(_chain_table(chain))
        chel = f"{a['chelator']} [{a['chelator_class']}]" if a["chelator"] else "none given"
        click.echo("")
        click.echo(f"Daughter fate: chelator {chel}; scenario {a['scenario']}")
        click.echo(_fate_table(fate))
        click.echo("")
        click.echo(f"alphas per parent decay (Bateman, to completion): "
                   f"{a['alphas_per_decay']:.4f}")
        click.echo(f"total alpha energy per parent decay: {a['total_alpha_energy_MeV']:.3f} MeV")
        click.echo(f"released alpha energy fraction:  {a['released_alpha_energy_fraction']:.4f}")
        click.echo(f"off-target alpha energy fraction: {a['off_target_alpha_energy_fraction']:.4f}")
        if "parent_decays_before_uptake_fraction" in a:
            click.echo(f"parent decays before target uptake: "
                       f"{a['parent_decays_before_uptake_fraction']:.4g}")
        for k, v in a["parameters"].items():
            click.echo(f"  {k} = {v['value']:.4g}  ({v['source'][:90]})")
    if plot_path is not None:
        from chelscreen.decay import plot_decay

        plot_decay(parent, plot_path, chelator=chelator, scenario=scenario, **kwargs)
        note(f"plot written to {plot_path}")
