"""Safe storage of a :class:`~chelscreen.model.estimator.StabilityModel`.

A model directory holds

``trees.npz`` + ``trees.json``
    the fitted gradient-boosting estimators as plain arrays: every tree's node table (the
    estimator's own structured node records), the baseline and a probe (inputs and the
    predictions the estimator gave when saved) in an ``.npz`` read with
    ``np.load(allow_pickle=False)``; their parameters in JSON. On load each estimator is rebuilt
    from these arrays and must reproduce its probe predictions exactly, else the folder is
    refused (e.g. a scikit-learn whose tree format changed). Nothing is unpickled, and loading
    takes ~0.1 s (the former ``model.skops`` took ~2 CPU-s with its imports).
``model.skops``
    (folders written before chelscreen 0.x.y) the estimators written with :mod:`skops.io`; still
    read, accepting only the types in :data:`TRUSTED_TYPES`.
``state.json``
    everything else (parameters, feature names, ion table, metal row counts, calibration,
    training ligands), plain JSON.
``train_fps.npy``
    packed training-ligand fingerprints (``np.load(allow_pickle=False)``).
``known_pairs.csv.gz``
    measured log K per (ligand, metal) for ``logK_exp`` (optional).
``card.json``
    schema version and the SHA-256 of every file above; a file whose hash differs is refused.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from chelscreen.errors import ModelFileError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "chelscreen.stability/2"
MODEL_FILE = "model.skops"  # legacy (read only)
TREES_FILE = "trees.npz"
TREES_JSON = "trees.json"
TREES_FORMAT = "chelscreen.trees/1"
STATE_FILE = "state.json"
FPS_FILE = "train_fps.npy"
KNOWN_FILE = "known_pairs.csv.gz"
CARD_JSON = "card.json"

#: the only non-builtin types model.skops may contain
TRUSTED_TYPES = [
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.loss.AbsoluteError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.random.mtrand.RandomState",
    "builtins.slice",
    "collections.OrderedDict",
]


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (:func:`chelscreen.store.file_sha256`)."""
    from chelscreen.store import file_sha256

    return file_sha256(path)


def write_known_pairs(known_pairs: pd.DataFrame, directory) -> str:
    """Write the measured look-up ``known_pairs.csv.gz`` byte-reproducibly (no gzip time stamp,
    so the same table gives the same file and hash) and return its SHA-256."""
    path = Path(directory) / KNOWN_FILE
    known_pairs.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
    return sha256(path)


def save(model, directory, *, known_pairs: pd.DataFrame | None = None,
         card_extra: dict | None = None) -> Path:
    """Write a fitted model to ``directory`` (created) and its ``card.json`` with file hashes."""
    import sklearn

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    _save_trees(
        {"model": model.model_, "scale": model.scale_model_, "basicity": model.basicity_models_,
         "model_plain": getattr(model, "model_plain_", None)},
        d,
    )
    state = {
        "schema_version": SCHEMA_VERSION,
        "params": model.get_params(),
        "feature_names": model.feature_names_,
        "ligand_columns": model.ligand_columns_,
        "metal_rows": model.metal_rows_,
        "metal_reference_logK": getattr(model, "metal_reference_logK_", {}),
        "conformal_q": model.conformal_q_,
        "conformal_q_group": getattr(model, "conformal_q_group_", {}),
        "linear_base": getattr(model, "linear_", None),
        "calibration_map": getattr(model, "calibration_map_", None),
        "calibration_map_group": getattr(model, "calibration_map_group_", {}) or {},
        "anchor_kernel": getattr(model, "anchor_kernel_", None),
        "analogue_sd": getattr(model, "analogue_sd_", {}),
        "analogue_extrapolation_sd": float(getattr(model, "analogue_extrapolation_sd_", 0.0)),
        "analogue_evidence": str(getattr(model, "analogue_evidence_", "any")),
        "oof_abs_error": getattr(model, "oof_abs_error_", None),
        "ions": json.loads(model.ions_.to_json(orient="records")),
        "train_smiles": [str(s) for s in model.train_smiles_],
        "lfer_metal": getattr(model, "lfer_metal_", {}) or {},
        "neighbour_pool": (model.neighbour_pool_.to_state()
                           if getattr(model, "neighbour_pool_", None) is not None else None),
        "sklearn_version": sklearn.__version__,
    }
    (d / STATE_FILE).write_text(json.dumps(state, indent=0, allow_nan=True))
    np.save(d / FPS_FILE, model.train_fps_, allow_pickle=False)
    files = [TREES_FILE, TREES_JSON, STATE_FILE, FPS_FILE]
    if known_pairs is not None:
        write_known_pairs(known_pairs, d)
        files.append(KNOWN_FILE)
    card = {"schema_version": SCHEMA_VERSION, "files": {f: sha256(d / f) for f in files}}
    if card_extra:
        card.update({k: v for k, v in card_extra.items() if k not in card})
    (d / CARD_JSON).write_text(json.dumps(card, indent=2, allow_nan=True, default=str))
    return d


