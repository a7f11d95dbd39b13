"""Corrupted, truncated or unverifiable chunks in ``.chelscreen-job/chunks`` are reported by name
and recomputed, never silently used, never a traceback (issue: reliability, point 1)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from chelscreen.screening import run_units
from chelscreen.store import CorruptChunkError, ResultStore, ResumeMismatchError
from tests.work_units import make_payloads, unit_fn


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at % len(data)] ^= 0xFF
    path.write_bytes(bytes(data))


def _full_run(out: Path) -> pd.DataFrame:
    payloads = make_payloads()
    with ResultStore(out, "job") as store:
        run_units(unit_fn, payloads, store, progress=False)
        return store.read_units(range(len(payloads)))


def _counting():
    calls: list[int] = []

    def fn(p: dict) -> pd.DataFrame:
        calls.append(p["unit"])
        return unit_fn(p)

    return fn, calls


@pytest.mark.parametrize("damage", ["flip-middle", "flip-header", "truncate", "empty"])
def test_bad_chunk_is_reported_by_name_and_recomputed(tmp_path, caplog, damage):
    ref = _full_run(tmp_path)
    chunk = tmp_path / ".chelscreen-job" / "chunks" / "unit-000002.parquet"
    if damage == "flip-middle":
        _flip(chunk, chunk.stat().st_size // 2)
    elif damage == "flip-header":
        _flip(chunk, 1)
    elif damage == "truncate":
        chunk.write_bytes(chunk.read_bytes()[:-100])
    else:
        chunk.write_bytes(b"")
    fn, calls = _counting()
    with caplog.at_level(logging.WARNING, logger="chelscreen.store"):
        store = ResultStore(tmp_path, "job", resume=True)
        run_units(fn, make_payloads(), store, progress=False)
    assert calls == [2], "only the damaged unit is recomputed"
    assert "unit-000002.parquet" in caplog.text and "recomputed" in caplog.text
    assert store.rejected == ["unit-000002.parquet"]
    assert (chunk.parent / "unit-000002.parquet.corrupt").exists()
    pd.testing.assert_frame_equal(store.read_units(range(6)), ref)


def test_chunk_without_manifest_entry_is_recomputed(tmp_path, caplog):
    """A crash between the chunk's rename and the manifest update leaves an unverified chunk."""
    ref = _full_run(tmp_path)
    manifest = tmp_path / ".chelscreen-job" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["chunks"]["unit-000004.parquet"]
    manifest.write_text(json.dumps(data))
    fn, calls = _counting()
    with caplog.at_level(logging.WARNING, logger="chelscreen.store"):
        store = ResultStore(tmp_path, "job", resume=True)
        run_units(fn, make_payloads(), store, progress=False)
    assert calls == [4]
    assert "unit-000004.parquet" in caplog.text and "no checksum" in caplog.text
    pd.testing.assert_frame_equal(store.read_units(range(6)), ref)


