"""Nearest-neighbour features: the measured log K of the most similar training ligands with the
same metal.

A ligand's closest structural analogues with a measured constant for the *same* metal (EDTA for
CDTA, DTPA for a DTPA derivative) are the first estimate a chemist would make; boosted trees on
fingerprint bits cannot copy such a value. :class:`NeighbourPool` holds the training ligands'
fingerprints, skeleton keys and their median log K per metal, and :meth:`NeighbourPool.features`
gives for each (ligand, metal) row:

* ``nn_logK`` / ``nn_sim`` — log K and Tanimoto similarity of the most similar pool ligand that
  has a constant with the metal;
* ``nn_logK_k`` / ``nn_sim_k`` — the similarity²-weighted mean log K and the mean similarity of
  the :data:`K_NEIGHBOURS` most similar ones;
* ``nn_logK_x_sim`` — ``nn_logK × nn_sim`` (0 when the metal has no pool value), the linear
  base's term.

A pool ligand with the query's own structure skeleton (InChIKey first block) is never a
neighbour, in training and in prediction alike, so a training row's features are computed as a
held-out ligand's would be (no value of the ligand itself or of its stereoisomers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: neighbours averaged in ``nn_logK_k``
K_NEIGHBOURS = 3
#: feature columns added by :meth:`NeighbourPool.features`
NEIGHBOUR_COLUMNS = ["nn_logK", "nn_sim", "nn_logK_k", "nn_sim_k", "nn_logK_x_sim"]
#: query ligands per block of the similarity matrix (memory: block × pool float32)
BLOCK = 2048


class NeighbourPool:
    """Training ligands with their median log K per metal (see the module docstring)."""

    def __init__(self, smiles, skeletons, fps, values: pd.DataFrame) -> None:
        """``smiles``/``skeletons``/``fps``: one per pool ligand; ``values``: columns
        ``lig`` (index into ``smiles``), ``metal``, ``logK`` (one row per pair)."""
        self.smiles = np.asarray(smiles, dtype=object)
        self.skeletons = np.asarray(skeletons, dtype=object)
        self.fps = list(fps)
        self.by_metal = {str(m): (g["lig"].to_numpy(int), g["logK"].to_numpy(float))
                         for m, g in values.groupby("metal")}

    @classmethod
    def from_rows(cls, smiles_rows, metal_rows, y, fp_of: dict, skel_of: dict) -> NeighbourPool:
        """Pool of training rows (standardized SMILES, ion, log K); medians per pair."""
        df = pd.DataFrame({"smiles": np.asarray(smiles_rows, dtype=object),
                           "metal": np.asarray(metal_rows, dtype=object),
                           "logK": np.asarray(y, float)})
        med = df.groupby(["smiles", "metal"], sort=False)["logK"].median().reset_index()
        uniq = list(dict.fromkeys(df["smiles"]))
        pos = {s: i for i, s in enumerate(uniq)}
        med["lig"] = med["smiles"].map(pos)
        return cls(uniq, [skel_of[s] for s in uniq], [fp_of[s] for s in uniq],
                   med[["lig", "metal", "logK"]])

    def to_state(self) -> dict:
        rows = [(int(i), m, float(v)) for m, (li, vv) in self.by_metal.items()
                for i, v in zip(li, vv)]
        return {"smiles": [str(s) for s in self.smiles],
                "skeletons": [str(s) for s in self.skeletons],
                "values": {"lig": [r[0] for r in rows], "metal": [r[1] for r in rows],
                           "logK": [r[2] for r in rows]}}

    @classmethod
    def from_state(cls, state: dict, fps: list) -> NeighbourPool:
        return cls(state["smiles"], state["skeletons"], fps, pd.DataFrame(state["values"]))

    def features(self, smiles_rows, metal_rows, fp_of: dict, skel_of: dict) -> pd.DataFrame:
        """Neighbour features of row-aligned (standardized SMILES, ion) pairs."""
        from rdkit import DataStructs

        smiles_rows = np.asarray(smiles_rows, dtype=object)
        metal_rows = np.asarray(metal_rows, dtype=object)
        n = len(smiles_rows)
        out = {c: np.full(n, np.nan) for c in NEIGHBOUR_COLUMNS}
        out["nn_sim"][:] = 0.0
        out["nn_sim_k"][:] = 0.0
        out["nn_logK_x_sim"][:] = 0.0
        uq = list(dict.fromkeys(smiles_rows))
        qpos = pd.Series(np.arange(len(uq)), index=uq)
        row_q = qpos.reindex(smiles_rows).to_numpy(int)
        for b0 in range(0, len(uq), BLOCK):
            block = uq[b0:b0 + BLOCK]
            S = np.zeros((len(block), len(self.fps)), dtype=np.float32)
            for i, s in enumerate(block):
                fp = fp_of.get(s)
                if fp is not None and self.fps:
                    S[i] = DataStructs.BulkTanimotoSimilarity(fp, self.fps)
                S[i, self.skeletons == skel_of.get(s, s)] = -1.0
            in_block = (row_q >= b0) & (row_q < b0 + len(block))
            for m in pd.unique(metal_rows[in_block]):
                if str(m) not in self.by_metal:
                    continue
                lig, vals = self.by_metal[str(m)]
                rows = np.flatnonzero(in_block & (metal_rows == m))
                sub = S[row_q[rows] - b0][:, lig]
                k = min(K_NEIGHBOURS, sub.shape[1])
                top = np.argpartition(-sub, k - 1, axis=1)[:, :k]
                st = np.take_along_axis(sub, top, axis=1).astype(float)
                vt = vals[top]
                ok = st >= 0  # -1: the query's own skeleton
                st_ok = np.where(ok, st, 0.0)
                best = np.argmax(np.where(ok, st, -np.inf), axis=1)
                have = ok.any(axis=1)
                r = rows[have]
                b = best[have]
                out["nn_logK"][r] = vt[have, b]
                out["nn_sim"][r] = st_ok[have, b]
                w = np.where(ok, np.maximum(st_ok, 1e-3) ** 2, 0.0)[have]
                out["nn_logK_k"][r] = (w * vt[have]).sum(axis=1) / w.sum(axis=1)
                out["nn_sim_k"][r] = st_ok[have].sum(axis=1) / ok[have].sum(axis=1)
                out["nn_logK_x_sim"][r] = out["nn_logK"][r] * out["nn_sim"][r]
        return pd.DataFrame(out)
