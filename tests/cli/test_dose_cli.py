"""``chelscreen dose`` from the command line."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chelscreen", "dose", *args],
                          capture_output=True, text=True, timeout=300)


def test_dose_prints_split_and_writes_plot_and_table(tmp_path):
    png, csv = tmp_path / "d.png", tmp_path / "sub" / "d.csv"
    r = _run("Ac-225", "--chelator", "macropa", "--preset", "mouse", "--samples", "5",
             "--plot", str(png), "--out", str(csv))
    assert r.returncode == 0, r.stderr
    assert "daughters_released" in r.stdout and "kidneys" in r.stdout
    assert "outside the tumour" in r.stdout
    assert png.stat().st_size > 1000
    df = pd.read_csv(csv)
    assert {"organ", "nuclide", "form", "dose_Gy_per_MBq"} <= set(df.columns)


def test_dose_bad_param_is_one_line(tmp_path):
    r = _run("Ac-225", "--param", "vector.T_blod_h=3", "--samples", "0")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "unknown dosimetry parameter" in r.stderr
    r = _run("Ac-225", "--param", "novalue", "--samples", "0")
    assert r.returncode != 0 and "KEY=VALUE" in r.stderr and "Traceback" not in r.stderr


def test_dose_params_file_and_list(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("parameter,value\nvector.T_blood_h,30\n")
    r = _run("Pb-212", "--preset", "human", "--params-file", str(f), "--samples", "0")
    assert r.returncode == 0, r.stderr
    r = _run("Pb-212", "--list-params")
    assert r.returncode == 0 and "T_blood_h" in r.stdout and "assumption" in r.stdout
