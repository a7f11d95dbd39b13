"""Build the stability-constant training table from the raw public sources.

This is a *build* script: it reads the raw data folder given on the command line (the shared
``data/raw`` snapshot described in its ``PROVENANCE.md``) and writes compressed tables under
``models/stability/``. The installed package never calls it and never reads the raw folder.

Run::

    python -m chelscreen.model.dataset --raw ../shared/data/raw --out models/stability/training_table.csv.gz

Outputs (next to ``--out``):

``training_table.csv.gz``
    one row per (canonical ligand, metal ion, ionic-strength bucket): ``smiles``, ``metal``,
    ``ionic_strength`` (mol/L; NaN when the source gives none), ``I_bucket``, ``logK`` (median of
    the merged measurements), ``logK_sd_rep`` (spread of repeats), ``n_measurements``,
    ``censored`` ("" / ">" / "<"), ``source`` (``NIST_SRD46``, ``SATCMF``, ``CMI_IUPAC_v2``),
    ``source_id`` (semicolon-joined raw row ids), ``nist_ligand_id`` and ``ligand_name``.
``conflicts.csv``
    pairs whose values disagree by more than 3 log units and which value was kept (and why).
``protonation.csv.gz``
    per training ligand: stepwise protonation constants (log K_H) from the NIST
    ``[H_nL]/[H_(n-1)L][H]`` rows and basicity summaries.
``ions.csv``
    metal-ion descriptors (Shannon radii, ionization energies, Pauling electronegativity) from the
    mendeleev 1.3.0 export, for every metal in the table.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

NIST_CSV = "nist_srd46/derived/nist_srd46_K_25C_from_logK25_chunks.csv"
NIST_SDF = "nist_srd46/derived/nist_srd46_ligand_structures.sdf"
SATCMF_CSV = "satcmf/dataset.csv"
CMI_IUPAC_V2 = "cmi_logkpredict/IUPAC_v2_ML_inp_train.csv"

ML_DEFINITION = "[ML]/[M][L]"
#: ionic strength (mol/L) given to rows whose source states none (flagged ``I_imputed``) and the
#: default of every prediction
IMPUTED_IONIC_STRENGTH = 0.1
#: two values of one (ligand, metal) pair further apart than this (log units) are a conflict
CONFLICT_SPREAD = 3.0
#: ionic strength (mol/L) to which values are brought (Davies) before they are compared for
#: conflicts, and the highest ionic strength the Davies equation is applied at
CONFLICT_REFERENCE_I = 0.1
DAVIES_MAX_I = 0.5
#: source preference when two conflicting values are equally supported
SOURCE_PRIORITY = {"literature": 0, "NIST_SRD46": 1, "SATCMF": 2, "CMI_IUPAC_v2": 3}
LITERATURE_CSV = "molecules/stability_literature.csv"
# stepwise protonation: [HL]/[L][H], [H<sub>2</sub>L]/[HL][H], ...
_PROT_RE = re.compile(r"^\[H(?:<sub>(\d+)</sub>)?L\]/\[(?:H(?:<sub>(\d+)</sub>)?)?L\]\[H\]$")
_SIMPLE_ION_RE = re.compile(r"^([A-Z][a-z]?)(\d*)\+$")
_FORMULA_RE = re.compile(r"([A-Z][a-z]?)(\d*)")

#: ionic-strength buckets (mol/L): upper edges and labels
I_BUCKETS = [(0.05, "0"), (0.3, "0.1"), (0.75, "0.5"), (1.5, "1"), (3.5, "2-3"), (np.inf, ">3")]


def ionic_strength_bucket(value: float) -> str:
    """Label of the ionic-strength bucket that ``value`` (mol/L) falls in; "na" for NaN."""
    if value is None or not np.isfinite(value):
        return "na"
    for edge, label in I_BUCKETS:
        if value < edge:
            return label
    return ">3"


def canonical_ion(element: str, charge: int) -> str:
    """``Cu`` + 2 → ``"Cu2+"``; ``Ag`` + 1 → ``"Ag+"`` (chelscreen's canonical ion spelling)."""
    return f"{element}{charge if charge != 1 else ''}+"


def parse_nist_metal(text: str) -> str | None:
    """Canonical ion for a simple NIST cation (``Cu2+``, ``Ag+``); None for oxo/organometallics."""
    m = _SIMPLE_ION_RE.match(str(text).strip())
    if not m:
        return None
    from rdkit import Chem

    element = m.group(1)
    if Chem.GetPeriodicTable().GetAtomicNumber(element) <= 0 or element in {"H", "D"}:
        return None
    charge = int(m.group(2) or 1)
    return canonical_ion(element, charge)


def parse_formula(formula: str) -> Counter:
    """Element counts of a NIST formula such as ``C10H16N2O8`` or ``N1O3/-`` (charge dropped)."""
    body = str(formula).split("/")[0]
    counts: Counter = Counter()
    for el, n in _FORMULA_RE.findall(body):
        counts[el] += int(n) if n else 1
    return counts


def heavy_formula(counts: Counter) -> dict[str, int]:
    return {el: n for el, n in counts.items() if el not in ("H", "D") and n > 0}


def mol_formula_counts(mol) -> Counter:
    """Element counts (with implicit H) of an RDKit molecule."""
    counts: Counter = Counter()
    for atom in mol.GetAtoms():
        counts[atom.GetSymbol()] += 1
        counts["H"] += atom.GetTotalNumHs()
    return counts


# --------------------------------------------------------------------------------------------
# NIST
# --------------------------------------------------------------------------------------------


#: NIST molfiles that are wrong although their formula fits; the structure written out from the
#: NIST ligand name (systematic name -> structure, no literature number involved)
STRUCTURE_OVERRIDES: dict[int, tuple[str, str]] = {
    7677: (
        "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1",
        "NIST molfile is a tetrakis(acetohydrazide) isomer (N-N bonds); structure from the NIST "
        "name '1,4,7,10-tetraazacyclododecane-1,4,7,10-tetraacetic acid tetraamide (DOTAM)'; "
        "NIST formula C16H32N8O2 is a typo for C16H32N8O4",
    ),
}


def _formula_text(counts: dict) -> str:
    return "".join(f"{el}{counts[el]}" for el in sorted(counts))


#: atomic numbers of the non-metals and metalloids a metal-free ligand may contain (H, He, B, C,
#: N, O, F, Ne, Si, P, S, Cl, Ar, As, Se, Br, Kr, Te, I, Xe)
NONMETALS = frozenset({1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 33, 34, 35, 36, 52, 53, 54})


def load_nist_structures(raw: Path) -> pd.DataFrame:
    """Decode the NIST ligand SDF, check each molfile against the NIST formula, standardize.

    Returns one row per NIST ligand id with ``smiles`` (canonical neutral acid form) or an empty
    string and a ``structure_note`` saying what was found:

    * heavy-atom formula of the molfile (or of its standardized form, which drops a chloride
      counter-ion) equal to NIST's: kept;
    * exactly one element count differs: the NIST formula has a typo (reviewed on the names:
      5-phenylpentanoic acid is C11 not C12, isonicotinic acid O2 not O3, DTMA O4 not O2 ...),
      the molfile is kept and the typo recorded (``NIST formula typo``);
    * :data:`STRUCTURE_OVERRIDES`: the molfile itself is wrong, the structure from the name is
      used (DOTAM);
    * more than one element differs: dropped (``heavy-atom formula mismatch``);
    * a metal atom bonded in the molfile (a complex ion such as hexacyanoferrate(II), whose
      standardized "ligand" would be cyanide): dropped (``metal-containing ligand``).
    """
    from rdkit import Chem, RDLogger

    from chelscreen.model.features import standardize_mol

    RDLogger.DisableLog("rdApp.*")
    rows = []
    suppl = Chem.SDMolSupplier(str(raw / NIST_SDF), sanitize=False, removeHs=False)
    for rec in suppl:
        if rec is None:
            continue
        lig_id = int(rec.GetProp("nist_ligand_id"))
        formula = rec.GetProp("nist_formula") if rec.HasProp("nist_formula") else ""
        note, smiles = "", ""
        if lig_id in STRUCTURE_OVERRIDES:
            smi, why = STRUCTURE_OVERRIDES[lig_id]
            rows.append((lig_id, formula, standardize_mol(Chem.MolFromSmiles(smi)),
                         f"structure override: {why}"))
            continue
        try:
            mol = Chem.Mol(rec)
            Chem.SanitizeMol(mol)
            mol = Chem.RemoveHs(mol)
        except Exception as exc:  # noqa: BLE001 - RDKit raises many types
            rows.append((lig_id, formula, "", f"molfile does not sanitize: {exc}"))
            continue
        bonded_metal = sorted({a.GetSymbol() for a in mol.GetAtoms()
                               if a.GetAtomicNum() not in NONMETALS and a.GetDegree() > 0})
        if bonded_metal:
            # a complex ion or metallate (hexacyanoferrate, octacyanotungstate, vanadate …):
            # the standardizer splits the metal off, which leaves another ligand (cyanide)
            rows.append((lig_id, formula, "", f"metal-containing ligand "
                         f"({', '.join(bonded_metal)} bonded in the molfile): a complex ion, "
                         "not a metal-free ligand; dropped"))
            continue
        want = heavy_formula(parse_formula(formula))
        got = heavy_formula(mol_formula_counts(mol))
        try:
            std = standardize_mol(mol)
        except Exception as exc:  # noqa: BLE001
            rows.append((lig_id, formula, "", f"standardization failed: {exc}"))
            continue
        got_std = heavy_formula(mol_formula_counts(Chem.MolFromSmiles(std)))
        if not want:
            note = "no NIST formula"
        elif want == got or want == got_std:
            h_want = parse_formula(formula).get("H", 0)
            h_got = mol_formula_counts(mol).get("H", 0)
            if h_want != h_got:
                note = f"H count differs (molfile {h_got}, NIST {h_want}); fixed by standardization"
            smiles = std
        else:
            diff = {e for e in set(want) | set(got_std) if want.get(e, 0) != got_std.get(e, 0)}
            if len(diff) == 1:
                smiles = std
                note = (f"NIST formula typo (molfile kept): NIST {_formula_text(want)} vs "
                        f"molfile {_formula_text(got_std)}")
            else:
                note = (f"heavy-atom formula mismatch: molfile {_formula_text(got_std)} vs NIST "
                        f"{_formula_text(want)}")
        rows.append((lig_id, formula, smiles, note))
    df = pd.DataFrame(rows, columns=["nist_ligand_id", "nist_formula", "smiles", "structure_note"])
    # four ids have two molfiles: keep the first that passed
    df["ok"] = df["smiles"] != ""
    df = df.sort_values(["nist_ligand_id", "ok"], ascending=[True, False], kind="stable")
    return df.drop_duplicates("nist_ligand_id").drop(columns="ok").reset_index(drop=True)


def _has_carbon(smiles: str) -> bool:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return mol is not None and any(a.GetAtomicNum() == 6 for a in mol.GetAtoms())


#: NIST definitions of the protonated-complex cycle M + HL ⇌ MHL, ML + H ⇌ MHL, L + H ⇌ HL
_MHL_FROM_M_HL = "[MHL]/[M][HL]"
_MHL_FROM_ML_H = "[MHL]/[ML][H]"
_HL_FROM_L_H = "[HL]/[L][H]"


def derive_ml_from_protonated_complexes(df: pd.DataFrame) -> pd.DataFrame:
    """K_ML of pairs NIST gives only through their protonated complex.

    For ligands whose complexes keep a protonated site (desferrioxamine B's terminal amine),
    NIST lists ``[MHL]/[M][HL]`` and ``[MHL]/[ML][H]`` but no ``[ML]/[M][L]``. The cycle
    ``log K_ML = log K(MHL; M + HL) + log K(HL; L + H) − log K(MHL; ML + H)`` gives it from
    the three constants at the same ionic strength (medians of repeats). Where NIST does list
    K_ML at that ionic strength the cycle reproduces it (25 pairs: median difference 0, 2 off
    by more than 0.1), so only pairs without any K_ML are added: 51 pairs of 32 ligands,
    among them DFO with Fe³⁺ (31.1), Ga³⁺ (28.7), In³⁺ (21.4) and Al³⁺ (25.5) at I = 0.1 M.
    Rows carry ``derived`` in ``source_id`` and the three source rows' ids.
    """
    d = df.assign(_I=df["ionic_strength"].astype(float).round(3))
    keys = ["ligand_id", "metal", "_I"]

    def pick(definition: str, by: list[str], name: str) -> pd.DataFrame:
        g = d[d["beta_definition_raw"] == definition].groupby(by, sort=False)
        return g.agg(**{name: ("logK", "median"), name + "_ids": ("source_id", ";".join)})

    a = pick(_MHL_FROM_M_HL, keys, "k_m_hl")
    b = pick(_MHL_FROM_ML_H, keys, "k_ml_h")
    h = pick(_HL_FROM_L_H, ["ligand_id", "_I"], "k_hl")
    m = a.join(b, how="inner").reset_index().merge(h.reset_index(), on=["ligand_id", "_I"])
    m = m[m["metal"] != "H+"]
    has_ml = set(zip(d.loc[d["beta_definition_raw"] == ML_DEFINITION, "ligand_id"],
                     d.loc[d["beta_definition_raw"] == ML_DEFINITION, "metal"]))
    m = m[[(lig, met) not in has_ml for lig, met in zip(m["ligand_id"], m["metal"])]]
    if m.empty:
        return d.iloc[0:0].drop(columns="_I")
    first = d.drop_duplicates("ligand_id").set_index("ligand_id")
    out = pd.DataFrame({
        "ligand_id": m["ligand_id"].to_numpy(),
        "metal": m["metal"].to_numpy(),
        "ionic_strength": m["_I"].to_numpy(),
        "logK": (m["k_m_hl"] + m["k_hl"] - m["k_ml_h"]).round(2).to_numpy(),
        "uncertainty": "",
        "beta_definition_raw": ML_DEFINITION,
        "ligand_name_nist": m["ligand_id"].map(first["ligand_name_nist"]).to_numpy(),
        "source_id": ("nist-derived(K_ML = K(MHL;M+HL) K(HL;L+H) / K(MHL;ML+H)):"
                      + m["k_m_hl_ids"] + ";" + m["k_hl_ids"] + ";" + m["k_ml_h_ids"]).to_numpy(),
    })
    return out


def load_nist(raw: Path, structures: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """NIST 1:1 ML rows and stepwise protonation rows joined to standardized structures."""
    df = pd.read_csv(raw / NIST_CSV)
    df["source_id"] = "nist:" + df["chunk_file"].str.replace(".json", "", regex=False) + ":" + (
        df["chunk_index"].astype(str)
    )
    stats: dict = {"nist_rows": len(df)}
    struct = structures.set_index("nist_ligand_id")

    ml = df[df["beta_definition_raw"] == ML_DEFINITION].copy()
    stats["nist_ml_rows"] = len(ml)
    derived = derive_ml_from_protonated_complexes(df)
    stats["nist_ml_rows_derived"] = len(derived)
    ml = pd.concat([ml, derived], ignore_index=True)
    ml["metal_canon"] = ml["metal"].map(parse_nist_metal)
    ml = ml[ml["metal_canon"].notna() & (ml["metal"] != "H+")]
    stats["nist_ml_simple_ion_rows"] = len(ml)
    ml["smiles"] = ml["ligand_id"].map(struct["smiles"]).fillna("")
    ml["structure_note"] = ml["ligand_id"].map(struct["structure_note"]).fillna("no molfile")
    stats["nist_ml_rows_dropped_structure"] = int((ml["smiles"] == "").sum())
    ml = ml[ml["smiles"] != ""]
    organic = ml["smiles"].map(_has_carbon)
    stats["nist_ml_rows_dropped_inorganic"] = int((~organic).sum())
    ml = ml[organic]
    censored = ml["uncertainty"].astype(str).str.extract(r"^([<>])")[0].fillna("")
    out = pd.DataFrame(
        {
            "smiles": ml["smiles"],
            "metal": ml["metal_canon"],
            "ionic_strength": ml["ionic_strength"].astype(float).fillna(IMPUTED_IONIC_STRENGTH),
            "I_imputed": ml["ionic_strength"].isna().to_numpy(),
            "logK": ml["logK"].astype(float),
            "censored": censored,
            "source": "NIST_SRD46",
            "source_id": ml["source_id"],
            "nist_ligand_id": ml["ligand_id"].astype(int).astype(str),
            "ligand_name": ml["ligand_name_nist"],
        }
    )
    stats["nist_ml_rows_used"] = len(out)

    # protonation constants
    hp = df[(df["metal"] == "H+")].copy()
    steps = hp["beta_definition_raw"].astype(str).str.match(_PROT_RE)
    hp = hp[steps].copy()
    hp["step"] = hp["beta_definition_raw"].str.extract(_PROT_RE)[0].fillna("1").astype(int)
    hp["smiles"] = hp["ligand_id"].map(struct["smiles"]).fillna("")
    hp = hp[hp["smiles"] != ""]
    stats["nist_protonation_rows_used"] = len(hp)
    return out, hp, stats


def _basic_amines(smiles: str) -> int:
    """Aliphatic amine N of a ligand (each is one basic protonation step)."""
    from rdkit import Chem

    from chelscreen.chem.donors import perceive_donors

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return 0
    return sum(1 for d in perceive_donors(mol) if d.donor_type == "amine_N")


def protonation_completeness(steps: list[float], n_amines: int) -> tuple[bool, str]:
    """Is a measured list of stepwise log K_H complete enough to be used as measured?

    Rule: a list with fewer steps than basic amines, or a polyamine (>= 2 amines) whose
    highest log K_H is < 10, lacks its most basic step(s) - typically a macrocycle's first
    protonation (> 11) that a glass electrode cannot reach - and is incomplete.
    """
    if len(steps) < n_amines:
        return False, f"{len(steps)} steps for {n_amines} basic amines"
    if n_amines >= 2 and max(steps) < 10:
        return False, f"polyamine ({n_amines} amines) with highest log K_H {max(steps):.2f} < 10"
    return True, ""


def protonation_table(hp: pd.DataFrame) -> pd.DataFrame:
    """Per canonical ligand: stepwise log K_H (median over I, preferring I ≈ 0.1) and summaries.

    ``complete`` applies :func:`protonation_completeness`; for an incomplete list
    ``logKH_steps`` is left empty (users of the table then estimate the constants and say so)
    and the measured steps stay in ``logKH_steps_measured`` with the reason in ``note``.
    """
    hp = hp.copy()
    hp["pref"] = (hp["ionic_strength"] - 0.1).abs()
    rows = []
    for smi, g in hp.groupby("smiles", sort=True):
        ks = []
        for _step, gs in g.groupby("step"):
            best = gs[gs["pref"] == gs["pref"].min()]
            ks.append(float(best["logK"].median()))
        ks = sorted(ks, reverse=True)
        arr = np.array(ks)
        n_am = _basic_amines(smi)
        complete, why = protonation_completeness(ks, n_am)
        steps = ";".join(f"{k:.2f}" for k in ks)
        rows.append(
            {
                "smiles": smi,
                "n_protonations": len(ks),
                "logKH_sum": float(arr.sum()),
                "logKH_max": float(arr.max()),
                "n_pKa_gt4": int((arr > 4).sum()),
                "n_pKa_gt8": int((arr > 8).sum()),
                "logKH_steps": steps if complete else "",
                "logKH_steps_measured": steps,
                "n_basic_amines": n_am,
                "complete": complete,
                "note": "" if complete else f"incomplete measured list ({why}); estimate used",
                "source_id": ";".join(sorted(set(g["source_id"]))[:20]),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# SATCMF and CMI
# --------------------------------------------------------------------------------------------


def _std_smiles(smi: str) -> str:
    from rdkit import Chem

    from chelscreen.model.features import standardize_mol

    mol = Chem.MolFromSmiles(smi)
    if mol is None:
        return ""
    try:
        return standardize_mol(mol)
    except Exception:  # noqa: BLE001
        return ""


def load_satcmf(raw: Path) -> pd.DataFrame:
    """SATCMF (MIT): ``SMILES, Metal (Gd+++), LogK1``; no ionic strength."""
    df = pd.read_csv(raw / SATCMF_CSV)
    metal = df["Metal"].astype(str).str.extract(r"^([A-Z][a-z]?)(\++)$")
    canon = [canonical_ion(e, len(p)) if isinstance(e, str) else None for e, p in metal.values]
    cache: dict[str, str] = {}
    smiles = [cache.setdefault(s, _std_smiles(s)) for s in df["SMILES"].astype(str)]
    out = pd.DataFrame(
        {
            "smiles": smiles,
            "metal": canon,
            # SATCMF gives no ionic strength; imputed as 0.1 M (the usual medium of these
            # studies) and flagged, so a missing value carries no information about the source
            "ionic_strength": IMPUTED_IONIC_STRENGTH,
            "I_imputed": True,
            "logK": df["LogK1"].astype(float),
            "censored": "",
            "source": "SATCMF",
            "source_id": ["satcmf:row" + str(i + 2) for i in range(len(df))],
            "nist_ligand_id": "",
            "ligand_name": "",
        }
    )
    return out[(out["smiles"] != "") & out["metal"].notna()]


def load_cmi_iupac_v2(raw: Path) -> pd.DataFrame:
    """CMI LOGKPREDICT IUPAC_v2 (MIT code; values IUPAC-derived): ``ligand.[Ln+3], Lg K1``."""
    df = pd.read_csv(raw / CMI_IUPAC_V2)
    smis, metals = [], []
    cache: dict[str, str] = {}
    for text in df.iloc[:, 0].astype(str):
        parts = text.split(".")
        ion = [p for p in parts if re.fullmatch(r"\[[A-Z][a-z]?\+\d\]", p)]
        lig = ".".join(p for p in parts if p not in ion)
        if len(ion) != 1:
            smis.append("")
            metals.append(None)
            continue
        m = re.fullmatch(r"\[([A-Z][a-z]?)\+(\d)\]", ion[0])
        metals.append(canonical_ion(m.group(1), int(m.group(2))))
        smis.append(cache.setdefault(lig, _std_smiles(lig)))
    out = pd.DataFrame(
        {
            "smiles": smis,
            "metal": metals,
            "ionic_strength": IMPUTED_IONIC_STRENGTH,
            "I_imputed": True,
            "logK": df.iloc[:, 1].astype(float),
            "censored": "",
            "source": "CMI_IUPAC_v2",
            "source_id": ["cmi_iupac_v2:row" + str(i + 2) for i in range(len(df))],
            "nist_ligand_id": "",
            "ligand_name": "",
        }
    )
    return out[(out["smiles"] != "") & out["metal"].notna()]


# --------------------------------------------------------------------------------------------
# merge
# --------------------------------------------------------------------------------------------


def dedupe(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (ligand, metal, I bucket, source): median log K, count, spread, joined ids."""
    rows = rows.copy()
    rows["I_bucket"] = [ionic_strength_bucket(v) for v in rows["ionic_strength"]]
    keys = ["smiles", "metal", "I_bucket", "source"]

    def _join(values: pd.Series, limit: int = 30) -> str:
        vals = sorted({v for v in values.astype(str) if v and v != "nan"})
        return ";".join(vals[:limit]) + (";..." if len(vals) > limit else "")

    agg = rows.groupby(keys, sort=True, dropna=False).agg(
        ionic_strength=("ionic_strength", "median"),
        I_imputed=("I_imputed", "all"),
        logK=("logK", "median"),
        logK_sd_rep=("logK", lambda s: float(s.std(ddof=1)) if len(s) > 1 else np.nan),
        n_measurements=("logK", "size"),
        censored=("censored", lambda s: _join(s, 2)),
        source_id=("source_id", _join),
        nist_ligand_id=("nist_ligand_id", _join),
        ligand_name=("ligand_name", lambda s: _join(s, 1)),
    )
    return agg.reset_index()


def drop_conflicting_stereoisomers(nist: pd.DataFrame, others: pd.DataFrame
                                   ) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple]]:
    """Drop the minority isomer of NIST ligands that share one stereo-free structure but bind
    as different compounds.

    The table's structures are stereo-free, so NIST's cis- and trans-CDTA (ids 6300/6301) are
    one SMILES. Where two NIST ligand ids of one structure differ by more than
    :data:`CONFLICT_SPREAD` log units for a metal both were measured with (La³⁺: 3.7 vs 15.2),
    they are different chelators, and the minority id's rows would otherwise stand as the
    majority's values for the metals only it was measured with (Lu³⁺ 4.8 for trans-CDTA). All
    rows of every id but the one with most rows are dropped, and so are rows of the other
    sources (SATCMF copies NIST) with the same structure, metal and value (±0.01). Ids whose
    common metals agree (duplicates, L/DL pairs) are kept and merged as before.

    Returns the two tables without those rows and one report row per dropped isomer
    (``smiles, metal, values, kept, reason`` as in :func:`resolve_conflicts`).
    """
    drop = np.zeros(len(nist), bool)
    report: list[tuple] = []
    dropped_values: dict[tuple[str, str], list[float]] = {}
    ids = nist.groupby("smiles")["nist_ligand_id"].nunique()
    for smi in ids[ids > 1].index:
        sub = nist[nist["smiles"] == smi]
        med = sub.groupby(["metal", "nist_ligand_id"])["logK"].median().unstack()
        both = med[med.notna().sum(axis=1) > 1]
        if not ((both.max(axis=1) - both.min(axis=1)) > CONFLICT_SPREAD).any():
            continue
        counts = sub["nist_ligand_id"].value_counts()
        main = counts.index[0]
        name = sub.loc[sub["nist_ligand_id"] == main, "ligand_name"].iloc[0]
        for lid in counts.index[1:]:
            rows = sub[sub["nist_ligand_id"] == lid]
            drop[nist.index.get_indexer(rows.index)] = True
            for r in rows.itertuples():
                dropped_values.setdefault((smi, r.metal), []).append(float(r.logK))
            report.append((smi, ";".join(sorted(rows["metal"].unique())),
                           f"NIST ligand {lid} ({rows['ligand_name'].iloc[0]}): {len(rows)} rows",
                           f"NIST ligand {main} ({name})",
                           "stereoisomers of one stereo-free structure that bind differently "
                           f"(> {CONFLICT_SPREAD:g} log units for a common metal): "
                           "the minority isomer is dropped"))
    keep_other = np.array([
        not any(abs(float(v) - d) <= 0.01 for d in dropped_values.get((s, m), ()))
        for s, m, v in zip(others["smiles"], others["metal"], others["logK"])
    ], bool) if len(others) else np.ones(0, bool)
    return nist[~drop], others[keep_other], report


#: a SATCMF ligand whose values equal (to 0.01) another NIST ligand's values for at least this
#: many metals carries that ligand's constants under a wrong structure or name
COPY_MIN_METALS = 4
LANTHANIDES = ("La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm",
               "Yb", "Lu")
#: a lanthanide value further than this (log units) from the smooth series of the same
#: ligand's other lanthanides is an outlier (wrong definition, isomer or ligand)
LN_OUTLIER = 3.0
#: ... but only where the other lanthanides themselves lie on a smooth curve (RMS of the fit)
LN_SMOOTH_RMS = 1.0



def _is_series_match(n_match: int, n_metals: int) -> bool:
    """Values of one ligand that equal another series for at least :data:`COPY_MIN_METALS`
    metals *and* for at least half of the metals the ligand has in that source: a copied
    series. (Simple carboxylates with many measurements share single two-decimal values with
    their homologues by chance - NIST's acetic and propanoic acid agree for five metals - but
    not a whole series.)"""
    return n_match >= COPY_MIN_METALS and n_match >= 0.5 * n_metals


def drop_copied_values(nist: pd.DataFrame, others: pd.DataFrame
                       ) -> tuple[pd.DataFrame, list[tuple]]:
    """Drop rows of another source (SATCMF) that are another NIST ligand's constants.

    SATCMF holds several series under a wrong structure or name: quinoline carries quinolinic
    acid's lanthanide constants, 4-nitroresorcinol those of 4-nitrosoresorcinol, EDDS seven of
    EDTA's (Eu 16.23, Tb 16.59 ... where NIST's EDDS values are 13.5), a 4-methyl isomer those of
    N-(6-methyl-2-pyridylmethyl)iminodiacetic acid. Where the values of one ligand of ``others``
    equal (to 0.01) the NIST values of one *other* NIST structure for a whole series
    (:func:`_is_series_match`), or for at least :data:`COPY_MIN_METALS` metals of which as
    many contradict the ligand's own NIST constants by > 2 log units, those rows are copies and
    are dropped; its other rows stay.

    Returns ``others`` without the copies and one report row per (ligand, source ligand).
    """
    if not len(others) or not len(nist):
        return others, []
    nv = nist.assign(_v=(nist["logK"] * 100).round())[["smiles", "metal", "_v", "ligand_name"]]
    nv = nv.rename(columns={"ligand_name": "ligand_name_nist"})
    ov = others.assign(_v=(others["logK"] * 100).round(), _row=others.index)
    ov = ov[["smiles", "metal", "logK", "source", "_v", "_row"]]
    j = ov.merge(nv.drop_duplicates(["smiles", "metal", "_v"]), on=["metal", "_v"],
                 suffixes=("", "_nist"))
    j = j[j["smiles"] != j["smiles_nist"]]
    drop: set = set()
    report = []
    n_metals = others.groupby("smiles")["metal"].nunique()
    own = nist.groupby(["smiles", "metal"])["logK"].agg(["min", "max"])
    for (smi, src), g in j.groupby(["smiles", "smiles_nist"], sort=True):
        # the copied values contradict the ligand's own NIST constants (EDDS: 16.2 vs 13.5)
        contradicted = sum(
            (smi, m) in own.index
            and min(abs(v - own.loc[(smi, m), "min"]), abs(v - own.loc[(smi, m), "max"])) > 2
            for m, v in zip(g["metal"], g["logK"]))
        if not (_is_series_match(g["metal"].nunique(), n_metals[smi])
                or (g["metal"].nunique() >= COPY_MIN_METALS and contradicted >= COPY_MIN_METALS)):
            continue
        drop |= set(g["_row"])
        report.append((smi, ";".join(sorted(g["metal"].unique())),
                       "; ".join(f"{m} {v:.2f}" for m, v in zip(g["metal"], g["logK"])),
                       "",
                       f"copy error: these {g['source'].iloc[0]} values equal, metal for metal, "
                       f"NIST's values of another ligand ({g['ligand_name_nist'].iloc[0]}, "
                       f"{src}): values of that ligand under a wrong structure; dropped"))
    return others.drop(index=sorted(drop)), report


def load_nist_other_definitions(raw: Path, structures: pd.DataFrame) -> pd.DataFrame:
    """NIST constants of every definition but ``[ML]/[M][L]`` (β2, MHL, M2L, hydrolysis ...)
    for simple metal ions, with the ligand structure: used only to recognise such constants
    entered elsewhere as K_ML (:func:`drop_other_definition_values`)."""
    df = pd.read_csv(raw / NIST_CSV, usecols=["metal", "ligand_id", "beta_definition_raw",
                                               "logK", "ionic_strength"])
    df = df[(df["beta_definition_raw"] != ML_DEFINITION) & (df["metal"] != "H+")]
    df = df.assign(metal=df["metal"].map(parse_nist_metal),
                   smiles=df["ligand_id"].map(
                       structures.set_index("nist_ligand_id")["smiles"]).fillna(""))
    df = df[df["metal"].notna() & (df["smiles"] != "") & df["logK"].notna()]
    return df[["smiles", "metal", "beta_definition_raw", "logK", "ionic_strength"]
              ].reset_index(drop=True)


BETA2_DEFINITION = "[ML<sub>2</sub>]/[M][L]<sup>2</sup>"


def drop_ml_above_beta2(nist: pd.DataFrame, other_defs: pd.DataFrame
                        ) -> tuple[pd.DataFrame, list[tuple]]:
    """Drop NIST K_ML values that exceed the same pair's log β2 (same ionic strength) by more
    than 2 log units.

    log β2 = log K1 + log K2, and log K2 is not below -2 for a real system, so such an entry is
    internally inconsistent: a β2 (or another constant) filed as K_ML. Example: NIST's
    1-hydroxy-2-pyridinone with In³⁺ lists K_ML 13.97, β2 8.83 (the Co²⁺ β2 of the same
    ligand) and β3 13.36, while Ga³⁺ has K_ML 9.12, β2 16.70.
    """
    b2 = other_defs[other_defs["beta_definition_raw"] == BETA2_DEFINITION]
    b2 = b2.assign(ionic_strength=b2["ionic_strength"].fillna(IMPUTED_IONIC_STRENGTH))
    top = b2.groupby(["smiles", "metal", "ionic_strength"])["logK"].max()
    key = list(zip(nist["smiles"], nist["metal"], nist["ionic_strength"]))
    limit = np.array([top.get(k, np.inf) for k in key]) + 2.0
    bad = nist["logK"].to_numpy() > limit
    report = [(r.smiles, r.metal, f"{r.logK:.2f} (NIST_SRD46, {r.source_id})", "",
               f"K_ML above the same pair's log beta2 ({top[(r.smiles, r.metal, r.ionic_strength)]:.2f}, "
               f"I = {r.ionic_strength:g} M) by more than 2: inconsistent entry; dropped")
              for r in nist[bad].itertuples()]
    return nist[~bad], report


def drop_other_definition_values(other_defs: pd.DataFrame, nist: pd.DataFrame,
                                 others: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Drop rows of another source that are NIST constants of another definition.

    SATCMF gives twelve lanthanide "log K1" values of an azo dye (a chromotropic-acid azo
    derivative) that are, metal for metal, NIST's ``[MHL]/[M][HL]`` constants of that ligand
    (protonated complex from the protonated ligand), for which NIST has no K_ML at all. Where
    a series of one ligand (:func:`_is_series_match`) equals (to 0.01) NIST constants of one
    other definition for the same ligand and metal, and none of them equals a NIST K_ML value
    of that pair, these rows are dropped.
    """
    if not len(others) or not len(other_defs):
        return others, []
    od = other_defs.assign(_v=(other_defs["logK"] * 100).round())
    od = od[["smiles", "metal", "beta_definition_raw", "_v"]].drop_duplicates()
    ov = others.assign(_v=(others["logK"] * 100).round(), _row=others.index)
    ov = ov[["smiles", "metal", "logK", "source", "_v", "_row"]]
    j = ov.merge(od, on=["smiles", "metal", "_v"])
    ml = set(zip(nist["smiles"], nist["metal"], (nist["logK"] * 100).round()))
    j = j[[(s, m, v) not in ml for s, m, v in zip(j["smiles"], j["metal"], j["_v"])]]
    drop: set = set()
    report = []
    n_metals = others.groupby("smiles")["metal"].nunique()
    for (smi, definition), g in j.groupby(["smiles", "beta_definition_raw"], sort=True):
        if not _is_series_match(g["metal"].nunique(), n_metals[smi]):
            continue
        drop |= set(g["_row"])
        plain = re.sub(r"</?su[bp]>", "", definition)
        report.append((smi, ";".join(sorted(g["metal"].unique())),
                       "; ".join(f"{m} {v:.2f}" for m, v in zip(g["metal"], g["logK"])), "",
                       f"definition error: these {g['source'].iloc[0]} values equal, metal for "
                       f"metal, NIST's {plain} constants of the same ligand, not K_ML; dropped"))
    return others.drop(index=sorted(drop)), report


def unify_ligand_smiles(frames: list[pd.DataFrame]
                        ) -> tuple[list[pd.DataFrame], list[tuple[str, str]]]:
    """One SMILES per ligand over all sources.

    Structures with one InChIKey first block (tautomers such as NIST's and SATCMF's histidine,
    the imidazole N-H on either N) are rewritten to the SMILES with most rows, so that their
    rows merge, the source checks compare like with like, and a grouped split cannot put one
    ligand on both sides. Returns the frames (``smiles`` rewritten) and the (old, new) pairs.
    """
    from rdkit import Chem

    counts = pd.concat([f["smiles"] for f in frames]).value_counts()
    groups: dict[str, list[str]] = {}
    for smi in counts.index:
        mol = Chem.MolFromSmiles(smi)
        # isotopologues (NIST's acetic acid-d3, drawn with explicit H) stay apart
        if mol is None or "[H]" in smi or re.search(r"\[\d", smi):
            continue
        groups.setdefault(Chem.MolToInchiKey(mol).split("-")[0], []).append(smi)
    rename = {}
    for members in groups.values():
        if len(members) > 1:
            main = sorted(members, key=lambda x: (-counts[x], x))[0]
            rename.update({x: main for x in members if x != main})
    if rename:
        frames = [f.assign(smiles=f["smiles"].replace(rename)) for f in frames]
    return frames, sorted(rename.items())

def _ln_z(metal: str) -> int | None:
    m = _SIMPLE_ION_RE.match(metal)
    if not m or m.group(2) != "3" or m.group(1) not in LANTHANIDES:
        return None
    return LANTHANIDES.index(m.group(1))


def _robust_series_fit(pts: pd.DataFrame) -> tuple[np.ndarray, float] | None:
    """Quadratic (linear for < 5 metals) fit of log K on Z over single values; the worst value
    more than :data:`LN_OUTLIER` off is removed and the fit repeated (other outliers must not
    hide one). None when fewer than four metals remain; else (coefficients, RMS)."""
    pts = pts.copy()
    while pts["_z"].nunique() >= 4:
        deg = 2 if pts["_z"].nunique() >= 5 else 1
        coef = np.polyfit(pts["_z"].to_numpy(), pts["logK"].to_numpy(), deg)
        res = (pts["logK"] - np.polyval(coef, pts["_z"])).abs()
        if res.max() <= LN_OUTLIER:
            return coef, float(np.sqrt(np.mean(res ** 2)))
        pts = pts.drop(index=res.idxmax())
    return None


def drop_lanthanide_outliers(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Drop single lanthanide values that leave the ligand's smooth La→Lu series.

    log K of one ligand varies smoothly along La³⁺…Lu³⁺ (a rise and plateau or a shallow
    maximum; the gadolinium break is well under one log unit). For each lanthanide of a ligand
    with at least five lanthanides, a quadratic in Z is fitted robustly to the values of the
    *other* lanthanides (:func:`_robust_series_fit`); where that fit is smooth (RMS ≤
    :data:`LN_SMOOTH_RMS`), a value more than :data:`LN_OUTLIER` log units from it is dropped unless another, independent
    measurement of the same pair (a different value, within 1.5 units) supports it (SATCMF's
    EDTA Ho³⁺ 10.31 against NIST's 17.1-18.6; EDDS Ho³⁺ 18.10 against a series at 13.6).
    Series that are not smooth are left alone (ambiguous, not demonstrably wrong), and so are
    two or more outliers on one side when fewer than three of the series' values come from
    another source than theirs (SATCMF's 1,7-DO2A: Gd 19.4 and Yb 20.6 beside eleven values near
    13: two series, undecidable).

    Returns the rows without the outliers and one report row per dropped value.
    """
    z = rows["metal"].map(_ln_z)
    ln = rows[z.notna()].assign(_z=z[z.notna()].astype(float))
    drop = []
    report = []
    ambiguous = []
    for smi, g in ln.groupby("smiles", sort=True):
        if g["_z"].nunique() < 5:
            continue
        cand = []
        for zz in sorted(g["_z"].unique()):
            fit = _robust_series_fit(g.loc[g["_z"] != zz, ["_z", "logK"]])
            if fit is None:
                continue
            coef, rms = fit
            if rms > LN_SMOOTH_RMS:
                continue
            pred = float(np.polyval(coef, zz))
            pair = g[g["_z"] == zz]
            for idx, v in pair["logK"].items():
                if abs(v - pred) <= LN_OUTLIER:
                    continue
                rest = pair["logK"].drop(idx)
                support = ((rest - v).abs() <= 1.5) & ((rest - v).abs() > 0.005)
                if not support.any():
                    cand.append((idx, v, pred, rms))
        if not cand:
            continue
        # several outliers on one side from the same source as the series itself form a second
        # series: which one is the ligand's is then not decidable from the data (kept, reported)
        sources = set(g.loc[[c[0] for c in cand], "source"])
        signs = {np.sign(v - pred) for _, v, pred, _ in cand}
        independent = (~g["source"].isin(sources)).sum()
        if len(cand) >= 2 and len(signs) == 1 and independent < 3:
            ambiguous.append(smi)
            continue
        for idx, v, pred, rms in cand:
            drop.append(idx)
            r = rows.loc[idx]
            report.append((smi, r["metal"], f"{v:.2f} ({r['source']}, {r['source_id']})", "",
                           f"lanthanide series outlier: {abs(v - pred):.1f} log units from "
                           f"the smooth La-Lu series of the same ligand's other lanthanides "
                           f"({pred:.1f}, fit RMS {rms:.2f}); dropped"))
    if ambiguous:
        logger.info("lanthanide series with a second series from the same source, kept: %s",
                    "; ".join(ambiguous))
    return rows.drop(index=drop), report


def _davies(ionic: np.ndarray) -> np.ndarray:
    i = np.clip(np.nan_to_num(np.asarray(ionic, float), nan=CONFLICT_REFERENCE_I), 0.0,
                DAVIES_MAX_I)
    sq = np.sqrt(i)
    return sq / (1.0 + sq) - 0.3 * i


def at_reference_ionic_strength(logk, ionic, metal_charge, ligand_charge) -> np.ndarray:
    """log K1 brought to :data:`CONFLICT_REFERENCE_I` with the Davies equation:
    ``log K(I) = log K° − 2·0.51·z_M·z_L·f(I)`` for M^zM + L^−zL ⇌ ML, f(I) = √I/(1+√I) − 0.3 I
    (I capped at :data:`DAVIES_MAX_I`). Hf⁴⁺–EDTA⁴⁻ is 3.4 log units higher at I = 0 than at
    0.1 M: the two are one measurement at two media, not a conflict."""
    zz = 2.0 * 0.51 * np.asarray(metal_charge, float) * np.asarray(ligand_charge, float)
    return np.asarray(logk, float) + zz * (_davies(ionic) - _davies(
        np.full(len(np.atleast_1d(logk)), CONFLICT_REFERENCE_I)))


#: metals that should not bind a ligand more strongly than both Ni2+ and Cu2+ do
#: (Irving-Williams order Mn < Fe < Co < Ni < Cu > Zn)
IRVING_WILLIAMS_LOW = ("Mn2+", "Fe2+", "Co2+", "Zn2+")
IW_MARGIN = 3.0


def drop_irving_williams_outliers(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Drop Mn²⁺/Fe²⁺/Co²⁺/Zn²⁺ values above *both* the Ni²⁺ and the Cu²⁺ value of the same
    ligand by more than :data:`IW_MARGIN` log units.

    The Irving–Williams order (Mn < Fe < Co < Ni < Cu > Zn) holds for N/O chelators with few,
    small exceptions; a value that beats both Ni and Cu by more than three log units is a
    mis-entry (NIST's aminomethylphosphonous acid: Co²⁺ 8.6 against Ni²⁺ 3.95 and Cu²⁺ 4.97).
    A value supported by an independent measurement of the same pair (a different value within
    1.5 units) stays.
    """
    sub = rows[rows["metal"].isin(IRVING_WILLIAMS_LOW + ("Ni2+", "Cu2+"))]
    med = sub.groupby(["smiles", "metal"])["logK"].median().unstack()
    if not {"Ni2+", "Cu2+"} <= set(med.columns):
        return rows, []
    drop, report = [], []
    for metal in [m for m in IRVING_WILLIAMS_LOW if m in med.columns]:
        ceiling = med[["Ni2+", "Cu2+"]].max(axis=1) + IW_MARGIN
        both = med["Ni2+"].notna() & med["Cu2+"].notna()
        for smi in med.index[both & (med[metal] > ceiling)]:
            pair = sub[(sub["smiles"] == smi) & (sub["metal"] == metal)]
            for idx, v in pair["logK"].items():
                if v <= ceiling[smi]:
                    continue
                rest = pair["logK"].drop(idx)
                if (((rest - v).abs() <= 1.5) & ((rest - v).abs() > 0.005)).any():
                    continue
                drop.append(idx)
                r = rows.loc[idx]
                report.append((smi, metal, f"{v:.2f} ({r['source']}, {r['source_id']})", "",
                               f"Irving-Williams violation: above both Ni2+ "
                               f"({med.loc[smi, 'Ni2+']:.2f}) and Cu2+ "
                               f"({med.loc[smi, 'Cu2+']:.2f}) of the same ligand by more than "
                               f"{IW_MARGIN:g}; dropped"))
    return rows.drop(index=drop), report


#: hard trivalent ions (lanthanides, Y, Sc, Ac, Am, Cm) and the tetravalent actinides that bind
#: every hard-donor ligand more strongly (charge density Th4+/U4+/Np4+/Pu4+ > M3+)
CHARGE_ORDER_TRIVALENT = ("La3+", "Ce3+", "Pr3+", "Nd3+", "Pm3+", "Sm3+", "Eu3+", "Gd3+",
                          "Tb3+", "Dy3+", "Ho3+", "Er3+", "Tm3+", "Yb3+", "Lu3+", "Y3+", "Sc3+",
                          "Ac3+", "Am3+", "Cm3+")
CHARGE_ORDER_TETRAVALENT = ("Th4+", "U4+", "Np4+", "Pu4+")
CHARGE_ORDER_MARGIN = 3.0


def drop_charge_order_outliers(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Drop hard trivalent values (:data:`CHARGE_ORDER_TRIVALENT`) above the same ligand's
    highest tetravalent-actinide value by more than :data:`CHARGE_ORDER_MARGIN` log units.

    For hard (O, N) donors log K_ML follows the ion's charge density: An⁴⁺ > Ln³⁺/An³⁺, for
    every ligand of the table that has both (EDTA, DTPA, NTA, oxalate, hydroxamates …); a
    trivalent value several units *above* the An⁴⁺ one is a mis-entry (NIST's cupferron:
    La³⁺ 12.9 and Sm³⁺ 14.3 as [ML]/[M][L] beside Th⁴⁺ 7.4, whose ML₂ is 14.3 — β₂/β₃-sized
    numbers). A value supported by an independent measurement of the same pair (a different
    value within 1.5 units) stays.
    """
    sub = rows[rows["metal"].isin(CHARGE_ORDER_TRIVALENT + CHARGE_ORDER_TETRAVALENT)]
    med = sub.groupby(["smiles", "metal"])["logK"].median().unstack()
    tetra = [m for m in CHARGE_ORDER_TETRAVALENT if m in med.columns]
    if not tetra:
        return rows, []
    ceiling = med[tetra].max(axis=1) + CHARGE_ORDER_MARGIN
    drop, report = [], []
    for metal in [m for m in CHARGE_ORDER_TRIVALENT if m in med.columns]:
        for smi in med.index[ceiling.notna() & (med[metal] > ceiling)]:
            pair = sub[(sub["smiles"] == smi) & (sub["metal"] == metal)]
            for idx, v in pair["logK"].items():
                if v <= ceiling[smi]:
                    continue
                rest = pair["logK"].drop(idx)
                if (((rest - v).abs() <= 1.5) & ((rest - v).abs() > 0.005)).any():
                    continue
                drop.append(idx)
                r = rows.loc[idx]
                report.append((smi, metal, f"{v:.2f} ({r['source']}, {r['source_id']})", "",
                               f"charge-order violation: above the same ligand's tetravalent "
                               f"actinide value ({ceiling[smi] - CHARGE_ORDER_MARGIN:.2f}) by "
                               f"more than {CHARGE_ORDER_MARGIN:g}; dropped"))
    return rows.drop(index=drop), report


#: values of one pair closer than this (log units, at one ionic strength) are taken as one
#: determination reported by two databases (NIST and a cited paper, SATCMF and NIST …)
SAME_DETERMINATION = 0.05
#: a ``method`` text saying the equilibrium was reached out of the titration cell (batch
#: samples equilibrated for days or weeks): in-cell titrations of slowly forming complexes
#: (macrocycles with Ga3+, Ln3+ …) can stop short of equilibrium and give too low a constant
EQUILIBRATED_METHOD = r"(?i)out-of-cell|batch"


def distinct_determinations(values: pd.Series, counts: pd.Series) -> int:
    """How many independent determinations a cluster of one pair's values holds.

    Values within :data:`SAME_DETERMINATION` of each other are one determination copied into
    two databases (a cited paper and NIST's entry for the same paper agree to the digit), so
    they count once; separate values count with their repeat counts.
    """
    v = np.asarray(values, float)
    n = np.asarray(counts, int)
    order = np.argsort(v)
    v, n = v[order], n[order]
    new = np.concatenate([[True], np.diff(v) > SAME_DETERMINATION])
    # one determination per run of equal values: its largest repeat count
    return int(sum(n[s:e].max() for s, e in zip(np.flatnonzero(new),
                                               [*np.flatnonzero(new)[1:], len(v)])))


def resolve_conflicts(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one consistent set of values per (ligand, metal); report the conflicts.

    Values are compared at one ionic strength (:func:`at_reference_ionic_strength`: a constant
    at I = 0 and one at 0.1 M differ by several log units for highly charged pairs without
    disagreeing). Values of one pair (over sources and ionic-strength buckets) that then span
    more than :data:`CONFLICT_SPREAD` log units are a conflict (e.g. Sc-DOTA 30.8 vs 16.5). They are split
    into clusters (sorted values, a new cluster after a gap > 1.5 log units); the cluster backed by
    more independent determinations wins (:func:`distinct_determinations`: one paper's value
    in NIST and in the literature table counts once), then the one whose method states an
    equilibrium reached out of cell (:data:`EQUILIBRATED_METHOD`), then the one with the
    preferred source (:data:`SOURCE_PRIORITY`: a cited literature value, NIST, SATCMF). When
    that still ties, the pair is dropped: a median of conflicting values is never kept nor
    shown as measured.

    Returns the cleaned table and one row per conflict (``smiles, metal, values, kept, reason``).
    """
    from chelscreen.model.features import full_deprotonation_charge

    t = table.reset_index(drop=True)
    keep = np.ones(len(t), bool)
    report = []
    multi = t.duplicated(["smiles", "metal"], keep=False)
    zl = {s: full_deprotonation_charge(s) for s in t.loc[multi, "smiles"].unique()}
    zm = t["metal"].astype(str).str.extract(r"(\d*)\+$")[0].replace("", "1").fillna("0")
    ionic = t["ionic_strength"] if "ionic_strength" in t else pd.Series(np.nan, index=t.index)
    t["_cmp"] = t["logK"].astype(float)
    t.loc[multi, "_cmp"] = at_reference_ionic_strength(
        t.loc[multi, "logK"], ionic[multi], zm[multi].astype(float),
        t.loc[multi, "smiles"].map(zl).astype(float))
    for (smi, metal), g in t.groupby(["smiles", "metal"], sort=False):
        if len(g) < 2 or g["_cmp"].max() - g["_cmp"].min() <= CONFLICT_SPREAD:
            continue
        g = g.sort_values("_cmp")
        cl = np.concatenate([[0], np.cumsum(np.diff(g["_cmp"].to_numpy()) > 1.5)])
        stats = []
        for c in np.unique(cl):
            gc = g[cl == c]
            stats.append((distinct_determinations(gc["_cmp"], gc["n_measurements"]),
                          int(gc["method"].astype(str).str.contains(EQUILIBRATED_METHOD).any())
                          if "method" in gc else 0,
                          -min(SOURCE_PRIORITY.get(s, 9) for s in gc["source"]), c))
        stats.sort(reverse=True)
        values = "; ".join(f"{v:.2f} at I={i:g} M ({s}, n={n})" for v, i, s, n in
                           zip(g["logK"], ionic[g.index], g["source"],
                               g["n_measurements"]))
        if len(stats) > 1 and stats[0][:3] == stats[1][:3]:
            keep[g.index] = False
            report.append((smi, metal, values, "",
                           "tie in support, method and source: pair dropped"))
            continue
        best = stats[0]
        lose = g.index[cl != best[3]]
        keep[lose] = False
        kept = g[cl == best[3]]
        why = ("more independent determinations" if len(stats) > 1 and best[0] > stats[1][0]
               else "an equilibrium checked out of cell" if len(stats) > 1 and best[1] > stats[1][1]
               else "preferred source")
        report.append((smi, metal, values,
                       "; ".join(f"{v:.2f} ({s})" for v, s in zip(kept["logK"], kept["source"])),
                       f"kept the cluster with {why} ({best[0]} determination(s))"))
    conflicts = pd.DataFrame(report, columns=["smiles", "metal", "values", "kept", "reason"])
    return t[keep].drop(columns="_cmp").reset_index(drop=True), conflicts


def load_literature(path: Path) -> pd.DataFrame:
    """Cited literature constants (``molecules/stability_literature.csv``) as training rows.

    Only rows with a numeric ``logK`` (the M + L = ML constant; other definitions are kept in
    the file with an empty ``logK``) and a DOI are used; ``source`` is ``literature`` and
    ``source_id`` the DOI. A missing file gives an empty frame, and rows whose SMILES or metal
    cannot be read are skipped with a logged reason, so the table may grow freely.
    """
    cols = ["smiles", "metal", "ionic_strength", "I_imputed", "logK", "censored", "source",
            "source_id", "nist_ligand_id", "ligand_name", "method"]
    path = Path(path)
    if not path.is_file():
        logger.warning("no literature table at %s", path)
        return pd.DataFrame(columns=cols)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = {"smiles", "metal", "logK", "doi"}
    if not need <= set(df.columns):
        raise ValueError(f"{path} lacks columns {sorted(need - set(df.columns))}")
    out = []
    for i, r in df.iterrows():
        k = pd.to_numeric(r["logK"].strip(), errors="coerce")
        if not np.isfinite(k) or not r["doi"].strip():
            continue
        m = re.fullmatch(r"([A-Z][a-z]?)(\d*)\+", r["metal"].strip())
        smi = _std_smiles(r["smiles"])
        if m is None or not smi:
            logger.warning("%s row %d: unreadable metal %r or SMILES %r; skipped", path, i + 2,
                           r["metal"], r["smiles"])
            continue
        ion = canonical_ion(m.group(1), int(m.group(2) or 1))
        ionic = pd.to_numeric(r.get("ionic_strength_M", ""), errors="coerce")
        out.append({
            "smiles": smi, "metal": ion,
            "ionic_strength": float(ionic) if np.isfinite(ionic) else IMPUTED_IONIC_STRENGTH,
            "I_imputed": not np.isfinite(ionic), "logK": float(k), "censored": "",
            "source": "literature", "source_id": "doi:" + r["doi"].strip().removeprefix("doi:"),
            "nist_ligand_id": "", "ligand_name": r.get("chelator", ""),
            "method": r.get("method", ""),
        })
    return pd.DataFrame(out, columns=cols)


def build_ion_table(raw: Path, metals: list[str]) -> pd.DataFrame:
    """Metal-ion descriptors for ``metals`` from the mendeleev 1.3.0 export (MIT, values unchanged).

    Shannon ionic radii are interpolated linearly in coordination number to CN 6 and CN 8 (and
    extrapolated with a slope of 8 pm per CN step when one CN is tabulated). Pearson absolute
    hardness is computed as (IE_z+1 − IE_z)/2 from successive ionization energies, which is an
    approximation (not a tabulated hardness).
    """
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9,
             "X": 10, "XI": 11, "XII": 12, "XIV": 14}
    radii = pd.read_csv(raw / "mendeleev/shannon_ionic_radii.csv")
    radii["cn"] = radii["coordination"].astype(str).str.extract(r"^([IVX]+)")[0].map(roman)
    ies = pd.read_csv(raw / "mendeleev/ionization_energies.csv")
    basic = pd.read_csv(raw / "mendeleev/elements_basic.csv").set_index("symbol")
    rows = []
    for ion in sorted(set(metals)):
        m = _SIMPLE_ION_RE.match(ion)
        el, z = m.group(1), int(m.group(2) or 1)
        r = radii[(radii["symbol"] == el) & (radii["charge"] == z) & radii["cn"].notna()]
        if "HS" in set(r["spin"].dropna()):
            r = r[r["spin"].isna() | (r["spin"] == "HS")]
        r = r.groupby("cn")["ionic_radius"].mean()
        if len(r) >= 2:
            slope, icpt = np.polyfit(r.index.values.astype(float), r.values, 1)
            r6, r8 = icpt + 6 * slope, icpt + 8 * slope
            # keep tabulated values where they exist
            r6 = float(r.get(6, r6))
            r8 = float(r.get(8, r8))
        elif len(r) == 1:
            cn0, v0 = float(r.index[0]), float(r.iloc[0])
            r6, r8 = v0 + 8.0 * (6 - cn0), v0 + 8.0 * (8 - cn0)
        else:
            r6 = r8 = np.nan
        e = ies[ies["symbol"] == el].set_index("ion_charge")["ionization_energy"]
        ie_z = float(e.get(z - 1, np.nan))  # energy to reach charge z
        ie_next = float(e.get(z, np.nan))
        ie_sum = float(e[e.index < z].sum()) if (e.index < z).sum() == z else np.nan
        b = basic.loc[el] if el in basic.index else None
        rows.append(
            {
                "metal": ion,
                "element": el,
                "charge": z,
                "atomic_number": int(b["atomic_number"]) if b is not None else np.nan,
                "r_ionic_cn6_pm": r6,
                "r_ionic_cn8_pm": r8,
                "ie_last_eV": ie_z,
                "ie_sum_eV": ie_sum,
                "hardness_eV": (ie_next - ie_z) / 2 if np.isfinite(ie_next) else np.nan,
                "en_pauling": float(b["en_pauling"]) if b is not None else np.nan,
                "block": str(b["block"]) if b is not None else "",
                "period": float(b["period"]) if b is not None else np.nan,
                "group_id": float(b["group_id"]) if b is not None else np.nan,
                "dipole_polarizability": float(b["dipole_polarizability"]) if b is not None
                else np.nan,
            }
        )
    ions = pd.DataFrame(rows)
    # f-block elements have no IUPAC group: use 3 (La/Ac column); Pauling EN missing for some
    # f elements is interpolated in Z along the series (documented in the card)
    ions.loc[ions["block"] == "f", "group_id"] = 3.0
    en = basic[["atomic_number", "en_pauling"]].dropna()
    miss = ions["en_pauling"].isna()
    ions.loc[miss, "en_pauling"] = np.interp(
        ions.loc[miss, "atomic_number"], en["atomic_number"], en["en_pauling"]
    )
    return ions


def build(raw: Path, out: Path, include_iupac: bool = False,
          literature: Path | None = None) -> dict:
    """Build all tables; returns a statistics dict that is also written to ``build_stats.json``."""
    import json

    raw = Path(raw)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    logger.info("decoding NIST structures")
    structures = load_nist_structures(raw)
    nist, hp, stats = load_nist(raw, structures)
    stats["nist_ligands_with_molfile"] = len(structures)
    stats["nist_ligands_structure_ok"] = int((structures["smiles"] != "").sum())
    stats["nist_ligands_formula_mismatch"] = int(
        structures["structure_note"].str.startswith("heavy-atom").sum()
    )
    stats["nist_ligands_formula_typo_kept"] = int(
        structures["structure_note"].str.startswith("NIST formula typo").sum()
    )
    stats["nist_ligands_structure_override"] = int(
        structures["structure_note"].str.startswith("structure override").sum()
    )
    sat = load_satcmf(raw)
    extra = []
    if include_iupac:
        extra.append(load_cmi_iupac_v2(raw))
    if literature is not None:
        extra.append(load_literature(literature))
    other_defs = load_nist_other_definitions(raw, structures)
    (nist, sat, hp, other_defs, *extra), renamed = unify_ligand_smiles(
        [nist, sat, hp, other_defs, *extra])
    stats["ligand_smiles_unified"] = [f"{a} -> {b}" for a, b in renamed]
    nist, above_b2 = drop_ml_above_beta2(nist, other_defs)
    stats["nist_ml_above_beta2_dropped"] = len(above_b2)
    nist, sat, isomers = drop_conflicting_stereoisomers(nist, sat)
    stats["nist_stereoisomers_dropped"] = len(isomers)
    isomers = above_b2 + isomers
    sat, copies = drop_copied_values(nist, sat)
    stats["satcmf_copied_series"] = len(copies)
    stats["satcmf_copied_rows_dropped"] = sum(r[2].count(";") + 1 for r in copies)
    sat, wrong_def = drop_other_definition_values(other_defs, nist, sat)
    stats["satcmf_other_definition_rows_dropped"] = sum(r[2].count(";") + 1 for r in wrong_def)
    copies = copies + wrong_def
    parts = [nist]
    stats["satcmf_rows_used"] = len(sat)
    parts.append(sat)
    if include_iupac:
        cmi = extra.pop(0)
        stats["cmi_iupac_v2_rows_used"] = len(cmi)
        parts.append(cmi)
    if literature is not None:
        lit = extra.pop(0)
        stats["literature_rows_used"] = len(lit)
        parts.append(lit)
    rows = pd.concat(parts, ignore_index=True)
    rows["I_imputed"] = rows["I_imputed"].astype(bool)
    # conflicts are resolved on the single measurements, before repeats are merged
    rows["n_measurements"] = 1
    rows, ln_outliers = drop_lanthanide_outliers(rows)
    stats["lanthanide_outliers_dropped"] = len(ln_outliers)
    rows, iw_outliers = drop_irving_williams_outliers(rows)
    stats["irving_williams_outliers_dropped"] = len(iw_outliers)
    rows, co_outliers = drop_charge_order_outliers(rows)
    stats["charge_order_outliers_dropped"] = len(co_outliers)
    ln_outliers = ln_outliers + iw_outliers + co_outliers
    rows, conflicts = resolve_conflicts(rows)
    flagged = isomers + copies + ln_outliers
    conflicts = pd.concat([pd.DataFrame(flagged, columns=conflicts.columns), conflicts],
                          ignore_index=True)
    table = dedupe(rows.drop(columns="n_measurements"))
    stats["conflicting_pairs"] = len(conflicts) - len(flagged)
    stats["conflicting_pairs_dropped"] = int((conflicts["kept"].iloc[len(flagged):] == "").sum())
    conflicts.to_csv(out.parent / "conflicts.csv", index=False)
    table = table[
        ["smiles", "metal", "ionic_strength", "I_imputed", "I_bucket", "logK", "logK_sd_rep",
         "n_measurements", "censored", "source", "source_id", "nist_ligand_id", "ligand_name"]
    ]
    stats["table_rows"] = len(table)
    stats["table_rows_by_source"] = table["source"].value_counts().to_dict()
    stats["table_ligands"] = int(table["smiles"].nunique())
    table.to_csv(out, index=False, compression="gzip", float_format="%.4g")
    prot = protonation_table(hp)
    prot = prot[prot["smiles"].isin(set(table["smiles"]))]
    prot.to_csv(out.parent / "protonation.csv.gz", index=False, compression="gzip")
    stats["protonation_ligands"] = len(prot)
    all_nist = pd.read_csv(raw / NIST_CSV, usecols=["metal"])["metal"].drop_duplicates()
    extra = [m for m in all_nist.map(parse_nist_metal) if isinstance(m, str)]
    ions = build_ion_table(raw, sorted(set(table["metal"]) | set(extra)))
    ions.to_csv(out.parent / "ions.csv", index=False, float_format="%.5g")
    stats["ions"] = len(ions)
    mism = structures[structures["structure_note"] != ""]
    mism.to_csv(out.parent / "structure_issues.csv.gz", index=False, compression="gzip")
    (out.parent / "build_stats.json").write_text(json.dumps(stats, indent=2, default=int))
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw", required=True, type=Path, help="raw data folder (PROVENANCE.md)")
    parser.add_argument("--out", required=True, type=Path, help="training_table.csv.gz path")
    parser.add_argument(
        "--include-iupac",
        action="store_true",
        help="also add the CMI IUPAC_v2 rows (IUPAC-derived; redistribution rights unclear)",
    )
    parser.add_argument("--literature", type=Path, default=Path(LITERATURE_CSV),
                        help="cited literature constants (stability_literature.csv)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    stats = build(args.raw, args.out, include_iupac=args.include_iupac,
                  literature=args.literature)
    for k, v in stats.items():
        logger.info("%s: %s", k, v)


if __name__ == "__main__":
    main()
