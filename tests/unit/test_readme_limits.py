"""The README's "Limits" prose quotes figures of the stability validation; they must be the
figures of the bundled ``models/stability/validation.json`` (the table above them is written
by the benchmark runs, the prose by hand, and the two drifted apart)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_strong_chelator_bias_in_the_limits_matches_the_validation():
    val = json.loads((ROOT / "models/stability/validation.json").read_text(encoding="utf-8"))
    bias = val["per_range"]["model"]["> 20"]["bias"]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"Strong chelators are under-predicted\*\*\s*\(([−-]?\d+\.\d) log units"
                  r"[^)]*?n = (\d+)", text)
    assert m, "README lost its 'Strong chelators are under-predicted (… n = N' limit"
    quoted = float(m.group(1).replace("−", "-"))
    assert abs(quoted - bias) <= 0.05, (quoted, round(bias, 2))
    assert int(m.group(2)) == val["per_range"]["model"]["> 20"]["n"]


def test_met_targets_quoted_in_the_limits_match_the_validation():
    val = json.loads((ROOT / "models/stability/validation.json").read_text(encoding="utf-8"))
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    m = re.search(r"\(Spearman (\d\.\d+) and one-anchor MAE (\d\.\d+) are\)", text)
    assert m, "README lost its '(Spearman … and one-anchor MAE … are)' sentence"
    assert float(m.group(1)) == round(val["model"]["Spearman"], 2)
    assert float(m.group(2)) == round(val["anchored"]["anchored"]["MAE"], 2)