def _check_schema(found, path: Path) -> None:
    """Refuse a schema other than :data:`SCHEMA_VERSION`, saying when it is a newer one."""
    if found == SCHEMA_VERSION:
        return
    want_name, _, want_v = SCHEMA_VERSION.rpartition("/")
    name, _, v = str(found).rpartition("/")
    if name == want_name and v.isdigit() and int(v) > int(want_v):
        raise ModelFileError(
            f"{path} has model schema {found!r}, newer than this chelscreen reads "
            f"({SCHEMA_VERSION!r}); upgrade chelscreen or retrain the model with this version"
        )
    raise ModelFileError(
        f"{path} has model schema {found!r}, this chelscreen reads {SCHEMA_VERSION!r}; "
        "retrain it with 'chelscreen train'"
    )


def _check(d: Path) -> dict:
    if not d.is_dir():
        raise ModelFileError(f"model directory {d} does not exist; pass a folder made by "
                             "'chelscreen train --out DIR'")
    card_path = d / CARD_JSON
    if not card_path.is_file():
        raise ModelFileError(f"{card_path} is missing; the model folder is incomplete. "
                             "Retrain with 'chelscreen train' or reinstall chelscreen.")
    try:
        card = json.loads(card_path.read_text())
    except ValueError as exc:
        raise ModelFileError(f"{card_path} is not valid JSON ({exc}); the file is corrupt") from exc
    if not isinstance(card, dict):
        raise ModelFileError(f"{card_path} is not a model card (a JSON object expected)")
    _check_schema(card.get("schema_version"), card_path)
    if not isinstance(card.get("files"), dict):
        raise ModelFileError(f"{card_path} lists no file hashes; refusing to load")
    for name, want in card.get("files", {}).items():
        p = d / name
        if not p.is_file():
            raise ModelFileError(f"{p} is listed in card.json but missing")
        got = sha256(p)
        if got != want:
            raise ModelFileError(
                f"{p} was modified: its SHA-256 {got[:12]}… differs from card.json "
                f"({want[:12]}…). Refusing to load a tampered model file; retrain or reinstall."
            )
    listed = card.get("files", {})
    estimators = (TREES_FILE, TREES_JSON) if TREES_FILE in listed else (MODEL_FILE,)
    for name in (*estimators, STATE_FILE, FPS_FILE):
        if name not in listed:
            raise ModelFileError(f"card.json in {d} does not list {name}; refusing to load")
    return card


def _check_zip(path: Path) -> None:
    """A skops file is a zip archive; anything else (a pickle renamed to ``.skops``) is refused
    before any decoder sees it."""
    import zipfile

    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    if head[:1] == b"\x80":  # pickle protocol >= 2 opcode
        raise ModelFileError(f"{path} is a Python pickle, not a skops file; chelscreen never "
                             "unpickles model files. Refusing to load")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a skops (zip) archive; refusing to load")


