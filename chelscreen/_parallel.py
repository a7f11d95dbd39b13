"""The one executor of chelscreen: joblib (loky processes) locally, Dask when asked.

Every batch function that takes ``n_jobs`` goes through this module: :func:`resolve_n_jobs`
(joblib's own rule), :func:`map_chunks` (ordered results over contiguous chunks, used by
``read_ligands`` and ``describe``) and :func:`imap_unordered` (results as they finish, used by
the resumable screen so that each finished unit is stored at once).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from chelscreen.errors import ChelscreenError

EXECUTORS = ("local", "dask")


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Number of worker processes for ``n_jobs``, by joblib's rule.

    ``None`` or ``0`` → 1; a negative value counts back from the number of cores
    (``-1`` = all cores, ``-2`` = all but one); never less than 1.

    Examples
    --------
    >>> resolve_n_jobs(None), resolve_n_jobs(3)
    (1, 3)
    >>> resolve_n_jobs(-1) >= 1
    True
    """
    from joblib import effective_n_jobs

    if n_jobs is None or n_jobs == 0:
        return 1
    return max(1, int(effective_n_jobs(int(n_jobs))))


_CONTROLLER: list[Any] = []  # [len(sys.modules) when built, threadpoolctl.ThreadpoolController]


def thread_limits(limits: int | None, user_api: str | None = None) -> Any:
    """``threadpoolctl.threadpool_limits(limits, user_api)`` (a context manager, limits set at
    once) through one ``ThreadpoolController`` per process.

    ``threadpool_limits`` looks up every loaded shared library each time it is called (≈ 6 ms
    with RDKit, scikit-learn and scipy loaded; a screen's work unit called it 7 times); the
    controller here is rebuilt only when a module was imported since it was built (a native
    thread pool is loaded by an import), so it controls the same libraries.
    """
    if not _CONTROLLER or _CONTROLLER[0] != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()  # imports nothing more once threadpoolctl is in
        _CONTROLLER[:] = [len(sys.modules), controller]
    return _CONTROLLER[1].limit(limits=limits, user_api=user_api)


