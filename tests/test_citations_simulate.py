"""Citation rules for the simulation tables (ion models and their water checks).

Same rules as tests/test_citations_audit.py, applied to ``chelscreen/simulate/data/ion_1264.csv``
and the result tables of ``benchmarks/validate_ions.py``: every reference carries a well-formed
DOI / PubMed / PMC identifier, or the explicit flag "no identifier" (then the ion or complex is
listed, and counted outside the pass figures); no aggregator is a source; every reference number
is printed in its verbatim quote, or is listed below with the reason it is derived.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.test_citations_audit import aggregator_hits, identifier_problems, value_in_quote

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FLAG = "no identifier"
ID_IN_TEXT = re.compile(r"(?:doi:\s?)?(10\.\d{4,9}/[^\s;,()]*[^\s;,.()])|(PMID):?\s?(\d{5,9})|(PMC\d{5,9})")

#: references without a readable identifier, by table (a new one must be added here on purpose)
FLAGGED = {
    "ion_1264.csv": {"Bi3+"},
    "sim_ion_validation.csv": {"Bi3+"},
    "sim_qwater_validation.csv": {"Gd-DOTA", "Gd-DTPA", "Gd-TETA"},
}
#: reference numbers derived from the quoted ones (not printed in the quote), with the reason
DERIVED = {
    ("La3+", "r_ref_A"): "weighted mean of the quoted 6 x 2.52 and 3 x 2.65 A",
    ("La3+", "cn_ref"): "6 + 3 waters as quoted",
    ("Cu2+", "r_ref_A"): "mean of the quoted 4 x 1.96, 2.15 and 2.32 A",
    ("Cu2+", "cn_ref"): "midpoint of the quoted 5- and 6-coordinate forms",
    ("Gd3+", "cn_ref"): "midpoint of the tabulated CN range 8.0-9.9",
    ("Gd-TETA", "q_ref"): "'no water in the first coordination sphere' = 0",
}


def identifiers(text: str) -> list[str]:
    """Identifiers named in a free-text source, in the audit's form (10.x/..., PMID:n, PMCn)."""
    out = []
    for doi, pmid, num, pmc in ID_IN_TEXT.findall(str(text)):
        out.append(doi or (f"PMID:{num}" if pmid else pmc))
    return out


def check_source(text: str) -> str:
    """'ok', 'flagged' or a problem description."""
    if aggregator_hits(text):
        return f"aggregator {aggregator_hits(text)}"
    ids = identifiers(text)
    if not ids:
        return "flagged" if str(text).strip().startswith(FLAG) or f"({FLAG}:" in str(text) \
            else "no identifier and no flag"
    bad = [p for i in ids for p in identifier_problems(i)]
    return "; ".join(bad) if bad else "ok"


def _findings(path: Path, key: str, source_col: str, quote_col: str | None,
              value_cols: tuple[str, ...]) -> tuple[list, set]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems, flagged = [], set()
    for _, r in df.iterrows():
        status = check_source(r[source_col])
        if status == "flagged":
            flagged.add(r[key])
        elif status != "ok":
            problems.append((path.name, r[key], status))
        if quote_col is None:
            continue
        if len(r[quote_col].strip()) < 20:
            problems.append((path.name, r[key], "quote empty or too short"))
        for c in value_cols:
            if (r[key], c) not in DERIVED and not value_in_quote(r[c], r[quote_col]):
                problems.append((path.name, r[key], f"{c}={r[c]} not in the quote"))
    return problems, flagged


@pytest.mark.parametrize(("name", "key", "source_col", "quote_col", "values"), [
    ("ion_1264.csv", "ion", "rmin2_source", None, ()),
    ("sim_ion_validation.csv", "ion", "ref", "ref_quote", ("r_ref_A", "cn_ref")),
    ("sim_qwater_validation.csv", "complex", "ref", "ref_quote", ("q_ref",)),
])
def test_simulation_references_are_identified_or_flagged(name, key, source_col, quote_col, values):
    path = (ROOT / "chelscreen" / "simulate" / "data" / name if name == "ion_1264.csv"
            else RESULTS / name)
    problems, flagged = _findings(path, key, source_col, quote_col, values)
    assert not problems, problems
    assert flagged == FLAGGED[name], flagged


def test_hfe_references_are_identified_and_quoted():
    path = RESULTS / "sim_hfe_validation.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    cited = df[df["hfe_ref_kcal"] != ""]
    assert len(cited) >= 8
    for _, r in cited.iterrows():
        assert check_source(r["hfe_ref_source"]) == "ok", r["ion"]
        assert value_in_quote(r["hfe_ref_kcal"], r["hfe_ref_quote"]), r["ion"]
    for _, r in df[df["hfe_ref_kcal"] == ""].iterrows():
        assert r["hfe_ref_source"] == "no reference read" and r["hfe_within_tol"] == "", r["ion"]


def test_ions_with_a_flagged_reference_are_counted_outside_the_pass_figures(capsys):
    spec = importlib.util.spec_from_file_location("validate_ions",
                                                  ROOT / "benchmarks" / "validate_ions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    df = pd.read_csv(RESULTS / "sim_ion_validation.csv")
    mod.print_table(df)
    out = capsys.readouterr().out
    n_id = int(((df["model"] == "12-6-4") & ~df["ref"].str.startswith(FLAG)).sum())
    assert f"References with a DOI/PMID/PMC identifier ({n_id} ions)" in out
    assert "Outside these figures (reference without identifier): Bi3+" in out


def test_the_checks_are_not_vacuous():
    assert check_source("doi:10.1021/ic1017714") == "ok"
    assert check_source("PMID 15249950") == "ok"
    assert check_source("J. Phys. Chem. B 2015, 119, 883, Table 1 (PMC4306492)") == "ok"
    assert check_source("Khan et al., J. Phys. Chem. A 2012") == "no identifier and no flag"
    assert check_source("no identifier: Khan et al. 2012") == "flagged"
    assert check_source("fitted to 2.51 A (no identifier: Khan et al.), TIP3P") == "flagged"
    assert check_source("https://datapdf.com/x (doi:10.1021/jp1)").startswith("aggregator")


def test_pb2_spread_sources_are_identified_or_flagged_and_distances_quoted():
    spec = importlib.util.spec_from_file_location("validate_ions",
                                                  ROOT / "benchmarks" / "validate_ions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert len(mod.PB_SPREAD) >= 4
    for method, _cn, r, src, quote in mod.PB_SPREAD:
        assert check_source(src) in ("ok", "flagged"), method
        assert len(quote) >= 20, method
        if r is not None:
            assert value_in_quote(r, quote), method
