"""Daughter-aware alpha dosimetry: biokinetic compartments coupled to the decay chain.

Standard practice forwards the parent's residence time to its daughters. Here each chain member
has its own kinetics instead:

* **bound** species (the radiometal still held by the chelator on its vector) follow the
  radiopharmaceutical's compartments ``blood, tumor, kidneys, liver, other`` and leave to
  ``excreted``; the rates come from a preset (mouse / human) or the user's own values;
* a **released** atom (alpha recoil always; beta-/EC with the chelator's release probability,
  from :func:`chelscreen.decay.daughter_fate`'s rules; or the parent lost from the chelate at
  ``k_dissociation_per_d``) follows the **systemic model of its element** published by the ICRP
  (Ac: Publication 141; Bi, Pb, Ra, Th: Publication 137), entering that model in the compartment of
  the same name or tissue where it was born, else in blood;
* members of elements without such a model (Fr, At, Po, Tl, Rn in these chains) **decay at their
  site of production** — the ICRP rule for francium and astatine (Publication 141, para. 564), and
  a stated modelling choice for the sub-second Po isotopes and the minute-lived Tl and Rn isotopes.

All compartments of all members form one linear system dN/dt = A N (transfer + decay). It is solved
exactly with a matrix exponential (:func:`scipy.linalg.expm`); the time integral (cumulated
decays) comes from the same exponential of an augmented matrix (Van Loan), so no time stepping is
done by hand. Absorbed dose is alpha only, with local deposition (alpha kinetic energy + recoil
energy of every alpha step, ICRP-107 via radioactivedecay) divided by the organ mass: a
macrodosimetric mean, with no cross-organ alpha dose and no beta/gamma dose.

Every rate, fraction and mass lives in ``chelscreen/data/biokinetics.csv`` with its source (or the
word *assumption* where no published value exists, e.g. a generic vector's kinetics); any of them
can be overridden (``params={"vector.T_blood_h": 30}``, or ``--param`` on the command line).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from chelscreen._resources import data_dir
from chelscreen.errors import ChelscreenError

logger = logging.getLogger(__name__)

__all__ = ["PRESETS", "ORGANS", "dose", "activities", "organ_summary", "biokinetic_parameters",
           "dose_plot", "daughter_dose_summary"]

#: presets shipped in biokinetics.csv
PRESETS = ("mouse", "human")
#: organs that dose is reported for (``excreted`` is reported as decays only)
ORGANS = ("tumor", "blood", "kidneys", "liver", "bone", "marrow", "other", "excreted")
_VECTOR_COMPARTMENTS = ("blood", "tumor", "kidneys", "liver", "other")
_EXCRETION = {"UB-con", "RC-con", "SI-conRe", "Excreta(sweat)", "Excreta(hair,skin,nails)"}
_MEV_TO_J = 1.602176634e-13
_DAY_S = 86400.0
#: members with a half-life below ~0.06 s decay "promptly": their decay constant is capped so the
#: system stays well conditioned; their cumulated decays (= atoms formed) are unchanged
_LAM_CAP_PER_D = 1.0e6


class DosimetryError(ChelscreenError, ValueError):
    """Bad dosimetry input (unknown preset, parameter or radionuclide)."""


# ----------------------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------------------
@cache
def _table() -> pd.DataFrame:
    df = pd.read_csv(data_dir() / "biokinetics.csv", dtype=str, keep_default_na=False)
    for c in ("value", "low", "high"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def biokinetic_parameters(preset: str = "mouse") -> pd.DataFrame:
    """The parameter table behind a preset: every rate, fraction and mass with its source.

    Parameters
    ----------
    preset : {'mouse', 'human'}

    Returns
    -------
    DataFrame
        ``preset, species, kind, from_compartment, to_compartment, value, unit, low, high,
        source, quote, notes``: the ICRP element models (``preset == 'all'``) and the rows of the
        preset (vector kinetics, organ masses, scalar parameters).

    Examples
    --------
    >>> p = biokinetic_parameters("mouse")
    >>> sorted(p.loc[p.kind == "transfer", "species"].unique())
    ['Ac', 'Bi', 'Pb', 'Ra', 'Th']
    """
    if preset not in PRESETS:
        raise DosimetryError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    t = _table()
    return t[t.preset.isin(["all", preset])].reset_index(drop=True)


@dataclass
class _Params:
    scalars: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    sources: dict[str, str]
    masses_kg: dict[str, float] = field(default_factory=dict)


def _preset_params(preset: str, overrides: Mapping[str, float] | None) -> _Params:
    t = biokinetic_parameters(preset)
    rows = t[t.kind.isin(["vector", "param", "mass"])]
    scalars, ranges, sources = {}, {}, {}
    for r in rows.itertuples():
        key = f"{r.kind}.{r.from_compartment}" if r.kind != "mass" else f"mass.{r.from_compartment}"
        scalars[key] = float(r.value)
        if np.isfinite(r.low) and np.isfinite(r.high):
            ranges[key] = (float(r.low), float(r.high))
        sources[key] = r.source
    for k, v in (overrides or {}).items():
        if k not in scalars:
            known = ", ".join(sorted(scalars))
            raise DosimetryError(f"unknown dosimetry parameter {k!r}; known: {known}")
        v = float(v)
        if not math.isfinite(v) or v < 0:
            raise DosimetryError(f"parameter {k} must be a finite number >= 0, got {v}")
        scalars[k] = v
        ranges.pop(k, None)
        sources[k] = "user value"
    masses = {k.split(".", 1)[1]: v for k, v in scalars.items() if k.startswith("mass.")}
    return _Params(scalars, ranges, sources, masses)


@cache
def _element_model(symbol: str) -> tuple[dict[str, str], list[tuple[str, str, float]]]:
    """(compartment -> ICRP region, transfers) of the ICRP systemic model of an element."""
    t = _table()
    sub = t[t.species == symbol]
    regions = {r.from_compartment: r.to_compartment for r in sub[sub.kind == "region"].itertuples()}
    transfers = [(r.from_compartment, r.to_compartment, float(r.value))
                 for r in sub[sub.kind == "transfer"].itertuples()]
    return regions, transfers


def _organ_of_region(region: str) -> str:
    r = region.lower()
    if r == "blood":
        return "blood"
    if "bone-s" in r or "bone-v" in r:
        return "bone"
    if "marrow" in r:
        return "marrow"
    if r in ("liver", "kidneys"):
        return r
    return "other"


def _element(nuclide: str) -> str:
    return nuclide.split("-")[0]


# ----------------------------------------------------------------------------------------------
# the linear system
# ----------------------------------------------------------------------------------------------
@dataclass
class _System:
    states: list[tuple[str, str, str]]          # (nuclide, form, compartment)
    organ: list[str]                            # organ of each state
    A: np.ndarray                               # dN/dt = A N, per day
    lam: np.ndarray                             # decay constant of each state, per day
    e_alpha_J: np.ndarray                       # alpha energy per decay of each state


@cache
def _chain_data(nuclide: str):
    """Chain steps, members, decay constants (per day) and alpha energy per decay of each member;
    computed once per nuclide (every parameter sample reuses it)."""
    from chelscreen import decay

    name = decay.normalize_nuclide(nuclide)
    steps, members, terminal = decay._chain(name, decay.DEFAULT_STOP_HALF_LIFE_S)
    chain = decay.decay_chain(name)
    rd = decay._rd()
    lam = {}
    for m in members:
        hl = rd.Nuclide(m).half_life("s")
        lam[m] = 0.0 if (math.isinf(hl) or m in terminal) else min(
            math.log(2) / hl * _DAY_S, _LAM_CAP_PER_D)
    e_alpha = dict.fromkeys(members, 0.0)
    for r in chain.itertuples():
        if r.mode == "alpha":
            e = float(r.E_alpha_MeV) + float(r.E_recoil_keV) / 1000.0
            e_alpha[r.parent] += float(r.branching) * e * _MEV_TO_J
    return name, steps, members, lam, e_alpha


@cache
def _chelator_class(chelator: str | None) -> tuple[str, str]:
    from chelscreen import decay

    return decay._chelator_class(chelator)


def _build(nuclide: str, p: _Params, chelator: str | None) -> _System:
    from chelscreen import decay

    name, steps, members, lam, e_alpha = _chain_data(nuclide)
    chel_name, chel_class = _chelator_class(chelator)
    s = p.scalars
    states: list[tuple[str, str, str]] = []
    organ: list[str] = []
    index: dict[tuple[str, str, str], int] = {}

    def add(nuc: str, form: str, comp: str, org: str) -> int:
        key = (nuc, form, comp)
        if key not in index:
            index[key] = len(states)
            states.append(key)
            organ.append(org)
        return index[key]

    modelled = {}
    for m in members:
        for c in (*_VECTOR_COMPARTMENTS, "excreted"):
            add(m, "bound", c, c)
        el = _element(m)
        regions, transfers = _element_model(el)
        add(m, "free", "@tumor", "tumor")
        if regions:
            modelled[m] = (regions, transfers)
            for comp, reg in regions.items():
                add(m, "free", comp, _organ_of_region(reg))
        else:  # decays where it is produced
            for o in ORGANS:
                add(m, "free", "@" + o, o)
        add(m, "free", "excreted", "excreted")

    n = len(states)
    A = np.zeros((n, n))

    def flow(i: int, j: int, k: float) -> None:
        if k > 0 and i != j:
            A[j, i] += k
            A[i, i] -= k

    def blood_of(m: str) -> str:
        regions = modelled[m][0]
        for c in ("Blood", "Plasma"):
            if c in regions:
                return c
        return next(iter(regions))

    def entry(m: str, comp: str, org: str) -> int:
        """State a free atom of member m enters when born in compartment comp / organ org."""
        if org in ("excreted", "tumor"):
            return index[(m, "free", "@" + org if org == "tumor" else org)]
        if m in modelled:
            regions = modelled[m][0]
            if comp in regions:
                return index[(m, "free", comp)]
            for c, reg in regions.items():
                if _organ_of_region(reg) == org:
                    return index[(m, "free", c)]
            return index[(m, "free", blood_of(m))]
        return index[(m, "free", "@" + org)]

    # vector kinetics of bound species (the same for every member: the chelate moves as a whole)
    t_blood = s["vector.T_blood_h"] / 24.0
    k_out_blood = math.log(2) / t_blood if t_blood > 0 else 0.0
    fr = {c: s[f"vector.f_blood_to_{c}"] for c in ("tumor", "kidneys", "liver", "other",
                                                   "excreted")}
    tot = sum(fr.values())
    if tot <= 0:
        raise DosimetryError("the vector's clearance fractions (vector.f_blood_to_*) sum to 0")
    t_free_tumor = s["param.T_free_in_tumor_h"] / 24.0
    for m in members:
        b = index[(m, "bound", "blood")]
        for c, f in fr.items():
            flow(b, index[(m, "bound", c)], k_out_blood * f / tot)
        for c in ("tumor", "kidneys", "liver", "other"):
            th = s[f"vector.T_{c}_h"] / 24.0
            if th > 0:
                dest = "blood" if c == "other" else "excreted"
                flow(index[(m, "bound", c)], index[(m, "bound", dest)], math.log(2) / th)
        # loss of the metal from the chelate in vivo (demetallation/transchelation)
        kd = s["param.k_dissociation_per_d"]
        for c in _VECTOR_COMPARTMENTS:
            flow(index[(m, "bound", c)], entry(m, c, c), kd)
        # a free atom of a modelled element leaves the tumour to blood
        if m in modelled and t_free_tumor > 0:
            flow(index[(m, "free", "@tumor")], index[(m, "free", blood_of(m))],
                 math.log(2) / t_free_tumor)
    # free-element kinetics (ICRP)
    for m, (regions, transfers) in modelled.items():
        for a, b_, k in transfers:
            i = index[(m, "free", a)]
            j = (index[(m, "free", "excreted")] if b_ in _EXCRETION or b_ not in regions
                 else index[(m, "free", b_)])
            flow(i, j, k)

    # decay: parent state -> daughter states
    br = s.get("param.beta_release", float("nan"))
    br = br if math.isfinite(br) else None
    f_ret = s["param.f_released_retained_in_tumor"]
    lam_state = np.array([lam[st[0]] for st in states])
    for i, (m, form, comp) in enumerate(states):
        lm = lam[m]
        if lm == 0.0:
            continue
        A[i, i] -= lm
        org = organ[i]
        for st in (x for x in steps if x.parent == m):
            d = st.daughter
            if d not in lam:
                continue
            rate = lm * st.branching
            if form != "bound":
                A[entry(d, comp, org), i] += rate
                continue
            if st.mode == "alpha":
                p_rel = 1.0
            else:
                p_rel, _ = decay._beta_release_for(m, d, chel_name or None, chel_class, br)
            A[index[(d, "bound", comp)], i] += rate * (1.0 - p_rel)
            if p_rel <= 0:
                continue
            if comp == "tumor" and d in modelled:
                # released inside the tumour: a fraction stays there as a free atom
                A[index[(d, "free", "@tumor")], i] += rate * p_rel * f_ret
                A[index[(d, "free", blood_of(d))], i] += rate * p_rel * (1.0 - f_ret)
            else:
                A[entry(d, comp, org), i] += rate * p_rel
    e = np.array([e_alpha[st[0]] for st in states])
    return _System(states, organ, A, lam_state, e)


def _cumulated(A: np.ndarray, n0: np.ndarray, t_end_d: float) -> np.ndarray:
    """Integral of N(t) from 0 to t_end (atom-days) by the Van Loan augmented exponential."""
    from scipy.linalg import expm

    n = A.shape[0]
    if not math.isfinite(t_end_d):
        # all states decay or leave: integral = -A^-1 n0 (A is invertible when every state has
        # a finite outflow; stable/long-lived members have lam = 0 and are excluded upstream)
        return np.linalg.solve(-A, n0)
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = A
    M[:n, n] = n0
    E = expm(M * t_end_d)
    return E[:n, n]


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def dose(radionuclide: str, chelator: str | None = None, *, preset: str = "mouse",
         params: Mapping[str, float] | None = None, t_end_h: float = math.inf,
         n_samples: int = 200, seed: int = 0) -> pd.DataFrame:
    """Cumulated decays and alpha absorbed dose per organ, split into parent and each daughter.

    Parameters
    ----------
    radionuclide : str
        Parent radionuclide, chelated on its vector at t = 0 (``'Ac-225'``, ``'Pb-212'``, ...).
    chelator : str, optional
        Chelator name; decides the release probability after beta-/EC steps (the rules of
        :func:`chelscreen.decay.daughter_fate`). Alpha recoil always releases.
    preset : {'mouse', 'human'}
        Organ masses and the vector's default kinetics (see :func:`biokinetic_parameters`).
    params : mapping, optional
        Overrides, keyed as in the table: ``'vector.T_blood_h'``, ``'vector.f_blood_to_tumor'``,
        ``'param.k_dissociation_per_d'``, ``'param.f_released_retained_in_tumor'``,
        ``'mass.kidneys'`` (kg) ...
    t_end_h : float
        Integration time (default: to complete decay).
    n_samples : int
        Samples of the parameters that carry a range (log-uniform between low and high) for the
        90 % intervals; 0 for the point estimate only.
    seed : int
        Seed of the sampling.

    Returns
    -------
    DataFrame
        One row per (organ, nuclide, form): ``organ, nuclide``, ``form`` (``bound``: still in
        the chelate on its vector; ``released``: a free atom), ``decays_per_MBq``,
        ``alpha_energy_J_per_MBq``,
        ``mass_kg``, ``dose_Gy_per_MBq`` (NaN where no organ mass is known), ``dose_lo90``,
        ``dose_hi90``, ``is_parent``. ``df.attrs`` holds ``offtarget_alpha_fraction`` (share of the
        chain's alpha energy deposited outside the tumour) and its interval, the preset, the
        chelator and the assumptions.

    Examples
    --------
    >>> d = dose("Ac-225", chelator="macropa", preset="mouse", n_samples=0)
    >>> round(float(d.attrs["offtarget_alpha_fraction"]), 2) >= 0
    True
    """
    from chelscreen import decay

    try:
        name = decay.normalize_nuclide(radionuclide)
    except Exception as exc:  # noqa: BLE001 - turn any parser error into one line
        raise DosimetryError(f"unknown radionuclide {radionuclide!r}: {exc}") from None
    base = _preset_params(preset, params)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small dense systems: threads only add overhead
        return _dose(name, chelator, base, t_end_h, n_samples, seed)


def _dose(name: str, chelator: str | None, base: _Params, t_end_h: float, n_samples: int,
          seed: int) -> pd.DataFrame:
    point = _run(name, chelator, base, t_end_h)
    out = point.copy()
    if n_samples and base.ranges:
        rng = np.random.default_rng(seed)
        doses, fracs, totals = [], [], []
        for _ in range(int(n_samples)):
            s = dict(base.scalars)
            for k, (lo, hi) in base.ranges.items():
                if lo > 0 and hi > 0:
                    s[k] = float(np.exp(rng.uniform(math.log(lo), math.log(hi))))
                else:
                    s[k] = float(rng.uniform(lo, hi))
            pp = _Params(s, {}, base.sources, {k.split(".", 1)[1]: v for k, v in s.items()
                                               if k.startswith("mass.")})
            r = _run(name, chelator, pp, t_end_h)
            doses.append(r["dose_Gy_per_MBq"].to_numpy())
            fracs.append(r.attrs["offtarget_alpha_fraction"])
            totals.append(r.groupby("organ")["dose_Gy_per_MBq"].sum(min_count=1))
        arr = np.vstack(doses)
        import warnings

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # organs without a mass: all NaN
            out["dose_lo90"] = np.nanpercentile(arr, 5, axis=0)
            out["dose_hi90"] = np.nanpercentile(arr, 95, axis=0)
        out.attrs["offtarget_alpha_fraction_90"] = (float(np.percentile(fracs, 5)),
                                                    float(np.percentile(fracs, 95)))
        tt = pd.DataFrame(totals)
        out.attrs["organ_total_lo90"] = tt.quantile(0.05).to_dict()
        out.attrs["organ_total_hi90"] = tt.quantile(0.95).to_dict()
    else:
        out["dose_lo90"] = np.nan
        out["dose_hi90"] = np.nan
    keep = {k: v for k, v in out.attrs.items() if k.startswith(("organ_total", "offtarget"))}
    out.attrs.update(point.attrs)
    out.attrs.update(keep)
    out.attrs["parameters"] = {k: (v, base.sources.get(k, "")) for k, v in base.scalars.items()}
    return out


def _run(name: str, chelator: str | None, p: _Params, t_end_h: float) -> pd.DataFrame:
    sysm = _build(name, p, chelator)
    n = len(sysm.states)
    n0 = np.zeros(n)
    i0 = sysm.states.index((name, "bound", "blood"))
    lam0 = sysm.lam[i0]
    n0[i0] = 1e6 * _DAY_S / lam0  # atoms for 1 MBq (lam per day)
    # states that never decay (stable end members) make A singular: integrate only the rest
    live = sysm.lam > 0
    A = sysm.A[np.ix_(live, live)]
    integ = np.zeros(n)
    integ[live] = _cumulated(A, n0[live], t_end_h / 24.0)
    decays = integ * sysm.lam  # decays (lam per day x atom-days)
    energy = decays * sysm.e_alpha_J
    df = pd.DataFrame({"organ": sysm.organ, "nuclide": [s[0] for s in sysm.states],
                       "form": [s[1] for s in sysm.states],
                       "decays_per_MBq": decays, "alpha_energy_J_per_MBq": energy})
    df["form"] = df["form"].map({"bound": "bound", "free": "released"})
    g = df.groupby(["organ", "nuclide", "form"], sort=False, as_index=False).sum()
    g["organ"] = pd.Categorical(g["organ"], ORGANS, ordered=True)
    g = g.sort_values(["organ"], kind="stable").reset_index(drop=True)
    g["organ"] = g["organ"].astype(str)
    g["mass_kg"] = g["organ"].map(p.masses_kg).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["dose_Gy_per_MBq"] = g["alpha_energy_J_per_MBq"] / g["mass_kg"]
    g["is_parent"] = g["nuclide"] == name
    total = float(g["alpha_energy_J_per_MBq"].sum())
    tumor = float(g.loc[g.organ == "tumor", "alpha_energy_J_per_MBq"].sum())
    g.attrs = {
        "radionuclide": name, "chelator": chelator or "",
        "total_alpha_energy_J_per_MBq": total,
        "offtarget_alpha_fraction": (total - tumor) / total if total > 0 else float("nan"),
        "assumptions": (
            "alpha only, local deposition, organ-mean dose; vector kinetics first-order; free "
            "atoms follow the ICRP adult systemic model of their element (also for the mouse "
            "preset); Fr/At/Po/Tl/Rn decay at their site of production"),
    }
    return g


def activities(radionuclide: str, times_h, chelator: str | None = None, *,
               preset: str = "mouse", params: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Activity (Bq per MBq administered) of every nuclide by organ and form at given times.

    Parameters
    ----------
    radionuclide, chelator, preset, params
        As in :func:`dose`.
    times_h : sequence of float
        Times after administration (h).

    Returns
    -------
    DataFrame
        ``time_h, organ, nuclide, form, activity_Bq_per_MBq`` (``form``: bound / released).

    Examples
    --------
    >>> a = activities("Pb-212", [4.0], "DOTA")
    >>> bool((a["activity_Bq_per_MBq"] >= 0).all())
    True
    """
    from scipy.linalg import expm
    from threadpoolctl import threadpool_limits

    from chelscreen import decay

    name = decay.normalize_nuclide(radionuclide)
    p = _preset_params(preset, params)
    rows = []
    with threadpool_limits(1):
        sysm = _build(name, p, chelator)
        n0 = np.zeros(len(sysm.states))
        i0 = sysm.states.index((name, "bound", "blood"))
        n0[i0] = 1e6 * _DAY_S / sysm.lam[i0]
        for t in times_h:
            n_t = expm(sysm.A * (float(t) / 24.0)) @ n0
            act = n_t * sysm.lam / _DAY_S
            for (nuc, form, _), org, a in zip(sysm.states, sysm.organ, act, strict=True):
                rows.append((float(t), org, nuc, "bound" if form == "bound" else "released", a))
    df = pd.DataFrame(rows, columns=["time_h", "organ", "nuclide", "form",
                                     "activity_Bq_per_MBq"])
    return df.groupby(["time_h", "organ", "nuclide", "form"], sort=False,
                      as_index=False).sum()


#: chelator classes whose :func:`daughter_dose_summary` (human preset) ``nuclide_terms.json``
#: holds, and a chelator of each (``None``: no chelator named; DOTA for the DOTA-type class)
DOSE_SUMMARY_CLASSES: dict[str, str | None] = {
    "none": None, "DOTA-type": "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"}


@cache
def daughter_dose_summary(radionuclide: str, chelator: str | None = None,
                          preset: str = "human") -> dict[str, float]:
    """Where the released daughters' alpha energy goes, for the ranking's ``why`` sentence.

    Returns
    -------
    dict
        ``released_offtarget_frac`` (share of the chain's alpha energy deposited outside the
        tumour by daughters that left the chelate), ``kidneys_released_Gy_per_MBq``,
        ``marrow_released_Gy_per_MBq`` (NaN without a sourced mass), ``top_organ`` (organ with
        the largest released-daughter energy outside the tumour) and ``top_organ_frac``.

    Examples
    --------
    >>> s = daughter_dose_summary("Ac-225", "DOTA")
    >>> 0 <= s["released_offtarget_frac"] <= 1
    True
    """
    from chelscreen import decay

    if preset == "human":  # precomputed per chelator class (the only way the chelator enters)
        name = decay.normalize_nuclide(radionuclide)
        cls = "none" if chelator is None else _chelator_class(chelator)[1]
        pre = decay.precomputed(name, "dose_summary") if cls in DOSE_SUMMARY_CLASSES else None
        if pre is not None and cls in pre:
            return pre[cls]
    d = dose(radionuclide, chelator, preset=preset, n_samples=0)
    total = float(d["alpha_energy_J_per_MBq"].sum())
    rel = d[(d["form"] == "released") & (d["organ"] != "tumor")]
    by_organ = rel.groupby("organ")["alpha_energy_J_per_MBq"].sum()
    by_organ = by_organ.drop("excreted", errors="ignore")
    dose_rel = rel.groupby("organ")["dose_Gy_per_MBq"].sum(min_count=1)
    top = str(by_organ.idxmax()) if len(by_organ) and by_organ.max() > 0 else ""
    return {
        "released_offtarget_frac": float(by_organ.sum() / total) if total > 0 else float("nan"),
        "kidneys_released_Gy_per_MBq": float(dose_rel.get("kidneys", float("nan"))),
        "marrow_released_Gy_per_MBq": float(dose_rel.get("marrow", float("nan"))),
        "top_organ": top,
        "top_organ_frac": float(by_organ.get(top, 0.0) / total) if top and total > 0 else 0.0,
    }


def organ_summary(d: pd.DataFrame) -> pd.DataFrame:
    """Organ table of alpha dose (Gy/MBq): parent, daughters in the chelate, released daughters.

    ``released_share`` is the share of the organ's dose from daughters that left the chelate
    (by recoil or after beta decay) — the dose standard practice misplaces by forwarding the
    parent's residence time to the daughters.

    Examples
    --------
    >>> s = organ_summary(dose("Pb-212", preset="mouse", n_samples=0))
    >>> list(s.columns)[:3]
    ['parent', 'daughters_bound', 'daughters_released']
    """
    parent = d.attrs.get("radionuclide", "")
    part = np.where(d["nuclide"] == parent, "parent",
                    np.where(d["form"] == "released", "daughters_released", "daughters_bound"))
    x = d.assign(part=part)
    tab = (x.groupby(["organ", "part"], sort=False)["dose_Gy_per_MBq"].sum(min_count=1)
           .unstack("part"))
    for c in ("parent", "daughters_bound", "daughters_released"):
        if c not in tab.columns:
            tab[c] = np.nan
    has_mass = x.groupby("organ")["mass_kg"].first().notna()
    tab.loc[has_mass.reindex(tab.index).to_numpy(), ["parent", "daughters_bound",
                                                     "daughters_released"]] = tab.loc[
        has_mass.reindex(tab.index).to_numpy(), ["parent", "daughters_bound",
                                                 "daughters_released"]].fillna(0.0)
    tab["total"] = tab[["parent", "daughters_bound", "daughters_released"]].sum(axis=1,
                                                                              min_count=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tab["released_share"] = tab["daughters_released"] / tab["total"]
    lo = d.groupby("organ")["dose_lo90"].sum(min_count=1) if "dose_lo90" in d else None
    cols = ["parent", "daughters_bound", "daughters_released", "total", "released_share"]
    tab = tab[cols].reindex([o for o in ORGANS if o in tab.index and o != "excreted"])
    if lo is not None:
        tab["total_lo90"] = _interval(d, "lo")
        tab["total_hi90"] = _interval(d, "hi")
    return tab


def _interval(d: pd.DataFrame, which: str) -> pd.Series:
    """Organ-total interval from the sampled organ totals stored by :func:`dose`."""
    store = d.attrs.get(f"organ_total_{which}90", {})
    return pd.Series(store, dtype=float)


def dose_plot(d: pd.DataFrame, path: Any = None):
    """Stacked bars of organ alpha dose by nuclide (Gy/MBq); returns the matplotlib Figure.

    Examples
    --------
    >>> fig = dose_plot(dose("Ac-225", preset="mouse", n_samples=0))  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    x = d[d["mass_kg"].notna() & (d["organ"] != "excreted")]
    tab = x.pivot_table(index="organ", columns="nuclide", values="dose_Gy_per_MBq",
                        aggfunc="sum", sort=False).fillna(0.0)
    tab = tab.loc[:, tab.sum() > 0]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    bottom = np.zeros(len(tab))
    cmap = plt.get_cmap("tab10")
    for k, nuc in enumerate(tab.columns):
        ax.bar(tab.index, tab[nuc].to_numpy(), bottom=bottom, label=nuc, color=cmap(k % 10),
               hatch=("//" if k >= 10 else None))
        bottom += tab[nuc].to_numpy()
    ax.set_ylabel("alpha absorbed dose (Gy per MBq)")
    title = f"{d.attrs.get('radionuclide', '')}"
    if d.attrs.get("chelator"):
        title += f" – {d.attrs['chelator']}"
    ax.set_title(title + " (alpha only, local deposition)")
    ax.legend(title="decaying nuclide", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
