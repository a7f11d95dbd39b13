"""The ``chelscreen`` command line: a click group with one module per subcommand.

Subcommands are imported lazily (only the one that runs), so ``chelscreen --help`` is fast and a
heavy backend is never imported for a command that does not need it. Logging is configured here,
once. Each subcommand module only parses arguments and calls library functions.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import time
from typing import Any

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
    "library": "chelscreen.cli.library:library",
    "nuclides": "chelscreen.cli.library:nuclides",
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
    "library": "List the bundled chelators (names, aliases, class, structure status).",
    "nuclides": "List the supported radionuclides.",
    "dose": "Organ alpha dose per MBq with the parent/daughter split (biokinetics x decay).",
    "enumerate": "Write an enumerated chelator library (scaffold x pendant arms).",
}


class LazyGroup(click.Group):
    """A click group whose subcommands live in their own modules, imported on use.

    Every subcommand also accepts the global options ``-v/--verbose``, ``-q/--quiet`` and
    ``--log-file`` (before or after the subcommand name, as in chemprop v2).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        return with_global_options(getattr(module, attr))

    def resolve_command(self, ctx: click.Context, args: list[str]):
        import difflib

        name = click.utils.make_str(args[0]) if args else ""
        if args and name not in SUBCOMMANDS and not name.startswith("-"):
            close = difflib.get_close_matches(name, list(SUBCOMMANDS), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint} Commands: {', '.join(SUBCOMMANDS)}.")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


_GLOBAL_PARAMS = ("verbose", "quiet", "log_file")


def _global_params() -> list[click.Option]:
    return [
        click.Option(["-v", "--verbose"], count=True,
                     help="More log output (-v info, -vv debug)."),
        click.Option(["-q", "--quiet"], is_flag=True, help="Only errors; no progress bars."),
        click.Option(["--log-file"], type=click.Path(dir_okay=False), default=None,
                     help="Also write a full debug log to this file."),
    ]


def with_global_options(cmd: click.Command) -> click.Command:
    """Give ``cmd`` the global ``-v/-q/--log-file`` options (once); they merge with the group's."""
    if getattr(cmd, "_chelscreen_global_options", False):
        return cmd
    cmd.params.extend(_global_params())
    callback = cmd.callback

    @functools.wraps(callback)
    def run(*args: Any, verbose: int = 0, quiet: bool = False, log_file: str | None = None,
            **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        root = ctx.find_root()
        obj = root.obj if isinstance(root.obj, dict) else {}
        verbose = verbose + int(obj.get("verbose", 0))
        quiet = quiet or bool(obj.get("quiet", False))
        log_file = log_file or obj.get("log_file")
        if (verbose, quiet, log_file) != (obj.get("verbose", 0), obj.get("quiet", False),
                                          obj.get("log_file")):
            configure_logging(verbose, quiet, log_file)
        obj.update(verbose=verbose, quiet=quiet, log_file=log_file)
        root.obj = obj
        _log_start(ctx)
        t0 = time.perf_counter()
        result = callback(*args, **kwargs)
        logging.getLogger("chelscreen.cli").debug(
            "%s finished in %.2f s", ctx.command_path, time.perf_counter() - t0)
        return result

    cmd.callback = run
    cmd._chelscreen_global_options = True  # type: ignore[attr-defined]
    return cmd


def _log_start(ctx: click.Context) -> None:
    import platform
    import shlex

    log = logging.getLogger("chelscreen.cli")
    log.info("chelscreen %s: %s", __version__, shlex.join(["chelscreen", *sys.argv[1:]])
             if sys.argv and sys.argv[0].endswith("chelscreen") else ctx.command_path)
    log.debug("python %s on %s; parameters %s", platform.python_version(), platform.platform(),
              {k: v for k, v in ctx.params.items() if k not in _GLOBAL_PARAMS})


def configure_logging(verbose: int, quiet: bool, log_file: str | None) -> None:
    """Set up the ``chelscreen`` logger: stderr at WARNING (-q: ERROR, -v: INFO, -vv: DEBUG).

    ``--log-file`` receives everything at DEBUG level (with ``-v``/``-vv`` or not), including
    the command line, the parameters, what was written and, for an unexpected error, the
    traceback.
    """
    level = logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logger = logging.getLogger("chelscreen")
    for h in list(logger.handlers):
        logger.removeHandler(h)
        if isinstance(h, logging.FileHandler):
            h.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    stream = logging.StreamHandler(sys.stderr)
    stream.setLevel(level)
    stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.addHandler(stream)
    if log_file:
        from pathlib import Path

        Path(log_file).expanduser().parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(Path(log_file).expanduser(), encoding="utf-8")
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
    ctx.obj.update(quiet=quiet, verbose=verbose, log_file=log_file)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: no traceback ever reaches the user.

    A ``ChelscreenError`` or an OS error (missing file, no permission, full disk) becomes a
    one-line ``Error: ...`` and exit status 2; an unexpected exception is reported in one line
    too, with its traceback written to the log (``--log-file FILE``) instead of the screen.
    """
    from chelscreen.errors import ChelscreenError

    log = logging.getLogger("chelscreen.cli")
    try:
        cli.main(args=argv, prog_name="chelscreen", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ChelscreenError, OSError) as exc:
        log.debug("error", exc_info=True)
        click.echo(f"Error: {_one_line(exc)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback to users
        log.debug("unexpected error", exc_info=True)
        click.echo(
            f"Error: {type(exc).__name__}: {_one_line(exc)}. This is unexpected; rerun with "
            "--log-file FILE to keep the details for a bug report.", err=True)
        sys.exit(1)
    else:
        sys.exit(0)
    finally:
        for h in logging.getLogger("chelscreen").handlers:
            h.flush()


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def is_quiet() -> bool:
    """True when the running command was given ``-q`` (for progress bars)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and "quiet" in ctx.obj:
            return bool(ctx.obj["quiet"])
        ctx = ctx.parent
    return False
