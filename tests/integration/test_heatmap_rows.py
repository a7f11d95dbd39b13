"""The report's heatmap rows are chelating cores: a conjugate ranked with its core is not a
row (review session 3, L5: the 40 heat names held DOTATATE, DOTATOC, PSMA-617 and PSMA-11,
which the heatmap does not draw, so only 36 cores appeared)."""

from __future__ import annotations

import chelscreen.reporting as reporting
import chelscreen.screening as screening


def test_heat_names_skip_conjugates(tmp_path, monkeypatch):
    seen = {}
    real = screening._rank_all

    def spy(*args, **kwargs):
        ranking = real(*args, **kwargs)
        seen["heat"] = set(ranking.heat_names)
        return ranking

    monkeypatch.setattr(screening, "_rank_all", spy)
    monkeypatch.setattr(reporting, "MAX_HEATMAP_ROWS", 3)
    screening.screen(["DOTA", "DOTATATE", "DOTATOC", "NOTA", "EDTA"], ["Lu-177"],
                     out=tmp_path / "out", progress=False, labeling=False)
    assert seen["heat"] and not seen["heat"] & {"DOTATATE", "DOTATOC"}
    assert len(seen["heat"]) == 3 and "DOTA" in seen["heat"]
