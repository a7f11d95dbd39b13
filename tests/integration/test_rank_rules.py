"""The ranking's rules (issue 11): lower confidence bound, evidence before topology, p_best,
indistinguishable pairs, labeling weighted by validated skill. Small real frames, no model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen.rank import (
    EVIDENCE_PRIOR_WEIGHT,
    add_confidence,
    add_rank,
    ligand_key,
    override,
    parent_key,
    sample_scores,
    score_pairs,
    why_sentence,
)

DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
DOTAM = "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1"
EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"
DTPA = "O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CCN(CC(=O)O)CC(=O)O"

BASE = {"metal": "Lu3+", "radionuclide": "Lu-177", "status": "ok", "cn_preferred": 8,
        "r_ionic_pm": 97.7, "log_beta1_hydrolysis": -7.27, "released_alpha_energy_frac": 0.0,
        "ion_pauling_en": 1.27, "log_alphaL_pH7_4": 4.45}
MACRO = {"topology": "macrocycle", "n_donors": 8, "ring_donors": 4, "cavity_radius_pm": 38.3,
         "macrocycle_ring_size": 12, "preorganization_code": 2, "n_donor_O": 4,
         "n_donor_amide_O": 0}
OPEN = {"topology": "acyclic", "n_donors": 8, "ring_donors": 0, "cavity_radius_pm": 0.0,
        "preorganization_code": 0, "n_donor_O": 5, "n_donor_amide_O": 0}


def _row(name: str, smiles: str, **kw) -> dict:
    return {**BASE, "chelator": name, "smiles": smiles, **kw}


def _ranked(df: pd.DataFrame) -> pd.DataFrame:
    return add_confidence(add_rank(score_pairs(df)))


def test_decision_rule_does_not_prefer_an_unknown() -> None:
    # weak metal: the known chelator has a modest measured constant, the unknown a lower
    # prediction with a huge interval. An expectation of σ(pM) pulls the unknown to ~0.5 and
    # ranks it first; the lower confidence bound must not.
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = pd.DataFrame([
        _row("known", DOTA, logK_exp=16.0, **MACRO),
        _row("unknown", DTPA, logK_pred=14.0, logK_sd=12.0, **MACRO),
    ])
    with override(evidence_table=empty):
        s = score_pairs(df).set_index("chelator")
        draws = sample_scores(score_pairs(df))
    assert s.loc["known", "score"] > s.loc["unknown", "score"]
    assert s.loc["known", "thermo_score"] > s.loc["unknown", "thermo_score"]
    # the expectation (the old rule) prefers the unknown here: the test is not vacuous
    assert draws["thermo"][1].mean() > draws["thermo"][0].mean()
    assert s.loc["unknown", "score_hi"] - s.loc["unknown", "score_lo"] > (
        s.loc["known", "score_hi"] - s.loc["known", "score_lo"])
    # the interval holds the decision value
    for name in ("known", "unknown"):
        assert s.loc[name, "score_lo"] <= s.loc[name, "score"] <= s.loc[name, "score_hi"]


def test_an_uncertain_prediction_never_beats_the_same_value_measured() -> None:
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = pd.DataFrame([_row("measured", DOTA, logK_exp=15.0, **MACRO),
                       _row("predicted", DOTA + ".", logK_pred=15.0, logK_sd=6.0, **MACRO)])
    df.loc[1, "smiles"] = DOTAM  # another key, same structure terms
    with override(evidence_table=empty):
        s = score_pairs(df).set_index("chelator")
    assert s.loc["measured", "score"] > s.loc["predicted", "score"]


def test_evidence_beats_topology() -> None:
    evidence = pd.DataFrame([
        {"chelator_smiles": EDTA, "radionuclide": "Lu-177", "assay": "serum_stability",
         "outcome": "stable", "doi": "10.0000/example.serum", "chelator": "EDTA"},
        {"chelator_smiles": EDTA, "radionuclide": "Lu-177", "assay": "in_vivo_stability",
         "outcome": "stable", "doi": "10.0000/example.vivo", "chelator": "EDTA"},
        {"chelator_smiles": DOTA, "radionuclide": "Y-90", "assay": "serum_stability",
         "outcome": "unstable", "doi": "10.0000/other.metal", "chelator": "DOTA"},
    ])
    df = pd.DataFrame([
        _row("macrocycle without evidence", DOTA, logK_pred=20.0, logK_sd=2.0, **MACRO),
        _row("open chain with evidence", EDTA, logK_pred=20.0, logK_sd=2.0,
             **{**OPEN, "n_donors": 6, "n_donor_O": 4}),
    ])
    with override(evidence_table=pd.DataFrame(columns=evidence.columns)):
        plain = score_pairs(df).set_index("chelator")
    with override(evidence_table=evidence):
        s = score_pairs(df).set_index("chelator")
    # topology alone prefers the macrocycle ...
    assert plain.loc["macrocycle without evidence", "score"] > plain.loc[
        "open chain with evidence", "score"]
    # ... the cited outcomes for the pair overturn it; evidence for another metal is not used
    assert s.loc["open chain with evidence", "score"] > s.loc["macrocycle without evidence",
                                                               "score"]
    assert s.loc["macrocycle without evidence", "evidence_n"] == 0
    assert s.loc["open chain with evidence", "evidence_n"] == 2
    why = why_sentence(s.reset_index().iloc[1])
    # two studies of weight 1 against the model's measured weight (EVIDENCE_PRIOR_WEIGHT)
    share = 2 / (2 + EVIDENCE_PRIOR_WEIGHT)
    assert "2 stable" in why and "10.0000/example.serum" in why and f"weight {share:.2f}" in why


def test_a_conjugate_counts_for_its_core() -> None:
    # the evidence key is the core's skeleton: charge/protonation state does not matter
    assert ligand_key(DOTA) == ligand_key("[O-]C(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1")
    assert ligand_key(DOTA) != ligand_key(DOTAM) and ligand_key("") == ""
    # a DOTA-peptide's core (N-methyl amide cap from the core finder) maps to DOTA's evidence
    core = "CNC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    conj = "CC(C)NC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    assert parent_key(core, conj) == ligand_key(DOTA)
    assert parent_key(DOTA, DOTA) == ""
    evidence = pd.DataFrame([{"chelator_smiles": DOTA, "radionuclide": "Lu-177",
                              "assay": "serum_stability", "outcome": "stable",
                              "doi": "10.0000/dota.serum", "chelator": "DOTA"}])
    df = pd.DataFrame([_row("DOTA-peptide", conj, logK_pred=20.0, logK_sd=2.0,
                            ligand_parent_key=parent_key(core, conj), **MACRO)])
    with override(evidence_table=evidence):
        s = score_pairs(df)
    assert s.loc[0, "evidence_n"] == 1
    assert "via its chelating core" in s.loc[0, "evidence_text"]


def test_amide_arms_are_told_from_carboxylates() -> None:
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = pd.DataFrame([_row("acid", DOTA, logK_pred=20, logK_sd=1, **MACRO),
                       _row("amide", DOTAM, logK_pred=20, logK_sd=1,
                            **{**MACRO, "n_donor_amide_O": 4})])
    with override(evidence_table=empty):
        s = score_pairs(df).set_index("chelator")
    assert s.loc["amide", "inertness_struct"] > s.loc["acid", "inertness_struct"]


def _panel(n: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for i in range(n):
        rows.append(_row(f"L{i}", f"C{'C' * i}N(CC(=O)O)CC(=O)O", logK_pred=14.0 + 1.5 * i,
                         logK_sd=0.8 + 0.3 * (i % 3), mild_labeling_prob=float(rng.uniform()),
                         decay_loss_frac=0.0, **MACRO))
    return pd.DataFrame(rows)


def test_p_best_sums_to_one_and_ties_are_symmetric() -> None:
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = pd.concat([_panel(), _panel().assign(radionuclide="Y-90", metal="Y3+")],
                   ignore_index=True)
    with override(evidence_table=empty, labeling_auc=0.5):
        r = _ranked(df)
    for _nuc, g in r.groupby("radionuclide"):
        assert g["p_best"].sum() == pytest.approx(1.0)
        assert g["p_best"].between(0, 1).all()
        best = g.sort_values("rank").iloc[0]
        assert best["p_best"] == g["p_best"].max()
        ties = {c: set(filter(None, t.split("; "))) for c, t in zip(g["chelator"],
                                                                     g["tied_with"])}
        for a, tied in ties.items():
            for b in tied:
                assert a in ties[b]
    # the strongest and the weakest ligand (ΔlogK 10.5) are distinguishable
    lu = r[r["radionuclide"] == "Lu-177"].set_index("chelator")
    assert "L0" not in lu.loc["L7", "tied_with"]


def test_labeling_model_at_chance_does_not_reorder_the_top_five() -> None:
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = _panel()
    flipped = df.assign(mild_labeling_prob=1.0 - df["mild_labeling_prob"])
    no_lab = df.drop(columns=["mild_labeling_prob", "decay_loss_frac"])

    def top5(frame, auc):
        with override(evidence_table=empty, labeling_auc=auc):
            r = add_rank(score_pairs(frame))
        return r.sort_values("rank")["chelator"].head(5).tolist()

    reference = top5(no_lab, 0.5)
    assert top5(df, 0.5) == reference == top5(flipped, 0.5)
    # the same frames with a skilled model do reorder (the test can fail)
    assert top5(df, 1.0) != top5(flipped, 1.0)


def test_a_labeling_precedent_counts_as_evidence_at_zero_skill() -> None:
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = _panel(2)
    df["logK_pred"] = 20.0
    df["mild_labeling_prob"] = [0.05, 0.95]
    df["labeling_basis"] = ["model", "precedent"]
    with override(evidence_table=empty, labeling_auc=0.5):
        s = score_pairs(df)
    assert list(s["labeling_weight"]) == [0.0, 1.0]
    w = why_sentence(s.iloc[1])
    assert "precedent for this pair" in w


def test_imaging_nuclides_are_screenable_and_zr89_is_opt_in() -> None:
    from chelscreen.screening import THERAPY_SET, screen

    df = screen(["DOTA", "DFO"], ["Zr-89", "Ga-68", "In-111"], out=None, progress=False,
                report=False)
    assert set(df["radionuclide"]) == {"Zr-89", "Ga-68", "In-111"}
    assert df["score"].notna().all() and df["p_best"].notna().all()
    for _nuc, g in df.groupby("radionuclide"):
        assert g["p_best"].sum() == pytest.approx(1.0)
        assert (g["score_lo"] <= g["score"]).all() and (g["score"] <= g["score_hi"]).all()
    assert "Ga-68" in THERAPY_SET and "In-111" in THERAPY_SET and "Zr-89" not in THERAPY_SET


def test_calibration_is_used_only_when_it_predicts_held_out_cores_better() -> None:
    from chelscreen.rank import INERTNESS_FEATURES, INERTNESS_PRIOR, calibration_cv, fit_inertness

    rng = np.random.default_rng(3)
    n = 60
    feats = pd.DataFrame({f: rng.uniform(0, 1, n) for f in INERTNESS_FEATURES})
    groups = np.repeat(np.arange(20), 3)
    # outcomes that the prior gets backwards (cavity fit hurts here): calibration must win
    y = (feats["cavity_fit"].to_numpy() < 0.5).astype(float)
    w = np.ones(n)
    cv = calibration_cv(feats, y, w, groups)
    assert cv["calibrated"] < cv["prior"] and cv["n_cores"] == 20
    coef = fit_inertness(feats, y, w)
    assert coef["cavity_fit"] < INERTNESS_PRIOR["cavity_fit"]
    # outcomes drawn from the prior itself: the calibration has nothing to add
    p = 1 / (1 + np.exp(-(INERTNESS_PRIOR["intercept"] + sum(
        INERTNESS_PRIOR[f] * feats[f] for f in INERTNESS_FEATURES))))
    cv2 = calibration_cv(feats, p.to_numpy(), w, groups)
    assert cv2["calibrated"] >= cv2["prior"] - 1e-3


# ---- issue 11, second pass: labeling evidence, half-life, unverified structures, cores -----
def _pair_frame(nuclide: str, metal: str, **extra) -> pd.DataFrame:
    base = {**BASE, "radionuclide": nuclide, "metal": metal, "logK_pred": 20.0,
            "logK_sd": 1.0, **MACRO}
    return pd.DataFrame([
        {**base, "chelator": "proven, heated", "smiles": DOTA, "mild_labeling_prob": 0.0,
         "labeling_basis": "precedent", "decay_loss_frac": 0.0, **extra},
        {**base, "chelator": "not shown", "smiles": DOTAM, "mild_labeling_prob": np.nan,
         "labeling_basis": "insufficient", "decay_loss_frac": np.nan, **extra},
    ])


def test_an_unshown_labeling_never_scores_like_a_proven_one() -> None:
    # same structure terms and log K: only the labeling basis differs. On main an
    # "insufficient" labeling left the factor at 1 (the best possible), above a precedent
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    with override(evidence_table=empty, labeling_auc=0.5):
        s = score_pairs(_pair_frame("Lu-177", "Lu3+")).set_index("chelator")
    assert s.loc["proven, heated", "labeling_score"] > s.loc["not shown", "labeling_score"]
    assert s.loc["proven, heated", "score"] > s.loc["not shown", "score"]
    assert s.loc["not shown", "labeling_weight"] == 0.0
    assert "scored as a labeling not shown" in why_sentence(
        {**s.reset_index().iloc[1].to_dict(), "labeling_note": "labeling: insufficient evidence"})


def test_labeling_weighs_more_for_short_half_lives() -> None:
    from chelscreen.rank import labeling_span

    bi, ga, pb, ac = labeling_span(["Bi-213", "Ga-68", "Pb-212", "Ac-225"])
    assert bi > ga > pb > ac >= 0.3 and bi < 1.0
    assert ac == pytest.approx(0.3, abs=0.01) and bi == pytest.approx(0.3 + 0.7 * (
        1 - 2 ** (-60 / 45.6)), abs=0.01)
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    gaps = {}
    for nuc, metal in (("Bi-213", "Bi3+"), ("Ac-225", "Ac3+")):
        with override(evidence_table=empty, labeling_auc=0.5):
            s = score_pairs(_pair_frame(nuc, metal)).set_index("chelator")
        gaps[nuc] = s.loc["proven, heated", "score_mean"] / s.loc["not shown", "score_mean"]
    # the same labeling evidence moves a 46-min nuclide more than a 10-day one
    assert gaps["Bi-213"] > gaps["Ac-225"] > 1.0


def test_an_unverified_structure_widens_the_uncertainty() -> None:
    from chelscreen.io import structure_status_note

    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = pd.DataFrame([
        _row("verified", DOTA, logK_pred=20.0, logK_sd=1.5, message="", **MACRO),
        _row("probable", DOTAM, logK_pred=20.0, logK_sd=1.5,
             message=structure_status_note("probable"), **MACRO),
    ])
    with override(evidence_table=empty):
        s = score_pairs(df).set_index("chelator")
    assert s.loc["probable", "logK_sd_used"] > s.loc["verified", "logK_sd_used"]
    assert s.loc["probable", "inertness_logit_sd"] > s.loc["verified", "inertness_logit_sd"]
    assert s.loc["probable", "score"] < s.loc["verified", "score"]


def _core_and_conjugates() -> pd.DataFrame:
    core = "CNC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    conj = "CC(C)NC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    conj2 = "CCCCNC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    rows = [
        _row("DOTA", DOTA, logK_exp=20.0, ligand_key=ligand_key(DOTA), **MACRO),
        # the conjugates' own (model) log K is higher: they would outrank their core
        _row("DOTA-peptide", conj, logK_pred=24.0, logK_sd=0.5, ligand_key=ligand_key(conj),
             ligand_parent_key=parent_key(core, conj), **MACRO),
        _row("DOTA-other", conj2, logK_pred=24.0, logK_sd=0.5, ligand_key=ligand_key(conj2),
             ligand_parent_key=parent_key(core, conj2), **MACRO),
        _row("EDTA", EDTA, logK_exp=19.0, ligand_key=ligand_key(EDTA),
             **{**OPEN, "n_donors": 6, "n_donor_O": 4}),
    ]
    return pd.DataFrame(rows)


def test_conjugates_are_ranked_with_their_core() -> None:
    from chelscreen.reporting import console_summary, summary_rows

    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    with override(evidence_table=empty):
        scored = score_pairs(_core_and_conjugates())
        scored["why"] = [why_sentence(r) for r in scored.to_dict("records")]
        r = _ranked(scored).set_index("chelator")
    # the conjugates would outrank their core on their own scores: the test can fail
    assert r.loc["DOTA-peptide", "score"] > r.loc["DOTA", "score"]
    assert r.loc["DOTA-peptide", "rank"] == r.loc["DOTA-other", "rank"] == r.loc["DOTA", "rank"]
    assert sorted(r["rank"].astype(int)) == [1, 1, 1, 2] or sorted(
        r["rank"].astype(int)) == [1, 2, 2, 2]
    assert r.loc["DOTA-peptide", "ranked_with"] == "DOTA" and r.loc["DOTA", "ranked_with"] == ""
    assert r.loc["EDTA", "ranked_with"] == ""
    assert r.loc["DOTA-peptide", "why"].startswith("conjugate of DOTA; ranked with its core")
    # confidence is over chelators: p_best sums to 1 over the cores, conjugates repeat it
    assert r.loc[["DOTA", "EDTA"], "p_best"].sum() == pytest.approx(1.0)
    assert r.loc["DOTA-peptide", "p_best"] == r.loc["DOTA", "p_best"]
    for name in r.index:
        tied = set(filter(None, str(r.loc[name, "tied_with"]).split("; ")))
        assert not tied & {"DOTA-peptide", "DOTA-other"}
    # the summary names chelators: the runner-up is never a conjugate of the best
    s = summary_rows(r.reset_index())[0]
    names = {s["best"]["chelator"], s["second"]["chelator"]}
    assert names == {"DOTA", "EDTA"}
    text = console_summary(r.reset_index())
    assert "DOTA (with its conjugates DOTA-peptide, DOTA-other)" in text


def test_conjugates_of_an_unscreened_core_share_one_rank() -> None:
    empty = pd.DataFrame(columns=["chelator_smiles", "radionuclide", "assay", "outcome"])
    df = _core_and_conjugates().iloc[1:].reset_index(drop=True)
    with override(evidence_table=empty):
        r = _ranked(df).set_index("chelator")
    assert r.loc["DOTA-peptide", "rank"] == r.loc["DOTA-other", "rank"]
    heads = r[r["ranked_with"] == ""].index.tolist()
    assert len(heads) == 2 and "EDTA" in heads


def test_a_conjugate_is_ranked_with_its_core_in_another_acid_form() -> None:
    # PSMA-11's core finder keeps the HBED unit (its propionic arm is the linker), so its
    # parent key is not HBED-CC's: the structural rule must still find HBED-CC, and must not
    # take a smaller chelator (DO3A) for a DOTA conjugate's core
    from chelscreen.chem.standardize import standardize
    from chelscreen.rank import _is_core_of, core_representatives

    psma11 = ("O=C(O)CCc1ccc(O)c(CN(CCN(CC(=O)O)Cc2cc(CCC(=O)NCCCCCC(=O)NCCCC[C@H](NC(=O)N"
              "[C@@H](CCC(=O)O)C(=O)O)C(=O)O)ccc2O)CC(=O)O)c1")
    hbedcc = "O=C(O)CCc1ccc(O)c(CN(CCN(CC(=O)O)Cc2cc(CCC(=O)O)ccc2O)CC(=O)O)c1"
    do3a = "OC(=O)CN1CCNCCN(CC(=O)O)CCN(CC(=O)O)CC1"
    conj = "CC(C)NC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
    assert _is_core_of(psma11, hbedcc) and not _is_core_of(conj, do3a)
    assert not _is_core_of(psma11, EDTA)
    from rdkit import Chem

    rows = []
    for name, smi in (("HBED-CC", hbedcc), ("PSMA-11", psma11), ("DO3A", do3a),
                      ("DOTA-peptide", conj)):
        core = Chem.MolToSmiles(standardize(smi).core)
        rows.append({"chelator": name, "smiles": smi, "radionuclide": "Ga-68", "score": 0.5,
                     "ligand_key": ligand_key(smi), "ligand_parent_key": parent_key(core, smi)})
    df = pd.DataFrame(rows)
    assert df.loc[1, "ligand_parent_key"] not in ("", ligand_key(hbedcc))
    rep = core_representatives(df)
    assert list(rep) == [0, 0, 2, 3]
    ranked = add_rank(df).set_index("chelator")
    assert ranked.loc["PSMA-11", "ranked_with"] == "HBED-CC"
    assert ranked.loc["DOTA-peptide", "ranked_with"] == ""


def test_the_screen_ranks_a_conjugate_with_its_core(tmp_path) -> None:
    # through the real screen (its streamed ranking pass writes rank tables per radionuclide):
    # the conjugate keeps ranked_with and the why note, the summary names chelators only
    from chelscreen.reporting import summary_rows
    from chelscreen.screening import screen

    df = screen(["DOTA", "DOTATATE", "EDTA"], ["Lu-177"], out=None, progress=False,
                report=False)
    r = df.set_index("chelator")
    assert r.loc["DOTATATE", "ranked_with"] == "DOTA" and r.loc["DOTA", "ranked_with"] == ""
    assert r.loc["DOTATATE", "rank"] == r.loc["DOTA", "rank"]
    assert r.loc["DOTATATE", "why"].startswith("conjugate of DOTA; ranked with its core")
    assert r.loc[["DOTA", "EDTA"], "p_best"].sum() == pytest.approx(1.0)
    s = summary_rows(df)[0]
    assert {s["best"]["chelator"], s["second"]["chelator"]} == {"DOTA", "EDTA"}
