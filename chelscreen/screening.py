"""The screen: rank chelator–radionuclide pairings for in vivo retention and daughter release.

:func:`screen` reads the chelators, cuts them into blocks (work units), scores every
chelator × radionuclide pair of a block (stability model, pM at pH 7.4, structural inertness,
labeling feasibility, daughter fate; see :mod:`chelscreen.rank`), stores each finished block at
once (:mod:`chelscreen.store`, so ``resume=True`` continues a killed job), optionally runs the
OpenMM fast protocol on the best pairs (the funnel), ranks within each radionuclide and writes
``results.parquet``, ``results.csv``, ``top.sdf`` and ``report.html``.

Executors give identical results (both through :mod:`chelscreen._parallel`): ``"local"``
(in-process for ``n_jobs=1``, else joblib's loky processes) and ``"dask"`` (``dask.distributed.Client(scheduler)`` or a
``LocalCluster`` on 127.0.0.1 when no address is given).

>>> import chelscreen
>>> df = chelscreen.screen(["DOTA", "macropa"], ["Ac-225", "Lu-177"], out=None)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chelscreen._parallel import resolve_n_jobs
from chelscreen.errors import ChelscreenError
from chelscreen.store import (
    ResultStore,
    atomic_write_csv,
    atomic_write_parquet,
    atomic_write_text,
    stable_hash,
)

logger = logging.getLogger(__name__)

#: the default therapy set (and their imaging partners in clinical use)
THERAPY_SET: tuple[str, ...] = (
    "Ac-225", "Bi-213", "Pb-212", "Th-227", "Ra-223", "Lu-177", "Y-90", "Tb-161", "Sc-47",
    "Ga-68", "Cu-64", "In-111",
)
DEFAULT_OUT = "chelscreen-results"
EXECUTORS = ("local", "dask")
TOP_PER_NUCLIDE = 5
#: ``results.csv`` is written by default up to this many rows (results.parquet always)
CSV_MAX_ROWS = 100_000
#: pair columns in the order they are written (internal ``_``-columns are dropped)
COLUMNS: tuple[str, ...] = (
    "id", "chelator", "smiles", "radionuclide", "metal", "status", "message",
    "logK_pred", "logK_sd", "logK_lo90", "logK_hi90", "in_domain", "domain_note", "logK_exp",
    "logK_exp_source", "logK_basis", "logK_used", "logK_sd_used", "log_alphaL_pH7_4",
    "log_beta1_hydrolysis", "log_alphaM_pH7_4", "logK_cond_pH7_4", "pM_pH7_4",
    "pKa_values", "pKa_source", "topology", "preorganization_code", "macrocycle_ring_size",
    "n_donors", "n_donor_O", "n_donor_amide_O", "ring_donors", "cn_preferred",
    "cavity_radius_pm", "r_ionic_pm", "ion_pauling_en", "cavity_mismatch_pm", "cavity_fit",
    "denticity_fraction", "inertness_struct", "inertness_logit_sd",
    "sim_cn_mean", "sim_donors_retained_frac", "sim_strain_kJ_mol", "inertness",
    "ligand_key", "ligand_parent_key", "evidence_n", "evidence_weight", "evidence_mean", "evidence_text",
    "daughter_released_frac", "released_alpha_energy_frac", "alphas_per_decay",
    "mild_labeling_prob", "labeling_basis", "labeling_weight", "labeling_span",
    "suggested_temperature_C",
    "suggested_time_min", "suggested_pH", "decay_loss_frac", "precedents",
    "thermo_score", "retention_score", "daughter_score", "labeling_score", "score",
    "score_mean", "score_lo", "score_hi", "rank", "ranked_with", "p_best", "tied_with", "why",
)


class ScreenError(ChelscreenError, ValueError):
    """Bad arguments to :func:`screen` (unknown executor, empty input...)."""


# ============================================================================================
# inputs
# ============================================================================================
def _parse_radionuclides(radionuclides: str | Sequence[str] | None) -> list[str]:
    if radionuclides is None:
        items = list(THERAPY_SET)
    elif isinstance(radionuclides, str):
        items = [t.strip() for t in radionuclides.split(",") if t.strip()]
    else:
        items = [str(t).strip() for t in radionuclides if str(t).strip()]
    if not items:
        raise ScreenError("no radionuclides given; pass e.g. 'Ac-225,Lu-177' or leave it empty "
                          f"for the therapy set ({', '.join(THERAPY_SET)})")
    from chelscreen.metals import parse_metal

    out: list[str] = []
    for text in items:
        spec = parse_metal(text)  # raises UnsupportedMetalError with the supported list
        label = spec.nuclide or spec.ion.symbol
        if label not in out:
            out.append(label)
    return out


def _read_input(ligands: Any) -> pd.DataFrame:
    from chelscreen.io import load_library, read_ligands, structure_status_note

    if ligands is None:
        from chelscreen._resources import molecules_dir

        df = read_ligands(molecules_dir() / "chelators.csv")
        lib = load_library()
        if "structure_status" in lib.columns and "name" in df.columns:
            note = dict(zip(lib["name"].astype(str),
                            (structure_status_note(v) for v in lib["structure_status"]),
                            strict=True))
            msgs = df["message"].fillna("").astype(str) if "message" in df else [""] * len(df)
            df["message"] = ["; ".join(x for x in (m, note.get(str(n), "")) if x)
                             for n, m in zip(df["name"].astype(str), msgs, strict=True)]
    else:
        df = read_ligands(ligands)
    if len(df) == 0:
        raise ScreenError("the input holds no chelators; give SMILES, library names or a file")
    df = df.drop(columns=[c for c in ("mol",) if c in df.columns]).reset_index(drop=True)
    names = df["name"].fillna("").astype(str) if "name" in df else pd.Series("", index=df.index)
    ids = df["id"].astype(str)
    df["chelator"] = [n if n.strip() else i for n, i in zip(names, ids)]
    df["_lig_idx"] = np.arange(len(df), dtype=np.int64)
    for col in ("smiles", "core_smiles", "status", "message"):
        if col not in df:
            df[col] = ""
        df[col] = df[col].fillna("").astype(str)
    return df[["_lig_idx", "id", "chelator", "smiles", "core_smiles", "status", "message"]]


@cache
def nuclide_info(nuclide: str) -> dict[str, Any]:
    """Ion facts and chelator-independent daughter terms of one radionuclide (cached)."""
    from chelscreen.metals import parse_metal

    spec = parse_metal(nuclide)
    ion = spec.ion
    info: dict[str, Any] = {
        "radionuclide": nuclide,
        "metal": ion.symbol,
        "cn_preferred": int(getattr(ion, "cn_preferred", 6) or 6),
        "r_ionic_pm": float(ion.radius_pm()),
        "log_beta1_hydrolysis": float(getattr(ion, "log_beta1_hydrolysis", np.nan)),
        "ion_pauling_en": _ion_pauling_en(ion.symbol),
    }
    info.update(_daughter_terms(spec.nuclide, None))
    return info


def _ion_pauling_en(symbol: str) -> float:
    from chelscreen.metals import ion_features

    try:
        return float(ion_features(symbol).get("pauling_en", np.nan))
    except Exception:  # noqa: BLE001 - no hardness tabulated: the inertness term says so
        return float("nan")


@lru_cache(maxsize=4096)
def _daughter_terms(nuclide: str | None, chelator: str | None) -> dict[str, Any]:
    """``daughter_fate`` summary for a nuclide (and chelator when the model knows it)."""
    empty = {"alphas_per_decay": np.nan, "released_alpha_energy_frac": np.nan,
             "daughter_released_frac": np.nan, "daughter_note": ""}
    if nuclide is None:
        return {**empty, "daughter_note": "no nuclide given, daughter fate not computed"}
    try:
        from chelscreen.decay import daughter_fate
    except ImportError as exc:  # pragma: no cover - module missing in a partial install
        return {**empty, "daughter_note": f"daughter fate unavailable ({exc})"}
    try:
        fate = daughter_fate(nuclide, chelator=chelator) if chelator else daughter_fate(nuclide)
    except Exception as exc:  # noqa: BLE001 - unknown chelator/nuclide for the decay model
        if chelator:
            return _daughter_terms(nuclide, None)
        logger.warning("daughter_fate(%s) failed: %s", nuclide, exc)
        return {**empty, "daughter_note": f"daughter fate failed: {exc}"}
    attrs = dict(getattr(fate, "attrs", {}) or {})
    rel_col = next((c for c in fate.columns if "releas" in c.lower() and "energy" not in c.lower()
                    and pd.api.types.is_numeric_dtype(fate[c])), None)
    daughters = fate[fate["role"] == "daughter"] if "role" in fate.columns else fate.iloc[1:]
    first_release = (float(daughters[rel_col].iloc[0]) if rel_col and len(daughters)
                     else np.nan)
    return {
        "alphas_per_decay": float(attrs.get("alphas_per_decay", np.nan)),
        "released_alpha_energy_frac": float(attrs.get("released_alpha_energy_fraction", np.nan)),
        "daughter_released_frac": first_release,
        "daughter_note": "" if len(daughters) else "stable daughter: no daughter release",
    }


# ============================================================================================
# the work unit (runs in workers: must stay a top-level, importable function)
# ============================================================================================
def _ligand_structure(smiles: str, core: str | None = None) -> dict[str, Any]:
    from rdkit import Chem

    from chelscreen.rank import (
        count_donors,
        estimate_pkas,
        ligand_key,
        log_alpha_ligand,
        ring_heteroatoms,
        topology,
    )

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return {"_struct_error": f"RDKit cannot parse the standardized SMILES {smiles!r}"}
    feats: dict[str, Any] = {}
    try:
        # chem.descriptors.ligand_features of the same SMILES, through the labeling model's
        # per-SMILES cache (the labeling model needs the same features for plain chelators)
        from chelscreen.radiolabeling import ligand_descriptors

        feats = ligand_descriptors(smiles)
    except ImportError:
        feats = {}
    except Exception as exc:  # noqa: BLE001 - a descriptor failure must not lose the row
        logger.debug("ligand_features failed for %s: %s", smiles, exc)
    topo, ring = topology(mol)
    # protonation constants belong to the chelating core: a conjugate (DOTATATE, PSMA-617)
    # uses its core's measured constants, and an estimate counts the core's groups only
    core_mol = Chem.MolFromSmiles(core) if core and core != smiles else None
    measured = measured_pkas(core if core_mol is not None else smiles)
    pkas = measured if measured is not None else estimate_pkas(core_mol or mol)
    n_don = feats.get("n_donors")
    if n_don is None or not np.isfinite(float(n_don)):
        n_don = count_donors(mol)
    cav = feats.get("cavity_radius_pm", np.nan)
    ring_size = feats.get("macrocycle_ring_size", ring)
    try:
        ring_size = float(ring_size)
    except (TypeError, ValueError):
        ring_size = float(ring)
    def _f(name: str) -> float:
        try:
            return float(feats.get(name, np.nan))
        except (TypeError, ValueError):
            return float("nan")

    return {
        "ligand_key": ligand_key(smiles),
        "topology": topo,
        "preorganization_code": _f("preorganization_code"),
        "n_donor_O": _f("n_donor_O"),
        "n_donor_amide_O": _f("n_donor_amide_O"),
        "macrocycle_ring_size": ring_size if topo != "acyclic" else 0.0,
        "n_donors": float(n_don),
        "ring_donors": float(ring_heteroatoms(mol)) if topo != "acyclic" else 0.0,
        "cavity_radius_pm": float(cav) if cav is not None else np.nan,
        "log_alphaL_pH7_4": log_alpha_ligand(pkas),
        "pKa_values": ",".join(f"{p:.2f}" for p in pkas),
        "pKa_source": "measured (NIST SRD 46, models/stability/protonation.csv.gz)"
        if measured is not None else "estimated from structure (chelscreen.rank.estimate_pkas)",
    }


@lru_cache(maxsize=1)
def _protonation_table() -> dict[str, list[float]]:
    """Measured stepwise protonation constants by standardized SMILES (the model's table)."""
    try:
        from chelscreen._resources import models_dir

        path = models_dir() / "stability" / "protonation.csv.gz"
        if not path.exists():
            return {}
        tab = pd.read_csv(path, usecols=["smiles", "logKH_steps"], dtype=str)
    except (FileNotFoundError, ValueError, OSError) as exc:
        logger.debug("no protonation table: %s", exc)
        return {}
    out: dict[str, list[float]] = {}
    for smi, steps in zip(tab["smiles"], tab["logKH_steps"]):
        try:
            vals = [float(x) for x in str(steps).split(";") if x.strip()]
        except ValueError:
            continue
        # an incomplete measured list is stored as an empty step list ("estimate used"):
        # it must fall back to the estimate, not become NaN (which made log αL = 0)
        if vals and all(math.isfinite(v) for v in vals):
            out[str(smi)] = vals
    return out


def measured_pkas(smiles: str) -> list[float] | None:
    """Measured protonation constants (log K_H steps) of a ligand when the data hold them."""
    table = _protonation_table()
    if not table:
        return None
    # the input is already standardized by read_ligands (neutral acid, largest fragment): the
    # table's key is its canonical SMILES without stereo (cheap; no second standardization)
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    key = Chem.MolToSmiles(mol, isomericSmiles=False)
    return table.get(key, table.get(smiles))


def _predictions(valid: pd.DataFrame, metals: list[str]) -> pd.DataFrame:
    """Stability-model rows for every valid ligand × unique ion, keyed by position.

    ``valid`` is the :func:`chelscreen.io.read_ligands` result of the block (read once per
    block, shared with the labeling model)."""
    try:
        from chelscreen.model.predict import predict_stability
    except ImportError as exc:
        raise ChelscreenError(
            f"the stability model is not available ({exc}); reinstall chelscreen with its "
            "bundled models/ folder"
        ) from exc

    pred = predict_stability(valid, metals)
    expected = len(valid) * len(metals)
    if len(pred) != expected:
        raise ChelscreenError(
            f"predict_stability returned {len(pred)} rows for {len(valid)} ligands × "
            f"{len(metals)} metals (expected {expected}); contract violated"
        )
    pred = pred.reset_index(drop=True)
    pred["_lig_pos"] = np.repeat(np.arange(len(valid)), len(metals))
    pred["_metal"] = np.tile(metals, len(valid))
    return pred


def _labeling_rows(valid: pd.DataFrame, nuclides: list[str]) -> pd.DataFrame | str:
    try:
        from chelscreen.radiolabeling import labeling
    except ImportError as exc:
        return f"labeling model unavailable ({exc})"
    lab = labeling(valid, nuclides)
    expected = len(valid) * len(nuclides)
    if len(lab) != expected:
        return f"labeling returned {len(lab)} rows, expected {expected}"
    lab = lab.reset_index(drop=True)
    lab["_lig_pos"] = np.repeat(np.arange(len(valid)), len(nuclides))
    lab["_nuc"] = np.tile(nuclides, len(valid))
    return lab


_PRED_COLS = ("logK_pred", "logK_sd", "logK_lo90", "logK_hi90", "in_domain", "domain_note",
              "logK_exp", "logK_exp_source", "logK_basis")
_LAB_COLS = ("mild_labeling_prob", "labeling_basis", "suggested_temperature_C",
             "suggested_time_min", "suggested_pH", "decay_loss_frac", "precedents")


def _score_unit(payload: dict[str, Any]) -> pd.DataFrame:
    """Score one block of chelators against every radionuclide (worker entry point).

    Native thread pools (OpenMP of the gradient-boosting models, BLAS) are limited to one
    thread: the parallelism is over blocks, and an oversubscribed OpenMP pool on a busy machine
    makes each small tree prediction take milliseconds instead of microseconds. Per-row
    predictions do not depend on the thread count, so results are unchanged.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _score_block(payload)


def _read_block(valid: pd.DataFrame) -> pd.DataFrame:
    """:func:`chelscreen.io.read_ligands` of the block's valid chelators, once for both models
    (each of them would otherwise read the same frame again)."""
    from chelscreen.io import read_ligands

    rl = read_ligands(valid[["id", "chelator", "smiles"]].rename(columns={"chelator": "name"}))
    if len(rl) != len(valid):
        raise ChelscreenError(f"read_ligands returned {len(rl)} rows for {len(valid)} chelators")
    return rl.drop(columns=[c for c in ("mol",) if c in rl.columns])


def _score_block(payload: dict[str, Any]) -> pd.DataFrame:
    from chelscreen.rank import parent_key, score_pairs, why_sentence

    if payload.get("labeling_model") is not None:
        from chelscreen.radiolabeling import use_fitted_model

        use_fitted_model(payload["labeling_model"])
    ligs = pd.DataFrame(payload["ligands"])
    nuclides: list[str] = list(payload["radionuclides"])
    infos = [nuclide_info(n) for n in nuclides]
    metals = list(dict.fromkeys(i["metal"] for i in infos))
    is_valid = ~ligs["status"].isin(["invalid", "error"])
    valid = ligs[is_valid].reset_index(drop=True)
    cores = (valid["core_smiles"].fillna("").astype(str) if "core_smiles" in valid
             else pd.Series([""] * len(valid)))
    structs = [_ligand_structure(s, c or None) for s, c in zip(valid["smiles"], cores)]
    read = _read_block(valid) if len(valid) else pd.DataFrame()
    pred = _predictions(read, metals) if len(valid) else pd.DataFrame()
    if not payload.get("labeling", True):
        lab: pd.DataFrame | str = "labeling not assessed (screen run with labeling=False)"
    elif len(valid):
        lab = _labeling_rows(read, nuclides)
    else:
        lab = pd.DataFrame()
    df = pd.DataFrame(_assemble_columns(ligs, valid, infos, metals, structs, pred, lab,
                                        payload.get("library_names", {}), parent_key))
    sim = payload.get("simulation")
    if sim:
        for col in ("sim_cn_mean", "sim_donors_retained_frac", "sim_strain_kJ_mol"):
            df[col] = [sim.get((int(a), int(b)), {}).get(col, np.nan)
                       for a, b in zip(df["_lig_idx"], df["_nuc_idx"])]
    scored = score_pairs(df)
    scored["why"] = [why_sentence(r) for r in scored.to_dict("records")]
    return _normalize_types(scored)


def _assemble_columns(ligs: pd.DataFrame, valid: pd.DataFrame, infos: list[dict[str, Any]],
                      metals: list[str], structs: list[dict[str, Any]], pred: pd.DataFrame,
                      lab: pd.DataFrame | str, library_names: dict[str, bool],
                      parent_key: Callable[[str, str], str]) -> dict[str, list]:
    """The block's pair table column by column: ligands × radionuclides in input order.

    Equal to building one dict per pair (the former code), without the per-pair dicts and the
    ``to_dict("records")`` of the model outputs: a column is created when any pair has a
    value for it (missing values NaN), per-ligand terms (parent key, structure) are computed
    once per ligand, and the model rows are found by position (``pos × n_metals + metal``).
    """
    n_nuc = len(infos)
    n_rows = len(ligs) * n_nuc
    pos_of = {int(li): k for k, li in enumerate(valid["_lig_idx"])}
    metal_at = {m: j for j, m in enumerate(metals)}
    nan = np.nan

    def tiled(key: str) -> list:
        return [i[key] for i in infos] * len(ligs)

    def repeated(values) -> list:
        return [v for v in values for _ in range(n_nuc)]

    lig_cols = {c: ligs[c].tolist() for c in ("_lig_idx", "id", "chelator", "smiles", "status",
                                                  "message")}
    core = ligs["core_smiles"].tolist() if "core_smiles" in ligs else [""] * len(ligs)
    data: dict[str, list] = {
        "_lig_idx": repeated(int(v) for v in lig_cols["_lig_idx"]),
        "_nuc_idx": list(range(n_nuc)) * len(ligs),
        "id": repeated(lig_cols["id"]), "chelator": repeated(lig_cols["chelator"]),
        "smiles": repeated(lig_cols["smiles"]), "radionuclide": tiled("radionuclide"),
        "metal": tiled("metal"), "status": repeated(s or "ok" for s in lig_cols["status"]),
        "message": repeated(lig_cols["message"]), "cn_preferred": tiled("cn_preferred"),
        "r_ionic_pm": tiled("r_ionic_pm"), "log_beta1_hydrolysis": tiled("log_beta1_hydrolysis"),
        "ion_pauling_en": tiled("ion_pauling_en"),
    }

    def column(name: str) -> list:
        if name not in data:
            data[name] = [nan] * n_rows
        return data[name]

    pred_cols = {c: pred[c].tolist() for c in (*_PRED_COLS, "status", "message")
                 if c in pred.columns}
    lab_note = lab if isinstance(lab, str) else ""
    lab_cols = ({} if isinstance(lab, str) else
                {c: lab[c].tolist() for c in (*_LAB_COLS, "status", "message")
                 if c in lab.columns})
    lab_rows = 0 if isinstance(lab, str) else len(lab)
    daughter_cols = ("alphas_per_decay", "released_alpha_energy_frac", "daughter_released_frac",
                     "daughter_note")
    for li in range(len(ligs)):
        pos = pos_of.get(int(lig_cols["_lig_idx"][li]))
        if pos is None:
            continue
        first = li * n_nuc
        st = structs[pos]
        if "_struct_error" in st:
            for r in range(first, first + n_nuc):
                data["status"][r] = "error"
                data["message"][r] = st["_struct_error"]
            continue
        items = [(k2, v) for k2, v in st.items() if not k2.startswith("_")]
        pkey = parent_key(core[li], lig_cols["smiles"][li])
        chel = lig_cols["chelator"][li]
        chel_name = chel if library_names.get(chel) else None
        for k, info in enumerate(infos):
            r = first + k
            for k2, v in items:
                column(k2)[r] = v
            column("ligand_parent_key")[r] = pkey
            pi = pos * len(metals) + metal_at[info["metal"]]
            for c in _PRED_COLS:
                column(c)[r] = pred_cols[c][pi] if c in pred_cols else nan
            pst = pred_cols["status"][pi] if "status" in pred_cols else "ok"
            pst = str(pst or "ok")
            if pst != "ok":
                data["status"][r] = pst if data["status"][r] == "ok" else data["status"][r]
                msg = pred_cols["message"][pi] if "message" in pred_cols else ""
                msg = str(msg or "")
                data["message"][r] = "; ".join(m for m in (data["message"][r], msg) if m)
            qi = pos * n_nuc + k
            has_lab = qi < lab_rows
            for c in _LAB_COLS:
                column(c)[r] = lab_cols[c][qi] if has_lab and c in lab_cols else nan
            if lab_note:
                column("labeling_note")[r] = lab_note
            elif has_lab:
                lst = lab_cols["status"][qi] if "status" in lab_cols else "ok"
                if str(lst) not in ("ok", ""):
                    lmsg = lab_cols["message"][qi] if "message" in lab_cols else ""
                    column("labeling_note")[r] = f"labeling: {lmsg}"
            d = _daughter_terms(info["radionuclide"], chel_name) if chel_name else info
            for c in daughter_cols:
                column(c)[r] = d.get(c, nan)
    return data


def _normalize_types(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes so chunks from any executor concatenate to identical frames."""
    out = df.copy()
    for c in COLUMNS:
        if c not in out:
            out[c] = np.nan
    text_cols = ("id", "chelator", "smiles", "radionuclide", "metal", "status", "message",
                 "domain_note", "logK_exp_source", "logK_basis", "topology", "precedents",
                 "why", "labeling_note", "daughter_note", "pKa_values", "pKa_source",
                 "ligand_key", "ligand_parent_key", "evidence_text", "labeling_basis", "tied_with",
                 "ranked_with")
    for c in text_cols:
        if c in out:
            out[c] = out[c].map(_text).astype(object)
    if "in_domain" in out:
        out["in_domain"] = out["in_domain"].map(
            lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v)
        ).astype(object)
    skip = set(text_cols) | {"in_domain", "rank"}
    for c in out.columns:
        if c in skip or c.startswith("_") or out[c].dtype == np.float64:
            continue
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["_lig_idx"] = out["_lig_idx"].astype(np.int64)
    out["_nuc_idx"] = out["_nuc_idx"].astype(np.int64)
    return out


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, list | tuple):
        return " | ".join(_text(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_text(x)}" for k, x in v.items())
    return str(v)


# ============================================================================================
# execution
# ============================================================================================
def run_units(
    func: Callable[[dict[str, Any]], pd.DataFrame],
    payloads: Sequence[dict[str, Any]],
    store: ResultStore,
    *,
    executor: str = "local",
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    desc: str = "screening",
) -> None:
    """Run ``func`` on every payload whose chunk is not yet stored; store each result at once.

    ``payloads[i]["unit"]`` is the unit id. Results are written by this (the parent) process
    as each unit completes, so a killed job keeps every finished unit.
    """
    if executor not in EXECUTORS:
        raise ScreenError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    done = store.done_units()
    todo = [p for p in payloads if int(p["unit"]) not in done]
    if len(todo) < len(payloads):
        logger.info("%d of %d unit(s) already done, %d to run", len(payloads) - len(todo),
                    len(payloads), len(todo))
    if not todo:
        return
    from chelscreen._parallel import imap_unordered

    bar = _progress(len(payloads), len(payloads) - len(todo), progress, desc)
    try:
        for p, result in imap_unordered(func, todo, n_jobs=n_jobs, executor=executor,
                                        scheduler=scheduler):
            store.write_chunk(int(p["unit"]), result)
            bar.update(1)
    finally:
        bar.close()


def _progress(total: int, initial: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="block",
                leave=False)


# ============================================================================================
# the funnel: OpenMM fast protocol on the best pairs
# ============================================================================================
def _simulate_top(df: pd.DataFrame, n_top: int, store: ResultStore) -> dict[tuple[int, int], dict]:
    """Run the fast protocol on the ``n_top`` best ok pairs per radionuclide (stored, resumable).

    Returns ``{(lig_idx, nuc_idx): {"sim_cn_mean", "sim_donors_retained_frac",
    "sim_strain_kJ_mol"}}``. The simulation's own cache lives in ``.chelscreen-job/sim-cache``.
    """
    name = f"simulation-top{n_top}"
    if store.has_chunk(name):
        sim = store.read_chunk(name)
    else:
        from chelscreen.simulate import simulate_pairs

        frames = []
        ok = df[df["status"].isin(["ok", "warning"]) & df["score"].notna()]
        for (nuc_idx, metal), grp in ok.groupby(["_nuc_idx", "metal"], sort=True):
            best = grp.sort_values(["score", "_lig_idx"], ascending=[False, True]).head(n_top)
            res = simulate_pairs(list(best["smiles"]), [metal], protocol="fast",
                                 cache_dir=store.job_dir / "sim-cache")
            res = res.reset_index(drop=True)
            if len(res) != len(best):
                raise ChelscreenError(f"simulate_pairs returned {len(res)} rows for {len(best)} "
                                      "pairs; contract violated")
            frames.append(pd.DataFrame({
                "_lig_idx": best["_lig_idx"].to_numpy(),
                "_nuc_idx": np.full(len(best), nuc_idx),
                "sim_cn_mean": pd.to_numeric(res.get("cn_mean"), errors="coerce"),
                "sim_donors_retained_frac": pd.to_numeric(res.get("donors_retained_frac"),
                                                          errors="coerce"),
                "sim_strain_kJ_mol": pd.to_numeric(res.get("strain_kJ_mol"), errors="coerce"),
            }))
        sim = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["_lig_idx", "_nuc_idx", "sim_cn_mean", "sim_donors_retained_frac",
                     "sim_strain_kJ_mol"])
        store.write_chunk(name, sim)
    return {
        (int(r["_lig_idx"]), int(r["_nuc_idx"])): {k: r[k] for k in (
            "sim_cn_mean", "sim_donors_retained_frac", "sim_strain_kJ_mol")}
        for r in sim.to_dict("records")
    }


