"""Throughput and memory of a screen: N chelators × 12 radionuclides, labeling on.

Generates chelators by enumerating pendant arms on DOTA-like (cyclen, cyclam), NOTA-like (TACN),
macropa-like (4,13-diaza-18-crown-6) and open-chain picolinate/aminocarboxylate (ethylenediamine,
diethylenetriamine) backbones (``chelscreen.enumerate``), keeps the first N unique canonical
SMILES and screens them against the therapy set the way the CLI does (``load=False``: results
streamed to ``--out`` one work unit at a time). Prints CPU time (this process and every worker)
as pairs per CPU-second, a reference measured in the same run (plain RDKit parse + descriptors
of the same chelators, ``bench_describe.plain_rdkit``), wall time, peak resident memory of each
process and the load average; with worker processes, also the main process's CPU by part
(read, hand-over, storing the units, ranking, tables, report; no profiler, :data:`PARENT_PARTS`).

Several sizes (``--n 2000 8000``) run one after the other, each in a fresh process, and the peak
RSS of the main and worker processes is compared: flat in n means the growth per 1,000
chelators is small against the total.

With ``--executor dask`` the per-task overhead of the cluster (no-op tasks through the same
executor) is measured and a 10^6-chelator screen extrapolated from it and the per-pair cost.

Usage::

    nice -n 10 python benchmarks/bench_screen.py --n 2000 --n-jobs 2
    nice -n 10 python benchmarks/bench_screen.py --n 2000 8000 --n-jobs 2      # RSS at two sizes
    nice -n 10 python benchmarks/bench_screen.py --n 500 --n-jobs 1 --profile  # where time goes
    nice -n 10 python benchmarks/bench_screen.py --n 2000 --py-spy py-spy        # sampled, + workers
    nice -n 10 python benchmarks/bench_screen.py --n 2000 --executor dask --n-jobs 2
    nice -n 10 python benchmarks/bench_screen.py --n 1024 --chunk-size 64 --units-only  # units
    # memory of the final assembly alone against n (the units of a finished screen replicated)
    nice -n 10 python benchmarks/bench_screen.py --n 2000 --out DIR
    nice -n 10 python benchmarks/bench_screen.py --assembly-from DIR --n 6000 30000 100000

Targets (issue 16): >= 1,500 pairs per CPU-second; peak RSS of any process <= 1.5 GB and
independent of n.
"""

from __future__ import annotations

import argparse
import json
import os
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

    #: optional CSV log of memory over time: (file, chunk folder, interval s)
    log: tuple | None = None
    _last_log = 0.0

    def sample(self) -> None:
        total, main, largest, cpu = 0.0, 0.0, 0.0, 0.0
        for p in [self._pid, *_descendants(self._pid)]:
            st = _proc_stats(p)
            if st is None:
                continue
            total += st[0]
            cpu += st[2]
            if p == self._pid:
                main = st[0]
            else:
                largest = max(largest, st[0])
            self.peak_by_pid[p] = max(self.peak_by_pid.get(p, 0.0), st[1])
            if p != self._pid:
                self.cpu_by_pid[p] = st[2] - self._before.get(p, 0.0)
        self.peak_mb = max(self.peak_mb, total)
        if self.log is not None and time.time() - self._last_log >= self.log[2]:
            self._last_log = time.time()
            path, chunks, _ = self.log
            done = len(list(chunks.glob("unit-*.parquet"))) if chunks.exists() else 0
            new = not path.exists()
            with open(path, "a") as fh:
                if new:
                    fh.write("utc,units_done,rss_total_mb,rss_main_mb,rss_largest_worker_mb,"
                             "cpu_s_live_processes,load1\n")
                fh.write(f"{time.strftime('%H:%M:%S', time.gmtime())},{done},{total:.0f},"
                         f"{main:.0f},{largest:.0f},{cpu:.1f},{os.getloadavg()[0]:.2f}\n")

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


def _reference_cpu(smiles: list[str]) -> float:
    """CPU-s of the plain-RDKit reference (parse + 9 descriptors + a donor SMARTS) on the same
    chelators, in this process (bench_describe.plain_rdkit)."""
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from bench_describe import plain_rdkit

    plain_rdkit(smiles[:20])  # imports and SMARTS compilation
    c0 = time.process_time()
    plain_rdkit(smiles)
    return time.process_time() - c0


def _noop(payload):  # a task that does nothing: the executor's own cost per task
    return payload


