"""Contracts of the Python API and of the house rules (one executor, one writer, one parser)."""

from __future__ import annotations

import doctest
import gzip
import importlib
import inspect
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import chelscreen
from chelscreen.errors import OutputFileError, UnsupportedMetalError
from chelscreen.io import read_ligands, write_table

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chelscreen"


# --- public API --------------------------------------------------------------------------------
def test_dir_lists_only_the_api():
    names = dir(chelscreen)
    assert names == sorted(chelscreen.__all__)
    for leaked in ("importlib", "Any", "annotations", "_LAZY"):
        assert leaked not in names


def _public():
    return [(n, getattr(chelscreen, n)) for n in chelscreen.__all__ if n != "__version__"]


@pytest.mark.parametrize("name", [n for n in chelscreen.__all__ if n != "__version__"])
def test_public_signature_has_no_private_parameters_and_an_example(name):
    obj = getattr(chelscreen, name)
    params = inspect.signature(obj).parameters
    assert not [p for p in params if p.startswith("_")], f"{name}{inspect.signature(obj)}"
    doc = inspect.getdoc(obj) or ""
    assert re.search(r"^Examples\n-{8}", doc, re.M), f"{name} has no numpydoc Examples section"
    assert ">>>" in doc


@pytest.mark.parametrize("module", ["chelscreen.io", "chelscreen.metals", "chelscreen._parallel",
                                    "chelscreen.chem.standardize", "chelscreen.decay",
                                    "chelscreen.chem.descriptors"])
def test_examples_run(module):
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_read_ligands_warns_for_fewer_than_two_donors():
    df = read_ligands(["CCO", "CCCC", "OC(=O)CN(CC(=O)O)CC(=O)O"])
    assert df["status"].tolist() == ["warning", "warning", "ok"]
    assert "only 1 donor atom" in df["message"][0]
    assert "only 0 donor atoms" in df["message"][1]


def test_read_ligands_result_passes_through_unchanged():
    df = read_ligands(["DOTA", "bad((", "CCO"])
    again = read_ligands(df)
    pd.testing.assert_frame_equal(df.drop(columns="mol"), again.drop(columns="mol"))


# --- one nuclide parser ------------------------------------------------------------------------
@pytest.mark.parametrize("text,nuclide", [
    ("AC-225", "Ac-225"), ("225-Ac", "Ac-225"), ("ac225", "Ac-225"), ("225Ac", "Ac-225"),
    ("[225Ac]Ac", "Ac-225"), ("177Lu3+", "Lu-177"), ("actinium-225", "Ac-225"),
    ("Cd-111m", "Cd-111m"),
])
def test_one_nuclide_parser_accepts_radioactivedecay_spellings(text, nuclide):
    from chelscreen.decay import normalize_nuclide
    from chelscreen.metals import parse_metal, parse_nuclide
    from chelscreen.radiolabeling import parse_nuclide as labeling_parse

    assert parse_metal(text).nuclide == nuclide
    assert parse_nuclide(text) == nuclide
    assert normalize_nuclide(text) == nuclide
    if nuclide != "Cd-111m":
        assert labeling_parse(text).nuclide == nuclide


def test_nuclide_parser_delegates_to_radioactivedecay():
    src = inspect.getsource(importlib.import_module("chelscreen.metals"))
    assert "parse_nuclide_str" in src
    with pytest.raises(UnsupportedMetalError, match="'Ac-2255'"):
        chelscreen.parse_metal("Ac-2255")


# --- one writer ----------------------------------------------------------------------------------
def test_write_table_formats_and_errors(tmp_path):
    df = pd.DataFrame({"id": ["a", "b"], "smiles": ["CCO", ""], "n": [1, None]})
    write_table(df, tmp_path / "x" / "t.json.gz")
    rows = json.loads(gzip.decompress((tmp_path / "x" / "t.json.gz").read_bytes()))
    assert rows == [{"id": "a", "smiles": "CCO", "n": 1.0}, {"id": "b", "smiles": "", "n": None}]
    sdf = write_table(df, tmp_path / "t.sdf").read_text()
    assert sdf.count("$$$$") == 2  # the row without a structure is kept as an empty record
    with pytest.raises(OutputFileError, match="unknown output type '.xlsx'"):
        write_table(df, tmp_path / "t.xlsx")
    with pytest.raises(OutputFileError, match="unknown output type"):
        write_table(df, tmp_path / "t.parquet.gz")


