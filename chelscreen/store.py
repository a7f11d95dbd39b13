"""Resumable, crash-safe results store for long screens.

A screen is cut into *work units* (a block of chelators with all their radionuclides). Each
finished unit is written as its own chunk file the moment it completes, atomically:

    write ``<chunk>.tmp`` → flush → ``os.fsync`` → ``os.replace`` onto the final name → fsync dir

so a chunk file either exists complete or not at all, whatever kills the process (SIGKILL,
power loss after the fsync). A ``manifest.json`` records a hash of the job's inputs and settings;
``resume=True`` accepts only a job with the same hash, skips every unit whose chunk exists, and
the final tables are assembled from the chunks (sorted by the units' row keys, duplicates
impossible because a unit has exactly one chunk name) and again written atomically.

Layout under the output folder::

    <out>/.chelscreen-job/manifest.json
    <out>/.chelscreen-job/chunks/unit-000042.parquet
    <out>/results.parquet, <out>/results.csv   (final, atomic)

>>> store = ResultStore("out", job_hash="abc", resume=False)     # doctest: +SKIP
>>> store.write_chunk(3, df)                                       # doctest: +SKIP
>>> store.done_units()                                             # doctest: +SKIP
{3}
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from chelscreen.errors import ChelscreenError

logger = logging.getLogger(__name__)

JOB_DIRNAME = ".chelscreen-job"
MANIFEST_NAME = "manifest.json"
STORE_SCHEMA = 1


class ResumeMismatchError(ChelscreenError, ValueError):
    """``--resume`` was asked for a job whose inputs or settings differ from the stored ones."""


def stable_hash(obj: Any) -> str:
    """SHA-256 of a JSON-serialisable object with sorted keys (stable across runs and machines)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fsync_dir(path: Path) -> None:
    """fsync a directory so a rename inside it is durable (no-op where unsupported)."""
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (tmp in the same folder → fsync → ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomic UTF-8 text write (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _to_parquet_bytes(df: pd.DataFrame) -> bytes:
    import io

    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def atomic_write_parquet(path: str | os.PathLike, df: pd.DataFrame) -> Path:
    """Write a DataFrame as parquet atomically."""
    return atomic_write_bytes(path, _to_parquet_bytes(df))


def atomic_write_csv(path: str | os.PathLike, df: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV (UTF-8, no index) atomically."""
    return atomic_write_text(path, df.to_csv(index=False))


class ResultStore:
    """Chunk store of one screening job under ``<out>/.chelscreen-job``.

    Parameters
    ----------
    out
        Output folder of the screen.
    job_hash
        Hash of everything that determines the results (inputs, settings, versions).
    resume
        ``True``: continue the stored job (refuse if its hash differs); ``False``: start afresh,
        removing chunks of any previous job in this folder.
    manifest_extra
        Human-readable description stored in the manifest (inputs summary, settings).

    Raises
    ------
    ResumeMismatchError
        ``resume=True`` and the stored job was started with different inputs or settings.
    """

    def __init__(
        self,
        out: str | os.PathLike,
        job_hash: str,
        *,
        resume: bool = False,
        manifest_extra: dict[str, Any] | None = None,
    ) -> None:
        self.out = Path(out)
        self.job_dir = self.out / JOB_DIRNAME
        self.chunk_dir = self.job_dir / "chunks"
        self.manifest_path = self.job_dir / MANIFEST_NAME
        self.job_hash = job_hash
        manifest = {
            "schema": STORE_SCHEMA,
            "job_hash": job_hash,
            **(manifest_extra or {}),
        }
        if resume and self.manifest_path.exists():
            stored = self.read_manifest()
            if stored.get("job_hash") != job_hash:
                diff = _describe_difference(stored, manifest)
                raise ResumeMismatchError(
                    f"cannot resume the job in {self.job_dir}: it was started with different "
                    f"inputs or settings ({diff}). Run again without --resume to start a new "
                    f"screen there, or choose another --out folder."
                )
            n_done = len(self.done_units())
            logger.info("resuming job %s: %d finished unit(s) found", job_hash[:12], n_done)
        else:
            if resume:
                logger.warning("--resume: no previous job in %s, starting a new one", self.out)
            if self.job_dir.exists():
                logger.info("removing the previous job's chunks in %s", self.job_dir)
                shutil.rmtree(self.chunk_dir, ignore_errors=True)
            self.chunk_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, default=str))
        self.chunk_dir.mkdir(parents=True, exist_ok=True)

    # -- manifest -----------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        """The stored manifest (``{}`` when absent or unreadable)."""
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    # -- chunks -------------------------------------------------------------------------------
    def chunk_path(self, unit_id: int | str) -> Path:
        """File of one unit's chunk (``unit-000042.parquet`` or ``<name>.parquet``)."""
        name = f"unit-{unit_id:06d}" if isinstance(unit_id, int) else str(unit_id)
        return self.chunk_dir / f"{name}.parquet"

    def write_chunk(self, unit_id: int | str, df: pd.DataFrame) -> Path:
        """Store one finished unit atomically (overwrites a previous chunk of the same unit)."""
        return atomic_write_parquet(self.chunk_path(unit_id), df)

    def has_chunk(self, unit_id: int | str) -> bool:
        """True when the unit's chunk is complete on disk."""
        return self.chunk_path(unit_id).exists()

    def read_chunk(self, unit_id: int | str) -> pd.DataFrame:
        """Read one unit's chunk."""
        return pd.read_parquet(self.chunk_path(unit_id))

    def done_units(self) -> set[int]:
        """Integer ids of the units whose chunk exists."""
        done: set[int] = set()
        for p in self.chunk_dir.glob("unit-*.parquet"):
            try:
                done.add(int(p.stem.split("-", 1)[1]))
            except ValueError:  # pragma: no cover - foreign file
                continue
        return done

    def read_units(self, unit_ids: Iterable[int]) -> pd.DataFrame:
        """Concatenate the chunks of ``unit_ids`` in the given order."""
        frames = [self.read_chunk(u) for u in unit_ids]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def clear(self) -> None:
        """Remove the job folder (chunks and manifest)."""
        shutil.rmtree(self.job_dir, ignore_errors=True)


def _describe_difference(stored: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted((set(stored) | set(new)) - {"job_hash", "schema", "created"})
    changed = [k for k in keys if stored.get(k) != new.get(k)]
    if not changed:
        return "job hash differs"
    parts = []
    for k in changed[:4]:
        old, cur = _short(stored.get(k)), _short(new.get(k))
        parts.append(f"{k}: stored {old}, now {cur}")
    return "; ".join(parts)


def _short(value: Any, n: int = 60) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= n else text[: n - 3] + "..."


def check_out_folder(out: str | os.PathLike, *, resume: bool, overwrite: bool) -> None:
    """Refuse to start a screen that would silently resume nothing or replace earlier results.

    ``resume=True`` needs a stored job in ``out``; ``resume=False`` needs ``out`` to be empty
    or missing unless ``overwrite=True``.

    Raises
    ------
    OutputFolderError
        With the option that fixes it (``--resume``, ``--overwrite`` or another ``--out``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file, not a folder; give a folder name")
    has_job = (out / JOB_DIRNAME / MANIFEST_NAME).exists()
    if resume:
        if not has_job:
            raise OutputFolderError(
                f"nothing to resume in {out}: it holds no interrupted screen "
                f"({JOB_DIRNAME}/{MANIFEST_NAME} is missing); run without --resume to start one"
            )
        return
    if overwrite or not out.exists():
        return
    present = sorted(p.name for p in out.iterdir())
    if present:
        shown = ", ".join(present[:4]) + (", ..." if len(present) > 4 else "")
        raise OutputFolderError(
            f"{out} already holds results ({shown}); pass --resume to continue the screen "
            "stored there, --overwrite to replace it, or choose another --out folder"
        )


class OutputFolderError(ChelscreenError, ValueError):
    """The output folder of a screen is not in the state the options ask for."""
