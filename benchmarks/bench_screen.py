"""Throughput and memory of a model-only screen: 10,000 chelators × 12 radionuclides.

Generates chelators by enumerating pendant arms on DOTA-like (cyclen, cyclam), NOTA-like (TACN),
macropa-like (4,13-diaza-18-crown-6) and open-chain picolinate/aminocarboxylate (ethylenediamine,
diethylenetriamine) backbones, keeps the first N unique canonical SMILES, screens them against
the therapy set and prints wall time, pairs/s and peak resident memory (this process and its
worker processes).

Usage::

    nice -n 10 python benchmarks/bench_screen.py [--n 10000] [--n-jobs 2] [--out DIR]
    nice -n 10 python benchmarks/bench_screen.py --n 500 --n-jobs 1 --profile   # where the time goes

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


_TICK = __import__("os").sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """``pid``'s descendants now (Linux ``/proc``)."""
    import os

    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    kids = [int(c) for c in fh.read().split()]
                out.extend(kids)
                todo.extend(kids)
        except (OSError, ValueError):
            continue
    return out


def _proc_stats(pid: int) -> tuple[float, float, float] | None:
    """(RSS MB now, peak RSS MB (VmHWM), CPU-s user + system) of one process, or None."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            status = {ln.split(":")[0]: ln.split()[1] for ln in fh if ln.startswith("Vm")}
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    cpu = (int(fields[11]) + int(fields[12])) / _TICK
    return (float(status.get("VmRSS", 0)) / 1024.0, float(status.get("VmHWM", 0)) / 1024.0, cpu)


class _TreeRssSampler:
    """Samples this process and its workers every ``interval`` seconds: the summed RSS, each
    process's peak RSS (VmHWM) and CPU time, so workers that outlive the screen (loky keeps
    them for reuse) are counted too."""

    def __init__(self, interval: float = 0.25) -> None:
        import os
        import threading

        self.peak_mb = 0.0
        self.peak_by_pid: dict[int, float] = {}
        self.cpu_by_pid: dict[int, float] = {}
        self._pid = os.getpid()
        self._before = {p: (_proc_stats(p) or (0, 0, 0.0))[2] for p in _descendants(self._pid)}
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        total = 0.0
        for p in [self._pid, *_descendants(self._pid)]:
            st = _proc_stats(p)
            if st is None:
                continue
            total += st[0]
            self.peak_by_pid[p] = max(self.peak_by_pid.get(p, 0.0), st[1])
            if p != self._pid:
                self.cpu_by_pid[p] = st[2] - self._before.get(p, 0.0)
        self.peak_mb = max(self.peak_mb, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)

    def alive_worker_cpu(self) -> float:
        """CPU-s of the descendants still running now (not yet in RUSAGE_CHILDREN)."""
        return sum(self.cpu_by_pid.get(p, 0.0) for p in _descendants(self._pid))

    def __enter__(self) -> _TreeRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


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
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the screen in CPU time (needs --n-jobs 1: in-process) and "
                         "print the top costs")
    ap.add_argument("--chunk-size", type=int, default=None,
                    help="chelators per work unit (default: the screen's rule, 8-256)")
    ap.add_argument("--profile-top", type=int, default=25, help="rows of each profile table")
    args = ap.parse_args(argv)
    if args.profile and (args.n_jobs != 1 or args.executor != "local"):
        ap.error("--profile measures this process only: use --n-jobs 1 --executor local")
    t0 = time.perf_counter()
    smiles = generate(args.n)
    t_gen = time.perf_counter() - t0
    print(f"generated {len(smiles)} unique chelators in {t_gen:.1f} s")

    from chelscreen.screening import THERAPY_SET, screen

    out = args.out or tempfile.mkdtemp(prefix="chelscreen-bench-")
    t1 = time.perf_counter()
    cpu0 = _cpu_s()
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile(time.process_time)  # CPU time, not wall (shared machine)
    with _TreeRssSampler() as sampler:
        if prof is not None:
            prof.enable()
        df = screen(smiles, list(THERAPY_SET), out=out, n_jobs=args.n_jobs, progress=False,
                    labeling=not args.no_labeling, executor=args.executor,
                    chunk_size=args.chunk_size)
        if prof is not None:
            prof.disable()
    wall = time.perf_counter() - t1
    # this process + reaped workers (rusage) + workers still alive (loky keeps them): /proc
    cpu = _cpu_s() - cpu0 + sampler.alive_worker_cpu()
    n_pairs = len(df)
    n_ok = int(df["score"].notna().sum())
    self_mb, _child_mb = _peak_rss_mb()
    workers = {p: mb for p, mb in sampler.peak_by_pid.items() if p != __import__("os").getpid()}
    big = sorted(workers.values(), reverse=True)
    print(f"screened {len(smiles)} chelators × {len(THERAPY_SET)} radionuclides = {n_pairs} "
          f"pairs ({n_ok} scored) in {wall:.1f} s with n_jobs={args.n_jobs}"
          f"{', labeling skipped' if args.no_labeling else ''}: "
          f"{n_pairs / wall:.0f} pairs/s wall")
    print(f"peak RSS per process: main {self_mb:.0f} MB; {len(workers)} worker/helper "
          f"process(es), largest {', '.join(f'{x:.0f}' for x in big[:4]) or '-'} MB; sampled "
          f"peak of all together {sampler.peak_mb:.0f} MB")
    n_units = len(list((__import__("pathlib").Path(out) / ".chelscreen-job" / "chunks")
                       .glob("unit-*.parquet")))
    print(f"CPU time (this process + all workers): {cpu:.1f} s = "
          f"{n_pairs / max(cpu, 1e-9):.0f} pairs per CPU-second ({args.executor}); "
          f"{n_units} work units, {cpu / max(n_units, 1):.2f} CPU-s and "
          f"{wall / max(n_units, 1) * args.n_jobs:.2f} worker-wall-s per unit")
    per_pair = cpu / max(n_pairs, 1)
    print(f"extrapolation: 10^6 chelators x {len(THERAPY_SET)} radionuclides = "
          f"{1e6 * len(THERAPY_SET):.2e} pairs x {per_pair * 1e3:.2f} CPU-ms = "
          f"{1e6 * len(THERAPY_SET) * per_pair / 3600:.1f} CPU-hours "
          f"(e.g. {1e6 * len(THERAPY_SET) * per_pair / 3600 / 64:.2f} h on 64 cores)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in __import__('os').getloadavg())}")
    print(f"outputs in {out}")
    if prof is not None:
        _print_profile(prof, cpu, args.profile_top)
    return 0


def _print_profile(prof, cpu: float, top: int) -> None:
    """Top costs of the screen: inclusive (cumulative) and own (tottime) CPU seconds."""
    import io
    import pstats

    for key, what in (("cumulative", "inclusive CPU-s (a function and what it calls)"),
                      ("tottime", "own CPU-s (excluding callees)")):
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats(key).print_stats(top)
        print(f"\n=== top {top} by {what}; screen CPU {cpu:.1f} s ===")
        lines = buf.getvalue().splitlines()
        start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
        for ln in lines[start:]:
            if ln.strip():
                print(ln.replace(str(__import__("pathlib").Path(sys.prefix)), "<venv>")[:170])


if __name__ == "__main__":
    sys.exit(main())