# ============================================================================================
# public entry point
# ============================================================================================
def default_chunk_size(n_ligands: int) -> int:
    """Chelators per work unit: ~64 units per job, 8–256 chelators each (not n_jobs-dependent,
    so a job can be resumed with another ``n_jobs``)."""
    return int(min(256, max(8, math.ceil(n_ligands / 64))))


def screen(
    ligands: Any = None,
    radionuclides: str | Sequence[str] | None = None,
    *,
    simulate_top: int = 0,
    out: str | Path | None = None,
    resume: bool = False,
    n_jobs: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    report: bool = True,
    labeling: bool = True,
    csv: bool | None = None,
    write: bool = True,
) -> pd.DataFrame:
    """Score and rank every chelator × radionuclide pair.

    Parameters
    ----------
    ligands
        Anything :func:`chelscreen.read_ligands` accepts (file, SMILES/library names, DataFrame);
        ``None``: the bundled library ``molecules/chelators.csv``.
    radionuclides
        Names such as ``"Ac-225,Lu-177"`` or a list; ``None``: :data:`THERAPY_SET`.
    simulate_top
        Run the OpenMM fast protocol on the N best pairs of each radionuclide and fold the
        result into their inertness term (see :mod:`chelscreen.rank`); 0 = model only.
    out
        Output folder (``results.parquet``, ``results.csv``, ``top.sdf``, ``report.html`` and
        the resumable job state). ``None`` keeps the job in a temporary folder and writes
        nothing permanent.
    resume
        Continue a killed job in ``out`` (same inputs and settings required).
    n_jobs, executor, scheduler
        ``executor="local"`` uses ``n_jobs`` processes (in-process for 1); ``"dask"`` submits
        to ``scheduler`` (``tcp://host:port``) or a LocalCluster on 127.0.0.1 with ``n_jobs``
        workers. All give the same results.
    progress
        Show a progress bar (tqdm).
    chunk_size
        Chelators per work unit (default :func:`default_chunk_size`).
    report
        Write ``top.sdf`` and ``report.html`` (needs ``out``).
    csv
        Write ``results.csv`` too: ``None`` (default) when the result has at most
        :data:`CSV_MAX_ROWS` rows, ``True`` always, ``False`` never (``results.parquet`` is
        always written).
    write
        Write the final tables to ``out`` (default); ``False`` keeps only the resumable job
        there, for a caller that writes them itself (the CLI, after attaching input columns).
    labeling
        Run the labeling-feasibility model for every pair (default). ``False`` skips it (much
        faster for very large screens): the labeling columns stay empty and the score is
        retention × daughter term only, for every pair alike.

    Returns
    -------
    pandas.DataFrame
        One row per chelator × radionuclide (input order, radionuclides in the given order),
        columns :data:`COLUMNS`. Invalid chelators are kept with ``status="invalid"``.

    Raises
    ------
    UnsupportedMetalError
        A radionuclide is not supported (the message lists what is).
    ResumeMismatchError
        ``resume=True`` but ``out`` holds a job with other inputs or settings.

    Examples
    --------
    >>> df = screen(["DOTA", "macropa"], "Ac-225,Lu-177", progress=False)  # doctest: +SKIP
    >>> df[["chelator", "radionuclide", "score", "rank"]]                  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    if executor not in EXECUTORS:
        raise ScreenError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if n_jobs < 1:
        raise ScreenError(f"n_jobs must be ≥ 1 (got {n_jobs})")
    if simulate_top < 0:
        raise ScreenError(f"simulate_top must be ≥ 0 (got {simulate_top})")
    nuclides = _parse_radionuclides(radionuclides)
    ligs = _read_input(ligands)
    size = int(chunk_size) if chunk_size else default_chunk_size(len(ligs))
    if size < 1:
        raise ScreenError(f"chunk_size must be ≥ 1 (got {chunk_size})")

    from chelscreen._version import __version__

    lib_names = _library_names(ligs["chelator"])
    inputs = {
        "ligands": [[r.id, r.chelator, r.smiles, r.status] for r in ligs.itertuples()],
        "radionuclides": nuclides,
    }
    settings = {"simulate_top": int(simulate_top), "chunk_size": size, "labeling": bool(labeling),
                "chelscreen_version": __version__, "model": _model_fingerprint()}
    job_hash = stable_hash({"inputs": inputs, "settings": settings})
    tmp = None
    if out is None:
        import tempfile

        tmp = tempfile.TemporaryDirectory(prefix="chelscreen-")
        out_dir = Path(tmp.name)
    else:
        out_dir = Path(out)
    # the store creates out_dir; an unwritable folder is a one-line OutputWriteError
    store = ResultStore(out_dir, job_hash, resume=resume, manifest_extra={
        "n_ligands": len(ligs), "ligands_hash": stable_hash(inputs["ligands"]),
        "radionuclides": nuclides, "settings": settings,
    })
    try:
        shared: dict[str, Any] = {}
        if labeling and (executor == "dask" or resolve_n_jobs(n_jobs) > 1):
            # the labeling model is selected and fitted once here, not once per worker
            from chelscreen.radiolabeling import fitted_model

            shared["labeling_model"] = fitted_model()
        payloads = []
        for u, start in enumerate(range(0, len(ligs), size)):
            block = ligs.iloc[start:start + size]
            payloads.append({
                "unit": u, "job": job_hash, "radionuclides": nuclides, "labeling": labeling,
                "ligands": block.to_dict("list"),
                "library_names": {n: True for n in block["chelator"] if n in lib_names},
                **shared,
            })
        run_units(_score_unit, payloads, store, executor=executor, n_jobs=n_jobs,
                  scheduler=scheduler, progress=progress)
        df = store.read_units(range(len(payloads)))
        df = df.sort_values(["_lig_idx", "_nuc_idx"], kind="stable").reset_index(drop=True)
        if simulate_top:
            sim = _simulate_top(_ranked(df), int(simulate_top), store)
            if sim:
                df = _rescore_with_simulation(df, sim)
        df = _ranked(df)
        result = count_dtypes(df[list(COLUMNS)].copy())
        result.attrs["radionuclides"] = nuclides
        result.attrs["job_hash"] = job_hash
        if out is not None and write:
            write_outputs(result, out_dir, report=report, csv=csv)
        logger.info("screened %d chelators × %d radionuclides in %.1f s", len(ligs),
                    len(nuclides), time.perf_counter() - t0)
        return result
    finally:
        store.close()
        if tmp is not None:
            tmp.cleanup()


#: integer counts, nullable ``Int64`` as in :func:`chelscreen.describe`
COUNT_COLUMNS: tuple[str, ...] = ("macrocycle_ring_size", "n_donors", "ring_donors",
                                  "cn_preferred", "rank")


def count_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """Counts as nullable ``Int64`` (the dtype ``describe`` uses), so tables join cleanly."""
    out = df.copy()
    for c in COUNT_COLUMNS:
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").round().astype("Int64")
    return out


def _ranked(df: pd.DataFrame) -> pd.DataFrame:
    from chelscreen.rank import add_confidence, add_rank

    return add_confidence(add_rank(df, by="radionuclide", score="score"), by="radionuclide")


def _rescore_with_simulation(df: pd.DataFrame, sim: dict) -> pd.DataFrame:
    from chelscreen.rank import score_pairs, why_sentence

    out = df.copy()
    keys = list(zip(out["_lig_idx"].astype(int), out["_nuc_idx"].astype(int)))
    for col in ("sim_cn_mean", "sim_donors_retained_frac", "sim_strain_kJ_mol"):
        out[col] = [sim.get(k, {}).get(col, np.nan) for k in keys]
    hit = np.array([k in sim for k in keys])
    if hit.any():
        part = score_pairs(out.loc[hit].drop(columns=["rank"], errors="ignore"))
        part["why"] = [why_sentence(r) for r in part.to_dict("records")]
        for c in part.columns:
            if c in out.columns:
                out.loc[hit, c] = part[c].to_numpy()
    return out


def _library_names(names: Iterable[str]) -> set[str]:
    try:
        from chelscreen.io import library_lookup
    except ImportError:  # pragma: no cover
        return set()
    found = set()
    for n in set(names):
        try:
            if library_lookup(n) is not None:
                found.add(n)
        except Exception:  # noqa: BLE001
            continue
    return found


def _model_fingerprint() -> str:
    """Hash of the bundled model folder's file names and sizes (a retrained model ≠ resume)."""
    try:
        from chelscreen._resources import models_dir

        root = models_dir()
    except FileNotFoundError:
        return ""
    items = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and "validation" not in p.parts:
            items.append([str(p.relative_to(root)), p.stat().st_size])
    return stable_hash(items)[:16]