def chunk_bounds(n: int, jobs: int, minimum: int = 50) -> list[tuple[int, int]]:
    """``(start, stop)`` of contiguous chunks (about 4 per worker), in input order."""
    size = max(minimum, -(-n // (max(1, jobs) * 4)))
    return [(k, min(n, k + size)) for k in range(0, n, size)]


def map_chunks(worker: Callable[..., Any], items: Sequence[Any], n_jobs: int,
               *args: Any, minimum: int = 50) -> list[Any]:
    """``[worker(items[a:b], a, *args) for each contiguous chunk]``, in input order.

    Runs in this process for ``n_jobs == 1``, else in joblib's loky worker processes.
    """
    jobs = resolve_n_jobs(n_jobs)
    bounds = chunk_bounds(len(items), jobs, minimum)
    if jobs <= 1 or len(bounds) <= 1:
        return [worker(items[a:b], a, *args) for a, b in bounds]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=jobs, backend="loky")(
        delayed(worker)(items[a:b], a, *args) for a, b in bounds)


def _keyed(func: Callable[[Any], Any], key: int, payload: Any) -> tuple[int, Any]:
    return key, func(payload)


def imap_unordered(func: Callable[[Any], Any], payloads: Sequence[Any], *, n_jobs: int = 1,
                   executor: str = "local", scheduler: str | None = None,
                   initializer: Callable[..., Any] | None = None, initargs: tuple = (),
                   ) -> Iterator[tuple[Any, Any]]:
    """Yield ``(payload, func(payload))`` as each call finishes.

    ``executor="local"``: in this process for ``n_jobs == 1``, else joblib's loky processes
    (at most ``2 × n_jobs`` payloads dispatched ahead, so memory stays flat).
    ``executor="dask"``: ``dask.distributed.Client(scheduler)``, or a LocalCluster on
    127.0.0.1 with ``n_jobs`` workers when no address is given; at most 2 payloads per worker
    thread (at least 8) are in flight. Each worker process keeps its models loaded between
    tasks (module-level caches), so a model is loaded once per worker, not per task.

    ``initializer(*initargs)`` runs once in each new loky worker before its first task (e.g.
    loading models): loky takes a worker's memory after its first task as the reference and
    restarts a worker that grew by more than 300 MB since, so what a worker keeps for good
    belongs before that point. A pool with an initializer is not shared with the plain pool of
    :func:`map_chunks` (loky starts fresh workers when the initializer changes).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor == "dask":
        yield from _imap_dask(func, payloads, n_jobs, scheduler)
        return
    jobs = resolve_n_jobs(n_jobs)
    if jobs <= 1:
        for p in payloads:
            yield p, func(p)
        return
    from joblib import Parallel, delayed, parallel_config
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    extra = {"initializer": initializer, "initargs": tuple(initargs)} if initializer else {}
    with parallel_config(backend="loky", **extra):
        runner = Parallel(n_jobs=jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs")
    try:
        for key, result in runner(delayed(_keyed)(func, k, p) for k, p in enumerate(payloads)):
            yield payloads[key], result
    except TerminatedWorkerError as exc:
        raise ExecutorError(
            "a worker process died (killed, or out of memory); finished results are kept: "
            "run the same command again with --resume, with fewer --n-jobs if memory is short"
        ) from exc


#: seconds to wait for a remote Dask scheduler before giving up with a one-line error
DASK_CONNECT_TIMEOUT_S = 10


class ExecutorError(ChelscreenError, RuntimeError):
    """The executor failed: an unreachable scheduler, workers that keep dying."""


def _one_line(exc: BaseException, n: int = 200) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _what(payload: Any, key: int) -> str:
    if isinstance(payload, dict) and "unit" in payload:
        return f"work unit {payload['unit']}"
    return f"item {key}"


def _imap_dask(func: Callable[[Any], Any], payloads: Sequence[Any], n_jobs: int,
               scheduler: str | None) -> Iterator[tuple[Any, Any]]:
    from dask.distributed import Client, LocalCluster, as_completed
    from distributed import KilledWorker

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {scheduler} within "
                f"{DASK_CONNECT_TIMEOUT_S} s ({_one_line(exc)}); check the address and that "
                "the scheduler runs, or leave out --scheduler to use a local cluster"
            ) from exc
    else:
        # TCP on the loopback interface (also for the threaded single-process cluster), so the
        # same code path as a remote scheduler is exercised and nothing listens outside
        jobs = resolve_n_jobs(n_jobs)
        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=jobs > 1,
            protocol="tcp://", host="127.0.0.1", dashboard_address=None,
        )
        client = Client(cluster)
    try:
        # a bounded window of tasks in flight (2 per worker thread, at least 8): the client,
        # scheduler and workers never hold the whole input, and each result is released from
        # the cluster as soon as it has been handed over (memory flat in the number of units)
        def window() -> int:  # workers may join later (dask-jobqueue, adaptive clusters)
            return max(8, 2 * sum(client.nthreads().values()))

        pending = iter(enumerate(payloads))
        futures: dict[Any, int] = {}

        def submit_next() -> Any:
            item = next(pending, None)
            if item is None:
                return None
            fut = client.submit(func, item[1], pure=False)
            futures[fut] = item[0]
            return fut

        limit = window()
        first = [f for f in (submit_next() for _ in range(limit)) if f is not None]
        running = as_completed(first)
        n_done = 0
        # a worker that dies is replaced (nanny) and its tasks rerun by the scheduler, up to
        # distributed.scheduler.allowed-failures times; after that KilledWorker ends the run
        for fut in running:
            k = futures.pop(fut)
            try:
                result = fut.result()
            except KilledWorker as exc:
                raise ExecutorError(
                    f"Dask workers died repeatedly while running {_what(payloads[k], k)} "
                    f"({_one_line(exc, 120)}); finished results are kept: check the workers' "
                    "memory and logs, then run the same command again with --resume"
                ) from exc
            n_done += 1
            if n_done % 8 == 0:  # refresh the worker count now and then
                limit = window()
            while len(futures) < limit:
                nxt = submit_next()
                if nxt is None:
                    break
                running.add(nxt)
            del fut
            yield payloads[k], result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
