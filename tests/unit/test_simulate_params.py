"""Ion parameter registry, Born radii and fallbacks."""

from __future__ import annotations

import json
import math

import pytest

from chelscreen.errors import InputFileError, UnsupportedMetalError
from chelscreen.simulate import params as P


def test_lu_li_merz_parameters():
    p = P.get_ion_parameters("Lu3+")
    # Li/Merz HFE TIP3P: Rmin/2 = 1.421 A, eps = 0.01937874 kcal/mol
    assert p.sigma_nm == pytest.approx(2 * 1.421 / 2 ** (1 / 6) / 10, rel=1e-6)
    assert p.epsilon_kJ == pytest.approx(0.01937874 * 4.184, rel=1e-6)
    assert p.lj_source.startswith("Li/Merz")
    assert p.born_source.startswith("HFE")
    assert p.hfe_kJ_mol == pytest.approx(-840.1 * 4.184)
    assert p.cn_range == (6, 9)


def test_born_radius_roundtrip_and_trend():
    r = P.born_radius_from_hfe(3, -3515.0)
    assert P.born_energy(3, r) == pytest.approx(-3515.0)
    assert 0.16 < r < 0.19
    # bigger ion, weaker hydration -> larger radius
    assert P.get_ion_parameters("La3+").born_radius_nm > P.get_ion_parameters("Lu3+").born_radius_nm


def test_obc_single_ion_reproduces_hfe():
    import openmm as mm

    p = P.get_ion_parameters("Lu3+")
    system = mm.System()
    system.addParticle(175.0)
    gb = mm.GBSAOBCForce()
    gb.setSurfaceAreaEnergy(0.0)
    gb.addParticle(3.0, p.obc_radius_nm, 0.8)
    system.addForce(gb)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions([mm.Vec3(0, 0, 0)])
    e = ctx.getState(getEnergy=True).getPotentialEnergy()._value
    assert e == pytest.approx(p.hfe_kJ_mol, rel=0.01)


@pytest.mark.parametrize("ion", ["Ac3+", "Bi3+", "Ga3+", "Sc3+"])
def test_fallback_ions_flagged(ion):
    p = P.get_ion_parameters(ion)
    assert "fallback" in p.lj_source and "fallback" in p.born_source
    assert p.sigma_nm > 0 and p.epsilon_kJ > 0 and math.isfinite(p.born_radius_nm)


def test_fallback_follows_size():
    ac, la, ga = (P.get_ion_parameters(x) for x in ("Ac3+", "La3+", "Ga3+"))
    assert ac.sigma_nm > la.sigma_nm > ga.sigma_nm
    assert ac.born_radius_nm > ga.born_radius_nm


def test_metal_spellings():
    assert P.normalize_ion("Ac-225") == "Ac3+"
    assert P.normalize_ion("Lu") == "Lu3+"
    assert P.get_ion_parameters("Pb-212").ion == "Pb2+"


def test_unsupported_metal():
    with pytest.raises(UnsupportedMetalError):
        P.get_ion_parameters("Xx7+")
    with pytest.raises(UnsupportedMetalError, match="register_ion_parameters"):
        P.registry().get("Tm3+")


def test_register_from_csv_and_json(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "_REGISTRY", None)
    csv_file = tmp_path / "ions.csv"
    csv_file.write_text(
        "ion,element,charge,r_ionic_CN6_pm,cn_min,cn_max,lj_rmin2_A,lj_eps_kcal,hfe_kcal\n"
        "Tm3+,Tm,3,88.0,6,9,1.43,0.021,-840.1\n"
    )
    assert P.register_ion_parameters(csv_file) == ["Tm3+"]
    p = P.get_ion_parameters("Tm3+")
    assert p.sigma_nm == pytest.approx(2 * 1.43 / 2 ** (1 / 6) / 10)
    assert "user file" in p.lj_source
    js = tmp_path / "ions.json"
    js.write_text(json.dumps([{"ion": "Lu3+", "charge": 3, "r_ionic_CN6_pm": 86.1,
                               "lj_rmin2_A": 1.5, "lj_eps_kcal": 0.03}]))
    P.register_ion_parameters(js)
    assert P.get_ion_parameters("Lu3+").sigma_nm == pytest.approx(2 * 1.5 / 2 ** (1 / 6) / 10)
    assert "fallback" in P.get_ion_parameters("Lu3+").born_source  # no HFE given -> fallback
    monkeypatch.setattr(P, "_REGISTRY", None)


def test_register_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ion,charge\nFoo3+,\n")
    with pytest.raises(InputFileError, match="row 1"):
        P.IonRegistry().register(bad)
    with pytest.raises(InputFileError):
        P.IonRegistry().register(tmp_path / "missing.csv")


def test_iod_set_and_bad_set():
    hfe = P.get_ion_parameters("Lu3+")
    iod = P.get_ion_parameters("Lu3+", "iod")
    assert iod.sigma_nm == pytest.approx(2 * 1.588 / 2 ** (1 / 6) / 10, rel=1e-6)
    assert iod.sigma_nm > hfe.sigma_nm  # the IOD set is larger (longer M-O distances)
    assert "IOD" in iod.lj_source
    assert "fallback" in P.get_ion_parameters("Pb2+", "iod").lj_source  # Pb2+: HFE set only
    with pytest.raises(ValueError, match="lj_set"):
        P.get_ion_parameters("Lu3+", "xyz")