def test_cli_writes_only_through_the_one_writer():
    offenders = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        text = path.read_text()
        for pat in (r"\.to_csv\(\s*(?!sys\.stdout|index=False\)|\)|index=False, float)",
                    r"\.to_parquet\(", r"\.to_json\(\s*p", r"\.write_text\("):
            for m in re.finditer(pat, text):
                offenders.append(f"{path.name}: {m.group(0)}")
    # chelscreen dose keeps its own JSON layout (attrs + rows); everything else uses write_table
    offenders = [o for o in offenders if not o.startswith("dose.py")]
    assert not offenders, offenders


# --- one executor ----------------------------------------------------------------------------------
def test_one_executor():
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_parallel.py":
            continue
        text = path.read_text()
        for pat in ("ProcessPoolExecutor", "multiprocessing", "os.cpu_count", "Pool("):
            if pat in text:
                hits.append(f"{path.relative_to(ROOT)}: {pat}")
    assert not hits, f"process pools outside chelscreen/_parallel.py: {hits}"


def test_resolve_n_jobs_is_joblibs_rule():
    from joblib import effective_n_jobs

    from chelscreen._parallel import resolve_n_jobs

    assert resolve_n_jobs(-1) == effective_n_jobs(-1)
    assert resolve_n_jobs(0) == resolve_n_jobs(None) == 1


def test_parallel_read_equals_serial():
    items = ["DOTA", "EDTA", "bad((", "CCO"] * 60
    serial = read_ligands(items, n_jobs=1).drop(columns="mol")
    parallel = read_ligands(items, n_jobs=2).drop(columns="mol")
    pd.testing.assert_frame_equal(serial, parallel)


# --- SDF through RDKit's supplier ---------------------------------------------------------------
def test_sdf_is_read_by_rdkit_supplier():
    src = inspect.getsource(importlib.import_module("chelscreen.io"))
    assert "SDMolSupplier" in src
    assert "def _sdf_props" not in src and "def _parse_molblock" not in src


def test_sdf_v3000_record(tmp_path):
    from rdkit import Chem

    m = Chem.MolFromSmiles("OC(=O)CN(CC(=O)O)CC(=O)O")
    m.SetProp("_Name", "NTA")
    m.SetProp("batch", "7")
    f = tmp_path / "v3.sdf"
    f.write_text(Chem.MolToV3KMolBlock(m) + "> <batch>\n7\n\n$$$$\n")
    df = read_ligands(f, keep_columns=True)
    assert df["name"].tolist() == ["NTA"] and df["status"].tolist() == ["ok"]
    assert df["batch"].tolist() == ["7"]


# --- decay plot --------------------------------------------------------------------------------
def test_decay_plot_shows_daughter_fate(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from unittest import mock

    import matplotlib.figure

    from chelscreen.decay import plot_decay, readable_time

    saved = {}
    real = matplotlib.figure.Figure.savefig

    def spy(fig, *a, **k):
        saved["fig"] = fig
        return real(fig, *a, **k)

    with mock.patch.object(matplotlib.figure.Figure, "savefig", spy):
        out = plot_decay("Ac-225", tmp_path / "p" / "ac.png", chelator="macropa")
    assert out.exists() and out.stat().st_size > 10_000
    ax, bx = saved["fig"].axes[:2]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("µs" in t for t in labels) and not any(" us" in t for t in labels)
    lines = ax.get_lines()
    styles = {(ln.get_color(), ln.get_linestyle(), ln.get_marker()) for ln in lines}
    assert len(styles) == len(lines)  # every curve distinguishable
    legend = [t.get_text() for t in bx.get_legend().get_texts()]
    assert any("released" in t for t in legend) and any("retained" in t for t in legend)
    assert "macropa" in bx.get_title()
    assert readable_time(4.2e-6) == "4.2 µs"
