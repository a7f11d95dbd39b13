"""Batch simulations with a result cache (one JSON file per complex x protocol x versions).

Key = SHA-256 of: canonical complex SMILES (bound ligand + ion), the ligand's RDKit
RegistrationHash, the ion, the protocol, the seed and the versions of chelscreen, OpenMM and
RDKit. (InChIKey is never used: it is empty for dative complexes.) Files are written atomically
(temporary file + ``os.replace``), so an interrupted batch resumes where it stopped and a finished
pair costs nothing on a re-run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from chelscreen.errors import ChelscreenError
from chelscreen.simulate.protocols import FEATURE_COLUMNS, PROTOCOLS

logger = logging.getLogger(__name__)

CACHE_SCHEMA = 3  # 3: strain without Coulomb (bonded + vdW), stage timings, q_water
TIMING_COLUMNS = ["build_s", "relax_s", "md_s", "strain_s", "pull_s", "wall_s"]
OUTPUT_COLUMNS = [
    "id", "name", "smiles", "metal", "protocol", *FEATURE_COLUMNS, *TIMING_COLUMNS,
    "ns_per_day", "platform", "ion_params_source", "ion_model", "structure_file", "cache_key",
    "cached", "status", "message",
]
CACHE_ENV = "CHELSCREEN_CACHE_DIR"


def default_cache_dir() -> Path:
    """Where simulation results are cached unless told otherwise.

    ``$CHELSCREEN_CACHE_DIR/simulate`` when that variable is set, else
    ``$XDG_CACHE_HOME/chelscreen/simulate`` (``~/.cache/chelscreen/simulate``). An interrupted
    batch therefore loses nothing: finished pairs are read back on the next run.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser() / "simulate"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chelscreen" / "simulate"


def _resolve_cache(cache_dir: str | Path | None) -> Path | None:
    if cache_dir is None or cache_dir is False:
        return None
    if isinstance(cache_dir, str) and cache_dir == "default":
        return default_cache_dir()
    return Path(cache_dir)


def versions() -> dict[str, str]:
    """Versions that enter the cache key."""
    import openmm
    import rdkit

    from chelscreen._version import __version__

    return {"chelscreen": __version__, "openmm": openmm.__version__, "rdkit": rdkit.__version__}


def complex_key(ligand_smiles: str, ion: str, protocol: str, seed: int = 42,
                lj_set: str = "hfe") -> tuple[str, dict]:
    """(hex key, key fields) of a ligand (neutral SMILES) x ion x protocol."""
    from rdkit import Chem
    from rdkit.Chem import RegistrationHash

    mol = Chem.MolFromSmiles(ligand_smiles)
    if mol is None:
        raise ChelscreenError(f"cannot key invalid SMILES {ligand_smiles!r}")
    canon = Chem.MolToSmiles(mol)
    element = "".join(c for c in ion if c.isalpha())
    charge = "".join(c for c in ion if c.isdigit()) or "1"
    complex_smiles = Chem.MolToSmiles(Chem.MolFromSmiles(f"{canon}.[{element}+{charge}]"))
    reg = RegistrationHash.GetMolHash(RegistrationHash.GetMolLayers(mol))
    fields = {"complex_smiles": complex_smiles, "registration_hash": reg, "ion": ion,
              "protocol": protocol, "seed": int(seed), "schema": CACHE_SCHEMA, **versions()}
    if lj_set != "hfe":
        fields["lj_set"] = lj_set
    if protocol == "explicit":  # a refitted 12-6-4 ion model must not return a stale result
        from chelscreen.simulate.hydration import read_1264_table

        row = read_1264_table().get(ion)
        if row is not None:
            fields["ion_1264"] = [row["rmin2_A"], row["eps_kcal"], row["c4_kcal_A4"]]
    blob = json.dumps(fields, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32], fields


