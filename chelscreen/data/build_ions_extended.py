"""Build ``elements.csv`` and ``ions_extended.csv`` (the package's periodic table and ion table).

This is a *build script*, not package code: it reads the project's shared raw data (outside the
package) and writes small CSVs next to itself. The package only ever reads the CSVs.

Run from the repository root::

    python chelscreen/data/build_ions_extended.py [--shared /work/shared]

Inputs (see ``chelscreen/data/SOURCES.md`` for licences):

- ``shared/data/raw/mendeleev/elements_basic.csv`` (mendeleev 1.3.0, MIT): symbols, names,
  block, period, group, Pauling EN, dipole polarizability.
- ``shared/data/raw/mendeleev/shannon_ionic_radii.csv`` (Shannon 1976 via mendeleev).
- ``shared/data/raw/mendeleev/ionization_energies.csv`` (NIST ASD via mendeleev).
- ``shared/data/reference/metal_ions.csv`` (the curated 36-ion table; preferred where it has a
  value).
- ``shared/data/raw/equilibriumdata_spana_hydrolysis/*.dat`` (NECTAR/Spana hydrolysis constants
  at I = 0, 25 C) for log beta1* of ions not in metal_ions.csv. NIST SRD 46 hydroxide rows were
  intended here, but the shared NIST extract holds no "Hydroxide ion" rows (ligand 10076 is
  absent from ``nist_srd46_K_25C_from_logK25_chunks.csv``), so none are used.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

ROMAN = {
    "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
    "XI": 11, "XII": 12, "XIV": 14,
}

# (element, charge): the common aqueous metal cations covered (NIST SRD 46 metals in their usual
# states, the radiometals and every daughter of the therapy chains that is a metal cation).
ION_LIST: list[tuple[str, int]] = (
    [(e, 1) for e in ("Li", "Na", "K", "Rb", "Cs", "Fr", "Ag", "Cu", "Tl", "Au")]
    + [(e, 2) for e in ("Be", "Mg", "Ca", "Sr", "Ba", "Ra", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
                        "Pd", "Pt", "Cd", "Hg", "Sn", "Pb", "Eu", "Sm", "Yb", "V", "Cr")]
    + [(e, 3) for e in ("Al", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ga", "Y", "Rh", "In",
                        "Ir", "Au", "Tl", "Bi", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd",
                        "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Ac", "U", "Np", "Pu", "Am",
                        "Cm", "Bk", "Cf")]
    + [(e, 4) for e in ("Ti", "Zr", "Hf", "Sn", "Pb", "Ce", "Th", "U", "Np", "Pu")]
)

# Default (therapeutic / common aqueous) oxidation state where an element has several ions here.
DEFAULT_CHARGE = {
    "Cu": 2, "Tl": 1, "Au": 3, "Mn": 2, "Fe": 3, "Co": 2, "V": 3, "Cr": 3, "Ti": 4, "Sn": 4,
    "Pb": 2, "Eu": 3, "Sm": 3, "Yb": 3, "Ce": 3, "U": 6, "Np": 4, "Pu": 4,
}

# Spin state used where Shannon lists both (consistent with metal_ions.csv: high spin).
SPIN = "HS"


def ion_label(element: str, charge: int) -> str:
    return f"{element}{'' if charge == 1 else charge}+"


def read_shannon(path: Path) -> dict[tuple[str, int], dict[int, float]]:
    s = pd.read_csv(path)
    out: dict[tuple[str, int], dict[int, tuple[int, float]]] = {}
    for r in s.itertuples():
        m = re.fullmatch(r"([IVX]+)(SQ|PY)?", str(r.coordination))
        if not m or m.group(1) not in ROMAN:
            continue
        cn = ROMAN[m.group(1)]
        # rank: plain geometry before SQ/PY; high spin (or no spin) before low spin
        rank = (1 if m.group(2) else 0) + (2 if str(r.spin) == "LS" else 0)
        key = (str(r.symbol), int(r.charge))
        prev = out.setdefault(key, {}).get(cn)
        if prev is None or rank < prev[0]:
            out[key][cn] = (rank, float(r.ionic_radius))
    return {k: {cn: v[1] for cn, v in d.items()} for k, d in out.items()}


def read_ie(path: Path) -> dict[tuple[str, int], tuple[float, str]]:
    ie = pd.read_csv(path)
    out = {}
    for r in ie.itertuples():
        q = "theoretical" if r.is_theoretical == 1 else (
            "semi-empirical" if r.is_semi_empirical == 1 else "measured")
        out[(str(r.symbol), int(r.ion_charge))] = (float(r.ionization_energy), q)
    return out


def read_spana(folder: Path) -> dict[tuple[str, int], tuple[float, str]]:
    """First hydrolysis constant log*beta1 (M + H2O = MOH + H+) from Spana component files."""
    out = {}
    for f in sorted(folder.glob("*.dat")):
        lines = f.read_text(encoding="latin-1").splitlines()
        m = re.fullmatch(r"\s*([A-Z][a-z]?)\s+(\d?)\+\s*", lines[2])
        if not m:  # oxo-cations, neutral or anionic components: not simple aqua ions
            continue
        el, z = m.group(1), int(m.group(2) or 1)
        for line in lines[3:]:
            mm = re.fullmatch(r"(.+?),\s*(-?\d+(?:\.\d+)?)\s+(-?\d+)\s+(\d+)\s*", line)
            if not mm or "(s)" in mm.group(1) or "(am)" in mm.group(1):
                continue
            if int(mm.group(3)) == -1 and int(mm.group(4)) == 1:
                val = float(mm.group(2))
                if val > 2.0:  # e.g. Platinum.dat gives +10.91: not a plausible log*beta1
                    break
                out[(el, z)] = (val, f"NECTAR/Spana hydrolysis file {f.name}, I=0, 25 C")
                break
    return out


def read_nagra_ac_oh(path: Path) -> tuple[float, str] | None:
    """Ac3+ + H2O = AcOH2+ + H+ log K at I = 0 (SIT) from the PSI/Nagra TDB 2020 workbook.

    Reads the .xlsx as zipped XML (no openpyxl needed): the row under the reaction
    'Ac3+ + H2O(l) = AcOH2+ + H+' with a reference code in column A; column M is log K0 (SIT
    extrapolation to I = 0), column N its uncertainty.
    """
    if not path.exists():
        return None
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z:
        strings = ["".join(t.text or "" for t in si.iter(f"{ns}t"))
                   for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(f"{ns}si")]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{ns}row"):
        cells = {}
        for c in row.findall(f"{ns}c"):
            v = c.find(f"{ns}v")
            if v is None:
                continue
            col = re.match(r"[A-Z]+", c.get("r")).group(0)
            cells[col] = strings[int(v.text)] if c.get("t") == "s" else v.text
        rows.append(cells)
    in_block = False
    for cells in rows:
        a = cells.get("A", "")
        if a.startswith("Reaction:"):
            in_block = "AcOH2+" in a and "Ac(OH)" not in a
            continue
        if in_block and re.fullmatch(r"\d{4}[A-Z]{3}/[A-Z]{3}", a) and "M" in cells:
            k0, unc = float(cells["M"]), float(cells.get("N", "nan"))
            src = (f"PSI/Nagra TDB 2020 workbook {path.name} (Hummel & Thoenen 2023, Nagra NTB "
                   f"21-03, ch. 2.3.2.1): SIT extrapolation to I=0 of {a} (log K "
                   f"{cells.get('E')} at I={cells.get('C')} M {cells.get('B')}), +/-{unc:.2f}")
            return round(k0, 2), src
    return None


def preferred_cn(element: str, charge: int, r6: float, r8: float, block: str) -> int:
    """Modelling choice (documented in SOURCES.md), not a literature value."""
    overrides = {("Pd", 2): 4, ("Pt", 2): 4, ("Au", 3): 4, ("Au", 1): 2, ("Ag", 1): 4,
                 ("Hg", 2): 6}
    if (element, charge) in overrides:
        return overrides[(element, charge)]
    if element == "Ac":
        return 9  # [S-AC-DFT]: nine-coordinate Ac(H2O)9 3+ most stable
    if element in ("Zr", "Hf"):
        return 8
    size = r6 if not math.isnan(r6) else (r8 - 12.0 if not math.isnan(r8) else float("nan"))
    if math.isnan(size):
        return 6
    if charge >= 3 and size >= 85.0:
        return 8
    if charge == 2 and size >= 100.0:
        return 8
    if charge == 1 and size >= 130.0:
        return 8
    return 6


def build(shared: Path) -> None:
    raw = shared / "data" / "raw"
    ref = shared / "data" / "reference"
    elements = pd.read_csv(raw / "mendeleev" / "elements_basic.csv")
    keep = ["atomic_number", "symbol", "name", "block", "period", "group_id", "series_id",
            "en_pauling", "en_allen", "electron_affinity", "dipole_polarizability",
            "covalent_radius_pyykko", "electronic_configuration"]
    el = elements[keep].copy()
    el = el.rename(columns={"group_id": "group", "dipole_polarizability":
                            "dipole_polarizability_bohr3", "covalent_radius_pyykko":
                            "covalent_radius_pm", "electron_affinity": "electron_affinity_eV",
                            "en_allen": "en_allen_eV"})
    el["group"] = el["group"].astype("Int64")
    el.to_csv(HERE / "elements.csv", index=False)
    by_sym = el.set_index("symbol")

    shannon = read_shannon(raw / "mendeleev" / "shannon_ionic_radii.csv")
    ie = read_ie(raw / "mendeleev" / "ionization_energies.csv")
    spana = read_spana(raw / "equilibriumdata_spana_hydrolysis")
    ac_oh = read_nagra_ac_oh(raw / "equilibriumdata_nagra_tdb2020_ac" /
                             "TDB2020-NTB21-03-Chapter2.3.2.1-Ac-OH.xlsx")
    if ac_oh is not None:
        spana[("Ac", 3)] = ac_oh
    ref36 = pd.read_csv(ref / "metal_ions.csv").set_index("ion")

    rows = []
    labels = [ion_label(e, z) for e, z in ION_LIST]
    for (e, z), label in zip(ION_LIST, labels, strict=True):
        radii = shannon.get((e, z), {})
        row: dict[str, object] = {"ion": label, "element": e, "charge": z}
        in_ref = label in ref36.index
        r = ref36.loc[label] if in_ref else None
        for cn in range(2, 13):
            row[f"r_ionic_CN{cn}_pm"] = radii.get(cn, float("nan"))
        row["shannon_CNs_tabulated"] = " ".join(str(c) for c in sorted(radii))
        row["radius_source"] = ("Shannon 1976 / Lundberg & Persson 2016 via mendeleev 1.3.0 "
                                f"ionicradii ({SPIN} where spin-dependent)") if radii else (
            "GAP: no Shannon radius for this ion in mendeleev")
        # Pauling EN
        if in_ref and not pd.isna(r["pauling_EN"]):
            row["pauling_en"] = float(r["pauling_EN"])
            row["pauling_en_source"] = "metal_ions.csv [S-EN-PMG] pymatgen-core X"
        elif e in set(ref36["element"]) and not pd.isna(
                ref36.loc[ref36["element"] == e, "pauling_EN"].iloc[0]):
            row["pauling_en"] = float(ref36.loc[ref36["element"] == e, "pauling_EN"].iloc[0])
            row["pauling_en_source"] = ("metal_ions.csv [S-EN-PMG] pymatgen-core X of the element "
                                        "(oxidation-state blind)")
        elif not pd.isna(by_sym.loc[e, "en_pauling"]):
            row["pauling_en"] = float(by_sym.loc[e, "en_pauling"])
            row["pauling_en_source"] = "mendeleev en_pauling (CRC Handbook, haynes2014crc)"
        else:
            row["pauling_en"] = float("nan")
            row["pauling_en_source"] = "GAP: no Pauling EN in pymatgen/metal_ions or mendeleev"
        # hardness (Parr-Pearson): eta(M^z+) = (I - A)/2, I = IE of M^z+ (mendeleev ion_charge=z),
        # A = electron affinity of M^z+ = IE of M^(z-1)+ (mendeleev ion_charge=z-1).
        hi, lo = ie.get((e, z)), ie.get((e, z - 1))
        if hi and lo:
            row["hardness_eV"] = round((hi[0] - lo[0]) / 2.0, 3)
            row["hardness_source"] = (f"(IE[{e}{z}+->{z + 1}+] - IE[{e}{z - 1}+->{z}+])/2, NIST "
                                      f"ASD via mendeleev; IE quality {lo[1]}/{hi[1]}")
        else:
            row["hardness_eV"] = float("nan")
            row["hardness_source"] = "GAP: ionization energy missing in mendeleev"
        if in_ref and not pd.isna(r["abs_hardness_eV"]):
            row["hardness_ref36_eV"] = float(r["abs_hardness_eV"])
        else:
            row["hardness_ref36_eV"] = float("nan")
        # first hydrolysis constant
        if in_ref and not pd.isna(r["log_beta1_star"]):
            row["log_beta1_hydrolysis"] = float(r["log_beta1_star"])
            row["log_beta1_source"] = f"metal_ions.csv: {r['log_beta1_source']}"
        elif (e, z) in spana:
            row["log_beta1_hydrolysis"], row["log_beta1_source"] = spana[(e, z)]
        else:
            row["log_beta1_hydrolysis"] = float("nan")
            row["log_beta1_source"] = ("GAP: no value in metal_ions.csv, the PSI/Nagra Ac "
                                       "workbook or the NECTAR/Spana files")
        row["dipole_polarizability_bohr3"] = float(by_sym.loc[e, "dipole_polarizability_bohr3"])
        row["hsab_class"] = str(r["hsab_class"]) if in_ref else ""
        for col in ("LM126_hfe_tip3p_Rmin2_A", "LM126_hfe_tip3p_eps_kcal",
                    "LM126_iod_tip3p_Rmin2_A", "LM126_iod_tip3p_eps_kcal"):
            row[col] = float(r[col]) if in_ref and not pd.isna(r[col]) else float("nan")
        row["LM126_ref"] = str(r["LM126_ref"]) if in_ref and not pd.isna(r["LM126_ref"]) else ""
        row["CN_notes"] = str(r["CN_notes"]) if in_ref and not pd.isna(r["CN_notes"]) else ""
        r6 = float(row["r_ionic_CN6_pm"])
        r8 = float(row["r_ionic_CN8_pm"])
        row["cn_preferred"] = preferred_cn(e, z, r6, r8, str(by_sym.loc[e, "block"]))
        row["is_default_for_element"] = DEFAULT_CHARGE.get(
            e, z if sum(1 for ee, _ in ION_LIST if ee == e) == 1 else -1) == z
        row["in_reference36"] = in_ref
        rows.append(row)

    # uranyl (from metal_ions.csv only; oxo-cation, U(VI) radii)
    r = ref36.loc["UO2(2+)"]
    row = {"ion": "UO2(2+)", "element": "U", "charge": 2}
    for cn in range(2, 13):
        row[f"r_ionic_CN{cn}_pm"] = float("nan")
    row["r_ionic_CN6_pm"], row["r_ionic_CN8_pm"] = float(r["r_ionic_CN6_pm"]), float(
        r["r_ionic_CN8_pm"])
    row.update({
        "shannon_CNs_tabulated": "6 8", "radius_source": "metal_ions.csv: U6+ Shannon radii "
        "(not uranyl-specific)", "pauling_en": float(r["pauling_EN"]),
        "pauling_en_source": "metal_ions.csv [S-EN-PMG]", "hardness_eV": float("nan"),
        "hardness_source": "not applicable: molecular cation", "hardness_ref36_eV": float("nan"),
        "log_beta1_hydrolysis": float(r["log_beta1_star"]),
        "log_beta1_source": f"metal_ions.csv: {r['log_beta1_source']}",
        "dipole_polarizability_bohr3": float("nan"), "hsab_class": str(r["hsab_class"]),
        "LM126_ref": "", "CN_notes": str(r["CN_notes"]), "cn_preferred": 6,
        "is_default_for_element": True, "in_reference36": True,
    })
    for col in ("LM126_hfe_tip3p_Rmin2_A", "LM126_hfe_tip3p_eps_kcal",
                "LM126_iod_tip3p_Rmin2_A", "LM126_iod_tip3p_eps_kcal"):
        row[col] = float("nan")
    rows.append(row)

    out = pd.DataFrame(rows)
    radius_cols = [c for c in out.columns if c.startswith("r_ionic_CN")]
    out[radius_cols] = out[radius_cols].round(2)
    out.to_csv(HERE / "ions_extended.csv", index=False)
    missing = set(ref36.index) - set(out["ion"]) - {"At"}
    if missing:
        raise SystemExit(f"reference ions missing from the extended table: {sorted(missing)}")
    # hardness comparison with the curated table
    cmp = out.dropna(subset=["hardness_ref36_eV", "hardness_eV"])
    diff = (cmp["hardness_eV"] - cmp["hardness_ref36_eV"]).abs()
    print(f"hardness vs metal_ions.csv: {len(cmp)} ions, max |diff| = {diff.max():.3f} eV")
    for name in ("metal_ions.csv", "nuclides.csv", "daughter_release.csv"):
        shutil.copyfile(ref / name, HERE / name)
    print(f"wrote {len(out)} ions and {len(el)} elements to {HERE}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("/work/shared"))
    build(ap.parse_args().shared)
