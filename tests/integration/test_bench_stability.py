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
