"""CLI: chelscreen predict (ligands × metals, pairs CSV) and chelscreen train."""

from __future__ import annotations

import io

import pandas as pd
import pytest

EDTA = "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"
NEW = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(=O)NCc2ccccc2)CC1"


def test_predict_ligands_times_metals(run_cli, tmp_path):
    out = tmp_path / "p.csv"
    res = run_cli("predict", EDTA, "--metals", "Cu2+,Lu-177", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert df["metal"].tolist() == ["Cu2+", "Lu-177"]
    assert df["logK_pred"].notna().all()


def test_predict_pairs_csv_to_stdout(run_cli, test_data):
    res = run_cli("-q", "predict", str(test_data / "model" / "pairs.csv"))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(io.StringIO(res.stdout))
    assert df["id"].tolist() == ["edta-cu", "bad-smiles", "nta-lu", "bad-metal", "edta-ca"]
    assert df["status"].tolist()[1] == "invalid"


def test_predict_with_anchors_and_ionic_strength(run_cli, tmp_path):
    anchors = tmp_path / "anchors.csv"
    anchors.write_text(f"smiles,metal,logK,ionic_strength\n{NEW},La3+,19.0,0.1\n")
    out = tmp_path / "p.csv"
    res = run_cli("predict", NEW, "--metals", "Ce3+,Lu-177", "--anchors", str(anchors),
                  "--ionic-strength", "0.5", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert df["metal"].tolist() == ["Ce3+", "Lu-177"]
    assert df["logK_basis"].tolist() == ["anchored", "anchored"]
    assert df["ionic_strength_M"].tolist() == [0.5, 0.5]


def test_predict_bad_anchors_clean_error(run_cli, tmp_path):
    anchors = tmp_path / "anchors.csv"
    anchors.write_text("smiles,metal\nCCO,La3+\n")
    res = run_cli("predict", EDTA, "--metals", "Cu2+", "--anchors", str(anchors))
    assert res.exit_code != 0
    assert "logK" in res.output and "Traceback" not in res.output


def test_predict_requires_metals_for_ligand_input(run_cli):
    from click.testing import CliRunner

    from chelscreen.cli import cli

    res = CliRunner().invoke(cli, ["predict", EDTA])
    assert res.exit_code != 0
    assert "--metals" in res.output


@pytest.mark.slow
def test_train_then_predict_with_model(run_cli, test_data, tmp_path):
    mdir = tmp_path / "mymodel"
    log = tmp_path / "train.log"
    res = run_cli("train", str(test_data / "model" / "tiny_train.csv"), "--out", str(mdir),
                  "--folds", "3", "--no-basicity", "--log-file", str(log))
    assert res.exit_code == 0, res.output
    assert "grouped CV" in res.output and "MAE" in res.output
    # progress: announced with the number of fits, and every fit was counted (bar + estimate)
    assert "training on 102 rows: 4 model fit(s)" in res.output
    assert "4 of 4 model fits reported progress" in log.read_text()
    out = tmp_path / "p.csv"
    res = run_cli("predict", EDTA, "--metals", "Cu2+,Ca2+", "--model", str(mdir), "--out",
                  str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    # EDTA is in the tiny training set: measured values shown, Cu2+ above Ca2+
    assert df["logK_exp"].notna().all()
    assert df["logK_pred"].iloc[0] > df["logK_pred"].iloc[1]


def test_predict_with_no_predictable_row_exits_2_with_the_first_reason(tmp_path):
    # review M3: only invalid input exited 0 with two redundant warnings
    import subprocess
    import sys

    out = tmp_path / "p.csv"
    res = subprocess.run([sys.executable, "-m", "chelscreen", "predict", "C1CC(N", "--metals",
                          "Lu-177", "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 2, res.stderr
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("Error")]
    assert len(errors) == 1 and "row 1 (L0001)" in errors[0] and "parentheses" in errors[0]
    assert "rows are invalid" not in res.stderr  # the reading step already counted them
    assert out.exists()
