"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def test_data() -> Path:
    return DATA


@pytest.fixture
def run_cli():
    """Run the chelscreen CLI in-process; returns a click Result (exit_code, output, stderr)."""
    from click.testing import CliRunner

    from chelscreen.cli import cli

    def _run(*args: str, input: str | None = None):
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return _run
