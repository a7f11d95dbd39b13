"""The ``chelscreen`` command line: a click group with one module per subcommand.

Subcommands are imported lazily (only the one that runs), so ``chelscreen --help`` is fast and a
heavy backend is never imported for a command that does not need it. Logging is configured here,
once. Each subcommand module only parses arguments and calls library functions.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from chelscreen._version import __version__

# subcommand name -> "module:attribute"
SUBCOMMANDS: dict[str, str] = {
    "describe": "chelscreen.cli.describe:describe",
    "decay": "chelscreen.cli.decay:decay",
    "predict": "chelscreen.cli.predict:predict",
    "train": "chelscreen.cli.predict:train",
    "label": "chelscreen.cli.label:label",
    "simulate": "chelscreen.cli.simulate:simulate",
    "screen": "chelscreen.cli.screen:screen",
    "dose": "chelscreen.cli.dose:dose",
    "enumerate": "chelscreen.cli.enumerate:enumerate_cmd",
}

_HELP = {
    "describe": "Perceive donors and compute descriptors of chelators.",
    "decay": "Decay chain, recoil energies and daughter fate of a radionuclide.",
    "predict": "Predict log K1 stability constants of chelator-metal pairs.",
    "train": "Retrain the stability model on your own data (grouped CV report).",
    "label": "Radiolabeling feasibility and suggested conditions.",
    "simulate": "OpenMM simulations of metal-chelator complexes (features).",
    "screen": "Rank chelator-radionuclide pairings (the main job).",
    "dose": "Organ alpha dose per MBq with the parent/daughter split (biokinetics x decay).",
    "enumerate": "Write an enumerated chelator library (scaffold x pendant arms).",
}


class LazyGroup(click.Group):
    """A click group whose subcommands live in their own modules, imported on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def configure_logging(verbose: int, quiet: bool, log_file: str | None) -> None:
    """Set up the ``chelscreen`` logger: stderr at WARNING (-q: ERROR, -v: INFO, -vv: DEBUG)."""
    level = logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logger = logging.getLogger("chelscreen")
    logger.handlers.clear()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    stream = logging.StreamHandler(sys.stderr)
    stream.setLevel(level)
    stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.addHandler(stream)
    if log_file:
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        logger.addHandler(fh)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="chelscreen")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.option("--log-file", type=click.Path(dir_okay=False), default=None,
              help="Also write a full debug log to this file.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, log_file: str | None) -> None:
    """chelscreen: choose the right chelator for a therapeutic radiometal."""
    configure_logging(verbose, quiet, log_file)
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. ``ChelscreenError`` becomes a clean one-line error, exit 2."""
    from chelscreen.errors import ChelscreenError

    try:
        cli.main(args=argv, prog_name="chelscreen", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ChelscreenError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except FileNotFoundError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except SystemExit:
        raise
    else:
        sys.exit(0)


def is_quiet() -> bool:
    """True when the running command was given ``-q`` (for progress bars)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and "quiet" in ctx.obj:
            return bool(ctx.obj["quiet"])
        ctx = ctx.parent
    return False
