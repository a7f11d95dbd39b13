"""``chelscreen decay``: decay chain, recoil energies and daughter fate of a radionuclide."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import click

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


def _plot(nuclide: str, path: Path, stop_half_life_s: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import radioactivedecay as rd

    from chelscreen.decay import _readable_half_life, activity_curves

    curves = activity_curves(nuclide, stop_half_life_s=stop_half_life_s)
    t = np.asarray(curves.index, dtype=float)
    t_hl = rd.Nuclide(curves.columns[0]).half_life("s")
    unit, size = (("d", 86400.0) if t_hl >= 2 * 86400 else ("h", 3600.0) if t_hl >= 2 * 3600
                  else ("min", 60.0))
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for col in curves.columns:
        y = curves[col].to_numpy()
        if not np.any(y > 1e-6):
            continue
        style = "-" if col == curves.columns[0] else "--"
        ax.plot(t / size, np.where(y > 0, y, np.nan), style,
                label=f"{col} (t1/2 {_readable_half_life(rd, col)})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 2.0)
    ax.set_xlabel(f"time after pure {curves.columns[0]} at t = 0 ({unit})")
    ax.set_ylabel("activity per unit initial parent activity (Bq/Bq)")
    ax.set_title(f"{curves.columns[0]} decay chain: activities (Bateman, ICRP-107)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@click.command("decay")
@click.argument("nuclide")
@click.option("--chelator", default=None, help="Chelator name (library name or alias).")
@click.option("--scenario", type=click.Choice(["internalized", "surface", "circulating"]),
              default="internalized", show_default=True,
              help="Where the conjugate is when it decays.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write a PNG of every chain member's activity vs time.")
@click.option("--beta-release", type=click.FloatRange(0.0, 1.0), default=None,
              help="Release probability after beta-/EC decay of a chelated atom "
                   "(default: 0.36, see docs).")
def decay(nuclide: str, chelator: str | None, scenario: str, fmt: str, plot_path: Path | None,
          beta_release: float | None) -> None:
    """Decay chain, recoil energies and daughter fate of NUCLIDE (e.g. Ac-225, 212Pb)."""
    from chelscreen.decay import (
        DEFAULT_STOP_HALF_LIFE_S,
        daughter_fate,
        decay_chain,
        decay_summary,
    )

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
        _plot(parent, plot_path, DEFAULT_STOP_HALF_LIFE_S)
        logger.info("wrote %s", plot_path)
        click.echo(f"plot written to {plot_path}", err=True)
