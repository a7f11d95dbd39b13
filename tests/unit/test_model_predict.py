"""predict_stability / predict_pairs with the bundled model (loaded, not retrained)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen.model.predict import COLUMNS, predict_pairs, predict_stability

EDTA = "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"
DOTA = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"


@pytest.fixture(scope="module")
def grid():
    return predict_stability([DOTA, EDTA, "C1CC("], ["Lu-177", "Ca2+", "Ac3+", "Xx9+"])


def test_shape_order_columns(grid):
    assert list(grid.columns) == COLUMNS
    assert len(grid) == 12
    assert grid["metal"].tolist()[:4] == ["Lu-177", "Ca2+", "Ac3+", "Xx9+"]
    assert grid["ion"].iloc[0] == "Lu3+"


def test_sane_values_for_reference_pairs(grid):
    dota_lu = grid.iloc[0]
    edta_ca = grid.iloc[5]
    # NIST/literature: DOTA-Lu about 22-25, EDTA-Ca about 10.7
    assert 21.0 <= dota_lu["logK_pred"] <= 26.5
    assert 9.5 <= edta_ca["logK_pred"] <= 12.0
    assert dota_lu["logK_sd"] > 0
    assert dota_lu["logK_lo90"] < dota_lu["logK_pred"] < dota_lu["logK_hi90"]


def test_known_pair_reports_measurement(grid):
    edta_ca = grid.iloc[5]
    assert np.isfinite(edta_ca["logK_exp"])
    assert 10.0 < edta_ca["logK_exp"] < 11.5
    assert "NIST SRD 46" in edta_ca["logK_exp_source"]


def test_bad_rows_marked_not_dropped(grid):
    bad_metal = grid.iloc[3]
    assert bad_metal["status"] == "invalid"
    assert "Xx9+" in bad_metal["message"]
    bad_smiles = grid.iloc[8:12]
    assert (bad_smiles["status"] == "invalid").all()
    assert bad_smiles["logK_pred"].isna().all()


def test_few_row_metal_flagged(grid):
    ac = grid.iloc[2]
    assert not ac["in_domain"]
    assert ac["status"] == "warning"
    assert "few training rows" in ac["domain_note"]
    # wider interval than the well-covered Lu3+
    assert ac["logK_sd"] > grid.iloc[0]["logK_sd"]


def test_pairs_table_keeps_ids_and_order(test_data):
    out = predict_pairs(test_data / "model" / "pairs.csv")
    assert out["id"].tolist() == ["edta-cu", "bad-smiles", "nta-lu", "bad-metal", "edta-ca"]
    assert out["status"].tolist()[1] == "invalid" and out["status"].tolist()[3] == "invalid"
    assert "row 2" in out["message"].iloc[1]
    assert "row 4" in out["message"].iloc[3]
    assert out["ion"].tolist()[4] == "Ca2+"
    assert np.isfinite(out["logK_pred"].iloc[[0, 2, 4]]).all()
    assert out["logK_pred"].iloc[0] > out["logK_pred"].iloc[4]  # EDTA: Cu2+ >> Ca2+


def test_pairs_frame_without_id():
    out = predict_pairs(pd.DataFrame({"smiles": [EDTA], "metal": ["Cu2+"]}))
    assert out["id"].iloc[0] == "P1"
