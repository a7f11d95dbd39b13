"""Tests of chelscreen.decay: chains, recoil energies, Bateman counts and the daughter-fate model.

Independent reference values: ICRP-107 half-lives and alpha lines in the bundled nuclides.csv;
recoil energies quoted in issue 3 and SOURCES.md (105.6, ~160, ~103 keV); beta recoil maxima
in daughter_release.csv (DR03 2.3 eV, DR04 8.8 eV).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import radioactivedecay  # noqa: F401 - a hard dependency: fail, never skip

from chelscreen._resources import data_dir  # noqa: E402
from chelscreen.decay import (  # noqa: E402
    SCENARIO_DEFAULTS,
    daughter_fate,
    decay_chain,
    decay_summary,
    normalize_nuclide,
    readable_time,
)
from chelscreen.errors import UnsupportedNuclideError  # noqa: E402

PARENTS = ["Ac-225", "Bi-213", "Pb-212", "Bi-212", "Th-227", "Ra-223", "Ra-224", "Th-226",
           "U-230", "At-211", "Tb-149", "Lu-177", "Y-90", "Tb-161", "Sc-44", "Sc-47", "Ga-68",
           "In-111", "Cu-64", "Cu-67", "Zr-89", "Pb-203"]


def _nuclides() -> dict[str, dict[str, str]]:
    with (data_dir() / "nuclides.csv").open(newline="", encoding="utf-8") as fh:
        return {r["nuclide"]: r for r in csv.DictReader(fh)}


def _step(chain, parent, daughter):
    rows = chain[(chain["parent"] == parent) & (chain["daughter"] == daughter)]
    assert len(rows) == 1, (parent, daughter)
    return rows.iloc[0]


@pytest.mark.parametrize("parent,daughter,ref_keV", [
    ("Ac-225", "Fr-221", 105.6),
    ("Po-213", "Pb-209", 160.0),
    ("Ra-224", "Rn-220", 103.0),
])
def test_alpha_recoil_energies(parent, daughter, ref_keV):
    chain = decay_chain(parent)
    row = _step(chain, parent, daughter)
    assert row["mode"] == "alpha"
    assert row["E_recoil_keV"] == pytest.approx(ref_keV, rel=0.01)


def test_alpha_recoil_in_ac225_chain():
    chain = decay_chain("Ac-225")
    assert _step(chain, "Po-213", "Pb-209")["E_recoil_keV"] == pytest.approx(160.0, rel=0.01)


@pytest.mark.parametrize("parent,daughter,ref_eV", [("Pb-212", "Bi-212", 2.3),
                                                     ("Bi-213", "Po-213", 8.8)])
def test_beta_recoil_is_eV_scale(parent, daughter, ref_eV):
    row = _step(decay_chain(parent), parent, daughter)
    assert row["mode"] == "beta-"
    e_ev = row["E_recoil_keV"] * 1e3
    assert e_ev < 10.0
    assert e_ev == pytest.approx(ref_eV, rel=0.05)  # DR03/DR04 (ICRP endpoint vs AME Q)
    assert math.isnan(row["E_alpha_MeV"])


@pytest.mark.parametrize("parent", PARENTS)
def test_half_lives_equal_icrp107(parent):
    ref = _nuclides()
    chain = decay_chain(parent)
    first = chain[chain["parent"] == parent]
    assert len(first) >= 1
    assert first["half_life_s"].iloc[0] == pytest.approx(float(ref[parent]["half_life_s"]),
                                                         rel=1e-5)
    # every chain member listed in nuclides.csv too
    for r in chain.itertuples():
        if r.parent in ref:
            assert r.half_life_s == pytest.approx(float(ref[r.parent]["half_life_s"]), rel=1e-5)


@pytest.mark.parametrize("parent", PARENTS)
def test_alpha_energies_against_icrp107_lines(parent):
    ref = _nuclides()
    chain = decay_chain(parent)
    for r in chain[chain["mode"] == "alpha"].itertuples():
        row = ref.get(r.parent)
        if not row or not row["alpha_E_main_MeV"] or row["alpha_daughter"] != r.daughter:
            continue
        # ground-state Q-value line is the highest alpha energy: >= the most intense line
        assert r.E_alpha_MeV >= float(row["alpha_E_main_MeV"]) - 0.005
        assert r.E_alpha_MeV == pytest.approx(float(row["alpha_E_main_MeV"]), rel=0.03)
        # Q-value recoil is the maximum; ICRP-107's yield-weighted mean (excited-state lines
        # included) is at most ~4 % lower (227Th, 223Ra)
        icrp = float(row["recoil_E_icrp107_mean_keV"])
        assert icrp - 0.5 <= r.E_recoil_keV <= icrp * 1.05


def test_chain_columns_and_units():
    chain = decay_chain("225Ac")
    for col in ("parent", "daughter", "mode", "branching", "half_life_s", "half_life",
                "E_alpha_MeV", "E_recoil_keV"):
        assert col in chain.columns
    assert chain["parent"].iloc[0] == "Ac-225"
    assert chain["half_life"].iloc[0] == "10.0 d"
    bi = chain[chain["parent"] == "Bi-213"]
    assert bi["branching"].sum() == pytest.approx(1.0)
    assert set(bi["mode"]) == {"alpha", "beta-"}
    assert chain["half_life"][chain["parent"] == "Po-213"].iloc[0] == "4.2 \u00b5s"


def test_long_lived_member_ends_chain():
    chain = decay_chain("U-230")
    last = chain.iloc[-1]
    assert last["daughter"] == "Pb-210" and "long-lived" in last["daughter_note"]
    assert "Pb-210" not in set(chain["parent"])


@pytest.mark.parametrize("parent,alphas", [("Ac-225", 4), ("Pb-212", 1), ("Ra-223", 4),
                                           ("Th-227", 5), ("Ra-224", 4), ("U-230", 5),
                                           ("Bi-213", 1), ("Lu-177", 0)])
def test_alphas_per_decay(parent, alphas):
    fate = daughter_fate(parent)
    # ICRP-107 drops the 0.012 % beta- branch of 217At, hence the 1e-3 tolerance
    assert fate.attrs["alphas_per_decay"] == pytest.approx(alphas, abs=1e-3)
    assert fate.attrs["alphas_per_decay_chain_walk"] == pytest.approx(
        fate.attrs["alphas_per_decay"], abs=1e-6)


def test_tb149_alpha_branch():
    fate = daughter_fate("Tb-149")
    assert fate.attrs["alphas_per_decay"] == pytest.approx(0.167, abs=1e-4)


@pytest.mark.parametrize("parent", PARENTS)
def test_chain_walk_matches_bateman_everywhere(parent, caplog):
    fate = daughter_fate(parent)
    assert "Bateman" not in caplog.text
    assert fate["nuclide"].iloc[0] == parent and fate["role"].iloc[0] == "parent"
    assert fate["decays_per_parent_decay"].iloc[0] == pytest.approx(1.0)


def test_ac225_internalized_released_fraction():
    fate = daughter_fate("Ac-225", scenario="internalized")
    a = fate.attrs
    chain = decay_chain("Ac-225")
    e_ac = _step(chain, "Ac-225", "Fr-221")["E_alpha_MeV"]
    assert a["released_alpha_energy_fraction"] == pytest.approx(
        1.0 - e_ac / a["total_alpha_energy_MeV"])
    assert a["off_target_alpha_energy_fraction"] == 0.0
    fr = fate[fate["nuclide"] == "Fr-221"].iloc[0]
    assert fr["p_release_on_formation"] == 1.0 and fr["frac_decays_released"] == 1.0
    assert "alpha recoil" in fr["release_basis"]


def test_pb212_dota_uses_dr01_and_flags_secondary():
    fate = daughter_fate("Pb-212", chelator="DOTA")
    bi = fate[fate["nuclide"] == "Bi-212"].iloc[0]
    assert bi["p_release_on_formation"] == pytest.approx(0.36)
    assert "DR01" in bi["release_basis"] and "SECONDARY" in bi["release_basis"]
    assert bi["frac_decays_released"] == pytest.approx(0.36)
    assert fate.attrs["chelator_class"] == "DOTA-type"
    # released energy = 212Bi alpha from released Bi + every 212Po alpha except bound-bound
    po = fate[fate["nuclide"] == "Po-212"].iloc[0]
    assert po["frac_decays_bound"] == pytest.approx(0.64 * 0.64)


def test_beta_release_override_and_callable():
    none = daughter_fate("Pb-212", beta_release=0.0).attrs
    assert none["released_alpha_energy_fraction"] == pytest.approx(0.0)
    allr = daughter_fate("Pb-212", beta_release=1.0).attrs
    assert allr["released_alpha_energy_fraction"] == pytest.approx(1.0)
    calls = []

    def hook(parent, daughter, chelator):
        calls.append((parent, daughter, chelator))
        return 0.5

    f = daughter_fate("Pb-212", chelator="macropa", beta_release=hook)
    assert ("Pb-212", "Bi-212", "macropa") in calls
    assert f[f["nuclide"] == "Bi-212"]["p_release_on_formation"].iloc[0] == 0.5
    mapped = daughter_fate("Pb-212", beta_release={"Pb-212->Bi-212": 0.1})
    assert mapped[mapped["nuclide"] == "Bi-212"]["frac_decays_released"].iloc[0] == (
        pytest.approx(0.1))
    with pytest.raises(ValueError, match="probability"):
        daughter_fate("Pb-212", beta_release=1.5)


def test_scenarios_order_and_limits():
    internal = daughter_fate("Ac-225", scenario="internalized").attrs
    surface = daughter_fate("Ac-225", scenario="surface").attrs
    blood = daughter_fate("Ac-225", scenario="circulating").attrs
    rel = internal["released_alpha_energy_fraction"]
    assert surface["released_alpha_energy_fraction"] == pytest.approx(rel)
    assert blood["off_target_alpha_energy_fraction"] == pytest.approx(
        blood["released_alpha_energy_fraction"])
    assert 0.0 == internal["off_target_alpha_energy_fraction"]
    assert 0.0 < surface["off_target_alpha_energy_fraction"] < rel
    # 221Fr (4.9 min) leaves a 50 um neighbourhood (tau = 0.42 s) before decaying: its alpha and
    # all downstream alphas are off target at the surface
    fr = daughter_fate("Ac-225", scenario="surface")
    assert fr[fr["nuclide"] == "Fr-221"]["frac_decays_off_target"].iloc[0] > 0.99
    # uptake: lambda/(lambda + k_up) with the documented 0.16 h default
    lam = math.log(2) / 864000.0
    k = math.log(2) / (0.16 * 3600)
    assert blood["parent_decays_before_uptake_fraction"] == pytest.approx(lam / (lam + k))


def test_surface_residence_time_parameter():
    fast = daughter_fate("Ac-225", scenario="surface", escape_distance_um=1e6).attrs
    assert fast["off_target_alpha_energy_fraction"] < 0.05  # 1 m away: everything decays locally
    tau = fast["parameters"]["mean_residence_time_s"]["value"]
    assert tau == pytest.approx(1.0**2 / (6 * 1e-9))


def test_internalized_finite_retention():
    leaky = daughter_fate("Ac-225", scenario="internalized",
                          cell_retention_half_time_s=60.0).attrs
    assert 0.0 < leaky["off_target_alpha_energy_fraction"] < leaky[
        "released_alpha_energy_fraction"]


def test_scenario_defaults_have_sources():
    for params in SCENARIO_DEFAULTS.values():
        for value, source in params.values():
            assert value > 0
            assert len(source) > 40


@pytest.mark.parametrize("kwargs,exc", [
    ({"scenario": "tumour"}, ValueError),
    ({"scenario": "surface", "escape_distance_um": -1}, ValueError),
    ({"scenario": "surface", "bogus_s": 1}, TypeError),
])
def test_bad_parameters(kwargs, exc):
    with pytest.raises(exc):
        daughter_fate("Ac-225", **kwargs)


@pytest.mark.parametrize("bad", ["Ac", "Ac3+", "Xx-12", "Lu-190", "", "Rn"])
def test_bad_nuclides(bad):
    with pytest.raises(UnsupportedNuclideError):
        decay_chain(bad)


def test_normalize_and_readable():
    assert normalize_nuclide("[212Pb]") == "Pb-212"
    assert normalize_nuclide("At-211") == "At-211"
    assert normalize_nuclide("Rn-220") == "Rn-220"  # not a metal, still a nuclide
    assert normalize_nuclide("[225Ac]Ac3+") == "Ac-225"
    assert normalize_nuclide("Cd-111m") == "Cd-111m"
    assert readable_time(math.inf) == "stable"
    assert readable_time(86400.0 * 10) == "10 d"


def test_decay_summary_structure():
    s = decay_summary("Ac-225", chelator="macropa")
    for key in ("parent", "steps", "alphas_per_decay", "released_alpha_energy_fraction",
                "scenario"):
        assert key in s
    assert s["parent"] == "Ac-225" and s["scenario"] == "internalized"
    assert set(s["steps"][0]) == {"parent", "daughter", "mode", "branching", "half_life_s",
                                  "E_alpha_MeV", "E_recoil_keV"}
    beta = [x for x in s["steps"] if x["mode"] == "beta-"]
    assert beta and all(x["E_alpha_MeV"] is None for x in beta)
    json.dumps(s, allow_nan=False)
    assert s["alphas_per_decay"] == pytest.approx(4.0, abs=1e-3)


def test_bundled_nuclides_csv_matches_radioactivedecay():
    """Keeps the shipped nuclides.csv honest (SOURCES.md section 5, recommendation 3)."""
    import radioactivedecay as rd

    for name, row in _nuclides().items():
        nuc = rd.Nuclide(name)
        assert nuc.half_life("s") == pytest.approx(float(row["half_life_s"]), rel=1e-5), name
        listed = {}
        for part in row["decay_modes_branching_daughter"].split(";"):
            mode_bf, daughter = part.strip().split("->")
            listed[daughter.strip()] = listed.get(daughter.strip(), 0.0) + float(
                mode_bf.rsplit(":", 1)[1])
        actual = {}
        for d, bf in zip(nuc.progeny(), nuc.branching_fractions(), strict=True):
            actual[str(d)] = actual.get(str(d), 0.0) + bf
        assert set(listed) == set(actual), name
        for d, bf in listed.items():
            assert actual[d] == pytest.approx(bf, rel=1e-3, abs=1e-9), (name, d)


def test_chelator_class_comes_from_structure_not_name():
    from chelscreen.decay import _chelator_class

    dota = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"
    assert _chelator_class(dota)[1] == "DOTA-type"  # an unnamed SMILES, recognised by structure
    assert _chelator_class("DOTAM")[1] == "DOTA-type"  # library entry, by its SMILES
    assert _chelator_class("DOTA-like-but-unknown")[1] == "other"  # a name alone decides nothing
    src = (Path(__file__).resolve().parents[2] / "chelscreen" / "decay.py").read_text()
    assert '"dota"' not in src.lower().replace("'dota'", '"dota"')
