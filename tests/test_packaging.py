"""The wheel carries molecules/ and models/, and an installed chelscreen finds them from any cwd."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git needed to build from a checkout")
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = list(out.glob("chelscreen-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_bundled_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "chelscreen/_bundled/molecules/chelators.csv" in names
    assert any(n.startswith("chelscreen/_bundled/models/") for n in names)
    assert "chelscreen/cli/__init__.py" in names
    # no test or benchmark code in the wheel
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_installed_package_finds_library_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import chelscreen, chelscreen._resources as r;"
        "p = r.molecules_dir();"
        "assert '_bundled' in str(p), p;"
        "assert (p / 'chelators.csv').is_file();"
        "print(chelscreen.__file__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(site) in proc.stdout


def test_cli_shim_matches_console_script() -> None:
    a = subprocess.run([sys.executable, str(REPO / "cli.py"), "--version"],
                       capture_output=True, text=True)
    b = subprocess.run([sys.executable, "-m", "chelscreen.cli", "--version"],
                       capture_output=True, text=True)
    assert a.returncode == 0, a.stderr
    assert a.stdout.strip().startswith("chelscreen, version")
    assert a.stdout == b.stdout