def _dask_task_overhead(n_jobs: int, n_tasks: int = 200) -> float:
    """Wall seconds per task × workers of no-op tasks through chelscreen's Dask executor (a
    LocalCluster like the screen's), from the first result to the last (cluster start-up
    excluded)."""
    from chelscreen._parallel import imap_unordered

    stamps = [time.perf_counter() for _ in imap_unordered(
        _noop, [{"unit": k} for k in range(n_tasks)], n_jobs=n_jobs, executor="dask")]
    return (stamps[-1] - stamps[0]) / max(len(stamps) - 1, 1) * max(n_jobs, 1)


def _input_smiles(args, n: int) -> list[str]:
    """The first ``n`` chelators of ``--input`` or of the enumeration (:func:`generate`)."""
    t0 = time.perf_counter()
    if args.input:  # e.g. the output of `chelscreen enumerate` (SMILES in its first column)
        with open(args.input) as fh:
            smiles = [ln.split()[0] for ln in fh if ln.strip() and not ln.startswith("#")][:n]
        print(f"read {len(smiles)} chelators from {args.input}")
    else:
        smiles = generate(n)
        print(f"generated {len(smiles)} unique chelators in {time.perf_counter() - t0:.1f} s")
    return smiles


def units_only(args, n: int) -> dict:
    """CPU of the work units alone, run one after the other in this process: the payloads,
    worker hand-over and warm-up of a screen with local workers (:mod:`chelscreen.screening`'s
    own), the warm-up not counted; no pool, ranking or writing. The per-pair cost of the units
    without the noise of worker start-up and the parent's fixed costs (A/B: alternate runs with
    another checkout's package on ``PYTHONPATH``)."""
    from chelscreen import screening as S

    smiles = _input_smiles(args, n)
    nuclides = list(S.THERAPY_SET)
    labeling = not args.no_labeling
    ligs = S._read_input(smiles)
    size = int(args.chunk_size or S.default_chunk_size(len(ligs)))
    payloads = S._UnitPayloads(ligs, size, {
        "job": "units-only", "radionuclides": nuclides, "labeling": labeling,
        **S.worker_handover(nuclides, labeling)}, S._library_names(ligs["chelator"]))
    S._warm_worker(payloads.warmup())
    load0 = os.getloadavg()
    cpu0 = time.process_time()
    pairs = sum(len(S._score_unit(payloads[u])) for u in range(len(payloads)))
    cpu = time.process_time() - cpu0
    print(f"work units alone ({S.__file__}): {len(payloads)} units of {size} chelators, "
          f"{pairs} pairs in {cpu:.2f} CPU-s = {pairs / max(cpu, 1e-9):.0f} pairs per CPU-second "
          f"({cpu / max(len(ligs), 1) * 1e3:.2f} CPU-ms per chelator); load average before "
          f"{' '.join(f'{x:.2f}' for x in load0)}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return {"n": len(ligs), "pairs": pairs, "cpu_s": cpu, "units": len(payloads)}


#: the main process's parts of a screen, timed in CPU seconds without a profiler (the
#: profiler inflates the Python-heavy assembly 2-3x): (label, module, attribute); an indented
#: label is part of the one above it
PARENT_PARTS: tuple[tuple[str, str, str], ...] = (
    ("read and standardize the input", "chelscreen.screening", "_read_input"),
    ("hand-over to the workers (labeling fit, calibration, nuclide terms)",
     "chelscreen.screening", "worker_handover"),
    ("run the units (pool, results received and stored)", "chelscreen.screening", "run_units"),
    ("  store each unit (Parquet)", "chelscreen.store", "ResultStore.write_chunk"),
    ("ranking pass", "chelscreen.screening", "_rank_all"),
    ("results.parquet/.csv", "chelscreen.screening", "_write_tables"),
    ("  results.csv (pandas to_csv)", "pandas", "DataFrame.to_csv"),
    ("report.html + top.sdf", "chelscreen.screening", "_write_report"),
    ("  heatmap (matplotlib)", "chelscreen.reporting", "heatmap_png"),
    ("  dose sentences", "chelscreen.reporting", "_dose_text"),
)


class _PartTimer:
    """CPU seconds (this process) spent in each of :data:`PARENT_PARTS` while active: each
    function is wrapped (module attribute replaced) and restored on exit."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> _PartTimer:
        import functools
        import importlib

        for label, mod, attr in PARENT_PARTS:
            owner = importlib.import_module(mod)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            fn = getattr(owner, name)

            def wrapped(*a, _fn=fn, _label=label, **k):
                c0 = time.process_time()
                try:
                    return _fn(*a, **k)
                finally:
                    self.spent[_label] = self.spent.get(_label, 0.0) + time.process_time() - c0

            self._saved.append((owner, name, fn))
            setattr(owner, name, functools.wraps(fn)(wrapped))
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, fn in reversed(self._saved):
            setattr(owner, name, fn)

    def report(self, total: float) -> str:
        top = sum(v for k, v in self.spent.items() if not k.startswith(" "))
        lines = [f"main process by part (CPU-s, no profiler; {total:.1f} in all):"]
        for label, _m, _a in PARENT_PARTS:
            if label in self.spent:
                lines.append(f"  {self.spent[label]:6.2f}  {label}")
        lines.append(f"  {total - top:6.2f}  the rest (imports on first use, job set-up, "
                     "report rows)")
        return "\n".join(lines)


def run_one(args, n: int) -> dict:
    smiles = _input_smiles(args, n)
    ref_cpu = _reference_cpu(smiles)

    from chelscreen.screening import THERAPY_SET, screen

    over = None
    if args.executor == "dask":  # first, so that a screen cut short still has it
        over = _dask_task_overhead(args.n_jobs)
        print(f"dask per-task overhead (no-op tasks, {args.n_jobs} workers): {over * 1e3:.1f} "
              f"worker-ms per task", flush=True)
    out = args.out or tempfile.mkdtemp(prefix="chelscreen-bench-")
    chunk_dir = __import__("pathlib").Path(out) / ".chelscreen-job" / "chunks"
    units_before = len(list(chunk_dir.glob("unit-*.parquet"))) if args.resume else 0
    load0 = os.getloadavg()
    t1 = time.perf_counter()
    cpu0 = _cpu_s()
    main0 = time.process_time()
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile(time.process_time)  # CPU time, not wall (shared machine)
    sampler = _TreeRssSampler()
    if args.rss_log:
        sampler.log = (__import__("pathlib").Path(args.rss_log),
                       __import__("pathlib").Path(out) / ".chelscreen-job" / "chunks", 30.0)
    parts = _PartTimer()
    with sampler, parts:
        if prof is not None:
            prof.enable()
        # as the CLI: streamed to `out`, only the report's rows come back
        view = screen(smiles, list(THERAPY_SET), out=out, n_jobs=args.n_jobs, progress=False,
                      labeling=not args.no_labeling, executor=args.executor,
                      chunk_size=args.chunk_size, load=False, resume=args.resume)
        if prof is not None:
            prof.disable()
    wall = time.perf_counter() - t1
    # this process + reaped workers (rusage) + workers still alive (loky keeps them): /proc
    cpu = _cpu_s() - cpu0 + sampler.alive_worker_cpu()
    cpu_main = time.process_time() - main0
    n_pairs = int(view.attrs["screen_summary"]["n_rows"])
    self_mb, _child_mb = _peak_rss_mb()
    workers = {p: mb for p, mb in sampler.peak_by_pid.items() if p != os.getpid()}
    big = sorted(workers.values(), reverse=True)
    n_units = len(list(chunk_dir.glob("unit-*.parquet")))
    if units_before:  # resumed: this run's CPU paid for the units it computed (+ assembly)
        n_all = n_pairs
        n_pairs = round(n_all * (n_units - units_before) / max(n_units, 1))
        print(f"resumed: {units_before} of {n_units} units were done before; the figures "
              f"below count the {n_pairs} pairs of the {n_units - units_before} units run now")
    print(f"screened {len(smiles)} chelators × {len(THERAPY_SET)} radionuclides = {n_pairs} "
          f"pairs in {wall:.1f} s wall with {args.executor} n_jobs={args.n_jobs}"
          f"{', labeling skipped' if args.no_labeling else ', labeling on'}"
          f"{' (resumed)' if args.resume else ''}")
    print(f"CPU time (this process + all workers): {cpu:.1f} s = "
          f"{n_pairs / max(cpu, 1e-9):.0f} pairs per CPU-second; {n_units} work units, "
          f"{cpu / max(n_units, 1):.2f} CPU-s per unit; main process {cpu_main:.1f} CPU-s, "
          f"workers {cpu - cpu_main:.1f}")
    if args.n_jobs != 1 and prof is None:  # with --n-jobs 1 the units are in it too
        print(parts.report(cpu_main))
    print(f"reference in the same run: plain RDKit parse + descriptors of the same {len(smiles)} "
          f"chelators {ref_cpu:.2f} CPU-s = {len(smiles) / max(ref_cpu, 1e-9):.0f} chelators/"
          f"CPU-s; the screen costs {cpu / max(ref_cpu, 1e-9):.1f}× the reference "
          f"({cpu / len(smiles) * 1e3:.1f} CPU-ms per chelator for 12 radionuclides)")
    print(f"peak RSS per process: main {self_mb:.0f} MB; {len(workers)} worker/helper "
          f"process(es), largest {', '.join(f'{x:.0f}' for x in big[:4]) or '-'} MB; sampled "
          f"peak of all together {sampler.peak_mb:.0f} MB")
    print(f"load average 1/5/15 min: before {' '.join(f'{x:.2f}' for x in load0)}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    per_pair = cpu / max(n_pairs, 1)
    res = {"n": len(smiles), "pairs": n_pairs, "cpu_s": cpu, "wall_s": wall, "units": n_units,
           "ref_cpu_s": ref_cpu, "main_mb": self_mb, "worker_mb": big[0] if big else 0.0,
           "load": os.getloadavg()[0], "per_pair_cpu_s": per_pair, "main_cpu_s": cpu_main}
    if over is not None:
        n6, pairs6 = 10**6, 10**6 * len(THERAPY_SET)
        from chelscreen.screening import default_chunk_size

        tasks6 = -(-n6 // default_chunk_size(n6))
        cpu6 = pairs6 * per_pair + tasks6 * over
        print(f"extrapolation: 10^6 chelators × {len(THERAPY_SET)} = {pairs6:.2e} pairs × "
              f"{per_pair * 1e3:.3f} CPU-ms + {tasks6} tasks × {over * 1e3:.1f} ms = "
              f"{cpu6 / 3600:.1f} CPU-hours: {cpu6 / 3600 / 2:.1f} h on 2 workers, "
              f"{cpu6 / 3600 / 64:.2f} h on 64")
        res["task_overhead_s"] = over
    print(f"outputs in {out}")
    if prof is not None:
        _print_profile(prof, cpu, args.profile_top, main_only=args.n_jobs != 1)
        if args.profile_out:
            prof.dump_stats(args.profile_out)
            print(f"profile written to {args.profile_out} (pstats)")
    return res


def assembly_memory(src: str, n: int, out: str, size: int = 256) -> dict:
    """Peak RSS of the final assembly alone (ranking pass, streamed results.parquet, the
    report's rows) of a synthetic job of ``n`` chelators × 12: the stored units of the finished
    screen in ``src`` replicated (chelator names made distinct) into units of ``size``. Only
    the assembly runs, so memory against n is measured without screening n chelators."""
    import glob
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from chelscreen import screening as S
    from chelscreen.store import ResultStore

    files = sorted(glob.glob(f"{src}/.chelscreen-job/chunks/unit-*.parquet"))
    if not files:
        raise SystemExit(f"--assembly-from: no finished units in {src}/.chelscreen-job/chunks")
    base = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    base = base.sort_values(["_lig_idx", "_nuc_idx"], kind="stable").reset_index(drop=True)
    n_base = int(base["_lig_idx"].max()) + 1
    n_nuc = int(base["_nuc_idx"].max()) + 1
    nuclides = list(S.THERAPY_SET)[:n_nuc]
    store = ResultStore(Path(out), "assembly-benchmark")
    n_units = -(-n // size)
    by_lig = base.set_index("_lig_idx")
    for u in range(n_units):
        lig = np.arange(u * size, min(n, (u + 1) * size))
        part = by_lig.loc[lig % n_base].reset_index()
        part["_lig_idx"] = np.repeat(lig, n_nuc)
        part["chelator"] = [f"{c}#{r}" for c, r in zip(part["chelator"],
                                                       np.repeat(lig // n_base, n_nuc))]
        store.write_chunk(u, part)
    first = base[base["_nuc_idx"] == 0]
    idx = np.arange(n)
    names = pd.Series([f"{c}#{r}" for c, r in zip(first["chelator"].to_numpy()[idx % n_base],
                                                  idx // n_base)]).astype(str).array
    smiles = pd.Series(first["smiles"].to_numpy()[idx % n_base]).astype(str).array
    del base, by_lig, first
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM: the assembly's own peak
        fh.write("5")
    before = _proc_stats(os.getpid())[0]
    c0 = time.process_time()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # as the screen's parent process (screening.one_thread)
        ranking = S._rank_all(store, n_units, size, nuclides, names, smiles, None,
                              max(5, S._report_rows()))
        peak_rank = _proc_stats(os.getpid())[1]
        view = []

        def tee(parts):
            for part in parts:
                view.append(ranking.view_rows(part))
                yield part

        S._write_tables(tee(S._final_parts(store, n_units, size, n_nuc, None, ranking, None)),
                        Path(out), csv=False)
    now, peak, _ = _proc_stats(os.getpid())
    store.close()
    return {"n": n, "pairs": n * n_nuc, "before_mb": before, "peak_rank_mb": peak_rank,
            "peak_mb": peak, "cpu_s": time.process_time() - c0, "view_rows": sum(map(len, view)),
            "load": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000],
                    help="chelators; several sizes run one after the other in fresh processes "
                         "and their peak RSS is compared")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--resume", action="store_true", help="continue the screen in --out")
    ap.add_argument("--executor", choices=["local", "dask"], default="local",
                    help="local process pool, or a dask LocalCluster with --n-jobs workers")
    ap.add_argument("--no-labeling", action="store_true",
                    help="skip the labeling model (stability model + daughters only)")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the screen in CPU time and print where it goes (with "
                         "--n-jobs 1 the units run in-process and are included; otherwise the "
                         "main process only)")
    ap.add_argument("--chunk-size", type=int, default=None,
                    help="chelators per work unit (default: the screen's rule)")
    ap.add_argument("--profile-top", type=int, default=25, help="rows of each profile table")
    ap.add_argument("--profile-out", default=None, metavar="FILE",
                    help="with --profile: also write the raw profile (pstats) to FILE; with "
                         "--py-spy: the raw stacks")
    ap.add_argument("--input", default=None,
                    help="screen the first N chelators of this file (e.g. written by "
                         "`chelscreen enumerate`) instead of generating them")
    ap.add_argument("--rss-log", default=None,
                    help="append the RSS of the main process and its workers and the units "
                         "done every 30 s to this CSV")
    ap.add_argument("--assembly-from", default=None, metavar="DIR",
                    help="measure the final assembly's memory only: replicate the stored units "
                         "of the finished screen in DIR (its --out) to each --n chelators and "
                         "run the ranking pass and the streamed writing, each size in a fresh "
                         "process")
    ap.add_argument("--py-spy", default=None, metavar="EXE",
                    help="sample the whole run (main process and workers) with the py-spy "
                         "executable EXE (not a dependency: `pip install py-spy`) and print "
                         "the share of the samples in each part of the screen and the top "
                         "functions; unlike --profile it does not slow Python calls down")
    ap.add_argument("--units-only", action="store_true",
                    help="only the work units, one after the other in this process (warm-up "
                         "not counted): their CPU per pair, without worker start-up, ranking "
                         "and writing")
    ap.add_argument("--json", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.assembly_from:
        return _assembly_main(args)
    if args.units_only:
        for n in args.n:
            units_only(args, n)
        return 0
    if args.profile and args.executor != "local":
        ap.error("--profile needs --executor local (with --n-jobs 1 the units run in-process)")
    if args.py_spy:
        return _py_spy_main(args, argv if argv is not None else sys.argv[1:])
    if len(args.n) == 1:
        res = run_one(args, args.n[0])
        if args.json:
            __import__("pathlib").Path(args.json).write_text(json.dumps(res))
        return 0
    if args.out:
        ap.error("--out takes one size")
    import subprocess

    rows = []
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            js = f"{tmp}/res.json"
            cmd = [sys.executable, __file__, "--n", str(n), "--n-jobs", str(args.n_jobs),
                   "--executor", args.executor, "--json", js]
            cmd += ["--no-labeling"] if args.no_labeling else []
            cmd += ["--chunk-size", str(args.chunk_size)] if args.chunk_size else []
            print(f"\n$ {' '.join(cmd[1:])}", flush=True)
            subprocess.run(cmd, check=True)
            rows.append(json.loads(__import__("pathlib").Path(js).read_text()))
    print("\n     n     pairs  pairs/CPU-s  screen/reference  main MB  worker MB  load")
    for r in rows:
        print(f"{r['n']:6d} {r['pairs']:9d} {r['pairs'] / r['cpu_s']:12.0f} "
              f"{r['cpu_s'] / r['ref_cpu_s']:17.1f} {r['main_mb']:8.0f} {r['worker_mb']:10.0f} "
              f"{r['load']:5.2f}")
    a, b = rows[0], rows[-1]
    dn = (b["n"] - a["n"]) / 1000.0
    for key, what in (("main_mb", "main process"), ("worker_mb", "largest worker")):
        slope = (b[key] - a[key]) / dn if dn else float("nan")
        print(f"peak RSS of the {what}: {a[key]:.0f} MB at n={a['n']}, {b[key]:.0f} MB at "
              f"n={b['n']}: {slope:+.1f} MB per 1,000 chelators "
              f"({slope * 1000:+.0f} MB extrapolated to 10^6)")
    return 0


#: the parts of a screen, by the function that does each (module path suffix, function name);
#: inclusive CPU-s from the profile. Nested rows are indented (already in their parent).
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("read and standardize the input (main)", "screening.py", "_read_input"),
    ("labeling model selection and fit (once per screen)", "radiolabeling.py", "_fitted_model"),
    ("work units", "screening.py", "_score_block"),
    ("  stability model (predict_stability)", "screening.py", "_predictions"),
    ("    its ligand featurization", "estimator.py", "_ligand_frame"),
    ("    its stability-model load (once per process)", "model/io.py", "load"),
    ("  labeling (labeling())", "screening.py", "_labeling_rows"),
    ("    similarity to the labeling table", "radiolabeling.py", "table_similarity"),
    ("    per-pair answer (assess)", "radiolabeling.py", "assess"),
    ("  ligand structure terms (_ligand_structure; pays the chem descriptors that labeling "
     "reuses)", "screening.py", "_ligand_structure"),
    ("    chem.descriptors.ligand_features (cached per SMILES)", "descriptors.py",
     "ligand_features_of_smiles"),
    ("  block re-read (read_ligands of the block)", "screening.py", "_read_block"),
    ("  scoring and confidence draws (score_pairs)", "rank.py", "score_pairs"),
    ("    confidence draws (sample_scores)", "rank.py", "sample_scores"),
    ("  why sentences", "rank.py", "why_sentence"),
    ("  pair table assembly (_assemble_columns)", "screening.py", "_assemble_columns"),
    ("  fixed dtypes (_normalize_types)", "screening.py", "_normalize_types"),
    ("ranking pass (_rank_all)", "screening.py", "_rank_all"),
    ("results.parquet/.csv streamed writing", "screening.py", "_write_tables"),
    ("report.html + top.sdf", "screening.py", "_write_report"),
)


def component_costs(stats) -> list[tuple[str, float]]:
    """(label, inclusive CPU-s) of :data:`COMPONENTS` from a ``pstats.Stats``."""
    out = []
    for label, path, func in COMPONENTS:
        ct = sum(v[3] for (f, _ln, fn), v in stats.stats.items()
                 if fn == func and f.replace("\\", "/").endswith(path))
        out.append((label, ct))
    return out


def _assembly_main(args) -> int:
    if len(args.n) == 1:
        with tempfile.TemporaryDirectory() as tmp:
            res = assembly_memory(args.assembly_from, args.n[0], tmp)
        print(f"assembly of {res['n']} chelators ({res['pairs']} pairs, replicated units): RSS "
              f"before {res['before_mb']:.0f} MB, peak in the ranking pass "
              f"{res['peak_rank_mb']:.0f} MB, peak overall {res['peak_mb']:.0f} MB; CPU "
              f"{res['cpu_s']:.1f} s; {res['view_rows']} report rows; load {res['load']:.2f}",
              flush=True)
        if args.json:
            __import__("pathlib").Path(args.json).write_text(json.dumps(res))
        return 0
    import subprocess

    rows = []
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            js = f"{tmp}/res.json"
            subprocess.run([sys.executable, __file__, "--assembly-from", args.assembly_from,
                            "--n", str(n), "--json", js], check=True)
            rows.append(json.loads(__import__("pathlib").Path(js).read_text()))
    a, b = rows[0], rows[-1]
    print("\n      n   before MB  peak ranking MB  peak MB  CPU-s  load")
    for r in rows:
        print(f"{r['n']:7d} {r['before_mb']:11.0f} {r['peak_rank_mb']:16.0f} {r['peak_mb']:8.0f} "
              f"{r['cpu_s']:6.1f} {r['load']:5.2f}")
    mb = (b["peak_mb"] - a["peak_mb"]) / max(b["n"] - a["n"], 1)  # MB per chelator
    print(f"final assembly peak RSS {a['peak_mb']:.0f} MB at n={a['n']}, {b['peak_mb']:.0f} MB "
          f"at n={b['n']}: {mb * 1024:+.2f} KB per chelator ({mb * 1e6:+.0f} MB for 10^6 more "
          "chelators)")
    return 0


def _py_spy_main(args, argv: list[str]) -> int:
    """This benchmark run again (without ``--py-spy``) under ``py-spy record`` (raw stacks, all
    subprocesses), then the shares of the samples: the parts of :data:`COMPONENTS` and the top
    functions by inclusive and own samples."""
    import subprocess

    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--py-spy":
            skip = True
            continue
        if a.startswith("--py-spy="):
            continue
        rest.append(a)
    with tempfile.TemporaryDirectory() as tmp:
        raw = f"{tmp}/stacks.txt"
        cmd = [args.py_spy, "record", "--subprocesses", "--nonblocking", "-r", "200", "-f",
               "raw", "-o", raw, "--", sys.executable, __file__, *rest]
        print(f"$ {' '.join(cmd)}", flush=True)
        subprocess.run(cmd, check=True)
        print_stack_shares(raw, args.profile_top)
        if args.profile_out:
            __import__("shutil").copyfile(raw, args.profile_out)
            print(f"py-spy stacks written to {args.profile_out}")
    return 0


def stack_shares(path: str) -> tuple[int, dict, dict]:
    """(total samples, inclusive samples, own samples) per function ``(file, name)`` of a
    py-spy raw (collapsed stacks) file; a function counts once per stack."""
    import collections
    import re

    frame = re.compile(r"(.*) \((.*?)(?::\d+)?\)$")
    incl: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    with open(path) as fh:
        for line in fh:
            stack, _, n = line.rstrip().rpartition(" ")
            if not stack or not n.isdigit():
                continue
            total += int(n)
            keys = []
            for f in stack.split(";"):
                m = frame.match(f)
                keys.append((m.group(2).replace("\\", "/"), m.group(1)) if m else ("", f))
            for k in set(keys):
                incl[k] += int(n)
            own[keys[-1]] += int(n)
    return total, incl, own


def print_stack_shares(path: str, top: int) -> None:
    total, incl, own = stack_shares(path)
    if not total:
        print("py-spy recorded no samples")
        return
    print(f"\n=== where the CPU goes (py-spy, {total} samples of the main process and its "
          "workers; % of all samples) ===")
    for label, file, func in COMPONENTS:
        n = sum(v for (f, fn), v in incl.items()
                if fn.split(".")[-1] == func and f.endswith(file))
        if n:
            print(f"{100 * n / total:5.1f} %  {label}")
    for what, counts in (("inclusive (a function and what it calls)", incl),
                         ("own (excluding callees)", own)):
        print(f"\n=== top {top} by {what} samples (process roots, runpy, multiprocessing "
              "and joblib frames left out) ===")
        shown = 0
        for (f, fn), n in counts.most_common():
            if shown >= top:
                break
            if not f or any(x in f for x in ("runpy", "multiprocessing/", "joblib/")):
                continue
            shown += 1
            where = f.replace(str(__import__("pathlib").Path(sys.prefix)), "<venv>")
            print(f"{100 * n / total:5.1f} %  {fn}  ({where[-70:]})")


def _print_profile(prof, cpu: float, top: int, main_only: bool = False) -> None:
    """Top costs of the screen: the parts of :data:`COMPONENTS`, then the inclusive
    (cumulative) and own (tottime) CPU seconds of the top functions."""
    import io
    import pstats

    st = pstats.Stats(prof, stream=io.StringIO())
    total = sum(v[2] for v in st.stats.values())
    where = "this (main) process only: the workers' units are not in it" if main_only else \
        "one process (units in-process)"
    print(f"\n=== where the CPU goes ({where}; profiled {total:.1f} CPU-s, profiler overhead "
          "included; screen CPU without profiler lower) ===")
    for label, ct in component_costs(st):
        if ct > 0:
            print(f"{ct:8.2f} CPU-s {100 * ct / max(total, 1e-9):5.1f} %  {label}")
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
