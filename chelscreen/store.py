"""Resumable, crash-safe results store for long screens.

A screen is cut into *work units* (a block of chelators with all their radionuclides). Each
finished unit is written as its own chunk file the moment it completes, atomically:

    write ``<chunk>.tmp`` → flush → ``os.fsync`` → ``os.replace`` onto the final name → fsync dir

so a chunk file either exists complete or not at all, whatever kills the process (SIGKILL,
power loss after the fsync). A ``manifest.json`` records a hash of the job's inputs and settings
and, for every chunk, its SHA-256, size and row count: each entry is appended (and fsynced) to
``chunks.journal`` the moment its chunk is stored, and folded into the manifest (atomically)
every :data:`MANIFEST_EVERY` chunks and when the store is closed.
``resume=True`` accepts only a job with the same hash and skips every unit whose chunk exists
*and* matches its manifest entry; a chunk that is corrupt, truncated or has no entry is reported
by name, set aside as ``<chunk>.corrupt`` and recomputed, never used. The final tables are
assembled from verified chunks (sorted by the units' row keys, duplicates impossible because a
unit has exactly one chunk name) and again written atomically.

One job at a time writes to an output folder: the store holds ``<out>/.chelscreen-job/lock``
(an exclusive ``flock`` on a file holding the holder's pid, host and start time) from its start
until :meth:`ResultStore.close`. A second job into the same folder is refused with
:class:`JobLockedError` naming the holder; a lock left by a process that no longer runs on this
host (killed, power loss) is taken over with a warning.

Layout under the output folder::

    <out>/.chelscreen-job/lock
    <out>/.chelscreen-job/manifest.json
    <out>/.chelscreen-job/chunks.journal
    <out>/.chelscreen-job/chunks/unit-000042.parquet
    <out>/results.parquet, <out>/results.csv   (final, atomic)

>>> store = ResultStore("out", job_hash="abc", resume=False)     # doctest: +SKIP
>>> store.write_chunk(3, df)                                       # doctest: +SKIP
>>> store.done_units()                                             # doctest: +SKIP
{3}
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from chelscreen.errors import ChelscreenError

logger = logging.getLogger(__name__)

JOB_DIRNAME = ".chelscreen-job"
MANIFEST_NAME = "manifest.json"
STORE_SCHEMA = 2
CORRUPT_SUFFIX = ".corrupt"
LOCK_NAME = "lock"
JOURNAL_NAME = "chunks.journal"
#: chunk entries appended to the journal before the manifest is rewritten (keeps the cost of
#: recording a chunk O(1) for jobs with thousands of chunks)
MANIFEST_EVERY = 64

try:  # POSIX advisory locks; elsewhere the pid/host check alone guards the folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class ResumeMismatchError(ChelscreenError, ValueError):
    """``--resume`` was asked for a job whose inputs or settings differ from the stored ones."""


class CorruptChunkError(ChelscreenError, ValueError):
    """A stored chunk does not match the checksum recorded in the job's manifest."""


class JobLockedError(ChelscreenError, RuntimeError):
    """Another chelscreen job is writing to the same output folder."""


def _hostname() -> str:
    try:
        return os.uname().nodename
    except AttributeError:  # pragma: no cover - Windows
        import platform

        return platform.node()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


