"""Small helpers shared by the batch functions that take ``n_jobs``."""

from __future__ import annotations

import os


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Number of worker processes for ``n_jobs`` (joblib convention).

    ``None`` or ``0`` → 1; a negative value counts back from the number of cores
    (``-1`` = all cores, ``-2`` = all but one); never less than 1.
    """
    if n_jobs is None or n_jobs == 0:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)
