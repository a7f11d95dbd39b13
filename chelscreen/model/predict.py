"""Predict log K1 for chelator × metal pairs with the (bundled or a user's) stability model.

>>> from chelscreen.model.predict import predict_stability
>>> df = predict_stability(["DOTA", "EDTA"], ["Lu-177", "Ac3+"])   # doctest: +SKIP
>>> df[["name", "metal", "logK_pred", "logK_sd", "in_domain", "logK_exp"]]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chelscreen.errors import InputFileError, UnsupportedMetalError

logger = logging.getLogger(__name__)

COLUMNS = ["id", "name", "smiles", "metal", "ion", "logK_pred", "logK_sd", "logK_lo90",
           "logK_hi90", "in_domain", "domain_note", "logK_exp", "logK_exp_source", "logK_basis",
           "ionic_strength_M", "status", "message"]

#: default ionic strength of a prediction (mol/L)
DEFAULT_IONIC_STRENGTH = 0.1


@lru_cache(maxsize=4)
def _load_cached(path: str | None):
    from chelscreen.model.io import load

    return load(path)


def resolve_model(model: Any = None):
    """A fitted :class:`StabilityModel` from ``None`` (bundled), a directory path or a model."""
    if model is None:
        return _load_cached(None)
    if isinstance(model, (str, Path)):
        return _load_cached(str(Path(model).resolve()))
    if hasattr(model, "predict_full"):
        return model
    raise TypeError(f"model must be None, a model directory or a StabilityModel, not {model!r}")


def parse_ion(text: str) -> str:
    """Canonical ion symbol (``"Lu3+"``) of a metal/nuclide text; raises UnsupportedMetalError."""
    try:
        from chelscreen.metals import parse_metal
    except ImportError:  # pragma: no cover - metals module is part of the package
        parse_metal = None
    if parse_metal is not None:
        return parse_metal(str(text)).ion.symbol
    raise UnsupportedMetalError(f"cannot parse metal {text!r}")  # pragma: no cover


def _split_metals(metals: Any) -> list[str]:
    if isinstance(metals, str):
        return [m.strip() for m in metals.split(",") if m.strip()]
    return [str(m).strip() for m in metals]


def _known_lookup(model, *, measured_only: bool = True
                  ) -> dict[tuple[str, str], tuple[float, str]]:
    """The model's look-up ``(smiles, metal) -> (log K, source)``: the measured values (shown
    as ``logK_exp``), or with ``measured_only=False`` also the anchor-only ones (compiled
    values without a per-row reference, :data:`chelscreen.model.card.ANCHOR_ONLY_SOURCES`)."""
    kp = getattr(model, "known_pairs_", None)
    if kp is None or not len(kp):
        return {}
    caches = getattr(model, "_known_cache", None)
    if caches is None:
        shown = (kp["measured"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
                 if "measured" in kp else np.ones(len(kp), bool))
        rows = [((s, m), (float(k), str(src))) for s, m, k, src in
                kp[["smiles", "metal", "logK", "source"]].itertuples(index=False)]
        caches = ({key: v for (key, v), ok in zip(rows, shown) if ok}, dict(rows))
        model._known_cache = caches
    return caches[0] if measured_only else caches[1]


def read_anchors(anchors: Any) -> pd.DataFrame:
    """Measured constants to anchor predictions on: ``smiles, metal, logK[, ionic_strength]``.

    ``anchors`` is a DataFrame or a CSV/TSV path. Metals may be ions or radionuclides. A bad row
    raises :class:`~chelscreen.errors.InputFileError` naming the row and what to fix.
    """
    from chelscreen.model.features import standardize_smiles

    if anchors is None:
        return pd.DataFrame(columns=["smiles", "metal", "logK", "ionic_strength"])
    if not isinstance(anchors, pd.DataFrame):
        path = Path(anchors)
        if not path.is_file():
            raise InputFileError(f"anchors file {path} does not exist")
        sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
        try:
            anchors = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputFileError(f"anchors file {path} cannot be read: {first}") from exc
    cols = {c.strip().lower(): c for c in anchors.columns}
    if not {"smiles", "metal", "logk"} <= set(cols):
        raise InputFileError(
            f"anchors need columns smiles, metal, logK (optional ionic_strength); found "
            f"{list(anchors.columns)}")
    out = pd.DataFrame({
        "smiles": anchors[cols["smiles"]].astype(str).to_numpy(),
        "metal": anchors[cols["metal"]].astype(str).to_numpy(),
        "logK": pd.to_numeric(anchors[cols["logk"]], errors="coerce").to_numpy(float),
        "ionic_strength": pd.to_numeric(anchors[cols["ionic_strength"]], errors="coerce")
        .to_numpy(float) if "ionic_strength" in cols else DEFAULT_IONIC_STRENGTH,
    })
    for i, r in enumerate(out.itertuples(index=False)):
        if not np.isfinite(r.logK):
            raise InputFileError(f"anchor row {i + 1}: logK {anchors[cols['logk']].iloc[i]!r} is "
                                 "not a number; give the measured log K1")
        if not standardize_smiles(r.smiles):
            raise InputFileError(f"anchor row {i + 1}: SMILES {r.smiles!r} cannot be parsed; "
                                 "fix or remove the row")
        try:
            parse_ion(r.metal)
        except UnsupportedMetalError as exc:
            raise InputFileError(f"anchor row {i + 1}: {exc}") from exc
    out["ionic_strength"] = out["ionic_strength"].fillna(DEFAULT_IONIC_STRENGTH)
    return out


def _predict_rows(model, rows: pd.DataFrame, *, anchors: pd.DataFrame | None = None,
                  ionic_strength: float = DEFAULT_IONIC_STRENGTH,
                  use_measured: bool = True) -> pd.DataFrame:
    """``rows`` has id, name, smiles (for the model), smiles_out, metal (text), status, message.

    Returns the output frame in the same order.
    """
    from chelscreen.model.features import standardize_smiles

    n = len(rows)
    out = pd.DataFrame({c: rows[c].to_numpy() for c in ("id", "name")})
    out["smiles"] = rows["smiles_out"].to_numpy()
    out["metal"] = rows["metal"].to_numpy()
    status = rows["status"].astype(str).to_numpy(dtype=object).copy()
    message = rows["message"].fillna("").astype(str).to_numpy(dtype=object).copy()
    ion = np.array([""] * n, dtype=object)
    for i, text in enumerate(rows["metal"]):
        if status[i] == "invalid":
            continue
        try:
            ion[i] = parse_ion(text)
        except UnsupportedMetalError as exc:
            status[i], message[i] = "invalid", f"row {i + 1}: {exc}"
            continue
        if ion[i] not in model.ion_table_index_:
            status[i] = "invalid"
            message[i] = (f"row {i + 1}: metal {text!r} ({ion[i]}) has no descriptors in the "
                          f"stability model; supported ions: {', '.join(sorted(model.metal_rows_))}")
    out["ion"] = ion
    ok = status != "invalid"
    std = np.array([standardize_smiles(s) or "" if ok[i] else "" for i, s in
                    enumerate(rows["smiles"].to_numpy(dtype=object))], dtype=object)
    # anchors: the user's measured constants, then the measured constants the model holds
    user = read_anchors(anchors) if anchors is not None else None
    parts = []
    if user is not None and len(user):
        parts.append(user.assign(source="user anchor"))
    known = _known_lookup(model)
    ligs = set(std[ok]) - {""}
    if use_measured and known:
        kn = [(s, m, k, src) for (s, m), (k, src) in
              _known_lookup(model, measured_only=False).items() if s in ligs]
        if kn:
            parts.append(pd.DataFrame(kn, columns=["smiles", "metal", "logK", "source"])
                         .assign(ionic_strength=DEFAULT_IONIC_STRENGTH))
    anc = pd.concat(parts, ignore_index=True) if parts else None
    pairs = pd.DataFrame({"smiles": np.where(ok, rows["smiles"].to_numpy(dtype=object), ""),
                          "metal": np.where(ok, ion, ""),
                          "ionic_strength": np.broadcast_to(
                              np.asarray(ionic_strength, float), (n,)).copy()})
    full = model.predict_full(pairs, anchors=anc)
    for i in np.flatnonzero(ok & (full["status"] == "invalid").to_numpy()):
        status[i] = "invalid"
        message[i] = (message[i] + "; " if message[i] else "") + (
            f"row {i + 1}: the structure could not be featurized; check the SMILES"
        )
    for c in ("logK_pred", "logK_sd", "logK_lo90", "logK_hi90", "in_domain", "domain_note",
              "logK_basis", "ionic_strength_M"):
        out[c] = full[c].to_numpy()
    out.loc[~ok, "domain_note"] = ""
    out.loc[status == "invalid", "logK_basis"] = ""
    # measured values of the exact pair: the user's anchors first, then the model's data
    exp = np.full(n, np.nan)
    src = np.array([""] * n, dtype=object)
    if user is not None and len(user):
        ustd = [standardize_smiles(s) for s in user["smiles"]]
        uion = [parse_ion(m) for m in user["metal"]]
        umap = {(s, m): (float(k), f"user anchor (row {j + 1})")
                for j, (s, m, k) in enumerate(zip(ustd, uion, user["logK"]))}
    else:
        umap = {}
    for i in np.flatnonzero(status != "invalid"):
        hit = umap.get((std[i], ion[i])) or (known.get((std[i], ion[i])) if use_measured
                                              else None)
        if hit:
            exp[i], src[i] = hit
    out["logK_exp"] = exp
    out["logK_exp_source"] = src
    basis = out["logK_basis"].to_numpy(dtype=object)
    basis[np.isfinite(exp)] = "measured"
    out["logK_basis"] = basis
    # warnings for out-of-domain predictions; a measured pair is not an extrapolation: its
    # answer is the measurement, and only the model estimate beside it is out of domain
    measured = np.isfinite(exp)
    for i in np.flatnonzero((status == "ok") & ~out["in_domain"].to_numpy(bool)):
        if measured[i]:
            message[i] = (message[i] + "; " if message[i] else "") + (
                "measured value shown; the model estimate beside it is outside the "
                f"applicability domain ({out['domain_note'].iloc[i]})")
            continue
        status[i] = "warning"
        message[i] = (message[i] + "; " if message[i] else "") + (
            f"outside the applicability domain: {out['domain_note'].iloc[i]}"
        )
    out["status"] = status
    out["message"] = message
    return out[COLUMNS]


def _ligand_table(ligands: Any) -> pd.DataFrame:
    from chelscreen.io import read_ligands

    if isinstance(ligands, pd.DataFrame) and {"status", "smiles", "id"} <= set(ligands.columns):
        lig = ligands.copy()
    else:
        lig = read_ligands(ligands)
    core = lig["core_smiles"] if "core_smiles" in lig else lig["smiles"]
    core = core.fillna("").astype(str)
    lig["model_smiles"] = np.where(core != "", core, lig["smiles"].fillna("").astype(str))
    if "name" not in lig:
        lig["name"] = ""
    return lig


def predict_stability(ligands: Any, metals: Any, *, model: Any = None, anchors: Any = None,
                      ionic_strength: float = DEFAULT_IONIC_STRENGTH,
                      use_measured: bool = True) -> pd.DataFrame:
    """log K1 (M + L ⇌ ML, 25 °C) for every ligand × metal, ligand-major, input order.

    Parameters
    ----------
    ligands
        Anything :func:`chelscreen.io.read_ligands` accepts (SMILES, names, files, Mols) or its
        output. The chelating core (``core_smiles``) is what the model sees.
    metals
        Ion or nuclide texts (``"Ac3+"``, ``"Lu-177"``, ``"225Ac"``), a list or a comma-separated
        string.
    model
        None (bundled model), a model directory (``chelscreen train --out DIR``) or a fitted
        :class:`~chelscreen.model.estimator.StabilityModel`.
    anchors
        Measured constants (DataFrame or CSV path with ``smiles, metal, logK[,
        ionic_strength]``). A ligand's measured constant with one metal sharpens its
        predictions for the other metals (``logK_basis = "anchored"``).
    ionic_strength
        Ionic strength of the predictions in mol/L (default 0.1).
    use_measured
        Also anchor on the measured constants the model's data hold for the same ligand
        (default True) and report them as ``logK_exp``.

    Returns
    -------
    pandas.DataFrame
        ``id, name, smiles, metal, ion, logK_pred, logK_sd, logK_lo90, logK_hi90, in_domain,
        domain_note, logK_exp, logK_exp_source, logK_basis, ionic_strength_M, status,
        message``. ``logK_basis`` is ``measured`` (the pair's own constant is in
        ``logK_exp``), ``anchored``, ``analogue`` or ``model``. Invalid ligands or metals give
        ``status="invalid"`` rows (never dropped); out-of-domain predictions ``"warning"``.

    Examples
    --------
    >>> df = predict_stability(["DOTA", "EDTA"], "Lu-177,Ac-225")  # doctest: +SKIP
    >>> df[["name", "metal", "logK_pred", "logK_exp", "logK_basis", "status"]]  # doctest: +SKIP
    """
    mdl = resolve_model(model)
    lig = _ligand_table(ligands)
    mets = _split_metals(metals)
    if not mets:
        raise UnsupportedMetalError("no metals given; pass e.g. metals=['Ac3+', 'Lu-177']")
    nl, nm = len(lig), len(mets)
    rep = lambda col: np.repeat(lig[col].to_numpy(dtype=object), nm)  # noqa: E731
    rows = pd.DataFrame(
        {
            "id": rep("id"),
            "name": rep("name"),
            "smiles": rep("model_smiles"),
            "smiles_out": rep("smiles"),
            "metal": np.tile(np.array(mets, dtype=object), nl),
            "status": np.where(rep("status") == "invalid", "invalid", "ok"),
            "message": np.where(rep("status") == "invalid", rep("message"), ""),
        }
    )
    return _predict_rows(mdl, rows, anchors=anchors, ionic_strength=ionic_strength,
                         use_measured=use_measured)


def predict_pairs(pairs: Any, *, model: Any = None, anchors: Any = None,
                  ionic_strength: float = DEFAULT_IONIC_STRENGTH,
                  use_measured: bool = True) -> pd.DataFrame:
    """One prediction per row of a pairs table (``id, smiles, metal``), ids and order kept.

    ``pairs`` is a DataFrame or a CSV/TSV path. Bad rows (unparsable SMILES, unknown metal) are
    kept with ``status="invalid"`` and a message naming the row. ``anchors``,
    ``ionic_strength`` and ``use_measured`` as in :func:`predict_stability`; an
    ``ionic_strength`` column of ``pairs`` overrides the default per row.
    """
    if not isinstance(pairs, pd.DataFrame):
        path = Path(pairs)
        if not path.is_file():
            raise InputFileError(f"pairs file {path} does not exist")
        from chelscreen.io import read_table

        # the ligand reader's table parser: BOM/UTF-16/CRLF, a never-closed quote is a one-line
        # error naming its line, a row with too many fields is reported (never shifted)
        pairs, lines, row_errors = read_table(path)
    else:
        lines, row_errors = list(range(2, len(pairs) + 2)), {}
    cols = {c.lower(): c for c in pairs.columns}
    if "smiles" not in cols or "metal" not in cols:
        raise InputFileError(
            f"pairs table needs columns 'smiles' and 'metal' (found {list(pairs.columns)})"
        )
    df = pairs.rename(columns={cols["smiles"]: "smiles", cols["metal"]: "metal"})
    n = len(df)
    ids = df[cols["id"]].astype(str) if "id" in cols else pd.Series(
        [f"P{i + 1:0{len(str(n))}d}" for i in range(n)]
    )
    lig = _ligand_table(pd.Series(df["smiles"].astype(str).tolist()).tolist()) if n else None
    mdl = resolve_model(model)
    rows = pd.DataFrame(
        {
            "id": ids.to_numpy(dtype=object),
            "name": df[cols["name"]].astype(str).to_numpy(dtype=object) if "name" in cols
            else lig["name"].to_numpy(dtype=object) if n else [],
            "smiles": lig["model_smiles"].to_numpy(dtype=object) if n else [],
            "smiles_out": lig["smiles"].to_numpy(dtype=object) if n else [],
            "metal": df["metal"].astype(str).to_numpy(dtype=object),
            "status": np.where(lig["status"] == "invalid", "invalid", "ok") if n else [],
            "message": np.where(
                lig["status"] == "invalid",
                [f"row {i + 1}: {m}" for i, m in enumerate(lig["message"])], "") if n else [],
        }
    )
    for pos, msg in row_errors.items():  # unusable rows: invalid, never predicted
        rows.loc[pos, ["smiles", "status", "message"]] = [
            "", "invalid", f"row {pos + 1} (line {lines[pos]}): {msg}"]
    if "ionic_strength" in cols:
        ionic = pd.to_numeric(df[cols["ionic_strength"]], errors="coerce").to_numpy(float)
        ionic_strength = np.where(np.isfinite(ionic), ionic, ionic_strength)
    return _predict_rows(mdl, rows, anchors=anchors, ionic_strength=ionic_strength,
                         use_measured=use_measured)