class JobLock:
    """Exclusive lock of one output folder (``flock`` on a file with the holder's pid and host).

    ``flock`` is released by the kernel when its holder dies, so a lock file whose holder is
    gone is recognised as stale and taken over (with a warning); the pid/host recorded in it name
    the holder in the refusal message and guard file systems without ``flock``.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def _read_holder(self, fd: int) -> dict[str, Any]:
        try:
            raw = os.pread(fd, 4096, 0)
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _refuse(self, fd: int, holder: dict[str, Any], why: str) -> JobLockedError:
        os.close(fd)
        out = self.path.parent.parent
        who = (f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, started "
               f"{holder.get('started', '?')}") if holder else "an unknown process"
        return JobLockedError(
            f"another chelscreen job ({who}) {why} {out}; wait for it to finish or choose "
            f"another --out (if it is not running any more, delete {self.path})"
        )

    def acquire(self) -> None:
        """Take the lock or raise :class:`JobLockedError`."""
        host = _hostname()
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise write_error(self.path, exc, "create the lock file") from exc
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    holder = self._read_holder(fd)
                    raise self._refuse(fd, holder, "is writing to") from exc
            # the file we locked must still be the one at the path (a releasing holder unlinks it)
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        else:  # pragma: no cover - lock file replaced over and over
            raise JobLockedError(f"cannot take the lock {self.path}: it keeps changing")
        holder = self._read_holder(fd)
        if holder:
            pid = int(holder.get("pid", -1)) if str(holder.get("pid", "")).isdigit() else -1
            if holder.get("host") != host:
                raise self._refuse(fd, holder, "holds the lock of")
            if pid != os.getpid() and _pid_alive(pid):
                raise self._refuse(fd, holder, "still runs and holds the lock of")
            if pid != os.getpid():
                logger.warning(
                    "taking over the stale lock of %s: pid %s on %s (started %s) is no longer "
                    "running", self.path.parent.parent, holder.get("pid"), holder.get("host"),
                    holder.get("started", "?"))
        info = {"pid": os.getpid(), "host": host,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        data = json.dumps(info).encode("utf-8")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            raise write_error(self.path, exc, "write the lock file") from exc
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent)."""
        if self._fd is None:
            return
        try:
            if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                os.unlink(self.path)
        except OSError:
            pass
        finally:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:  # a store dropped without close() frees the folder
        with contextlib.suppress(Exception):
            self.release()

    @property
    def held(self) -> bool:
        return self._fd is not None


class OutputWriteError(ChelscreenError, OSError):
    """The output folder cannot be written (no space left, read-only, permission, file size)."""


_SPACE = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_ACCESS = {errno.EROFS, errno.EACCES, errno.EPERM}


