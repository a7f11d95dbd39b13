"""Cost of ranking conjugates with their chelating core (code review M6).

``chelscreen.rank.core_representatives`` gives every conjugate the row of its chelating core.
When a conjugate's core key is not screened, the core may be screened in another acid/linker
form, found by a structural search. The reviewed version searched every plain chelator with a
per-chelator Python test, for every radionuclide, twice per ranking (``add_rank`` and
``add_confidence``). The current one groups the plain chelators by their (N, O, S, P) counts,
searches once per set of chelators and memoizes across calls.

This script builds N open-chain chelators (unique SMILES), G conjugate groups whose core is not
screened, R radionuclides, and times both versions on the same frame in the same run (the
reviewed one is kept here as the reference), each called twice as a ranking does. Both must
give the same result. Prints CPU seconds, the ratio and the load average.

Usage::

    nice -n 10 python benchmarks/bench_core_representatives.py --n 20000 --groups 10 --nuclides 4
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd


def reference_core_representatives(df: pd.DataFrame, by: str = "radionuclide",
                                   score: str = "score") -> np.ndarray:
    """The reviewed version (main at e847b09, rank.py:1137-1161), for the comparison."""
    from chelscreen.rank import _col, _element_counts, _heavy_atoms, _is_core_of, _text_col

    def could_be_core_of(conjugate: str, chelator: str) -> bool:
        core = _element_counts(conjugate, core=True)
        x = _element_counts(chelator)
        whole = _element_counts(conjugate)
        return all(c <= v for c, v in zip(core[1:], x[1:])) and x[0] <= whole[0]

    n = len(df)
    keys = _text_col(df, "ligand_key")
    parents = _text_col(df, "ligand_parent_key")
    smiles = _text_col(df, "smiles")
    sc = _col(df, score)
    groups = df[by].astype(str).to_numpy()
    rep = np.arange(n)
    for g in np.unique(groups):
        idx = np.flatnonzero((groups == g) & np.isfinite(sc))
        core_row: dict[str, int] = {}
        for i in idx:
            if keys[i] and not parents[i] and keys[i] not in core_row:
                core_row[keys[i]] = int(i)
        by_core: dict[str, list[int]] = {}
        for i in idx:
            if parents[i]:
                by_core.setdefault(parents[i], []).append(int(i))
        plain = [i for i in idx if keys[i] and not parents[i]]
        for pk, members in by_core.items():
            if pk in core_row:
                head = core_row[pk]
            else:
                conj = str(smiles[members[0]])
                cands = [j for j in plain if could_be_core_of(conj, str(smiles[j]))
                         and _is_core_of(conj, str(smiles[j]))]
                if cands:
                    head = max(cands, key=lambda j: (_heavy_atoms(str(smiles[j])), -j))
                else:
                    head = members[int(np.argmax(sc[members]))]
            for i in members:
                rep[i] = head
    return rep


def build(n: int, groups: int, nuclides: int) -> pd.DataFrame:
    """N plain open-chain chelators and ``groups`` pairs of conjugates per radionuclide."""
    plain = [f"OC(=O)CN(CC(=O)O)C{'C' * (k % 40)}N(CC(=O)O)C{'C' * (k // 40)}C(=O)O"
             for k in range(n)]
    # DOTA amides of different amines: their core (DOTA mono-amide) is not screened
    amines = ["C", "CC", "CCC", "CC(C)", "CCCC", "CC(C)C", "CCCCC", "c1ccccc1C", "OCC", "NCC",
              "CCCCCC", "CCOC", "CSCC", "CC(=O)O"]
    conj = [f"{amines[g % len(amines)]}{'C' * (g // len(amines))}NC(=O)CN1CCN(CC(=O)O)CCN"
            "(CC(=O)O)CCN(CC(=O)O)CC1" for g in range(groups)]
    rows = []
    for r in range(nuclides):
        nuc = f"N-{r}"
        rows += [{"smiles": s, "ligand_key": f"K{k}", "ligand_parent_key": "",
                  "radionuclide": nuc, "score": 0.5} for k, s in enumerate(plain)]
        for g, s in enumerate(conj):
            for copy in range(2):
                rows.append({"smiles": s, "ligand_key": f"C{g}-{copy}",
                             "ligand_parent_key": f"P{g}", "radionuclide": nuc,
                             "score": 0.4 + 0.01 * copy})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="plain chelators")
    ap.add_argument("--groups", type=int, default=10, help="conjugate groups, core unscreened")
    ap.add_argument("--nuclides", type=int, default=4)
    args = ap.parse_args(argv)
    from chelscreen import rank

    df = build(args.n, args.groups, args.nuclides)
    # warm the per-SMILES caches both versions share (RDKit parses, core finder), so that
    # the figures compare the search, not the first parse of each chelator
    t = time.process_time()
    for s in df["smiles"].unique():
        rank._element_counts(s)
    warm = time.process_time() - t
    times = {}
    results = {}
    for name, fn in (("reviewed (reference)", reference_core_representatives),
                     ("current", rank.core_representatives)):
        rank._HEADS_MEMO.clear()
        t = time.process_time()
        results[name] = [fn(df), fn(df)]  # add_rank and add_confidence
        times[name] = time.process_time() - t
    ref, cur = results["reviewed (reference)"], results["current"]
    same = all(np.array_equal(a, b) for a, b in zip(ref, cur))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.n} plain chelators, {args.groups} conjugate groups with an unscreened core, "
          f"{args.nuclides} radionuclides ({len(df)} rows); two calls each, as a ranking does")
    print(f"element counts of every SMILES (shared, warmed first): {warm:.2f} CPU-s")
    for name, sec in times.items():
        print(f"{name:>22}: {sec:.3f} CPU-s")
    print(f"ratio reviewed / current: {times['reviewed (reference)'] / max(times['current'], 1e-9):.1f}×"
          f"; same result: {same}; load average {load:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
