"""Ligand/ion features and the training-table build helpers of the stability model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from chelscreen.model import dataset, features

EDTA = "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"
DOTA = "OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"


def test_standardize_neutral_acid_and_salt_strip():
    salt = "[O-]C(=O)CN(CC([O-])=O)CCN(CC([O-])=O)CC([O-])=O.[Na+].[Na+].[Na+].[Na+]"
    assert features.standardize_smiles(salt) == features.standardize_smiles(EDTA)
    assert features.standardize_smiles("C1CC(") is None


def test_edta_donors_and_chelate_rings():
    f = features.ligand_features(Chem.MolFromSmiles(EDTA))
    assert f["n_carboxylate_O"] == 4
    assert f["n_amine_N"] == 2
    assert f["n_donors"] == 6
    assert f["charge_full_deprot"] == 4
    assert f["n_chelate5"] >= 5  # N-N and four N-O five-membered chelate rings
    assert f["macrocycle_size"] == 0


def test_dota_macrocycle():
    f = features.ligand_features(Chem.MolFromSmiles(DOTA))
    assert f["macrocycle_size"] == 12
    assert f["macrocycle_donors"] == 4
    assert f["n_donors"] == 8
    assert f["cavity_radius_pm"] > 0


def test_pair_features_interactions():
    lig = features.ligand_feature_frame([EDTA])
    ions = pd.DataFrame(
        [{"metal": "Ca2+", "element": "Ca", "charge": 2, "atomic_number": 20,
          "r_ionic_cn6_pm": 100.0, "r_ionic_cn8_pm": 112.0, "ie_last_eV": 11.87,
          "ie_sum_eV": 17.98, "hardness_eV": 19.5, "en_pauling": 1.0, "block": "s",
          "period": 4, "group_id": 2, "dipole_polarizability": 160.8}]
    )
    ion = features.ion_feature_frame(ions)
    X = features.pair_features(lig.reset_index(drop=True), ion.reset_index(drop=True),
                               np.array([np.nan]))
    assert X["charge_product"].iloc[0] == 8
    assert np.isnan(X["ionic_strength_M"].iloc[0])
    assert X["davies"].iloc[0] > 0  # Davies term evaluated at 0.1 M when I is unknown


@pytest.mark.parametrize(
    ("text", "ion"), [("Cu2+", "Cu2+"), ("Ag+", "Ag+"), ("UO22+", None), ("MeHg+", None),
                      ("H+", None)],
)
def test_parse_nist_metal(text, ion):
    assert dataset.parse_nist_metal(text) == ion


def test_formula_and_buckets():
    assert dataset.heavy_formula(dataset.parse_formula("C10H16N2O8")) == {"C": 10, "N": 2, "O": 8}
    assert dataset.parse_formula("N1O3/-") == {"N": 1, "O": 3}
    assert dataset.ionic_strength_bucket(0.1) == "0.1"
    assert dataset.ionic_strength_bucket(0.0) == "0"
    assert dataset.ionic_strength_bucket(float("nan")) == "na"


def test_committed_training_table(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    key = ["smiles", "metal", "I_bucket", "source"]
    assert not t.duplicated(key).any()
    assert set(t["source"]) <= {"NIST_SRD46", "SATCMF", "CMI_IUPAC_v2", "literature"}
    assert t["source_id"].str.len().gt(0).all()
    assert t["metal"].str.fullmatch(r"[A-Z][a-z]?\d*\+").all()
    # ionic strength is never missing: SATCMF rows are imputed (0.1 M) and flagged, so NaN
    # cannot stand for "SATCMF" (issue 10 §1)
    assert t["ionic_strength"].notna().all()
    assert t.loc[t["source"] == "SATCMF", "I_imputed"].all()
    assert not t.loc[t["source"] == "NIST_SRD46", "I_imputed"].all()
    edta_cu = t[(t["smiles"] == features.standardize_smiles(EDTA)) & (t["metal"] == "Cu2+")]
    assert 18.0 < edta_cu["logK"].median() < 19.5


def test_project_chem_features_edta():
    f = features.ligand_features(Chem.MolFromSmiles(EDTA))
    # chelscreen.chem perception: hexadentate, 4 anionic groups, 5 five-membered chelate rings
    assert f["cu_n_donors"] == 6
    assert f["cu_n_anionic_donor_groups"] == 4
    assert f["cu_n_chelate_ring_5"] == 5
    assert f["cu_charge_pH7_4"] < -2


def test_metal_reference_fingerprint_from_training_rows_only():
    edta = features.standardize_smiles(EDTA)
    smiles = np.array([edta, edta, edta, "CC(=O)O", "CC(=O)O", "CCO"], dtype=object)
    metal = np.array(["Cu2+", "Cu2+", "Ca2+", "Cu2+", "Ca2+", "Cu2+"], dtype=object)
    y = np.array([18.0, 19.0, 10.7, 1.7, 0.5, 0.1])
    table = features.metal_reference_table(smiles, metal, y)
    assert table["Cu2+"] == {"edta": 18.5, "acetate": 1.7}  # median of repeats; ethanol ignored
    assert table["Ca2+"] == {"edta": 10.7, "acetate": 0.5}
    fr = features.metal_reference_frame(table, np.array(["Ca2+", "Cu2+", "Ga3+"], dtype=object))
    assert fr["mref_edta"].tolist()[:2] == [10.7, 18.5]
    assert np.isnan(fr["mref_edta"].iloc[2])  # metal without reference data → NaN, not invented
    assert fr["mref_affinity"].iloc[1] > fr["mref_affinity"].iloc[0]
    assert fr["mref_n"].tolist() == [2.0, 2.0, 0.0]


@pytest.mark.parametrize("smiles", ["OC1=C(O)C(=O)C1=O", "OC1=C(O)C(=O)C(=O)C1=O"])
def test_oxocarbon_acids_are_not_hopo_or_catechol(smiles):
    """Squaric and croconic acid were read as two HOPO donors (issue 10 §1)."""
    f = features.ligand_features(Chem.MolFromSmiles(smiles))
    assert f["n_hopo_O"] == 0
    assert f["n_catechol_O"] == 0


def test_hopo_and_catechol_groups_counted_once_per_group():
    f = features.ligand_features(Chem.MolFromSmiles("CC1=C(O)C(=O)C=CN1C"))  # deferiprone
    assert f["n_hopo_O"] == 1 and f["n_phenolate_O"] == 0
    f = features.ligand_features(Chem.MolFromSmiles("Oc1ccccc1O"))
    assert f["n_catechol_O"] == 1 and f["n_phenolate_O"] == 0


@pytest.mark.parametrize("drawings", [
    ("O=c1ccccn1O", "[O-][n+]1ccccc1O"),                       # 1,2-HOPO / its N-oxide drawing
    ("OCC1OC(n2cnc3c(=O)[nH]c(=O)[nH]c32)C(O)C1O",               # xanthosine lactam / lactim
     "OCC1OC(n2cnc3c(O)nc(O)nc32)C(O)C1O"),
])
def test_one_ligand_under_two_drawings_gets_one_key_and_one_perception(drawings):
    """DATA_AUDIT.md row 14: the drawings had different skeleton keys (grouped CV could leak) and
    the N-oxide / lactim drawings were read as phenolates."""
    keys = {features.standardize_smiles(s) for s in drawings}
    assert len(keys) == 1
    assert len({features.skeleton_key(s) for s in drawings}) == 1
    f = features.ligand_features(Chem.MolFromSmiles(keys.pop()))
    assert f["n_phenolate_O"] == 0


def test_hydroxypyridinones_stay_o_o_donors_with_their_acid_proton():
    # 1,2-HOPO: one acidic N-OH (was counted only in the N-oxide drawing, as a phenol)
    assert features.full_deprotonation_charge("O=c1ccccn1O") == 1
    # 2,3-dihydroxypyridine is written as 3-hydroxy-2-pyridinone: a HOPO O,O group, 1 acid
    key = features.standardize_smiles("Oc1cccnc1O")
    f = features.ligand_features(Chem.MolFromSmiles(key))
    assert f["n_hopo_O"] == 1 and f["n_catechol_O"] == 0 and f["charge_full_deprot"] == 1


def test_committed_table_is_in_normal_form(repo_root):
    """Every training-table SMILES is its own standard form: no N-oxide/lactim drawing left."""
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    smiles = pd.Series(t["smiles"].unique())
    changed = smiles[smiles.map(features.standardize_smiles) != smiles]
    assert changed.empty, list(changed)


DOTAM = "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1"


def test_dotam_constants_back_in_the_table(repo_root):
    """DOTAM/TCMC was dropped for a NIST formula typo (O2 for O4) and its molfile is a hydrazide
    isomer; the structure from its name is used and all its NIST 1:1 constants are kept."""
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    d = t[(t["smiles"] == features.standardize_smiles(DOTAM)) & (t["source"] == "NIST_SRD46")]
    assert {"Ca2+", "Sr2+", "Ba2+", "Cu2+", "Zn2+", "La3+", "Gd3+", "Hg2+"} <= set(d["metal"])
    issues = pd.read_csv(repo_root / "models/stability/structure_issues.csv.gz")
    notes = issues.set_index("nist_ligand_id")["structure_note"]
    assert notes[7677].startswith("structure override")
    assert notes[7678].startswith("NIST formula typo")  # DTMA: molfile right, NIST O2 wrong
    prot = pd.read_csv(repo_root / "models/stability/protonation.csv.gz")
    assert features.standardize_smiles(DOTAM) in set(prot["smiles"])


def test_conflicting_values_are_not_merged_as_medians():
    rows = pd.DataFrame({
        "smiles": ["A"] * 4 + ["B"] * 2, "metal": ["Sc3+"] * 4 + ["Cu2+"] * 2,
        "logK": [30.8, 30.2, 16.5, 30.5, 10.0, 14.5],
        "source": ["SATCMF", "NIST_SRD46", "SATCMF", "literature", "SATCMF", "SATCMF"],
        "n_measurements": 1,
    })
    kept, conflicts = dataset.resolve_conflicts(rows)
    assert sorted(kept.loc[kept["smiles"] == "A", "logK"]) == [30.2, 30.5, 30.8]
    assert "B" not in set(kept["smiles"])  # 1 vs 1 from one source: dropped, not averaged
    assert len(conflicts) == 2
    assert conflicts.set_index("smiles").loc["B", "kept"] == ""


def test_committed_table_has_no_conflicting_pair(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    zl = {s: features.full_deprotonation_charge(s) for s in t["smiles"].unique()}
    zm = t["metal"].str.extract(r"(\d*)\+$")[0].replace("", "1").astype(float)
    t["cmp"] = dataset.at_reference_ionic_strength(t["logK"], t["ionic_strength"], zm,
                                                   t["smiles"].map(zl))
    spread = t.groupby(["smiles", "metal"])["cmp"].agg(lambda s: s.max() - s.min())
    assert spread.max() <= dataset.CONFLICT_SPREAD


def test_values_at_two_ionic_strengths_are_not_a_conflict():
    """NIST gives Hf4+-EDTA as 29.5 (0.1 M) and 33.7 (I = 0): for M4+ + L4- the Davies
    correction between the two media is 3.4 log units, so they agree; comparing the raw values
    called them a 1-vs-1 conflict and dropped Hf4+'s only EDTA constant (and Hf4+ and Zr4+
    NTA, Zr4+-EDTA at I = 0). A real conflict at one ionic strength is still one."""
    edta = features.standardize_smiles("O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CC(=O)O")
    assert features.full_deprotonation_charge(edta) == 4
    rows = pd.DataFrame({
        "smiles": [edta] * 4, "metal": ["Hf4+", "Hf4+", "Cu2+", "Cu2+"],
        "logK": [29.5, 33.7, 18.8, 14.0], "ionic_strength": [0.1, 0.0, 0.1, 0.1],
        "source": "NIST_SRD46", "n_measurements": 1,
    })
    kept, conflicts = dataset.resolve_conflicts(rows)
    assert sorted(kept.loc[kept["metal"] == "Hf4+", "logK"]) == [29.5, 33.7]
    assert "Cu2+" not in set(kept["metal"]) and list(conflicts["metal"]) == ["Cu2+"]
    assert "I=0.1 M" in conflicts["values"].iloc[0]
    at01 = dataset.at_reference_ionic_strength([33.7], [0.0], [4], [4])[0]
    assert abs(at01 - 29.5) < 1.0


@pytest.mark.parametrize(("steps", "amines", "complete"), [
    ([9.69, 4.47, 4.23], 4, False),         # DOTA's NIST list: no step > 11
    ([11.1, 9.7, 4.5, 4.1], 4, True),
    ([10.2, 9.5, 2.6, 2.0], 2, True),        # EDTA-like
    ([9.4, 8.0], 2, False),                  # polyamine with highest < 10
    ([4.76], 0, True),                       # acetic acid
])
def test_protonation_completeness_rule(steps, amines, complete):
    assert dataset.protonation_completeness(steps, amines)[0] is complete


def test_committed_protonation_table_flags_incomplete_lists(repo_root):
    prot = pd.read_csv(repo_root / "models/stability/protonation.csv.gz",
                       keep_default_na=False)
    dota = prot[prot["smiles"] == features.standardize_smiles(DOTA)].iloc[0]
    assert str(dota["complete"]) == "False" and dota["logKH_steps"] == ""
    assert dota["logKH_steps_measured"] != ""


def test_literature_loader_tolerates_growth(tmp_path):
    path = tmp_path / "lit.csv"
    pd.DataFrame({
        "id": ["a", "b", "c", "d"], "chelator": ["DOTA", "x", "y", "z"],
        "smiles": [DOTA, "not a smiles", EDTA, EDTA], "metal": ["Ac3+", "Lu3+", "Bi3+", "Pb2+"],
        "logK": ["20.5", "10", "", "18.0"], "logK_definition": ["ML"] * 4,
        "temperature_C": ["25"] * 4, "ionic_strength_M": ["0.1", "", "", ""],
        "medium": [""] * 4, "method": [""] * 4, "doi": ["10.1/x", "10.1/y", "10.1/z", "10.1/w"],
        "quote": ["q"] * 4, "notes": [""] * 4, "an_extra_column": [1, 2, 3, 4],
    }).to_csv(path, index=False)
    lit = dataset.load_literature(path)
    assert list(lit["metal"]) == ["Ac3+", "Pb2+"]  # bad SMILES and empty logK skipped
    assert list(lit["source_id"]) == ["doi:10.1/x", "doi:10.1/w"]
    assert lit["I_imputed"].tolist() == [False, True]
    assert dataset.load_literature(tmp_path / "missing.csv").empty


def test_missing_reference_constants_are_imputed_from_the_other_references():
    """A metal without a measured EDTA constant (Ga3+, Ac3+ in the training table) got NaN in
    the metal fingerprint, i.e. the linear base saw the median metal; the LFER imputation
    estimates it from the metal's other reference constants and its ion descriptors."""
    ions = features.ion_feature_frame(pd.read_csv(
        Path(features.__file__).resolve().parents[2] / "models/stability/ions.csv"))
    # a synthetic linear free-energy world: log K(EDTA) = 1.5 log K(NTA) + 1, log K(IDA) =
    # 0.8 log K(NTA)
    metals = ["Mg2+", "Ca2+", "Sr2+", "Ba2+", "Mn2+", "Co2+", "Ni2+", "Cu2+", "Zn2+", "Cd2+",
              "La3+", "Lu3+", "Fe3+", "In3+"]
    nta = dict(zip(metals, np.linspace(4.0, 16.0, len(metals))))
    table = {m: {"nta": v, "ida": 0.8 * v, "edta": 1.5 * v + 1.0} for m, v in nta.items()}
    table["Ga3+"] = {"nta": 15.0, "ida": 12.0}  # EDTA unknown
    out = features.impute_metal_reference(table, ions)
    assert abs(out["Ga3+"]["edta"] - 23.5) < 1.5
    assert out["Ga3+"]["n_measured"] == 2.0
    assert out["Cu2+"]["edta"] == table["Cu2+"]["edta"]  # measured values are kept as they are
    fr = features.metal_reference_frame(out, np.array(["Ga3+", "Cu2+"], dtype=object))
    assert np.isfinite(fr["mref_edta"]).all()
    assert fr["mref_n"].tolist() == [2.0, 3.0]  # counts the measured references only


