"""CLI tests of ``chelscreen decay``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import radioactivedecay  # noqa: F401 - a hard dependency: fail, never skip


def test_json_ac225_macropa(run_cli):
    res = run_cli("decay", "Ac-225", "--chelator", "macropa", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["parent"] == "Ac-225"
    assert data["scenario"] == "internalized"
    assert data["alphas_per_decay"] == pytest.approx(4.0, abs=1e-3)
    assert 0.7 < data["released_alpha_energy_fraction"] < 0.85
    first = data["steps"][0]
    assert list(first) == ["parent", "daughter", "mode", "branching", "half_life_s",
                           "E_alpha_MeV", "E_recoil_keV"]
    assert (first["parent"], first["daughter"], first["mode"]) == ("Ac-225", "Fr-221", "alpha")
    assert first["half_life_s"] == pytest.approx(864000.0)
    assert first["E_recoil_keV"] == pytest.approx(105.6, rel=0.01)
    assert data["chelator"] == "macropa"


def test_table_pb212(run_cli):
    res = run_cli("decay", "212Pb", "--chelator", "DOTA")
    assert res.exit_code == 0
    out = res.stdout
    assert "Pb-212" in out and "Bi-212" in out and "Po-212" in out and "Tl-208" in out
    assert "10.64 h" in out and "60.55 min" in out
    assert "169.1" in out  # 212Po -> 208Pb recoil, keV
    assert "DOTA-type" in out
    assert "alphas per parent decay (Bateman, to completion): 1.0000" in out


def test_scenario_option(run_cli):
    res = run_cli("decay", "Ac-225", "--scenario", "circulating", "--format", "json")
    data = json.loads(res.stdout)
    assert data["scenario"] == "circulating"
    assert data["off_target_alpha_energy_fraction"] == pytest.approx(
        data["released_alpha_energy_fraction"])
    assert 0 < data["parent_decays_before_uptake_fraction"] < 0.01


def test_plot(run_cli, tmp_path):
    png = tmp_path / "ac225.png"
    res = run_cli("decay", "Ac-225", "--plot", str(png))
    assert res.exit_code == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000


def test_bad_nuclide_clean_error():
    proc = subprocess.run([sys.executable, "-m", "chelscreen", "decay", "Ac"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Error:" in proc.stderr and "mass number" in proc.stderr
    assert "Traceback" not in proc.stderr
