"""Scores, rank and report pieces on small real DataFrames (no stability model needed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from chelscreen.rank import (
    add_rank,
    estimate_pkas,
    log_alpha_hydrolysis,
    log_alpha_ligand,
    pm_from_logk,
    score_pairs,
    topology,
    why_sentence,
)

DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"
CBTE2A = "OC(=O)CN1CCCN2CCN(CC(=O)O)CCCN(CC1)CC2"
MACROPA = "OC(=O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1"


def test_pm_limits_and_mass_balance() -> None:
    pm = pm_from_logk(np.array([-5.0, 15.0, 25.0, np.nan]))
    assert pm[0] == pytest.approx(6.0, abs=1e-4)           # no complexation: pM = -log 1 µM
    assert pm[1] == pytest.approx(15.0 + math.log10(9.0), abs=1e-3)
    assert pm[2] == pytest.approx(25.0 + math.log10(9.0), abs=1e-3)
    assert np.isnan(pm[3])
    # exact solution at an intermediate constant: K (M-x)(L-x) = x
    k, m, lt = 10.0**6, 1e-6, 1e-5
    free = 10.0 ** -pm_from_logk(6.0)
    x = m - free
    assert k * free * (lt - x) == pytest.approx(x, rel=1e-6)


def test_ligand_basicity_estimates() -> None:
    assert estimate_pkas(Chem.MolFromSmiles(EDTA)) == [10.0, 7.5]
    assert log_alpha_ligand([10.0, 7.5]) == pytest.approx(
        math.log10(1 + 10**2.6 + 10**2.6 * 10**0.1), rel=1e-9)
    assert log_alpha_ligand([]) == 0.0
    # pyridylmethyl amines of macropa are far less basic than DOTA's ring amines
    assert log_alpha_ligand(estimate_pkas(Chem.MolFromSmiles(MACROPA))) < 1.0
    assert log_alpha_ligand(estimate_pkas(Chem.MolFromSmiles(DOTA))) > 4.0
    assert log_alpha_hydrolysis(None) == 0.0
    assert log_alpha_hydrolysis(-7.4) == pytest.approx(math.log10(2.0))


def test_topology() -> None:
    assert topology(Chem.MolFromSmiles(DOTA)) == ("macrocycle", 12)
    assert topology(Chem.MolFromSmiles(EDTA)) == ("acyclic", 0)
    assert topology(Chem.MolFromSmiles(CBTE2A))[0] == "cross-bridged"
    assert topology(Chem.MolFromSmiles(MACROPA)) == ("macrocycle", 18)


def _pairs() -> pd.DataFrame:
    base = {"metal": "Lu3+", "radionuclide": "Lu-177", "status": "ok", "cn_preferred": 8,
            "r_ionic_pm": 97.7, "log_beta1_hydrolysis": -7.27, "released_alpha_energy_frac": 0.0,
            "mild_labeling_prob": 0.5, "decay_loss_frac": 0.0}
    rows = [
        {**base, "chelator": "strong-macro", "logK_pred": 24.0, "topology": "macrocycle",
         "n_donors": 8, "ring_donors": 4, "cavity_radius_pm": 38.3, "log_alphaL_pH7_4": 4.45,
         "macrocycle_ring_size": 12, "logK_sd": 1.1},
        {**base, "chelator": "weak-macro", "logK_pred": 10.0, "topology": "macrocycle",
         "n_donors": 8, "ring_donors": 4, "cavity_radius_pm": 38.3, "log_alphaL_pH7_4": 4.45},
        {**base, "chelator": "open", "logK_pred": 24.0, "topology": "acyclic", "n_donors": 8,
         "ring_donors": 0, "cavity_radius_pm": 0.0, "log_alphaL_pH7_4": 4.45},
        {**base, "chelator": "bad", "status": "invalid", "message": "row 4: bad SMILES"},
        {**base, "chelator": "too-big-ring", "logK_pred": 24.0, "topology": "macrocycle",
         "n_donors": 6, "ring_donors": 6, "cavity_radius_pm": 142.5, "log_alphaL_pH7_4": 4.45},
    ]
    return pd.DataFrame(rows)


def test_scores_follow_the_physics() -> None:
    s = score_pairs(_pairs()).set_index("chelator")
    assert s.loc["strong-macro", "thermo_score"] > s.loc["weak-macro", "thermo_score"]
    assert s.loc["strong-macro", "inertness"] > s.loc["open", "inertness"]
    assert s.loc["strong-macro", "cavity_fit"] == pytest.approx(1.0)   # 97.7 pm within cage
    assert s.loc["too-big-ring", "cavity_fit"] < 0.3                   # 142.5 pm hole vs 97.7
    assert s.loc["strong-macro", "score"] > s.loc["open", "score"] > 0
    assert math.isnan(s.loc["bad", "score"]) and math.isnan(s.loc["bad", "pM_pH7_4"])
    assert s.loc["strong-macro", "daughter_score"] == 1.0
    assert s["score"].dropna().between(0, 1).all()


def test_simulation_evidence_lowers_inertness_when_donors_are_lost() -> None:
    df = _pairs().iloc[[0, 0]].reset_index(drop=True)
    df["sim_donors_retained_frac"] = [1.0, 0.25]
    s = score_pairs(df)
    assert s.loc[1, "inertness"] == pytest.approx(s.loc[0, "inertness_struct"] * 0.5)
    assert s.loc[0, "inertness"] == pytest.approx(s.loc[0, "inertness_struct"])
    assert s.loc[1, "score"] < s.loc[0, "score"]


def test_rank_within_radionuclide_keeps_order_on_ties() -> None:
    df = pd.DataFrame({"radionuclide": ["A", "B", "A", "A", "B"],
                       "score": [0.5, 0.9, 0.5, np.nan, 0.1]})
    r = add_rank(df)["rank"].tolist()
    assert r[0] == 1 and r[2] == 2 and r[1] == 1 and r[4] == 2
    assert pd.isna(r[3])


def test_why_sentence_reports_domain_and_reasons() -> None:
    s = score_pairs(_pairs())
    s["in_domain"] = [True, False, True, None, True]
    s["domain_note"] = ["", "few Lu rows", "", "", ""]
    s["alphas_per_decay"] = 0.0
    w = [why_sentence(r) for r in s.to_dict("records")]
    assert w[0].startswith("8-donor 12-membered macrocycle whose cavity fits Lu³⁺")
    assert "pM" in w[0] and "in domain" in w[0]
    assert "OUT OF DOMAIN: few Lu rows" in w[1]
    assert w[2].startswith("open-chain 8-donor chelator")
    assert w[3] == "not scored: row 4: bad SMILES"
    assert "is mismatched to Lu³⁺" in w[4] and "leaving 2 of Lu³⁺'s sites to water" in w[4]


def test_report_is_self_contained(tmp_path) -> None:
    import chelscreen
    from chelscreen.rank import add_confidence
    from chelscreen.reporting import render_report

    s = score_pairs(_pairs())
    s["smiles"] = [DOTA, DOTA, EDTA, "", MACROPA]
    s["id"] = [f"L{i}" for i in range(5)]
    s = add_confidence(add_rank(s))
    s["why"] = [why_sentence(r) for r in s.to_dict("records")]
    html = render_report(s)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "data:image/png;base64," in html and html.count("<svg") >= 3
    assert "Rejected inputs" in html and "row 4: bad SMILES" in html
    assert "<script" not in html and "src='http" not in html and 'src="http' not in html
    # the first screen answers the question: summary table before the table of contents
    first = html.index("Which chelator for which radionuclide")
    assert first < html.index('class="toc"') < html.index('id="heatmap"')
    assert "best choice" in html and "runner-up" in html and "distinguishable?" in html
    # no template holes
    visible = html.split("</style>", 1)[1]
    for hole in (">nan<", " nan ", "None", "suggested °C", ", min,", "pH ;"):
        assert hole not in visible, hole
    # the public function writes the same page
    out = chelscreen.report(s, tmp_path / "sub" / "r.html")
    assert out.exists() and "Which chelator" in out.read_text(encoding="utf-8")
    fig = chelscreen.heatmap(s)
    assert fig.axes and len(fig.axes[0].get_yticks()) == 4


def test_report_says_indistinguishable_and_flags_extrapolation() -> None:
    from chelscreen.rank import add_confidence
    from chelscreen.reporting import console_summary, relative_scores, render_report

    s = score_pairs(_pairs())
    s["smiles"] = [DOTA, DOTA, EDTA, "", MACROPA]
    s = add_confidence(add_rank(s))
    s["in_domain"] = False
    s["why"] = [why_sentence(r) for r in s.to_dict("records")]
    html = render_report(s)
    assert "Every estimate for Lu-177 is an extrapolation" in html
    best = s.sort_values("rank").iloc[0]
    text = console_summary(s)
    if best["tied_with"]:
        assert "indistinguishable" in html and "indistinguishable" in text
    else:
        assert "distinguishable from the runner-up" in text
    rel = relative_scores(s)
    assert rel.max().max() == pytest.approx(1.0) and (rel.fillna(0) <= 1.0 + 1e-12).all().all()


def test_report_cards_say_where_the_daughters_dose_goes() -> None:
    from chelscreen.reporting import _dose_text

    text = _dose_text("Ac-225", "DOTA", DOTA)
    assert "released daughters deposit" in text and "kidneys" in text and "Gy/MBq" in text
    assert _dose_text("Lu-177", "DOTA", DOTA) == ""  # no alpha emitter in the chain
    # an unnamed chelator is classified by its structure, without a log line per card
    assert _dose_text("Pb-212", "L0001", DOTA) == _dose_text("Pb-212", "DOTA", DOTA)


def test_no_defensible_pick_when_the_best_is_an_unsupported_tie() -> None:
    from chelscreen.reporting import summary_rows

    base = {"radionuclide": "Ra-223", "score": 0.06, "score_lo": 0.05, "score_hi": 0.4,
            "p_best": 0.5, "evidence_n": 0.0, "logK_pred": 8.0, "logK_sd": 4.0,
            "in_domain": False}
    df = pd.DataFrame([{**base, "chelator": "A", "rank": 1, "tied_with": "B"},
                       {**base, "chelator": "B", "rank": 2, "tied_with": "A"}])
    assert summary_rows(df)[0]["no_pick"]
    # the same tie with cited evidence behind the best is a pick (marked indistinguishable)
    df.loc[0, "evidence_n"] = 2.0
    s = summary_rows(df)[0]
    assert not s["no_pick"] and not s["distinct"]
    # an extrapolated best that is distinguishable from the runner-up is still shown
    df.loc[0, "evidence_n"] = 0.0
    df["tied_with"] = ""
    assert not summary_rows(df)[0]["no_pick"]


def test_why_calls_a_very_wide_log_k_uninformative() -> None:
    base = {"chelator": "x", "radionuclide": "Zr-89", "metal": "Zr4+", "status": "ok",
            "logK_pred": 30.2, "in_domain": False, "domain_note": "few training rows"}
    wide = why_sentence({**base, "logK_sd": 10.0})
    assert "log K uninformative (30.2 ± 10" in wide
    narrow = why_sentence({**base, "logK_sd": 1.2})
    assert "uninformative" not in narrow and "log K 30.2 ± 1.2" in narrow
