"""The one executor of chelscreen: joblib (loky processes) locally, Dask when asked.

Every batch function that takes ``n_jobs`` goes through this module: :func:`resolve_n_jobs`
(joblib's own rule), :func:`map_chunks` (ordered results over contiguous chunks, used by
``read_ligands`` and ``describe``) and :func:`imap_unordered` (results as they finish, used by
the resumable screen so that each finished unit is stored at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

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
                   ) -> Iterator[tuple[Any, Any]]:
    """Yield ``(payload, func(payload))`` as each call finishes.

    ``executor="local"``: in this process for ``n_jobs == 1``, else joblib's loky processes
    (at most ``2 × n_jobs`` payloads dispatched ahead, so memory stays flat).
    ``executor="dask"``: ``dask.distributed.Client(scheduler)``, or a LocalCluster on
    127.0.0.1 with ``n_jobs`` workers when no address is given.
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
    from joblib import Parallel, delayed

    runner = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered",
                      pre_dispatch="2*n_jobs")
    for key, result in runner(delayed(_keyed)(func, k, p) for k, p in enumerate(payloads)):
        yield payloads[key], result


def _imap_dask(func: Callable[[Any], Any], payloads: Sequence[Any], n_jobs: int,
               scheduler: str | None) -> Iterator[tuple[Any, Any]]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
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
        futures = {client.submit(func, p, pure=False): k for k, p in enumerate(payloads)}
        for fut in as_completed(list(futures)):
            yield payloads[futures[fut]], fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
