"""The model's weight against retention evidence is the measured one (issue 11, evidence).

``rank.EVIDENCE_PRIOR_WEIGHT`` (how many studies the model estimate counts as) was an assumed
1; ``benchmarks/calibrate_evidence_weight.py`` measures it: the model's retention, for cores
whose evidence it has not seen, misses a study's pooled outcome by far more than studies of one
pair differ, so it is worth ~0.4 studies. The constant must be the recorded measurement, and
the ``why`` sentence's weight must follow it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chelscreen.rank import EVIDENCE_PRIOR_WEIGHT, override, score_pairs, why_sentence
from tests.unit.rank_rows import DOTA, ROW

RESULT = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "evidence_weight.json"


def test_the_constant_is_the_recorded_measurement() -> None:
    rec = json.loads(RESULT.read_text())
    lo, hi = rec["model_weight_90"]
    assert lo <= EVIDENCE_PRIOR_WEIGHT <= hi
    assert EVIDENCE_PRIOR_WEIGHT == pytest.approx(rec["model_weight"], abs=0.05)
    # the unit it is measured in (one study ±1 logit) holds on the same table
    assert rec["study_sd_logit"] == pytest.approx(1.0, abs=0.15)


def test_one_study_outweighs_the_model_by_the_measured_ratio() -> None:
    tab = pd.DataFrame([{"chelator_smiles": DOTA, "radionuclide": "Y-90",
                         "assay": "serum_stability", "outcome": "stable", "doi": "10.1/a",
                         "chelator": "DOTA"}])
    with override(evidence_table=tab):
        s = score_pairs(pd.DataFrame([ROW]))
    share = 1.0 / (1.0 + EVIDENCE_PRIOR_WEIGHT)
    assert share > 0.65  # an assumed weight of 1 gave one study half the say
    assert f"weight {share:.2f} against the model estimate" in why_sentence(s.iloc[0])
