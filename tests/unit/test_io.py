"""Tests of chelscreen.io: every source type, gzip, bad rows, file errors, library names."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

import chelscreen
import chelscreen._resources
from chelscreen.errors import ChelscreenError, InputFileError
from chelscreen.io import COLUMNS, library_lookup, load_library, read_ligands

DOTA = Chem.MolToSmiles(Chem.MolFromSmiles("OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"))
EDTA = Chem.MolToSmiles(Chem.MolFromSmiles("OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"))
NTA = Chem.MolToSmiles(Chem.MolFromSmiles("OC(=O)CN(CC(=O)O)CC(=O)O"))
MACROPA = "O=C(O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1"
DOTAM = "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1"

TINY_LIBRARY = (
    "name,aliases,smiles,formula,class\n"
    f"DOTA,H4DOTA;tetraxetan,{DOTA},C16H28N4O8,macrocycle\n"
    f"macropa,H2macropa,{MACROPA},C26H36N4O8,macrocycle\n"
    f"DOTAM,TCMC;DOTA-tetraamide,{DOTAM},C16H32N8O4,macrocycle\n"
    '"cryptand [2.2.2]",Kryptofix 222,C1COCCN2CCOCCOCCN(CCO1)CCOCCOCC2,C18H36N2O6,cryptand\n'
)


@pytest.fixture
def tiny_library(tmp_path, monkeypatch) -> Path:
    """A three-entry library in a temporary molecules/ folder (independent of the real one)."""
    folder = tmp_path / "molecules"
    folder.mkdir()
    (folder / "chelators.csv").write_text(TINY_LIBRARY)
    monkeypatch.setattr(chelscreen._resources, "molecules_dir", lambda: folder)
    return folder


def table(df: pd.DataFrame) -> list[tuple]:
    return list(df[["id", "name", "smiles", "status"]].itertuples(index=False, name=None))


def assert_frame_shape(df: pd.DataFrame, n: int) -> None:
    assert list(df.columns) == COLUMNS
    assert len(df) == n
    ok = df["status"] != "invalid"
    assert all(isinstance(m, Chem.Mol) for m in df.loc[ok, "mol"])
    assert all(m is None for m in df.loc[~ok, "mol"])
    assert (df.loc[~ok, "smiles"] == "").all()
    assert (df.loc[~ok, "message"].str.len() > 0).all()


# --- .smi ------------------------------------------------------------------------------------
SMI_EXPECTED = [  # (id, name, status, words in message)
    ("L0001", "DOTA", "ok", []),
    ("L0002", "unclosed_ring", "invalid", ["line 3", "unclosed ring"]),
    ("L0003", "", "invalid", ["line 4", "empty line"]),
    ("L0004", "hydrogen", "invalid", ["line 5", "no heavy atoms"]),
    ("L0005", "big_chain", "invalid", ["line 6", "310 heavy atoms", "300"]),
    ("L0006", "arsine", "invalid", ["line 7", "unsupported element", "As"]),
    ("L0007", "NTA", "ok", []),
    ("L0008", "Gd-DOTA", "ok", ["Gd3+"]),
    ("L0009", "pentavalent N", "invalid", ["line 11", "valence"]),
]


@pytest.mark.parametrize("fname", ["ligands_bad.smi", "ligands_bad.smi.gz"])
def test_smi_file_with_bad_rows(test_data, tiny_library, fname):
    df = read_ligands(test_data / fname)
    assert_frame_shape(df, len(SMI_EXPECTED))
    for (ident, name, status, words), row in zip(SMI_EXPECTED, df.itertuples()):
        assert (row.id, row.name, row.status) == (ident, name, status), row
        for w in words:
            assert w in row.message, row.message
    assert df["smiles"].tolist()[0] == DOTA
    assert df["smiles"].tolist()[7] == DOTA
    assert df["bound_metal"].tolist() == [""] * 7 + ["Gd3+", ""]
    assert df["input"].tolist()[1] == "C1CC"
    assert df["smiles"].tolist()[6] == NTA


def test_smi_gzip_equals_plain(test_data, tiny_library):
    a = read_ligands(test_data / "ligands_bad.smi").drop(columns="mol")
    b = read_ligands(str(test_data / "ligands_bad.smi.gz")).drop(columns="mol")
    pd.testing.assert_frame_equal(a, b)


def test_smi_header_comments_names_with_spaces_and_library_lines(tmp_path, tiny_library):
    f = tmp_path / "x.txt"
    f.write_text(
        "\n# comment\nSMILES\tname\n"
        f"{EDTA}\tedetic acid, free acid\n"
        "cryptand [2.2.2]\n"
        f"{NTA} nitrilotriacetic acid\n"
        "dota\n\n\n"
    )
    df = read_ligands(f)
    assert table(df) == [
        ("L0001", "edetic acid, free acid", EDTA, "ok"),
        (
            "L0002",
            "cryptand [2.2.2]",
            Chem.MolToSmiles(Chem.MolFromSmiles("C1COCCN2CCOCCOCCN(CCO1)CCOCCOCC2")),
            "ok",
        ),
        ("L0003", "nitrilotriacetic acid", NTA, "ok"),
        ("L0004", "DOTA", DOTA, "ok"),
    ]


# --- .csv / .tsv -----------------------------------------------------------------------------
CSV_EXPECTED = [
    ("D1", "DOTA", DOTA, "warning"),  # duplicate id D1
    ("D2", None, DOTA, "ok"),  # tetrasodium salt
    ("D3", "bad ring", "", "invalid"),
    ("L0004", "empty-id EDTA", EDTA, "ok"),
    ("D5", "no smiles", "", "invalid"),
    ("D1", "duplicate id NTA", NTA, "warning"),
    ("D7", "library name", Chem.MolToSmiles(Chem.MolFromSmiles(MACROPA)), "ok"),
    ("L0008", "", "", "invalid"),
    ("D9", "xenon", "", "invalid"),
]


@pytest.mark.parametrize(
    "fname", ["ligands_bad.csv", "ligands_bad.csv.gz", "ligands_bad.tsv", "ligands_bad.tsv.gz"]
)
def test_table_file_with_bad_rows(test_data, tiny_library, fname):
    df = read_ligands(test_data / fname)
    assert_frame_shape(df, len(CSV_EXPECTED))
    for exp, got in zip(CSV_EXPECTED, table(df)):
        assert got[0] == exp[0] and got[2:] == exp[2:], (exp, got)
        if exp[1] is not None:
            assert got[1] == exp[1]
    msg = df["message"].tolist()
    assert "row 1 (line 2)" in msg[0] and "duplicate id 'D1'" in msg[0] and "row 6" in msg[0]
    assert "duplicate id 'D1'" in msg[5] and "row 1" in msg[5]
    assert "Na+ x4" in msg[1]
    assert "row 3 (line 4)" in msg[2] and "unclosed ring" in msg[2]
    assert "row 5 (line 6)" in msg[4] and "empty 'smiles' cell" in msg[4]
    assert "macropa" in msg[6]
    assert "row 8 (line 9)" in msg[7] and "empty line" in msg[7]
    assert "row 9 (line 10)" in msg[8] and "Xe" in msg[8]


def test_csv_column_options(tmp_path, test_data):
    df = read_ligands(test_data / "wrong_column.csv", smiles_column="SMILE")
    assert table(df) == [("X1", "DOTA", DOTA, "ok")]
    f = tmp_path / "cols.csv"
    f.write_text("Structure,Label,Code\nCCO,ethanol,E1\n")
    df = read_ligands(f, smiles_column="structure", name_column="Label", id_column="Code")
    # ethanol has one donor atom: read, but flagged (it cannot chelate)
    assert table(df) == [("E1", "ethanol", "CCO", "warning")]
    assert "only 1 donor atom" in df["message"][0]
    with pytest.raises(InputFileError, match="no column 'Nom'.*Structure, Label, Code"):
        read_ligands(f, smiles_column="Structure", name_column="Nom")


def test_headerless_csv_gets_a_header_hint(tmp_path):
    f = tmp_path / "noheader.csv"
    f.write_text("CCO,ethanol\nCCN,ethylamine\n")
    with pytest.raises(InputFileError, match="first line looks like data"):
        read_ligands(f)


def test_csv_semicolon_and_canonical_smiles_column(tmp_path):
    f = tmp_path / "semi.csv"
    f.write_text("\n\nname;canonical_smiles\nNTA;OC(=O)CN(CC(=O)O)CC(=O)O\nx;C1CC\n")
    df = read_ligands(f)
    assert table(df) == [("L0001", "NTA", NTA, "ok"), ("L0002", "x", "", "invalid")]
    assert df["message"][1].startswith("row 2 (line 5):")


# --- .sdf ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fname", ["ligands_bad.sdf", "ligands_bad.sdf.gz"])
def test_sdf_file_with_bad_records(test_data, tiny_library, fname):
    df = read_ligands(test_data / fname)
    assert_frame_shape(df, 5)
    assert table(df) == [
        ("S1", "DOTA", DOTA, "ok"),
        ("S2", "EDTA", EDTA, "ok"),  # name from the 'name' property (empty title)
        ("S3", "bad_valence", "", "invalid"),
        ("S4", "garbage", "", "invalid"),
        ("S5", "Gd-DOTA from property", DOTA, "ok"),
    ]
    msg = df["message"].tolist()
    assert msg[2].startswith("record 3:") and "valence" in msg[2]
    assert msg[3].startswith("record 4:") and "mol block" in msg[3]
    assert df["bound_metal"].tolist()[4] == "Gd3+"
    assert df["input"].tolist()[:3] == ["DOTA", "sdf record 2", "bad_valence"]


def test_sdf_without_ids_and_empty_record(tmp_path):
    m = Chem.MolFromSmiles("OC(=O)CN(CC(=O)O)CC(=O)O")
    m.SetProp("_Name", "NTA")
    block = Chem.MolToMolBlock(m)
    f = tmp_path / "two.sdf"
    f.write_text(block + "$$$$\n$$$$\n" + block + "$$$$\n\n")
    df = read_ligands(f)
    assert table(df) == [
        ("L0001", "NTA", NTA, "ok"),
        ("L0002", "", "", "invalid"),
        ("L0003", "NTA", NTA, "ok"),
    ]
    assert "record 2" in df["message"][1] and "empty SDF record" in df["message"][1]


# --- in-memory sources ---------------------------------------------------------------------
def test_list_of_smiles_mols_names_and_junk(tiny_library):
    mol = Chem.MolFromSmiles(EDTA)
    mol.SetProp("_Name", "edta-mol")
    df = read_ligands(["DOTA", mol, "OC(=O)CN(CC(=O)O)CC(=O)O", None, "", 42, "dotax", "C1CC"])
    assert_frame_shape(df, 8)
    assert table(df) == [
        ("L0001", "DOTA", DOTA, "ok"),
        ("L0002", "edta-mol", EDTA, "ok"),
        ("L0003", "", NTA, "ok"),
        ("L0004", "", "", "invalid"),
        ("L0005", "", "", "invalid"),
        ("L0006", "", "", "invalid"),
        ("L0007", "", "", "invalid"),
        ("L0008", "", "", "invalid"),
    ]
    msg = df["message"].tolist()
    assert msg[3].startswith("item 4: missing value")
    assert msg[4].startswith("item 5: empty string")
    assert msg[5].startswith("item 6: a int")
    assert "neither a chelator of the library" in msg[6]
    assert "could not parse SMILES 'C1CC'" in msg[7] and "unclosed ring" in msg[7]


def test_tuple_series_and_generator(tiny_library):
    expected = [DOTA, NTA]
    for src in [("DOTA", NTA), pd.Series(["DOTA", NTA]), (s for s in ["DOTA", NTA])]:
        assert read_ligands(src)["smiles"].tolist() == expected


def test_single_string_and_single_mol(tiny_library):
    assert table(read_ligands("TCMC")) == [
        ("L0001", "DOTAM", Chem.MolToSmiles(Chem.MolFromSmiles(DOTAM)), "ok")
    ]
    assert table(read_ligands(NTA)) == [("L0001", "", NTA, "ok")]
    assert table(read_ligands(Chem.MolFromSmiles(NTA))) == [("L0001", "", NTA, "ok")]
    bad = read_ligands("C1CC")
    assert bad["status"][0] == "invalid" and bad["message"][0].startswith("input:")


def test_dataframe_source(tiny_library):
    src = pd.DataFrame(
        {"ID": ["a", "b", "c"], "Smiles": ["macropa", None, NTA], "name": ["m", "none", "n"]}
    )
    df = read_ligands(src)
    assert [r[0] for r in table(df)] == ["a", "b", "c"]
    assert df["status"].tolist() == ["ok", "invalid", "ok"]
    assert "row 2" in df["message"][1]
    mols = pd.DataFrame({"smiles": [Chem.MolFromSmiles(EDTA)]})
    assert read_ligands(mols)["smiles"].tolist() == [EDTA]
    with pytest.raises(InputFileError, match="no 'smiles' column.*smiles_column="):
        read_ligands(pd.DataFrame({"x": ["CCO"]}))


def test_public_api_and_salt_equivalence(tiny_library):
    df = chelscreen.read_ligands(
        [
            DOTA,
            "[O-]C(=O)CN1CCN(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1.[Na+].[Na+].[Na+].[Na+]",
            DOTA + ".OC(=O)C(F)(F)F",
            "[O-]C(=O)CN1CCN(->[Gd+3])(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1",
            "OC(=O)C[NH+]1CCN(CC(=O)O)CC[NH+](CC([O-])=O)CCN(CC(=O)O)CC1",
        ]
    )
    assert df["smiles"].tolist() == [DOTA] * 5
    assert df["bound_metal"].tolist() == ["", "", "", "Gd3+", ""]
    assert (df["status"] == "ok").all()


def test_ids_widen_beyond_9999():
    df = read_ligands(["C"] + [None] * 10000)  # None rows are cheap (no parsing)
    assert df["id"].iloc[0] == "L00001" and df["id"].iloc[-1] == "L10001"
    assert df["id"].is_unique
    assert df["status"].tolist() == ["warning"] + ["invalid"] * 10000  # methane: no donors


# --- file-level errors ----------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_ligands(tmp_path / "nope.smi")
    with pytest.raises(InputFileError, match="not found"):
        read_ligands(str(tmp_path / "nope.csv"))


def test_empty_and_blank_files(test_data, tmp_path):
    with pytest.raises(InputFileError, match=r"empty\.smi is empty"):
        read_ligands(test_data / "empty.smi")
    blank = tmp_path / "blank.csv"
    blank.write_text("\n  \n")
    with pytest.raises(InputFileError, match="is empty"):
        read_ligands(blank)
    comments = tmp_path / "comments.smi"
    comments.write_text("# nothing here\n\n")
    with pytest.raises(InputFileError, match="no ligands"):
        read_ligands(comments)
    header = tmp_path / "header.csv"
    header.write_text("smiles,name\n")
    with pytest.raises(InputFileError, match="no data rows"):
        read_ligands(header)
    gz = tmp_path / "empty.smi.gz"
    gz.write_bytes(gzip.compress(b""))
    with pytest.raises(InputFileError, match="is empty"):
        read_ligands(gz)


def test_binary_and_undecodable_files(test_data, tmp_path):
    with pytest.raises(InputFileError, match="binary.smi is a binary file"):
        read_ligands(test_data / "binary.smi")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("smiles,name\nCCO,\xe9thanol\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8.*save it as UTF-8"):
        read_ligands(latin)
    badgz = tmp_path / "bad.smi.gz"
    badgz.write_bytes(b"CCO\n")
    with pytest.raises(InputFileError, match="not a valid gzip file"):
        read_ligands(badgz)


def test_wrong_column_names_the_file_columns_and_fix(test_data):
    with pytest.raises(InputFileError) as info:
        read_ligands(test_data / "wrong_column.csv")
    msg = str(info.value)
    assert "wrong_column.csv" in msg
    assert "id, name, SMILE" in msg
    assert "--smiles-column" in msg and "smiles_column=" in msg


def test_unknown_extension_folder_and_types(tmp_path):
    f = tmp_path / "ligands.xlsx"
    f.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputFileError, match=r"unknown file type '\.xlsx'.*\.smi"):
        read_ligands(f)
    with pytest.raises(InputFileError, match="folder"):
        read_ligands(tmp_path)
    with pytest.raises(InputFileError):
        read_ligands(3.5)
    with pytest.raises(InputFileError):
        read_ligands({"smiles": "CCO"})


def test_malformed_csv(tmp_path):
    f = tmp_path / "ragged.csv"
    f.write_text('smiles,name\nCCO,"unterminated\n')
    with pytest.raises(InputFileError, match="ragged.csv"):
        read_ligands(f)


def test_errors_are_chelscreen_errors():
    assert issubclass(InputFileError, ChelscreenError)
    assert issubclass(InputFileError, ValueError)


# --- library ---------------------------------------------------------------------------------
def test_library_lookup_tiny(tiny_library):
    assert library_lookup("DOTA")["smiles"] == DOTA
    assert library_lookup("  dota ")["name"] == "DOTA"
    assert library_lookup("tetraxetan")["name"] == "DOTA"
    assert library_lookup("tcmc")["name"] == "DOTAM"
    assert library_lookup("Cryptand[2.2.2]")["name"] == "cryptand [2.2.2]"
    assert library_lookup("kryptofix 222")["name"] == "cryptand [2.2.2]"
    assert library_lookup("CCO") is None
    assert library_lookup("") is None
    lib = load_library()
    assert lib["name"].tolist() == ["DOTA", "macropa", "DOTAM", "cryptand [2.2.2]"]
    lib.loc[0, "name"] = "changed"
    assert load_library()["name"][0] == "DOTA"  # a copy


def test_library_missing_is_a_clear_error_but_smiles_still_work(tmp_path, monkeypatch):
    monkeypatch.setattr(chelscreen._resources, "molecules_dir", lambda: tmp_path)
    with pytest.raises(InputFileError, match="chelators.csv is missing"):
        load_library()
    assert library_lookup("DOTA") is None
    df = read_ligands([NTA, "DOTA"])
    assert df["status"].tolist() == ["ok", "invalid"]


# --- against the real bundled library (molecules/chelators.csv) ---------------------------
def _real_library_available() -> bool:
    try:
        return (chelscreen._resources.molecules_dir() / "chelators.csv").is_file()
    except FileNotFoundError:
        return False


real_library = pytest.mark.skipif(
    not _real_library_available(), reason="molecules/chelators.csv not present"
)


@real_library
def test_real_library_names():
    df = read_ligands(["DOTA", "dota", "macropa", "TCMC", "Macropa"])
    assert df["status"].tolist() == ["ok"] * 5
    assert df["name"].tolist() == ["DOTA", "DOTA", "macropa", "DOTAM", "macropa"]
    assert df["smiles"][0] == DOTA == df["smiles"][1]
    assert df["smiles"][2] == Chem.MolToSmiles(Chem.MolFromSmiles(MACROPA))
    assert df["smiles"][3] == Chem.MolToSmiles(Chem.MolFromSmiles(DOTAM))
    assert library_lookup("dota")["name"] == "DOTA"
    assert {"name", "aliases", "smiles", "formula"} <= set(load_library().columns)


@real_library
def test_real_library_dotatate_core():
    df = read_ligands(["DOTATATE"])
    assert df["status"][0] == "ok"
    core = Chem.MolFromSmiles(df["core_smiles"][0])
    whole = Chem.MolFromSmiles(df["smiles"][0])
    assert core.GetNumHeavyAtoms() < 40 < whole.GetNumHeavyAtoms()
    assert core.HasSubstructMatch(Chem.MolFromSmarts("N1CCNCCNCCNCC1"))
    assert len(core.GetSubstructMatches(Chem.MolFromSmarts("[CX3](=O)[OX2H1]"))) == 3
    assert len(core.GetSubstructMatches(Chem.MolFromSmarts("[NX3;R]CC(=O)[NX3;!R]"))) == 1


@real_library
def test_real_library_reads_as_a_csv_file(repo_root):
    path = chelscreen._resources.molecules_dir() / "chelators.csv"
    lib = load_library()
    df = read_ligands(path)
    assert len(df) == len(lib)
    assert df["name"].tolist() == lib["name"].tolist()
    assert (df["status"] != "invalid").all(), df.loc[df["status"] == "invalid", "message"]


def test_read_ligands_parallel_equals_serial(tmp_path, test_data, monkeypatch):
    # 225 rows with bad and blank rows and a duplicate id across chunks: the workers give the
    # serial table (order, ids, messages, duplicate flags) and equivalent Mols (the size from
    # which read_ligands starts workers is lowered to 225 rows for the test)
    import csv

    import chelscreen.io as cio

    monkeypatch.setattr(cio, "READ_PARALLEL_MIN_RECORDS", 200)

    rows = list(csv.reader(open(test_data / "ligands_bad.csv")))
    out = [rows[0]]
    for k in range(25):
        out += [[f"{r[0]}_{k}" if r[0] else "", *r[1:]] for r in rows[1:] if r]
    out[1][0] = out[-1][0] = "DUP"
    path = tmp_path / "big.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(out)
    serial = read_ligands(path)
    parallel = read_ligands(path, n_jobs=2)
    assert list(parallel.columns) == COLUMNS and len(parallel) == 225
    pd.testing.assert_frame_equal(serial.drop(columns="mol"), parallel.drop(columns="mol"))
    assert [m is None for m in parallel["mol"]] == [m is None for m in serial["mol"]]
    assert [Chem.MolToSmiles(m) for m in parallel["mol"] if m is not None] == list(
        parallel.loc[parallel["mol"].notna(), "smiles"])
    assert "duplicate id 'DUP'" in parallel.loc[224, "message"]


def test_comma_separated_string_is_a_list_of_inputs() -> None:
    """SMILES never contain commas, so "DOTA, macropa,bad" reads as three rows in order."""
    from chelscreen.io import read_ligands

    df = read_ligands("DOTA, macropa,C1CC(")
    assert df["input"].tolist() == ["DOTA", "macropa", "C1CC("]
    assert df["status"].tolist() == ["ok", "ok", "invalid"]
    assert df["name"].tolist()[:2] == ["DOTA", "macropa"]


def test_read_ligands_starts_no_workers_below_the_threshold(monkeypatch):
    """Worker processes cost ≈ 1 s each to start: a read of fewer than
    READ_PARALLEL_MIN_RECORDS records stays in this process whatever n_jobs says."""
    import chelscreen.io as cio

    def no_workers(*args, **kwargs):
        raise AssertionError("read_ligands started worker processes for a small input")

    monkeypatch.setattr(cio, "_process_parallel", no_workers)
    smiles = ["OC(=O)CN(CC(=O)O)CC(=O)O", "DOTA", "CCO"] * 100  # 300 records
    assert cio.READ_PARALLEL_MIN_RECORDS > len(smiles)
    df = cio.read_ligands(smiles, n_jobs=2)
    assert len(df) == 300 and df["status"].tolist()[:3] == ["ok", "ok", "warning"]
