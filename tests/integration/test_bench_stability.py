"""The stability benchmark's fast inner loop runs and scores only inner data (issue 10)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_stability.py"


@pytest.mark.slow
def test_inner_only_scores_candidates_on_the_inner_hold_out(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_stability", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    dump = tmp_path / "inner.csv"
    res = bench.main(["--inner-only", "--smoke", "120", "--candidates", "blended map,mean map",
                      "--inner-iter", "20", "--inner-dump", str(dump)])
    assert set(res) == {"blended map", "mean map"}
    for r in res.values():
        assert r["all"]["n"] > 20 and 0 < r["all"]["MAE"] < 10
        assert set(r["coverage90"])  # per metal group coverage is reported
        # one anchor per hold-out ligand, with the fitted transfer and with the cap
        assert {"as fitted", "capped"} <= set(r["anchored"])
        assert r["anchored"]["capped"]["n"] == r["anchored"]["as fitted"]["n"] > 0
    import pandas as pd

    d = pd.read_csv(dump)
    assert {"logK", "metal", "blended map", "mean map"} <= set(d.columns)
    assert len(d) == res["mean map"]["all"]["n"]


def test_inner_hold_out_is_no_outer_test_fold():
    """The unshuffled inner GroupKFold(4) of an outer training set reproduced the outer
    partition: the inner hold-out of outer folds 2-5 was outer fold 1's test set (and outer
    fold 1's was fold 2's), so every inner comparison scored the same two ligand sets. The
    inner hold-out must be a quarter of the outer training skeletons, differ from every outer
    test fold and from the other outer folds' inner hold-outs."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    spec = importlib.util.spec_from_file_location("bench_stability", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = np.random.default_rng(0)
    # 400 skeletons of 1-12 rows each, as in the table (a few ligands with many metals)
    groups = np.repeat(np.arange(400), rng.integers(1, 13, 400)).astype(str)
    y = rng.normal(size=len(groups))
    outer = list(GroupKFold(5).split(groups, y, groups))
    tests = [set(groups[te]) for _tr, te in outer]
    holds = []
    for k, (tr, _te) in enumerate(outer):
        itr, ite = bench.inner_split(tr, y, groups, seed=k)
        assert set(itr) | set(ite) == set(tr) and not set(itr) & set(ite)
        h = set(groups[ite])
        assert not h & set(groups[itr])  # grouped
        assert 0.15 < len(h) / len(set(groups[tr])) < 0.35
        for j, t in enumerate(tests):
            assert h != t and len(h & t) < 0.8 * len(h), (k, j)
        holds.append(h)
    for a in range(5):
        for b in range(a + 1, 5):
            assert len(holds[a] & holds[b]) < 0.8 * min(len(holds[a]), len(holds[b]))
