"""Tests of chelscreen.metals: ion table, parser and ion features."""

from __future__ import annotations

import csv
import math

import pytest

from chelscreen._resources import data_dir
from chelscreen.errors import ChelscreenError, UnsupportedMetalError
from chelscreen.metals import Ion, get_ion, ion_features, parse_metal, supported_ions


def _ref36() -> dict[str, dict[str, str]]:
    with (data_dir() / "metal_ions.csv").open(newline="", encoding="utf-8") as fh:
        return {r["ion"]: r for r in csv.DictReader(fh)}


@pytest.mark.parametrize("text,ion,nuclide", [
    ("Ac", "Ac3+", None),
    ("Ac3+", "Ac3+", None),
    ("Ac+3", "Ac3+", None),
    ("Ac(III)", "Ac3+", None),
    ("Ac-225", "Ac3+", "Ac-225"),
    ("225Ac", "Ac3+", "Ac-225"),
    ("[225Ac]", "Ac3+", "Ac-225"),
    ("[225Ac]Ac", "Ac3+", "Ac-225"),
    ("[225Ac]Ac3+", "Ac3+", "Ac-225"),
    ("ac-225", "Ac3+", "Ac-225"),
    ("actinium", "Ac3+", None),
    ("Lu-177", "Lu3+", "Lu-177"),
    ("177Lu", "Lu3+", "Lu-177"),
    ("Pb2+", "Pb2+", None),
    ("Pb-212", "Pb2+", "Pb-212"),
    ("Cu-64", "Cu2+", "Cu-64"),
    ("Ga-68", "Ga3+", "Ga-68"),
    ("Zr-89", "Zr4+", "Zr-89"),
    ("Th-227", "Th4+", "Th-227"),
    ("Ra-223", "Ra2+", "Ra-223"),
    ("Bi-213", "Bi3+", "Bi-213"),
    ("Tb-161", "Tb3+", "Tb-161"),
    ("Sc-44", "Sc3+", "Sc-44"),
    ("In-111", "In3+", "In-111"),
    ("Y-90", "Y3+", "Y-90"),
    ("Fe3+", "Fe3+", None),
    ("Fe2+", "Fe2+", None),
    ("Fe", "Fe3+", None),
    ("Cu+", "Cu+", None),
    ("Cu(I)", "Cu+", None),
    ("Na+", "Na+", None),
    ("UO2(2+)", "UO2(2+)", None),
    ("  Ga3+ ", "Ga3+", None),
])
def test_parse_metal(text, ion, nuclide):
    spec = parse_metal(text)
    assert spec.ion.symbol == ion
    assert spec.nuclide == nuclide
    assert spec.text == text


def test_astatine_decision():
    spec = parse_metal("At-211")
    assert spec.nuclide == "At-211"
    assert spec.ion.chelatable is False
    assert spec.warnings and "not a chelated metal cation" in spec.warnings[0]
    with pytest.raises(UnsupportedMetalError, match="astatine"):
        get_ion("At")
    with pytest.raises(UnsupportedMetalError):
        ion_features("At-211")
    assert get_ion("At", allow_nonchelatable=True).symbol == "At"
    assert "At" not in supported_ions()


@pytest.mark.parametrize("bad,fragment", [
    ("Xx", "not an element"),
    ("", "empty"),
    ("Ac5+", r"Ac5\+ is not in the ion table"),
    ("He", "no cation of He"),
    ("Ac-12", "impossible"),
    ("Ac-999", "impossible"),
    ("Lu-190", "not in the ICRP-107"),
    ("Ac-225-3", "cannot read"),
])
def test_parse_errors(bad, fragment):
    with pytest.raises(UnsupportedMetalError, match=fragment) as info:
        parse_metal(bad)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ChelscreenError)


def test_error_lists_supported():
    with pytest.raises(UnsupportedMetalError) as info:
        parse_metal("Og")
    msg = str(info.value)
    for ion in ("Ac3+", "Lu3+", "Pb2+", "Bi3+", "Ra2+"):
        assert ion in msg


def test_reference_ions_all_supported():
    ref = _ref36()
    sup = set(supported_ions())
    assert set(ref) - {"At"} <= sup
    assert len(sup) >= 80


@pytest.mark.parametrize("sym", ["La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho",
                                 "Er", "Tm", "Yb", "Lu", "Ac", "U", "Np", "Pu", "Am", "Cm"])
def test_f_block_trivalent_complete(sym):
    ion = get_ion(f"{sym}3+")
    f = ion_features(ion)
    assert f["is_f_block"] == 1.0 and f["charge"] == 3.0
    assert 85.0 < f["r_ionic_cn6_pm"] < 115.0
    assert math.isfinite(f["hardness_eV"])


def test_lanthanide_contraction():
    radii = [get_ion(f"{s}3+").radius_pm(6) for s in
             ["La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
              "Lu"]]
    assert all(a > b for a, b in zip(radii, radii[1:], strict=False))


def test_hardness_indices_match_reference_table():
    """eta(M^z+) = (IE_{z+1} - IE_z)/2 reproduces metal_ions.csv's abs_hardness_eV."""
    ref = _ref36()
    n = 0
    for label, row in ref.items():
        if label == "At" or not row["abs_hardness_eV"]:
            continue
        assert get_ion(label).hardness_eV == pytest.approx(float(row["abs_hardness_eV"]), abs=0.01)
        n += 1
    assert n >= 30
    # Ac3+: (IE4 44.8 - IE3 17.436)/2 = 13.68 eV. The 5.1 eV in PROVENANCE.md section 5 is
    # (IE5 - IE4)/2, the hardness of Ac4+ (index shifted by one).
    assert get_ion("Ac3+").hardness_eV == pytest.approx(13.68, abs=0.01)
    assert get_ion("La3+").hardness_eV == pytest.approx(15.39, abs=0.01)


