"""Integrity of the curated radiolabeling table molecules/labeling.csv."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from chelscreen._resources import molecules_dir
from chelscreen.radiolabeling import TABLE_COLUMNS, parse_nuclide


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(molecules_dir() / "labeling.csv", dtype={"molar_activity": str})


def test_columns_and_ids(table):
    assert list(table.columns) == TABLE_COLUMNS
    assert table["id"].is_unique
    assert len(table) >= 40


def test_every_smiles_parses(table):
    bad = [r.id for r in table.itertuples() if Chem.MolFromSmiles(r.chelator_smiles) is None]
    assert bad == []


#: DOI, PubMed or PMC identifier; no URL (aggregators and mirrors are not sources).
_SOURCE_ID = re.compile(r"^(10\.\d{4,9}/\S+|PMID:\d+|PMC\d+)$")


def test_every_row_cites_a_doi_pmid_or_pmc(table):
    bad = [r.id for r in table.itertuples() if not _SOURCE_ID.match(str(r.doi))]
    assert bad == []


def test_no_aggregator_or_mirror_anywhere(table):
    mirrors = ("vivo.weill", "pubcompare", "jnm.snmjournals.org/lookup", "booksci", "datapdf",
               "scite", "weglot", "kiwix", "grokipedia", "medifind", "123docz")
    for r in table.itertuples():
        text = f"{r.doi} {r.notes} {r.quote}"
        assert not any(m in text for m in mirrors), r.id


def _numbers(text: str) -> set[float]:
    return {float(x) for x in re.findall(r"\d+(?:\.\d+)?", text.replace("−", "-"))}


def test_quote_contains_one_of_the_row_numbers(table):
    for r in table.itertuples():
        values = {v for v in (r.temperature_C, r.time_min, r.rcy_percent, r.pH,
                              r.ligand_amount_nmol, r.ligand_conc_uM) if np.isfinite(v)}
        found = _numbers(str(r.quote)) | _numbers(str(r.notes))
        assert values & found, f"{r.id}: none of {values} appears in its quote/notes"
        assert len(str(r.quote)) >= 30, r.id


def test_numbers_in_range(table):
    t, ph, tm, rcy = table.temperature_C, table.pH, table.time_min, table.rcy_percent
    assert ((t.isna()) | ((t >= 0) & (t <= 130))).all()
    assert ((ph.isna()) | ((ph >= 0) & (ph <= 14))).all()
    assert ((tm.isna()) | (tm > 0)).all()
    assert ((rcy.isna()) | ((rcy >= 0) & (rcy <= 100))).all()
    assert ((table.ligand_conc_uM.isna()) | (table.ligand_conc_uM > 0)).all()


def test_known_radionuclides(table):
    for n in table.radionuclide:
        spec = parse_nuclide(n)
        assert spec.nuclide == n


def test_library_names_use_library_smiles(table):
    """A chelator named as in molecules/chelators.csv carries that file's structure."""
    lib = pd.read_csv(molecules_dir() / "chelators.csv")
    canon = {}
    for name, aliases, smi in zip(lib["name"], lib["aliases"].fillna(""), lib["smiles"]):
        c = Chem.MolToSmiles(Chem.MolFromSmiles(smi))
        for key in [name, *[a for a in aliases.split(";") if a]]:
            canon.setdefault(key.lower(), c)
    bad = [r.id for r in table.itertuples() if r.chelator.lower() in canon
           and canon[r.chelator.lower()] != Chem.MolToSmiles(Chem.MolFromSmiles(r.chelator_smiles))]
    assert bad == []
    assert sum(r.chelator.lower() in canon for r in table.itertuples()) >= 30


def test_every_row_has_project_features(table):
    from chelscreen.radiolabeling import pair_features

    structural = ("ion_z2_over_r", "preorganization_code", "cavity_mismatch_pm",
                  "denticity_deficit", "ion_charge", "ligand_charge_pH7_4")
    for r in table.itertuples():
        feats = pair_features(r.chelator_smiles, parse_nuclide(r.radionuclide).element)
        assert all(np.isfinite(feats[f]) for f in structural), r.id


def test_coverage_of_issue_radionuclides(table):
    elements = {parse_nuclide(n).element for n in table.radionuclide}
    for el in ("Ac", "Pb", "Bi", "Lu", "Y", "Ga", "Sc", "Cu", "In", "Zr"):
        assert el in elements, el


def test_has_negative_examples(table):
    mild_fail = table[(table.temperature_C <= 40) & (table.rcy_percent < 95)]
    assert len(mild_fail) >= 1
