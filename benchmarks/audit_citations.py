"""Citation audit: mechanical checks over every cited table and the sampled source checks.

    python benchmarks/audit_citations.py            # mechanical findings (markdown tables)
    python benchmarks/audit_citations.py --sample   # the random sample of rows to re-read

The mechanical rules are those of tests/test_citations_audit.py (same code). The sample is drawn
with a stated seed, rows added after the cut-off time weighted 3x (the newest rows, per git).
Results: benchmarks/results/citation_audit.md.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_citations_audit import ALLOWED_NOT_IN_QUOTE, TABLES, audit, row_id  # noqa: E402

SEED = 20261203
CUTOFF = "2026-12-03 11:00"  # rows added to a table after this time are "new" (weight 3)
SAMPLE_N = 30


def mechanical() -> str:
    lines = ["| file | row id | kind | detail | allowed |", "|---|---|---|---|---|"]
    for path, rid, kind, detail in audit():
        key = (path, rid, detail.split("=")[0].split(":")[0])
        allowed = "yes: " + ALLOWED_NOT_IN_QUOTE[key][0] if key in ALLOWED_NOT_IN_QUOTE else "no"
        lines.append(f"| {path} | {rid} | {kind} | {detail.replace('|', '/')} | {allowed} |")
    return "\n".join(lines)


def _new_lines(path: str) -> set[str]:
    base = subprocess.run(["git", "rev-list", "-1", f"--before={CUTOFF}", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    diff = subprocess.run(["git", "diff", base, "HEAD", "--", path], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    return {ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")}


def sample() -> pd.DataFrame:
    rows = []
    for t in TABLES:
        df = pd.read_csv(ROOT / t.path, dtype=str, keep_default_na=False)
        new = _new_lines(t.path)
        raw = (ROOT / t.path).read_text(encoding="utf-8").splitlines()
        for (_, r), first in zip(df.iterrows(), raw[1:], strict=False):
            rows.append({"file": t.path, "id": row_id(t, r), "new": first in new,
                         "doi": r[t.source_cols[0]]})
    pool = pd.DataFrame(rows)
    rng = random.Random(SEED)
    weights = [3 if n else 1 for n in pool.new]
    picked: list[int] = []
    while len(picked) < SAMPLE_N:
        i = rng.choices(range(len(pool)), weights=weights)[0]
        if i not in picked:
            picked.append(i)
    return pool.iloc[picked]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", action="store_true")
    if ap.parse_args().sample:
        print(sample().to_string())
    else:
        print(mechanical())