def load(path=None):
    """Load a model directory (default: the bundled ``models/stability``).

    Raises
    ------
    ModelFileError
        Missing/corrupt files, unknown schema, hash mismatch (tampered) or untrusted types.
    """
    from chelscreen.model.estimator import StabilityModel

    if path is None:
        from chelscreen._resources import models_dir

        path = models_dir() / "stability"
    d = Path(path)
    card = _check(d)

    def _read(name, reader):
        try:
            return reader(d / name)
        except ModelFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoding failure means a bad file
            raise ModelFileError(f"could not read the model file {d / name}: {exc}") from exc

    if TREES_FILE in card.get("files", {}):
        parts = _load_trees(d)
    else:
        parts = _load_skops(d)
    state = _read(STATE_FILE, lambda p: json.loads(p.read_text()))
    fps = _read(FPS_FILE, lambda p: np.load(p, allow_pickle=False))
    if not isinstance(state, dict):
        raise ModelFileError(f"{d / STATE_FILE} is not a model state (a JSON object expected)")
    _check_schema(state.get("schema_version"), d / STATE_FILE)
    from chelscreen.model import features as _features

    model = StabilityModel(**state["params"])
    model.model_ = parts["model"]
    model.model_plain_ = parts.get("model_plain")
    model.scale_model_ = parts["scale"]
    model.basicity_models_ = parts["basicity"] or {}
    model.feature_names_ = state["feature_names"]
    model.ligand_columns_ = state["ligand_columns"]
    model.metal_rows_ = {k: int(v) for k, v in state["metal_rows"].items()}
    model.metal_reference_logK_ = {
        str(m): {str(r): float(v) for r, v in refs.items()}
        for m, refs in (state.get("metal_reference_logK") or {}).items()
    }
    q = state.get("conformal_q")
    model.conformal_q_ = float(q) if q is not None else float("nan")
    model.conformal_q_group_ = {str(k): float(v)
                                for k, v in (state.get("conformal_q_group") or {}).items()}
    model.linear_ = state.get("linear_base")
    model.calibration_map_ = state.get("calibration_map")
    model.calibration_map_group_ = dict(state.get("calibration_map_group") or {})
    model.anchor_kernel_ = state.get("anchor_kernel")
    model.analogue_sd_ = {str(k): float(v) for k, v in (state.get("analogue_sd") or {}).items()}
    model.analogue_extrapolation_sd_ = float(state.get("analogue_extrapolation_sd") or 0.0)
    model.analogue_evidence_ = str(state.get("analogue_evidence") or "any")
    model.ions_ = pd.DataFrame(state["ions"])
    model.ion_frame_ = _features.ion_feature_frame(model.ions_)
    model.ion_table_index_ = np.array(model.ion_frame_.index, dtype=object)
    model.set_ion_tables()
    model.train_smiles_ = np.array(state["train_smiles"], dtype=object)
    model.train_fps_ = fps
    model.lfer_metal_ = {str(k): [float(v[0]), float(v[1])]
                         for k, v in (state.get("lfer_metal") or {}).items()}
    model.neighbour_pool_ = None
    if state.get("neighbour_pool"):
        from chelscreen.model.domain import array_to_fps
        from chelscreen.model.neighbours import NeighbourPool

        model.neighbour_pool_ = NeighbourPool.from_state(state["neighbour_pool"],
                                                         array_to_fps(fps))
    model.n_features_in_ = len(model.feature_names_)
    model._fps_cache = None
    model.card_ = card
    model.path_ = d
    kp = d / KNOWN_FILE
    model.known_pairs_ = (
        pd.read_csv(kp, keep_default_na=True) if KNOWN_FILE in card.get("files", {}) else None
    )
    return model


# --------------------------------------------------------------------------------------------
# estimators as arrays (trees.npz + trees.json)
# --------------------------------------------------------------------------------------------
_PROBE_ROWS = 256


def _probe_inputs(est, n_features: int) -> np.ndarray:
    """Inputs that visit both sides of the estimator's split thresholds (and missing values)."""
    rng = np.random.default_rng(20261203)
    nodes = np.concatenate([p.nodes for it in est._predictors for p in it])
    inner = nodes[nodes["is_leaf"] == 0]
    X = rng.normal(size=(_PROBE_ROWS, n_features))
    for f in range(n_features):
        thr = inner["num_threshold"][inner["feature_idx"] == f]
        thr = thr[np.isfinite(thr)]
        if len(thr):
            lo, hi = float(thr.min()), float(thr.max())
            pad = max(1e-6, 0.05 * (hi - lo))
            X[:, f] = rng.uniform(lo - pad, hi + pad, size=_PROBE_ROWS)
    X[rng.random(X.shape) < 0.05] = np.nan
    return X


