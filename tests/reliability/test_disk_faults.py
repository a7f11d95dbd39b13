"""Disk full, file-size limit and read-only output during a screen or a simulation cache write:
a one-line error, the finished chunks kept, and ``--resume`` completes once space returns
(issue: reliability, point 3). Faults are real: ``RLIMIT_FSIZE`` (``ulimit -f``), a tmpfs of
100 KiB and a read-only bind mount in a private mount namespace (``unshare -rm``, skipped where
the kernel does not allow unprivileged namespaces)."""

from __future__ import annotations

import logging
import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]

_JOB = textwrap.dedent("""
    import sys
    import numpy as np, pandas as pd
    from chelscreen.errors import ChelscreenError
    from chelscreen.screening import run_units, write_outputs
    from chelscreen.store import ResultStore

    out, resume = sys.argv[1], sys.argv[2] == "1"
    def unit(p):
        n = 20000 if p["unit"] == 4 else 20          # unit 4 writes a large chunk
        x = np.arange(n, dtype=float) * (p["unit"] + 1)
        return pd.DataFrame({"unit": p["unit"], "x": x})
    try:
        with ResultStore(out, "job-1", resume=resume) as store:
            run_units(unit, [{"unit": u} for u in range(8)], store, progress=False)
            print("computed", sorted(set(range(8))), flush=True)
            write_outputs(store.read_units(range(8)), out, report=False, csv=False)
    except ChelscreenError as exc:                 # what the CLI does
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(2)
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _limit_fsize(nbytes: int):
    def _set() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return _set


def test_file_size_limit_mid_screen_keeps_chunks_and_resume_completes(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(_JOB)
    ref, out = tmp_path / "ref", tmp_path / "out"
    subprocess.run([sys.executable, str(script), str(ref), "0"], check=True, env=_env(),
                   capture_output=True, timeout=120)
    # 60 kB per file: units 0-3 fit, unit 4's chunk (~150 kB) does not
    p = subprocess.run([sys.executable, str(script), str(out), "0"], env=_env(), text=True,
                       capture_output=True, timeout=120, preexec_fn=_limit_fsize(60_000))
    assert p.returncode == 2, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr                     # one line, no traceback
    msg = lines[0]
    assert "unit-000004.parquet" in msg and "File too large" in msg
    assert "--resume" in msg and "4 finished chunk(s)" in msg
    chunks = out / ".chelscreen-job" / "chunks"
    assert sorted(q.name for q in chunks.iterdir()) == [f"unit-00000{i}.parquet" for i in range(4)]
    # space returns: resume computes only the rest and equals the uninterrupted run
    p = subprocess.run([sys.executable, str(script), str(out), "1"], env=_env(), text=True,
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"),
                                  pd.read_parquet(ref / "results.parquet"))


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_ns = pytest.mark.skipif(not _namespaces_work(),
                              reason="unprivileged mount namespaces (unshare -rm) unavailable")

_LIGS = "DOTA,NOTA,DTPA,EDTA,TETA,NTA"


def _sh(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    f = tmp_path / "fault.sh"
    f.write_text(script)
    return subprocess.run(["unshare", "-rm", "sh", str(f)], env=_env(), text=True,
                          capture_output=True, timeout=400)


@needs_ns
def test_disk_full_mid_screen_cli_then_resume_after_space_returns(tmp_path, cli_main):
    """The real CLI on a 100 KiB tmpfs: ENOSPC after a few chunks → one line; grow the file
    system (space returns) → ``--resume`` gives the same results.csv as an unhindered run."""
    args = ["-q", "screen", _LIGS, "-r", "Lu-177", "--chunk-size", "1"]
    code, _, err = cli_main(*args, "--out", str(tmp_path / "ref"))
    assert code == 0, err
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    py = f"{sys.executable} -m chelscreen"
    p = _sh(textwrap.dedent(f"""
        set -u
        mount -t tmpfs -o size=100k none {mnt}
        {py} {' '.join(args)} --out {mnt}/out 2> {tmp_path}/err1.txt; echo "rc1=$?"
        ls {mnt}/out/.chelscreen-job/chunks > {tmp_path}/chunks1.txt
        mount -o remount,size=20m {mnt}
        {py} {' '.join(args)} --out {mnt}/out --resume 2> {tmp_path}/err2.txt; echo "rc2=$?"
        cp {mnt}/out/results.csv {tmp_path}/results.csv
    """), tmp_path)
    assert "rc1=2" in p.stdout, (p.stdout, p.stderr)
    err1 = (tmp_path / "err1.txt").read_text().strip().splitlines()
    assert len(err1) == 1 and err1[0].startswith("Error: cannot write"), err1
    assert "No space left on device" in err1[0] and "--resume" in err1[0]
    kept = (tmp_path / "chunks1.txt").read_text().split()
    assert 1 <= len([k for k in kept if k.endswith(".parquet")]) < 6, kept
    assert not [k for k in kept if k.endswith(".tmp")], "no temporary file is left behind"
    assert "rc2=0" in p.stdout, (p.stdout, (tmp_path / "err2.txt").read_text())
    assert (tmp_path / "results.csv").read_bytes() == \
        (tmp_path / "ref" / "results.csv").read_bytes()


@needs_ns
def test_read_only_output_folder_is_one_line_and_chunks_survive(tmp_path, cli_main):
    args = ["-q", "screen", "DOTA,NOTA,DTPA", "-r", "Lu-177", "--chunk-size", "1"]
    ro = tmp_path / "ro"
    out = ro / "out"
    code, _, err = cli_main(*args, "--out", str(out))
    assert code == 0, err
    before = {q.name: q.read_bytes() for q in (out / ".chelscreen-job" / "chunks").iterdir()}
    py = f"{sys.executable} -m chelscreen"
    p = _sh(textwrap.dedent(f"""
        mount --bind {ro} {ro} && mount -o remount,ro,bind {ro}
        {py} {' '.join(args)} --out {out} --resume 2> {tmp_path}/err_ro1.txt; echo "rc1=$?"
        {py} {' '.join(args)} --out {ro}/new 2> {tmp_path}/err_ro2.txt; echo "rc2=$?"
    """), tmp_path)
    assert "rc1=2" in p.stdout and "rc2=2" in p.stdout, (p.stdout, p.stderr)
    for name in ("err_ro1.txt", "err_ro2.txt"):
        lines = (tmp_path / name).read_text().strip().splitlines()
        assert len(lines) == 1 and "Read-only file system" in lines[0], lines
        assert "make the folder writable or choose another --out" in lines[0]
    after = {q.name: q.read_bytes() for q in (out / ".chelscreen-job" / "chunks").iterdir()}
    assert after == before
    # writable again: resume reuses every chunk
    code, _, err = cli_main(*args, "--out", str(out), "--resume")
    assert code == 0, err


def test_simulation_cache_write_failure_keeps_the_result(tmp_path, caplog):
    """A cache folder that cannot be created (its parent is a file) → warning, result kept."""
    from chelscreen.simulate.cache import simulate_pair

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with caplog.at_level(logging.WARNING, logger="chelscreen.simulate.cache"):
        res = simulate_pair("OC(=O)CN(CC(=O)O)CC(=O)O", "Lu3+", "fast",
                            cache_dir=blocker / "cache")
    assert res["cached"] is False and res.get("cn_mean") is not None
    assert "could not write the simulation cache" in caplog.text and "not-a-folder" in caplog.text