# ============================================================================================
# outputs
# ============================================================================================
def write_outputs(result: pd.DataFrame, out_dir: str | Path, *, report: bool = True,
                  top_n: int = TOP_PER_NUCLIDE, csv: bool | None = None) -> dict[str, Path]:
    """Write ``results.parquet``, ``results.csv`` (atomic), ``top.sdf`` and ``report.html``.

    ``csv=None`` writes ``results.csv`` only for at most :data:`CSV_MAX_ROWS` rows (a CSV of a
    10,000 × 12 screen is already 130 MB; the Parquet file holds the same table); a stale
    ``results.csv`` of an earlier run in ``out_dir`` is then removed."""
    out_dir = Path(out_dir)
    paths = {"parquet": atomic_write_parquet(out_dir / "results.parquet", result)}
    if csv or (csv is None and len(result) <= CSV_MAX_ROWS):
        paths["csv"] = atomic_write_csv(out_dir / "results.csv", result)
    else:
        (out_dir / "results.csv").unlink(missing_ok=True)
        logger.info("results.csv not written (%d rows > %d; pass csv=True / --csv to force); "
                    "results.parquet holds the table", len(result), CSV_MAX_ROWS)
    if report:
        paths["sdf"] = atomic_write_text(out_dir / "top.sdf", top_sdf(result, top_n=top_n))
        from chelscreen.reporting import render_report

        paths["html"] = atomic_write_text(out_dir / "report.html",
                                          render_report(result, top_n=top_n))
    return paths


