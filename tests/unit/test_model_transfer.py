"""Residual transfer across metals (anchors) and analogue ions (issue 10 §3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chelscreen.model import features, transfer
from chelscreen.model.estimator import load_bundled_table


def _ions():
    return features.ion_feature_frame(load_bundled_table("ions.csv"))


def test_kernel_learns_that_related_metals_share_residuals():
    rng = np.random.default_rng(0)
    ions = _ions()
    emb = transfer.ion_embedding(ions)
    metals = ["La3+", "Ce3+", "Nd3+", "Gd3+", "Cu2+", "Ni2+", "Zn2+", "Ca2+"]
    lig, met, res = [], [], []
    for i in range(300):
        shared = rng.normal(0, 1.5)      # the ligand's own error, common to all metals
        for m in rng.choice(metals, 4, replace=False):
            lig.append(f"L{i}")
            met.append(m)
            res.append(shared + rng.normal(0, 0.4))
    kern = transfer.ResidualKernel.fit(np.array(lig), np.array(met), np.array(res), emb)
    assert kern.tau <= 0.25  # most of the residual variance is shared
    mean, ratio = kern.condition(["La3+"], [2.0], [0.0], ["Ce3+", "Cu2+"], emb)
    assert mean[0] > 1.2 and mean[1] > 0.8  # a +2 anchor moves related predictions up
    assert ratio[0] < 0.5                      # and shrinks their uncertainty
    # round trip through plain JSON-able dicts (state.json)
    again = transfer.ResidualKernel.from_dict(kern.to_dict())
    assert np.allclose(again.condition(["La3+"], [2.0], [0.0], ["Ce3+"], emb)[0], mean[0])


def test_unrelated_metals_get_a_weaker_correction():
    emb = transfer.ion_embedding(_ions())
    kern = transfer.ResidualKernel(rho0=0.0, ell=1.0, tau=0.2, scale={}, global_scale=1.0)
    mean, _ = kern.condition(["La3+"], [2.0], [0.0], ["Ce3+", "Na+"], emb)
    assert mean[0] > 3 * abs(mean[1])


def test_analogue_estimate_corrects_for_size():
    ions = _ions()
    r = ions["r_ionic_cn8_pm"]
    rows = {m: 300 for m in ("La3+", "Ce3+", "Pr3+", "Nd3+")}
    # log K falling with radius across the light lanthanides: Ac (larger) must come out lower
    vals = {m: (20.0 - 0.1 * (r[m] - r["La3+"]), 0.0) for m in rows}
    est, var, used = transfer.analogue_estimate("Ac3+", vals, ions, rows, size_sd=0.8,
                                                ion_sd=0.0)
    assert set(used) <= set(rows) and "La3+" in used
    assert est < vals["La3+"][0]
    assert np.isclose(est, 20.0 - 0.1 * (r["Ac3+"] - r["La3+"]), atol=0.05)
    assert np.isclose(var, 0.64)
    # no family analogue with enough rows: no estimate
    assert transfer.analogue_estimate("Ac3+", vals, ions, {}, 0.8) is None
    assert transfer.family_of("Ra2+", ions) == transfer.family_of("Ba2+", ions) != ""


def test_analogue_error_calibrated_from_measured_values():
    ions = _ions()
    r = ions["r_ionic_cn8_pm"]
    metals = ["La3+", "Ce3+", "Pr3+", "Nd3+", "Sm3+", "Eu3+"]
    rows = {m: 500 for m in metals}
    smiles, metal, y = [], [], []
    rng = np.random.default_rng(1)
    for i in range(40):
        base = rng.uniform(5, 25)
        for m in metals:
            smiles.append(f"L{i}")
            metal.append(m)
            y.append(base - 0.05 * (r[m] - r["La3+"]) + rng.normal(0, 0.3))
    sd = transfer.calibrate_analogue_sd(np.array(smiles), np.array(metal), np.array(y), ions,
                                        rows)
    assert 0.2 < sd["M3+ group3/f"] < 0.8
    assert pd.Series(sd).notna().all()


def test_analogue_extrapolation_outside_the_radius_range_costs_variance():
    """Sc3+ (87 pm) read from the lanthanides (Lu3+ 97.7 pm and larger) is an extrapolation
    that the family calibration never sees; without an extrapolation term its analogue estimate
    outweighed the model and pulled Sc-DOTA/DTPA/AAZTA 5-10 units low (issue 10)."""
    ions = _ions()
    rows = {m: 300 for m in ("Lu3+", "Yb3+", "Tm3+", "Er3+")}
    vals = {m: (20.0, 0.0) for m in rows}
    _, var_sc, _ = transfer.analogue_estimate("Sc3+", vals, ions, rows, size_sd=0.5,
                                              ion_sd=0.0, extrapolation_sd=0.2)
    _, var_sc0, _ = transfer.analogue_estimate("Sc3+", vals, ions, rows, size_sd=0.5,
                                               ion_sd=0.0)
    dr = ions.loc["Lu3+", "r_ionic_cn8_pm"] - ions.loc["Sc3+", "r_ionic_cn8_pm"]
    assert dr > 8
    assert np.isclose(var_sc - var_sc0, (0.2 * dr) ** 2)
    # a target inside the analogues' radius range pays nothing extra
    _, var_in, _ = transfer.analogue_estimate("Tm3+", {m: v for m, v in vals.items()
                                                       if m != "Tm3+"}, ions, rows,
                                              size_sd=0.5, ion_sd=0.0, extrapolation_sd=0.2)
    assert np.isclose(var_in, 0.25)


def test_analogue_estimate_keeps_no_ion_table_alive_and_sees_edits():
    """Code review L4: a module-level radius cache keyed on ``id(ion_frame)`` kept every ion
    table alive (one per fitted model; nested CV fits dozens) and returned stale radii when a
    table was edited in place."""
    import gc
    import weakref

    ions = _ions()
    rows = {m: 300 for m in ("La3+", "Ce3+", "Pr3+", "Nd3+")}
    vals = {m: (20.0 - 0.1 * (ions.loc[m, "r_ionic_cn8_pm"] - 116.0), 0.0) for m in rows}
    before = transfer.analogue_estimate("Ac3+", vals, ions, rows, 0.8, 0.0)[0]
    # a larger Ac3+ radius (edited in place) must move the size-corrected estimate down
    ions.loc["Ac3+", "r_ionic_cn8_pm"] += 10.0
    after = transfer.analogue_estimate("Ac3+", vals, ions, rows, 0.8, 0.0)[0]
    assert np.isclose(after, before - 1.0, atol=0.05)
    ref = weakref.ref(ions)
    del ions
    gc.collect()
    assert ref() is None


def test_fitted_model_keeps_its_ion_radii_and_families():
    from chelscreen.model.io import load

    m = load()
    assert np.isclose(m.radii_["La3+"], m.ion_frame_.loc["La3+", "r_ionic_cn8_pm"])
    assert m.families_["Ac3+"] == m.families_["La3+"] == "M3+ group3/f"
    assert m.families_["Cu2+"] == ""
