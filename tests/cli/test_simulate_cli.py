"""``chelscreen simulate`` command line."""

from __future__ import annotations

import re

import openmm  # noqa: F401 - a hard dependency: fail, never skip
import pandas as pd


def test_simulate_cli_rows_in_order_bad_rows_kept(run_cli, tmp_path):
    smi = tmp_path / "ligs.smi"
    smi.write_text("OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O EDTA\nnot_a_smiles(( broken\n")
    out = tmp_path / "sim.csv"
    # a misspelt metal is refused before anything is built or loaded
    res = run_cli("-q", "simulate", str(smi), "--metals", "Lu3+,Xx3+", "--out", str(out))
    assert res.exit_code == 2 and "'Xx' is not an element" in res.output
    assert not out.exists()
    res = run_cli("-q", "simulate", str(smi), "--metals", "Lu3+,Y3+", "--protocol", "fast",
                  "--conformers", "2", "--out", str(out), "--structures", str(tmp_path / "st"),
                  "--cache-dir", str(tmp_path / "cache"))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 4
    assert list(df["metal"]) == ["Lu3+", "Y3+", "Lu3+", "Y3+"]
    assert (df.loc[:1, "status"] == "ok").all() and df.loc[0, "cn_initial"] == 6
    assert (df.loc[2:, "status"] == "invalid").all()
    assert df.loc[2:, "message"].str.len().gt(10).all()
    assert list((tmp_path / "st").glob("*.pdb")) and list((tmp_path / "st").glob("*.sdf"))


def test_simulate_cli_library_name_stdout(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("CHELSCREEN_CACHE_DIR", str(tmp_path))
    res = run_cli("-q", "simulate", "NOTA", "--metals", "Ga-68", "--conformers", "2", "-j", "1")
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stdout.splitlines() if x.strip()]
    assert lines[0].startswith("id,name,smiles,metal,protocol,cn_initial")
    assert "Ga3+" in lines[1] and "fallback" in lines[1]
    assert list((tmp_path / "simulate").glob("*.json"))  # the default cache was used
    assert {"build_s", "md_s", "strain_s", "wall_s"} <= set(lines[0].split(","))


def test_simulate_cli_no_cache(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("CHELSCREEN_CACHE_DIR", str(tmp_path))
    res = run_cli("simulate", "OC(=O)CNCC(=O)O", "--metals", "Ca2+", "--conformers", "1",
                  "--no-cache")
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "simulate").exists()
    # the per-stage time split, relaxation included, is reported (stderr)
    assert re.search(r"time per stage .*build [\d.]+ \(relaxation [\d.]+ of it\), MD [\d.]+, "
                     r"strain [\d.]+, total [\d.]+", res.stderr), res.stderr


def test_simulate_cli_rejects_bad_protocol(run_cli):
    from click.testing import CliRunner

    from chelscreen.cli import cli

    res = CliRunner().invoke(cli, ["simulate", "EDTA", "--metals", "Lu", "--protocol", "slow"])
    assert res.exit_code != 0
    assert "protocol" in res.output.lower()
