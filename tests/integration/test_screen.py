"""End-to-end screen: ranking sanity, bad rows, outputs, Dask path, kill-and-resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import chelscreen  # noqa: E402
import chelscreen.model.predict  # noqa: F401 - a hard dependency: fail, never skip
import chelscreen.radiolabeling  # noqa: F401 - a hard dependency: fail, never skip
from chelscreen.screening import COLUMNS, screen  # noqa: E402
from chelscreen.store import ResumeMismatchError  # noqa: E402

SANITY = ["DOTA", "macropa", "EDTA"]


@pytest.fixture(scope="module")
def sanity() -> pd.DataFrame:
    return screen(SANITY, ["Ac-225", "Lu-177"], out=None, progress=False)


def _rank(df: pd.DataFrame, chel: str, nuc: str) -> int:
    row = df[(df["chelator"] == chel) & (df["radionuclide"] == nuc)]
    assert len(row) == 1
    return int(row["rank"].iloc[0])


def test_ac225_macropa_ranks_above_dota(sanity: pd.DataFrame) -> None:
    assert _rank(sanity, "macropa", "Ac-225") < _rank(sanity, "DOTA", "Ac-225")


def test_lu177_dota_ranks_above_macropa_and_edta(sanity: pd.DataFrame) -> None:
    dota = _rank(sanity, "DOTA", "Lu-177")
    assert dota < _rank(sanity, "macropa", "Lu-177")
    assert dota < _rank(sanity, "EDTA", "Lu-177")


def test_pairs_have_columns_scores_and_reasons(sanity: pd.DataFrame) -> None:
    assert list(sanity.columns) == list(COLUMNS)
    assert len(sanity) == 6
    # ligand-major, input order kept, radionuclides in the given order
    assert sanity["chelator"].tolist() == ["DOTA", "DOTA", "macropa", "macropa", "EDTA", "EDTA"]
    assert sanity["radionuclide"].tolist() == ["Ac-225", "Lu-177"] * 3
    for col in ("retention_score", "daughter_score", "score", "pM_pH7_4"):
        assert sanity[col].notna().all(), col
    assert sanity["score"].between(0, 1).all()
    # Ac-225 releases its daughters by recoil (4 alphas per decay); Lu-177 has none
    ac = sanity[sanity["radionuclide"] == "Ac-225"]
    lu = sanity[sanity["radionuclide"] == "Lu-177"]
    assert np.allclose(ac["alphas_per_decay"], 4.0, atol=0.01)
    assert (ac["daughter_score"] < 0.5).all() and (lu["daughter_score"] == 1.0).all()
    why = sanity.set_index(["chelator", "radionuclide"])["why"]
    assert "macrocycle" in why[("DOTA", "Lu-177")] and "pM" in why[("DOTA", "Lu-177")]
    assert "open-chain" in why[("EDTA", "Lu-177")]
    assert "α per decay" in why[("macropa", "Ac-225")]


def test_pm_is_consistent_with_conditional_constant(sanity: pd.DataFrame) -> None:
    ok = sanity[sanity["logK_cond_pH7_4"] > 8]
    # with 10 µM ligand and 1 µM metal, pM ≈ log K' + log10(9e-6 / 1e-6 ... ) = log K' + 0.95
    assert np.allclose(ok["pM_pH7_4"], ok["logK_cond_pH7_4"] + np.log10(9.0), atol=0.02)


def test_bad_rows_are_kept_in_place(tmp_path: Path) -> None:
    df = screen(["DOTA", "this is not a SMILES((", "NOTA"], ["Ga-68"], out=None, progress=False)
    assert df["chelator"].tolist()[0] == "DOTA" and len(df) == 3
    bad = df.iloc[1]
    assert bad["status"] == "invalid" and "SMILES" in bad["message"]
    assert pd.isna(bad["score"]) and pd.isna(bad["rank"])
    assert bad["why"].startswith("not scored")
    assert sorted(df["rank"].dropna().astype(int).tolist()) == [1, 2]


def test_unknown_radionuclide_is_refused() -> None:
    with pytest.raises(ValueError, match="Xx"):
        screen(["DOTA"], ["Xx-999"], out=None, progress=False)


def test_outputs_written_and_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "res"
    df = chelscreen.screen(["DOTA", "macropa", "NOTA"], "Ac-225,Ga-68", out=out, progress=False)
    for name in ("results.parquet", "results.csv", "top.sdf", "report.html"):
        assert (out / name).stat().st_size > 0, name
    back = pd.read_parquet(out / "results.parquet")
    assert back["chelator"].tolist() == df["chelator"].tolist()
    assert np.allclose(back["score"], df["score"])
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<svg" in html
    assert "http://" not in html.split("<body>")[0] and "<script src" not in html
    sdf = (out / "top.sdf").read_text()
    assert sdf.count("$$$$") == 6 and ">  <score>  (" in sdf and "macropa | Ac-225" in sdf


def test_resume_with_other_radionuclides_refused(tmp_path: Path) -> None:
    screen(["DOTA"], ["Lu-177"], out=tmp_path, progress=False, report=False)
    with pytest.raises(ResumeMismatchError, match="different inputs or settings"):
        screen(["DOTA"], ["Ga-68"], out=tmp_path, resume=True, progress=False)


def test_dask_local_cluster_matches_local(tmp_path: Path) -> None:
    ligs = ["DOTA", "macropa", "EDTA", "NOTA", "DTPA"]
    a = screen(ligs, ["Pb-212", "Lu-177"], out=tmp_path / "a", chunk_size=2, progress=False,
               report=False)
    b = screen(ligs, ["Pb-212", "Lu-177"], out=tmp_path / "b", chunk_size=2, progress=False,
               executor="dask", n_jobs=1, report=False)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_process_pool_matches_in_process(tmp_path: Path) -> None:
    ligs = ["DOTA", "macropa", "EDTA", "NOTA"]
    a = screen(ligs, ["Ac-225"], out=tmp_path / "a", chunk_size=1, progress=False, report=False)
    b = screen(ligs, ["Ac-225"], out=tmp_path / "b", chunk_size=1, n_jobs=2, progress=False,
               report=False)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow  # ~35 s: three CLI subprocesses each load the model (the store-level SIGKILL
# test in test_screen_store.py runs by default)
def test_sigkill_and_resume_gives_identical_results(tmp_path: Path, repo_root: Path) -> None:
    """Kill `chelscreen screen` with SIGKILL after some chunks, resume, compare."""
    lib = chelscreen.load_library()
    names = lib["name"].tolist()[:8]
    inp = tmp_path / "in.csv"
    pd.DataFrame({"name": names, "smiles": lib["smiles"].tolist()[:8]}).to_csv(inp, index=False)
    args = [str(inp), "--radionuclides", "Ac-225,Lu-177", "--chunk-size", "1"]
    cmd = [sys.executable, "-m", "chelscreen", "-q", "screen", *args]
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run([*cmd, "--out", str(full)], check=True, timeout=600, cwd=repo_root)

    proc = subprocess.Popen([*cmd, "--out", str(killed)], cwd=repo_root)
    chunks = killed / ".chelscreen-job" / "chunks"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if chunks.exists() and len(list(chunks.glob("unit-*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    n_done = len(list(chunks.glob("unit-*.parquet")))
    assert 2 <= n_done < 8, f"kill landed after {n_done} of 8 chunks"
    assert not (killed / "results.parquet").exists()

    subprocess.run([*cmd, "--out", str(killed), "--resume"], check=True, timeout=600,
                   cwd=repo_root)
    a = pd.read_parquet(full / "results.parquet")
    b = pd.read_parquet(killed / "results.parquet")
    assert len(b) == 16 and not b.duplicated(["id", "radionuclide"]).any()
    pd.testing.assert_frame_equal(a, b)
    assert (full / "results.csv").read_text() == (killed / "results.csv").read_text()