def _atomic_write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, default=_json_default)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def simulate_pair(ligand_smiles: str, metal: Any, protocol: str = "fast", *,
                  cache_dir: str | Path | None = None, structures_dir: str | Path | None = None,
                  name: str = "", seed: int = 42, n_conformers: int = 4,
                  platform: str | None = None, lj_set: str = "hfe") -> dict[str, Any]:
    """Build + run one complex (or read it from the cache). Returns one result dict."""
    from chelscreen.simulate.build import build_complex
    from chelscreen.simulate.params import normalize_ion
    from chelscreen.simulate.protocols import run

    ion = normalize_ion(metal)
    key, fields = complex_key(ligand_smiles, ion, protocol, seed, lj_set)
    cpath = Path(cache_dir) / f"{key}.json" if cache_dir else None
    if cpath is not None and cpath.is_file():
        try:
            data = json.loads(cpath.read_text(encoding="utf-8"))
            res = data["result"]
            res["cached"] = True
            return res
        except (json.JSONDecodeError, KeyError):
            logger.warning("ignoring unreadable cache file %s", cpath)
    t0 = time.perf_counter()
    cx = build_complex(ligand_smiles, ion, n_conformers=n_conformers, seed=seed,
                       platform=platform, lj_set=lj_set)
    res = run(cx, protocol, seed=seed, platform=platform)
    res["structure_file"] = ""
    if structures_dir:
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (name or key[:12]))
        p = Path(structures_dir) / f"{stem}_{ion.replace('+', 'p')}_{protocol}.pdb"
        cx.write_pdb(p)
        cx.write_sdf(p.with_suffix(".sdf"))
        res["structure_file"] = str(p)
    res["cache_key"] = key
    res = {k: _clean(v) for k, v in res.items()}
    logger.info("simulated %s %s (%s) in %.1f s", name or ligand_smiles, ion, protocol,
                time.perf_counter() - t0)
    if cpath is not None:
        try:
            _atomic_write_json(cpath, {"key": fields, "result": res})
        except OSError as exc:  # disk full, read-only: the result stands, it is just not cached
            logger.warning("could not write the simulation cache file %s (%s); the result is "
                           "kept but not cached", cpath, exc.strerror or exc)
    res["cached"] = False
    return res


def _worker_init() -> None:
    os.environ.setdefault("OPENMM_CPU_THREADS", "1")


def _pair_task_in_worker(args: tuple) -> tuple[int, dict[str, Any] | None, str | None, str]:
    """:func:`_pair_task` in a worker process of :mod:`chelscreen._parallel` (one OpenMM
    thread per worker)."""
    _worker_init()
    return _pair_task(args)


def _pair_task(args: tuple) -> tuple[int, dict[str, Any] | None, str | None, str]:
    """Run one pair (in a worker); returns (row index, result | None, error kind, message)."""
    idx, smi, metal, kwargs, label = args
    try:
        return idx, simulate_pair(smi, metal, **kwargs), None, ""
    except (ChelscreenError, ValueError) as exc:
        return idx, None, "invalid" if isinstance(exc, ValueError) else "error", \
            f"{label} with {metal}: {exc}"
    except Exception as exc:  # noqa: BLE001 - an OpenMM failure must not kill the batch
        logger.exception("simulation failed for %s %s", smi, metal)
        return idx, None, "error", (f"{label} with {metal}: simulation failed "
                                    f"({type(exc).__name__}: {exc})")