def top_pairs(result: pd.DataFrame, top_n: int = TOP_PER_NUCLIDE) -> pd.DataFrame:
    """The ``top_n`` best pairs of each radionuclide (in radionuclide order, then rank)."""
    ranked = result[result["rank"].notna()].copy()
    ranked["_r"] = ranked["rank"].astype(int)
    order = {n: i for i, n in enumerate(dict.fromkeys(result["radionuclide"]))}
    ranked["_n"] = ranked["radionuclide"].map(order)
    top = ranked[ranked["_r"] <= top_n].sort_values(["_n", "_r"])
    return top.drop(columns=["_r", "_n"])


def top_sdf(result: pd.DataFrame, top_n: int = TOP_PER_NUCLIDE) -> str:
    """SD file text of the best pairs with their properties as SD tags."""
    import io

    from rdkit import Chem
    from rdkit.Chem import AllChem

    buf = io.StringIO()
    writer = Chem.SDWriter(buf)
    for r in top_pairs(result, top_n).to_dict("records"):
        mol = Chem.MolFromSmiles(str(r["smiles"]))
        if mol is None:
            continue
        AllChem.Compute2DCoords(mol)
        mol.SetProp("_Name", f"{r['chelator']} | {r['radionuclide']}")
        for key, val in r.items():
            if key == "smiles" or val is None:
                continue
            if isinstance(val, float) and not np.isfinite(val):
                continue
            mol.SetProp(str(key), _text(val) if not isinstance(val, float) else f"{val:.6g}")
        writer.write(mol)
    writer.close()
    return buf.getvalue()
