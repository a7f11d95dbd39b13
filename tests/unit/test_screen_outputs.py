"""results.csv only up to CSV_MAX_ROWS rows unless asked for; parquet always (issue 16)."""

from __future__ import annotations

import pandas as pd

from chelscreen import screening


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"L{i}" for i in range(n)], "score": [0.1 * i for i in range(n)]})


def test_csv_written_up_to_the_limit_and_on_request(tmp_path, monkeypatch):
    monkeypatch.setattr(screening, "CSV_MAX_ROWS", 3)
    small = screening.write_outputs(_frame(3), tmp_path / "a", report=False)
    assert set(small) == {"parquet", "csv"}
    assert pd.read_csv(small["csv"])["id"].tolist() == ["L0", "L1", "L2"]

    out = tmp_path / "b"
    out.mkdir()
    (out / "results.csv").write_text("stale\n")
    big = screening.write_outputs(_frame(4), out, report=False)
    assert set(big) == {"parquet"}
    assert not (out / "results.csv").exists(), "a stale results.csv of another run was kept"
    assert len(pd.read_parquet(big["parquet"])) == 4

    forced = screening.write_outputs(_frame(4), tmp_path / "c", report=False, csv=True)
    assert len(pd.read_csv(forced["csv"])) == 4
    none = screening.write_outputs(_frame(2), tmp_path / "d", report=False, csv=False)
    assert set(none) == {"parquet"}
