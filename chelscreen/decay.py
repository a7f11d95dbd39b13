"""Decay chains, recoil energies and the fate of daughters released from a chelator.

Decay data come from ``radioactivedecay`` (ICRP Publication 107 decay data, AME2020/NUBASE2020
atomic masses; code MIT, ICRP data licensed for educational, research and not-for-profit use:
see ``docs/NOTICE-decay.md``). radioactivedecay gives no decay energies, so Q-values and recoil
energies are computed here from its atomic masses; the ICRP-107 main alpha line is taken from the
bundled ``nuclides.csv`` where listed.

Physics (units: seconds in data, MeV/keV/eV as named in columns)
----------------------------------------------------------------
- alpha: Q = (M_parent - M_daughter - M_He4) c^2 (atomic masses, electrons cancel);
  E_alpha = Q m_d/(m_alpha + m_d); E_R = Q m_alpha/(m_alpha + m_d) (non-relativistic two-body,
  ground state to ground state, i.e. the largest alpha line).
- beta-: Q = (M_p - M_d) c^2 = endpoint E0; maximum recoil when the electron takes all the
  energy: E_R,max = (E0^2 + 2 E0 m_e c^2) / (2 M_d c^2) (``daughter_release.csv`` DR03).
- EC: the neutrino takes Q (atomic binding neglected): E_R,max = Q^2 / (2 M_d c^2).
- beta+ & EC (ICRP-107 merges them): the larger of the EC value and the positron value with
  E0 = Q - 2 m_e c^2.
- IT: gamma of energy Q: E_R = Q^2 / (2 M c^2).

Daughter-fate model (:func:`daughter_fate`)
-------------------------------------------
Every atom of the chain is in one of three places: ``bound`` (still in the chelator where the
parent was), ``released_local`` (left the chelator, still at the target) or ``away`` (left the
target). An alpha decay always releases the daughter (recoil ~100 keV vs bonds of a few eV).
A beta-/EC/IT decay of a *bound* atom releases the daughter with a chemistry-dependent
probability (``beta_release``; for 212Pb -> 212Bi in DOTA-type chelators the published 0.36,
``daughter_release.csv`` DR01, status SECONDARY). A released atom is never recaptured
(modelling assumption). A released atom at the target leaves it with first-order rate
``k_escape``; it decays there with probability lambda/(lambda + k_escape). The expected number
of decays of every member in every place, per decay of the parent, follows exactly from these
rules by walking the chain (a directed acyclic graph) in topological order; the totals equal the
Bateman solution integrated to completion, which is computed independently with
``radioactivedecay.Inventory.cumulative_decays`` and checked against it.
"""

from __future__ import annotations

import copy
import csv
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from chelscreen._resources import data_dir
from chelscreen.errors import UnsupportedNuclideError

logger = logging.getLogger(__name__)

__all__ = ["decay_chain", "daughter_fate", "decay_summary", "normalize_nuclide",
           "activity_curves", "SCENARIOS", "SCENARIO_DEFAULTS", "readable_time"]

U_MEV = 931.49410242  # MeV per u (CODATA 2018, as in scipy.constants)
ME_MEV = 0.51099895000  # electron rest energy, MeV (CODATA 2018)
YEAR_S = 365.25 * 86400.0

#: Chains are not followed beyond members whose half-life exceeds this (a modelling choice:
#: over a therapy time scale such a member is effectively the end of the chain; nuclides.csv
#: flags 210Pb (22 y) and 207Bi (32.9 y) the same way).
DEFAULT_STOP_HALF_LIFE_S = 1.0 * YEAR_S

_MODE_NAMES = {"α": "alpha", "β-": "beta-", "β+": "beta+", "EC": "EC", "β+ & EC": "beta+/EC",
               "IT": "IT", "SF": "SF", "β-β-": "2beta-"}

SCENARIOS = ("internalized", "surface", "circulating")

#: Default scenario parameters and their sources.
SCENARIO_DEFAULTS: dict[str, dict[str, tuple[float, str]]] = {
    "internalized": {
        "cell_retention_half_time_s": (
            math.inf,
            "modelling choice: released daughters stay in the cell (the definition of the "
            "scenario). Qualitative support: with internalization the recoiling daughter is "
            "released inside the tumour cell with minor escape (daughter_release.csv DR13, "
            "Pharmaceuticals 2020, 13, 76, PMC7243103 Fig. 5); no quantitative retention "
            "half-time was found. Give a finite value for a sensitivity analysis."),
    },
    "surface": {
        "diffusion_coefficient_m2_s": (
            1.0e-9,
            "order of the tracer diffusion coefficients of free metal cations in water at 25 C: "
            "Pb2+ 0.945e-9, Ba2+ 0.848e-9, Hg2+ 0.913e-9, Na+ 1.33e-9 m2/s (phreeqc.dat / "
            "Vanysek values tabulated at https://www.aqion.de/site/diffusionskoeffizienten); "
            "rounded to 1e-9 (modelling choice; tissue tortuosity would lower it)"),
        "escape_distance_um": (
            50.0,
            "modelling choice: a daughter farther than about one alpha range from the target "
            "cell no longer irradiates it; alpha ranges in tissue are 0.05-0.1 mm "
            "(https://cdn.auntminnie.com/15611463, 223Ra-dichloride)"),
    },
    "circulating": {
        "uptake_half_time_s": (
            0.16 * 3600.0,
            "distribution-phase blood half-life of 177Lu-PSMA-617 in patients, 0.16 +/- 0.09 h "
            "(Mol Imaging Radionucl Ther 2017;26(2):62-68, doi:10.4274/mirt.08760, "
            "https://www.ncbi.nlm.nih.gov/pubmed/28613198), used as the half-time of target "
            "uptake of a small-molecule/peptide vector (modelling choice; antibodies take days)"),
    },
}

