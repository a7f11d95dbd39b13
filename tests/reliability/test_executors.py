"""Determinism across executors and Dask faults (issue: reliability, point 6).

- the same screen with ``n_jobs=1``, ``n_jobs=2`` and the Dask executor (a LocalCluster) writes a
  byte-identical ``results.csv``;
- a Dask worker killed mid-run (SIGKILL) is replaced, its unit rerun, and the result equals the
  local run; a unit that kills every worker ends in a one-line error with the finished units
  kept; an unreachable scheduler is a one-line error within the connect timeout."""

from __future__ import annotations

import socket
import time

import dask
import pandas as pd
import pytest

from chelscreen._parallel import DASK_CONNECT_TIMEOUT_S, ExecutorError
from chelscreen.screening import run_units, screen
from chelscreen.store import ResultStore
from tests.work_units import make_payloads, unit_fn

from ._faults import die_always, die_once

LIGANDS = ["DOTA", "macropa", "NOTA", "DTPA"]


def _csv(out, **kw) -> bytes:
    screen(LIGANDS, ["Ac-225", "Lu-177"], out=out, chunk_size=1, report=False,
           progress=False, **kw)
    return (out / "results.csv").read_bytes()


def test_results_csv_identical_for_one_two_jobs_and_dask(tmp_path):
    ref = _csv(tmp_path / "j1", n_jobs=1)
    assert ref.count(b"\n") == 1 + len(LIGANDS) * 2
    assert _csv(tmp_path / "j2", n_jobs=2) == ref
    assert _csv(tmp_path / "dask1", executor="dask", n_jobs=1) == ref


@pytest.mark.slow
def test_results_csv_identical_with_dask_process_workers(tmp_path):
    ref = _csv(tmp_path / "j1", n_jobs=1)
    assert _csv(tmp_path / "dask2", executor="dask", n_jobs=2) == ref


def _payloads(tmp_path, kill_unit=3):
    return [{**p, "kill_unit": kill_unit, "marker": str(tmp_path / "killed")}
            for p in make_payloads(n_units=6)]


def test_dask_worker_killed_mid_run_is_retried_and_equals_local(tmp_path):
    local = ResultStore(tmp_path / "local", "h")
    run_units(unit_fn, make_payloads(n_units=6), local, progress=False)
    ref = local.read_units(range(6))
    store = ResultStore(tmp_path / "dask", "h")
    run_units(die_once, _payloads(tmp_path), store, executor="dask", n_jobs=2, progress=False)
    assert (tmp_path / "killed").read_text().isdigit(), "a worker was killed"
    pd.testing.assert_frame_equal(store.read_units(range(6)), ref)


def test_dask_unit_that_always_kills_its_worker_is_one_line(tmp_path):
    # with allowed-failures=0 every task on the dying worker fails with it, so the message may
    # name unit 2 or a unit that shared its worker
    store = ResultStore(tmp_path / "dask", "h")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with pytest.raises(ExecutorError, match=r"work unit \d+ .*--resume") as err:
            run_units(die_always, _payloads(tmp_path, kill_unit=2), store, executor="dask",
                      n_jobs=2, progress=False)
    assert "\n" not in str(err.value)
    done = store.done_units()
    assert 2 not in done
    # the other units are kept; a resume with a healthy function completes the job
    store.close()
    again = ResultStore(tmp_path / "dask", "h", resume=True)
    run_units(unit_fn, make_payloads(n_units=6), again, progress=False)
    assert again.done_units() == set(range(6))


def test_local_worker_that_dies_is_one_line_and_resume_completes(tmp_path):
    store = ResultStore(tmp_path / "loky", "h")
    with pytest.raises(ExecutorError, match=r"worker process died.*--resume") as err:
        run_units(die_always, _payloads(tmp_path, kill_unit=4), store, n_jobs=2,
                  progress=False)
    assert "\n" not in str(err.value)
    assert 4 not in store.done_units()
    store.close()
    again = ResultStore(tmp_path / "loky", "h", resume=True)
    run_units(unit_fn, make_payloads(n_units=6), again, progress=False)
    pd.testing.assert_frame_equal(again.read_units(range(6)),
                                  pd.concat([unit_fn(p) for p in make_payloads(n_units=6)],
                                            ignore_index=True))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_one_line_error_within_the_timeout(tmp_path, cli_main):
    address = f"tcp://127.0.0.1:{_free_port()}"   # nothing listens there
    t0 = time.monotonic()
    code, _, err = cli_main("-q", "screen", "DOTA", "-r", "Lu-177", "--executor", "dask",
                            "--scheduler", address, "--out", str(tmp_path / "out"))
    elapsed = time.monotonic() - t0
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach the Dask scheduler")
    assert address in lines[0] and "--scheduler" in lines[0]
    assert elapsed < DASK_CONNECT_TIMEOUT_S + 30
