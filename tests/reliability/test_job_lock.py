"""Two screens into the same output folder: one lock, the second refuses clearly; a stale lock
of a dead process is taken over with a message (issue: reliability, point 2)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from chelscreen.store import JobLockedError, ResultStore

REPO = Path(__file__).resolve().parents[2]

# a job that writes 12 slow units into OUT (resume flag in argv[2])
_JOB = textwrap.dedent("""
    import sys, time
    import numpy as np, pandas as pd
    from chelscreen.screening import run_units, write_outputs
    from chelscreen.store import ResultStore

    out, resume, delay = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3])
    def unit(p):
        time.sleep(delay)
        return pd.DataFrame({"unit": [p["unit"]] * 3, "x": np.arange(3.0) * (p["unit"] + 1)})
    payloads = [{"unit": u} for u in range(12)]
    with ResultStore(out, "job-1", resume=resume) as store:
        run_units(unit, payloads, store, progress=False)
        write_outputs(store.read_units(range(12)), out, report=False, csv=False)
    print("done")
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _start(script: Path, out: Path, resume: bool, delay: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), str(out), "1" if resume else "0",
                             str(delay)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env())


def _wait_for(pred, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _expected() -> pd.DataFrame:
    import numpy as np

    return pd.concat([pd.DataFrame({"unit": [u] * 3, "x": np.arange(3.0) * (u + 1)})
                      for u in range(12)], ignore_index=True)


def test_second_process_is_refused_and_first_finishes_intact(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(_JOB)
    out = tmp_path / "out"
    lock = out / ".chelscreen-job" / "lock"
    first = _start(script, out, False, 0.3)
    _wait_for(lambda: lock.exists() and lock.read_text().strip())
    holder = json.loads(lock.read_text())
    assert holder["pid"] == first.pid and holder["host"] == os.uname().nodename
    # the second job (fresh start: it would wipe the chunks) must not touch the folder
    second = _start(script, out, False, 0.0)
    _, err2 = second.communicate(timeout=120)
    assert second.returncode != 0
    last = err2.strip().splitlines()[-1]
    assert "JobLockedError" in last and f"pid {first.pid}" in last and "--out" in last
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), _expected())
    assert not lock.exists(), "the lock is released when the job ends"


def test_stale_lock_of_a_killed_job_is_taken_over(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(_JOB)
    out = tmp_path / "out"
    chunks = out / ".chelscreen-job" / "chunks"
    first = _start(script, out, False, 0.2)
    _wait_for(lambda: chunks.exists() and len(list(chunks.glob("unit-*.parquet"))) >= 3)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    lock = out / ".chelscreen-job" / "lock"
    assert json.loads(lock.read_text())["pid"] == first.pid  # left behind by the killed job
    second = _start(script, out, True, 0.0)
    out2, err2 = second.communicate(timeout=120)
    assert second.returncode == 0, err2
    assert "stale lock" in err2 and f"pid {first.pid}" in err2
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), _expected())


def test_lock_held_in_another_process_refuses_the_cli_screen(tmp_path, cli_main):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom chelscreen.store import ResultStore\n"
         "s = ResultStore(sys.argv[1], 'other')\nprint('locked', flush=True)\ntime.sleep(60)",
         str(out)], stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        # --overwrite: the case that would wipe the running job's chunks
        code, _, err = cli_main("-q", "screen", "DOTA", "-r", "Lu-177", "--out", str(out),
                                "--overwrite")
        assert code == 2
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: another chelscreen job")
        assert f"pid {holder.pid}" in lines[0]
        assert "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()


def test_same_process_second_store_refused_then_free_after_close(tmp_path):
    a = ResultStore(tmp_path, "h")
    with pytest.raises(JobLockedError, match=f"pid {os.getpid()}"):
        ResultStore(tmp_path, "h", resume=True)
    a.close()
    with ResultStore(tmp_path, "h", resume=True) as b:
        assert b.lock.held


def test_lock_naming_another_host_is_not_taken_over(tmp_path):
    lock = tmp_path / ".chelscreen-job" / "lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 1, "host": "some-other-node", "started": "x"}))
    with pytest.raises(JobLockedError, match="some-other-node.*delete"):
        ResultStore(tmp_path, "h")


def test_stale_lock_in_process_logs_a_warning(tmp_path, caplog):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / ".chelscreen-job" / "lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "x"}))
    with caplog.at_level(logging.WARNING, logger="chelscreen.store"):
        ResultStore(tmp_path, "h").close()
    assert "stale lock" in caplog.text and str(dead.pid) in caplog.text