#: Default release probability of the daughter after a beta-/EC/IT decay of a chelated atom,
#: when nothing more specific is known (modelling choice: the one published figure, DR01).
DEFAULT_BETA_RELEASE = 0.36
_DR01 = ("daughter_release.csv DR01: ~36 % of 212Bi released per 212Pb decay from 212Pb-DOTA "
         "(status SECONDARY: quoted by PMC4513904, primary study not retrieved)")



# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _rd() -> Any:
    try:
        import radioactivedecay as rd
    except ImportError as exc:  # pragma: no cover - dependency
        raise UnsupportedNuclideError(
            "decay chains need the 'radioactivedecay' package: pip install radioactivedecay"
        ) from exc
    return rd


def readable_time(seconds: float) -> str:
    """Half-life in readable units (``'10.0 d'``, ``'4.2 µs'``, ``'stable'``).

    Examples
    --------
    >>> readable_time(864000.0), readable_time(4.2e-6), readable_time(float("inf"))
    ('10 d', '4.2 µs', 'stable')
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    if math.isinf(seconds):
        return "stable"
    for unit, size in (("y", YEAR_S), ("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0),
                       ("ms", 1e-3), ("\u00b5s", 1e-6), ("ns", 1e-9)):
        if seconds >= size:
            return f"{seconds / size:.4g} {unit}"
    return f"{seconds:.3g} s"


def normalize_nuclide(nuclide: str) -> str:
    """Canonical ``'Ac-225'`` form of any spelling :func:`chelscreen.metals.parse_metal` reads.

    Raises
    ------
    UnsupportedNuclideError
        When the text carries no mass number or the nuclide is not in ICRP-107.
    """
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import parse_nuclide

    try:
        return parse_nuclide(nuclide)
    except UnsupportedMetalError as exc:
        raise UnsupportedNuclideError(str(exc)) from None


def _example_mass(sym: str) -> str:
    for name in _nuclide_table():
        if name.split("-")[0] == sym:
            return name.split("-")[1]
    return "A"


@lru_cache(maxsize=1)
def _nuclide_table() -> dict[str, dict[str, str]]:
    with (data_dir() / "nuclides.csv").open(newline="", encoding="utf-8") as fh:
        return {r["nuclide"]: r for r in csv.DictReader(fh)}


def _readable_half_life(rd: Any, name: str) -> str:
    """radioactivedecay's readable half-life ('60.55 min', '4.2 µs'; micro sign U+00B5)."""
    text = str(rd.Nuclide(name).half_life("readable"))
    value, _, unit = text.partition(" ")
    unit = {"m": "min", "\u03bcs": "\u00b5s", "us": "\u00b5s", "ms": "ms"}.get(unit, unit)
    return f"{value} {unit}".strip()


def _mass_mev(rd: Any, name: str) -> float:
    return float(rd.Nuclide(name).atomic_mass) * U_MEV


def _step_energies(rd: Any, parent: str, daughter: str, mode: str) -> dict[str, float]:
    nan = float("nan")
    out = {"Q_MeV": nan, "E_alpha_MeV": nan, "E_recoil_keV": nan, "recoil_basis": ""}
    try:
        mp, md = _mass_mev(rd, parent), _mass_mev(rd, daughter)
    except (ValueError, TypeError):  # pragma: no cover - masses exist for every ICRP-107 entry
        out["recoil_basis"] = "missing: atomic mass not available"
        return out
    if mode == "alpha":
        ma = _mass_mev(rd, "He-4")
        q = mp - md - ma
        out.update(Q_MeV=q, E_alpha_MeV=q * md / (ma + md), E_recoil_keV=1e3 * q * ma / (ma + md),
                   recoil_basis="alpha two-body from AME2020 masses")
        return out
    q = mp - md
    out["Q_MeV"] = q
    if q <= 0:
        out["recoil_basis"] = "missing: non-positive Q from masses"
        return out
    if mode == "beta-":
        er = (q * q + 2 * q * ME_MEV) / (2 * md)
        basis = "beta- maximum (electron takes all energy)"
    elif mode == "EC":
        er = q * q / (2 * md)
        basis = "EC neutrino recoil (Q_EC, binding neglected)"
    elif mode in ("beta+/EC", "beta+"):
        er_ec = q * q / (2 * md) if mode == "beta+/EC" else 0.0
        e0 = q - 2 * ME_MEV
        er_bp = (e0 * e0 + 2 * e0 * ME_MEV) / (2 * md) if e0 > 0 else 0.0
        er = max(er_ec, er_bp)
        basis = "max of EC neutrino and beta+ endpoint recoil"
    elif mode == "IT":
        er = q * q / (2 * md)
        basis = "IT gamma recoil"
    else:
        out["recoil_basis"] = f"missing: no recoil formula for mode {mode}"
        return out
    out["E_recoil_keV"] = er * 1e3
    out["recoil_basis"] = basis
    return out