def _tree_arrays(est, key: str) -> tuple[dict, dict]:
    """Arrays and JSON description of one fitted HistGradientBoostingRegressor."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    if type(est) is not HistGradientBoostingRegressor:
        raise TypeError(f"{key}: cannot store {type(est).__name__} as trees "
                        "(HistGradientBoostingRegressor expected)")
    if getattr(est, "is_categorical_", None) is not None and np.any(est.is_categorical_):
        raise TypeError(f"{key}: categorical features are not supported by the tree storage")
    preds = [p for it in est._predictors for p in it]
    counts = [len(p.nodes) for p in preds]
    arrays = {
        f"{key}.nodes": np.concatenate([p.nodes for p in preds]),
        f"{key}.offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        f"{key}.baseline": np.asarray(est._baseline_prediction),
    }
    for which in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
        bits = [getattr(p, which) for p in preds]
        arrays[f"{key}.{which}"] = np.concatenate(bits) if bits else np.zeros((0, 8), np.uint32)
        arrays[f"{key}.{which}_offsets"] = np.concatenate(
            [[0], np.cumsum([len(b) for b in bits])]).astype(np.int64)
    n_features = int(est.n_features_in_)
    X = _probe_inputs(est, n_features)
    arrays[f"{key}.probe_X"] = X
    arrays[f"{key}.probe_y"] = est.predict(X)
    meta = {
        "class": "HistGradientBoostingRegressor",
        "params": est.get_params(),
        "n_features_in": n_features,
        "n_trees_per_iteration": int(est.n_trees_per_iteration_),
        "n_iter": int(est.n_iter_),
    }
    return arrays, meta


def _save_trees(parts: dict, d: Path) -> None:
    import sklearn
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    arrays: dict[str, np.ndarray] = {}
    layout: dict = {"model": "model", "scale": None, "basicity": {}}
    estimators: dict[str, dict] = {}
    named = [("model", parts["model"])]
    if parts.get("scale") is not None:
        named.append(("scale", parts["scale"]))
        layout["scale"] = "scale"
    if parts.get("model_plain") is not None:  # neighbours="blend": the model without them
        named.append(("model_plain", parts["model_plain"]))
        layout["model_plain"] = "model_plain"
    for name, est in sorted((parts.get("basicity") or {}).items()):
        key = f"basicity.{name}"
        named.append((key, est))
        layout["basicity"][str(name)] = key
    for key, est in named:
        a, meta = _tree_arrays(est, key)
        arrays.update(a)
        estimators[key] = meta
    with open(d / TREES_FILE, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    spec = {
        "format": TREES_FORMAT,
        "sklearn_version": sklearn.__version__,
        "node_dtype": [list(x) for x in PREDICTOR_RECORD_DTYPE.descr],
        "layout": layout,
        "estimators": estimators,
    }
    (d / TREES_JSON).write_text(json.dumps(spec, indent=1, allow_nan=True))


def _rebuild(key: str, meta: dict, arr) -> object:
    """A HistGradientBoostingRegressor from its stored node tables (no unpickling)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    if meta.get("class") != "HistGradientBoostingRegressor":
        raise ValueError(f"{key}: unknown estimator class {meta.get('class')!r}")
    est = HistGradientBoostingRegressor(**meta["params"])
    nodes, off = arr[f"{key}.nodes"], arr[f"{key}.offsets"]
    bb, bbo = arr[f"{key}.binned_left_cat_bitsets"], arr[f"{key}.binned_left_cat_bitsets_offsets"]
    rb, rbo = arr[f"{key}.raw_left_cat_bitsets"], arr[f"{key}.raw_left_cat_bitsets_offsets"]
    k = int(meta["n_trees_per_iteration"])
    n_trees = len(off) - 1
    if n_trees != k * int(meta["n_iter"]) or len(bbo) != n_trees + 1 or len(rbo) != n_trees + 1:
        raise ValueError(f"{key}: {n_trees} stored trees do not match {meta['n_iter']} "
                         f"iterations x {k}")
    trees = [TreePredictor(np.ascontiguousarray(nodes[off[i]:off[i + 1]]),
                           np.ascontiguousarray(bb[bbo[i]:bbo[i + 1]]),
                           np.ascontiguousarray(rb[rbo[i]:rbo[i + 1]]))
             for i in range(n_trees)]
    n_features = int(meta["n_features_in"])
    est._predictors = [trees[i:i + k] for i in range(0, n_trees, k)]
    est._baseline_prediction = np.asarray(arr[f"{key}.baseline"], dtype=np.float64)
    est.n_trees_per_iteration_ = k
    est.n_features_in_ = n_features
    est.is_categorical_ = None
    est._preprocessor = None
    est._loss = est._get_loss(sample_weight=None)
    mapper = _BinMapper()
    mapper.is_categorical_ = np.zeros(n_features, dtype=np.uint8)
    mapper.bin_thresholds_ = []
    est._bin_mapper = mapper
    # one OpenMP thread: ~1,000 tiny per-tree calls would otherwise each start a thread team
    got = est._loss.link.inverse(est._raw_predict(arr[f"{key}.probe_X"], n_threads=1).ravel())
    if not np.array_equal(got, arr[f"{key}.probe_y"], equal_nan=True):
        raise ValueError(f"the rebuilt estimator {key!r} does not reproduce its stored probe "
                         "predictions (a scikit-learn with another tree format?); retrain with "
                         "'chelscreen train'")
    return est


