"""Interfaces, labels and sanity of chelscreen.labeling."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

import chelscreen.radiolabeling as lab
from chelscreen.errors import UnsupportedNuclideError
from chelscreen.radiolabeling import (
    FEATURE_SETS,
    OUTPUT_COLUMNS,
    SELECTED_FEATURE_SET,
    compare_feature_sets,
    decay_loss_fraction,
    label_row,
    labeling,
    parse_nuclide,
    parse_radionuclides,
    tanimoto,
    validate,
)

DOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
NOTA = "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1"


def _row(t, time, rcy):
    return types.SimpleNamespace(temperature_C=t, time_min=time, rcy_percent=rcy)


@pytest.mark.parametrize(
    ("row", "label", "weight"),
    [((25, 5, 99), 1.0, 1.0), ((25, 5, 10), 0.0, 1.0), ((37, 120, 96), 0.0, 0.3),
     ((95, 10, 99), 0.0, 0.3), ((40, 30, 95), 1.0, 1.0)],
)
def test_label_rules(row, label, weight):
    assert label_row(_row(*row)) == (label, weight)


def test_label_missing_is_nan():
    lab, w = label_row(_row(float("nan"), 5, 99))
    assert math.isnan(lab) and w == 0.0


@pytest.mark.parametrize("text", ["Ac-225", "225Ac", "[225Ac]", "ac225", " Ac-225 "])
def test_parse_nuclide_forms(text):
    assert parse_nuclide(text).nuclide == "Ac-225"


@pytest.mark.parametrize("text", ["Xx-225", "Ac-9999", "hello", "", "Ac"])
def test_parse_nuclide_errors(text):
    with pytest.raises(UnsupportedNuclideError):
        parse_nuclide(text)


def test_parse_uses_project_ion_table():
    spec = parse_nuclide("[212Pb]")
    assert (spec.nuclide, spec.element, spec.ion) == ("Pb-212", "Pb", "Pb2+")
    assert parse_nuclide("Th-227").ion == "Th4+"


def test_features_come_from_project_modules():
    """No private ion table or donor perception: values equal chelscreen.metals / descriptors."""
    from rdkit import Chem

    from chelscreen.chem.descriptors import ligand_features
    from chelscreen.metals import ion_features

    assert not hasattr(lab, "_ION_TABLE") and not hasattr(lab, "_DONOR_SMARTS")
    ion = lab.ion_descriptors("Ac")
    ref = ion_features("Ac")
    assert ion["r_ionic_pm"] == ref["r_ionic_pm"]
    assert ion["log_beta1_hydrolysis"] == ref["log_beta1_hydrolysis"]
    lig = lab.ligand_descriptors(DOTA)
    assert lig == ligand_features(Chem.MolFromSmiles(DOTA))
    f = lab.pair_features(DOTA, "Ga")
    assert f["macrocycle"] == 1.0 and f["denticity_excess"] == lig["n_donors"] - 6
    assert lab.pair_features(NOTA, "Ga")["ring_size_mismatch"] == pytest.approx(0.0, abs=1e-9)
    assert lab.pair_features("OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O", "Lu")["macrocycle"] == 0.0


def test_selected_feature_set_is_best_by_grouped_cv():
    """The card's claim: the set in use has the highest leave-one-chelator-out AUC."""
    res = compare_feature_sets()
    assert list(res.feature_set) == list(FEATURE_SETS)
    best = res.loc[res.auc.idxmax(), "feature_set"]
    assert best == SELECTED_FEATURE_SET
    assert res.auc.between(0, 1).all()


def test_parse_radionuclides_order():
    assert [n.nuclide for n in parse_radionuclides("Ga-68, Ac-225")] == ["Ga-68", "Ac-225"]


def test_decay_loss_bi213_30min():
    # 213Bi half-life 45.6 min -> 1 - 2**(-30/45.6) ~ 0.37 ("a third of the activity")
    assert decay_loss_fraction("Bi-213", 30) == pytest.approx(0.366, abs=0.01)
    assert decay_loss_fraction("Ac-225", 5) < 1e-3


def test_similarity_separates_ring_sizes():
    assert tanimoto(DOTA, DOTA) == pytest.approx(1.0)
    assert tanimoto(DOTA, NOTA) < 0.75


