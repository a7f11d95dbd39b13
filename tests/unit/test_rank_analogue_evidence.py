"""Retention evidence of a close core counts as analogue evidence (issue 11, ranking misses).

¹¹¹In-DTPA had no retention evidence of its own and ranked 9th for In-111 although the two
C-substituted DTPAs (1B4M-DTPA, CHX-A''-DTPA: the same N3O5 donor skeleton with a backbone
substituent and a handle) have stable In outcomes; the labeling term already counted such a
close core as an analogue precedent, the retention term ignored it.
"""

from __future__ import annotations

import pandas as pd

from chelscreen.radiolabeling import ANALOGUE_WEIGHT
from chelscreen.rank import close_core, override, score_pairs, why_sentence

DTPA = "O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CCN(CC(=O)O)CC(=O)O"
MX_DTPA = "CC(CN(CC(=O)O)CC(Cc1ccc(cc1)N=C=S)N(CC(=O)O)CC(=O)O)N(CC(=O)O)CC(=O)O"
DOTA = "O=C(O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
THEC = "OCCN1CCN(CCO)CCN(CCO)CCN(CCO)CC1"  # hydroxyethyl arms: same skeleton, other donors
DO3A = "O=C(O)CN1CCNCCN(CC(=O)O)CCN(CC(=O)O)CC1"  # an arm fewer: not the same donor set

ROW = {"metal": "In3+", "radionuclide": "In-111", "status": "ok", "cn_preferred": 8,
       "r_ionic_pm": 92.0, "log_beta1_hydrolysis": -4.0, "released_alpha_energy_frac": 0.0,
       "ion_pauling_en": 1.78, "log_alphaL_pH7_4": 4.47, "logK_pred": 25.0, "logK_sd": 2.0,
       "topology": "acyclic", "n_donors": 8, "ring_donors": 0, "cavity_radius_pm": 0.0,
       "preorganization_code": 0, "n_donor_O": 5, "n_donor_amide_O": 0}


def _evidence(smiles: str, nuclide: str = "In-111", name: str = "1B4M-DTPA") -> pd.DataFrame:
    return pd.DataFrame([
        {"chelator_smiles": smiles, "radionuclide": nuclide, "assay": a, "outcome": "stable",
         "doi": f"10.0000/{a}", "chelator": name}
        for a in ("bone_uptake", "liver_uptake")])


def test_close_core_rule() -> None:
    assert close_core(DTPA, MX_DTPA) and close_core(MX_DTPA, DTPA)
    assert not close_core(DOTA, THEC)  # alcohol O is not a carboxylate O
    assert not close_core(DOTA, DO3A)  # a donor arm removed
    assert not close_core(DTPA, DTPA)


def test_close_core_evidence_counts_at_analogue_weight() -> None:
    df = pd.DataFrame([{**ROW, "chelator": "DTPA", "smiles": DTPA}])
    with override(evidence_table=_evidence(MX_DTPA)):
        s = score_pairs(df)
    with override(evidence_table=pd.DataFrame(columns=["chelator_smiles", "radionuclide",
                                                       "assay", "outcome"])):
        plain = score_pairs(df)
    assert s.loc[0, "evidence_n"] == 2
    assert s.loc[0, "evidence_weight"] == 2 * ANALOGUE_WEIGHT
    assert "analogue evidence (close core 1B4M-DTPA" in s.loc[0, "evidence_text"]
    assert s.loc[0, "score"] > plain.loc[0, "score"]
    # the sentence does not present a close core's outcomes as this core's
    assert "with a close chelating core: analogue evidence" in why_sentence(s.iloc[0])


def test_own_evidence_is_pooled_with_the_analogue_and_weighs_more() -> None:
    own = pd.DataFrame([{"chelator_smiles": DTPA, "radionuclide": "In-111",
                         "assay": "serum_stability", "outcome": "unstable",
                         "doi": "10.0000/own", "chelator": "DTPA"}])
    df = pd.DataFrame([{**ROW, "chelator": "DTPA", "smiles": DTPA}])
    with override(evidence_table=pd.concat([own, _evidence(MX_DTPA)], ignore_index=True)):
        s = score_pairs(df)
    assert s.loc[0, "evidence_n"] == 3
    assert s.loc[0, "evidence_weight"] == 1.0 + 2 * ANALOGUE_WEIGHT
    assert s.loc[0, "evidence_text"].startswith("1 unstable")
    assert "with this chelating core: 1 unstable" in why_sentence(s.iloc[0])


def test_no_analogue_evidence_from_another_element_or_other_donors() -> None:
    df = pd.DataFrame([{**ROW, "chelator": "DTPA", "smiles": DTPA},
                       {**ROW, "chelator": "DOTA", "smiles": DOTA, "topology": "macrocycle",
                        "ring_donors": 4, "cavity_radius_pm": 38.3, "preorganization_code": 2,
                        "n_donor_O": 4}])
    tab = pd.concat([_evidence(MX_DTPA, "Y-90"), _evidence(THEC, name="THEC")],
                    ignore_index=True)
    with override(evidence_table=tab):
        s = score_pairs(df)
    assert (s["evidence_n"] == 0).all()
