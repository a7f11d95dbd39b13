"""predict_stability / predict_pairs with the bundled model (loaded, not retrained)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen.model.predict import COLUMNS, predict_pairs, predict_stability

EDTA = "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"
DOTA = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"


@pytest.fixture(scope="module")
def grid():
    return predict_stability([DOTA, EDTA, "C1CC("], ["Lu-177", "Ca2+", "Ac3+", "Xx9+"])


def test_shape_order_columns(grid):
    assert list(grid.columns) == COLUMNS
    assert len(grid) == 12
    assert grid["metal"].tolist()[:4] == ["Lu-177", "Ca2+", "Ac3+", "Xx9+"]
    assert grid["ion"].iloc[0] == "Lu3+"


def test_sane_values_for_reference_pairs(grid):
    dota_lu = grid.iloc[0]
    edta_ca = grid.iloc[5]
    # NIST/literature: DOTA-Lu about 22-25, EDTA-Ca about 10.7
    assert 21.0 <= dota_lu["logK_pred"] <= 26.5
    assert 9.5 <= edta_ca["logK_pred"] <= 12.0
    assert dota_lu["logK_sd"] > 0
    assert dota_lu["logK_lo90"] < dota_lu["logK_pred"] < dota_lu["logK_hi90"]


def test_known_pair_reports_measurement(grid):
    edta_ca = grid.iloc[5]
    assert np.isfinite(edta_ca["logK_exp"])
    assert 10.0 < edta_ca["logK_exp"] < 11.5
    assert "NIST SRD 46" in edta_ca["logK_exp_source"]


def test_bad_rows_marked_not_dropped(grid):
    bad_metal = grid.iloc[3]
    assert bad_metal["status"] == "invalid"
    assert "Xx9+" in bad_metal["message"]
    bad_smiles = grid.iloc[8:12]
    assert (bad_smiles["status"] == "invalid").all()
    assert bad_smiles["logK_pred"].isna().all()


def test_few_row_metal_flagged(grid):
    ac = grid.iloc[2]
    assert not ac["in_domain"]
    assert ac["status"] == "warning"
    assert "few training rows" in ac["domain_note"]
    # estimated from its analogues (La/Ce/Pr/Nd, measured where known), so its interval is
    # not the huge extrapolation interval of a 3-row ion
    assert ac["logK_basis"] in ("analogue", "anchored")
    assert ac["logK_sd"] < 3.0


def test_pairs_table_keeps_ids_and_order(test_data):
    out = predict_pairs(test_data / "model" / "pairs.csv")
    assert out["id"].tolist() == ["edta-cu", "bad-smiles", "nta-lu", "bad-metal", "edta-ca"]
    assert out["status"].tolist()[1] == "invalid" and out["status"].tolist()[3] == "invalid"
    assert "row 2" in out["message"].iloc[1]
    assert "row 4" in out["message"].iloc[3]
    assert out["ion"].tolist()[4] == "Ca2+"
    assert np.isfinite(out["logK_pred"].iloc[[0, 2, 4]]).all()
    assert out["logK_pred"].iloc[0] > out["logK_pred"].iloc[4]  # EDTA: Cu2+ >> Ca2+


def test_pairs_frame_without_id():
    out = predict_pairs(pd.DataFrame({"smiles": [EDTA], "metal": ["Cu2+"]}))
    assert out["id"].iloc[0] == "P1"


def test_ionic_strength_is_explicit():
    """Predictions carry an explicit ionic strength (default 0.1 M), never NaN (issue 10 §1)."""
    d = predict_stability(EDTA, ["Cu2+"], use_measured=False)
    assert d["ionic_strength_M"].tolist() == [0.1]
    d1 = predict_stability(EDTA, ["Cu2+"], ionic_strength=1.0, use_measured=False)
    assert d1["ionic_strength_M"].tolist() == [1.0]
    assert d1["logK_pred"].iloc[0] != d["logK_pred"].iloc[0]


# a DOTA mono-benzylamide: not in the training data
NEW_LIGAND = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(=O)NCc2ccccc2)CC1"


def test_anchor_shifts_related_metals_and_keeps_order():
    plain = predict_stability([NEW_LIGAND, EDTA], ["Ce3+", "Gd3+", "Ca2+"])
    base_la = predict_stability(NEW_LIGAND, ["La3+"], use_measured=False)["logK_pred"].iloc[0]
    anchors = pd.DataFrame({"smiles": [NEW_LIGAND], "metal": ["La-140"],
                            "logK": [base_la + 3.0]})
    anch = predict_stability([NEW_LIGAND, EDTA], ["Ce3+", "Gd3+", "Ca2+"], anchors=anchors)
    assert anch["metal"].tolist() == plain["metal"].tolist()
    assert anch["id"].tolist() == plain["id"].tolist()
    shift = anch["logK_pred"].to_numpy() - plain["logK_pred"].to_numpy()
    assert shift[0] > 1.5 and shift[1] > 1.0      # Ce3+, Gd3+: close relatives of La3+
    assert shift[0] > shift[2]                     # Ca2+ is less related
    assert np.allclose(shift[3:], 0.0)             # EDTA rows untouched
    assert anch["logK_basis"].tolist()[:3] == ["anchored"] * 3
    assert (anch["logK_sd"].iloc[:2] < plain["logK_sd"].iloc[:2]).all()


def test_measured_constants_anchor_the_same_ligand_by_default():
    """DOTAM's measured La3+/Gd3+ constants sharpen its Ac3+ estimate: no +-14 interval."""
    dotam = "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1"
    d = predict_stability(dotam, ["Ac-225", "La3+", "Pb-212"])
    ac, la = d.iloc[0], d.iloc[1]
    assert la["logK_basis"] == "measured" and la["logK_exp_source"].startswith("NIST SRD 46 ligand")
    assert ac["logK_basis"] in ("analogue", "anchored")
    assert ac["logK_hi90"] - ac["logK_lo90"] < 8.0
    assert abs(ac["logK_pred"] - la["logK_exp"]) < 3.0
    off = predict_stability(dotam, ["Ac-225"], use_measured=False)
    assert np.isnan(off["logK_exp"].iloc[0]) and off["logK_basis"].iloc[0] != "measured"


