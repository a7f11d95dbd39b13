"""Scores of a chelator–radionuclide pair, their ranking, and the sentence that explains them.

Every term is a quantity a radiochemist already reasons with; the weights are fixed from the
physical argument written next to each of them (they were *not* fitted, and nothing here knows
any chelator by name). How well the resulting order reproduces published head-to-head stability
outcomes is measured by ``benchmarks/validate_ranking.py`` on ``models/validation/``.

Thermodynamics: pM at pH 7.4
    ``pM = -log10 [M]free`` for ``[M]tot = 1 µM`` and ``[L]tot = 10 µM`` (the usual pM test),
    computed exactly from the conditional constant
    ``log K' = log K - log αL(H) - log αM(OH)`` at pH 7.4, where

    * ``log K`` is the measured constant when the pair is in the training data (``logK_exp``),
      otherwise the stability model's prediction (``logK_pred``);
    * ``αL(H) = 1 + Σ_k Π_{i≤k} 10^(pKa_i - 7.4)`` uses the ligand's measured stepwise
      protonation constants when the stability model's table holds them (NIST SRD 46,
      ``models/stability/protonation.csv.gz``; column ``pKa_source`` says which), otherwise
      constants *estimated from the structure* (:func:`estimate_pkas`): basic
      aliphatic amines start at pKa 10.0 (benzylic/pyridylmethyl amines, carbamoylmethyl amines
      — glycinamide 8.0 vs methylamine 10.6 — and amines in ether-rich rings at 8.0, cyclic
      polyamines +1.5 on the first protonation) and each further amine
      protonation of the same molecule is lowered by 2.5 units (electrostatic repulsion; this
      reproduces EDTA 10.2/6.2 and DTPA 10.5/8.6/4.3 within ~1 unit and under-estimates DOTA's
      12.6/9.7); hydroxamic acids 9.0, phenols 10.0, thiols 9.5, hydroxypyridinones 6.0, and
      second phosphonate protons 6.5;
    * ``αM(OH) = 1 + β1*/[H+]`` from the ion's first hydrolysis constant (``chelscreen.metals``);
      when no constant is tabulated (Ac³⁺) no correction is made, which the row says.

    ``thermo_score = E[1 / (1 + exp(-(pM - 15) / 2))]``: at pM 15 the free fraction is 10⁻⁹,
    the level where endogenous competitors at µM–mM concentration with conditional constants of
    8–10 start to take a comparable share; each 2 pM units is a factor 100 in free metal. The
    expectation is taken over the uncertainty of log K (``logK_sd`` of the prediction, or
    0.6 — the repeat-measurement noise of the NIST data stated in the model card — for a
    measured constant), with the probit approximation
    ``E[σ(x)] ≈ σ(μ / sqrt(1 + π s² / 8))``: an out-of-domain prediction with a ±8 log-unit
    interval carries little thermodynamic evidence either way, and the score says so instead of
    trusting its point value.

Kinetic inertness
    ``inertness_struct = topology × (0.4 + 0.6 × cavity_fit) × denticity``

    * ``topology``: 0.35 acyclic, 0.70 macrocycle (≥ 9-membered ring carrying ≥ 3 donors),
      0.90 cross-bridged/cage (two large rings sharing atoms). Macrocyclic and reinforced
      complexes dissociate orders of magnitude more slowly than open-chain ones (macrocyclic
      effect; cross-bridged cyclams such as CB-TE2A are the most inert Cu(II) chelates).
    * ``cavity_fit = exp(-½ (Δr / 25 pm)²)`` for macrocycles (1 for open chains). 25 pm is
      about the La³⁺→Lu³⁺ contraction (CN 8: 116 → 97.7 pm), across which the size-match
      selectivity of crowns and cyclens inverts. ``Δr`` is the distance of the ion's radius
      (Shannon, at the ion's preferred CN) from the range of sizes the ligand can wrap:
      ``[r_hole, r_hole]`` for a ring that carries all the donors (crown ethers: an ion smaller
      than the hole forces the ring to fold, a larger one sits above it), and
      ``[r_hole, r_hole + 60 pm]`` when pendant arms carry donors (the ion may sit above a
      small ring inside the cage the arms close: the Ln–DOTA series, r 98–116 pm at CN 8, forms
      the same 8-coordinate N4O4 cage over a 38 pm hole). ``r_hole`` is
      ``ligand_features``' ``cavity_radius_pm`` (0 when the ring has no hole).
    * ``denticity = min(1, n_donors / CN)`` with CN the ion's preferred coordination number
      (``Ion.cn_preferred``, capped at 10): every coordination site left to water is a
      dissociation pathway.

    Simulation evidence (``--simulate-top``): when OpenMM features exist for a pair,
    ``inertness = inertness_struct × sqrt(donors_retained_frac)`` — a complex that loses donors
    within the fast implicit-solvent run is evidence of lability; one that keeps them all keeps
    its structural score (so simulated pairs are never favoured over unsimulated ones).

``retention_score = sqrt(thermo_score × inertness)``
    Both are needed (a thermodynamically strong but labile complex, or an inert but weak one,
    loses the metal in vivo), hence the geometric mean.

``daughter_score = 1 - released_alpha_energy_frac``
    The fraction of the chain's alpha energy that is emitted by daughters released from the
    chelate (recoil, or chemistry after β⁻/EC), from ``chelscreen.decay.daughter_fate``. 1 for
    nuclides without alpha-emitting progeny.

``labeling_score = (1 - decay_loss_frac) × (0.5 + 0.5 × mild_labeling_prob)``
    Activity surviving the suggested labeling time, and whether mild conditions (≤ 40 °C) work.

``score = retention_score × (0.5 + 0.5 × daughter_score) × (0.7 + 0.3 × labeling_score)``
    Retention of the parent is the primary requirement; daughter release can at most halve the
    useful dose; labeling can reorder close calls (a chelator that needs heating is still usable
    with peptides) but cannot overturn a retention difference. ``rank`` is 1 for the best pair
    of each radionuclide.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

PH = 7.4
M_TOT = 1e-6
L_TOT = 1e-5
PM_MID = 15.0
PM_SCALE = 2.0
MEASURED_SD = 0.6
CAVITY_SIGMA_PM = 25.0
PENDANT_REACH_PM = 60.0
TOPOLOGY_WEIGHT = {"acyclic": 0.35, "macrocycle": 0.70, "cross-bridged": 0.90}

# --------------------------------------------------------------------------------------------
# ligand structure: topology, donors, estimated protonation constants
# --------------------------------------------------------------------------------------------
_SMARTS = {
    "amine": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-O);!$([N]-[N])]",
    "amine_benzylic": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-O)]-[CH2]-a",
    "amine_amidomethyl": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-O)]-[CH2]-C(=O)[NX3]",
    "hydroxamic": "[CX3](=O)[NX3][OX2H1]",
    "phenol": "c[OX2H1]",
    "thiol": "[SX2H1]",
    "hopo": "[OX2H1][c,n]~[c,n]=,:[#8]",
    "po3h2": "[PX4](=O)([OX2H1])[OX2H1]",
    "carboxylic": "[CX3](=O)[OX2H1,OX1-]",
    "pyridine": "[nX2;r6]",
    "ether": "[OX2H0;!$(O-C=O);!$(O-[P,S])]([#6])[#6]",
    "amide_O": "[OX1]=[CX3][NX3;!$(N[OX2])]",
    "thioether": "[SX2H0]([#6])[#6]",
    "phosphinate": "[PX4;!$(P([OX2H1,OX1-])[OX2H1,OX1-])](=O)[OX2H1,OX1-]",
}


@cache
def _patt(name: str):
    from rdkit import Chem

    return Chem.MolFromSmarts(_SMARTS[name])


def _count(mol, name: str) -> int:
    return len(mol.GetSubstructMatches(_patt(name)))


def topology(mol) -> tuple[str, int]:
    """Classify a ligand as ``acyclic``, ``macrocycle`` or ``cross-bridged`` (largest ring size).

    A macrocycle is a ring of ≥ 9 atoms with ≥ 3 heteroatoms (N, O, S, P); two such rings sharing
    atoms (bicyclic cage, cross-bridge) make it ``cross-bridged``.
    """
    rings = [set(r) for r in mol.GetRingInfo().AtomRings()]
    big = []
    for r in rings:
        hetero = sum(1 for i in r if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O", "S", "P"))
        if len(r) >= 9 and hetero >= 3:
            big.append(r)
    # SSSR splits a bridged macrocycle into smaller rings: look for large rings via ring
    # systems too (atoms of fused rings whose union is large and hetero-rich)
    systems: list[set[int]] = []
    for r in rings:
        merged = [s for s in systems if len(s & r) >= 2]
        new = set(r).union(*merged) if merged else set(r)
        systems = [s for s in systems if s not in merged] + [new]
    bridged = False
    largest = max((len(r) for r in big), default=0)
    for s in systems:
        members = [r for r in rings if r <= s]
        hetero = sum(1 for i in s if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O", "S", "P"))
        if len(members) >= 2 and hetero >= 4 and len(s) >= 12:
            # a fused system with ≥ 2 rings of ≥ 8 atoms sharing ≥ 2 atoms = cage/cross-bridge
            if sum(1 for r in members if len(r) >= 8) >= 2:
                bridged = True
                largest = max(largest, len(s) - 2)
    if bridged:
        return "cross-bridged", largest
    if big:
        return "macrocycle", largest
    return "acyclic", 0


def ring_heteroatoms(mol) -> int:
    """N/O/S atoms in the largest ring (donors the ring itself can offer)."""
    rings = mol.GetRingInfo().AtomRings()
    if not rings:
        return 0
    big = max(rings, key=len)
    return sum(1 for i in big if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O", "S"))


def count_donors(mol) -> int:
    """Rough donor-atom count used only when ``ligand_features`` gives no ``n_donors``."""
    n = _count(mol, "amine") + _count(mol, "pyridine") + _count(mol, "carboxylic")
    n += 2 * _count(mol, "hydroxamic") + _count(mol, "po3h2") + _count(mol, "phosphinate")
    n += _count(mol, "ether") + _count(mol, "amide_O") + _count(mol, "thioether")
    n += 2 * _count(mol, "hopo") + _count(mol, "phenol") + _count(mol, "thiol")
    return int(n)


def estimate_pkas(mol) -> list[float]:
    """Protonation constants above ~5 estimated from the structure (documented in the module).

    Returns the estimates sorted from most to least basic. Only sites that can matter at pH 7.4
    are returned (carboxylic acids and first phosphonate protons, pKa < 5, are omitted).
    """
    topo, _ = topology(mol)
    n_amine = _count(mol, "amine")
    weak = {m[0] for m in mol.GetSubstructMatches(_patt("amine_benzylic"))}
    weak |= {m[0] for m in mol.GetSubstructMatches(_patt("amine_amidomethyl"))}
    n_benzylic = min(n_amine, len(weak))
    ether_rich = topo != "acyclic" and _count(mol, "ether") >= 2
    amine_bases: list[float] = []
    for i in range(n_amine):
        base = 8.0 if (i < n_benzylic or ether_rich) else 10.0
        amine_bases.append(base)
    amine_bases.sort(reverse=True)
    amines = []
    for k, base in enumerate(amine_bases):
        pka = base - 2.5 * k
        if k == 0 and topo != "acyclic" and not ether_rich:
            pka += 1.5
        amines.append(pka)
    others = (
        [9.0] * _count(mol, "hydroxamic")
        + [10.0] * _count(mol, "phenol")
        + [9.5] * _count(mol, "thiol")
        + [6.0] * _count(mol, "hopo")
        + [6.5] * _count(mol, "po3h2")
    )
    pkas = sorted([p for p in amines + others if p > 5.0], reverse=True)
    return [round(p, 2) for p in pkas]


def log_alpha_ligand(pkas: Sequence[float], ph: float = PH) -> float:
    """``log10 αL(H)`` of a polyprotic ligand from stepwise pKa's (most basic first)."""
    total, term = 1.0, 1.0
    for p in sorted(pkas, reverse=True):
        term *= 10.0 ** (p - ph)
        total += term
    return float(math.log10(total))


