"""CLI: chelscreen label."""

from __future__ import annotations

import json
import subprocess
import sys


def test_label_macropa_table(run_cli):
    res = run_cli("label", "macropa", "--radionuclides", "Ac-225,Lu-177")
    assert res.exit_code == 0
    assert "Ac-225" in res.output and "Lu-177" in res.output and "macropa" in res.output


def test_label_json_and_out(run_cli, tmp_path):
    out = tmp_path / "lab.json"
    res = run_cli("label", "macropa", "-r", "Ac-225", "--format", "json", "--out", str(out))
    assert res.exit_code == 0
    rec = json.loads(out.read_text())
    assert rec[0]["radionuclide"] == "Ac-225"
    assert 0 <= rec[0]["mild_labeling_prob"] <= 1
    assert rec[0]["suggested_temperature_C"] == 25.0


def test_label_csv_file_input(run_cli, tmp_path):
    smi = tmp_path / "in.smi"
    smi.write_text("OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1 nota\nC1CC(bad bad\n")
    res = run_cli("label", str(smi), "-r", "Ga-68", "--format", "csv")
    assert res.exit_code == 0
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("chelator,smiles,radionuclide")
    assert len(lines) == 3 and "invalid" in lines[2]


def test_label_bad_nuclide_in_process(run_cli):
    # validated while the options are parsed (before the model loads): a usage error, exit 2
    res = run_cli("label", "macropa", "-r", "Qq-1")
    assert res.exit_code == 2
    assert "unknown radionuclide 'Qq-1'" in res.output and "Ac-225" in res.output


def test_label_bad_nuclide_exit_code():
    proc = subprocess.run([sys.executable, "-m", "chelscreen", "label", "macropa", "-r", "Qq-1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Qq" in proc.stderr
