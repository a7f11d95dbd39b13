"""``chelscreen library`` and ``chelscreen nuclides``: what the tool knows, as tables."""

from __future__ import annotations

import logging

import click

from chelscreen.cli.options import out_option, write_output

logger = logging.getLogger(__name__)

#: the structure-status column of molecules/chelators.csv, first one present
_STATUS_COLUMNS = ("structure_status", "status")


def _short(text: object, n: int) -> str:
    s = "" if text is None else " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _echo_table(df) -> None:  # noqa: ANN001 - DataFrame
    import pandas as pd

    with pd.option_context("display.max_rows", 1000, "display.max_columns", 50,
                           "display.width", 220, "display.max_colwidth", 80):
        click.echo(df.to_string(index=False))


@click.command("library")
@click.argument("name", required=False)
@click.option("--class", "klass", default=None, metavar="CLASS",
              help="Only chelators of this class (macrocycle, acyclic, conjugate, crown ...).")
@out_option("a short table on standard output")
def library(name: str | None, klass: str | None, out) -> None:  # noqa: ANN001
    """List the bundled chelators: name, aliases, class and structure status.

    With NAME, show that chelator's entry (any alias; a misspelt name gets suggestions).
    These names can be used wherever chelscreen takes a ligand (describe DOTA, screen macropa).
    """
    from chelscreen.errors import InputFileError
    from chelscreen.io import library_lookup, load_library, suggest_names

    lib = load_library()
    status_col = next((c for c in _STATUS_COLUMNS if c in lib.columns), None)
    if name is not None:
        row = library_lookup(name)
        if row is None:
            close = suggest_names(name)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise InputFileError(f"{name!r} is not in the chelator library; {hint}"
                                 "'chelscreen library' lists them all")
        for key, val in row.items():
            click.echo(f"{key:>16}: {val}")
        return
    if klass is not None:
        classes = sorted(set(lib["class"])) if "class" in lib.columns else []
        keep = lib["class"].str.casefold() == klass.casefold() if classes else lib.index < 0
        if not keep.any():
            raise click.BadParameter(f"no chelator of class {klass!r}; classes: "
                                     f"{', '.join(classes)}", param_hint="--class")
        lib = lib[keep]
    if write_output(lib, out, "chelators"):
        return
    view = lib[["name"]].copy()
    view["aliases"] = lib["aliases"].map(lambda a: _short(str(a).replace(";", ", "), 36))
    if "class" in lib.columns:
        view["class"] = lib["class"]
    if status_col is not None:
        view["status"] = lib[status_col]
    elif "structure_source" in lib.columns:
        view["structure source"] = lib["structure_source"].map(lambda s: _short(s, 60))
    _echo_table(view)
    click.echo(f"{len(lib)} chelators (molecules/chelators.csv); "
               "'chelscreen library NAME' shows one entry", err=True)


@click.command("nuclides")
@click.option("--all", "show_all", is_flag=True,
              help="Also list the chain members and non-chelatable nuclides (decay data only).")
@out_option("a table on standard output")
def nuclides(show_all: bool, out) -> None:  # noqa: ANN001
    """List the supported radionuclides: role, half-life and the metal ion chelated.

    Any other ICRP-107 isotope of a supported metal is accepted as well, written as
    radioactivedecay writes it (Ac-225, AC-225, 225-Ac, 225Ac, ac225).
    """
    import pandas as pd

    from chelscreen.metals import radionuclides

    df = radionuclides()
    if show_all:
        import csv

        from chelscreen._resources import data_dir

        with (data_dir() / "nuclides.csv").open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r["nuclide"] not in set(df["nuclide"])]
        df = pd.concat([df, pd.DataFrame({
            "nuclide": [r["nuclide"] for r in rows], "role": [r["role"] for r in rows],
            "half_life": [r["half_life"] for r in rows],
            "half_life_s": [float(r["half_life_s"]) for r in rows],
            "ion": "", "chelatable": False})], ignore_index=True)
    else:
        df = df[df["chelatable"]].reset_index(drop=True)
    if write_output(df, out, "radionuclides"):
        return
    view = df[["nuclide", "half_life", "ion", "role"]].rename(columns={"half_life": "t1/2"})
    _echo_table(view)