def test_stereoisomers_that_bind_differently_are_not_merged():
    # NIST's cis- and trans-CDTA are one stereo-free SMILES; cis values (La 3.7, Lu 4.8) stood as
    # trans-CDTA's Lu constant because only cis was measured with Lu, and SATCMF copies them
    nist = pd.DataFrame({
        "smiles": ["C"] * 5 + ["D"] * 4,
        "metal": ["La3+", "Ca2+", "Cu2+", "La3+", "Lu3+", "Cu2+", "Zn2+", "Cu2+", "Ni2+"],
        "logK": [15.2, 13.1, 22.0, 3.7, 4.8, 10.0, 8.0, 10.4, 7.0],
        "nist_ligand_id": ["6301", "6301", "6301", "6300", "6300", "1", "1", "2", "2"],
        "ligand_name": ["trans-C"] * 3 + ["cis-C"] * 2 + ["L-D"] * 2 + ["DL-D"] * 2,
    })
    sat = pd.DataFrame({"smiles": ["C", "C", "D"], "metal": ["Lu3+", "La3+", "Ni2+"],
                        "logK": [4.81, 15.3, 7.0]})
    kept, sat_kept, report = dataset.drop_conflicting_stereoisomers(nist, sat)
    assert set(kept.loc[kept["smiles"] == "C", "nist_ligand_id"]) == {"6301"}
    assert "Lu3+" not in set(kept.loc[kept["smiles"] == "C", "metal"])
    assert len(kept[kept["smiles"] == "D"]) == 4          # agreeing isomers stay merged
    assert list(sat_kept["logK"]) == [15.3, 7.0]          # the copied cis value goes too
    assert len(report) == 1 and "6300" in report[0][2]


