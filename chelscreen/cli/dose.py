"""``chelscreen dose``: organ alpha dose with the parent/daughter split, per chelator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from chelscreen.cli.options import nuclide_argument_callback


def _parse_params(items: tuple[str, ...], files: tuple[str, ...]) -> dict[str, float]:
    """``--param key=value`` items and CSV files with columns ``parameter,value``."""
    out: dict[str, float] = {}
    for f in files:
        import pandas as pd

        try:
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"cannot read {f}: {exc}", param_hint="--params-file") from None
        if not {"parameter", "value"} <= set(df.columns):
            raise click.BadParameter(f"{f} needs the columns 'parameter,value'",
                                     param_hint="--params-file")
        for i, r in enumerate(df.itertuples(), start=2):
            try:
                out[r.parameter.strip()] = float(r.value)
            except ValueError:
                raise click.BadParameter(f"{f} line {i}: value {r.value!r} is not a number",
                                         param_hint="--params-file") from None
    for item in items:
        key, sep, val = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: write KEY=VALUE, e.g. vector.T_blood_h=30",
                                     param_hint="--param")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            raise click.BadParameter(f"{item!r}: {val!r} is not a number",
                                     param_hint="--param") from None
    return out


@click.command("dose")
@click.argument("radionuclide", callback=nuclide_argument_callback)
@click.option("--chelator", default=None, help="Chelator name (decides release after beta decay).")
@click.option("--preset", type=click.Choice(["mouse", "human"]), default="mouse",
              show_default=True, help="Organ masses and default vector kinetics.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Override one parameter, e.g. vector.T_blood_h=30 (repeatable).")
@click.option("--params-file", "params_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns parameter,value (overrides).")
@click.option("--samples", default=200, show_default=True, type=click.IntRange(0, 10000),
              help="Parameter samples for the 90 % intervals (0: point estimate only).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the per-organ, per-nuclide table (.csv, .tsv or .json).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Stacked bars of organ dose by nuclide (.png, .pdf, .svg).")
@click.option("--list-params", is_flag=True, help="List the preset's parameters with sources.")
def dose(radionuclide: str, chelator: str | None, preset: str, params: tuple[str, ...],
         params_files: tuple[str, ...], samples: int, out: str | None, plot: str | None,
         list_params: bool) -> None:
    """Organ alpha dose (Gy per MBq) of RADIONUCLIDE on its vector, parent vs daughters.

    Released daughters (alpha recoil; beta decay with the chelator's release probability)
    follow the ICRP systemic model of their element; the split shows how much of each organ's
    dose comes from daughters that left the chelate.
    """
    from chelscreen import dosimetry

    if list_params:
        tab = dosimetry.biokinetic_parameters(preset)
        tab = tab[tab.kind.isin(["vector", "param", "mass", "rule"])]
        click.echo(tab[["kind", "from_compartment", "value", "unit", "low", "high",
                        "source"]].to_string(index=False))
        return
    overrides = _parse_params(params, params_files)
    d = dosimetry.dose(radionuclide, chelator, preset=preset, params=overrides,
                       n_samples=samples)
    summary = dosimetry.organ_summary(d)
    click.echo(f"{d.attrs['radionuclide']}"
               + (f" with {chelator}" if chelator else "")
               + f", preset {preset}: alpha absorbed dose (Gy per MBq administered)")
    fmt = lambda v: "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"  # noqa: E731
    click.echo(summary.to_string(float_format=fmt, na_rep="-"))
    lo_hi = d.attrs.get("offtarget_alpha_fraction_90")
    frac = d.attrs["offtarget_alpha_fraction"]
    line = f"alpha energy deposited outside the tumour: {frac:.1%}"
    if lo_hi:
        line += f" (90 % interval {lo_hi[0]:.1%}–{lo_hi[1]:.1%})"
    click.echo(line)
    click.echo("organs without a sourced mass show '-' (decays are still in --out); "
               "assumptions: " + d.attrs["assumptions"])
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            d.to_csv(path, index=False)
        elif suffix == ".tsv":
            d.to_csv(path, index=False, sep="\t")
        elif suffix == ".json":
            path.write_text(json.dumps({"attrs": {k: v for k, v in d.attrs.items()
                                                  if k != "parameters"},
                                        "rows": json.loads(d.to_json(orient="records"))},
                                       indent=1, default=str))
        else:
            raise click.BadParameter(f"unknown output format {suffix!r}; use .csv, .tsv or .json",
                                     param_hint="--out")
        click.echo(f"wrote {path}")
    if plot:
        path = Path(plot)
        if path.suffix.lower() not in (".png", ".pdf", ".svg"):
            raise click.BadParameter("the plot must end in .png, .pdf or .svg", param_hint="--plot")
        path.parent.mkdir(parents=True, exist_ok=True)
        dosimetry.dose_plot(d, path)
        click.echo(f"wrote {path}")