def log_alpha_hydrolysis(log_beta1_star: float | None, ph: float = PH) -> float:
    """``log10 αM(OH) = log10(1 + β1*/[H+])``; 0 when the constant is unknown."""
    if log_beta1_star is None or not np.isfinite(log_beta1_star):
        return 0.0
    return float(math.log10(1.0 + 10.0 ** (log_beta1_star + ph)))


def pm_from_logk(logk_cond: np.ndarray | float, m_tot: float = M_TOT, l_tot: float = L_TOT):
    """pM = -log10 [M]free from the exact 1:1 mass balance (vectorised)."""
    lk = np.asarray(logk_cond, dtype=float)
    k = np.power(10.0, np.clip(lk, -30, 60))
    # K (M - x)(L - x) = x  →  K x² - (K(M+L) + 1) x + K M L = 0, smaller root
    b = k * (m_tot + l_tot) + 1.0
    disc = np.maximum(b * b - 4.0 * k * k * m_tot * l_tot, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (b - np.sqrt(disc)) / (2.0 * k)
        # numerically stable form for large K: x = 2 K M L / (b + sqrt(disc))
        x_stable = 2.0 * k * m_tot * l_tot / (b + np.sqrt(disc))
    x = np.where(k > 1e3, x_stable, x)
    free = np.clip(m_tot - x, 1e-300, m_tot)
    # for very large K the subtraction loses precision: free ≈ x / (K (L - x))
    free_big = x / (k * np.maximum(l_tot - x, 1e-300))
    free = np.where(k > 1e8, free_big, free)
    out = -np.log10(free)
    return np.where(np.isfinite(lk), out, np.nan)


# --------------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------------
def _col(df: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
    return np.full(len(df), default, dtype=float)


def score_pairs(df: pd.DataFrame) -> pd.DataFrame:
    """Add the thermodynamic, inertness, retention, daughter, labeling and total scores.

    ``df`` holds one row per pair with (where known) ``logK_pred, logK_exp, log_alphaL_pH7_4,
    log_beta1_hydrolysis, topology, n_donors, ring_donors, cn_preferred, cavity_radius_pm,
    r_ionic_pm,
    sim_donors_retained_frac, released_alpha_energy_frac, mild_labeling_prob, decay_loss_frac``.
    Rows whose ``status`` is ``invalid``/``error`` get NaN scores. Returns a new DataFrame.
    """
    out = df.copy()
    ok = ~out.get("status", pd.Series("ok", index=out.index)).isin(["invalid", "error"]).to_numpy()
    logk_exp = _col(out, "logK_exp")
    logk_pred = _col(out, "logK_pred")
    logk = np.where(np.isfinite(logk_exp), logk_exp, logk_pred)
    out["logK_used"] = logk
    la_l = _col(out, "log_alphaL_pH7_4", 0.0)
    beta = _col(out, "log_beta1_hydrolysis")
    la_m = np.where(np.isfinite(beta), np.log10(1.0 + np.power(10.0, np.nan_to_num(beta) + PH)),
                    0.0)
    out["log_alphaM_pH7_4"] = la_m
    cond = logk - np.nan_to_num(la_l) - la_m
    out["logK_cond_pH7_4"] = cond
    pm = pm_from_logk(cond)
    out["pM_pH7_4"] = pm
    sd = np.where(np.isfinite(logk_exp), MEASURED_SD, _col(out, "logK_sd"))
    sd = np.where(np.isfinite(sd), np.abs(sd), 0.0)
    z = (pm - PM_MID) / PM_SCALE
    z_eff = z / np.sqrt(1.0 + np.pi * (sd / PM_SCALE) ** 2 / 8.0)
    thermo = 1.0 / (1.0 + np.exp(-z_eff))
    out["thermo_score"] = thermo

    topo = out["topology"].astype(object) if "topology" in out else pd.Series("acyclic", index=out.index)
    w_topo = np.array([TOPOLOGY_WEIGHT.get(str(t), TOPOLOGY_WEIGHT["acyclic"]) for t in topo])
    cav = np.clip(np.nan_to_num(_col(out, "cavity_radius_pm"), nan=0.0), 0.0, None)
    rion = _col(out, "r_ionic_pm")
    pendant = np.nan_to_num(_col(out, "n_donors"), nan=0.0) > np.nan_to_num(
        _col(out, "ring_donors"), nan=np.inf)
    upper = cav + np.where(pendant, PENDANT_REACH_PM, 0.0)
    dr = np.where(rion < cav, cav - rion, np.where(rion > upper, rion - upper, 0.0))
    is_macro = np.array([str(t) != "acyclic" for t in topo])
    fit = np.where(is_macro & np.isfinite(dr), np.exp(-0.5 * (dr / CAVITY_SIGMA_PM) ** 2), 1.0)
    out["cavity_mismatch_pm"] = np.where(is_macro, dr, np.nan)
    out["cavity_fit"] = fit
    n_don = _col(out, "n_donors")
    cn = np.minimum(_col(out, "cn_preferred", 9.0), 10.0)
    dent = np.clip(np.nan_to_num(n_don, nan=0.0) / np.where(cn > 0, cn, 9.0), 0.0, 1.0)
    out["denticity_fraction"] = dent
    inert_struct = w_topo * (0.4 + 0.6 * fit) * dent
    out["inertness_struct"] = inert_struct
    sim = _col(out, "sim_donors_retained_frac")
    inert = np.where(
        np.isfinite(sim), inert_struct * np.sqrt(np.clip(sim, 0.0, 1.0)), inert_struct
    )
    out["inertness"] = inert
    retention = np.sqrt(np.clip(thermo, 0, 1) * np.clip(inert, 0, 1))
    out["retention_score"] = retention

    rel = _col(out, "released_alpha_energy_frac")
    daughter = np.where(np.isfinite(rel), 1.0 - np.clip(rel, 0.0, 1.0), 1.0)
    out["daughter_score"] = daughter
    p_mild = _col(out, "mild_labeling_prob")
    loss = _col(out, "decay_loss_frac")
    lab = (1.0 - np.clip(np.nan_to_num(loss, nan=0.0), 0, 1)) * (
        0.5 + 0.5 * np.clip(np.nan_to_num(p_mild, nan=0.5), 0, 1)
    )
    out["labeling_score"] = np.where(np.isfinite(p_mild) | np.isfinite(loss), lab, np.nan)
    lab_factor = np.where(np.isfinite(p_mild) | np.isfinite(loss), 0.7 + 0.3 * lab, 1.0)
    score = retention * (0.5 + 0.5 * daughter) * lab_factor
    for name in ("thermo_score", "inertness", "retention_score", "daughter_score",
                 "labeling_score", "pM_pH7_4", "logK_cond_pH7_4", "logK_used"):
        out[name] = np.where(ok, out[name].to_numpy(dtype=float), np.nan)
    out["score"] = np.where(ok & np.isfinite(score), score, np.nan)
    return out


def add_rank(df: pd.DataFrame, by: str = "radionuclide", score: str = "score") -> pd.DataFrame:
    """``rank`` (1 = best) of each pair within its radionuclide; ties keep input order."""
    out = df.copy()
    order = np.arange(len(out))
    tmp = pd.DataFrame({"g": out[by].to_numpy(), "s": out[score].to_numpy(), "o": order})
    tmp = tmp.sort_values(["g", "s", "o"], ascending=[True, False, True], na_position="last")
    tmp["rank"] = tmp.groupby("g", sort=False).cumcount() + 1
    tmp.loc[tmp["s"].isna(), "rank"] = pd.NA
    out["rank"] = pd.array(tmp.sort_values("o")["rank"].to_numpy(), dtype="Int64")
    return out


# --------------------------------------------------------------------------------------------
# the sentence
# --------------------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def _ion_text(symbol: str) -> str:
    el = "".join(c for c in symbol if c.isalpha())
    rest = symbol[len(el):]
    return el + rest.translate(_SUPERSCRIPT)


def _fmt(x, nd: int = 1) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "?"
    return f"{v:.{nd}f}" if np.isfinite(v) else "?"


def _finite(x) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def why_sentence(row: pd.Series | dict) -> str:
    """One sentence of reasons, in words, for one scored pair."""
    r = dict(row)
    status = str(r.get("status", "ok"))
    if status in ("invalid", "error"):
        return f"not scored: {r.get('message') or status}"
    ion = _ion_text(str(r.get("metal", "")))
    parts: list[str] = []
    topo = str(r.get("topology", "acyclic"))
    n_don = r.get("n_donors")
    dent = f"{int(n_don)}-donor " if _finite(n_don) else ""
    if topo == "acyclic":
        desc = f"open-chain {dent}chelator (no macrocyclic inertness)"
    else:
        ring = r.get("macrocycle_ring_size")
        ring_txt = f"{int(ring)}-membered " if _finite(ring) and float(ring) > 0 else ""
        kind = "cross-bridged cage" if topo == "cross-bridged" else "macrocycle"
        desc = f"{dent}{ring_txt}{kind}"
        dr = r.get("cavity_mismatch_pm")
        if _finite(dr):
            fits = ("fits" if float(dr) <= 10 else
                    "loosely fits" if float(dr) <= CAVITY_SIGMA_PM else "is mismatched to")
            desc += f" whose cavity {fits} {ion} (Δr {float(dr):.0f} pm)"
    cn = r.get("cn_preferred")
    if _finite(n_don) and _finite(cn) and float(n_don) < min(float(cn), 10):
        desc += f", leaving {int(min(float(cn), 10) - float(n_don))} of {ion}'s sites to water"
    parts.append(desc)
    if _finite(r.get("pM_pH7_4")):
        parts.append(f"pM {_fmt(r.get('pM_pH7_4'))}")
    if _finite(r.get("logK_exp")):
        parts.append(f"log K {_fmt(r.get('logK_exp'))} (measured)")
    elif _finite(r.get("logK_pred")):
        dom = r.get("in_domain")
        dom_txt = "in domain" if bool(dom) and dom is not None and dom == dom else "OUT OF DOMAIN"
        note = str(r.get("domain_note") or "").strip()
        if dom_txt == "OUT OF DOMAIN" and note:
            dom_txt += f": {note}"
        sd = f" ± {_fmt(r.get('logK_sd'))}" if _finite(r.get("logK_sd")) else ""
        parts.append(f"log K {_fmt(r.get('logK_pred'))}{sd} ({dom_txt})")
    if not _finite(r.get("log_beta1_hydrolysis")):
        parts.append(f"no hydrolysis constant for {ion}, pM not hydrolysis-corrected")
    if _finite(r.get("sim_donors_retained_frac")):
        parts.append(
            f"simulation keeps {float(r['sim_donors_retained_frac']) * 100:.0f}% of donors bound"
        )
    p = r.get("mild_labeling_prob")
    if _finite(p):
        temp = r.get("suggested_temperature_C")
        tmin = r.get("suggested_time_min")
        cond = ""
        if _finite(temp) and _finite(tmin):
            where = "RT" if float(temp) <= 30 else f"{float(temp):.0f} °C"
            cond = f"; suggested {where}, {float(tmin):.0f} min"
        if float(p) >= 0.7:
            verdict = "mild labeling likely"
        elif float(p) >= 0.3:
            verdict = "mild labeling uncertain"
        else:
            verdict = "likely needs heating to label"
        parts.append(f"{verdict} (p={float(p):.2f}{cond})")
        loss = r.get("decay_loss_frac")
        if _finite(loss) and float(loss) >= 0.1:
            parts.append(f"{float(loss) * 100:.0f}% of the activity decays during labeling")
    elif str(r.get("labeling_note") or ""):
        parts.append(str(r.get("labeling_note")))
    apd = r.get("alphas_per_decay")
    rel = r.get("released_alpha_energy_frac")
    if _finite(apd) and float(apd) > 0:
        txt = f"{float(apd):.0f} α per decay" if float(apd) >= 1 else f"{float(apd):.2f} α per decay"
        if _finite(rel):
            txt += f", {float(rel) * 100:.0f}% of α energy from released daughters"
        parts.append(txt)
    elif str(r.get("daughter_note") or ""):
        parts.append(str(r.get("daughter_note")))
    return "; ".join(parts)


def add_why(df: pd.DataFrame) -> pd.DataFrame:
    """Add the ``why`` column."""
    out = df.copy()
    out["why"] = [why_sentence(r) for r in out.to_dict("records")]
    return out
