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
    "logK_exp_source", "logK_basis", "logK_used", "logK_sd_used", "logK_close_core",
    "log_alphaL_pH7_4",
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
    "suggested_time_min", "suggested_pH", "decay_loss_frac", "labeling_shown", "precedents",
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


def _read_input(ligands: Any, n_jobs: int = 1) -> pd.DataFrame:
    from chelscreen.io import load_library, read_ligands, structure_status_note

    if ligands is None:
        from chelscreen._resources import molecules_dir

        df = read_ligands(molecules_dir() / "chelators.csv", keep_mol=False)
        lib = load_library()
        if "structure_status" in lib.columns and "name" in df.columns:
            note = dict(zip(lib["name"].astype(str),
                            (structure_status_note(v) for v in lib["structure_status"]),
                            strict=True))
            msgs = df["message"].fillna("").astype(str) if "message" in df else [""] * len(df)
            df["message"] = ["; ".join(x for x in (m, note.get(str(n), "")) if x)
                             for n, m in zip(df["name"].astype(str), msgs, strict=True)]
    else:
        # standardized in parallel on this machine (a read_ligands result passes through)
        df = read_ligands(ligands, n_jobs=n_jobs, keep_mol=False)
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

    from chelscreen.chem.descriptors import mol_of_smiles
    from chelscreen.rank import (
        count_donors,
        estimate_pkas,
        ligand_key,
        log_alpha_ligand,
        ring_heteroatoms,
        topology,
    )

    mol = mol_of_smiles(smiles)  # shared with the descriptors and the stability model
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
    key = core if core_mol is not None else smiles
    measured = measured_pkas(key)
    partial = measured_pkas(key, incomplete=True) if measured is None else None
    if measured is not None:
        pkas = measured
        pka_source = "measured (NIST SRD 46, models/stability/protonation.csv.gz)"
    elif partial:
        pkas = complete_pkas(partial, estimate_pkas(core_mol or mol))
        pka_source = ("measured steps (NIST SRD 46, incomplete list) + the missing more basic "
                      "step(s) estimated from structure (chelscreen.rank.estimate_pkas)")
        if len(pkas) == len(partial):
            pka_source = ("measured (NIST SRD 46, flagged incomplete; the structural estimate "
                          "has no step more basic than the measured ones)")
    else:
        pkas = estimate_pkas(core_mol or mol)
        pka_source = "estimated from structure (chelscreen.rank.estimate_pkas)"
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
        "pKa_source": pka_source,
    }


def _protonation_table(incomplete: bool = False) -> dict[str, list[float]]:
    """Measured stepwise protonation constants by standardized SMILES (the model's table).

    ``incomplete=False``: the complete measured lists. ``incomplete=True``: the measured steps
    of the lists the table flags incomplete (fewer steps than basic amines, or a polyamine whose
    highest step is < 10: usually the most basic step, > 11, was not measured)."""
    return _protonation_tables()[1 if incomplete else 0]


