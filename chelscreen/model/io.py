"""Safe storage of a :class:`~chelscreen.model.estimator.StabilityModel`.

A model directory holds

``model.skops``
    the fitted scikit-learn estimators, written with :mod:`skops.io`. On load only the types in
    :data:`TRUSTED_TYPES` are accepted; anything else is refused (no blind unpickling).
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

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from chelscreen.errors import ModelFileError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "chelscreen.stability/1"
MODEL_FILE = "model.skops"
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
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save(model, directory, *, known_pairs: pd.DataFrame | None = None,
         card_extra: dict | None = None) -> Path:
    """Write a fitted model to ``directory`` (created) and its ``card.json`` with file hashes."""
    import sklearn
    import skops.io as sio

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    sio.dump(
        {"model": model.model_, "scale": model.scale_model_, "basicity": model.basicity_models_},
        d / MODEL_FILE,
    )
    state = {
        "schema_version": SCHEMA_VERSION,
        "params": model.get_params(),
        "feature_names": model.feature_names_,
        "ligand_columns": model.ligand_columns_,
        "metal_rows": model.metal_rows_,
        "metal_reference_logK": getattr(model, "metal_reference_logK_", {}),
        "conformal_q": model.conformal_q_,
        "oof_abs_error": getattr(model, "oof_abs_error_", None),
        "ions": json.loads(model.ions_.to_json(orient="records")),
        "train_smiles": [str(s) for s in model.train_smiles_],
        "sklearn_version": sklearn.__version__,
    }
    (d / STATE_FILE).write_text(json.dumps(state, indent=0, allow_nan=True))
    np.save(d / FPS_FILE, model.train_fps_, allow_pickle=False)
    files = [MODEL_FILE, STATE_FILE, FPS_FILE]
    if known_pairs is not None:
        known_pairs.to_csv(d / KNOWN_FILE, index=False, compression="gzip")
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
    for name in (MODEL_FILE, STATE_FILE, FPS_FILE):
        if name not in card.get("files", {}):
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
    import skops.io as sio

    from chelscreen.model.estimator import StabilityModel

    if path is None:
        from chelscreen._resources import models_dir

        path = models_dir() / "stability"
    d = Path(path)
    card = _check(d)
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
    def _read(name, reader):
        try:
            return reader(d / name)
        except Exception as exc:  # noqa: BLE001 - any decoding failure means a bad file
            raise ModelFileError(f"could not read the model file {d / name}: {exc}") from exc

    parts = _read(MODEL_FILE, lambda p: sio.load(p, trusted=list(untrusted)))
    state = _read(STATE_FILE, lambda p: json.loads(p.read_text()))
    fps = _read(FPS_FILE, lambda p: np.load(p, allow_pickle=False))
    if not isinstance(state, dict):
        raise ModelFileError(f"{d / STATE_FILE} is not a model state (a JSON object expected)")
    _check_schema(state.get("schema_version"), d / STATE_FILE)
    from chelscreen.model import features as _features

    model = StabilityModel(**state["params"])
    model.model_ = parts["model"]
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
    model.ions_ = pd.DataFrame(state["ions"])
    model.ion_frame_ = _features.ion_feature_frame(model.ions_)
    model.ion_table_index_ = np.array(model.ion_frame_.index, dtype=object)
    model.train_smiles_ = np.array(state["train_smiles"], dtype=object)
    model.train_fps_ = fps
    model.n_features_in_ = len(model.feature_names_)
    model._fps_cache = None
    model.card_ = card
    model.path_ = d
    kp = d / KNOWN_FILE
    model.known_pairs_ = (
        pd.read_csv(kp, keep_default_na=True) if KNOWN_FILE in card.get("files", {}) else None
    )
    return model
