"""Train a :class:`~chelscreen.model.estimator.StabilityModel` on a user's table and save it.

Kept apart from :mod:`chelscreen.model.estimator` so that the model modules import in one
direction only: ``features``/``domain`` ← ``estimator`` ← ``io`` ← ``card`` ← ``train``, and
``predict`` ← ``io``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chelscreen.model import features as _features
from chelscreen.model.estimator import StabilityModel, grouped_cv


def train_user_model(data, out, *, folds: int = 5, basicity: bool = True,
                     model: StabilityModel | None = None) -> dict:
    """Train on a user CSV (``smiles, metal, logK[, ionic_strength]``), save to ``out``.

    Metals may be written in any form :func:`chelscreen.metals.parse_metal` accepts. Rows with an
    unparsable SMILES, unknown metal or non-numeric logK raise a ValueError naming the rows.
    """
    from chelscreen.errors import InputFileError
    from chelscreen.model.card import known_pairs_table
    from chelscreen.model.io import save
    from chelscreen.model.predict import parse_ion

    df = data if isinstance(data, pd.DataFrame) else pd.read_csv(data)
    cols = {c.lower(): c for c in df.columns}
    need = {"smiles", "metal", "logk"}
    if not need <= set(cols):
        raise InputFileError(
            f"training data needs columns smiles, metal, logK (optional ionic_strength); "
            f"found {list(df.columns)}"
        )
    df = df.rename(columns={cols["smiles"]: "smiles", cols["metal"]: "metal",
                            cols["logk"]: "logK"})
    if "ionic_strength" in cols:
        df = df.rename(columns={cols["ionic_strength"]: "ionic_strength"})
    else:
        df["ionic_strength"] = np.nan
    problems = []
    ions, std = [], []
    for i, row in enumerate(df.itertuples(index=False)):
        try:
            ions.append(parse_ion(row.metal))
        except ValueError as exc:
            ions.append("")
            problems.append(f"row {i + 1}: {exc}")
        s = _features.standardize_smiles(row.smiles)
        std.append(s or "")
        if not s:
            problems.append(f"row {i + 1}: SMILES {row.smiles!r} cannot be parsed")
    y = pd.to_numeric(df["logK"], errors="coerce")
    for i in np.flatnonzero(y.isna().to_numpy()):
        problems.append(f"row {i + 1}: logK {df['logK'].iloc[i]!r} is not a number")
    if problems:
        raise InputFileError(
            f"{len(problems)} bad training rows; fix or remove them: " + "; ".join(problems[:10])
        )
    pairs = pd.DataFrame({"smiles": std, "metal": ions,
                          "ionic_strength": pd.to_numeric(df["ionic_strength"], errors="coerce")})
    fit_kw = {} if basicity else {"protonation": pd.DataFrame()}
    est = model if model is not None else StabilityModel()
    n_lig = len(set(std))
    if n_lig < 10:
        est.set_params(n_calibration_folds=0)
    report: dict = {"rows": len(pairs), "ligands": n_lig, "metals": pairs["metal"].nunique()}
    if folds and n_lig >= max(folds, 5):
        report["cv"] = grouped_cv(est, pairs, y.to_numpy(), folds=folds, **fit_kw)
    est.fit(pairs, y.to_numpy(), **fit_kw)
    table = pairs.assign(logK=y.to_numpy(), source="user",
                         source_id=[f"{Path(str(data)).name}:row{i + 1}" for i in range(len(y))]
                         if not isinstance(data, pd.DataFrame) else "")
    save(est, out, known_pairs=known_pairs_table(table),
         card_extra={"trained_on": str(data) if not isinstance(data, pd.DataFrame) else "frame",
                     "cv": report.get("cv"), "metal_rows": est.metal_rows_})
    return report
