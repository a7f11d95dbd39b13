"""SimCorrection (residual model on simulation features) and the screen's simulate-top funnel."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from chelscreen.errors import ModelFileError
from chelscreen.model.simcorrect import (
    DEFAULT_FEATURES,
    SCHEMA,
    SimCorrection,
    default_path,
    load_simcorrect,
)


def _data(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "binding_energy_kJ_mol": rng.normal(-800, 60, n),
        "md_dist_dev_A": rng.normal(0.0, 0.2, n),
        "donors_retained_frac": rng.uniform(0.5, 1.0, n),
        "charge": rng.choice([2, 3], n),
    })
    # residual = 1.5 − 0.01 × (E_bind + 800) : a known linear law in one feature
    r = 1.5 - 0.01 * (X["binding_energy_kJ_mol"].to_numpy() + 800)
    return X, r


def test_fit_recovers_linear_law_and_handles_missing() -> None:
    X, r = _data()
    m = SimCorrection(alpha=1e-8).fit(X, r)
    assert m.intercept_ == pytest.approx(np.mean(r))
    # standardized coefficient of the binding energy = slope × its std
    assert m.coef_[0] == pytest.approx(-0.01 * X["binding_energy_kJ_mol"].std(ddof=0), rel=1e-6)
    assert np.allclose(m.coef_[1:], 0.0, atol=1e-6)
    assert np.allclose(m.predict(X), r, atol=1e-6)
    X2 = X.copy()
    X2.loc[3, "md_dist_dev_A"] = np.nan
    p = m.predict(X2)
    assert np.isnan(p[3]) and np.isfinite(np.delete(p, 3)).all()


def test_strong_ridge_shrinks_towards_the_mean() -> None:
    X, r = _data()
    weak = SimCorrection(alpha=1e-8).fit(X, r)
    strong = SimCorrection(alpha=1e4).fit(X, r)
    assert abs(strong.coef_[0]) < 0.05 * abs(weak.coef_[0])
    assert np.allclose(strong.predict(X), np.mean(r), atol=0.05)


def test_charge_interaction_and_input_errors() -> None:
    X, r = _data()
    m = SimCorrection(charge_interaction=True).fit(X, r)
    assert m.feature_names() == list(DEFAULT_FEATURES) + [f"{f}*charge" for f in DEFAULT_FEATURES]
    assert len(m.coef_) == 6
    with pytest.raises(ValueError, match="charge"):
        m.predict(X.drop(columns=["charge"]))
    with pytest.raises(ValueError, match="md_dist_dev_A"):
        SimCorrection().fit(X.drop(columns=["md_dist_dev_A"]), r)
    with pytest.raises(ValueError, match="≥ 5"):
        SimCorrection().fit(X.iloc[:4], r[:4])
    with pytest.raises(ModelFileError, match="not fitted"):
        SimCorrection().predict(X)


def test_json_roundtrip_and_schema_check(tmp_path) -> None:
    X, r = _data(seed=1)
    m = SimCorrection(alpha=3.0, charge_interaction=True).fit(X, r + 0.1 * X["charge"])
    path = m.save(tmp_path / "sc.json", ablation={"MAE": 1.0})
    d = json.loads(path.read_text())
    assert d["schema"] == SCHEMA and d["n_pairs"] == 40 and d["ablation"] == {"MAE": 1.0}
    assert isinstance(d["coef"], list) and len(d["coef"]) == 6
    back = load_simcorrect(path)
    assert np.array_equal(back.predict(X), m.predict(X))
    d["schema"] = "something/else"
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="schema"):
        load_simcorrect(tmp_path / "bad.json")
    d["schema"] = SCHEMA
    d["coef"] = d["coef"][:2]
    (tmp_path / "short.json").write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="design columns"):
        load_simcorrect(tmp_path / "short.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="JSON"):
        load_simcorrect(tmp_path / "junk.json")
    with pytest.raises(ModelFileError, match="not found"):
        load_simcorrect(tmp_path / "missing.json")


# ------------------------------------------------------------------ screen funnel
@pytest.fixture(scope="module")
def screens() -> tuple[pd.DataFrame, pd.DataFrame]:
    from chelscreen.screening import screen

    plain = screen(["DOTA", "EDTA"], ["Lu-177"], progress=False)
    funnel = screen(["DOTA", "EDTA"], ["Lu-177"], simulate_top=1, progress=False)
    return plain, funnel


def test_simulate_top_fills_only_the_best_pair(screens) -> None:
    plain, funnel = screens
    sim_cols = ["sim_cn_mean", "sim_donors_retained_frac", "sim_strain_kJ_mol"]
    assert plain[sim_cols].isna().all().all()
    assert funnel["chelator"].tolist() == plain["chelator"].tolist() == ["DOTA", "EDTA"]
    hit = funnel["sim_donors_retained_frac"].notna().to_numpy()
    assert hit.sum() == 1
    # the simulated pair is the one ranked first by the plain screen (DOTA for Lu-177)
    assert plain.loc[hit, "rank"].iloc[0] == 1 and funnel.loc[hit, "chelator"].iloc[0] == "DOTA"
    row = funnel.loc[hit].iloc[0]
    assert 0.0 <= row["sim_donors_retained_frac"] <= 1.0
    assert 4.0 <= row["sim_cn_mean"] <= 10.0
    assert np.isfinite(row["sim_strain_kJ_mol"])
    assert "simulation keeps" in row["why"]
    # the other pair is untouched
    other = ~hit
    pd.testing.assert_frame_equal(funnel.loc[other, ["score", "why"]].reset_index(drop=True),
                                  plain.loc[other, ["score", "why"]].reset_index(drop=True))


def test_simulation_correction_not_applied_to_log_k(screens) -> None:
    """The ablation (benchmarks/ablate_simulation.py) found no gain over a plain bias shift, so
    no correction is bundled and the simulated pairs keep the model / measured log K."""
    plain, funnel = screens
    assert not default_path().exists()
    assert np.allclose(funnel["logK_used"], plain["logK_used"], equal_nan=True)
    assert np.allclose(funnel["thermo_score"], plain["thermo_score"], equal_nan=True)
    assert "logK_sim_corrected" not in funnel.columns
