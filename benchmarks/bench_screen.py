"""Throughput and memory of a model-only screen: 10,000 chelators × 12 radionuclides.

Generates chelators by enumerating pendant arms on DOTA-like (cyclen, cyclam), NOTA-like (TACN),
macropa-like (4,13-diaza-18-crown-6) and open-chain picolinate/aminocarboxylate (ethylenediamine,
diethylenetriamine) backbones, keeps the first N unique canonical SMILES, screens them against
the therapy set and prints wall time, pairs/s and peak resident memory (this process and its
worker processes).

Usage::

    nice -n 10 python benchmarks/bench_screen.py [--n 10000] [--n-jobs 2] [--out DIR]

Target (issue 6): ≤ 3 min and ≤ 2 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time

ARMS = ["acetate", "acetamide", "methylphosphonate", "picolinate", "hydroxyethyl", "propionate",
        "n-ethylacetamide", "pyridylmethyl", "methylphosphinate", "alpha-methylacetate"]
BACKBONES = ["cyclen", "cyclam", "tacn", "diaza18c6", "en", "dien"]


def generate(n: int) -> list[str]:
    """First ``n`` distinct chelators of the enumeration (``chelscreen.enumerate``)."""
    from chelscreen.enumerate import enumerate_ligands

    return enumerate_ligands(BACKBONES, ARMS, max_n=n)["smiles"].tolist()


def _peak_rss_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024.0, child_kb / 1024.0


def _rss_tree_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and all its descendants now (Linux ``/proc``)."""
    import os

    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += float(line.split()[1]) / 1024.0
                        break
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


class _TreeRssSampler:
    """Samples the summed RSS of this process and its workers every ``interval`` seconds."""

    def __init__(self, interval: float = 0.25) -> None:
        import os
        import threading

        self.peak_mb = 0.0
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _rss_tree_mb(self._pid))
            self._stop.wait(self._interval)

    def __enter__(self) -> _TreeRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_s() -> float:
    r_self = resource.getrusage(resource.RUSAGE_SELF)
    r_child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r_self.ru_utime + r_self.ru_stime + r_child.ru_utime + r_child.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--executor", choices=["local", "dask"], default="local",
                    help="local process pool, or a dask LocalCluster with --n-jobs workers")
    ap.add_argument("--no-labeling", action="store_true",
                    help="skip the labeling model (stability model + daughters only)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    smiles = generate(args.n)
    t_gen = time.perf_counter() - t0
    print(f"generated {len(smiles)} unique chelators in {t_gen:.1f} s")

    from chelscreen.screening import THERAPY_SET, screen

    out = args.out or tempfile.mkdtemp(prefix="chelscreen-bench-")
    t1 = time.perf_counter()
    cpu0 = _cpu_s()
    with _TreeRssSampler() as sampler:
        df = screen(smiles, list(THERAPY_SET), out=out, n_jobs=args.n_jobs, progress=False,
                    labeling=not args.no_labeling, executor=args.executor)
    wall = time.perf_counter() - t1
    cpu = _cpu_s() - cpu0
    n_pairs = len(df)
    n_ok = int(df["score"].notna().sum())
    self_mb, child_mb = _peak_rss_mb()
    print(f"screened {len(smiles)} chelators × {len(THERAPY_SET)} radionuclides = {n_pairs} "
          f"pairs ({n_ok} scored) in {wall:.1f} s with n_jobs={args.n_jobs}"
          f"{', labeling skipped' if args.no_labeling else ''}: "
          f"{n_pairs / wall:.0f} pairs/s")
    print(f"peak RSS: main process {self_mb:.0f} MB, largest worker {child_mb:.0f} MB "
          f"(sum bound {self_mb + args.n_jobs * child_mb:.0f} MB); sampled peak of main + "
          f"workers together: {sampler.peak_mb:.0f} MB")
    print(f"CPU time (this process + finished workers): {cpu:.1f} s = "
          f"{n_pairs / max(cpu, 1e-9):.0f} pairs per CPU-second ({args.executor})")
    per_pair = cpu / max(n_pairs, 1)
    print(f"extrapolation: 10^6 chelators x {len(THERAPY_SET)} radionuclides = "
          f"{1e6 * len(THERAPY_SET):.2e} pairs x {per_pair * 1e3:.2f} CPU-ms = "
          f"{1e6 * len(THERAPY_SET) * per_pair / 3600:.1f} CPU-hours "
          f"(e.g. {1e6 * len(THERAPY_SET) * per_pair / 3600 / 64:.2f} h on 64 cores)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in __import__('os').getloadavg())}")
    print(f"outputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
