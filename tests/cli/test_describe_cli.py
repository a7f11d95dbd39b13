"""`chelscreen describe` end to end (in-process via the run_cli fixture)."""

from __future__ import annotations

import pandas as pd

import chelscreen.io  # noqa: F401 - a hard dependency: fail, never skip

DOTA = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"
EDTA = "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"
CROWN = "C1COCCOCCOCCOCCOCCO1"


def test_describe_library_names_prints_table(run_cli):
    res = run_cli("describe", "DOTA", "macropa")
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert "n_donors" in lines[0]
    assert len(lines) == 3
    assert lines[1].split()[1] == "DOTA" and " 8 " in lines[1]
    assert "macropa" in lines[2] and " 10 " in lines[2]


def test_describe_smi_with_bad_rows_to_csv(run_cli, tmp_path):
    smi = tmp_path / "in.smi"
    smi.write_text(f"{DOTA} dota\nC1CC((bad bad1\n{EDTA} edta\n{CROWN} crown\n")
    out = tmp_path / "out.csv"
    res = run_cli("describe", str(smi), "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 4
    assert df["status"].tolist() == ["ok", "invalid", "ok", "ok"]
    assert isinstance(df.loc[1, "message"], str) and df.loc[1, "message"]
    assert df["n_donors"].iloc[[0, 2, 3]].tolist() == [8, 6, 6]
    assert pd.isna(df.loc[1, "n_donors"])
    assert "mol" not in df.columns


def test_describe_csv_smiles_column_and_parquet(run_cli, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"label": ["a", "b"], "structure": [EDTA, DOTA]}).to_csv(src, index=False)
    out = tmp_path / "out.parquet"
    res = run_cli("describe", str(src), "--smiles-column", "structure", "--out", str(out),
                  "--n-jobs", "1")
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert df["n_donors"].tolist() == [6, 8]
    assert df["macrocycle_ring_size"].tolist() == [0, 12]


def test_describe_tsv_output(run_cli, tmp_path):
    out = tmp_path / "out.tsv"
    res = run_cli("describe", "EDTA", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, sep="\t")
    assert df.loc[0, "n_donors"] == 6 and df.loc[0, "charge_full_deprot"] == -4


def test_describe_bad_out_suffix_is_clear_error(run_cli, tmp_path):
    res = run_cli("describe", "EDTA", "--out", str(tmp_path / "out.xlsx"))
    assert res.exit_code == 2
    assert "unknown output type '.xlsx'" in res.output and ".parquet" in res.output
    assert not (tmp_path / "out.xlsx").exists()


def test_describe_needs_input(run_cli):
    res = run_cli("describe")
    assert res.exit_code != 0
    assert "INPUT" in res.output


def test_describe_sdf_with_bad_record(run_cli, tmp_path):
    from rdkit import Chem

    blocks = []
    for smi, name in ((DOTA, "dota"), (EDTA, "edta")):
        m = Chem.MolFromSmiles(smi)
        m.SetProp("_Name", name)
        blocks.append(Chem.MolToMolBlock(m) + "$$$$\n")
    bad = "broken\n  junk\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\nnot an atom line\n$$$$\n"
    sdf = tmp_path / "in.sdf"
    sdf.write_text(blocks[0] + bad + blocks[1])
    out = tmp_path / "out.csv"
    res = run_cli("describe", str(sdf), "-o", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 3
    assert df["status"].tolist() == ["ok", "invalid", "ok"]
    assert df["n_donors"].iloc[[0, 2]].tolist() == [8, 6]


def test_describe_file_parallel_matches_serial(run_cli, tmp_path):
    smi = tmp_path / "many.smi"
    rows = [f"{s} m{i}" for i, s in enumerate([DOTA, EDTA, "C1CC((", CROWN] * 60)]
    smi.write_text("\n".join(rows) + "\n")
    out1, out2 = tmp_path / "serial.csv", tmp_path / "parallel.csv"
    assert run_cli("describe", str(smi), "-o", str(out1)).exit_code == 0
    assert run_cli("describe", str(smi), "-o", str(out2), "-j", "2").exit_code == 0
    a, b = pd.read_csv(out1), pd.read_csv(out2)
    assert len(a) == 240
    pd.testing.assert_frame_equal(a, b)
    assert a["n_donors"].iloc[:4].tolist()[:2] == [8, 6]
