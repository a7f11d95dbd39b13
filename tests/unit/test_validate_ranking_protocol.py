"""Protocol of ``benchmarks/validate_ranking.py``: what a head-to-head outcome is compared on.

The published head-to-head outcomes are retention read-outs (serum/in vivo stability,
challenges, acid dissociation). Labeling and the daughter term are no part of what those
assays measure, so the outcomes are scored on ``retention_score`` by default, with the total
``score`` printed beside it from the same screens; the established-practice check ranks by
the total ``score`` (the screen's own order: which chelator a user should take).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from chelscreen.rank import ligand_key, override
from chelscreen.screening import screen

ROOT = Path(__file__).resolve().parents[2]
CB_DO2A = "OC(=O)CN1CCN2CCN(CC(=O)O)CCN(CC1)CC2"
DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"


@pytest.fixture(scope="module")
def vr():
    spec = importlib.util.spec_from_file_location("validate_ranking_protocol",
                                                  ROOT / "benchmarks" / "validate_ranking.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_head_to_head_is_scored_on_retention_with_the_total_score_beside(vr) -> None:
    table = pd.DataFrame([{
        "id": "T1", "radionuclide": "Cu-64", "chelator_a": "CB-DO2A", "chelator_b": "DOTA",
        "smiles_a": CB_DO2A, "smiles_b": DOTA, "better": "a",
        "assay": "in vivo rat liver, protein-associated 64Cu at 4 h (transchelation)",
        "doi": "10.0000/none"}])
    res = vr.head_to_head(table).iloc[0]
    # the same screen the loco protocol runs, read directly
    inp = pd.DataFrame({"name": ["CB-DO2A", "DOTA"], "smiles": [CB_DO2A, DOTA]})
    with override(exclude_keys={ligand_key(CB_DO2A), ligand_key(DOTA)}):
        direct = screen(inp, ["Cu-64"], out=None, progress=False, report=False)
    by = direct.set_index("chelator")
    assert res["loco_a"] == pytest.approx(by.loc["CB-DO2A", "retention_score"])
    assert res["loco_b"] == pytest.approx(by.loc["DOTA", "retention_score"])
    want = "concordant" if by.loc["CB-DO2A", "retention_score"] > by.loc[
        "DOTA", "retention_score"] else "discordant"
    assert res["loco"] == want
    # the total score's verdict is reported beside it, from the same screens
    want_total = "concordant" if by.loc["CB-DO2A", "score"] > by.loc[
        "DOTA", "score"] else "discordant"
    assert res["loco_score"] == want_total
    assert vr.other_score("retention_score") == "score"
    assert vr.other_score("score") == "retention_score"