def test_chunk_damaged_after_the_check_is_refused_on_read(tmp_path):
    _full_run(tmp_path)
    store = ResultStore(tmp_path, "job", resume=True)
    assert store.done_units() == set(range(6))
    store.close()
    chunk = store.chunk_path(3)
    _flip(chunk, chunk.stat().st_size // 3)
    with pytest.raises(CorruptChunkError, match=r"unit-000003\.parquet.*--resume") as err:
        store.read_units(range(6))
    assert "\n" not in str(err.value)
    # it was set aside: the next resume recomputes it
    fn, calls = _counting()
    store2 = ResultStore(tmp_path, "job", resume=True)
    run_units(fn, make_payloads(), store2, progress=False)
    assert calls == [3]


def test_manifest_records_checksum_size_and_rows(tmp_path):
    _full_run(tmp_path)
    data = json.loads((tmp_path / ".chelscreen-job" / "manifest.json").read_text())
    entry = data["chunks"]["unit-000000.parquet"]
    chunk = tmp_path / ".chelscreen-job" / "chunks" / "unit-000000.parquet"
    import hashlib

    assert entry["sha256"] == hashlib.sha256(chunk.read_bytes()).hexdigest()
    assert entry["bytes"] == chunk.stat().st_size and entry["rows"] == 5


def test_corrupt_manifest_refuses_resume_with_a_fix(tmp_path):
    _full_run(tmp_path)
    manifest = tmp_path / ".chelscreen-job" / "manifest.json"
    manifest.write_text(manifest.read_text()[:40])
    with pytest.raises(ResumeMismatchError, match="unreadable.*without --resume") as err:
        ResultStore(tmp_path, "job", resume=True)
    assert "\n" not in str(err.value)


def test_screen_resume_over_a_corrupted_chunk_cli(tmp_path, cli_main):
    """The real CLI: a flipped byte in one chunk → named, recomputed, identical results.csv."""
    args = ["-q", "screen", "DOTA,NOTA,DTPA", "-r", "Lu-177", "--chunk-size", "1"]
    code, _, err = cli_main(*args, "--out", str(tmp_path / "ref"))
    assert code == 0, err
    out = tmp_path / "hit"
    code, _, err = cli_main(*args, "--out", str(out))
    assert code == 0, err
    chunk = out / ".chelscreen-job" / "chunks" / "unit-000001.parquet"
    _flip(chunk, chunk.stat().st_size // 2)
    code, _, err = cli_main(*args[1:], "--out", str(out), "--resume")  # without -q: warnings
    assert code == 0, err
    assert "Traceback" not in err
    assert "unit-000001.parquet" in err
    assert (out / "results.csv").read_bytes() == (tmp_path / "ref" / "results.csv").read_bytes()


def test_journal_without_close_is_enough_to_resume(tmp_path):
    """A job killed before the manifest was rewritten: the fsynced journal has every entry."""
    store = ResultStore(tmp_path, "job")
    run_units(unit_fn, make_payloads(), store, progress=False)
    journal = tmp_path / ".chelscreen-job" / "chunks.journal"
    assert len(journal.read_text().splitlines()) == 6
    manifest = json.loads((tmp_path / ".chelscreen-job" / "manifest.json").read_text())
    assert manifest["chunks"] == {}, "folded only every MANIFEST_EVERY chunks or on close"
    store.lock.release()  # what a SIGKILL leaves: no close(), no manifest update
    fn, calls = _counting()
    with ResultStore(tmp_path, "job", resume=True) as again:
        run_units(fn, make_payloads(), again, progress=False)
    assert calls == []
    assert not journal.exists(), "close() folds the journal into the manifest"
    manifest = json.loads((tmp_path / ".chelscreen-job" / "manifest.json").read_text())
    assert len(manifest["chunks"]) == 6


def test_torn_journal_line_only_costs_that_chunk(tmp_path):
    store = ResultStore(tmp_path, "job")
    run_units(unit_fn, make_payloads(), store, progress=False)
    store.lock.release()
    journal = tmp_path / ".chelscreen-job" / "chunks.journal"
    journal.write_text(journal.read_text()[:-20])  # the last append cut short by a crash
    fn, calls = _counting()
    with ResultStore(tmp_path, "job", resume=True) as again:
        run_units(fn, make_payloads(), again, progress=False)
    assert calls == [5]


def test_manifest_is_folded_every_64_chunks(tmp_path):
    from chelscreen.store import MANIFEST_EVERY

    store = ResultStore(tmp_path, "job")
    run_units(unit_fn, make_payloads(n_units=MANIFEST_EVERY + 3, size=2), store, progress=False)
    manifest = json.loads((tmp_path / ".chelscreen-job" / "manifest.json").read_text())
    journal = tmp_path / ".chelscreen-job" / "chunks.journal"
    assert len(manifest["chunks"]) == MANIFEST_EVERY
    assert len(journal.read_text().splitlines()) == 3
    store.close()
    assert len(json.loads((tmp_path / ".chelscreen-job" / "manifest.json").read_text())
               ["chunks"]) == MANIFEST_EVERY + 3


@pytest.mark.slow
def test_cli_screen_sigkilled_then_resumed_is_byte_identical(tmp_path, cli_main):
    """The real CLI, the bundled library: SIGKILL after a few chunks, --resume, same bytes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    args = ["-q", "screen", "-r", "Lu-177,Ac-225", "--chunk-size", "2"]
    code, _, err = cli_main(*args, "--out", str(tmp_path / "ref"))
    assert code == 0, err
    out = tmp_path / "killed"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + \
        env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "chelscreen", *args, "--out", str(out)],
                            env=env, stderr=subprocess.DEVNULL)
    chunks = out / ".chelscreen-job" / "chunks"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if chunks.exists() and len(list(chunks.glob("unit-*.parquet"))) >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (out / "results.csv").exists(), "killed before the end"
    code, _, err = cli_main(*args[1:], "--out", str(out), "--resume")
    assert code == 0, err
    assert "stale lock" in err
    assert (out / "results.csv").read_bytes() == (tmp_path / "ref" / "results.csv").read_bytes()
