"""Retention evidence is pooled by study (issue 11: evidence with its weight).

The rows of one paper (one DOI) share its compound, batch and methods: they are one
observation of the pair, counted at their weighted mean and their strongest assay weight, so
one paper with many read-outs cannot outvote several papers. Studies that disagree beyond the
±1 logit one study is assumed to carry count ``W / s²`` (inverse variance by the between-study
spread ``s``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen.rank import (
    OUTCOME_VALUE,
    STUDY_SPREAD_LOGIT,
    override,
    score_pairs,
    study_pool,
    why_sentence,
)
from tests.unit.rank_rows import DOTA, ROW


def _rows(spec: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"chelator_smiles": DOTA, "radionuclide": "Y-90", "assay": a,
                          "outcome": o, "doi": d, "chelator": "DOTA"} for d, a, o in spec])


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_one_paper_with_many_rows_does_not_outvote_several_papers() -> None:
    tab = _rows([("10.1/a", "serum_stability", "stable")] * 4
                + [("10.1/b", "bone_uptake", "unstable"), ("10.1/c", "bone_uptake", "unstable")])
    with override(evidence_table=tab):
        s = score_pairs(pd.DataFrame([ROW]))
    st, un = OUTCOME_VALUE["stable"], OUTCOME_VALUE["unstable"]
    # three studies, one vote each (row-weighted, the mean would be (4·0.95 + 2·0.25) / 6)
    assert s.loc[0, "evidence_mean"] == pytest.approx((st + 2 * un) / 3)
    assert s.loc[0, "evidence_n"] == 6  # the rows are still all reported
    assert s.loc[0, "evidence_text"].startswith("4 stable, 2 unstable from 3 studies")
    assert "4 stable, 2 unstable from 3 studies" in why_sentence(s.iloc[0])
    # they disagree (stable against unstable, ±1.9 logit): weight 3 / s²
    lg = np.array([_logit(st), _logit(un), _logit(un)])
    spread = float(np.sqrt(((lg - lg.mean()) ** 2).mean()))
    assert spread > STUDY_SPREAD_LOGIT
    assert s.loc[0, "evidence_weight"] == pytest.approx(3 / spread ** 2)
    assert "disagree" in s.loc[0, "evidence_text"]


def test_a_study_counts_at_its_strongest_assay_and_agreeing_studies_add_up() -> None:
    tab = _rows([("10.1/a", "pbs_stability", "partial"), ("10.1/a; PMC1", "serum_stability",
                                                          "stable"),
                 ("10.1/b", "serum_stability", "stable")])
    w, mean, n, spread = study_pool(
        np.array([0.3, 1.0, 1.0]), np.array([OUTCOME_VALUE["partial"], OUTCOME_VALUE["stable"],
                                             OUTCOME_VALUE["stable"]]), list(tab["doi"]))
    a = (0.3 * OUTCOME_VALUE["partial"] + OUTCOME_VALUE["stable"]) / 1.3
    assert n == 2  # "10.1/a" and "10.1/a; PMC1" are one study
    assert mean == pytest.approx((a + OUTCOME_VALUE["stable"]) / 2)
    assert spread < STUDY_SPREAD_LOGIT and w == pytest.approx(2.0)  # not 2.3, not shrunk
    with override(evidence_table=tab):
        s = score_pairs(pd.DataFrame([ROW]))
    assert s.loc[0, "evidence_weight"] == pytest.approx(2.0)
    assert s.loc[0, "evidence_text"].startswith("2 stable, 1 partial from 2 studies")


def test_rows_without_a_doi_are_studies_of_their_own() -> None:
    w, mean, n, _ = study_pool(np.array([1.0, 1.0]), np.array([0.95, 0.95]), ["", ""])
    assert n == 2 and w == pytest.approx(2.0) and mean == pytest.approx(0.95)