# ----------------------------------------------------------------------------------------------
# precomputed terms of the bundled nuclides (data/nuclide_terms.json)
# ----------------------------------------------------------------------------------------------
#: file of the precomputed default results of :func:`decay_chain`, :func:`daughter_fate` and
#: :func:`chelscreen.dosimetry.daughter_dose_summary` (human preset) for every nuclide of
#: ``nuclides.csv``, written by ``chelscreen/data/build_nuclide_terms.py``: a screen and its
#: report then need neither radioactivedecay nor sympy (≈ 1.3 CPU-s of imports) nor the
#: Bateman and biokinetic solutions
TERMS_FILE = "nuclide_terms.json"
#: the modules whose code the precomputed terms come from (with every table of
#: ``chelscreen/data`` and the versions of :data:`TERMS_PACKAGES`: their fingerprint)
TERMS_MODULES: tuple[str, ...] = ("decay.py", "dosimetry.py", "metals.py", "elements.py",
                                  "errors.py", "_resources.py")
TERMS_PACKAGES: tuple[str, ...] = ("radioactivedecay", "numpy", "scipy", "pandas")
#: use the precomputed terms while their fingerprint matches (the build script and the tests
#: that compare them with the live computation switch it off)
USE_PRECOMPUTED = True


def terms_fingerprint() -> dict[str, str]:
    """SHA-256 of each file the precomputed terms depend on (:data:`TERMS_MODULES`, every
    ``chelscreen/data/*.csv``) and the installed versions of :data:`TERMS_PACKAGES`: a change
    of any makes ``nuclide_terms.json`` stale, and it is then not used (the terms are computed
    live, and ``tests/unit/test_nuclide_terms.py`` fails until it is rebuilt)."""
    import hashlib
    from importlib import metadata
    from pathlib import Path

    pkg = Path(__file__).resolve().parent
    files = {f"chelscreen/{m}": pkg / m for m in TERMS_MODULES}
    files.update({f"chelscreen/data/{p.name}": p for p in sorted(data_dir().glob("*.csv"))})
    out = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    for name in TERMS_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@lru_cache(maxsize=1)
def _precomputed() -> dict[str, Any]:
    """The nuclides of ``nuclide_terms.json`` when its fingerprint is the current one, else
    ``{}`` (everything computed live)."""
    import json

    path = data_dir() / TERMS_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.debug("no precomputed nuclide terms (%s): computed with radioactivedecay", exc)
        return {}
    if doc.get("fingerprint") != terms_fingerprint():
        logger.debug("%s is stale (its code, tables or package versions changed): decay terms "
                     "computed with radioactivedecay; rebuild it with python "
                     "chelscreen/data/build_nuclide_terms.py", TERMS_FILE)
        return {}
    return {"nuclides": dict(doc.get("nuclides") or {}),
            "canonical": frozenset(doc.get("canonical") or ())}


def precomputed_canonical() -> frozenset[str]:
    """The canonical names of ``nuclide_terms.json`` (see :func:`chelscreen.metals`'s
    ``_split_nuclide``); empty when it is stale or :data:`USE_PRECOMPUTED` is off."""
    if not USE_PRECOMPUTED:
        return frozenset()
    return _precomputed().get("canonical", frozenset())


def precomputed(name: str, kind: str) -> Any:
    """A copy of the precomputed ``kind`` entry of nuclide ``name`` (canonical form), or
    ``None`` when there is none or :data:`USE_PRECOMPUTED` is off."""
    if not USE_PRECOMPUTED:
        return None
    entry = _precomputed().get("nuclides", {}).get(name, {}).get(kind)
    return None if entry is None else copy.deepcopy(entry)


def _frame(entry: dict[str, Any]) -> pd.DataFrame:
    """The DataFrame of a precomputed entry: built from its rows as the live code builds it
    (``pd.DataFrame(rows)``), with its ``attrs``."""
    df = pd.DataFrame(entry["rows"])
    df.attrs.update(entry["attrs"])
    return df


@dataclass(frozen=True)
class _Step:
    parent: str
    daughter: str
    mode: str
    branching: float


@lru_cache(maxsize=64)
def _chain(nuclide: str, stop_half_life_s: float) -> tuple[tuple[_Step, ...], tuple[str, ...],
                                                            frozenset[str]]:
    """Steps (BFS order), members in topological order, and long-lived terminal members."""
    rd = _rd()
    try:
        rd.Nuclide(nuclide)
    except ValueError:
        raise UnsupportedNuclideError(f"{nuclide} is not in the ICRP-107 decay data") from None
    steps: list[_Step] = []
    terminal: set[str] = set()
    parents_of: dict[str, set[str]] = {nuclide: set()}
    queue, seen = [nuclide], {nuclide}
    while queue:
        n = queue.pop(0)
        nuc = rd.Nuclide(n)
        hl = nuc.half_life("s")
        if math.isinf(hl):
            continue
        if n != nuclide and hl > stop_half_life_s:
            terminal.add(n)
            continue
        for d, bf, mode in zip(nuc.progeny(), nuc.branching_fractions(), nuc.decay_modes(),
                               strict=True):
            if bf <= 0:
                continue
            steps.append(_Step(n, str(d), _MODE_NAMES.get(mode, mode), float(bf)))
            parents_of.setdefault(str(d), set()).add(n)
            if d not in seen:
                seen.add(d)
                queue.append(str(d))
    # topological order (Kahn)
    order: list[str] = []
    indeg = {m: len(p) for m, p in parents_of.items()}
    ready = [nuclide]
    children: dict[str, list[str]] = {}
    for s in steps:
        children.setdefault(s.parent, []).append(s.daughter)
    while ready:
        m = ready.pop(0)
        order.append(m)
        for c in children.get(m, []):
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    return tuple(steps), tuple(order), frozenset(terminal)


