"""Product contracts of the command line (issue: a CLI a new user can trust).

Each test names the contract it checks. CLI runs are in-process (``run_cli``) unless the test
is about what reaches a real terminal (exit codes, tracebacks), then ``main()`` is called.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

from chelscreen.cli import main

DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"
NTA = "OC(=O)CN(CC(=O)O)CC(=O)O"


def _main(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


# --- global options ---------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", [
    ["describe", "DOTA"], ["library"], ["nuclides"], ["decay", "Ac-225"],
    ["label", "DOTA", "-r", "Ga-68"],
])
def test_global_options_after_the_subcommand(run_cli, tmp_path, cmd):
    log = tmp_path / "run.log"
    res = run_cli(*cmd, "-q", "-vv", "--log-file", str(log))
    assert res.exit_code == 0, res.output
    text = log.read_text()
    assert f"chelscreen {cmd[0]}" in text or cmd[0] in text
    assert "DEBUG" in text and "finished in" in text


def test_verbose_log_file_is_not_empty_and_quiet_is_silent(tmp_path, capsys):
    log = tmp_path / "sub" / "x.log"
    assert _main(["-vv", "--log-file", str(log), "describe", "DOTA", "-o",
                  str(tmp_path / "d.csv")]) == 0
    text = log.read_text()
    assert "describe" in text and "wrote 1 rows" in text
    capsys.readouterr()
    assert _main(["describe", "DOTA", "-q", "-o", str(tmp_path / "d2.csv")]) == 0
    assert capsys.readouterr().err == ""


def test_misspelt_subcommand_suggests(run_cli):
    res = run_cli("describ", "DOTA")
    assert res.exit_code == 2 and "Did you mean 'describe'?" in res.output


# --- ligand columns on every command that reads ligands ------------------------------------
@pytest.fixture
def odd_columns_csv(tmp_path) -> Path:
    f = tmp_path / "odd.csv"
    f.write_text(f"Code,Structure,Label,batch\nX1,{DOTA},dota,b7\nX2,{EDTA},edta,b8\n")
    return f


@pytest.mark.parametrize("cmd", [
    ["describe"], ["predict", "-m", "Lu3+"], ["label", "-r", "Lu-177"],
])
def test_column_options_and_extra_columns_kept(run_cli, tmp_path, odd_columns_csv, cmd):
    out = tmp_path / "out.csv"
    res = run_cli(cmd[0], str(odd_columns_csv), *cmd[1:], "--smiles-column", "Structure",
                  "--name-column", "Label", "--id-column", "Code", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert df["batch"].tolist() == ["b7", "b8"]  # the user's own column, in input order
    name_col = "chelator" if cmd[0] == "label" else "name"
    assert df[name_col].tolist() == ["dota", "edta"]
    if "id" in df:
        assert df["id"].tolist() == ["X1", "X2"]


def test_screen_has_column_options_sdf_names_and_several_inputs(run_cli, tmp_path):
    sdf = tmp_path / "in.sdf"
    w = Chem.SDWriter(str(sdf))
    for smi, name, extra in ((NTA, "my-NTA", "lot 1"), (EDTA, "my-EDTA", "lot 2")):
        m = Chem.MolFromSmiles(smi)
        m.SetProp("_Name", "")
        m.SetProp("Compound", name)
        m.SetProp("lot", extra)
        w.write(m)
    w.close()
    out = tmp_path / "res"
    res = run_cli("-q", "screen", str(sdf), "DOTA", "--name-column", "Compound",
                  "-r", "lu177", "--out", str(out), "--no-labeling")
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "results.csv")
    assert df["chelator"].tolist() == ["my-NTA", "my-EDTA", "DOTA"]
    assert df["lot"].fillna("").tolist() == ["lot 1", "lot 2", ""]
    assert df["radionuclide"].unique().tolist() == ["Lu-177"]


# --- names: did you mean, library, nuclides ---------------------------------------------------
def test_did_you_mean_in_describe_and_screen(run_cli, tmp_path, capsys):
    res = run_cli("describe", "macrpa")
    assert "did you mean 'macropa'" in res.output
    code = _main(["screen", "DOTA", "macrpa", "-r", "Lu-177", "--out", str(tmp_path / "s"),
                  "--no-labeling"])
    assert code == 0
    err = capsys.readouterr().err
    assert "could not be scored" in err and "macrpa" in err and "did you mean 'macropa'" in err
    bad_line = next(ln for ln in err.splitlines() if "did you mean 'macropa'" in ln)
    row_id = bad_line.strip().split(":")[0].split()[0]
    assert f"{row_id} {row_id}" not in bad_line  # the id is not printed twice


def test_library_command(run_cli, tmp_path):
    res = run_cli("library")
    assert res.exit_code == 0
    assert "macropa" in res.output and "aliases" in res.output and "class" in res.output
    res = run_cli("library", "tcmc")
    assert res.exit_code == 0 and "DOTAM" in res.output
    res = run_cli("library", "--class", "crown", "-o", str(tmp_path / "crowns.json"))
    rows = json.loads((tmp_path / "crowns.json").read_text())
    assert rows and all(r["class"] == "crown" for r in rows)


def test_library_unknown_name_suggests(tmp_path, capsys):
    assert _main(["library", "macrpa"]) == 2
    assert "did you mean 'macropa'" in capsys.readouterr().err


def test_nuclides_command(run_cli):
    res = run_cli("nuclides")
    assert res.exit_code == 0
    for nuc in ("Ac-225", "Lu-177", "Pb-212", "Ga-68"):
        assert nuc in res.output
    assert "At-211" not in res.output  # not a chelatable metal
    assert "At-211" in run_cli("nuclides", "--all").output


# --- radionuclide spellings --------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["AC-225", "225-Ac", "ac225", "[225Ac]"])
def test_radioactivedecay_spellings_accepted(run_cli, spelling):
    res = run_cli("label", "DOTA", "-r", spelling, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert ",Ac-225," in res.output


def test_bad_radionuclide_fails_fast_quoting_input_and_listing_nuclides():
    code = ("import sys, time\n"
            "from chelscreen.cli import main\n"
            "t = time.perf_counter()\n"
            "try:\n    main(['screen', 'DOTA', '-r', 'Ac-2255', '--out', sys.argv[1]])\n"
            "except SystemExit as e:\n    rc = e.code\n"
            "heavy = [m for m in ('chelscreen.model.estimator', 'chelscreen.radiolabeling',"
            " 'sklearn', 'openmm') if m in sys.modules]\n"
            "print('RESULT', rc, heavy)\n")
    proc = subprocess.run([sys.executable, "-c", code, "/nonexistent/x"], capture_output=True,
                          text=True, timeout=120)
    assert "RESULT 2 []" in proc.stdout, proc.stdout + proc.stderr
    assert "'Ac-2255'" in proc.stderr and "Lu-177" in proc.stderr
    assert "Cs+" not in proc.stderr and "Traceback" not in proc.stderr  # not the 83 ions


def test_metals_option_validated(run_cli):
    res = run_cli("predict", "DOTA", "-m", "Lu3+,Qq-12")
    assert res.exit_code == 2 and "'Qq-12'" in res.output


# --- outputs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".json", ".sdf", ".csv.gz"])
def test_one_writer_format_from_suffix(run_cli, tmp_path, suffix):
    out = tmp_path / "new" / "dir" / f"t{suffix}"
    res = run_cli("describe", "DOTA", "EDTA", "--out", str(out))
    assert res.exit_code == 0, res.output
    if suffix == ".parquet":
        df = pd.read_parquet(out)
    elif suffix == ".json":
        df = pd.DataFrame(json.loads(out.read_text()))
    elif suffix == ".sdf":
        mols = list(Chem.SDMolSupplier(str(out)))
        assert [m.GetProp("name") for m in mols] == ["DOTA", "EDTA"]
        return
    else:
        df = pd.read_csv(out, sep="\t" if suffix == ".tsv" else ",")
    assert df["name"].tolist() == ["DOTA", "EDTA"]


@pytest.mark.parametrize("cmd", [
    ["describe", "DOTA"], ["predict", "DOTA", "-m", "Lu3+"], ["label", "DOTA", "-r", "Ga-68"],
    ["nuclides"], ["library"],
])
def test_unknown_output_suffix_is_refused_before_work(run_cli, tmp_path, cmd):
    res = run_cli(*cmd, "--out", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 2
    assert "unknown output type '.xlsx'" in res.output
    assert not (tmp_path / "x.xlsx").exists()


def test_label_out_csv_is_csv_not_a_text_table(run_cli, tmp_path):
    out = tmp_path / "lab.csv"
    assert run_cli("label", "DOTA", "-r", "Ga-68", "--out", str(out)).exit_code == 0
    df = pd.read_csv(out)
    assert list(df.columns[:3]) == ["chelator", "smiles", "radionuclide"] and len(df) == 1


def test_no_traceback_predict_out_in_missing_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _main(["predict", "DOTA", "-m", "Lu3+", "--out", "missing/dir/x.csv"]) == 0
    assert len(pd.read_csv(tmp_path / "missing" / "dir" / "x.csv")) == 1
    (tmp_path / "afile").write_text("x")
    assert _main(["predict", "DOTA", "-m", "Lu3+", "--out", "afile/x.csv"]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err


def test_no_traceback_pairs_csv_with_unclosed_quote(tmp_path, capsys):
    f = tmp_path / "pairs.csv"
    f.write_text(f'id,smiles,metal\nA,{DOTA},Lu3+\nB,"{EDTA},Cu2+\nC,{NTA},Cu2+\n')
    assert _main(["predict", str(f)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "quote" in err and "Traceback" not in err


def test_pairs_row_with_extra_fields_is_reported_not_shifted(run_cli, tmp_path):
    f = tmp_path / "pairs.csv"
    f.write_text(f"id,smiles,metal,note\nA,{DOTA},Lu3+,first\nB,{EDTA},Cu2+,x,y\n"
                 f"C,{NTA},Cu2+,third\nD,{NTA},Qq9+,fourth\n")
    out = tmp_path / "p.csv"
    res = run_cli("predict", str(f), "--out", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, keep_default_na=False)
    assert df["id"].tolist() == ["A", "B", "C", "D"]
    assert df["metal"].tolist() == ["Lu3+", "Cu2+", "Cu2+", "Qq9+"]
    assert df["note"].tolist() == ["first", "x", "third", "fourth"]
    assert df["status"].tolist()[1] == "invalid" and df["status"].tolist()[3] == "invalid"
    assert df["message"][1].startswith("row 2 (line 3): has 5 fields")
    assert "row 4" in df["message"][3] and "Qq" in df["message"][3]
    assert df["status"][0] == "ok" and df["status"][2] in ("ok", "warning")


def test_unexpected_error_is_one_line_with_log(tmp_path, capsys, monkeypatch):
    import chelscreen.chem.descriptors as d

    def boom(*a, **k):
        raise RuntimeError("simulated internal failure")

    monkeypatch.setattr(d, "describe", boom)
    log = tmp_path / "x.log"
    assert _main(["describe", "DOTA", "--log-file", str(log)]) == 1
    err = capsys.readouterr().err
    assert "Error: RuntimeError: simulated internal failure" in err
    assert "Traceback" not in err
    assert "Traceback" in log.read_text()


# --- screen folders ----------------------------------------------------------------------------
def test_screen_resume_with_nothing_to_resume_says_so(tmp_path, capsys):
    assert _main(["screen", "DOTA", "-r", "Lu-177", "--out", str(tmp_path / "empty"),
                  "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_screen_into_non_empty_out_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "res"
    args = ["-q", "screen", "DOTA", "-r", "Lu-177", "--out", str(out), "--no-labeling"]
    assert _main(args) == 0
    capsys.readouterr()
    assert _main(args) == 2
    err = capsys.readouterr().err
    assert "already holds results" in err and "--overwrite" in err and "--resume" in err
    assert _main([*args, "--overwrite"]) == 0
    assert _main([*args, "--resume"]) == 0


def test_screen_dtypes_match_describe(run_cli, tmp_path):
    import chelscreen

    res = chelscreen.screen(["DOTA", "xx(("], "Lu-177", out=None, progress=False,
                            labeling=False)
    desc = chelscreen.describe(["DOTA", "xx(("])
    for col in ("n_donors", "macrocycle_ring_size"):
        assert str(res[col].dtype) == str(desc[col].dtype) == "Int64"
    assert str(res["rank"].dtype) == "Int64"


# --- train -------------------------------------------------------------------------------------
def test_train_announces_work_and_progress_handler_counts_fits():
    import logging

    from chelscreen.cli.predict import TrainingProgress

    with TrainingProgress("does-not-exist.csv", 2) as prog:
        assert prog.bar.total == 3
        logging.getLogger("chelscreen.model.estimator").info("calibration: OOF MAE %.3f", 1.0)
        assert prog.fits_done == 1


def test_decay_plot_unknown_figure_type_is_refused(run_cli, tmp_path):
    res = run_cli("decay", "ac225", "--plot", str(tmp_path / "o.xlsx"))
    assert res.exit_code == 2 and "unknown figure type '.xlsx'" in res.output
    res = run_cli("decay", "225-Ac", "--chelator", "macropa", "--plot", str(tmp_path / "d" / "o.svg"))
    assert res.exit_code == 0, res.output
    assert "released" in (tmp_path / "d" / "o.svg").read_text()
