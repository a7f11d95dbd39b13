"""Dosimetry: conservation, equilibrium limits, release rules, parameters with sources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chelscreen import dosimetry
from chelscreen.dosimetry import DosimetryError

STATIC = {  # the vector goes to the tumour at once and stays there
    "vector.T_blood_h": 0.01, "vector.f_blood_to_tumor": 1.0, "vector.f_blood_to_kidneys": 0.0,
    "vector.f_blood_to_liver": 0.0, "vector.f_blood_to_other": 0.0,
    "vector.f_blood_to_excreted": 0.0, "vector.T_tumor_h": 0.0,
}


def _decays(d: pd.DataFrame) -> pd.Series:
    return d.groupby("nuclide")["decays_per_MBq"].sum()


def test_parent_decays_are_conserved():
    """Every administered parent atom decays once, whatever the biokinetics."""
    d = dosimetry.dose("Ac-225", preset="mouse", n_samples=0)
    lam_s = math.log(2) / (9.92 * 86400)  # Ac-225 half-life ~9.9 d (ICRP-107)
    n_atoms = 1e6 / lam_s
    assert _decays(d)["Ac-225"] == pytest.approx(n_atoms, rel=0.01)


def test_chain_members_reach_secular_equilibrium_counts():
    """Integrated to completion, each short-lived member decays once per parent decay."""
    d = dosimetry.dose("Ac-225", preset="mouse", n_samples=0)
    n = _decays(d)
    for m in ("Fr-221", "At-217", "Bi-213"):
        assert n[m] == pytest.approx(n["Ac-225"], rel=2e-3)
    # Bi-213 branches 97.9 % to Po-213 (ICRP-107)
    assert n["Po-213"] / n["Bi-213"] == pytest.approx(0.979, abs=0.002)


def test_no_release_forwards_the_parents_residence():
    """With zero release and a static vector, every daughter decays where the parent does."""
    d = dosimetry.dose("Pb-212", "DOTA", preset="mouse", n_samples=0,
                       params={**STATIC, "param.beta_release": 0.0})
    bi = d[d.nuclide == "Bi-212"]
    assert bi.loc[bi.form == "released", "decays_per_MBq"].sum() == pytest.approx(0.0, abs=1e-6)
    share = bi.groupby("organ")["decays_per_MBq"].sum() / bi["decays_per_MBq"].sum()
    assert share["tumor"] == pytest.approx(1.0, abs=1e-4)


def test_alpha_recoil_releases_every_daughter():
    d = dosimetry.dose("Ac-225", preset="mouse", n_samples=0, params=STATIC)
    daughters = d[d.nuclide != "Ac-225"]
    assert daughters.loc[daughters.form == "bound", "decays_per_MBq"].sum() == 0.0
    # released 213Bi leaves the tumour and reaches the kidneys through the ICRP Bi model
    s = dosimetry.organ_summary(d)
    assert s.loc["kidneys", "daughters_released"] > 0
    assert s.loc["kidneys", "parent"] == pytest.approx(0.0, abs=1e-9)


def test_retained_fraction_moves_dose_back_to_tumour():
    p = {**STATIC, "param.beta_release": 1.0}
    lo = dosimetry.dose("Pb-212", "DOTA", preset="mouse", n_samples=0,
                        params={**p, "param.f_released_retained_in_tumor": 0.0})
    hi = dosimetry.dose("Pb-212", "DOTA", preset="mouse", n_samples=0,
                        params={**p, "param.f_released_retained_in_tumor": 0.5})
    assert hi.attrs["offtarget_alpha_fraction"] < lo.attrs["offtarget_alpha_fraction"]


def test_dissociation_sends_free_parent_to_bone():
    """A chelate that loses 212Pb in vivo puts Pb (and its Bi) on bone (ICRP Pb model)."""
    inert = dosimetry.dose("Pb-212", "DOTAM", preset="human", n_samples=0)
    leaky = dosimetry.dose("Pb-212", "DOTAM", preset="human", n_samples=0,
                           params={"param.k_dissociation_per_d": 2.0})
    b0 = inert.loc[inert.organ == "bone", "decays_per_MBq"].sum()
    b1 = leaky.loc[leaky.organ == "bone", "decays_per_MBq"].sum()
    assert b1 > 5 * b0


def test_finite_time_integral_matches_infinite_limit():
    a = dosimetry.dose("Bi-213", preset="mouse", n_samples=0, t_end_h=24 * 10)
    b = dosimetry.dose("Bi-213", preset="mouse", n_samples=0)
    assert a["alpha_energy_J_per_MBq"].sum() == pytest.approx(b["alpha_energy_J_per_MBq"].sum(),
                                                              rel=1e-4)


def test_intervals_bracket_point_and_are_reproducible():
    a = dosimetry.dose("Ac-225", preset="mouse", n_samples=30, seed=3)
    b = dosimetry.dose("Ac-225", preset="mouse", n_samples=30, seed=3)
    pd.testing.assert_frame_equal(a, b)
    lo, hi = a.attrs["offtarget_alpha_fraction_90"]
    assert 0.0 <= lo <= hi <= 1.0


def test_activities_give_a_free_bi212_share():
    a = dosimetry.activities("Pb-212", [4.0], "DOTA", preset="mouse")
    bi = a[(a.nuclide == "Bi-212") & (a.organ != "excreted")]
    share = bi.loc[bi.form == "released", "activity_Bq_per_MBq"].sum() / bi[
        "activity_Bq_per_MBq"].sum()
    assert 0.2 < share < 0.6


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(DosimetryError, match="unknown dosimetry parameter"):
        dosimetry.dose("Ac-225", params={"vector.T_blod_h": 3}, n_samples=0)
    with pytest.raises(DosimetryError, match="unknown preset"):
        dosimetry.dose("Ac-225", preset="rat", n_samples=0)
    with pytest.raises(DosimetryError, match=">= 0"):
        dosimetry.dose("Ac-225", params={"vector.T_blood_h": -1}, n_samples=0)


def test_every_parameter_has_a_source():
    t = dosimetry._table()
    assert (t["source"].str.strip() != "").all()
    bad = t["source"].str.contains("kiwix|iiab|grokipedia|pubcompare|scite|datapdf|booksci",
                                   case=False)
    assert not bad.any()
    num = t[t.kind.isin(["transfer", "mass"])]
    assert np.isfinite(num["value"]).all() and (num["value"] > 0).all()
    # transfer rows quote the tabulated coefficient
    tr = t[t.kind == "transfer"]
    assert all(float(q.split()[-1]) == pytest.approx(v, rel=1e-9)
               for v, q in zip(tr["value"], tr["quote"], strict=True))
    assert tr["source"].str.startswith("ICRP Publication").all()


def test_icrp_bismuth_model_has_the_kidney_paths():
    """ICRP 137 Table 10.3: plasma to urinary-path kidney 30 /d, to other kidney tissue 5 /d."""
    _, transfers = dosimetry._element_model("Bi")
    k = {(a, b): v for a, b, v in transfers}
    assert k[("Plasma", "Kidneys1")] == 30.0
    assert k[("Plasma", "Kidneys2")] == 5.0


def test_daughter_dose_summary_for_the_report():
    s = dosimetry.daughter_dose_summary("Ac-225", "DOTA", "human")
    assert 0 < s["released_offtarget_frac"] < 1
    assert s["kidneys_released_Gy_per_MBq"] > 0
    assert s["top_organ"] in dosimetry.ORGANS
    beta = dosimetry.daughter_dose_summary("Lu-177", "DOTA", "human")
    assert beta["kidneys_released_Gy_per_MBq"] == 0.0  # no alpha emitter in the chain


def test_mouse_blood_mass_is_sourced():
    t = dosimetry.biokinetic_parameters("mouse")
    row = t[(t.kind == "mass") & (t.from_compartment == "blood")].iloc[0]
    assert "10.1113/jphysiol.1973.sp010086" in row.source
    assert 0.002 < row.value < 0.003
