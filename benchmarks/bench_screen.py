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
import itertools
import resource
import sys
import tempfile
import time

ARMS = [
    "CC(=O)O",                      # acetate
    "CC(N)=O",                      # acetamide
    "CP(=O)(O)O",                   # methylphosphonate
    "Cc1cccc(C(=O)O)n1",            # picolinate
    "CCO",                          # hydroxyethyl
    "CCC(=O)O",                     # propionate
    "CC(=O)NCC",                    # N-ethyl acetamide
    "Cc1ccccn1",                    # pyridylmethyl
    "CP(C)(=O)O",                   # methylphosphinate
    "C(C)C(=O)O",                   # alpha-methyl acetate
]

# backbones: ring/chain SMILES with {0},{1}... placeholders for arms on N
BACKBONES = [  # ring closures use %91 so they cannot collide with an arm's own ring labels
    ("cyclen", "C%91CN({0})CCN({1})CCN({2})CCN%91{3}", 4),
    ("cyclam", "C%91CN({0})CCN({1})CCCN({2})CCN({3})C%91", 4),
    ("tacn", "C%91CN({0})CCN({1})CCN%91{2}", 3),
    ("diaza18c6", "C%91COCCOCCN({1})CCOCCOCCN%91{0}", 2),
    ("en", "N({0})({1})CCN({2}){3}", 4),
    ("dien", "N({0})({1})CCN({2})CCN({3}){4}", 5),
]


def generate(n: int) -> list[str]:
    """First ``n`` unique canonical SMILES of the enumeration (deterministic order)."""
    from rdkit import Chem

    seen: set[str] = set()
    out: list[str] = []
    def family(tpl: str, k: int):
        for combo in itertools.product(ARMS, repeat=k):
            yield tpl, combo

    gens = [family(tpl, k) for _, tpl, k in BACKBONES]
    # round-robin over backbones so every family is represented
    for items in itertools.zip_longest(*gens):
        for it in items:
            if it is None:
                continue
            tpl, combo = it
            smi = tpl.format(*combo)
            mol = Chem.MolFromSmiles(smi)
            if mol is None:
                continue
            can = Chem.MolToSmiles(mol)
            if can in seen:
                continue
            seen.add(can)
            out.append(can)
            if len(out) >= n:
                return out
    return out


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", default=None)
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
    with _TreeRssSampler() as sampler:
        df = screen(smiles, list(THERAPY_SET), out=out, n_jobs=args.n_jobs, progress=False,
                    labeling=not args.no_labeling)
    wall = time.perf_counter() - t1
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
    print(f"load average: {' '.join(f'{x:.2f}' for x in __import__('os').getloadavg())}")
    print(f"outputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
