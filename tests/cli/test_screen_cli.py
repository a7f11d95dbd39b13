"""`chelscreen screen` command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chelscreen.cli import main


def _main(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0)


def test_help_lists_options(run_cli) -> None:
    res = run_cli("screen", "--help")
    assert res.exit_code == 0
    for opt in ("--radionuclides", "--simulate-top", "--out", "--resume", "--n-jobs",
                "--executor", "--scheduler"):
        assert opt in res.output


def test_scheduler_without_dask_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from chelscreen.cli import cli

    res = CliRunner().invoke(cli, ["screen", "DOTA", "--scheduler", "tcp://127.0.0.1:1",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--executor dask" in res.output


def test_unknown_radionuclide_exits_2(tmp_path: Path, capsys) -> None:
    code = _main(["screen", "DOTA", "--radionuclides", "Qq-12", "--out", str(tmp_path)])
    assert code == 2
    assert "Qq" in capsys.readouterr().err


def test_screen_writes_four_outputs_and_prints_ranking(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = run_cli("screen", "macropa", "--radionuclides", "Ac-225,Lu-177", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "Ac-225:" in res.output and "macropa" in res.output
    for name in ("results.parquet", "results.csv", "top.sdf", "report.html"):
        assert (out / name).exists(), name
    df = pd.read_csv(out / "results.csv")
    assert df["radionuclide"].tolist() == ["Ac-225", "Lu-177"]
    assert df["rank"].tolist() == [1, 1]


def test_quiet_prints_nothing_and_resume_mismatch_exits_2(tmp_path: Path, capsys) -> None:
    out = tmp_path / "q"
    assert _main(["-q", "screen", "DOTA", "-r", "Lu-177", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert cap.out == ""
    code = _main(["-q", "screen", "DOTA", "-r", "Ga-68", "--out", str(out), "--resume"])
    assert code == 2
    assert "cannot resume" in capsys.readouterr().err
