"""The column-wise ``add_confidence`` equals the per-row reference it replaced (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from chelscreen import rank as R


def _frame(n: int = 40, nuclides=("Ac-225", "Lu-177")) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for nuc in nuclides:
        for k in range(n):
            rows.append({"chelator": f"L{k}", "smiles": f"C{'C' * k}N", "radionuclide": nuc,
                         "metal": nuc.split("-")[0], "logK_used": rng.normal(18, 4),
                         "logK_sd_used": abs(rng.normal(1.5, 0.5)), "log_alphaL_pH7_4": 4.0,
                         "log_alphaM_pH7_4": 0.2, "inertness": rng.uniform(0.2, 0.9),
                         "inertness_logit_sd": 0.6, "daughter_score": 1.0,
                         "mild_labeling_prob": rng.uniform(), "decay_loss_frac": 0.01,
                         "labeling_weight": 0.5})
    df = pd.DataFrame(rows)
    draws = R.sample_scores(df)["score"]
    df["score_mean"] = draws.mean(axis=1)
    df["score_lo"] = np.quantile(draws, 0.05, axis=1)
    df["score_hi"] = np.quantile(draws, 0.95, axis=1)
    df["score"] = np.quantile(draws, 0.1, axis=1)
    df.loc[3, "score"] = np.nan  # an unscored pair keeps NaN p_best and no rank
    return R.add_rank(df, by="radionuclide", score="score")


def _reference(df: pd.DataFrame, candidates: int) -> pd.DataFrame:
    """The per-row implementation before issue 16 (iloc writes), kept as the oracle."""
    out = df.copy()
    out["p_best"] = np.where(out["rank"].notna(), 0.0, np.nan)
    out["tied_with"] = ""
    rank = pd.to_numeric(out["rank"], errors="coerce").to_numpy(float)
    names = out["chelator"].astype(str).to_numpy()
    for _nuc, idx in out.groupby("radionuclide", sort=False).indices.items():
        idx = np.asarray(idx)
        idx = idx[np.isfinite(rank[idx])]
        idx = idx[np.argsort(rank[idx], kind="stable")]
        top = idx[:candidates]
        draws = R.sample_scores(out.iloc[top])["score"]
        counts = np.bincount(np.argmax(draws, axis=0), minlength=len(top))
        out.iloc[top, out.columns.get_loc("p_best")] = counts / draws.shape[1]
        gt = (draws[:, None, :] > draws[None, :, :]).mean(axis=2)
        tied = (gt < R.DISTINGUISH_P) & (gt.T < R.DISTINGUISH_P)
        np.fill_diagonal(tied, False)
        col = out.columns.get_loc("tied_with")
        for a, i in enumerate(top):
            out.iloc[i, col] = "; ".join(names[top[tied[a]]])
        rest = idx[candidates:]
        mean = R._col(out, "score_mean")
        spread = (R._col(out, "score_hi") - R._col(out, "score_lo")) / (2 * 1.645)
        for k, i in enumerate(rest):
            lo, hi = max(0, candidates + k - R.TIE_WINDOW), candidates + k + R.TIE_WINDOW + 1
            nb = [j for j in idx[lo:hi] if j != i]
            s = np.sqrt(spread[i] ** 2 + spread[nb] ** 2)
            p = norm.cdf((mean[i] - mean[nb]) / np.where(s > 0, s, 1e-9))
            keep = (p < R.DISTINGUISH_P) & (1 - p < R.DISTINGUISH_P)
            out.iloc[i, col] = "; ".join(names[np.asarray(nb)[keep]])
    return out


def test_add_confidence_equals_the_per_row_reference():
    df = _frame()
    # few candidates, so most pairs go through the neighbour-window path, including the
    # windows cut at the end of the list
    for candidates in (5, 12, 100):
        got = R.add_confidence(df, by="radionuclide", candidates=candidates)
        want = _reference(df, candidates)
        np.testing.assert_array_equal(got["p_best"].to_numpy(float),
                                      want["p_best"].to_numpy(float))
        assert list(got["tied_with"]) == list(want["tied_with"])
    assert np.isnan(got.loc[3, "p_best"]) and got.loc[3, "tied_with"] == ""
    assert (got["tied_with"] != "").any()


def test_the_neighbour_comparison_in_blocks_gives_the_same_ties(monkeypatch):
    """Pairs below the candidates are compared in blocks of ``TIE_BLOCK`` (bounded memory at
    10^6 pairs); block edges must not change a tie."""
    df = _frame()
    want = _reference(df, 5)
    monkeypatch.setattr(R, "TIE_BLOCK", 7)
    got = R.add_confidence(df, by="radionuclide", candidates=5)
    assert list(got["tied_with"]) == list(want["tied_with"])


def test_a_labeling_shown_only_to_fail_has_no_heated_floor():
    """Two pairs that differ only in what their precedents show: the one whose precedents
    report only clear failures (labeling_shown 0) scores lower, in the labeling score and in
    every draw, than one shown to work; a frame without the column keeps the heated floor."""
    df = _frame(n=2, nuclides=("Th-227",)).iloc[:2].copy()
    df = pd.concat([df.iloc[[0]]] * 3, ignore_index=True)
    df["smiles"] = "CCN"  # the same pair, so the draws share their random streams
    df["mild_labeling_prob"] = 0.2
    df["labeling_basis"] = "precedent"
    df["labeling_weight"] = 1.0
    df["labeling_shown"] = [1.0, 0.0, np.nan]
    floor = R.labeling_floor(df)
    assert floor.tolist() == [R.LABELING_HEATED_SCORE, 0.0, R.LABELING_HEATED_SCORE]
    s = R.sample_scores(df)["score"]
    assert (s[1] <= s[0]).all() and s[1].mean() < s[0].mean()
    np.testing.assert_array_equal(s[0], s[2])
    assert R.labeling_floor(df.drop(columns="labeling_shown")).tolist() == [
        R.LABELING_HEATED_SCORE] * 3


def test_a_model_labeling_is_weighted_by_the_models_own_skill():
    """The weight of a model-basis labeling comes from the model's held-out AUC
    (``model_auc``), not from the tool's (``loco_auc``), which mostly measures precedents."""
    from chelscreen.radiolabeling import labeling_skill

    skill = labeling_skill()
    assert R.SKILL_KEY == "model_auc"
    assert R._labeling_auc()[0] == skill["model_auc"]
    w, _ = R._labeling_skill_weight()
    assert w == np.clip(2 * (skill["model_auc"] - 0.5), 0, 1)