# ----------------------------------------------------------------------------------------------
# decay chain table
# ----------------------------------------------------------------------------------------------
def decay_chain(nuclide: str, *, stop_half_life_s: float = DEFAULT_STOP_HALF_LIFE_S
                ) -> pd.DataFrame:
    """Every decay step of the chain of ``nuclide``.

    Parameters
    ----------
    nuclide : str
        ``'Ac-225'``, ``'225Ac'``, ``'[225Ac]'`` ...
    stop_half_life_s : float
        Members with a longer half-life (other than the parent) end the chain; their own decays
        are not listed (default 1 year, a modelling choice).

    Returns
    -------
    DataFrame
        One row per step (breadth-first from the parent): ``parent, daughter, mode,
        branching, half_life_s`` (of the step's parent), ``half_life`` (readable),
        ``E_alpha_MeV`` (alpha steps), ``E_recoil_keV`` (daughter recoil; alpha: two-body,
        beta/EC/IT: maximum), ``Q_MeV``, ``E_alpha_main_ICRP107_MeV`` (most intense ICRP-107
        line where nuclides.csv lists the parent), ``recoil_basis``, ``daughter_half_life_s``,
        ``daughter_note`` (``stable`` / ``long-lived: chain ends here``).

    Examples
    --------
    >>> chain = decay_chain("Ac-225")
    >>> chain[["parent", "daughter", "mode"]].iloc[0].tolist()
    ['Ac-225', 'Fr-221', 'alpha']
    """
    name = normalize_nuclide(nuclide)
    if float(stop_half_life_s) == DEFAULT_STOP_HALF_LIFE_S:
        pre = precomputed(name, "decay_chain")
        if pre is not None:
            return _frame(pre)
    rd = _rd()
    steps, _, terminal = _chain(name, float(stop_half_life_s))
    table = _nuclide_table()
    rows = []
    for s in steps:
        hl = rd.Nuclide(s.parent).half_life("s")
        dhl = rd.Nuclide(s.daughter).half_life("s")
        e = _step_energies(rd, s.parent, s.daughter, s.mode)
        main = float("nan")
        ref = table.get(s.parent)
        if s.mode == "alpha" and ref and ref.get("alpha_E_main_MeV"):
            if ref.get("alpha_daughter") == s.daughter:
                main = float(ref["alpha_E_main_MeV"])
        note = "stable" if math.isinf(dhl) else (
            "long-lived: chain ends here" if s.daughter in terminal else "")
        rows.append({
            "parent": s.parent, "daughter": s.daughter, "mode": s.mode,
            "branching": s.branching, "half_life_s": hl,
            "half_life": _readable_half_life(rd, s.parent),
            "E_alpha_MeV": e["E_alpha_MeV"], "E_recoil_keV": e["E_recoil_keV"],
            "Q_MeV": e["Q_MeV"], "E_alpha_main_ICRP107_MeV": main,
            "recoil_basis": e["recoil_basis"], "daughter_half_life_s": dhl,
            "daughter_note": note,
        })
    df = pd.DataFrame(rows)
    df.attrs["parent"] = name
    df.attrs["data"] = "ICRP-107 via radioactivedecay " + _rd_version()
    return df


def _rd_version() -> str:
    rd = _rd()
    return f"{getattr(rd, '__version__', '?')} ({rd.DEFAULTDATA.dataset_name})"


# ----------------------------------------------------------------------------------------------
# Bateman (radioactivedecay)
# ----------------------------------------------------------------------------------------------
def _completion_time_s(name: str, members: tuple[str, ...], terminal: frozenset[str]) -> float:
    rd = _rd()
    hls = [rd.Nuclide(m).half_life("s") for m in members if m not in terminal]
    hls = [h for h in hls if not math.isinf(h)]
    return 40.0 * max(hls)


def _bateman_decays(name: str, stop_half_life_s: float) -> dict[str, float]:
    """Cumulative decays of every member per parent atom, integrated to chain completion.

    Long-lived terminal members (and their progeny) are excluded.
    """
    rd = _rd()
    steps, members, terminal = _chain(name, stop_half_life_s)
    t_end = _completion_time_s(name, members, terminal)
    inv = rd.Inventory({name: 1.0}, "num")
    cum = {str(k): float(v) for k, v in inv.cumulative_decays(t_end, "s").items()}
    keep = set(members) - set(terminal)
    return {m: cum.get(m, 0.0) for m in members if m in keep}


