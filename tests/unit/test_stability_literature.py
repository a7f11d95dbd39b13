"""Integrity of the curated literature stability constants ``molecules/stability_literature.csv``.

Each row is one published constant for a chelator–metal pair with its definition, conditions,
a DOI (or PMC/PubMed id) and a verbatim quote that contains the number (molecules/README.md,
"Literature stability constants").
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from rdkit import Chem, RDLogger

from chelscreen._resources import molecules_dir
from chelscreen.metals import parse_metal

RDLogger.DisableLog("rdApp.*")

COLUMNS = [
    "id",
    "chelator",
    "smiles",
    "metal",
    "logK",
    "logK_definition",
    "temperature_C",
    "ionic_strength_M",
    "medium",
    "method",
    "doi",
    "quote",
    "notes",
]
ML_DEFINITION = "log K_ML (M + L ⇌ ML, fully deprotonated L)"
SOURCE_RE = re.compile(r"^(10\.\d{4,9}/\S+|PMC\d+|PMID:\d+)$")
# Aggregators, mirrors and proxies are not sources (HELPERS.md, "Citations").
FORBIDDEN_SOURCE_PARTS = [
    "kiwix",
    "iiab",
    "grokipedia",
    "pubcompare",
    "booksci",
    "datapdf",
    "scite",
    "wikipedia",
    "vivo.weill",
    "123dok",
    "coek.info",
    "scribd",
    "tomesphere",
    "cricutcom",
    "http",
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(
        molecules_dir() / "stability_literature.csv",
        dtype={"id": str, "doi": str, "quote": str, "notes": str, "medium": str, "method": str},
        keep_default_na=False,
        na_values={"logK": [""], "temperature_C": [""], "ionic_strength_M": [""]},
    )


def _numbers(text: str) -> set[float]:
    """Every decimal number written in ``text`` (unicode minus and 'log K=30.3' forms included)."""
    return {float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)}


def test_columns_and_size(table: pd.DataFrame) -> None:
    assert list(table.columns) == COLUMNS
    assert len(table) >= 30


def test_ids_unique_and_well_formed(table: pd.DataFrame) -> None:
    assert table["id"].is_unique
    assert table["id"].str.fullmatch(r"SL\d{4}").all()


def test_every_smiles_parses_as_a_neutral_single_fragment(table: pd.DataFrame) -> None:
    bad = []
    for r in table.itertuples():
        mol = Chem.MolFromSmiles(r.smiles)
        if mol is None or "." in r.smiles or any(a.GetFormalCharge() for a in mol.GetAtoms()):
            bad.append(r.id)
    assert bad == []


def test_one_structure_per_chelator_name(table: pd.DataFrame) -> None:
    canon = table.assign(c=[Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in table.smiles])
    per_name = canon.groupby("chelator")["c"].nunique()
    assert per_name[per_name > 1].index.tolist() == []


def test_metals_are_known_ions_written_canonically(table: pd.DataFrame) -> None:
    for r in table.itertuples():
        spec = parse_metal(r.metal)
        assert spec.nuclide is None, r.id
        assert spec.ion.symbol == r.metal, f"{r.id}: write the ion as {spec.ion.symbol}"


def test_logk_finite_and_in_range(table: pd.DataFrame) -> None:
    valued = table[table.logK.notna()]
    assert len(valued) >= 25
    assert valued.logK.map(math.isfinite).all()
    assert ((valued.logK > -2) & (valued.logK < 60)).all()


def test_rows_without_a_value_state_their_definition(table: pd.DataFrame) -> None:
    """A constant of another kind (log β of a protonated species, conditional K, pM) keeps its
    definition and leaves ``logK`` empty; a valued row is an ML constant."""
    valued = table[table.logK.notna()]
    assert (valued.logK_definition == ML_DEFINITION).all()
    other = table[table.logK.isna()]
    assert (other.logK_definition != ML_DEFINITION).all()
    assert (other.notes.str.len() > 0).all()


def test_conditions_in_range(table: pd.DataFrame) -> None:
    t, i = table.temperature_C, table.ionic_strength_M
    assert (t.isna() | ((t >= 0) & (t <= 100))).all()
    assert (i.isna() | ((i >= 0) & (i <= 6))).all()


def test_every_row_has_a_doi_or_pubmed_id(table: pd.DataFrame) -> None:
    bad = [r.id for r in table.itertuples() if not SOURCE_RE.match(r.doi)]
    assert bad == []


def test_no_aggregator_or_mirror_source(table: pd.DataFrame) -> None:
    bad = [
        r.id
        for r in table.itertuples()
        if any(p in r.doi.lower() for p in FORBIDDEN_SOURCE_PARTS)
    ]
    assert bad == []


def test_the_number_is_in_the_quote(table: pd.DataFrame) -> None:
    missing = []
    for r in table.itertuples():
        assert len(r.quote) >= 30, r.id
        if not math.isnan(r.logK) and not any(abs(r.logK - x) < 1e-9 for x in _numbers(r.quote)):
            missing.append(r.id)
    assert missing == []


def test_no_duplicate_rows(table: pd.DataFrame) -> None:
    canon = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in table.smiles]
    keys = list(zip(canon, table.metal, table.doi, table.logK.fillna(-999.0), strict=True))
    assert len(set(keys)) == len(keys)


def test_number_check_catches_a_wrong_value() -> None:
    """The quote check is not vacuous: a value absent from its quote is detected."""
    assert 30.3 in _numbers("log K= 30.3 and 26.8, respectively")
    assert 30.4 not in _numbers("log K= 30.3 and 26.8, respectively")


def _library_structures() -> dict[str, str]:
    lib = pd.read_csv(molecules_dir() / "chelators.csv", dtype=str, keep_default_na=False)
    out: dict[str, str] = {}
    for r in lib.itertuples():
        canon = Chem.MolToSmiles(Chem.MolFromSmiles(r.smiles))
        for n in [r.name, *r.aliases.split(";")]:
            if n.strip():
                out[n.strip().lower()] = canon
    return out


def test_library_names_carry_the_library_structure(table: pd.DataFrame) -> None:
    """A row naming a library chelator (name or alias) must use that chelator's structure, so that
    the 'measured' look-up and training join the right ligand."""
    lib = _library_structures()
    assert {"dota", "aazta", "nota"} <= lib.keys()
    bad = [
        r.id
        for r in table.itertuples()
        if r.chelator.lower() in lib
        and Chem.MolToSmiles(Chem.MolFromSmiles(r.smiles)) != lib[r.chelator.lower()]
    ]
    assert bad == []


def test_every_cited_constant_is_shown_as_measured():
    """Literature rows are evidence: the bundled look-up shows each one with its DOI."""
    import numpy as np

    from chelscreen.model.predict import predict_pairs

    lit = pd.read_csv(molecules_dir() / "stability_literature.csv", dtype=str,
                      keep_default_na=False)
    lit["k"] = pd.to_numeric(lit["logK"], errors="coerce")
    use = lit[np.isfinite(lit["k"]) & (lit["doi"].str.strip() != "")]
    pairs = use[["smiles", "metal"]].drop_duplicates().reset_index(drop=True)
    out = predict_pairs(pairs)
    assert len(out) == len(pairs)
    for (smi, metal), r in zip(pairs.itertuples(index=False), out.itertuples(), strict=True):
        cited = use[(use.smiles == smi) & (use.metal == metal)]
        assert r.logK_basis == "measured", (smi, metal, r.logK_basis)
        assert any(abs(r.logK_exp - v) < 1e-6 for v in cited["k"]), (smi, metal, r.logK_exp)
        assert "doi:" in r.logK_exp_source


def test_a_measured_pair_is_not_an_out_of_domain_warning():
    # review M4: DFO-Zr4+ (measured 36.14, doi) came back status=warning "outside the
    # applicability domain" because few Zr4+ rows exist; the answer is the measurement
    from chelscreen.model.predict import predict_stability

    out = predict_stability(["DFO"], ["Zr4+"])
    r = out.iloc[0]
    assert r.logK_basis == "measured" and r.status == "ok"
    assert "measured value shown" in r.message


def test_dfo_constants_derived_from_nist_protonated_complexes_are_measured():
    # NIST lists DFO only through its protonated complexes ([MHL]/[M][HL], [MHL]/[ML][H]);
    # the thermodynamic cycle with log K(HL) gives K_ML (Ga3+ 28.17 + 10.79 - 10.31 = 28.65)
    from chelscreen.model.predict import predict_stability

    out = predict_stability(["DFO"], ["Ga3+", "Fe3+"]).set_index("metal")
    assert out.loc["Ga3+", "logK_exp"] == pytest.approx(28.65)
    assert out.loc["Fe3+", "logK_exp"] == pytest.approx(31.09)
    assert "derived from its MHL constants" in out.loc["Ga3+", "logK_exp_source"]
