"""Shared fixture of the reliability tests: the CLI entry point (work units: ``tests.work_units``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_main(capsys):
    """Run the real console entry point (``chelscreen.cli.main``) in-process.

    Returns ``(exit_code, stdout, stderr)``; a traceback would surface as a test error."""
    from chelscreen.cli import main

    def _run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run