def test_conflict_is_not_shown_as_a_median():
    """Sc-DOTA: 30.79 and 16.5 were merged into a 'measured' 23.6; the supported value is kept."""
    d = predict_stability(DOTA, ["Sc3+"])
    assert d["logK_basis"].iloc[0] == "measured"
    assert d["logK_exp"].iloc[0] > 28.0
    assert d["logK_exp_source"].iloc[0].startswith("doi:")


def test_bad_anchor_file_gives_one_line_error(tmp_path):
    from chelscreen.errors import InputFileError

    bad = tmp_path / "a.csv"
    bad.write_text("smiles,metal,logK\nC1CC(,La3+,10\n")
    with pytest.raises(InputFileError, match="anchor row 1"):
        predict_stability(EDTA, ["Cu2+"], anchors=bad)


def test_compiled_constants_anchor_but_are_not_shown_as_measured():
    """macropa's only constants are SATCMF's lanthanide series (no per-row reference): they
    are not shown as measured, but they anchor the ligand's other metals, so its Ac3+
    estimate borrows from La3+/Ce3+/Pr3+/Nd3+ instead of carrying the model's ±6 log units."""
    from chelscreen.model.predict import predict_stability

    macropa = "O=C(O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1"
    df = predict_stability([macropa], ["Ac3+", "La3+"])
    ac, la = df.iloc[0], df.iloc[1]
    assert ac["logK_basis"] in ("analogue", "anchored") and ac["logK_sd"] < 2.0
    assert np.isnan(la["logK_exp"]) and la["logK_basis"] == "anchored"


def test_known_pairs_table_marks_anchor_only_sources():
    from chelscreen.model.card import known_pairs_table

    t = pd.DataFrame({"smiles": ["A", "A", "B"], "metal": ["La3+", "La3+", "La3+"],
                      "logK": [10.0, 10.4, 15.0], "ionic_strength": 0.1,
                      "source": ["SATCMF", "NIST_SRD46", "SATCMF"],
                      "source_id": ["s1", "n1", "s2"], "nist_ligand_id": ["", "7", ""]})
    k = known_pairs_table(t).set_index("smiles")
    assert k.loc["A", "logK"] == 10.4 and bool(k.loc["A", "measured"])  # NIST first, shown
    assert k.loc["B", "logK"] == 15.0 and not bool(k.loc["B", "measured"])