def activity_curves(nuclide: str, times_s: Any = None, *,
                    stop_half_life_s: float = DEFAULT_STOP_HALF_LIFE_S) -> pd.DataFrame:
    """Activity (Bq) of every chain member vs time for 1 Bq of the pure parent at t = 0.

    Bateman solution by ``radioactivedecay.Inventory``. Index ``time_s``; one column per
    radioactive member (long-lived terminal members included).
    """
    import numpy as np

    name = normalize_nuclide(nuclide)
    rd = _rd()
    _, members, terminal = _chain(name, float(stop_half_life_s))
    if times_s is None:
        t_hl = rd.Nuclide(name).half_life("s")
        start = max(1e-3, min(t_hl * 1e-4, 1.0))
        times_s = np.logspace(math.log10(start), math.log10(t_hl * 10), 160)
    inv = rd.Inventory({name: 1.0}, "Bq")
    radioactive = [m for m in members if not math.isinf(rd.Nuclide(m).half_life("s"))]
    rows = []
    for t in times_s:
        act = {str(k): float(v) for k, v in inv.decay(float(t), "s").activities("Bq").items()}
        rows.append([act.get(m, 0.0) for m in radioactive])
    df = pd.DataFrame(rows, columns=radioactive, index=pd.Index(list(times_s), name="time_s"))
    df.attrs["terminal_long_lived"] = sorted(terminal)
    return df


# ----------------------------------------------------------------------------------------------
# daughter fate
# ----------------------------------------------------------------------------------------------
def _chelator_class(chelator: str | None) -> tuple[str, str]:
    """(display name, class) where class is 'DOTA-type', 'other' or 'none'."""
    if chelator is None or str(chelator).strip() == "":
        return "", "none"
    name = str(chelator).strip()
    cls = "other"
    row = None
    try:
        from chelscreen.io import library_lookup  # written by another module; optional
    except ImportError:
        library_lookup = None
    if library_lookup is not None:
        try:
            row = library_lookup(name)
        except Exception as exc:  # noqa: BLE001 - lookup problems must not break decay tools
            logger.debug("library_lookup(%r) failed: %s", name, exc)
            row = None
    if row is None:  # not a library name: a SMILES is classified by its structure
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        try:
            mol = Chem.MolFromSmiles(name)
        finally:
            RDLogger.EnableLog("rdApp.*")
        if mol is not None:
            return name, "DOTA-type" if _is_dota_core(mol) else "other"
        logger.warning("chelator %r is not in the reference library and is not a SMILES; its "
                       "beta-decay release uses the default figure", name)
    if row is not None:
        try:
            name = str(row["name"])
            smiles = str(row.get("smiles", "")) if hasattr(row, "get") else str(row["smiles"])
        except (KeyError, TypeError):
            smiles = ""
        if smiles and _is_dota_core(smiles):
            cls = "DOTA-type"
    return name, cls


def _is_dota_core(smiles: Any) -> bool:
    """Cyclen (12-membered N4 ring) carrying >=3 N-CH2-C(=O) arms: DOTA, DOTAM/TCMC, DOTA-conj.

    ``smiles`` is a SMILES string or an RDKit Mol already parsed by the caller.
    """
    try:
        from rdkit import Chem
    except ImportError:  # pragma: no cover
        return False
    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else smiles
    if mol is None:
        return False
    cyclen = Chem.MolFromSmarts("[NX3]1CC[NX3]CC[NX3]CC[NX3]CC1")
    arm = Chem.MolFromSmarts("[NX3;R]-[CH2,CH1]-C(=O)")
    ring_n = {a for match in mol.GetSubstructMatches(cyclen) for a in match
              if mol.GetAtomWithIdx(a).GetSymbol() == "N"}
    if not ring_n:
        return False
    armed = {m[0] for m in mol.GetSubstructMatches(arm) if m[0] in ring_n}
    return len(armed) >= 3


BetaRelease = float | Mapping[str, float] | Callable[[str, str, str | None], float]


def _beta_release_for(parent: str, daughter: str, chelator: str | None, chel_class: str,
                      beta_release: BetaRelease | None) -> tuple[float, str]:
    if beta_release is not None:
        if callable(beta_release):
            p = float(beta_release(parent, daughter, chelator))
            return _check_p(p, "beta_release callable"), "beta_release callable (user)"
        if isinstance(beta_release, Mapping):
            for key in (f"{parent}->{daughter}", daughter, parent):
                if key in beta_release:
                    return _check_p(float(beta_release[key]), key), f"beta_release[{key!r}] (user)"
        else:
            return _check_p(float(beta_release), "beta_release"), "beta_release (user)"
    if parent == "Pb-212" and daughter == "Bi-212" and chel_class == "DOTA-type":
        return 0.36, (_DR01 + "; applied to every DOTA-type chelator (cyclen with >= 3 "
                      "N-CH2-C(=O) arms, recognised from the structure) by "
                      "structural analogy (no TCMC/DOTAM figure found: DR02 GAP)")
    return DEFAULT_BETA_RELEASE, (
        "default beta_release 0.36: modelling choice, the only published figure (212Pb-DOTA, "
        "DR01, SECONDARY) applied by analogy")


def _check_p(p: float, what: str) -> float:
    if not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"{what} must be a probability in [0, 1], got {p}")
    return p


def _scenario_params(scenario: str, params: dict[str, Any]) -> dict[str, float]:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIOS)}")
    allowed = {k for s in SCENARIO_DEFAULTS.values() for k in s}
    unknown = set(params) - allowed
    if unknown:
        raise TypeError(f"unknown scenario parameter(s) {sorted(unknown)}; known: "
                        f"{sorted(allowed)}")
    out = {k: v[0] for k, v in SCENARIO_DEFAULTS[scenario].items()}
    for k, v in params.items():
        if k not in SCENARIO_DEFAULTS[scenario]:
            logger.warning("parameter %s does not apply to scenario %r and is ignored", k, scenario)
            continue
        v = float(v)
        if v <= 0 or math.isnan(v):
            raise ValueError(f"{k} must be > 0, got {v}")
        out[k] = v
    return out