def _load_trees(d: Path) -> dict:
    """The estimators of a ``trees.npz`` + ``trees.json`` folder (hashes already checked)."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    spec_path, arr_path = d / TREES_JSON, d / TREES_FILE
    try:
        spec = json.loads(spec_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"could not read the model file {spec_path}: {exc}") from exc
    if not isinstance(spec, dict) or spec.get("format") != TREES_FORMAT:
        raise ModelFileError(f"{spec_path} is not a chelscreen tree file (format "
                             f"{TREES_FORMAT!r} expected); refusing to load")
    want = [list(x) for x in PREDICTOR_RECORD_DTYPE.descr]
    if spec.get("node_dtype") != want:
        raise ModelFileError(
            f"{spec_path}: the stored tree nodes ({spec.get('node_dtype')}) differ from this "
            f"scikit-learn's ({want}); retrain with 'chelscreen train' or install scikit-learn "
            f"{spec.get('sklearn_version', '?')}")
    try:
        with np.load(arr_path, allow_pickle=False) as npz:
            arr = {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 - not an npz, truncated, object arrays
        raise ModelFileError(f"could not read the model file {arr_path}: {exc}") from exc
    try:
        layout = spec["layout"]
        metas = spec["estimators"]
        parts = {"model": _rebuild(layout["model"], metas[layout["model"]], arr),
                 "scale": (_rebuild(layout["scale"], metas[layout["scale"]], arr)
                           if layout.get("scale") else None),
                 "model_plain": (_rebuild(layout["model_plain"], metas[layout["model_plain"]],
                                          arr) if layout.get("model_plain") else None),
                 "basicity": {name: _rebuild(key, metas[key], arr)
                              for name, key in (layout.get("basicity") or {}).items()}}
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelFileError(f"could not rebuild the estimators of {arr_path}: "
                             f"{' '.join(str(exc).split())}") from exc
    return parts


def _load_skops(d: Path) -> dict:
    """The estimators of a folder written before the tree storage (``model.skops``)."""
    import skops.io as sio

    _check_zip(d / MODEL_FILE)
    try:
        untrusted = sio.get_untrusted_types(file=d / MODEL_FILE)
    except Exception as exc:  # noqa: BLE001 - any decoding failure means a bad file
        raise ModelFileError(f"{d / MODEL_FILE} is not a readable skops file ({exc}); "
                             "refusing to load") from exc
    bad = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if bad:
        raise ModelFileError(
            f"{d / MODEL_FILE} contains types chelscreen does not trust: {bad}; refusing to load"
        )
    try:
        return sio.load(d / MODEL_FILE, trusted=list(untrusted))
    except Exception as exc:  # noqa: BLE001 - any decoding failure means a bad file
        raise ModelFileError(f"could not read the model file {d / MODEL_FILE}: {exc}") from exc