def write_error(path: str | os.PathLike, exc: OSError, what: str = "write") -> OutputWriteError:
    """One-line :class:`OutputWriteError` for an ``OSError`` while writing ``path``: the reason,
    and the fix (free space / make it writable; a screen keeps its finished chunks)."""
    path = Path(path)
    reason = exc.strerror or str(exc)
    if exc.errno in _SPACE:
        fix = "free some space (or raise the file-size limit) on that file system"
    elif exc.errno in _ACCESS:
        fix = "make the folder writable or choose another --out"
    else:
        fix = "check the output folder"
    in_job = JOB_DIRNAME in path.parts or (path.parent / JOB_DIRNAME).is_dir()
    if in_job:
        fix += "; the finished chunks are kept: run the same command again with --resume"
    err = OutputWriteError(f"cannot {what} {path}: {reason}; {fix}")
    err.errno = exc.errno
    return err


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from exc
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputWriteError):
            raise write_error(path, exc) from exc
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomic UTF-8 text write (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


class AtomicFile:
    """A file written in pieces and published atomically: ``with AtomicFile(path) as fh:``
    writes to a temporary file in the same folder; a clean exit fsyncs it and renames it onto
    ``path`` (then fsyncs the folder), an exception removes it (``path`` is never half-written).
    Used to stream the final tables part by part without holding them in memory."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._tmp: str | None = None
        self._fh: Any = None

    def __enter__(self):  # noqa: ANN204 - a binary file object
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                             dir=self.path.parent)
            os.chmod(self._tmp, 0o666 & ~_umask())
        except OSError as exc:
            raise write_error(self.path, exc) from exc
        self._fh = os.fdopen(fd, "wb")
        return self._fh

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        tmp, fh = self._tmp, self._fh
        if exc_type is None:
            try:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
                os.replace(tmp, self.path)
            except OSError as err:
                with contextlib.suppress(OSError):
                    fh.close()
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise write_error(self.path, err) from err
            _fsync_dir(self.path.parent)
            return
        with contextlib.suppress(OSError):
            fh.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputWriteError):
            raise write_error(self.path, exc) from exc


def _to_parquet_bytes(df: pd.DataFrame, row_group_size: int | None = None) -> bytes:
    import io

    buf = io.BytesIO()
    if row_group_size is None:
        df.to_parquet(buf, index=False)
    else:
        df.to_parquet(buf, index=False, row_group_size=int(row_group_size))
    return buf.getvalue()


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
    JobLockedError
        Another job holds the folder's lock (released by :meth:`close`).
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
        self.journal_path = self.job_dir / JOURNAL_NAME
        self._pending = 0
        #: chunk name → (bytes, mtime_ns, inode) of the version whose SHA-256 was checked
        self._hashed: dict[str, tuple[int, int, int]] = {}
        self.job_hash = job_hash
        self.lock = JobLock(self.job_dir / LOCK_NAME)
        try:
            self.job_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(self.job_dir, exc, "create") from exc
        self.lock.acquire()
        try:
            self._open(job_hash, resume, manifest_extra)
        except BaseException:
            self.lock.release()
            raise

    def _open(self, job_hash: str, resume: bool, manifest_extra: dict[str, Any] | None) -> None:
        manifest = {
            "schema": STORE_SCHEMA,
            "job_hash": job_hash,
            **(manifest_extra or {}),
        }
        self._chunks: dict[str, dict[str, Any]] = {}
        self._manifest = manifest
        #: names of chunks found corrupt, truncated or unverifiable (set aside, recomputed)
        self.rejected: list[str] = []
        if resume and self.manifest_path.exists():
            stored = self.read_manifest()
            if not stored:
                raise ResumeMismatchError(
                    f"cannot resume: {self.manifest_path} is unreadable (corrupt or truncated), "
                    "so the stored chunks cannot be verified. Run again without --resume to "
                    "start the screen afresh in this folder."
                )
            if stored.get("job_hash") != job_hash:
                diff = _describe_difference(stored, manifest)
                raise ResumeMismatchError(
                    f"cannot resume the job in {self.job_dir}: it was started with different "
                    f"inputs or settings ({diff}). Run again without --resume to start a new "
                    f"screen there, or choose another --out folder."
                )
            chunks = stored.get("chunks")
            self._chunks = dict(chunks) if isinstance(chunks, dict) else {}
            self._chunks.update(self._read_journal())
            self._manifest = {**stored, "schema": STORE_SCHEMA, "chunks": self._chunks}
            n_done = len(self.done_units())
            logger.info("resuming job %s: %d finished unit(s) found", job_hash[:12], n_done)
        else:
            if resume:
                logger.warning("--resume: no previous job in %s, starting a new one", self.out)
            if self.job_dir.exists():
                logger.info("removing the previous job's chunks in %s", self.job_dir)
                shutil.rmtree(self.chunk_dir, ignore_errors=True)
            self._manifest = {**manifest, "chunks": self._chunks}
            self._write_manifest()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.journal_path)
        try:
            self.chunk_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(self.chunk_dir, exc, "create") from exc

    # -- manifest -----------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        """The stored manifest (``{}`` when absent or unreadable)."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_manifest(self) -> None:
        atomic_write_text(self.manifest_path,
                          json.dumps(self._manifest, indent=1, sort_keys=True, default=str))

    def _read_journal(self) -> dict[str, dict[str, Any]]:
        """Chunk entries appended since the manifest was last written (a torn last line, from
        a crash in the middle of an append, is ignored: that chunk is then recomputed)."""
        out: dict[str, dict[str, Any]] = {}
        try:
            text = self.journal_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            try:
                rec = json.loads(line)
                out[str(rec["name"])] = {k: rec[k] for k in ("sha256", "bytes", "rows")}
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def _record(self, name: str, entry: dict[str, Any]) -> None:
        """Record a stored chunk: append to the journal (fsync), fold into the manifest now and
        then."""
        self._chunks[name] = entry
        line = (json.dumps({"name": name, **entry}, sort_keys=True) + "\n").encode("utf-8")
        try:
            fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise write_error(self.journal_path, exc) from exc
        self._pending += 1
        if self._pending >= MANIFEST_EVERY:
            self.flush()

    def flush(self) -> None:
        """Fold the journal into the manifest (atomic rewrite, then the journal is removed)."""
        if not self._pending and not self.journal_path.exists():
            return
        self._write_manifest()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal_path)
        self._pending = 0

    # -- chunks -------------------------------------------------------------------------------
    def chunk_path(self, unit_id: int | str) -> Path:
        """File of one unit's chunk (``unit-000042.parquet`` or ``<name>.parquet``)."""
        name = f"unit-{unit_id:06d}" if isinstance(unit_id, int) else str(unit_id)
        return self.chunk_dir / f"{name}.parquet"

    def write_chunk(self, unit_id: int | str, df: pd.DataFrame, *,
                    row_group_size: int | None = None) -> Path:
        """Store one finished unit atomically (overwrites a previous chunk of the same unit) and
        record its SHA-256, size and row count in the manifest. ``row_group_size``: rows per
        Parquet row group (a table read back in batches holds one row group at a time;
        default: the whole table in one)."""
        path = self.chunk_path(unit_id)
        data = _to_parquet_bytes(df, row_group_size)
        with self._chunk_write_errors():
            atomic_write_bytes(path, data)
        self._record(path.name, {"sha256": hashlib.sha256(data).hexdigest(),
                                 "bytes": len(data), "rows": int(len(df))})
        return path

    def write_chunk_parts(self, unit_id: int | str, parts: Iterable[pd.DataFrame]) -> Path:
        """Store a table given as consecutive parts (one Parquet row group each) atomically,
        streamed to disk part by part (never the whole table nor its bytes in memory), with
        its SHA-256, size and row count in the manifest as :meth:`write_chunk`. Every part
        must have the first part's columns and types."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.chunk_path(unit_id)
        rows = 0
        with self._chunk_write_errors(), AtomicFile(path) as fh:
            writer = None
            try:
                for df in parts:
                    table = pa.Table.from_pandas(
                        df, schema=None if writer is None else writer.schema,
                        preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(fh, table.schema)
                    writer.write_table(table)
                    rows += len(df)
            finally:
                if writer is not None:
                    writer.close()
            if writer is None:
                raise ValueError(f"chunk {path.name}: no parts to write")
        self._record(path.name, {"sha256": file_sha256(path), "bytes": path.stat().st_size,
                                 "rows": rows})
        return path

    @contextlib.contextmanager
    def _chunk_write_errors(self):
        """A failed chunk write says how many finished chunks the job keeps, and where."""
        try:
            yield
        except OutputWriteError as exc:
            err = OutputWriteError(f"{exc} ({len(self._chunks)} finished chunk(s) in "
                                   f"{self.chunk_dir})")
            err.errno = exc.errno
            raise err from exc

    def _problem(self, path: Path, data: bytes | None = None) -> str | None:
        """Why the chunk at ``path`` cannot be used (``None``: it matches the manifest)."""
        entry = self._chunks.get(path.name)
        if not isinstance(entry, dict) or "sha256" not in entry:
            return ("it has no checksum in the manifest (written by an older chelscreen, or the "
                    "job stopped between the chunk and the manifest update)")
        if data is None:
            try:
                size = path.stat().st_size
            except OSError as exc:
                return f"it cannot be read ({exc.strerror or exc})"
            if size != entry.get("bytes", size):
                return f"it is truncated or altered ({size} bytes, the manifest says {entry['bytes']})"
            try:
                data = path.read_bytes()
            except OSError as exc:
                return f"it cannot be read ({exc.strerror or exc})"
        if len(data) != entry.get("bytes", len(data)):
            return f"it is truncated or altered ({len(data)} bytes, the manifest says {entry['bytes']})"
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            return "its SHA-256 differs from the manifest (corrupted on disk)"
        return None

    def _reject(self, path: Path, why: str) -> None:
        """Report a bad chunk by name and set it aside (``<chunk>.corrupt``) for recomputation."""
        logger.warning("chunk %s is not used: %s; it is set aside as %s%s and recomputed",
                       path.name, why, path.name, CORRUPT_SUFFIX)
        self.rejected.append(path.name)
        self._chunks.pop(path.name, None)
        self._hashed.pop(path.name, None)
        with contextlib.suppress(OSError):
            os.replace(path, path.with_name(path.name + CORRUPT_SUFFIX))

    def _verified(self, path: Path) -> bool:
        if not path.exists():
            return False
        why = self._problem(path)
        if why is None:
            return True
        self._reject(path, why)
        return False

    def has_chunk(self, unit_id: int | str) -> bool:
        """True when the unit's chunk is on disk and matches its manifest checksum (a bad chunk
        is reported, set aside and counts as missing)."""
        return self._verified(self.chunk_path(unit_id))

    def read_chunk(self, unit_id: int | str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read one unit's chunk (or only ``columns`` of it), verified against the manifest.

        A chunk is hashed once per store object: a later read of the same file (same size and
        modification time) skips the SHA-256, so the passes of the final assembly that read a
        few columns of every chunk do not hash every chunk again.

        Raises
        ------
        CorruptChunkError
            The chunk is missing, truncated or its checksum differs (it is set aside, so running
            the same command again with ``--resume`` recomputes it).
        """
        import io

        path = self.chunk_path(unit_id)
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except OSError as exc:
            raise CorruptChunkError(
                f"chunk {path} cannot be read ({exc.strerror or exc}); run the same command "
                "again with --resume to recompute it"
            ) from exc
        stamp = (len(data), st.st_mtime_ns, st.st_ino)
        if self._hashed.get(path.name) != stamp:
            why = self._problem(path, data)
            if why is not None:
                self._reject(path, why)
                raise CorruptChunkError(
                    f"chunk {path} is not usable: {why}. Run the same command again with "
                    "--resume to recompute it"
                )
            self._hashed[path.name] = stamp
        return pd.read_parquet(io.BytesIO(data), columns=columns)

    def chunk_file(self, unit_id: int | str) -> Path:
        """Path of a stored chunk after verifying its SHA-256 (for reading it in batches).

        Raises
        ------
        CorruptChunkError
            As :meth:`read_chunk`.
        """
        self.read_chunk(unit_id, columns=[])
        return self.chunk_path(unit_id)

    def done_units(self) -> set[int]:
        """Integer ids of the units whose chunk exists and matches the manifest (bad chunks are
        reported by name and set aside, so they are recomputed)."""
        done: set[int] = set()
        for p in sorted(self.chunk_dir.glob("unit-*.parquet")):
            try:
                unit = int(p.stem.split("-", 1)[1])
            except ValueError:  # pragma: no cover - foreign file
                continue
            if self._verified(p):
                done.add(unit)
        return done

    def read_units(self, unit_ids: Iterable[int]) -> pd.DataFrame:
        """Concatenate the (verified) chunks of ``unit_ids`` in the given order."""
        frames = [self.read_chunk(u) for u in unit_ids]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def clear(self) -> None:
        """Remove the job folder (chunks and manifest) and release the lock."""
        self.lock.release()
        shutil.rmtree(self.job_dir, ignore_errors=True)

    def close(self) -> None:
        """Fold the journal into the manifest and release the folder's lock (the chunks stay;
        idempotent; a manifest that cannot be written now is left to the journal)."""
        try:
            if self.lock.held:
                self.flush()
        except OSError as exc:
            logger.warning("manifest not updated (%s); the journal keeps the chunk checksums",
                           exc)
        finally:
            self.lock.release()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe_difference(stored: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted((set(stored) | set(new)) - {"job_hash", "schema", "created", "chunks"})
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
    JobLockedError
        Another running job holds the folder (checked first).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file, not a folder; give a folder name")
    lock_path = out / JOB_DIRNAME / LOCK_NAME
    if lock_path.exists():  # a running job comes first: --resume/--overwrite would not help
        probe = JobLock(lock_path)
        probe.acquire()  # raises JobLockedError naming the holder when it is alive
        probe.release()
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
