"""Nearest-neighbour features of the stability model (chelscreen.model.neighbours)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chelscreen.model import domain
from chelscreen.model import io as model_io
from chelscreen.model.estimator import StabilityModel
from chelscreen.model.features import skeleton_key, standardize_smiles
from chelscreen.model.neighbours import NEIGHBOUR_COLUMNS, NeighbourPool

EDTA = standardize_smiles("OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O")
CDTA = standardize_smiles("OC(=O)CN(CC(=O)O)C1CCCCC1N(CC(=O)O)CC(=O)O")
GLY = standardize_smiles("NCC(=O)O")
# trans-CDTA drawn with stereo: same skeleton (InChIKey first block) as CDTA
CDTA_TRANS = standardize_smiles("OC(=O)CN(CC(=O)O)[C@@H]1CCCC[C@H]1N(CC(=O)O)CC(=O)O")


def _maps(smiles):
    smiles = list(dict.fromkeys(smiles))
    return (dict(zip(smiles, domain.fingerprints(smiles))),
            {s: skeleton_key(s) or s for s in smiles})


def test_neighbour_is_the_most_similar_ligand_with_the_same_metal_never_itself():
    """CDTA with Ca2+ reads EDTA's Ca2+ constant (its closest analogue with a Ca2+ value), not
    its own value, not that of a stereo-drawn copy of itself, and not glycine's; a metal
    without any pool value gets NaN and similarity 0."""
    fp_of, skel_of = _maps([EDTA, CDTA, GLY, CDTA_TRANS])
    assert skel_of[CDTA] == skel_of[CDTA_TRANS]
    pool = NeighbourPool.from_rows([EDTA, EDTA, CDTA, CDTA_TRANS, GLY],
                                   ["Ca2+", "Ca2+", "Ca2+", "Ca2+", "Ca2+"],
                                   [10.6, 10.8, 13.1, 12.9, 1.4], fp_of, skel_of)
    f = pool.features([CDTA, CDTA, EDTA], ["Ca2+", "Ac3+", "Ca2+"], fp_of, skel_of)
    assert list(f.columns) == NEIGHBOUR_COLUMNS
    assert f["nn_logK"].iloc[0] == pytest.approx(10.7)  # EDTA's median, not 13.1 / 12.9
    assert 0 < f["nn_sim"].iloc[0] < 1
    # the k-mean weights EDTA (more similar) above glycine
    assert 1.4 < f["nn_logK_k"].iloc[0] < 10.7
    assert f["nn_logK_k"].iloc[0] > (10.7 + 1.4) / 2
    assert np.isnan(f["nn_logK"].iloc[1]) and f["nn_sim"].iloc[1] == 0
    assert f["nn_logK_x_sim"].iloc[1] == 0
    # EDTA's neighbour with Ca2+ is CDTA (both CDTA drawings are one skeleton, one median)
    assert f["nn_logK"].iloc[2] == pytest.approx(13.0)


def test_pool_state_roundtrip():
    fp_of, skel_of = _maps([EDTA, CDTA, GLY])
    pool = NeighbourPool.from_rows([EDTA, GLY, GLY], ["Cu2+", "Cu2+", "Ni2+"],
                                   [18.8, 8.2, 6.0], fp_of, skel_of)
    back = NeighbourPool.from_state(pool.to_state(), [fp_of[s] for s in pool.smiles])
    q = [CDTA, CDTA, GLY]
    m = ["Cu2+", "Ni2+", "Cu2+"]
    pd.testing.assert_frame_equal(pool.features(q, m, fp_of, skel_of),
                                  back.features(q, m, fp_of, skel_of))


def test_model_with_neighbours_saves_and_loads_the_same_predictions(tmp_path):
    data = Path(__file__).resolve().parents[1] / "data" / "model" / "tiny_train.csv"
    tiny = pd.read_csv(data)
    X = tiny[["smiles", "metal", "ionic_strength"]]
    model = StabilityModel(max_iter=40, min_samples_leaf=3, n_calibration_folds=2,
                           neighbours=True).fit(X, tiny["logK"], protonation=pd.DataFrame())
    assert set(NEIGHBOUR_COLUMNS) <= set(model.feature_names_)
    col = model.feature_names_.index("nn_sim")
    feats = model.featurize(X)
    assert (feats.X[:, col] > 0).any()
    model_io.save(model, tmp_path / "m")
    back = model_io.load(tmp_path / "m")
    np.testing.assert_allclose(back.predict(X), model.predict(X), rtol=0, atol=1e-9)
