"""The spread of a structural inertness estimate is measured, not assumed (issue 11).

The lower bound charges a pair for what the structure cannot tell; the ±1 logit it used was an
assumption. It is now the held-out (leave-one-core-out) error of the structural estimate on
the evidence table, less the evidence's own noise, never below ±1 logit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chelscreen.rank import (
    INERTNESS_LOGIT_SD,
    INERTNESS_PRIOR,
    _logit,
    _sigmoid,
    heldout_spread,
    override,
    score_pairs,
    structural_model,
)


def test_spread_is_the_heldout_error_less_the_evidence_noise() -> None:
    keys = np.array(["a", "b", "c", "d"])
    el = np.array(["Lu"] * 4)
    y = np.array([0.95, 0.25, 0.95, 0.25])
    w = np.ones(4)
    # every held-out estimate is 2 logit units off its core's outcome
    pred = _sigmoid(_logit(y) - np.array([2.0, -2.0, 2.0, -2.0]))
    assert np.isclose(heldout_spread(pred, y, w, keys, el), np.sqrt(4.0 - 1.0))
    # an estimate as good as the evidence's own noise: the physical floor stands
    assert heldout_spread(_sigmoid(_logit(y)), y, w, keys, el) == INERTNESS_LOGIT_SD


def test_score_uses_the_measured_spread() -> None:
    coef, spread = structural_model()
    assert spread >= INERTNESS_LOGIT_SD
    row = {"chelator": "x", "smiles": "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O", "metal": "Lu3+",
           "radionuclide": "Lu-177", "status": "ok", "logK_pred": 19.0, "logK_sd": 1.0,
           "topology": "acyclic", "n_donors": 6, "cn_preferred": 8}
    s = score_pairs(pd.DataFrame([row]))
    assert np.isclose(s.loc[0, "inertness_logit_sd"], spread)
    # fixed coefficients (the uncalibrated comparison) keep the physical assumption
    with override(coefficients=INERTNESS_PRIOR):
        s0 = score_pairs(pd.DataFrame([row]))
    assert s0.loc[0, "inertness_logit_sd"] == INERTNESS_LOGIT_SD


def test_element_offsets_are_learned_with_partial_pooling() -> None:
    # outcomes worse for one element than its structure says: the calibration learns a
    # negative offset for it (the structural coefficients alone cannot), an element with
    # one outcome stays near 0, and an unseen element gets 0
    from chelscreen.rank import ELEMENT_PREFIX, INERTNESS_FEATURES, _linear, fit_inertness

    rng = np.random.default_rng(5)
    n = 80
    feats = pd.DataFrame({f: rng.uniform(0, 1, n) for f in INERTNESS_FEATURES})
    elements = np.array(["Cu"] * 40 + ["Lu"] * 39 + ["Ga"])
    base = _linear(feats, INERTNESS_PRIOR)
    y = _sigmoid(base + np.where(elements == "Cu", -2.0, 0.5))
    coef = fit_inertness(feats, y, np.ones(n), elements=elements)
    assert coef[f"{ELEMENT_PREFIX}Cu"] < -1.0 < 0.0 < coef[f"{ELEMENT_PREFIX}Lu"]
    assert abs(coef[f"{ELEMENT_PREFIX}Ga"]) < 0.3
    z = _linear(feats.iloc[:2], coef, ["Cu", "Ra"])
    assert np.isclose(z[1], _linear(feats.iloc[1:2], coef)[0])
    assert z[0] < _linear(feats.iloc[:1], coef)[0]
    # without elements the fit has no offsets (the previous model)
    assert not any(k.startswith(ELEMENT_PREFIX) for k in fit_inertness(feats, y, np.ones(n)))