def daughter_fate(nuclide: str, chelator: str | None = None, scenario: str = "internalized", *,
                  beta_release: BetaRelease | None = None,
                  stop_half_life_s: float = DEFAULT_STOP_HALF_LIFE_S,
                  **params: float) -> pd.DataFrame:
    """Where the chain members of a chelated radionuclide decay, and how much alpha energy escapes.

    Parameters
    ----------
    nuclide : str
        Parent radionuclide (``'Ac-225'``, ``'212Pb'`` ...), chelated at t = 0.
    chelator : str, optional
        Chelator name (resolved through the reference library when available). Decides the
        beta-decay release figure: DOTA-type chelators get the published 212Pb -> 212Bi value.
    scenario : {'internalized', 'surface', 'circulating'}
        ``internalized``: the conjugate is inside the target cell; released daughters stay in
        the cell unless ``cell_retention_half_time_s`` is finite, so released energy still
        reaches the target ("released" = no longer chelated, free to redistribute later).
        ``surface``: bound at the cell surface; released daughters diffuse away with mean
        residence time tau = L^2/(6 D) (``escape_distance_um`` = L,
        ``diffusion_coefficient_m2_s`` = D). ``circulating``: still in blood: every released
        daughter is off target; also reports the fraction of parent decays before target
        uptake for a first-order uptake with ``uptake_half_time_s``.
        Defaults and their sources: :data:`SCENARIO_DEFAULTS`.
    beta_release : float, mapping or callable, optional
        Probability that a beta-/EC/IT decay of a *chelated* atom releases its daughter. A
        float for all such steps, a mapping keyed ``'Pb-212->Bi-212'``, daughter or parent, or
        ``f(parent, daughter, chelator) -> p`` (the hook for the stability model). Default:
        0.36 for 212Pb -> 212Bi with DOTA-type chelators (DR01, SECONDARY) and 0.36 by analogy
        (modelling choice) for every other step.
    stop_half_life_s : float
        Long-lived members end the chain (default 1 y); their decays are not counted.
    **params
        Scenario parameters (see above).

    Returns
    -------
    DataFrame
        One row per chain member (parent first, topological order): ``nuclide``, ``role``,
        ``half_life_s``, ``half_life``, ``arrives_by`` (modes of the steps that make it),
        ``p_release_on_formation`` (probability it leaves the chelator when formed from a
        chelated parent), ``release_basis``, ``decays_per_parent_decay``,
        ``alpha_decays_per_parent_decay``, ``alpha_energy_MeV_per_parent_decay``,
        ``frac_decays_bound``, ``frac_decays_released`` (released at least once upstream),
        ``frac_decays_off_target``, ``ion`` (default ion of the element, "" if none).
        ``df.attrs`` holds the summary: ``parent``, ``chelator``, ``chelator_class``,
        ``scenario``, ``parameters`` (value and source), ``alphas_per_decay`` (Bateman,
        radioactivedecay), ``alphas_per_decay_chain_walk``, ``total_alpha_energy_MeV``,
        ``released_alpha_energy_fraction``, ``off_target_alpha_energy_fraction`` and, for
        ``circulating``, ``parent_decays_before_uptake_fraction``.

    Examples
    --------
    >>> fate = daughter_fate("Ac-225", chelator="macropa")
    >>> round(fate.attrs["alphas_per_decay"], 2)
    4.0
    """
    name = normalize_nuclide(nuclide)
    if (chelator is None and scenario == "internalized" and beta_release is None and not params
            and float(stop_half_life_s) == DEFAULT_STOP_HALF_LIFE_S):
        pre = precomputed(name, "daughter_fate")
        if pre is not None:
            return _frame(pre)
    p = _scenario_params(scenario, params)
    chel_name, chel_class = _chelator_class(chelator)
    rd = _rd()
    steps, members, terminal = _chain(name, float(stop_half_life_s))
    chain = decay_chain(name, stop_half_life_s=stop_half_life_s)
    e_alpha = {(r.parent, r.daughter): r.E_alpha_MeV for r in chain.itertuples()
               if r.mode == "alpha"}

    if scenario == "internalized":
        t = p["cell_retention_half_time_s"]
        k_esc = 0.0 if math.isinf(t) else math.log(2) / t
    elif scenario == "surface":
        tau = (p["escape_distance_um"] * 1e-6) ** 2 / (6.0 * p["diffusion_coefficient_m2_s"])
        p["mean_residence_time_s"] = tau
        k_esc = 1.0 / tau
    else:
        k_esc = math.inf

    lam = {}
    for m in members:
        hl = rd.Nuclide(m).half_life("s")
        lam[m] = 0.0 if (math.isinf(hl) or m in terminal) else math.log(2) / hl

    arr_b = dict.fromkeys(members, 0.0)
    arr_r = dict.fromkeys(members, 0.0)
    arr_o = dict.fromkeys(members, 0.0)
    arr_b[name] = 1.0
    dec_b, dec_l, dec_o = {}, {}, {}
    by_parent: dict[str, list[_Step]] = {}
    for s in steps:
        by_parent.setdefault(s.parent, []).append(s)
    p_form: dict[str, list[tuple[float, str]]] = {}
    arrives: dict[str, set[str]] = {}
    for m in members:
        if lam[m] == 0.0:  # stable or long-lived terminal: no decays counted
            dec_b[m] = dec_l[m] = dec_o[m] = 0.0
            continue
        local = 1.0 if k_esc == 0.0 else (0.0 if math.isinf(k_esc) else lam[m] / (lam[m] + k_esc))
        dec_b[m] = arr_b[m]
        dec_l[m] = arr_r[m] * local
        dec_o[m] = arr_o[m] + arr_r[m] * (1.0 - local)
        for s in by_parent.get(m, []):
            arrives.setdefault(s.daughter, set()).add(s.mode)
            if s.mode == "alpha":
                prel, basis = 1.0, "alpha recoil (~100 keV >> bond energies): always released"
            else:
                prel, basis = _beta_release_for(m, s.daughter, chel_name or None, chel_class,
                                                beta_release)
            p_form.setdefault(s.daughter, []).append((prel, basis))
            released_now = dec_b[m] * s.branching * prel
            arr_b[s.daughter] += dec_b[m] * s.branching * (1.0 - prel)
            arr_r[s.daughter] += dec_l[m] * s.branching
            arr_o[s.daughter] += dec_o[m] * s.branching
            if math.isinf(k_esc):
                arr_o[s.daughter] += released_now
            else:
                arr_r[s.daughter] += released_now

    bateman = _bateman_decays(name, float(stop_half_life_s))
    rows = []
    alpha_total = alpha_rel = alpha_off = 0.0
    n_alpha_walk = n_alpha_bateman = 0.0
    for m in members:
        n = dec_b[m] + dec_l[m] + dec_o[m]
        a_br = sum(s.branching for s in by_parent.get(m, []) if s.mode == "alpha")
        e_per = sum(s.branching * e_alpha[(m, s.daughter)] for s in by_parent.get(m, [])
                    if s.mode == "alpha")
        alpha_total += n * e_per
        alpha_rel += (dec_l[m] + dec_o[m]) * e_per
        alpha_off += dec_o[m] * e_per
        n_alpha_walk += n * a_br
        n_alpha_bateman += bateman.get(m, 0.0) * a_br
        if m in bateman and abs(bateman[m] - n) > 1e-6 * max(1.0, n):
            logger.warning("%s: chain walk gives %.6g decays, Bateman %.6g", m, n, bateman[m])
        hl = rd.Nuclide(m).half_life("s")
        forms = p_form.get(m, [])
        role = "parent" if m == name else (
            "stable" if math.isinf(hl) else ("long-lived (chain ends)" if m in terminal
                                             else "daughter"))
        rows.append({
            "nuclide": m, "role": role, "half_life_s": hl,
            "half_life": _readable_half_life(rd, m),
            "arrives_by": "/".join(sorted(arrives.get(m, set()))),
            "p_release_on_formation": (max(f[0] for f in forms) if forms else 0.0),
            "release_basis": "; ".join(sorted({f[1] for f in forms})),
            "decays_per_parent_decay": n,
            "alpha_decays_per_parent_decay": n * a_br,
            "alpha_energy_MeV_per_parent_decay": n * e_per,
            "frac_decays_bound": dec_b[m] / n if n else float("nan"),
            "frac_decays_released": (dec_l[m] + dec_o[m]) / n if n else float("nan"),
            "frac_decays_off_target": dec_o[m] / n if n else float("nan"),
            "ion": _default_ion(m),
        })
    df = pd.DataFrame(rows)
    params_out = {k: {"value": v, "source": SCENARIO_DEFAULTS[scenario].get(k, ("", "derived: "
                  "tau = L^2/(6 D)"))[1]} for k, v in p.items()}
    attrs: dict[str, Any] = {
        "parent": name, "chelator": chel_name, "chelator_class": chel_class,
        "scenario": scenario, "parameters": params_out,
        "alphas_per_decay": n_alpha_bateman, "alphas_per_decay_chain_walk": n_alpha_walk,
        "total_alpha_energy_MeV": alpha_total,
        "released_alpha_energy_fraction": alpha_rel / alpha_total if alpha_total else 0.0,
        "off_target_alpha_energy_fraction": alpha_off / alpha_total if alpha_total else 0.0,
        "data": "ICRP-107 via radioactivedecay " + _rd_version(),
    }
    if scenario == "circulating":
        k_up = math.log(2) / p["uptake_half_time_s"]
        attrs["parent_decays_before_uptake_fraction"] = lam[name] / (lam[name] + k_up)
    df.attrs.update(attrs)
    return df


