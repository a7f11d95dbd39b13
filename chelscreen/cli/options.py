"""Options and helpers shared by the subcommands (one place, so every command behaves alike).

- :func:`ligand_columns`: ``--smiles-column/--name-column/--id-column`` for commands that read
  ligands; :func:`read_cli_ligands` reads one or several INPUTs with them, keeping the user's
  other columns, and :func:`attach_input_columns` puts those columns back on the output.
- :func:`out_option`: ``-o/--out FILE``, checked before any work (suffix, folders);
  :func:`write_output` writes through :func:`chelscreen.io.write_table`, the one writer.
- :func:`radionuclides_callback` / :func:`metals_callback`: spellings validated before anything
  heavy is loaded, errors quoting what the user typed.
- :func:`note`: a message to stderr (unless ``-q``) that also reaches ``--log-file``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

logger = logging.getLogger("chelscreen.cli")


def ligand_columns(f: Callable) -> Callable:
    """Add ``--smiles-column``, ``--name-column`` and ``--id-column`` to a command."""
    f = click.option("--id-column", default=None, metavar="COLUMN",
                     help="Column (CSV/TSV) or SDF property holding the ids (default: 'id').")(f)
    f = click.option("--name-column", default=None, metavar="COLUMN",
                     help="Column (CSV/TSV) or SDF property holding the names "
                          "(default: 'name', SDF title).")(f)
    f = click.option("--smiles-column", default=None, metavar="COLUMN",
                     help="Column (CSV/TSV) holding the SMILES (default: 'smiles').")(f)
    return f


def _check_out(ctx: click.Context, param: click.Parameter, value: Any) -> Path | None:
    if value is None:
        return None
    from chelscreen.errors import OutputFileError
    from chelscreen.io import check_output_path

    try:
        return check_output_path(value)
    except OutputFileError as exc:
        raise click.BadParameter(str(exc)) from None


def out_option(default_text: str = "a table on standard output") -> Callable:
    """``-o/--out FILE``: the format follows the suffix; checked before any work starts."""
    return click.option(
        "-o", "--out", default=None, metavar="FILE", callback=_check_out,
        help=f"Write all columns to FILE (.csv, .tsv, .parquet, .json or .sdf; folders are "
             f"created). Default: {default_text}.")


FIGURE_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".eps")


def figure_path_callback(ctx: click.Context, param: click.Parameter,
                         value: Any) -> Path | None:
    """A figure file: the format from its suffix, refused before any work when unknown."""
    if value is None:
        return None
    p = Path(value)
    if p.suffix.lower() not in FIGURE_SUFFIXES:
        raise click.BadParameter(
            f"cannot draw {p}: unknown figure type {p.suffix or 'none'!r}; use one of "
            f"{', '.join(FIGURE_SUFFIXES)}")
    if p.is_dir():
        raise click.BadParameter(f"{p} is a folder; give a file name such as {p / 'plot.png'}")
    return p


def _split(value: str) -> list[str]:
    return [t.strip() for t in str(value).split(",") if t.strip()]


def radionuclides_callback(ctx: click.Context, param: click.Parameter,
                           value: str | None) -> str | None:
    """Validate a comma-separated list of radionuclides before anything heavy is loaded."""
    if value is None:
        return None
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import parse_radionuclide

    items = _split(value)
    if not items:
        raise click.BadParameter("no radionuclide given; write e.g. 'Ac-225,Lu-177'")
    names: list[str] = []
    for text in items:
        try:
            name = parse_radionuclide(text).nuclide
        except UnsupportedMetalError as exc:
            raise click.BadParameter(str(exc)) from None
        if name in names:
            logger.warning("radionuclide %r given twice (as %s); used once", text, name)
        else:
            names.append(name)
    return ",".join(names)


def nuclide_argument_callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Validate one radionuclide (any element: the decay tools also take At-211, Rn-220)."""
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import parse_nuclide, parse_radionuclide

    try:
        return parse_nuclide(value)
    except UnsupportedMetalError:
        try:
            parse_radionuclide(value, chelatable=False)
        except UnsupportedMetalError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def metals_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Validate a comma-separated list of metal ions or radionuclides (``Ac3+,Lu-177``)."""
    if value is None:
        return None
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import parse_metal, radionuclides

    items = _split(value)
    if not items:
        raise click.BadParameter("no metal given; write e.g. 'Ac3+,Lu-177'")
    for text in items:
        try:
            parse_metal(text)
        except UnsupportedMetalError as exc:
            from chelscreen.metals import unsupported_reason

            why = unsupported_reason(exc)
            nucs = ", ".join(radionuclides().query("chelatable")["nuclide"])
            raise click.BadParameter(
                f"{why.rstrip('. ')}. Give an ion (Ac3+, Lu3+, Pb2+ ...; list: "
                f"chelscreen.metals.supported_ions()) or a radionuclide ({nucs}; see "
                "'chelscreen nuclides').") from None
    return ",".join(items)


def read_cli_ligands(inputs: str | Sequence[str], smiles_column: str | None = None,
                     name_column: str | None = None, id_column: str | None = None,
                     n_jobs: int = 1, keep_mol: bool = True):
    """Read the INPUT argument(s) of a command into a ``read_ligands`` frame (extra columns kept).

    One INPUT is read as it is (file, SMILES, library name, comma list). Several INPUTs that
    are all SMILES or names become one list (``screen DOTA macropa``); with files among them,
    each is read and the tables are stacked in the given order (an id that repeats gets the
    file's name as a prefix).
    """
    import pandas as pd

    from chelscreen.io import read_ligands

    items = [inputs] if isinstance(inputs, str) else list(inputs)
    kw = dict(smiles_column=smiles_column, name_column=name_column, id_column=id_column,
              n_jobs=n_jobs, keep_columns=True, keep_mol=keep_mol)
    if len(items) == 1:
        return read_ligands(items[0], **kw)
    files = [Path(p).expanduser().is_file() for p in items]
    if not any(files):
        return read_ligands(list(items), **kw)
    frames = []
    for item, is_file in zip(items, files):
        df = read_ligands(item, **kw)
        df["_source"] = Path(item).name if is_file else "input"
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    dup = df["id"].duplicated(keep=False)
    df.loc[dup, "id"] = df.loc[dup, "_source"] + ":" + df.loc[dup, "id"]
    df = df.drop(columns=["_source"])
    cols = [c for c in df.columns if c != "mol"] + ["mol"]
    return df[cols].fillna({c: "" for c in df.columns if c != "mol"})


def input_column_names(ligands) -> list[str]:
    """The user's extra columns of a :func:`read_cli_ligands` frame."""
    from chelscreen.io import COLUMNS

    return [c for c in ligands.columns if c not in COLUMNS]


def base_ligands(ligands):
    """The ``read_ligands`` columns only (what the library functions take)."""
    from chelscreen.io import COLUMNS

    return ligands[[c for c in COLUMNS if c in ligands.columns]]


def attach_input_columns(result, ligands, id_column: str = "id"):
    """Append the user's extra input columns to a ligand-major ``result``.

    ``result`` holds ``k`` consecutive rows per ligand (``k`` = 1 for describe, the number of
    metals/radionuclides otherwise), in input order; its ids must match the ligands'. When
    they do not, the result is returned unchanged (and the mismatch is logged).
    """
    import numpy as np

    extra = input_column_names(ligands)
    n = len(ligands)
    if not extra or n == 0 or len(result) % n:
        return result
    k = len(result) // n
    ids = np.repeat(ligands["id"].astype(str).to_numpy(), k)
    if id_column in result.columns and list(result[id_column].astype(str)) != list(ids):
        logger.debug("input columns not attached: output ids do not follow the input order")
        return result
    out = result.reset_index(drop=True).copy()
    for col in extra:
        name = col if col not in out.columns else f"input_{col}"
        out[name] = np.repeat(ligands[col].to_numpy(dtype=object), k)
    return out


def write_output(df, out: Path | None, what: str = "rows") -> bool:
    """Write ``df`` to ``out`` through the one writer; False when there is no ``--out``."""
    if out is None:
        return False
    from chelscreen.io import write_table

    write_table(df, out)
    n_bad = int(df["status"].isin(["invalid", "error"]).sum()) if "status" in df else 0
    extra = f" ({n_bad} invalid or error, see 'message')" if n_bad else ""
    note(f"wrote {len(df)} {what}{extra} to {out}")
    return True


def note(message: str) -> None:
    """Tell the user something on stderr (not with ``-q``); it also goes to ``--log-file``."""
    from chelscreen.cli import is_quiet

    logger.info(message)
    if not is_quiet() and not _stderr_shows_info():
        click.echo(message, err=True)


def _stderr_shows_info() -> bool:
    import sys

    for h in logging.getLogger("chelscreen").handlers:
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stderr \
                and h.level <= logging.INFO:
            return True
    return False
