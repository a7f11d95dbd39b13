"""The streamed assembly of a screen (issue 16): the ranking from a columns-only pass over the
stored units equals the ranking of the whole table held in memory, and the final parts
carry exactly its rank, p_best and tied_with (more chelators than the confidence candidates,
so both branches of ``add_confidence`` are exercised; ties and unscored rows included)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chelscreen import screening
from chelscreen.rank import CONFIDENCE_CANDIDATES
from chelscreen.store import ResultStore

NUCLIDES = ["Ac-225", "Lu-177"]
DRAW_COLUMNS = ("logK_used", "logK_sd_used", "log_alphaL_pH7_4", "log_alphaM_pH7_4",
                "inertness", "inertness_logit_sd", "evidence_weight", "evidence_mean",
                "daughter_score", "mild_labeling_prob", "decay_loss_frac", "labeling_weight")


def _pairs(n: int, seed: int = 0) -> pd.DataFrame:
    """A scored pair table as the work units store it (ligand-major, random scores)."""
    rng = np.random.default_rng(seed)
    m = n * len(NUCLIDES)
    df = pd.DataFrame({
        "_lig_idx": np.repeat(np.arange(n), len(NUCLIDES)),
        "_nuc_idx": np.tile(np.arange(len(NUCLIDES)), n),
        "chelator": np.repeat([f"C{i % (n - 7)}" for i in range(n)], len(NUCLIDES)),
        "smiles": np.repeat([f"C{'C' * (i % 50)}N{i}" for i in range(n)], len(NUCLIDES)),
        "radionuclide": np.tile(NUCLIDES, n),
        "metal": np.tile(["Ac", "Lu"], n),
        "status": "ok",
    })
    score = rng.uniform(0.2, 0.8, m).round(2)  # rounded: many exact ties
    score[rng.uniform(size=m) < 0.05] = np.nan  # unscored pairs have no rank
    df["score"] = score
    df["score_mean"] = score + rng.normal(0, 0.01, m)
    df["score_lo"] = df["score_mean"] - rng.uniform(0.01, 0.2, m)
    df["score_hi"] = df["score_mean"] + rng.uniform(0.01, 0.2, m)
    for c in DRAW_COLUMNS:
        df[c] = rng.uniform(0.05, 0.95, m)
    for c in screening.COLUMNS:
        if c not in df:
            df[c] = np.nan
    df["rank"] = np.nan
    df["tied_with"] = ""
    return df


def _store(tmp_path, df: pd.DataFrame, size: int) -> tuple[ResultStore, int]:
    store = ResultStore(tmp_path / "job", "h")
    n = int(df["_lig_idx"].max()) + 1
    units = list(range(0, n, size))
    for u, a in enumerate(units):
        store.write_chunk(u, df[(df["_lig_idx"] >= a) & (df["_lig_idx"] < a + size)])
    return store, len(units)


def _rank_streamed(tmp_path, df: pd.DataFrame, size: int, keep: int):
    """Store ``df`` in units of ``size`` chelators and run the streamed ranking pass on it:
    ``(store, n_units, ranking)``."""
    store, n_units = _store(tmp_path, df, size)
    names = df["chelator"].to_numpy(object)[:: len(NUCLIDES)]
    smiles = df["smiles"].to_numpy(object)[:: len(NUCLIDES)]
    ranking = screening._rank_all(store, n_units, size, NUCLIDES, names, smiles, None, keep=keep)
    return store, n_units, ranking


def _final_table(store, n_units: int, size: int, ranking) -> pd.DataFrame:
    """The streamed final parts of a ranked store, as one table."""
    return pd.concat(screening._final_parts(store, n_units, size, len(NUCLIDES), None, ranking,
                                            None), ignore_index=True)


def test_streamed_ranking_equals_the_whole_table(tmp_path):
    n, size = CONFIDENCE_CANDIDATES + 60, 16
    df = _pairs(n)
    store, n_units, ranking = _rank_streamed(tmp_path, df, size, keep=15)
    whole = screening._ranked(df)
    got = _final_table(store, n_units, size, ranking)
    assert len(got) == len(df)
    assert got["rank"].notna().sum() == whole["rank"].notna().sum() > 2 * CONFIDENCE_CANDIDATES
    want = screening.count_dtypes(whole[list(screening.COLUMNS)])
    for col in ("rank", "p_best", "tied_with"):
        pd.testing.assert_series_equal(got[col], want[col], check_names=False)
    # pairs below the candidates are compared with their neighbours: some are tied
    below = got[got["rank"] > CONFIDENCE_CANDIDATES]
    assert (below["tied_with"] != "").any() and (below["p_best"] == 0).all()
    assert ranking.n_ranked == {nuc: int(whole[(whole["radionuclide"] == nuc)]["rank"].notna()
                                         .sum()) for nuc in NUCLIDES}


def test_report_rows_are_the_best_per_radionuclide_and_the_rejected(tmp_path):
    n, size = 60, 16
    df = _pairs(n, seed=1)
    df.loc[df["_lig_idx"] == 3, ["status", "score", "score_mean"]] = ["invalid", np.nan, np.nan]
    store, n_units, ranking = _rank_streamed(tmp_path, df, size, keep=5)
    view = pd.concat([ranking.view_rows(p) for p in screening._final_parts(
        store, n_units, size, len(NUCLIDES), None, ranking, None)], ignore_index=True)
    for nuc in NUCLIDES:
        ranks = view.loc[view["radionuclide"] == nuc, "rank"].dropna().astype(int)
        assert set(range(1, 6)) <= set(ranks)
    assert set(view.loc[view["status"] == "invalid", "smiles"]) == {df["smiles"][6]}
    # far fewer rows than the screen: the report never holds the whole table
    assert len(view) < len(df) * 0.9


def test_screen_load_false_streams_the_same_tables(tmp_path):
    ligs = ["DOTA", "macropa", "NOTA", "DTPA", "not_a_smiles"]
    whole = screening.screen(ligs, ["Ac-225", "Lu-177"], out=tmp_path / "a", chunk_size=2,
                             progress=False)
    view = screening.screen(ligs, ["Ac-225", "Lu-177"], out=tmp_path / "b", chunk_size=2,
                            progress=False, load=False, top_n=1)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "results.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "results.parquet"))
    assert (tmp_path / "a" / "results.csv").read_bytes() == (
        tmp_path / "b" / "results.csv").read_bytes()
    summary = view.attrs["screen_summary"]
    assert summary["n_rows"] == len(whole) == 10
    assert summary["n_chelators"] == 5
    assert summary["n_ranked"] == {"Ac-225": 4, "Lu-177": 4}
    assert (tmp_path / "b" / "report.html").exists() and (tmp_path / "b" / "top.sdf").exists()


def test_streamed_ranking_ranks_a_conjugate_with_its_core(tmp_path):
    """A conjugate and its chelating core among the best pairs: the columns-only pass must rank
    the conjugate with its core as the whole table does (it used to rank them apart and stop
    with 'the candidates' ranks differ from the columns-only pass')."""
    n, size = CONFIDENCE_CANDIDATES + 20, 16
    df = _pairs(n, seed=3)
    lig = df["_lig_idx"].to_numpy()
    df["ligand_key"] = [f"K{i}" for i in lig]
    df["ligand_parent_key"] = np.where(lig == 1, "K0", "")
    df.loc[lig == 0, "score"] = 0.99  # the core and its conjugate lead every radionuclide
    df.loc[lig == 1, "score"] = 0.98
    store, n_units, ranking = _rank_streamed(tmp_path, df, size, keep=15)
    whole = screening._ranked(df)
    got = _final_table(store, n_units, size, ranking)
    want = screening.count_dtypes(whole[list(screening.COLUMNS)])
    pd.testing.assert_series_equal(got["rank"], want["rank"], check_names=False)
    assert (got["rank"].to_numpy()[lig == 1] == 1).all()


def test_atomic_file_is_published_only_when_complete(tmp_path):
    import pytest

    from chelscreen.store import AtomicFile

    path = tmp_path / "results.parquet"
    with pytest.raises(RuntimeError):
        with AtomicFile(path) as fh:
            fh.write(b"half a table")
            raise RuntimeError("killed mid-write")
    assert not path.exists() and not list(tmp_path.iterdir()), "a partial file was left"
    with AtomicFile(path) as fh:
        fh.write(b"whole")
    assert path.read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_streamed_ranking_with_many_conjugates_equals_the_whole_table(tmp_path):
    """The ranking on integer key codes (rank.core_codes/representatives) and the rank tables
    written block by block give every column the whole table gives: conjugates of screened
    cores above and below the confidence candidates, two conjugates of a core that is not
    screened (the better-scored stands for both), and the notes of ranked_with."""
    n, size = CONFIDENCE_CANDIDATES + 80, 16
    df = _pairs(n, seed=5)
    lig = df["_lig_idx"].to_numpy()
    df["ligand_key"] = [f"K{i}" for i in lig]
    parent = np.full(len(df), "", dtype=object)
    for conj, core in ((1, 0), (40, 150), (170, 12), (171, 12)):
        parent[lig == conj] = f"K{core}"
    parent[(lig == 60) | (lig == 61)] = "K-unscreened"
    df["ligand_parent_key"] = parent
    store, n_units, ranking = _rank_streamed(tmp_path, df, size, keep=15)
    whole = screening._ranked(df)
    got = _final_table(store, n_units, size, ranking)
    want = screening.count_dtypes(whole[list(screening.COLUMNS)])
    for col in ("rank", "p_best", "tied_with", "ranked_with"):
        pd.testing.assert_series_equal(got[col], want[col], check_names=False)
    with_core = got["ranked_with"] != ""
    assert set(lig[with_core.to_numpy()]) >= {1, 40, 170, 171}
    assert ((lig == 60) | (lig == 61))[with_core.to_numpy()].any()
    assert ranking.n_ranked == {nuc: int(((whole["radionuclide"] == nuc)
                                          & whole["rank"].notna()
                                          & (whole["ranked_with"] == "")).sum())
                                for nuc in NUCLIDES}


def test_rank_within_equals_a_stable_sort_of_the_table():
    """rank.rank_within (numbers only) gives the ranks of the pandas sort it replaced: within
    each group, best score first, input order among equals, no rank without a score."""
    from chelscreen.rank import rank_within

    rng = np.random.default_rng(7)
    n = 5000
    g = rng.integers(0, 4, n)
    s = rng.integers(0, 30, n).astype(float) / 10  # many exact ties
    s[rng.uniform(size=n) < 0.1] = np.nan
    tmp = pd.DataFrame({"g": g, "s": s, "o": np.arange(n)})
    tmp = tmp.sort_values(["g", "s", "o"], ascending=[True, False, True], na_position="last")
    tmp["rank"] = (tmp.groupby("g", sort=False).cumcount() + 1).astype(float)
    tmp.loc[tmp["s"].isna(), "rank"] = np.nan
    want = tmp.sort_values("o")["rank"].to_numpy()
    np.testing.assert_array_equal(rank_within(g, s), want)


def test_ranking_pass_refuses_a_store_with_a_pair_missing_or_twice(tmp_path):
    """Every chelator's pair of every radionuclide must be stored exactly once: a missing or a
    duplicated pair is a clear error (never a shifted or silently empty rank)."""
    import pytest

    from chelscreen.errors import ChelscreenError

    n, size = 40, 16
    df = _pairs(n, seed=2)
    names = df["chelator"].to_numpy(object)[:: len(NUCLIDES)]
    smiles = df["smiles"].to_numpy(object)[:: len(NUCLIDES)]
    missing = df[~((df["_lig_idx"] == 5) & (df["_nuc_idx"] == 1))]
    twice = pd.concat([df, df[(df["_lig_idx"] == 7) & (df["_nuc_idx"] == 0)]])
    for i, bad in enumerate((missing, twice)):
        store, n_units = _store(tmp_path / str(i), bad, size)
        with pytest.raises(ChelscreenError, match="run the screen again without --resume"):
            screening._rank_all(store, n_units, size, NUCLIDES, names, smiles, None, keep=5)


def test_results_parquet_gathers_parts_into_row_groups(tmp_path, monkeypatch):
    """The streamed writer gathers parts into row groups of at least RESULTS_ROW_GROUP rows
    (the writer keeps every group's metadata until it closes: one group per unit made it grow
    with n); the table read back is the parts in order."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(screening, "RESULTS_ROW_GROUP", 7)
    parts = [pd.DataFrame({"x": np.arange(3 * i, 3 * i + 3, dtype=float),
                           "why": [f"row {j}" for j in range(3 * i, 3 * i + 3)]})
             for i in range(10)]
    paths = screening._write_tables(iter(parts), tmp_path, csv=False)
    md = pq.ParquetFile(paths["parquet"]).metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [9, 9, 9, 3]
    pd.testing.assert_frame_equal(pd.read_parquet(paths["parquet"]),
                                  pd.concat(parts, ignore_index=True))