def _default_ion(nuclide: str) -> str:
    from chelscreen.errors import UnsupportedMetalError
    from chelscreen.metals import default_ion_symbol

    sym = nuclide.split("-")[0]
    try:
        ion = default_ion_symbol(sym)
    except (UnsupportedMetalError, ValueError):
        return ""
    return "" if ion == "At" else ion


def decay_summary(nuclide: str, chelator: str | None = None, scenario: str = "internalized",
                  **kwargs: Any) -> dict[str, Any]:
    """JSON-ready summary of :func:`decay_chain` + :func:`daughter_fate`.

    Keys: ``parent``, ``steps`` (list of ``{parent, daughter, mode, branching, half_life_s,
    E_alpha_MeV, E_recoil_keV}``; NaN becomes None), ``alphas_per_decay``,
    ``released_alpha_energy_fraction``, ``scenario``; plus ``chelator``, ``chelator_class``,
    ``off_target_alpha_energy_fraction``, ``parameters`` and, for ``circulating``,
    ``parent_decays_before_uptake_fraction``.
    """
    fate = daughter_fate(nuclide, chelator=chelator, scenario=scenario, **kwargs)
    stop = kwargs.get("stop_half_life_s", DEFAULT_STOP_HALF_LIFE_S)
    chain = decay_chain(fate.attrs["parent"], stop_half_life_s=stop)
    cols = ["parent", "daughter", "mode", "branching", "half_life_s", "E_alpha_MeV",
            "E_recoil_keV"]

    def clean(v: Any) -> Any:
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
        if hasattr(v, "item"):
            return clean(v.item())
        return v

    steps = [{c: clean(r[c]) for c in cols} for r in chain[cols].to_dict("records")]
    a = fate.attrs
    out: dict[str, Any] = {
        "parent": a["parent"], "steps": steps, "alphas_per_decay": float(a["alphas_per_decay"]),
        "released_alpha_energy_fraction": float(a["released_alpha_energy_fraction"]),
        "scenario": a["scenario"], "chelator": a["chelator"] or None,
        "chelator_class": a["chelator_class"],
        "off_target_alpha_energy_fraction": float(a["off_target_alpha_energy_fraction"]),
        "parameters": {k: {"value": clean(v["value"]), "source": v["source"]}
                       for k, v in a["parameters"].items()},
    }
    if "parent_decays_before_uptake_fraction" in a:
        out["parent_decays_before_uptake_fraction"] = float(
            a["parent_decays_before_uptake_fraction"])
    return out