def test_reference_values_copied():
    ref = _ref36()
    for label in ("La3+", "Lu3+", "Pb2+", "Bi3+", "Ra2+", "Ga3+", "Zr4+", "Cu2+"):
        ion = get_ion(label)
        row = ref[label]
        for cn in (6, 8, 9):
            if row[f"r_ionic_CN{cn}_pm"]:
                assert dict(ion.radii_pm)[cn] == pytest.approx(float(row[f"r_ionic_CN{cn}_pm"]))
        assert ion.log_beta1_hydrolysis == pytest.approx(float(row["log_beta1_star"]))
        assert ion.pauling_en == pytest.approx(float(row["pauling_EN"]))
        assert "metal_ions.csv" in ion.source("log_beta1")


def test_ac_hydrolysis_from_psi_tdb_and_gaps_are_nan():
    ion = get_ion("Ac3+")
    # metal_ions.csv has a GAP; the PSI/Nagra TDB 2020 workbook gives -8.62 +/- 0.24 (SIT, I=0)
    assert ion.log_beta1_hydrolysis == pytest.approx(-8.62)
    assert "Nagra" in ion.source("log_beta1") and "2004ZIE/BIL" in ion.source("log_beta1")
    rb = get_ion("Rb+")  # no hydrolysis constant in any source read: NaN with a reason
    assert math.isnan(rb.log_beta1_hydrolysis)
    assert rb.source("log_beta1").startswith("GAP")
    assert math.isnan(get_ion("UO2(2+)").hardness_eV)


def test_extended_ions_have_values_and_provenance():
    for label in ("Cd2+", "Hg2+", "Al3+", "Tl+", "Tl3+", "Ag+", "Mn2+", "Pr3+", "Tm3+"):
        ion = get_ion(label)
        f = ion_features(ion)
        assert math.isfinite(f["r_ionic_cn6_pm"]), label
        assert math.isfinite(f["hardness_eV"]), label
        assert math.isfinite(f["log_beta1_hydrolysis"]), label
        assert "Spana" in ion.source("log_beta1") or "metal_ions" in ion.source("log_beta1")
    # spot values from the NECTAR/Spana files
    assert get_ion("Cd2+").log_beta1_hydrolysis == pytest.approx(-9.8)
    assert get_ion("Al3+").log_beta1_hydrolysis == pytest.approx(-4.98)


def test_radius_interpolation_flagged():
    ra = get_ion("Ra2+")  # Shannon: CN8 148, CN12 170
    r, how = ra.radius_info(10)
    assert how == "interpolated" and r == pytest.approx(159.0)
    r6, how6 = ra.radius_info(6)
    assert how6 == "extrapolated" and r6 == pytest.approx(137.0)
    f = ion_features("Ra2+", cn=8)
    assert f["r_ionic_pm"] == pytest.approx(148.0) and f["r_ionic_cn_estimated"] == 0.0
    assert ion_features("Ra2+", cn=10)["r_ionic_cn_estimated"] == 1.0
    ac = get_ion("Ac3+")
    assert ac.radius_pm(9) == pytest.approx(122.0)
    assert ac.cn_preferred == 9 and ac.cn_range == (6, 9)


def test_single_cn_radius_is_nan_not_invented():
    cu1 = get_ion("Cu+")  # Shannon: CN 2, 4, 6
    assert math.isfinite(cu1.radius_pm(5))
    rf = get_ion("Fr+")  # Shannon: CN 6 only
    r, how = rf.radius_info(8)
    assert math.isnan(r) and how.startswith("missing")


def test_ion_features_numeric_and_consistent():
    f = ion_features("Lu-177")
    assert all(isinstance(v, float) for v in f.values())
    assert f["charge"] == 3.0 and f["Z"] == 71.0
    assert f["r_ionic_pm"] == pytest.approx(97.7)  # CN8 (cn_preferred)
    assert f["charge_density_e_per_pm"] == pytest.approx(3 / 97.7)
    assert f["z2_over_r_e2_per_pm"] == pytest.approx(9 / 97.7)
    assert f["is_lanthanide"] == 1.0 and f["group"] == 3.0 and f["period"] == 6.0
    assert ion_features(get_ion("Lu3+"), cn=6)["r_ionic_pm"] == pytest.approx(86.1)


def test_ion_is_frozen_dataclass():
    ion = get_ion("Ga3+")
    assert isinstance(ion, Ion)
    with pytest.raises(AttributeError):
        ion.charge = 2  # type: ignore[misc]


def test_a_canonical_bundled_nuclide_is_read_as_radioactivedecay_reads_it():
    # _split_nuclide returns a canonical bundled name ('Ac-225', 'Tc-99m') without importing
    # radioactivedecay; that shortcut holds only while radioactivedecay reads it unchanged
    from radioactivedecay.utils import parse_nuclide_str

    from chelscreen.metals import _bundled_nuclides, _split_nuclide

    for name in sorted(_bundled_nuclides()):
        assert parse_nuclide_str(name) == name
        assert _split_nuclide(name) == (name, "")
        assert _split_nuclide(f"[{name}]") == (name, "")