@lru_cache(maxsize=1)
def _protonation_tables() -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(complete lists, measured steps of incomplete lists), from one read of the table."""
    try:
        from chelscreen._resources import models_dir

        path = models_dir() / "stability" / "protonation.csv.gz"
        if not path.exists():
            return {}, {}
        tab = pd.read_csv(path, dtype=str)
    except (FileNotFoundError, ValueError, OSError) as exc:
        logger.debug("no protonation table: %s", exc)
        return {}, {}

    def steps_by_smiles(rows: pd.DataFrame, column: str) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for smi, steps in zip(rows["smiles"], rows[column]):
            try:
                vals = [float(x) for x in str(steps).split(";") if x.strip()]
            except ValueError:
                continue
            # an incomplete measured list is stored as an empty step list ("estimate used"):
            # it must fall back to the estimate, not become NaN (which made log αL = 0)
            if vals and all(math.isfinite(v) for v in vals):
                out[str(smi)] = vals
        return out

    complete = steps_by_smiles(tab, "logKH_steps")
    if "logKH_steps_measured" not in tab or "complete" not in tab:
        return complete, {}
    flagged = tab[tab["complete"].astype(str).str.lower() == "false"]
    return complete, steps_by_smiles(flagged, "logKH_steps_measured")


def measured_pkas(smiles: str, *, incomplete: bool = False) -> list[float] | None:
    """Measured protonation constants (log K_H steps) of a ligand when the data hold them;
    with ``incomplete=True``, the measured steps of a list flagged incomplete."""
    table = _protonation_table(incomplete)
    if not table:
        return None
    key = _pka_key(smiles)
    if key is None:
        return None
    return table.get(key, table.get(smiles))


@lru_cache(maxsize=4096)
def _pka_key(smiles: str) -> str | None:
    """Key of ``smiles`` in the protonation table (None if RDKit cannot read it): the input is
    already standardized by read_ligands (neutral acid, largest fragment), the table's key is
    its canonical SMILES without stereo (cheap; no second standardization). Memoized: the
    complete and the incomplete lists are looked up with the same key. The Mol is the shared
    read-only one of :func:`chelscreen.chem.descriptors.mol_of_smiles` (the structure terms
    have read it already)."""
    from rdkit import Chem

    from chelscreen.chem.descriptors import mol_of_smiles

    mol = mol_of_smiles(smiles)
    if mol is None:
        return None
    return Chem.MolToSmiles(mol, isomericSmiles=False)


def complete_pkas(measured: list[float], estimated: list[float]) -> list[float]:
    """An incomplete measured list completed by the estimate: the measured steps are kept and
    only the estimated steps *more basic* than every measured one are added (the step a
    potentiometric titration misses is the most basic one: DOTA's NIST list 9.69, 4.47, 4.23
    lacks its ~11-12.6 step; the estimate 11.5, 7.5 supplies 11.5, and its 7.5 — which would
    contradict the measured 9.69 — is not used). Most basic first."""
    top = max(measured)
    return sorted([p for p in estimated if p > top] + list(measured), reverse=True)


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
             "suggested_time_min", "suggested_pH", "decay_loss_frac", "labeling_shown",
             "precedents")


def _score_unit(payload: dict[str, Any]) -> pd.DataFrame:
    """Score one block of chelators against every radionuclide (worker entry point).

    Native thread pools (OpenMP of the gradient-boosting models, BLAS) are limited to one
    thread: the parallelism is over blocks, and an oversubscribed OpenMP pool on a busy machine
    makes each small tree prediction take milliseconds instead of microseconds. Per-row
    predictions do not depend on the thread count, so results are unchanged.
    """
    with one_thread():
        return _score_block(payload)


def _warm_worker(payload: dict[str, Any]) -> None:
    """Initializer of a local worker process: score one chelator of the job (the result is
    dropped) so that imports, models and tables are loaded before the first unit.

    loky takes a worker's memory after its first task as the reference and restarts a worker
    that grew by more than 300 MB since; the screen's first task in a worker used to be a
    ``read_ligands`` chunk, so the model loaded by the first unit counted as growth and every
    worker was restarted once (imports and model load paid again). Results do not depend on
    it: every cache it fills holds pure functions of their arguments.
    """
    try:
        with one_thread():
            _score_block(payload)
    except Exception as exc:  # noqa: BLE001 - the units report their own errors
        logger.debug("worker warm-up failed: %s", exc)


def one_thread(preload: bool = True):
    """``threadpool_limits(1)`` over the native thread pools a screen uses, loaded first
    (``preload=False``: those loaded now only).

    threadpoolctl limits only the libraries already loaded when it is entered: a worker's
    first unit imported scipy and scikit-learn (their OpenBLAS and OpenMP) inside the limit
    and ran them with every core, and the parent process fitted the labeling model with every
    core (4 CPU-s instead of 0.8 on 2 cores: OpenBLAS threads spin while they wait).
    """
    if preload:
        import scipy.optimize  # noqa: F401 - scipy's OpenBLAS (labeling fit)
        import sklearn.ensemble  # noqa: F401 - OpenMP (stability model)
    from chelscreen._parallel import thread_limits

    return thread_limits(1)


def _single_threaded(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` run under :func:`one_thread` (the parent process of a screen: ranking,
    writing; the labeling fit loads its libraries first); same results, less CPU."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_thread(preload=False):
            return func(*args, **kwargs)

    return wrapper


def _read_block(valid: pd.DataFrame) -> pd.DataFrame:
    """:func:`chelscreen.io.read_ligands` of the block's valid chelators, once for both models
    (each of them would otherwise read the same frame again)."""
    from chelscreen.io import read_ligands

    rl = read_ligands(valid[["id", "chelator", "smiles"]].rename(columns={"chelator": "name"}))
    if len(rl) != len(valid):
        raise ChelscreenError(f"read_ligands returned {len(rl)} rows for {len(valid)} chelators")
    return rl.drop(columns=[c for c in ("mol",) if c in rl.columns])


def worker_handover(nuclides: list[str], labeling: bool = True) -> dict[str, Any]:
    """What every work unit's payload carries from the process that starts a screen in other
    processes, computed once there instead of once per worker (the same values by the same
    code, so results are the same): each radionuclide's :func:`nuclide_info`, the structural
    model's calibration (:func:`chelscreen.rank.calibration_handover`) and, with labeling, the
    labeling model, table and half-lives (:func:`chelscreen.radiolabeling.handover`). A worker
    then neither refits the models nor imports the decay data (radioactivedecay and sympy)."""
    from chelscreen.rank import calibration_handover

    with one_thread():
        out: dict[str, Any] = {"nuclide_infos": [nuclide_info(n) for n in nuclides],
                               "calibration": calibration_handover()}
        if labeling:
            from chelscreen.radiolabeling import handover

            out["labeling_state"] = handover(nuclides)
    return out


def _score_block(payload: dict[str, Any]) -> pd.DataFrame:
    from chelscreen.rank import parent_key, score_pairs, why_sentence

    if payload.get("labeling_state") is not None:
        from chelscreen.radiolabeling import use_handover

        use_handover(payload["labeling_state"])
    if payload.get("calibration") is not None:
        from chelscreen.rank import use_calibration

        use_calibration(payload["calibration"])
    ligs = pd.DataFrame(payload["ligands"])
    nuclides: list[str] = list(payload["radionuclides"])
    # the parent's nuclide_info of each radionuclide: a worker then never imports the decay
    # data (radioactivedecay and sympy, ≈ 1.2 CPU-s per process) unless a library chelator
    # needs its own daughter terms
    infos = payload.get("nuclide_infos") or [nuclide_info(n) for n in nuclides]
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
    scored["why"] = [why_sentence(r) for r in _records(scored)]
    return _normalize_types(scored)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` built from each column's ``tolist()`` (the same Python
    values; pandas boxes every cell one by one)."""
    cols = list(df.columns)
    return [dict(zip(cols, row)) for row in zip(*(df[c].tolist() for c in cols))]


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

    pred_cols = {c: pred[c].tolist() for c in (*_PRED_COLS, "status", "message")
                 if c in pred.columns}
    lab_note = lab if isinstance(lab, str) else ""
    lab_cols = ({} if isinstance(lab, str) else
                {c: lab[c].tolist() for c in (*_LAB_COLS, "status", "message")
                 if c in lab.columns})
    lab_rows = 0 if isinstance(lab, str) else len(lab)
    daughter_cols = ("alphas_per_decay", "released_alpha_energy_frac", "daughter_released_frac",
                     "daughter_note")
    # the ligands that get model values (valid, structure read) and the positions of their
    # rows; the rest keep the base columns (a structure error sets status and message)
    done: list[tuple[int, int, dict[str, Any]]] = []
    for li in range(len(ligs)):
        pos = pos_of.get(int(lig_cols["_lig_idx"][li]))
        if pos is None:
            continue
        st = structs[pos]
        if "_struct_error" in st:
            for r in range(li * n_nuc, (li + 1) * n_nuc):
                data["status"][r] = "error"
                data["message"][r] = st["_struct_error"]
            continue
        done.append((li, pos, st))
    metal_off = [metal_at[info["metal"]] for info in infos]
    n_met = len(metals)
    plain = [[info.get(c, nan) for info in infos] for c in daughter_cols]
    new: dict[str, list] = {}

    def fill(name: str, li: int, values: list) -> None:
        col = new.get(name)
        if col is None:
            col = new[name] = data[name] if name in data else [nan] * n_rows
        col[li * n_nuc:(li + 1) * n_nuc] = values

    # a ligand's rows column by column; columns are created in the order the former per-pair
    # loop met them (the table's column order): structure terms, parent key, model columns,
    # labeling columns, the labeling note when the ligand's first pair has one, the daughter
    # terms, else the note after them
    for li, pos, st in done:
        first = li * n_nuc
        for k2, v in st.items():
            if not k2.startswith("_"):
                fill(k2, li, [v] * n_nuc)
        fill("ligand_parent_key", li, [parent_key(core[li], lig_cols["smiles"][li])] * n_nuc)
        pis = [pos * n_met + o for o in metal_off]
        for c in _PRED_COLS:
            fill(c, li, [pred_cols[c][pi] for pi in pis] if c in pred_cols else [nan] * n_nuc)
        if "status" in pred_cols:
            for k, pi in enumerate(pis):
                pst = str(pred_cols["status"][pi] or "ok")
                if pst != "ok":
                    r = first + k
                    data["status"][r] = pst if data["status"][r] == "ok" else data["status"][r]
                    msg = pred_cols["message"][pi] if "message" in pred_cols else ""
                    msg = str(msg or "")
                    data["message"][r] = "; ".join(m for m in (data["message"][r], msg) if m)
        qis = range(pos * n_nuc, pos * n_nuc + n_nuc)
        for c in _LAB_COLS:
            if c in lab_cols:
                vals = lab_cols[c]
                fill(c, li, [vals[qi] if qi < lab_rows else nan for qi in qis])
            else:
                fill(c, li, [nan] * n_nuc)
        notes: list[tuple[int, str]] = []
        for k, qi in enumerate(qis):
            if lab_note:
                notes.append((k, lab_note))
            elif qi < lab_rows:
                lst = lab_cols["status"][qi] if "status" in lab_cols else "ok"
                if str(lst) not in ("ok", ""):
                    lmsg = lab_cols["message"][qi] if "message" in lab_cols else ""
                    notes.append((k, f"labeling: {lmsg}"))
        if notes and notes[0][0] == 0 and "labeling_note" not in new:
            new["labeling_note"] = data.get("labeling_note") or [nan] * n_rows
        chel = lig_cols["chelator"][li]
        if library_names.get(chel):
            ds = [_daughter_terms(info["radionuclide"], chel) for info in infos]
            for c in daughter_cols:
                fill(c, li, [d.get(c, nan) for d in ds])
        else:
            for c, vals in zip(daughter_cols, plain):
                fill(c, li, list(vals))
        if notes:
            if "labeling_note" not in new:
                new["labeling_note"] = data.get("labeling_note") or [nan] * n_rows
            for k, text in notes:
                new["labeling_note"][first + k] = text
    for name, col in new.items():
        data[name] = col
    return data


