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


def _bench():
    spec = importlib.util.spec_from_file_location("bench_stability", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_inner_seed_draws_new_inner_splits():
    """``--inner-seed`` gives each outer fold an inner hold-out other than the earlier rounds'
    (seed = outer fold), so a rule written after those rounds is checked on unseen splits."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    bench = _bench()
    assert [bench.inner_seed(k, None) for k in range(5)] == list(range(5))
    assert [bench.inner_seed(k, 1000) for k in range(5)] == list(range(1000, 1005))
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(400), rng.integers(1, 13, 400)).astype(str)
    y = rng.normal(size=len(groups))
    for k, (tr, _te) in enumerate(GroupKFold(5).split(groups, y, groups)):
        old = set(groups[bench.inner_split(tr, y, groups, seed=bench.inner_seed(k, None))[1]])
        new = set(groups[bench.inner_split(tr, y, groups, seed=bench.inner_seed(k, 1000))[1]])
        # chance overlap of two random quarters is about a quarter
        assert len(old & new) < 0.5 * min(len(old), len(new)), k


def test_rule_verdict_applies_the_pre_registered_rule():
    """Lower mean MAE and one-anchor MAE, literature MAE at most 0.05 higher: met; any one
    of the three failing: not met."""
    bench = _bench()
    ref = {"MAE": 1.15, "one-anchor MAE": 0.86, "literature MAE": 2.50}
    assert bench.rule_verdict(ref, {"MAE": 1.14, "one-anchor MAE": 0.85,
                                    "literature MAE": 2.54})[0]
    assert not bench.rule_verdict(ref, {"MAE": 1.15, "one-anchor MAE": 0.85,
                                        "literature MAE": 2.40})[0]  # MAE tie is not lower
    assert not bench.rule_verdict(ref, {"MAE": 1.10, "one-anchor MAE": 0.87,
                                        "literature MAE": 2.40})[0]
    met, why = bench.rule_verdict(ref, {"MAE": 1.10, "one-anchor MAE": 0.80,
                                        "literature MAE": 2.56})
    assert not met and "FAILS: literature" in why


@pytest.mark.slow
def test_inner_only_over_several_folds_reports_means_and_the_rule(tmp_path):
    bench = _bench()
    out = tmp_path / "inner.json"
    res = bench.main(["--inner-only", "--smoke", "120", "--candidates", "blended map,mean map",
                      "--inner-iter", "20", "--outer-fold", "0,1", "--inner-seed", "1000",
                      "--inner-json", str(out)])
    assert set(res["splits"]) == {"1", "2"} and res["inner_seed"] == 1000
    for name in ("blended map", "mean map"):
        vals = [res["splits"][k][name]["MAE"] for k in ("1", "2")]
        assert abs(res["mean"][name]["MAE"] - sum(vals) / 2) < 1e-12
    assert set(res["rule"]) == {"mean map"} and res["rule"]["mean map"]["against"] == "blended map"
    import json

    assert json.loads(out.read_text())["rule"]["mean map"]["met"] == res["rule"]["mean map"]["met"]


def test_tail_rule_verdict_needs_mae_radiometals_and_less_tail_bias():
    bench = _bench()
    ref = {"MAE": 1.15, "radiometal MAE": 1.30, ">20 bias": -1.0, "one-anchor MAE": 0.86,
           "literature MAE": 2.50}
    ok = {"MAE": 1.14, "radiometal MAE": 1.29, ">20 bias": -0.8, "one-anchor MAE": 0.865,
          "literature MAE": 2.54}
    assert bench.tail_rule_verdict(ref, ok)[0]
    assert not bench.tail_rule_verdict(ref, {**ok, ">20 bias": 1.1})[0]  # overshoot counts
    assert not bench.tail_rule_verdict(ref, {**ok, "radiometal MAE": 1.30})[0]
    assert not bench.tail_rule_verdict(ref, {**ok, "one-anchor MAE": 0.875})[0]
    assert bench.RULES["blend"] is bench.rule_verdict