def test_committed_table_has_no_cis_cdta_value(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    cdta = t[t["smiles"] == features.standardize_smiles(
        "OC(=O)CN(CC(=O)O)C1CCCCC1N(CC(=O)O)CC(=O)O")]
    lanthanides = cdta[cdta["metal"].isin(["La3+", "Nd3+", "Sm3+", "Lu3+", "Tm3+", "Gd3+"])]
    assert len(lanthanides) and lanthanides["logK"].min() > 10


def test_values_copied_from_another_ligand_are_dropped():
    # SATCMF gives EDDS seven of EDTA's NIST lanthanide constants (Eu 16.23, Tb 16.59 ...) and
    # quinoline those of quinolinic acid; four metals equal to 0.01 is no coincidence
    nist = pd.DataFrame({
        "smiles": ["E"] * 5 + ["S"] * 2,
        "metal": ["Eu3+", "Tb3+", "Dy3+", "Er3+", "Ca2+", "Eu3+", "Ca2+"],
        "logK": [16.23, 16.59, 16.79, 17.45, 10.6, 13.54, 4.6],
        "ligand_name": ["EDTA"] * 5 + ["EDDS"] * 2,
    })
    sat = pd.DataFrame({
        "smiles": ["S"] * 5 + ["Q"] * 3,
        "metal": ["Eu3+", "Tb3+", "Dy3+", "Er3+", "Nd3+", "Eu3+", "Tb3+", "Ca2+"],
        "logK": [16.23, 16.59, 16.79, 17.45, 12.53, 16.23, 16.59, 10.6],
        "source": "SATCMF",
    })
    kept, report = dataset.drop_copied_values(nist, sat)
    assert list(kept["logK"]) == [12.53, 16.23, 16.59, 10.6]   # Q: 3 matches only, kept
    assert len(report) == 1 and report[0][0] == "S" and "EDTA" in report[0][4]


def _ln_series(values: dict, smiles="L", source="NIST_SRD46") -> pd.DataFrame:
    return pd.DataFrame({"smiles": smiles, "metal": [f"{m}3+" for m in values],
                         "logK": list(values.values()), "source": source,
                         "source_id": [f"x{i}" for i in range(len(values))]})


def test_lanthanide_series_outlier_is_dropped_and_a_second_series_is_not():
    smooth = {"La": 15.5, "Ce": 15.9, "Pr": 16.3, "Nd": 16.6, "Sm": 17.1, "Gd": 17.4,
              "Tb": 17.9, "Dy": 18.3, "Er": 18.8, "Lu": 19.8}
    rows = pd.concat([_ln_series(smooth),
                      _ln_series({"Ho": 10.31, "Tb": 13.04}, source="SATCMF"),   # outliers
                      _ln_series({"Yb": 19.4}, source="SATCMF")],               # on the series
                     ignore_index=True)
    kept, report = dataset.drop_lanthanide_outliers(rows)
    assert sorted(kept.loc[kept["source"] == "SATCMF", "logK"]) == [19.4]
    assert len(kept) == len(smooth) + 1 and len(report) == 2
    # an outlier supported by an independent measurement of the same pair stays
    rows2 = pd.concat([_ln_series(smooth), _ln_series({"Ho": 10.3, "Gd": 11.0}, source="SATCMF"),
                       _ln_series({"Ho": 11.2}, source="literature")], ignore_index=True)
    kept2, _ = dataset.drop_lanthanide_outliers(rows2)
    assert set(kept2.loc[kept2["metal"] == "Ho3+", "logK"]) == {10.3, 11.2}
    # one source with two series (DO2A: Gd 19.4, Yb 20.6 beside eleven values near 13): kept
    low = {"Ce": 11.3, "Pr": 12.0, "Nd": 12.6, "Sm": 12.9, "Eu": 13.0, "Tb": 12.9, "Dy": 13.1,
           "Ho": 13.0, "Er": 13.3, "Tm": 13.2, "Lu": 13.2}
    rows3 = pd.concat([_ln_series(low, source="SATCMF"),
                       _ln_series({"Gd": 19.4, "Yb": 20.6}, source="SATCMF")], ignore_index=True)
    kept3, report3 = dataset.drop_lanthanide_outliers(rows3)
    assert len(kept3) == len(rows3) and not report3


def test_committed_table_has_no_copied_or_off_series_lanthanide_value(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    std = features.standardize_smiles
    ln = t["metal"].isin(["Pr3+", "Nd3+", "Eu3+", "Gd3+", "Tb3+", "Ho3+", "Yb3+", "Lu3+"])
    edta = t[ln & (t["smiles"] == std("OC(=O)CN(CCN(CC(=O)O)CC(=O)O)CC(=O)O"))]
    assert len(edta) >= 8 and edta["logK"].min() > 14.5          # SATCMF's 10.3-13.7 gone
    edds = t[ln & (t["smiles"] == std("OC(=O)CC(NCCNC(CC(=O)O)C(=O)O)C(=O)O"))]
    assert len(edds) and edds["logK"].max() < 15.5                # EDTA's copies gone
    quinoline = t[ln & (t["smiles"] == std("c1ccc2ncccc2c1"))]
    assert quinoline.empty                                        # quinolinic acid's values
    conflicts = pd.read_csv(repo_root / "models/stability/conflicts.csv")
    assert conflicts["reason"].str.startswith("copy error").sum() >= 5


def test_constants_of_another_definition_are_dropped():
    # SATCMF's lanthanide "log K1" of an azo dye are NIST's [MHL]/[M][HL] constants
    defs = pd.DataFrame({"smiles": "A", "metal": ["Ce3+", "Eu3+", "Gd3+", "Tb3+", "Cu2+"],
                         "beta_definition_raw": ["[MHL]/[M][HL]"] * 4 + ["[ML<sub>2</sub>]"],
                         "logK": [5.60, 6.05, 6.03, 6.27, 12.0]})
    nist = pd.DataFrame({"smiles": ["A"], "metal": ["Cu2+"], "logK": [12.0]})
    sat = pd.DataFrame({"smiles": "A", "metal": ["Ce3+", "Eu3+", "Gd3+", "Tb3+", "Cu2+", "Dy3+"],
                        "logK": [5.60, 6.05, 6.03, 6.27, 12.0, 9.9], "source": "SATCMF"})
    kept, report = dataset.drop_other_definition_values(defs, nist, sat)
    # Cu2+ 12.0 is also NIST's K_ML (not an error); Dy3+ matches nothing
    assert list(kept["logK"]) == [12.0, 9.9]
    assert len(report) == 1 and "[MHL]/[M][HL]" in report[0][4]
    # fewer than four metals: chance agreement is possible, nothing dropped
    kept2, report2 = dataset.drop_other_definition_values(defs, nist, sat.iloc[[0, 1, 2]])
    assert len(kept2) == 3 and not report2


def test_tautomers_of_one_ligand_get_one_smiles():
    nist = pd.DataFrame({"smiles": ["NC(Cc1c[nH]cn1)C(=O)O"] * 2 + ["[H]C([H])([H])C(=O)O"],
                         "metal": ["Cu2+", "Ni2+", "H+"]})
    sat = pd.DataFrame({"smiles": ["NC(Cc1cnc[nH]1)C(=O)O", "CC(=O)O"], "metal": ["Gd3+"] * 2})
    (n2, s2), renamed = dataset.unify_ligand_smiles([nist, sat])
    assert renamed == [("NC(Cc1cnc[nH]1)C(=O)O", "NC(Cc1c[nH]cn1)C(=O)O")]
    assert s2["smiles"].iloc[0] == "NC(Cc1c[nH]cn1)C(=O)O"
    assert n2["smiles"].iloc[2] == "[H]C([H])([H])C(=O)O"        # isotopologue stays apart


def test_committed_table_one_smiles_per_ligand_and_no_other_definition(repo_root):
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    smiles = pd.Series(t["smiles"].unique())
    plain = smiles[~smiles.str.contains(r"\[H\]|\[\d")]
    keys = plain.map(lambda s: Chem.MolToInchiKey(Chem.MolFromSmiles(s)).split("-")[0])
    assert not keys.duplicated().any(), list(plain[keys.duplicated(keep=False)])
    conflicts = pd.read_csv(repo_root / "models/stability/conflicts.csv")
    assert conflicts["reason"].str.startswith("definition error").sum() >= 1
    dye = t[t["source_id"].astype(str).str.contains("satcmf:row1080(?:;|$)")]
    assert dye.empty                                    # Gd3+ 6.03 = NIST's [MHL]/[M][HL]


def test_chance_agreement_of_single_values_is_not_a_copy():
    # homologous carboxylates with many measurements share single two-decimal values by chance
    # (NIST's acetic and propanoic acid: five metals); a few matches in a long series that does
    # not contradict the ligand's own NIST values are no copy
    metals = ["Cu2+", "Zn2+", "Cd2+", "Pb2+", "Ni2+", "Co2+", "Mn2+", "Ca2+", "Mg2+", "Sr2+"]
    nist = pd.DataFrame({"smiles": "A", "metal": metals[:4], "logK": [1.83, 1.1, 1.3, 2.1],
                         "ligand_name": "acetate"})
    sat = pd.DataFrame({"smiles": "P", "metal": metals,
                        "logK": [1.83, 1.1, 1.3, 2.1, 0.7, 0.6, 0.5, 0.6, 0.5, 0.4],
                        "source": "SATCMF"})
    kept, report = dataset.drop_copied_values(nist, sat)
    assert len(kept) == len(sat) and not report


def test_ml_constant_above_beta2_is_dropped():
    # NIST 1-hydroxy-2-pyridinone/In3+: K_ML 13.97 but beta2 8.83 (Co2+'s beta2) and beta3 13.36
    nist = pd.DataFrame({"smiles": ["H"] * 3, "metal": ["In3+", "Ga3+", "In3+"],
                         "ionic_strength": [0.1, 0.1, 1.0], "logK": [13.97, 9.12, 13.0],
                         "source_id": ["a", "b", "c"]})
    defs = pd.DataFrame({"smiles": "H", "metal": ["In3+", "Ga3+", "In3+"],
                         "beta_definition_raw": [dataset.BETA2_DEFINITION] * 2 + ["[MHL]/[ML][H]"],
                         "logK": [8.83, 16.70, 2.0], "ionic_strength": [0.1, 0.1, 1.0]})
    kept, report = dataset.drop_ml_above_beta2(nist, defs)
    assert list(kept["source_id"]) == ["b", "c"] and len(report) == 1


def test_committed_table_has_no_k_ml_above_beta2(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    hopo = t[(t["smiles"] == features.standardize_smiles("O=c1ccccn1O")) & (t["metal"] == "In3+")]
    assert hopo.empty or hopo["logK"].max() < 12


def test_irving_williams_violation_is_dropped():
    # NIST aminomethylphosphonous acid: Co2+ 8.6 against Ni2+ 3.95 and Cu2+ 4.97
    rows = pd.DataFrame({
        "smiles": ["P"] * 4 + ["Q"] * 3,
        "metal": ["Co2+", "Ni2+", "Cu2+", "Zn2+", "Zn2+", "Ni2+", "Cu2+"],
        "logK": [8.6, 3.95, 4.97, 4.5, 9.0, 5.5, 6.5],
        "source": "NIST_SRD46", "source_id": list("abcdefg"),
    })
    kept, report = dataset.drop_irving_williams_outliers(rows)
    assert list(kept["source_id"]) == list("bcdefg")    # Q: Zn 9.0 is < Cu + 3, kept
    assert len(report) == 1 and report[0][1] == "Co2+"


def test_committed_table_respects_irving_williams(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    med = t.groupby(["smiles", "metal"])["logK"].median().unstack()
    ceiling = med[["Ni2+", "Cu2+"]].max(axis=1, skipna=False) + dataset.IW_MARGIN
    for metal in dataset.IRVING_WILLIAMS_LOW:
        assert not (med[metal] > ceiling).any(), metal


def test_donor_saturation_caps_affinity_products_at_the_coordination_number():
    """``saturate=True``: a ligand with more donors than the ion has sites (TTHA-like,
    10 donors, with Ga3+) gains the metal-affinity products of at most ``cn_pref`` donors;
    without it they grow with every donor (Ga3+ was predicted 11 units too high)."""
    ttha = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"
    lig = features.ligand_feature_frame([ttha, EDTA]).reset_index(drop=True)
    lig["pred_logKH_sum"] = [40.0, 20.0]
    ions = pd.read_csv(Path(__file__).resolve().parents[2] / "models/stability/ions.csv")
    ion = features.ion_feature_frame(ions).loc[["Ga3+", "Ga3+"]].reset_index(drop=True)
    table = {"Ga3+": {"acetate": 3.0, "nta": 13.6}, "Ca2+": {"acetate": 0.5, "nta": 6.4}}
    mref = features.metal_reference_frame(table, np.array(["Ga3+", "Ga3+"], dtype=object))
    free = features.pair_features(lig, ion, np.array([0.1, 0.1]), mref)
    sat = features.pair_features(lig, ion, np.array([0.1, 0.1]), mref, saturate=True)
    cn, aff = ion["cn_pref"].iloc[0], mref["mref_affinity"].iloc[0]
    assert aff > 0
    assert lig["n_donors"].iloc[0] > cn >= lig["n_donors"].iloc[1]
    assert sat["mref_aff_x_donors"].iloc[0] == pytest.approx(aff * cn)
    assert free["mref_aff_x_donors"].iloc[0] == pytest.approx(aff * lig["n_donors"].iloc[0])
    # a ligand within the coordination number is unchanged
    assert sat["mref_aff_x_donors"].iloc[1] == pytest.approx(free["mref_aff_x_donors"].iloc[1])
    assert sat["basicity_x_aff"].iloc[1] == pytest.approx(free["basicity_x_aff"].iloc[1])
    # only the basicity of the donors the ion can bind counts
    assert sat["basicity_x_aff"].iloc[0] == pytest.approx(
        40.0 * cn / lig["n_donors"].iloc[0] * aff)


def test_one_determination_in_two_databases_counts_once_and_out_of_cell_breaks_a_tie():
    """Ga3+-DOTA: NIST's 21.30 and the cited paper behind it (21.33) are one determination,
    not two against a later 26.05; counted twice, they outvoted it. With one determination
    each, the value whose method states an out-of-cell (equilibrated batch) titration wins:
    in-cell titrations of slowly forming macrocyclic complexes can stop short of equilibrium."""
    rows = pd.DataFrame({
        "smiles": ["A"] * 3, "metal": ["Ga3+"] * 3,
        "logK": [21.30, 21.33, 26.05], "ionic_strength": [0.1, 0.1, 0.1],
        "source": ["NIST_SRD46", "literature", "literature"],
        "method": [np.nan, "potentiometry", "out-of-cell pH-potentiometric titration"],
        "n_measurements": 1,
    })
    kept, conflicts = dataset.resolve_conflicts(rows)
    assert list(kept["logK"]) == [26.05]
    assert "out of cell" in conflicts["reason"].iloc[0]
    # without the method statement the two determinations tie and the pair is dropped
    kept, conflicts = dataset.resolve_conflicts(rows.drop(columns="method"))
    assert kept.empty and conflicts["kept"].iloc[0] == ""
    assert dataset.distinct_determinations(pd.Series([21.30, 21.33, 26.05]),
                                           pd.Series([1, 1, 1])) == 2


def test_measured_lookup_resolves_conflicting_literature_rows(tmp_path, repo_root):
    """A literature value entered after the table was built must not be shown as measured
    when it loses the conflict resolution, nor shadow the value that wins it (the look-up
    took the first cited row of the file)."""
    import shutil

    from chelscreen.model import card

    d = tmp_path / "m"
    shutil.copytree(repo_root / "models/stability", d)
    smi = features.standardize_smiles("O=C(O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1")
    lit = pd.DataFrame({
        "id": ["X1", "X2"], "chelator": "DOTA", "smiles": smi, "metal": "Ga3+",
        "logK": ["21.33", "26.05"], "logK_definition": "log K_ML", "temperature_C": "25",
        "ionic_strength_M": "0.1", "medium": "KCl",
        "method": ["potentiometry", "out-of-cell pH-potentiometric titration"],
        "doi": ["10.1/old", "10.1/new"], "quote": "q", "notes": "",
    })
    lit.to_csv(tmp_path / "lit.csv", index=False)
    card.refresh_measured(d, d / "training_table.csv.gz", tmp_path / "lit.csv")
    known = pd.read_csv(d / "known_pairs.csv.gz")
    row = known[(known["smiles"] == smi) & (known["metal"] == "Ga3+")]
    assert list(row["logK"]) == [26.05] and list(row["source"]) == ["doi:10.1/new"]


def test_trivalent_value_above_the_tetravalent_actinide_is_dropped():
    """NIST cupferron: La3+ 12.9 and Sm3+ 14.3 as [ML]/[M][L] beside Th4+ 7.4 (whose ML2 is
    14.3); An4+ binds a hard-donor ligand more strongly than any Ln3+, so the Ln values are
    mis-entries. A second ligand whose Ln value is below Th + 3 keeps it."""
    rows = pd.DataFrame({
        "smiles": ["C"] * 3 + ["D"] * 2,
        "metal": ["La3+", "Sm3+", "Th4+", "Eu3+", "Th4+"],
        "logK": [12.9, 14.3, 7.4, 9.0, 7.0],
        "source": "NIST_SRD46", "source_id": list("abcde"),
    })
    kept, report = dataset.drop_charge_order_outliers(rows)
    assert list(kept["source_id"]) == list("cde")
    assert sorted(r[1] for r in report) == ["La3+", "Sm3+"]


def test_committed_table_respects_the_charge_order(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    med = t.groupby(["smiles", "metal"])["logK"].median().unstack()
    tetra = [m for m in dataset.CHARGE_ORDER_TETRAVALENT if m in med.columns]
    ceiling = med[tetra].max(axis=1) + dataset.CHARGE_ORDER_MARGIN
    for metal in [m for m in dataset.CHARGE_ORDER_TRIVALENT if m in med.columns]:
        assert not (med[metal] > ceiling).any(), metal


def test_complex_ion_ligands_are_not_read_as_their_organic_fragment(tmp_path):
    """NIST's hexacyanoferrate(II), hexacyanocobaltate(III) and octacyano-Mo/W ions (ion-pair
    constants with K+, Mg2+, La3+ …) were standardized to cyanide (the metal split off) and
    their 26 values stood as HCN's; a molfile with a bonded metal is now dropped."""
    sdf = tmp_path / dataset.NIST_SDF
    sdf.parent.mkdir(parents=True)
    w = Chem.SDWriter(str(sdf))
    for lig_id, smi, formula in ((10084, "N#C[Fe-4](C#N)(C#N)(C#N)(C#N)C#N", "C6H4Fe1N6"),
                                 (10090, "C#N", "C1H1N1")):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("nist_ligand_id", str(lig_id))
        mol.SetProp("nist_formula", formula)
        w.write(mol)
    w.close()
    s = dataset.load_nist_structures(tmp_path).set_index("nist_ligand_id")
    assert s.loc[10084, "smiles"] == ""
    assert s.loc[10084, "structure_note"].startswith("metal-containing ligand")
    assert s.loc[10090, "smiles"] == "C#N"


def test_committed_table_cyanide_rows_are_cyanide(repo_root):
    t = pd.read_csv(repo_root / "models/stability/training_table.csv.gz")
    names = set(t.loc[t["smiles"] == "C#N", "ligand_name"])
    assert names and all("cyanide" in n.lower() for n in names), names


def test_extra_interactions_pair_each_donor_type_with_its_ion_property():
    """``extra=True`` adds the donor-type x ion terms: carboxylate O x charge density, amine N
    x hardness, soft S x polarizability, anionic groups x charge. EDTA with Ga3+ and with Ca2+:
    the hard small trivalent ion gets the larger carboxylate term, the soft-donor term is zero
    for a ligand without S/P, and the anionic-group term scales with the ion charge."""
    lig = features.ligand_feature_frame([EDTA, EDTA]).reset_index(drop=True)
    ions = pd.read_csv(Path(__file__).resolve().parents[2] / "models/stability/ions.csv")
    ion = features.ion_feature_frame(ions).loc[["Ga3+", "Ca2+"]].reset_index(drop=True)
    plain = features.pair_features(lig, ion, np.array([0.1, 0.1]))
    X = features.pair_features(lig, ion, np.array([0.1, 0.1]), extra=True)
    assert not set(features.EXTRA_INTERACTIONS) & set(plain.columns)
    assert set(features.EXTRA_INTERACTIONS) <= set(X.columns)
    assert X["carbox_x_z2r"].tolist() == pytest.approx(
        (4 * ion["z2_over_r"]).tolist())
    assert X["carbox_x_z2r"].iloc[0] > X["carbox_x_z2r"].iloc[1]
    assert X["amine_x_hard"].tolist() == pytest.approx((2 * ion["hardness_eV"]).tolist())
    assert (X["soft_x_pol"] == 0).all()
    assert X["anionic_x_z"].iloc[0] / X["anionic_x_z"].iloc[1] == pytest.approx(3 / 2)