def _normalize_types(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes so chunks from any executor concatenate to identical frames."""
    missing = [c for c in COLUMNS if c not in df]
    out = (pd.concat([df, pd.DataFrame(np.nan, index=df.index, columns=missing)], axis=1)
           if missing else df.copy())
    text_cols = ("id", "chelator", "smiles", "radionuclide", "metal", "status", "message",
                 "domain_note", "logK_exp_source", "logK_basis", "logK_close_core", "topology",
                 "precedents",
                 "why", "labeling_note", "daughter_note", "pKa_values", "pKa_source",
                 "ligand_key", "ligand_parent_key", "evidence_text", "labeling_basis", "tied_with",
                 "ranked_with")
    for c in text_cols:
        if c in out:
            out[c] = pd.Series([v if type(v) is str else _text(v) for v in out[c].tolist()],
                               index=out.index, dtype=object)
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
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
) -> None:
    """Run ``func`` on every payload whose chunk is not yet stored; store each result at once.

    ``payloads[i]["unit"]`` is the unit id. Results are written by this (the parent) process
    as each unit completes, so a killed job keeps every finished unit. ``initializer(*initargs)``
    runs once per local worker process before its first unit
    (:func:`chelscreen._parallel.imap_unordered`).
    """
    if executor not in EXECUTORS:
        raise ScreenError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    done = store.done_units()
    ids = (payloads.unit_ids() if isinstance(payloads, _UnitPayloads)
           else [int(p["unit"]) for p in payloads])
    todo = _Subset(payloads, [i for i, u in enumerate(ids) if u not in done])
    if len(todo) < len(payloads):
        logger.info("%d of %d unit(s) already done, %d to run", len(payloads) - len(todo),
                    len(payloads), len(todo))
    if not todo:
        return
    from chelscreen._parallel import imap_unordered

    bar = _progress(len(payloads), len(payloads) - len(todo), progress, desc)
    try:
        for p, result in imap_unordered(func, todo, n_jobs=n_jobs, executor=executor,
                                        scheduler=scheduler, initializer=initializer,
                                        initargs=initargs):
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
    """Chelators per work unit: ~64 units per job, 64–256 chelators each (not n_jobs-dependent,
    so a job can be resumed with another ``n_jobs``). A unit has a fixed cost of ≈ 0.2 CPU-s
    (model calls, tables); at 64 chelators × 12 radionuclides that is ≈ 0.3 CPU-ms per pair,
    at 8 it was 2 CPU-ms (``benchmarks/bench_screen.py --chunk-size``)."""
    return int(min(256, max(64, math.ceil(n_ligands / 64))))


@_single_threaded
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
    load: bool = True,
    top_n: int = TOP_PER_NUCLIDE,
    each_part: Callable[[pd.DataFrame, int, int], pd.DataFrame] | None = None,
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
        there.
    load
        Return the whole result (default). ``False`` returns only the rows the report uses
        (the best pairs of each radionuclide, the heatmap's chelators and the rejected inputs)
        with the screen's counts in ``attrs["screen_summary"]``: the results are then streamed
        from the job's chunks to ``results.parquet`` one work unit at a time and never held in
        memory together (the CLI; screens of 10⁵–10⁶ chelators).
    top_n
        Pairs per radionuclide in ``top.sdf`` and in the report's cards.
    each_part
        ``each_part(part, start, stop)`` returns a streamed part (the pairs of chelators
        ``start:stop`` of the input, ligand-major) with columns added (the CLI appends the
        user's extra input columns this way).
    labeling
        Run the labeling-feasibility model for every pair (default). ``False`` skips it (much
        faster for very large screens): the labeling columns stay empty and the score is
        retention × daughter term only, for every pair alike.

    Returns
    -------
    pandas.DataFrame
        One row per chelator × radionuclide (input order, radionuclides in the given order),
        columns :data:`COLUMNS`. Invalid chelators are kept with ``status="invalid"``.
        (``load=False``: the report's rows only, see ``load``.)

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
    ligs = _read_input(ligands, n_jobs if scheduler is None else 1)
    size = int(chunk_size) if chunk_size else default_chunk_size(len(ligs))
    if size < 1:
        raise ScreenError(f"chunk_size must be ≥ 1 (got {chunk_size})")

    from chelscreen._version import __version__

    lib_names = _library_names(ligs["chelator"])
    inputs = {"ligands": _ligands_hash(ligs), "radionuclides": nuclides}
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
        "n_ligands": len(ligs), "ligands_hash": inputs["ligands"],
        "radionuclides": nuclides, "settings": settings,
    })
    try:
        shared = (worker_handover(nuclides, labeling)
                  if executor == "dask" or resolve_n_jobs(n_jobs) > 1 else {})
        payloads = _UnitPayloads(ligs, size, {
            "job": job_hash, "radionuclides": nuclides, "labeling": labeling, **shared},
            lib_names)
        run_units(_score_unit, payloads, store, executor=executor, n_jobs=n_jobs,
                  scheduler=scheduler, progress=progress,
                  **({"initializer": _warm_worker, "initargs": (payloads.warmup(),)}
                     if executor == "local" and resolve_n_jobs(n_jobs) > 1 else {}))
        n_units = len(payloads)
        overrides = None
        if simulate_top:
            cand = _simulation_candidates(store, n_units, size, len(nuclides), int(simulate_top))
            sim = _simulate_top(cand, int(simulate_top), store)
            if sim:
                keys = list(zip(cand["_lig_idx"].astype(int), cand["_nuc_idx"].astype(int)))
                hit = np.array([k in sim for k in keys], dtype=bool)
                overrides = _rescore_with_simulation(cand[hit].reset_index(drop=True), sim)
        # the input's own (Arrow-backed) text arrays: no Python string per chelator is made
        names = ligs["chelator"].astype(str).array
        smiles = ligs["smiles"].astype(str).array
        keep = max(int(top_n), _report_rows())
        ranking = _rank_all(store, n_units, size, nuclides, names, smiles, overrides, keep)
        to_disk = out is not None and write
        parts = _final_parts(store, n_units, size, len(nuclides), overrides, ranking, each_part)
        collected: list[pd.DataFrame] = []
        view_parts: list[pd.DataFrame] = []

        def tee(it: Iterable[pd.DataFrame]) -> Iterable[pd.DataFrame]:
            for part in it:
                if load:
                    collected.append(part)
                view_parts.append(ranking.view_rows(part))
                yield part

        n_rows = len(ligs) * len(nuclides)
        written: dict[str, Path] = {}
        if to_disk:
            written.update(_write_tables(tee(parts), out_dir, csv=_csv_wanted(csv, n_rows)))
        else:
            for _ in tee(parts):
                pass
        view = (pd.concat(view_parts, ignore_index=True) if view_parts
                else pd.DataFrame(columns=list(COLUMNS)))
        view.attrs["screen_summary"] = ranking.summary(view, n_chelators=int(
            pd.Series(names, copy=False).nunique()), n_rows=n_rows)
        if to_disk and report:
            written.update(_write_report(view, out_dir, top_n=int(top_n)))
        result = pd.concat(collected, ignore_index=True) if load else view
        if load:
            result.attrs["screen_summary"] = view.attrs["screen_summary"]
        result.attrs["radionuclides"] = nuclides
        result.attrs["job_hash"] = job_hash
        result.attrs["written"] = {k: str(v) for k, v in written.items()}
        logger.info("screened %d chelators × %d radionuclides in %.1f s", len(ligs),
                    len(nuclides), time.perf_counter() - t0)
        return result
    finally:
        store.close()
        if tmp is not None:
            tmp.cleanup()


class _Subset(Sequence):
    """``payloads[i] for i in index``, built when asked for."""

    def __init__(self, payloads: Sequence[Any], index: list[int]) -> None:
        self._payloads, self._index = payloads, index

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, k: int) -> Any:  # type: ignore[override]
        return self._payloads[self._index[k]]


def _ligands_hash(ligs: pd.DataFrame) -> str:
    """SHA-256 of the chelators' id, name, SMILES and status, row by row (no copy of the
    input is built to hash it)."""
    import hashlib
    import json

    h = hashlib.sha256()
    for row in zip(ligs["id"].astype(str), ligs["chelator"].astype(str), ligs["smiles"],
                   ligs["status"], strict=True):
        h.update(json.dumps(list(row), separators=(",", ":")).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


class _UnitPayloads(Sequence):
    """The work units' payloads, built when asked for (the input is not copied into one dict
    per unit up front: a million-chelator screen keeps one copy of its input)."""

    def __init__(self, ligs: pd.DataFrame, size: int, common: dict[str, Any],
                 lib_names: set[str]) -> None:
        self._ligs, self._size, self._common, self._lib = ligs, size, common, lib_names

    def __len__(self) -> int:
        return -(-len(self._ligs) // self._size)

    def unit_ids(self) -> range:
        return range(len(self))

    def warmup(self) -> dict[str, Any]:
        """A payload of the job's first valid chelator alone (:func:`_warm_worker`)."""
        ok = np.flatnonzero(~self._ligs["status"].isin(["invalid", "error"]).to_numpy())
        block = self._ligs.iloc[ok[:1] if len(ok) else [0]]
        return {"unit": -1, **self._common, "ligands": block.to_dict("list"),
                "library_names": {}}

    def __getitem__(self, u: int) -> dict[str, Any]:  # type: ignore[override]
        if not 0 <= u < len(self):
            raise IndexError(u)
        block = self._ligs.iloc[u * self._size:(u + 1) * self._size]
        return {"unit": u, **self._common, "ligands": block.to_dict("list"),
                "library_names": {n: True for n in block["chelator"] if n in self._lib}}


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
# streamed assembly: ranking from a columns-only pass, results written one unit at a time
# ============================================================================================
#: the per-pair columns the ranking reads (besides chelator, SMILES and radionuclide, which come
#: from the input): ``rank`` needs the score, ``p_best``/``tied_with`` below the confidence
#: candidates need the score's mean and interval; the candidates' full rows are read apart
RANK_COLUMNS: tuple[str, ...] = ("score", "score_mean", "score_lo", "score_hi")
#: per-chelator columns the ranking needs besides the scores (conjugates rank with their core)
KEY_COLUMNS: tuple[str, ...] = ("ligand_key", "ligand_parent_key")
_KEY_BASE = 1 << 20  # pair key = lig × base + radionuclide index (≤ 2^20 radionuclides)