# ----------------------------------------------------------------------------------------------
# plot
# ----------------------------------------------------------------------------------------------
def plot_decay(nuclide: str, path: str | Any, chelator: str | None = None,
               scenario: str = "internalized", **kwargs: Any) -> Any:
    """PNG/SVG/PDF of a chain's activities and of where its daughters decay.

    Left: activity of every chain member vs time for 1 Bq of pure parent (Bateman, ICRP-107),
    each member with its own colour, line style and marker so that curves stay distinguishable
    in print. Right: for every member, its decays per parent decay split into *retained*
    (the atom is still chelated) and *released* (recoil or beta decay freed it), from
    :func:`daughter_fate` with ``chelator`` and ``scenario`` — the daughter fate the chelator
    cannot prevent.

    Parameters
    ----------
    nuclide : str
        Parent radionuclide (any spelling :func:`chelscreen.metals.parse_nuclide` reads).
    path : str or path-like
        Output file; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    chelator, scenario, **kwargs
        Passed to :func:`daughter_fate`.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ac225.png"
    >>> plot_decay("Ac-225", out, chelator="macropa").exists()  # doctest: +SKIP
    True
    """
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rd = _rd()
    fate = daughter_fate(nuclide, chelator=chelator, scenario=scenario, **kwargs)
    parent = fate.attrs["parent"]
    stop = kwargs.get("stop_half_life_s", DEFAULT_STOP_HALF_LIFE_S)
    curves = activity_curves(parent, stop_half_life_s=stop)
    t = np.asarray(curves.index, dtype=float)
    t_hl = rd.Nuclide(parent).half_life("s")
    unit, size = (("d", 86400.0) if t_hl >= 2 * 86400 else ("h", 3600.0) if t_hl >= 2 * 3600
                  else ("min", 60.0))
    colors = plt.get_cmap("tab10").colors
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "v", "D", "P", "X", "*", "<", ">"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    for k, col in enumerate(curves.columns):
        y = curves[col].to_numpy()
        if not np.any(y > 1e-6):
            continue
        ax.plot(t / size, np.where(y > 0, y, np.nan), color=colors[k % len(colors)],
                linestyle=styles[k % len(styles)], marker=markers[k % len(markers)],
                markevery=max(1, len(t) // 8) + k % 3, markersize=5, linewidth=1.6,
                label=f"{col} (t\u00bd {_readable_half_life(rd, col)})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 2.0)
    ax.set_xlabel(f"time after pure {parent} at t = 0 ({unit})")
    ax.set_ylabel("activity per unit initial parent activity (Bq/Bq)")
    ax.set_title(f"{parent} chain: activities (Bateman, ICRP-107)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")

    members = fate[fate["decays_per_parent_decay"].fillna(0) > 0]
    n = members["decays_per_parent_decay"].to_numpy(dtype=float)
    rel = members["frac_decays_released"].fillna(0).to_numpy(dtype=float)
    y = np.arange(len(members))[::-1]
    bx.barh(y, n * (1 - rel), color="#2b6cb0", label="retained (still chelated)")
    bx.barh(y, n * rel, left=n * (1 - rel), color="#dd6b20", hatch="//",
            edgecolor="white", label="released (free daughter)")
    alpha = members["alpha_decays_per_parent_decay"].fillna(0).to_numpy(dtype=float) > 0
    tag = " (\u03b1)"
    bx.set_yticks(y, [m + (tag if a else "") for m, a in zip(members["nuclide"], alpha)])
    bx.set_xlabel("decays per parent decay")
    a = fate.attrs
    chel = f"{a['chelator']} [{a['chelator_class']}]" if a.get("chelator") else "no chelator given"
    bx.set_title(f"daughter fate: {chel}; {a['scenario']}\n"
                 f"released \u03b1 energy fraction {a['released_alpha_energy_fraction']:.2f}",
                 fontsize=10)
    bx.legend(fontsize=8, loc="lower right")
    bx.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