def simulate_pairs(ligands: Any, metals: Any, protocol: str = "fast",
                   cache_dir: str | Path | None = "default", *,
                   structures_dir: str | Path | None = None, seed: int = 42,
                   n_conformers: int = 4, platform: str | None = None,
                   lj_set: str = "hfe", progress: bool = False,
                   n_jobs: int | None = 1) -> pd.DataFrame:
    """Simulate every ligand x metal pair; one row per pair, ligand-major, input order.

    Parameters
    ----------
    ligands
        Anything :func:`chelscreen.io.read_ligands` accepts (file, list of SMILES/names, ...).
    metals
        A metal string (``"Lu3+,Ac3+"`` or ``"Lu-177"``) or a list of them.
    protocol
        ``"fast"``, ``"standard"`` or ``"explicit"``.
    cache_dir
        Folder for the per-pair JSON results (re-runs of finished pairs cost nothing);
        ``"default"`` (the default) is :func:`default_cache_dir`, ``None`` turns caching off.
    structures_dir
        When given, the built complex of each pair is written there as PDB and SDF.
    lj_set
        Li/Merz ion parameter set, ``"hfe"`` (default) or ``"iod"``.
    progress
        Show a progress bar (tqdm) over pairs.
    n_jobs
        Worker processes (joblib convention: -1 = all cores); each worker runs OpenMM with one
        CPU thread. Rows keep the input order whatever the completion order.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS` (features, per-stage seconds ``build_s`` (embedding +
        parametrization + restrained relaxation), ``relax_s`` (its relaxation part), ``md_s``,
        ``strain_s``, ``pull_s``, ``wall_s``); bad ligands/metals are kept as
        ``status="invalid"`` rows, failed simulations as ``status="error"``, with a message.

    Examples
    --------
    >>> df = simulate_pairs(["NOTA", "DOTA"], "Ga-68", protocol="fast")  # doctest: +SKIP
    >>> df[["name", "metal", "cn_initial", "status"]]                     # doctest: +SKIP
    """
    from chelscreen._parallel import resolve_n_jobs
    from chelscreen.io import read_ligands
    from chelscreen.simulate.params import normalize_ion

    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}.")
    if isinstance(metals, str):
        metals = [m for m in (x.strip() for x in metals.split(",")) if m]
    metals = list(metals)
    if not metals:
        raise ValueError("no metals given; pass e.g. metals=['Lu3+', 'Ac3+'].")
    cache = _resolve_cache(cache_dir)
    ligs = read_ligands(ligands)
    rows: list[dict[str, Any]] = []
    tasks = []
    for i in range(len(ligs)):
        lig = ligs.iloc[i]
        for metal in metals:
            base = {"id": lig.get("id", ""), "name": lig.get("name", ""),
                    "smiles": lig.get("smiles", ""), "metal": str(metal), "protocol": protocol}
            rows.append(base)
            if lig.get("status") == "invalid":
                base.update(status="invalid", message=str(lig.get("message", "")))
                continue
            try:
                base["metal"] = normalize_ion(metal)
            except ChelscreenError as exc:
                base.update(status="invalid", message=str(exc))
                continue
            smi = lig.get("core_smiles") or lig.get("smiles")
            label = str(base["name"] or base["id"])
            kwargs = {"protocol": protocol, "cache_dir": cache, "structures_dir": structures_dir,
                      "name": label, "seed": seed, "n_conformers": n_conformers,
                      "platform": platform, "lj_set": lj_set}
            tasks.append((len(rows) - 1, smi, base["metal"], kwargs, label))
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=f"simulate ({protocol})", unit="pair")

    def collect(out: tuple) -> None:
        idx, res, kind, msg = out
        if res is None:
            rows[idx].update(status=kind, message=msg)
        else:
            rows[idx].update({k: v for k, v in res.items() if k in OUTPUT_COLUMNS})
        if bar is not None:
            bar.update(1)

    jobs = min(resolve_n_jobs(n_jobs), max(1, len(tasks)))
    if jobs == 1:
        for t in tasks:
            collect(_pair_task(t))
    else:
        from chelscreen._parallel import imap_unordered

        for _, out in imap_unordered(_pair_task_in_worker, tasks, n_jobs=jobs):
            collect(out)
    if bar is not None:
        bar.close()
    df = pd.DataFrame(rows)
    for c in OUTPUT_COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[OUTPUT_COLUMNS]