@pytest.fixture(scope="module")
def result():
    return labeling(["macropa", DOTA, NOTA, "C1CC(bad"], ["Ac-225", "Ga-68", "Lu-177"])


def test_output_shape_order_and_bad_row(result):
    assert list(result.columns) == OUTPUT_COLUMNS
    assert len(result) == 12
    assert list(result.radionuclide[:3]) == ["Ac-225", "Ga-68", "Lu-177"]
    bad = result.iloc[9:]
    assert (bad.status == "invalid").all()
    assert bad.mild_labeling_prob.isna().all()
    assert bad.message.str.len().gt(0).all()
    good = result.iloc[:9]
    assert good.mild_labeling_prob.between(0, 1).all()
    assert set(good.status) <= {"ok", "warning"}


def _get(result, i, nuc, col):
    return result[(result.index // 3 == i) & (result.radionuclide == nuc)][col].iloc[0]


def test_macropa_beats_dota_for_ac225(result):
    assert _get(result, 0, "Ac-225", "mild_labeling_prob") > _get(result, 1, "Ac-225",
                                                                 "mild_labeling_prob")


def test_dota_ga68_needs_heat(result):
    assert _get(result, 1, "Ga-68", "suggested_temperature_C") >= 80


def test_nota_ga68_mild(result):
    assert _get(result, 2, "Ga-68", "mild_labeling_prob") >= 0.5
    assert _get(result, 2, "Ga-68", "suggested_temperature_C") <= 40


def test_macropa_ac225_precedent_cites(result):
    prec = _get(result, 0, "Ac-225", "precedents")
    assert "macropa/Ac-225" in prec and "http" in prec


def test_decay_loss_matches_suggested_time(result):
    row = result.iloc[1]  # macropa / Ga-68
    expected = decay_loss_fraction("Ga-68", row.suggested_time_min)
    assert row.decay_loss_frac == pytest.approx(expected)


def test_unknown_radionuclide_raises():
    with pytest.raises(UnsupportedNuclideError, match="Qq"):
        labeling(["macropa"], "Ac-225,Qq-12")


def test_validation_runs_and_reports():
    v = validate()
    assert v["n_rows"] >= 60
    assert v["n_training_rows"] >= 25
    assert 0 <= v["brier"] <= 1
    assert np.isfinite(v["temperature_mae_C"])
    assert len(v["predictions"]) == v["n_training_rows"]


def _varied_smiles() -> list[str]:
    """Library chelators plus enumerated DOTA/NOTA/macropa/open-chain variants."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "benchmarks"))
    try:
        from bench_screen import generate
    finally:
        sys.path.pop(0)
    table = lab.load_table()
    return list(dict.fromkeys(list(table["chelator_smiles"].astype(str)) + generate(40)))


def test_fast_suggest_equals_reference_suggest():
    """The vectorized precedent rules give exactly what the pandas reference ``suggest`` does."""
    tab = lab._table_arrays()
    elements = sorted(set(lab.load_table()["element"]))
    nuclides = [lab.parse_nuclide(n) for n in ("Ac-225", "Pb-212", "Lu-177", "Ga-68", "Cu-64",
                                               "Bi-213", "Sc-47", "Zr-89", "Th-227")]
    nuclides = [n for n in nuclides if n.element in elements] + [lab.parse_nuclide("Ra-223")]
    n_cmp = 0
    for smi in _varied_smiles():
        sims = lab._table_similarity(smi, tab)
        ref_sims = np.array([lab.tanimoto(smi, s) for s in lab.load_table()["chelator_smiles"]])
        assert np.array_equal(sims, ref_sims)
        for nuc in nuclides:
            for p in (0.2, 0.8):
                ref = lab.suggest(smi, nuc, p)
                new = lab._suggest_fast(sims, nuc, p, tab)
                assert new.keys() == ref.keys()
                for k, v in ref.items():
                    if isinstance(v, float) and math.isnan(v):
                        assert math.isnan(new[k]), (smi, nuc, k)
                    else:
                        assert new[k] == v, (smi, nuc.nuclide, p, k, new[k], v)
                n_cmp += 1
    assert n_cmp > 1000
