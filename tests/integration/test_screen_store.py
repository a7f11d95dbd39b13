"""The resumable store and the executors, on small real work units (no model needed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from chelscreen.screening import run_units, write_outputs
from chelscreen.store import (
    ResultStore,
    ResumeMismatchError,
    stable_hash,
)
from tests.work_units import make_payloads, unit_fn


def test_atomic_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    write_outputs(df, tmp_path, report=False, csv=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "results.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), df,
                                  check_dtype=False)
    assert (tmp_path / "results.csv").read_text().splitlines()[0] == "a,b"


def test_resume_with_other_inputs_is_refused(tmp_path: Path) -> None:
    store = ResultStore(tmp_path, stable_hash({"x": 1}), manifest_extra={"radionuclides": ["A"]})
    store.write_chunk(0, pd.DataFrame({"a": [1]}))
    store.close()  # one job per folder at a time
    with pytest.raises(ResumeMismatchError, match="different inputs or settings") as err:
        ResultStore(tmp_path, stable_hash({"x": 2}), resume=True,
                    manifest_extra={"radionuclides": ["B"]})
    assert "radionuclides" in str(err.value)
    assert isinstance(err.value, ValueError)
    # the stored chunk survives a refused resume
    assert store.done_units() == {0}


def test_resume_same_job_keeps_chunks_and_fresh_start_clears(tmp_path: Path) -> None:
    h = stable_hash({"x": 1})
    store = ResultStore(tmp_path, h)
    store.write_chunk(3, pd.DataFrame({"a": [1]}))
    store.close()  # one job per folder at a time
    assert ResultStore(tmp_path, h, resume=True).done_units() == {3}
    assert ResultStore(tmp_path, h, resume=False).done_units() == set()


def test_run_units_skips_done_units(tmp_path: Path) -> None:
    payloads = make_payloads()
    store = ResultStore(tmp_path, "h")
    store.write_chunk(2, pd.DataFrame({"unit": [99]}))  # pretend unit 2 is done
    calls: list[int] = []

    def counting(p: dict) -> pd.DataFrame:
        calls.append(p["unit"])
        return unit_fn(p)

    run_units(counting, payloads, store, progress=False)
    assert calls == [0, 1, 3, 4, 5]
    assert store.read_chunk(2)["unit"].tolist() == [99]


def test_local_and_dask_executors_give_identical_chunks(tmp_path: Path) -> None:
    payloads = make_payloads()
    local = ResultStore(tmp_path / "local", "h")
    run_units(unit_fn, payloads, local, executor="local", n_jobs=1, progress=False)
    dask = ResultStore(tmp_path / "dask", "h")
    run_units(unit_fn, payloads, dask, executor="dask", n_jobs=1, progress=False)
    a = local.read_units(range(len(payloads)))
    b = dask.read_units(range(len(payloads)))
    assert len(a) == 30
    pd.testing.assert_frame_equal(a, b)


def test_unknown_executor_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown executor 'spark'"):
        run_units(unit_fn, make_payloads(1), ResultStore(tmp_path, "h"), executor="spark")


_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np, pandas as pd
    from chelscreen.screening import run_units, write_outputs
    from chelscreen.store import ResultStore

    out, resume = sys.argv[1], sys.argv[2] == "1"
    def unit(p):
        time.sleep(0.25)
        x = np.arange(4, dtype=float) * (p["unit"] + 1)
        return pd.DataFrame({"unit": p["unit"], "x": x, "y": np.sqrt(x)})
    payloads = [{"unit": u} for u in range(16)]
    store = ResultStore(out, "job-1", resume=resume)
    run_units(unit, payloads, store, progress=False)
    df = store.read_units(range(16))
    write_outputs(df, out, report=False, csv=False)
""")


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(_SCRIPT)
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run([sys.executable, str(script), str(full), "0"], check=True, timeout=120)

    proc = subprocess.Popen([sys.executable, str(script), str(killed), "0"])
    chunks = killed / ".chelscreen-job" / "chunks"
    deadline = time.time() + 60
    while time.time() < deadline:
        if chunks.exists() and len(list(chunks.glob("unit-*.parquet"))) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    n_before = len(list(chunks.glob("unit-*.parquet")))
    assert 3 <= n_before < 16, "the job must be killed part-way"
    assert not (killed / "results.parquet").exists()
    # every chunk on disk is complete (atomic writes)
    for p in chunks.glob("unit-*.parquet"):
        assert len(pd.read_parquet(p)) == 4

    subprocess.run([sys.executable, str(script), str(killed), "1"], check=True, timeout=120)
    a = pd.read_parquet(full / "results.parquet")
    b = pd.read_parquet(killed / "results.parquet")
    assert len(b) == 64 and not b.duplicated(["unit", "x"]).any()
    pd.testing.assert_frame_equal(a, b)
