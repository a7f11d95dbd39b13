"""Applicability domain: similarity of a ligand to the training ligands, data per metal.

A prediction is ``in_domain`` when the ligand's nearest training ligand has Morgan (radius 2,
2048 bit) Tanimoto similarity ≥ ``sim_threshold`` *and* the metal has ≥ ``min_metal_rows``
training rows. The note says which condition failed.
"""

from __future__ import annotations

import numpy as np

SIM_THRESHOLD = 0.40
MIN_METAL_ROWS = 20


def fingerprints(smiles: list[str]) -> list:
    """RDKit bit vectors (None for unparsable SMILES); each SMILES read through the shared
    read-only :func:`chelscreen.chem.descriptors.mol_of_smiles` (the model's ligand features
    have read the same standardized SMILES just before)."""
    from chelscreen.chem.descriptors import mol_of_smiles
    from chelscreen.model.features import similarity_fp

    out = []
    for smi in smiles:
        mol = mol_of_smiles(smi) if smi else None
        out.append(similarity_fp(mol) if mol is not None else None)
    return out


def fps_to_array(fps: list) -> np.ndarray:
    """Pack bit vectors to a uint8 array (n, 256) for safe storage (``np.save``, no pickle)."""
    from rdkit import DataStructs

    arr = np.zeros((len(fps), 2048), dtype=np.uint8)
    for i, fp in enumerate(fps):
        DataStructs.ConvertToNumpyArray(fp, arr[i])
    return np.packbits(arr, axis=1)


def array_to_fps(packed: np.ndarray) -> list:
    """Inverse of :func:`fps_to_array`."""
    from rdkit import DataStructs

    bits = np.unpackbits(packed, axis=1)
    out = []
    for row in bits:
        bv = DataStructs.ExplicitBitVect(len(row))
        bv.SetBitsFromList(np.flatnonzero(row).tolist())
        out.append(bv)
    return out


def max_similarity(query: list, reference: list) -> np.ndarray:
    """Max Tanimoto of each query fingerprint to ``reference`` (NaN for a None query)."""
    from rdkit import DataStructs

    out = np.full(len(query), np.nan)
    if not reference:
        return out
    for i, fp in enumerate(query):
        if fp is not None:
            out[i] = max(DataStructs.BulkTanimotoSimilarity(fp, reference))
    return out


def domain_flags(
    max_sim: np.ndarray,
    metal_rows: np.ndarray,
    sim_threshold: float = SIM_THRESHOLD,
    min_metal_rows: int = MIN_METAL_ROWS,
) -> tuple[np.ndarray, list[str]]:
    """``in_domain`` booleans and a note per prediction."""
    in_dom = (np.nan_to_num(max_sim, nan=0.0) >= sim_threshold) & (metal_rows >= min_metal_rows)
    notes = []
    for s, n in zip(max_sim, metal_rows):
        parts = []
        if not np.isfinite(s) or s < sim_threshold:
            parts.append(
                f"ligand unlike training ligands (max Tanimoto {s:.2f} < {sim_threshold:.2f})"
            )
        if n < min_metal_rows:
            parts.append(f"few training rows for this metal ({int(n)} < {min_metal_rows})")
        notes.append("; ".join(parts) if parts else f"max Tanimoto {s:.2f}, {int(n)} metal rows")
    return in_dom, notes