def _pair_keys(df: pd.DataFrame) -> np.ndarray:
    return (df["_lig_idx"].to_numpy(np.int64) * _KEY_BASE + df["_nuc_idx"].to_numpy(np.int64))


def _apply_overrides(df: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """``df`` with the rows re-scored after the simulation funnel replaced (same columns)."""
    if overrides is None or not len(overrides) or not len(df):
        return df
    keys = _pair_keys(df)
    okeys = _pair_keys(overrides)
    hit = np.isin(keys, okeys)
    if not hit.any():
        return df
    pos = pd.Index(okeys).get_indexer(keys[hit])
    out = df.copy()
    for c in out.columns:
        if c.startswith("_") or c not in overrides.columns:
            continue
        col = out[c].to_numpy(copy=True)
        if col.dtype != object and overrides[c].dtype == object:
            col = col.astype(object)
        col[hit] = overrides[c].to_numpy()[pos]
        out[c] = col
    return out


def _nuclide_columns(store: ResultStore, n_units: int, k: int, cols: Sequence[str],
                     overrides: pd.DataFrame | None) -> pd.DataFrame:
    """``cols`` of radionuclide ``k``'s pairs from every stored unit, in chelator order (a
    columns-only read: a few numbers per chelator are held, never whole rows)."""
    frames = []
    for u in range(n_units):
        part = store.read_chunk(u, columns=["_lig_idx", "_nuc_idx", *cols])
        frames.append(part[part["_nuc_idx"].to_numpy() == k])
    df = pd.concat(frames, ignore_index=True)
    return _apply_overrides(df, overrides)


def _simulation_candidates(store: ResultStore, n_units: int, size: int, n_nuc: int,
                           n_top: int) -> pd.DataFrame:
    """Full rows of the ``n_top`` best scored (ok/warning) pairs of each radionuclide: the
    pairs :func:`_simulate_top` picks (it selects them again by the same rule)."""
    want = {}
    for k in range(n_nuc):
        cols = _nuclide_columns(store, n_units, k, ["score", "status"], None)
        ok = cols[cols["status"].isin(["ok", "warning"]) & cols["score"].notna()]
        best = ok.sort_values(["score", "_lig_idx"], ascending=[False, True]).head(n_top)
        if len(best):
            want[k] = np.sort(best["_lig_idx"].to_numpy(np.int64))
    if not want:
        return store.read_chunk(0).iloc[:0]
    rows = _fetch_rows_multi(store, size, want, None)
    return pd.concat([rows[k] for k in sorted(rows)], ignore_index=True)


class _Ranking:
    """What the ranking pass leaves for the assembly: the stored rank tables (one per
    radionuclide: ``_lig_idx, rank, p_best, tied_with`` in chelator order) and what the report
    needs of the whole screen (counts, the heatmap's chelators, which rows to keep)."""

    def __init__(self, nuclides: list[str], keep: int) -> None:
        self.nuclides = nuclides
        self.keep = keep
        self.tables: list[str] = []
        self.n_ranked: dict[str, int] = {}
        self.all_extrapolated: dict[str, bool] = {}
        self.pending: set[str] = set()
        self.heat_names: set[str] = set()
        #: the confidence candidates' ``p_best``/``tied_with`` per radionuclide index
        #: (``_lig_idx`` array, values): the rank tables are stored as the columns-only pass
        #: left them, before the candidates' full rows are read, and these replace them
        self.candidates: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def view_rows(self, part: pd.DataFrame) -> pd.DataFrame:
        """The rows of a final part the report, ``top.sdf`` and the console summary use."""
        rank = pd.to_numeric(part["rank"], errors="coerce").to_numpy(float)
        keep = ((np.nan_to_num(rank, nan=np.inf) <= self.keep)
                | part["chelator"].isin(self.heat_names).to_numpy()
                | part["status"].isin(["invalid", "error"]).to_numpy())
        if self.pending:  # radionuclides whose candidates were all extrapolations
            from chelscreen.reporting import _is_extrapolation

            ranked = part[np.isfinite(rank)]
            for nuc in list(self.pending):
                rows = ranked[ranked["radionuclide"] == nuc]
                if any(not _is_extrapolation(r) for r in rows.to_dict("records")):
                    self.all_extrapolated[nuc] = False
                    self.pending.discard(nuc)
        return part[keep]

    def summary(self, view: pd.DataFrame, *, n_chelators: int, n_rows: int) -> dict[str, Any]:
        for nuc in self.pending:
            self.all_extrapolated[nuc] = True
        self.pending.clear()
        return {"n_chelators": n_chelators, "n_rows": n_rows, "n_ranked": dict(self.n_ranked),
                "all_extrapolated": dict(self.all_extrapolated)}


def _report_rows() -> int:
    from chelscreen.reporting import TABLE_ROWS

    return int(TABLE_ROWS)


#: rows per row group of a stored rank table: :func:`_final_parts` reads the tables of every
#: radionuclide side by side in batches, and a reader holds its current row group decoded
#: (one row group of n rows held every chelator's ``tied_with`` text at once, ≈ 3 KB per
#: chelator for 12 radionuclides)
RANK_ROW_GROUP = 4096
#: bytes of columns-only data the ranking holds at once (32 bytes per pair; several
#: radionuclides per pass over the stored units while they fit: one pass for up to
#: ~1.7·10^5 chelators × 12; a single radionuclide's n pairs are always held)
RANK_BUFFER_BYTES = 64 * 2**20


def _fetch_rows_multi(store: ResultStore, size: int, want: dict[int, np.ndarray],
                      overrides: pd.DataFrame | None) -> dict[int, pd.DataFrame]:
    """Full stored rows of chelators ``want[k]`` (ascending) for each radionuclide ``k``,
    reading every unit that holds one of them once."""
    units: dict[int, None] = {}
    for ligs in want.values():
        for v in ligs:
            units[int(v) // size] = None
    # one selection per unit for every radionuclide, one concatenation, then split by
    # radionuclide (each radionuclide's rows keep their unit order)
    if not want:
        return {}
    frames: list[pd.DataFrame] = []
    for u in sorted(units):
        part = store.read_chunk(u)
        nuc = part["_nuc_idx"].to_numpy()
        lig = part["_lig_idx"].to_numpy()
        sel = np.zeros(len(part), dtype=bool)
        for k, ligs in want.items():
            sel |= (nuc == k) & np.isin(lig, ligs)
        if sel.any():
            frames.append(part[sel])
    both = pd.concat(frames, ignore_index=True)
    both_nuc = both["_nuc_idx"].to_numpy()
    out = {}
    for k, ligs in want.items():
        df = _apply_overrides(both[both_nuc == k].reset_index(drop=True), overrides)
        order = pd.Index(df["_lig_idx"].to_numpy(np.int64)).get_indexer(ligs)
        if (order < 0).any():
            raise ChelscreenError("the stored units lack rows the ranking needs; run the "
                                  "screen again with --resume")
        out[k] = df.iloc[order].reset_index(drop=True)
    return out


def _parent_keys(store: ResultStore, n_units: int) -> pd.Index:
    """The distinct non-empty ``ligand_parent_key`` values of the stored units, sorted (the
    codes of :func:`chelscreen.rank.core_codes`)."""
    found: set[str] = set()
    for u in range(n_units):
        col = store.read_chunk(u, columns=["ligand_parent_key"])["ligand_parent_key"]
        col = col[col.notna()]
        found.update(v for v in col.astype(str).unique().tolist() if v)
    return pd.Index(sorted(found), dtype=object)


def _texts(arr: Any, rows: np.ndarray) -> list[str]:
    from chelscreen.rank import _text_at

    return _text_at(arr, rows)


def _rank_table_parts(names: Any, rank: np.ndarray, rep: np.ndarray, score: np.ndarray,
                      mean: np.ndarray, spread: np.ndarray, key_code: np.ndarray,
                      parent_code: np.ndarray, smiles: Any) -> Iterable[pd.DataFrame]:
    """One radionuclide's rank table (``_lig_idx, rank, p_best, tied_with, ranked_with,
    _rank_note``, as :func:`_ranked` gives them below the confidence candidates) in blocks of
    :data:`RANK_ROW_GROUP` chelators: the texts are made for one block at a time from the
    numbers (:func:`chelscreen.rank.tie_neighbours`). A conjugate ranked with its core shows
    its core's values; the candidates' ``p_best``/``tied_with`` (placeholders here) are
    replaced from their full rows (:class:`_Ranking`). ``smiles``: the input's SMILES (the
    note of a bifunctional form, :func:`chelscreen.rank.rank_note`)."""
    from chelscreen.rank import CONFIDENCE_CANDIDATES, rank_note, tie_neighbours, tie_texts

    n = len(rank)
    own = np.arange(n)
    is_rep = rep == own
    idx = np.flatnonzero(np.isfinite(rank) & is_rep)
    idx = idx[np.argsort(rank[idx], kind="stable")]
    pos_of = np.full(n, -1, dtype=np.int64)
    pos_of[idx] = np.arange(len(idx))
    for a in range(0, max(n, 1), RANK_ROW_GROUP):
        rows = own[a:a + RANK_ROW_GROUP]
        src = rep[rows]
        pos = pos_of[src]
        tied = np.full(len(rows), "", dtype=object)
        below = np.flatnonzero(pos >= CONFIDENCE_CANDIDATES)
        if len(below):
            nb, keep = tie_neighbours(idx, pos[below], mean, spread)
            tied[below] = np.array(tie_texts(names, nb, keep) + [None], dtype=object)[:-1]
        ranked_with = np.full(len(rows), "", dtype=object)
        notes = np.full(len(rows), "", dtype=object)
        conj = np.flatnonzero(src != rows)
        if len(conj):
            heads = src[conj]
            head_names = _texts(names, heads)
            for j, i, head, hn, smi in zip(conj, rows[conj], heads, head_names,
                                           _texts(smiles, rows[conj])):
                ranked_with[j] = hn
                notes[j] = rank_note(hn, key_code[head] == parent_code[i]
                                     or parent_code[head] < 0, smi)
        r = rank[rows]
        yield pd.DataFrame({
            "_lig_idx": rows.astype(np.int64), "rank": r,
            "p_best": np.where(np.isfinite(r), 0.0, np.nan),
            "tied_with": pd.array(tied, dtype="str"),
            "ranked_with": pd.array(ranked_with, dtype="str"),
            "_rank_note": pd.array(notes, dtype="str")})


def _rank_all(store: ResultStore, n_units: int, size: int, nuclides: list[str],
              names: Any, smiles: Any, overrides: pd.DataFrame | None,
              keep: int) -> _Ranking:
    """Rank every radionuclide from a columns-only pass (exact, bounded memory).

    Per radionuclide: its pairs' :data:`RANK_COLUMNS` are read from every unit (32 bytes per
    chelator; as many radionuclides per pass as fit in :data:`RANK_BUFFER_BYTES`) and ranked
    with :func:`_ranked` (``rank``, and ``p_best``/``tied_with`` of the pairs below the
    confidence candidates, which need only the score's mean and interval); the candidates'
    full rows are then read and ranked again on their own, which gives their
    ``p_best``/``tied_with`` exactly as on the whole table (the candidates are compared only
    with each other). Each radionuclide's table is stored in the job (``rank-NNN``, row groups
    of :data:`RANK_ROW_GROUP`) as soon as it is ranked, so one is held at a time, and read
    back in batches by :func:`_final_parts`, which puts the candidates' values
    (``_Ranking.candidates``) in. ``names`` and ``smiles``: the input's text arrays.
    """
    from chelscreen.rank import CONFIDENCE_CANDIDATES, core_codes, rank_within, representatives
    from chelscreen.reporting import MAX_HEATMAP_ROWS, _is_extrapolation

    n = len(names)
    ranking = _Ranking(nuclides, keep)
    relmax = np.full(n, np.nan)
    # conjugates ranked with their core are not heatmap rows (the report draws cores only)
    conjugate = np.zeros(n, dtype=bool)
    # the chelating-core keys as integer codes (rank.core_codes: a conjugate is ranked with
    # its core): the distinct parent keys first (one column, mostly empty), then every key's
    # position among them, read with the first pass's columns: 17 bytes per chelator
    parent_set = _parent_keys(store, n_units)
    has_key = np.zeros(n, dtype=bool)
    key_code = np.full(n, -1, dtype=np.int64)
    parent_code = np.full(n, -1, dtype=np.int64)
    per_pass = int(max(1, min(len(nuclides), RANK_BUFFER_BYTES // (32 * max(n, 1)))))
    for g0 in range(0, len(nuclides), per_pass):
        group = list(range(g0, min(len(nuclides), g0 + per_pass)))
        # the pass's radionuclides' RANK_COLUMNS, filled unit by unit in chelator order (32
        # bytes per pair; no concatenation), and how often each chelator's pair was seen
        buf = {k: np.full((len(RANK_COLUMNS), n), np.nan) for k in group}
        seen = {k: np.zeros(n, dtype=np.int8) for k in group}
        for u in range(n_units):
            keys = KEY_COLUMNS if g0 == 0 else ()
            part = store.read_chunk(u, columns=["_lig_idx", "_nuc_idx", *RANK_COLUMNS, *keys])
            if keys:
                idx = part["_lig_idx"].to_numpy(np.int64)
                h, kc, pc = core_codes(part["ligand_key"], part["ligand_parent_key"],
                                       len(part), parent_set)
                has_key[idx], key_code[idx], parent_code[idx] = h, kc, pc
                part = part.drop(columns=list(keys))
            part = _apply_overrides(part, overrides)
            nuc = part["_nuc_idx"].to_numpy()
            lig = part["_lig_idx"].to_numpy(np.int64)
            for k in group:
                sel = nuc == k
                at = lig[sel]
                if len(at) and (at.min() < 0 or at.max() >= n):
                    raise ChelscreenError(f"the stored units hold pairs of {nuclides[k]} for "
                                          f"chelators outside the {n} screened; run the screen "
                                          "again without --resume")
                for c, col in enumerate(RANK_COLUMNS):
                    buf[k][c, at] = part[col].to_numpy(float)[sel]
                np.add.at(seen[k], at, 1)
            del part
        cand: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for k in group:
            nuc = nuclides[k]
            count = seen.pop(k)
            if not (count == 1).all():
                raise ChelscreenError(f"the stored units hold {int(count.sum())} pairs of {nuc} "
                                      f"for {n} chelators; run the screen again without "
                                      "--resume")
            del count
            vals = buf.pop(k)
            score = vals[RANK_COLUMNS.index("score")]
            mean = vals[RANK_COLUMNS.index("score_mean")]
            spread = (vals[RANK_COLUMNS.index("score_hi")]
                      - vals[RANK_COLUMNS.index("score_lo")]) / (2 * 1.645)
            fin = np.isfinite(score)
            if fin.any() and score[fin].max() > 0:  # the heatmap: score / best of the column
                relmax = np.fmax(relmax, score / score[fin].max())
            # rank.add_rank / add_confidence on numbers: one rank per chelating core
            zero = np.zeros(n, dtype=np.int64)
            rep = representatives(zero, score, has_key, key_code, parent_code, smiles)
            is_rep = rep == np.arange(n)
            rank = rank_within(zero, np.where(is_rep, score, np.nan))
            rank = np.where(is_rep, rank, rank[rep])
            top = np.flatnonzero(np.isfinite(rank) & (rank <= CONFIDENCE_CANDIDATES))
            # conjugates ranked with their core (rank.add_rank): ranked_with names the core
            with_core = np.zeros(n, dtype=bool)
            nonrep = np.flatnonzero(~is_rep)
            with_core[nonrep] = [bool(t) for t in _texts(names, rep[nonrep])]
            conjugate |= with_core
            ranking.n_ranked[nuc] = int((np.isfinite(rank) & ~with_core).sum())
            # stored at once, block by block in chelator order (the texts of one block are
            # held at a time); the candidates' p_best/tied_with are replaced from their full
            # rows below
            name = f"rank-{k:03d}"
            store.write_chunk_parts(name, _rank_table_parts(
                names, rank, rep, score, mean, spread, key_code, parent_code, smiles))
            ranking.tables.append(name)
            cand[k] = (rank[top], top)
            del rep, is_rep, rank, score, mean, spread, with_core
        full_rows = _fetch_rows_multi(store, size, {k: c[1] for k, c in cand.items()
                                                    if len(c[1])}, overrides)
        for k in group:
            nuc = nuclides[k]
            rank_top, top = cand.pop(k)
            if len(top):
                full = full_rows.pop(k)
                conf = _ranked(full)
                if not np.array_equal(pd.to_numeric(conf["rank"]).to_numpy(float), rank_top):
                    raise ChelscreenError(f"ranking of {nuc}: the candidates' ranks differ from "
                                          "the columns-only pass (a bug; please report it)")
                ranking.candidates[k] = (top, conf["p_best"].to_numpy(float),
                                         conf["tied_with"].to_numpy(object))
                if any(not _is_extrapolation(r) for r in full.to_dict("records")):
                    ranking.all_extrapolated[nuc] = False
                elif len(top) == ranking.n_ranked[nuc]:
                    ranking.all_extrapolated[nuc] = True
                else:
                    ranking.pending.add(nuc)
                del full, conf
    # the heatmap's rows (reporting.relative_scores): the chelators (by name) with the highest
    # relative score anywhere, input order among equals; all their pairs go to the report
    relmax[conjugate] = np.nan
    by_name = pd.Series(relmax).groupby(pd.Series(names, copy=False), sort=False).max()
    ranking.heat_names = set(by_name.sort_values(ascending=False, kind="stable")
                             .index[:MAX_HEATMAP_ROWS])
    return ranking


def _row_groups(f: Any) -> Iterable[Any]:
    """The row groups of a ``pyarrow.parquet.ParquetFile`` as tables, one read at a time."""
    for i in range(f.num_row_groups):
        yield f.read_row_group(i)


class _Slices:
    """Consecutive row slices of a stream of Arrow record batches or tables."""

    def __init__(self, batches: Iterable[Any]) -> None:
        self._it = iter(batches)
        self._buf: pd.DataFrame | None = None

    def take(self, m: int) -> pd.DataFrame:
        frames = []
        while m > 0:
            if self._buf is None or not len(self._buf):
                self._buf = next(self._it).to_pandas()
            piece = self._buf.iloc[:m]
            self._buf = self._buf.iloc[m:]
            frames.append(piece)
            m -= len(piece)
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _final_parts(store: ResultStore, n_units: int, size: int, n_nuc: int,
                 overrides: pd.DataFrame | None, ranking: _Ranking,
                 each_part: Callable[[pd.DataFrame, int, int], pd.DataFrame] | None,
                 ) -> Iterable[pd.DataFrame]:
    """The final table one work unit at a time (ligand-major, :data:`COLUMNS`): each stored
    unit with its ``rank``, ``p_best`` and ``tied_with`` from the rank tables."""
    import pyarrow.parquet as pq

    files = [pq.ParquetFile(store.chunk_file(name)) for name in ranking.tables]
    try:
        # one row group of each table read at a time (``iter_batches`` read ahead: ≈ 9 MB per
        # table of 10^5 chelators, growing with n)
        readers = [_Slices(_row_groups(f)) for f in files]
        for u in range(n_units):
            part = _apply_overrides(store.read_chunk(u), overrides)
            a = u * size
            m = len(part) // max(n_nuc, 1)
            tabs = [r.take(m) for r in readers]
            for t in tabs:
                if not np.array_equal(t["_lig_idx"].to_numpy(np.int64), np.arange(a, a + m)):
                    raise ChelscreenError(f"rank table out of step with unit {u}; run the "
                                          "screen again with --resume")
            li = part["_lig_idx"].to_numpy(np.int64) - a
            ni = part["_nuc_idx"].to_numpy(np.int64)
            p_best = [t["p_best"].to_numpy(dtype=float, copy=True) for t in tabs]
            tied = [t["tied_with"].to_numpy(dtype=object, copy=True) for t in tabs]
            for k, (top, p_top, tied_top) in ranking.candidates.items():
                sel = (top >= a) & (top < a + m)  # the confidence candidates in this unit
                p_best[k][top[sel] - a] = p_top[sel]
                tied[k][top[sel] - a] = tied_top[sel]
            part = part.copy()
            part["rank"] = np.stack([t["rank"].to_numpy(float) for t in tabs])[ni, li]
            part["p_best"] = np.stack(p_best)[ni, li]
            part["tied_with"] = np.stack(tied)[ni, li]
            part["ranked_with"] = np.stack(
                [t["ranked_with"].to_numpy(dtype=object) for t in tabs])[ni, li]
            from chelscreen.rank import with_rank_notes

            part["why"] = with_rank_notes(part["why"].to_numpy(dtype=object), np.stack(
                [t["_rank_note"].to_numpy(dtype=object) for t in tabs])[ni, li])
            part = count_dtypes(part[list(COLUMNS)])
            if each_part is not None:
                part = each_part(part, a, a + m)
            yield part
    finally:
        for f in files:
            f.close()


def _csv_wanted(csv: bool | None, n_rows: int) -> bool:
    return bool(csv) or (csv is None and n_rows <= CSV_MAX_ROWS)


def _arrow_table(part: pd.DataFrame, schema: Any = None, rows: str = "") -> Any:
    """``part`` as an Arrow table; the first part fixes the schema (an all-empty column is
    typed by what it holds elsewhere: ``in_domain`` bool, text otherwise), and every later
    part must have the same columns with values of the same type: a part that differs raises
    a :class:`ChelscreenError` naming the column (``rows``: which rows the part holds), before
    anything of it is written."""
    import pyarrow as pa

    if schema is None:
        schema = pa.Schema.from_pandas(part, preserve_index=False)
        for i, field in enumerate(schema):
            if pa.types.is_null(field.type):
                typ = pa.bool_() if field.name == "in_domain" else pa.string()
                schema = schema.set(i, pa.field(field.name, typ))
        return pa.Table.from_pandas(part, schema=schema, preserve_index=False)
    names = [str(c) for c in part.columns]
    if names != schema.names:
        missing = [c for c in schema.names if c not in names]
        extra = [c for c in names if c not in schema.names]
        what = (f"lacks column {missing[0]!r}" if missing else
                f"has an extra column {extra[0]!r}" if extra else "has its columns in another order")
        raise ChelscreenError(f"results: the part of {rows or 'a later block'} {what} (the first "
                              "part fixed the table's columns); every part must have the same "
                              "columns")
    try:
        return pa.Table.from_pandas(part, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError,
            TypeError) as exc:
        for field in schema:
            try:
                pa.array(part[field.name], type=field.type, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
                    ValueError, TypeError) as col_exc:
                first = str(col_exc).strip().splitlines()[0] if str(col_exc).strip() else ""
                raise ChelscreenError(
                    f"results: column {field.name!r} of {rows or 'a later block'} holds values "
                    f"that are not {field.type} like the first rows' ({first}); give the "
                    "column one type (e.g. text) for every row") from exc
        raise ChelscreenError(f"results: the part of {rows or 'a later block'} cannot be "
                              f"written with the first part's types ({exc})") from exc


#: rows per row group of ``results.parquet`` (parts are gathered until they reach it; ≈ 5
#: units of 256 chelators × 12, a few tens of MB of Arrow data held at once)
RESULTS_ROW_GROUP = 16_384


def _write_tables(parts: Iterable[pd.DataFrame], out_dir: Path, *, csv: bool
                  ) -> dict[str, Path]:
    """``results.parquet`` (row groups of at least :data:`RESULTS_ROW_GROUP` rows) and, with
    ``csv``, ``results.csv``, both
    streamed part by part into temporary files published atomically at the end."""
    import contextlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    from chelscreen.store import AtomicFile

    paths = {"parquet": out_dir / "results.parquet"}
    if csv:
        paths["csv"] = out_dir / "results.csv"
    with contextlib.ExitStack() as stack:
        pfh = stack.enter_context(AtomicFile(paths["parquet"]))
        cfh = stack.enter_context(AtomicFile(paths["csv"])) if csv else None
        writer = None
        done = 0
        pending: list[Any] = []
        pending_rows = 0
        for part in parts:
            rows = f"rows {done + 1}–{done + len(part)}"
            table = _arrow_table(part, None if writer is None else writer.schema, rows)
            done += len(part)
            if writer is None:
                # statistics (min/max) for the numeric columns only: the writer keeps every row
                # group's metadata until it closes, and the text columns' min/max (sentences of
                # hundreds of characters) made it grow with n (≈ 0.3 KB per chelator)
                stats = [f.name for f in table.schema
                         if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]
                writer = pq.ParquetWriter(pfh, table.schema, write_statistics=stats)
                # closed before its file on any error too: an unclosed writer's __del__ would
                # write to the discarded file and print a traceback at exit
                stack.callback(writer.close)
            # parts are gathered into row groups of at least RESULTS_ROW_GROUP rows: the writer
            # keeps every row group's metadata until it closes (≈ 9 KB serialized, more in
            # memory, per group), so one group per unit of 256 chelators grew with n
            pending.append(table)
            pending_rows += len(part)
            if pending_rows >= RESULTS_ROW_GROUP:
                writer.write_table(pa.concat_tables(pending), row_group_size=pending_rows)
                pending, pending_rows = [], 0
            if cfh is not None:
                cfh.write(part.to_csv(index=False, header=cfh.tell() == 0).encode("utf-8"))
        if pending:
            writer.write_table(pa.concat_tables(pending), row_group_size=pending_rows)
        if writer is None:
            raise ChelscreenError("the screen produced no rows to write")
    if not csv:
        (out_dir / "results.csv").unlink(missing_ok=True)
        logger.info("results.csv not written (pass csv=True / --csv to force); "
                    "results.parquet holds the table")
    return paths


def _write_report(view: pd.DataFrame, out_dir: Path, *, top_n: int) -> dict[str, Path]:
    """``top.sdf`` and ``report.html`` from the report's rows (the whole result or the rows a
    streamed screen kept, with its counts in ``attrs["screen_summary"]``)."""
    from chelscreen.reporting import render_report

    return {"sdf": atomic_write_text(out_dir / "top.sdf", top_sdf(view, top_n=top_n)),
            "html": atomic_write_text(out_dir / "report.html",
                                      render_report(view, top_n=top_n))}


# ============================================================================================
# outputs
# ============================================================================================
def write_outputs(result: pd.DataFrame, out_dir: str | Path, *, report: bool = True,
                  top_n: int = TOP_PER_NUCLIDE, csv: bool | None = None) -> dict[str, Path]:
    """Write ``results.parquet``, ``results.csv`` (atomic), ``top.sdf`` and ``report.html``
    of a result held in memory (:func:`screen` streams its own through the same writer).

    ``csv=None`` writes ``results.csv`` only for at most :data:`CSV_MAX_ROWS` rows (a CSV of a
    10,000 × 12 screen is already 130 MB; the Parquet file holds the same table); a stale
    ``results.csv`` of an earlier run in ``out_dir`` is then removed."""
    out_dir = Path(out_dir)
    paths = _write_tables([result], out_dir, csv=_csv_wanted(csv, len(result)))
    if report:
        paths.update(_write_report(result, out_dir, top_n=top_n))
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
