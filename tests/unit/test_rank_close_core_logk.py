"""A model-only log K is combined with a close core's measured constant (same metal).

HBED-CC (HBED with two propionic-acid handles) had Ga3+ log K 33.4 +/- 4.8 from the model
alone while HBED-Ga is measured (38.51, NIST): the lower-bound rule then ranked the clinical
Ga-68 chelator on a number the tool's own data contradict (ranking diagnosis, HBED-CC 5th).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen.rank import CLOSE_CORE_LOGK_SD, close_core_constant, score_pairs
from chelscreen.screening import screen

HBED = "O=C(O)CN(CCN(CC(=O)O)Cc1ccccc1O)Cc1ccccc1O"
HBED_CC = "O=C(O)CCc1ccc(O)c(CN(CCN(CC(=O)O)Cc2cc(CCC(=O)O)ccc2O)CC(=O)O)c1"


def test_close_core_constant_finds_the_measured_parent():
    hit = close_core_constant(HBED_CC, "Ga3+")
    assert hit is not None
    value, source, other = hit
    assert value == pytest.approx(38.51) and "NIST" in source
    assert close_core_constant(HBED_CC, "Xx9+") is None


def test_model_only_estimate_is_combined_and_measured_rows_are_not():
    d = screen(["HBED", "HBED-CC"], ["Ga-68"], out=None, progress=False).set_index("chelator")
    cc, parent = d.loc["HBED-CC"], d.loc["HBED"]
    assert cc["logK_basis"] == "model" and parent["logK_basis"] == "measured"
    w_m, w_c = 1 / cc["logK_sd"] ** 2, 1 / CLOSE_CORE_LOGK_SD ** 2
    want = (w_m * cc["logK_pred"] + w_c * 38.51) / (w_m + w_c)
    assert cc["logK_used"] == pytest.approx(want, abs=1e-6)
    assert cc["logK_sd_used"] < min(cc["logK_sd"], CLOSE_CORE_LOGK_SD)
    assert "close core HBED" in cc["logK_close_core"] and "close core HBED" in cc["why"]
    assert pd.isna(parent["logK_close_core"]) or parent["logK_close_core"] == ""
    assert parent["logK_used"] == pytest.approx(38.51)


def test_no_close_core_leaves_the_model_value():
    row = pd.DataFrame({"smiles": ["CCCCCCCCCC(=O)O"], "metal": ["Ga3+"], "logK_pred": [3.0],
                        "logK_sd": [2.0], "logK_basis": ["model"], "status": ["ok"]})
    out = score_pairs(row)
    assert out["logK_used"].iloc[0] == 3.0 and out["logK_close_core"].iloc[0] == ""
    assert np.isfinite(out["logK_sd_used"].iloc[0])
