"""A labeling precedent's decay loss: at least the reference preparation hour (issue 11).

On main, a precedent whose source states a 5-min reaction was charged 5 minutes of decay and
one whose source states no time the whole reference hour, so for ²¹³Bi (t½ 46 min) a heated
5-min labeling (7 % lost) outscored a room-temperature labeling of unstated time (59 % lost):
the absence of a time in the abstract, not the chemistry, decided between them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen import rank

EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"


def _pairs(nuclide: str, metal: str, short_loss: float) -> pd.DataFrame:
    base = dict(smiles=EDTA, radionuclide=nuclide, metal=metal, logK_pred=25.0, logK_sd=1.0,
                status="ok", message="", labeling_basis="precedent")
    return pd.DataFrame([
        dict(base, chelator="heated, 5 min", mild_labeling_prob=0.0, decay_loss_frac=short_loss),
        dict(base, chelator="room temperature, time not stated", mild_labeling_prob=1.0,
             decay_loss_frac=np.nan)])


def test_a_short_stated_time_is_not_an_advantage_over_an_unstated_one():
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    with rank.override(evidence_table=empty):
        out = rank.score_pairs(_pairs("Bi-213", "Bi3+", 0.073)).set_index("chelator")
    mild, hot = out.loc["room temperature, time not stated"], out.loc["heated, 5 min"]
    assert mild["labeling_score"] > hot["labeling_score"]
    assert mild["score"] > hot["score"]


@pytest.mark.parametrize("label, ref, expected", [
    (0.07, 0.59, 0.59),      # a 5-min step is part of the reference hour
    (np.nan, 0.59, 0.59),    # no time stated: the reference hour
    (0.80, 0.59, 0.80),      # a labeling longer than the hour adds its own decay
    (0.0, 0.0, 0.0),         # no half-life: nothing lost
])
def test_preparation_loss(label, ref, expected):
    got = rank.preparation_loss(np.array([label]), np.array([ref]))
    assert got[0] == pytest.approx(expected)


def test_the_why_sentence_says_what_the_score_charged():
    base = dict(metal="Bi3+", radionuclide="Bi-213", topology="macrocycle",
                mild_labeling_prob=0.3, labeling_basis="precedent")
    short = rank.why_sentence({**base, "decay_loss_frac": 0.07})
    assert "7% during the labeling step" in short and "decays before use" in short
    assert "decays during labeling" not in short
    unstated = rank.why_sentence({**base, "decay_loss_frac": np.nan})
    assert "decays before use (scored with 1 h of labeling, purification and QC)" in unstated
    assert "80% of the activity decays during labeling" in rank.why_sentence(
        {**base, "decay_loss_frac": 0.8})
    long_lived = rank.why_sentence({**base, "radionuclide": "Lu-177", "metal": "Lu3+",
                                    "decay_loss_frac": 0.01})
    assert "decays" not in long_lived
