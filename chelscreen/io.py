"""Read ligands from files, strings, lists, RDKit molecules or library names.

:func:`read_ligands` turns any supported source into a DataFrame with **one row per input, in
input order**: ``id, name, input, smiles, core_smiles, bound_metal, status, message, mol``.
A bad row never stops the batch: it is kept with ``status="invalid"`` and a message naming the
row (``line 3``, ``row 2 (line 3)``, ``record 4``, ``item 1``) and the fix. Problems with the
file itself (missing, empty, binary, no SMILES column, unknown extension) raise
:class:`~chelscreen.errors.InputFileError`.

Sources
-------
- ``.smi`` / ``.smiles`` / ``.txt``: one ligand per line, ``SMILES [name]`` separated by a tab
  or whitespace (with a tab the name may contain spaces). A line may also be a library name.
  Lines starting with ``#`` are comments; an optional header line whose first field is
  ``smiles`` is skipped. A blank line *between* data lines is an ``invalid`` row ("empty line");
  blank lines before the first and after the last data line are ignored (editors add them).
- ``.csv`` / ``.tsv``: a ``smiles`` column (any case; or ``smiles_column=``), optional ``name``
  and ``id`` columns (or ``name_column=`` / ``id_column=``). Cells may hold library names.
  Blank lines between data rows become ``invalid`` rows; trailing blank lines are ignored.
- ``.sdf`` / ``.sd`` / ``.mol``: name from the title line, else from a ``name``/``_Name``
  property (or ``name_column=``); id from an ``id`` property (or ``id_column=``). A record
  RDKit cannot read is an ``invalid`` row, not dropped. ``input`` holds the record's title
  (``sdf record N`` when it has none).
- any of the above with ``.gz`` appended (gzip).
- a list/tuple (or Series/array) of SMILES strings, library names or RDKit Mols.
- a single SMILES or library name string, or a single RDKit Mol.
- a DataFrame with a ``smiles`` column (its cells may also be RDKit Mols).

Library names (``DOTA``, ``macropa``, aliases such as ``TCMC``) are matched case-insensitively
against ``molecules/chelators.csv`` (:func:`library_lookup`) before a string is parsed as SMILES.
"""

from __future__ import annotations

import gzip
import io as _io
import logging
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from rdkit import Chem, rdBase

from chelscreen._parallel import resolve_n_jobs
from chelscreen.chem.standardize import standardize
from chelscreen.errors import InputFileError, InvalidStructureError

logger = logging.getLogger(__name__)

#: Output columns of :func:`read_ligands`, in order.
COLUMNS = [
    "id",
    "name",
    "input",
    "smiles",
    "core_smiles",
    "bound_metal",
    "status",
    "message",
    "mol",
]

SMILES_EXTENSIONS = (".smi", ".smiles", ".txt")
TABLE_EXTENSIONS = (".csv", ".tsv")
SDF_EXTENSIONS = (".sdf", ".sd", ".mol")
EXTENSIONS = SMILES_EXTENSIONS + TABLE_EXTENSIONS + SDF_EXTENSIONS
_EXT_TEXT = ", ".join(EXTENSIONS) + " (optionally .gz)"

LIBRARY_FILE = "chelators.csv"


def _looks_like_name(text: str) -> bool:
    """Whether an unparsable string looks like a (misspelt) name rather than a broken SMILES.

    A name has no SMILES-only characters and has letters that cannot occur outside brackets in
    SMILES (two lower-case letters other than aromatic c n o s p, or upper-case letters other
    than B C N O P S F I).
    """
    if re.search(r"[=#()\[\]@+\\/%]", text):
        return False
    bare = text.replace("Cl", "").replace("Br", "")
    return bool(re.search(r"[abd-mqrt-z]{2}|[AD-EGHJ-MQRT-Z]", bare))


# --------------------------------------------------------------------------------------------
# reference library
# --------------------------------------------------------------------------------------------
def _library_path() -> Path:
    from chelscreen._resources import molecules_dir

    return molecules_dir() / LIBRARY_FILE


@lru_cache(maxsize=4)
def _load_library_cached(path: str, mtime_ns: int) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputFileError(
            f"cannot read the bundled chelator library {path}: {exc}; reinstall chelscreen"
        ) from exc
    if "name" not in df.columns or "smiles" not in df.columns:
        raise InputFileError(
            f"the chelator library {path} lacks a 'name' or 'smiles' column (found: "
            f"{', '.join(map(str, df.columns))}); reinstall chelscreen"
        )
    if "aliases" not in df.columns:
        df["aliases"] = ""
    return df


def load_library() -> pd.DataFrame:
    """Return the bundled reference chelator library ``molecules/chelators.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per chelator, with at least ``name``, ``aliases`` (``;``-separated) and
        ``smiles`` (neutral acid form). A copy: changing it does not change the library.

    Raises
    ------
    InputFileError
        The library file is missing or unreadable.
    """
    path = _library_path()
    if not path.is_file():
        raise InputFileError(
            f"the chelator library {path} is missing; reinstall chelscreen from a complete "
            "wheel or checkout"
        )
    return _load_library_cached(str(path), path.stat().st_mtime_ns).copy()


def _norm_name(text: str) -> str:
    text = text.replace("\u2033", "''").replace("\u2032", "'").replace("\u2019", "'")
    return " ".join(text.casefold().split())


def _loose_name(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", _norm_name(text))


@lru_cache(maxsize=4)
def _library_index(path: str, mtime_ns: int) -> tuple[dict[str, int], dict[str, int]]:
    df = _load_library_cached(path, mtime_ns)
    exact: dict[str, int] = {}
    loose: dict[str, int | None] = {}
    for i, (name, aliases) in enumerate(zip(df["name"], df["aliases"])):
        for key in [name, *str(aliases).split(";")]:
            key = key.strip()
            if not key:
                continue
            exact.setdefault(_norm_name(key), i)
            lk = _loose_name(key)
            if lk:
                if lk in loose and loose[lk] != i:
                    loose[lk] = None  # ambiguous once punctuation is ignored
                else:
                    loose[lk] = i
    return exact, {k: v for k, v in loose.items() if v is not None}


_Library = tuple[pd.DataFrame, dict[str, int], dict[str, int]]


def _current_library() -> _Library | None:
    """The library table and its name indexes, or None when it is unavailable."""
    try:
        path = _library_path()
        if not path.is_file():
            return None
        mtime = path.stat().st_mtime_ns
        exact, loose = _library_index(str(path), mtime)
        return _load_library_cached(str(path), mtime), exact, loose
    except (FileNotFoundError, InputFileError) as exc:
        logger.debug("chelator library unavailable: %s", exc)
        return None


def _library_row_index(name: str, lib: _Library | None = None) -> tuple[pd.DataFrame, int] | None:
    if lib is None:
        lib = _current_library()
        if lib is None:
            return None
    df, exact, loose = lib
    i = exact.get(_norm_name(name))
    if i is None:
        lk = _loose_name(name)
        i = loose.get(lk) if lk else None
    if i is None:
        return None
    return df, i


def library_lookup(name: str) -> dict[str, Any] | None:
    """Find a chelator of the reference library by name or alias (case-insensitive).

    Parameters
    ----------
    name
        A name such as ``"DOTA"``, ``"dota"``, ``"macropa"`` or an alias such as ``"TCMC"``.
        Spaces, case and (when unambiguous) punctuation are ignored.

    Returns
    -------
    dict or None
        The library row as a dict (``name``, ``aliases``, ``smiles``, ...), or ``None``.
    """
    if not isinstance(name, str) or not name.strip():
        return None
    found = _library_row_index(name)
    if found is None:
        return None
    df, i = found
    return {k: df[k].iloc[i] for k in df.columns}


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------
@dataclass
class _Record:
    where: str
    input: str = ""
    text: str | None = None  # SMILES or library name to resolve
    mol: Chem.Mol | None = None  # already-built molecule (SDF, Mol input)
    name: str = ""
    id: str = ""
    error: str | None = None  # record-level problem, becomes status="invalid"


def _decode(path: Path, raw: bytes) -> str:
    if b"\x00" in raw[:65536]:
        raise InputFileError(
            f"{path} is a binary file, not text (it contains NUL bytes); give a text file "
            f"({_EXT_TEXT}) with one ligand per line or record"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path} is not UTF-8 text (undecodable byte at position {exc.start}); it may be a "
            "binary file or use another encoding: save it as UTF-8 text"
        ) from exc


def _read_text(path: Path) -> str:
    if not path.exists():
        raise InputFileError(f"input file {path} not found; check the path and the spelling")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder, not a file; give a ligand file ({_EXT_TEXT})")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}; check its permissions") from exc
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(
                f"{path} is not a valid gzip file ({exc}); recompress it with gzip or drop the "
                ".gz extension"
            ) from exc
    if not raw.strip():
        raise InputFileError(f"{path} is empty; put at least one ligand in it")
    text = _decode(path, raw)
    if not text.strip():
        raise InputFileError(f"{path} is empty; put at least one ligand in it")
    return text


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _records_from_smi(path: Path, text: str) -> list[_Record]:
    lines = text.splitlines()
    data = [i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not data:
        raise InputFileError(
            f"{path} holds no ligands (only comments or blank lines); add one SMILES per line"
        )
    first, last = data[0], data[-1]
    first_fields = lines[first].strip().split()
    if first_fields and first_fields[0].lower() in ("smiles", "smi", "canonical_smiles"):
        first += 1  # header line
    records = []
    for i in range(first, last + 1):
        line = lines[i]
        where = f"line {i + 1}"
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if not stripped:
            records.append(
                _Record(where=where, error="empty line; remove it or put a SMILES on it")
            )
            continue
        if "\t" in stripped:
            parts = stripped.split("\t")
            smi, name = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
        elif " " in stripped and library_lookup(stripped) is not None:
            smi, name = stripped, ""
        else:
            parts = stripped.split(None, 1)
            smi, name = parts[0], (parts[1].strip() if len(parts) > 1 else "")
        records.append(_Record(where=where, input=smi, text=smi, name=name))
    return records


def _find_column(
    columns: list[str], wanted: str | None, kind: str, where: str, option: str, required: bool
) -> str | None:
    if wanted is not None:
        if wanted in columns:
            return wanted
        matches = [c for c in columns if c.lower() == wanted.lower()]
        if len(matches) == 1:
            return matches[0]
        raise InputFileError(
            f"{where} has no column {wanted!r} (columns found: {', '.join(columns)}); "
            f"give one of these with {option}"
        )
    exact = [c for c in columns if c.strip().lower() == kind]
    if len(exact) == 1:
        return exact[0]
    if kind == "smiles":
        loose = [c for c in columns if "smiles" in c.lower()]
        if len(loose) == 1:
            return loose[0]
        if required:
            hint = ""
            with rdBase.BlockLogs():
                if any(Chem.MolFromSmiles(c, sanitize=False) is not None for c in columns):
                    hint = (
                        " (the first line looks like data: add a header line such as "
                        "'smiles,name', or save a header-less list as .smi)"
                    )
            raise InputFileError(
                f"{where} has no 'smiles' column (columns found: {', '.join(columns)}){hint}; "
                "rename the column holding the SMILES to 'smiles', or name it with "
                "--smiles-column (CLI) / smiles_column= (Python)"
            )
    return None


def _records_from_table(
    df: pd.DataFrame,
    label: str,
    smiles_column: str | None,
    name_column: str | None,
    id_column: str | None,
    line_offset: int | None,
) -> list[_Record]:
    columns = [str(c) for c in df.columns]
    df = df.set_axis(columns, axis=1)
    smi_col = _find_column(
        columns, smiles_column, "smiles", label, "--smiles-column / smiles_column=", True
    )
    name_col = _find_column(
        columns, name_column, "name", label, "--name-column / name_column=", False
    )
    id_col = _find_column(columns, id_column, "id", label, "--id-column / id_column=", False)
    smiles = df[smi_col].tolist()
    names = df[name_col].tolist() if name_col else [""] * len(df)
    ids = df[id_col].tolist() if id_col else [""] * len(df)
    records = []
    for k, (value, name, ident) in enumerate(zip(smiles, names, ids)):
        where = f"row {k + 1}" + (f" (line {k + 1 + line_offset})" if line_offset else "")
        rec = _Record(where=where, name=_cell_text(name), id=_cell_text(ident))
        if isinstance(value, Chem.Mol):
            rec.mol, rec.input = value, _mol_label(value)
        elif _is_missing(value) or (isinstance(value, str) and not value.strip()):
            rec.error = (
                "empty line; remove it or fill in the SMILES"
                if line_offset and all(not _cell_text(v) for v in df.iloc[k].tolist())
                else f"empty '{smi_col}' cell; fill in a SMILES or a library name, or remove "
                "the row"
            )
        elif isinstance(value, str):
            rec.input = value
            rec.text = value
        else:
            rec.input = str(value)
            rec.error = (
                f"'{smi_col}' holds a {type(value).__name__}, not a SMILES string; give SMILES "
                "text or an RDKit Mol"
            )
        records.append(rec)
    return records


def _records_from_csv(
    path: Path,
    text: str,
    sep: str,
    smiles_column: str | None,
    name_column: str | None,
    id_column: str | None,
) -> list[_Record]:
    n_lead = 0  # blank lines before the header are ignored (and counted for line numbers)
    lines = text.split("\n")
    while n_lead < len(lines) and not lines[n_lead].strip():
        n_lead += 1
    text = "\n".join(lines[n_lead:])
    header = text.split("\n", 1)[0]
    if sep == "," and "," not in header:
        if "\t" in header:
            sep = "\t"
        elif ";" in header:
            sep = ";"
    try:
        df = pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{path} is not a well-formed table ({exc}); check that every row has the same "
            "number of fields and quote names that contain the separator"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(
            f"{path} is empty; put a header and at least one ligand in it"
        ) from exc
    df = df.fillna("")
    # drop trailing blank lines (editors add them); blank lines inside stay as invalid rows
    n = len(df)
    while n and all(not str(v).strip() for v in df.iloc[n - 1].tolist()):
        n -= 1
    df = df.iloc[:n]
    if n == 0:
        raise InputFileError(f"{path} has a header but no data rows; add at least one ligand")
    return _records_from_table(
        df, str(path), smiles_column, name_column, id_column, line_offset=1 + n_lead
    )


def _sdf_props(lines: list[str]) -> dict[str, str]:
    props: dict[str, str] = {}
    key = None
    values: list[str] = []
    for ln in lines:
        if ln.startswith(">"):
            if key is not None:
                props[key] = "\n".join(values).strip()
            m = re.search(r"<([^>]*)>", ln)
            key, values = (m.group(1) if m else ln[1:].strip()), []
        elif key is not None:
            if not ln.strip():
                props[key] = "\n".join(values).strip()
                key, values = None, []
            else:
                values.append(ln)
    if key is not None:
        props[key] = "\n".join(values).strip()
    return props


def _parse_molblock(block: str) -> tuple[Chem.Mol | None, str]:
    with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as capture:
        mol = Chem.MolFromMolBlock(block, sanitize=True, removeHs=False)
        if mol is None:
            mol = Chem.MolFromMolBlock(block, sanitize=False, removeHs=False)
    messages = [m.split("]", 1)[-1].strip() for m in capture.messages.splitlines() if m.strip()]
    if mol is None and not messages:
        lines = block.splitlines()
        counts = lines[3] if len(lines) > 3 else ""
        if not re.match(r"^\s*\d+\s+\d+", counts):
            messages = [f"line 4 of the record is not a counts line: {counts.strip()!r}"]
    return mol, "; ".join(dict.fromkeys(messages))


def _records_from_sdf(
    path: Path, text: str, name_column: str | None, id_column: str | None
) -> list[_Record]:
    chunks: list[list[str]] = [[]]
    for ln in text.splitlines():
        if ln.strip() == "$$$$":
            chunks.append([])
        else:
            chunks[-1].append(ln)
    while chunks and not any(ln.strip() for ln in chunks[-1]):
        chunks.pop()
    if not chunks:
        raise InputFileError(f"{path} holds no SDF records; add at least one molecule")
    records = []
    for k, lines in enumerate(chunks):
        where = f"record {k + 1}"
        if not any(ln.strip() for ln in lines):
            records.append(
                _Record(
                    where=where,
                    input=f"sdf record {k + 1}",
                    error="empty SDF record (two '$$$$' lines in a row); remove it",
                )
            )
            continue
        end = next((i for i, ln in enumerate(lines) if ln.strip() == "M  END"), None)
        block_lines = lines if end is None else lines[: end + 1]
        props = _sdf_props(lines[end + 1 :]) if end is not None else {}
        title = lines[0].strip()
        name = ""
        if name_column is not None:
            name = props.get(name_column, "")
        if not name:
            name = (
                title
                or props.get("_Name", "")
                or props.get("name", "")
                or props.get("Name", "")
                or props.get("NAME", "")
            )
        ident = ""
        for key in [id_column] if id_column else ["id", "ID", "Id"]:
            if props.get(key):
                ident = props[key]
                break
        rec = _Record(where=where, input=title or f"sdf record {k + 1}", name=name, id=ident)
        if end is None:
            rec.error = (
                "the record has no 'M  END' line; it is not a complete mol block, "
                "re-export the file from your drawing program"
            )
        else:
            mol, msg = _parse_molblock("\n".join(block_lines) + "\n")
            if mol is None:
                rec.error = (
                    f"RDKit cannot read the mol block ({msg or 'malformed'}); fix or "
                    "re-export this record"
                )
            else:
                rec.mol = mol
        records.append(rec)
    return records


def _records_from_file(
    path: Path, smiles_column: str | None, name_column: str | None, id_column: str | None
) -> list[_Record]:
    suffix = _base_suffix(path)
    if suffix not in EXTENSIONS:
        if not path.exists():
            raise InputFileError(f"input file {path} not found; check the path and the spelling")
        raise InputFileError(
            f"{path}: unknown file type '{suffix or path.name}'; use one of {_EXT_TEXT}"
        )
    text = _read_text(path)
    if suffix in SMILES_EXTENSIONS:
        return _records_from_smi(path, text)
    if suffix in TABLE_EXTENSIONS:
        sep = "\t" if suffix == ".tsv" else ","
        return _records_from_csv(path, text, sep, smiles_column, name_column, id_column)
    return _records_from_sdf(path, text, name_column, id_column)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cell_text(value: Any) -> str:
    if _is_missing(value):
        return ""
    return str(value).strip()


def _mol_label(mol: Chem.Mol) -> str:
    title = mol.GetProp("_Name") if mol.HasProp("_Name") else ""
    if title:
        return title
    try:
        return Chem.MolToSmiles(mol)
    except Exception:  # an unsanitizable Mol still gets a row
        return "<RDKit Mol>"


def _records_from_items(items: Iterable[Any]) -> list[_Record]:
    records = []
    for k, value in enumerate(items):
        rec = _Record(where=f"item {k + 1}")
        if isinstance(value, Chem.Mol):
            rec.mol, rec.input = value, _mol_label(value)
            if value.HasProp("_Name"):
                rec.name = value.GetProp("_Name")
        elif isinstance(value, str):
            rec.input = value
            if value.strip():
                rec.text = value
            else:
                rec.error = "empty string; give a SMILES or a library name"
        elif _is_missing(value):
            rec.error = "missing value (None/NaN); give a SMILES, a library name or an RDKit Mol"
        else:
            rec.input = repr(value)
            rec.error = (
                f"a {type(value).__name__} is neither a SMILES, a library name nor an RDKit Mol"
            )
        records.append(rec)
    return records


def _looks_like_path(text: str) -> bool:
    if "\n" in text or not text.strip():
        return False
    lower = text.strip().lower()
    if lower.endswith(".gz"):
        return True
    if lower.endswith(EXTENSIONS) and not lower.startswith(("[", "(")):
        # 'CC.txt' is not a SMILES (lower-case t), but '.mol' endings need a real check
        return True
    return os.path.isfile(text)


def _records_from_source(
    source: Any, smiles_column: str | None, name_column: str | None, id_column: str | None
) -> list[_Record]:
    if isinstance(source, pd.DataFrame):
        return _records_from_table(
            source, "the DataFrame", smiles_column, name_column, id_column, line_offset=None
        )
    if isinstance(source, os.PathLike):
        return _records_from_file(Path(source).expanduser(), smiles_column, name_column, id_column)
    if isinstance(source, str):
        if _looks_like_path(source):
            return _records_from_file(
                Path(source).expanduser(), smiles_column, name_column, id_column
            )
        if "," in source and "\n" not in source:
            # a SMILES never contains a comma: "DOTA,macropa" is a list of names/SMILES
            return _records_from_items([part.strip() for part in source.split(",")])
        recs = _records_from_items([source])
        recs[0].where = "input"
        return recs
    if isinstance(source, Chem.Mol):
        recs = _records_from_items([source])
        recs[0].where = "input"
        return recs
    if isinstance(source, bytes):
        raise InputFileError("got bytes; give a file path, a SMILES string or a list of SMILES")
    if isinstance(source, dict):
        raise InputFileError(
            "got a dict; give a DataFrame with a 'smiles' column, a list of SMILES or a path"
        )
    if isinstance(source, Iterable):
        return _records_from_items(list(source))
    raise InputFileError(
        f"cannot read ligands from a {type(source).__name__}; give a file path ({_EXT_TEXT}), "
        "a SMILES or library name, a list of them, RDKit Mols or a DataFrame with 'smiles'"
    )


# --------------------------------------------------------------------------------------------
# resolution and standardization
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _library_mol(smiles: str) -> Chem.Mol | None:
    with rdBase.BlockLogs():
        return Chem.MolFromSmiles(smiles, sanitize=False)


def _smiles_error(text: str) -> str:
    with rdBase.CaptureErrorLog() as capture:
        Chem.MolFromSmiles(text, sanitize=False)
    msgs = [
        m.split("SMILES Parse Error:", 1)[-1].strip()
        for m in capture.messages.splitlines()
        if "Parse Error" in m
    ]
    detail = msgs[0] if msgs else "syntax error"
    detail = re.sub(r"\s*for input: '.*'$", "", detail)
    return detail


def _resolve(rec: _Record, library: _Library | None) -> tuple[Chem.Mol | None, str, list[str]]:
    """Return (molecule, library name or "", notes) or set ``rec.error``."""
    if rec.mol is not None:
        return rec.mol, "", []
    text = (rec.text or "").strip()
    lib = _library_row_index(text, library) if (text and library is not None) else None
    if lib is not None:
        df, i = lib
        lib_name, lib_smiles = df["name"].iloc[i], df["smiles"].iloc[i]
        mol = _library_mol(lib_smiles)
        if mol is None:
            rec.error = (
                f"library entry {lib_name!r} has an unreadable SMILES; report this chelscreen bug"
            )
            return None, "", []
        return Chem.Mol(mol), lib_name, [f"library name {text!r} resolved to {lib_name}"]
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        detail = _smiles_error(text)
        if _looks_like_name(text):
            rec.error = (
                f"{text!r} is neither a chelator of the library (see "
                "chelscreen.load_library()) nor a valid SMILES "
                f"({detail}); check the spelling or give a SMILES"
            )
        else:
            rec.error = (
                f"could not parse SMILES {text!r} ({detail}); check brackets, "
                "ring-closure digits and element symbols"
            )
            if ("/" in text or "\\" in text) and re.search(r"\.\w{2,6}$", text):
                rec.error += "; if it is a file, it was not found or its type is unknown"
        return None, "", []
    return mol, "", []


def _process_records(
    records: list[_Record], start: int, width: int, library: _Library | None
) -> dict[str, list[Any]]:
    """Resolve and standardize ``records`` (numbered from ``start``) into output columns."""
    rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    with rdBase.BlockLogs():
        for k, rec in enumerate(records, start):
            ident = rec.id or f"L{k + 1:0{width}d}"
            name, smiles, core_smiles, bound, mol = rec.name, "", "", "", None
            status, notes = "invalid", []
            if rec.error is None:
                parsed, lib_name, notes = _resolve(rec, library)
                if parsed is not None:
                    if not name and lib_name:
                        name = lib_name
                    try:
                        # a Mol parsed here (not the caller's) is standardized in place
                        std = standardize(parsed, _owned=rec.mol is None)
                    except InvalidStructureError as exc:
                        rec.error = str(exc)
                    else:
                        mol = std.mol
                        smiles = Chem.MolToSmiles(mol)
                        core_smiles = (
                            smiles
                            if std.core is mol
                            else std.core_info.get("core_smiles") or Chem.MolToSmiles(std.core)
                        )
                        bound = ";".join(dict.fromkeys(std.metals))
                        status = "warning" if std.warnings else "ok"
                        notes = notes + std.warnings + std.changes
            message = f"{rec.where}: {rec.error}" if rec.error is not None else "; ".join(notes)
            for col, val in zip(
                COLUMNS, (ident, name, rec.input, smiles, core_smiles, bound, status, message, mol)
            ):
                rows[col].append(val)
    return rows


def _process_chunk(records: list[_Record], start: int, width: int) -> dict[str, list[Any]]:
    """Worker: :func:`_process_records` in a child process (Mols pickled with their props)."""
    Chem.SetDefaultPickleProperties(Chem.PropertyPickleOptions.AllProps)
    return _process_records(records, start, width, _current_library())


#: inputs below this size are read in one process whatever ``n_jobs`` says
PARALLEL_MIN_RECORDS = 200


def _chunks(n: int, jobs: int, minimum: int = 50) -> list[tuple[int, int]]:
    """``(start, stop)`` of contiguous chunks (about 4 per worker), in input order."""
    size = max(minimum, -(-n // (jobs * 4)))
    return [(k, min(n, k + size)) for k in range(0, n, size)]


def _process_parallel(worker: Any, records: list[_Record], jobs: int,
                      *args: Any) -> list[Any]:
    """Run ``worker(records[a:b], a, *args)`` over contiguous chunks in a process pool.

    Results come back in input order (one per chunk).
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(worker, records[a:b], a, *args)
                   for a, b in _chunks(len(records), jobs)]
        return [f.result() for f in futures]


def _rows_to_frame(rows: dict[str, list[Any]], records: list[_Record]) -> pd.DataFrame:
    """Output table of :func:`read_ligands` from its columns (duplicate ids flagged)."""
    _flag_duplicate_ids(rows, records)
    df = pd.DataFrame({c: rows[c] for c in COLUMNS[:-1]}, dtype=str)
    if "mol" in rows:
        df["mol"] = pd.Series(rows["mol"], dtype=object)
    n_bad = int((df["status"] == "invalid").sum())
    if n_bad:
        logger.warning(
            "%d of %d ligands are invalid (status='invalid'; see 'message')", n_bad, len(df)
        )
    return df


def read_ligands(
    source: Any,
    *,
    smiles_column: str | None = None,
    name_column: str | None = None,
    id_column: str | None = None,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Read ligands from a file, a string, a list, RDKit molecules or a DataFrame.

    Parameters
    ----------
    source
        A path (``.smi/.smiles/.txt/.csv/.tsv/.sdf``, optionally ``.gz``), a SMILES or library
        name, a list/tuple of SMILES / library names / RDKit Mols, an RDKit Mol, or a DataFrame
        with a ``smiles`` column. See the module docstring for the file formats.
    smiles_column, name_column, id_column
        Column (CSV/TSV/DataFrame) or SDF property holding the SMILES, name and id, when they
        are not called ``smiles``, ``name`` and ``id``.
    n_jobs : int, default 1
        Worker processes for standardization and core finding (-1: all cores). The file is
        parsed in this process; inputs of fewer than :data:`PARALLEL_MIN_RECORDS` records are
        always handled here. The result is the same as with ``n_jobs=1`` (same order, ids and
        messages); the Mols come back from the workers pickled with all their properties.

    Returns
    -------
    pandas.DataFrame
        One row per input, in input order, with columns ``id`` (from the file, else
        ``L0001``...), ``name``, ``input`` (the raw text), ``smiles`` (standardized neutral
        acid form, canonical), ``core_smiles`` (the chelating core), ``bound_metal`` (metal(s)
        split off a complex, ``;``-separated, or ``""``), ``status`` (``ok``, ``warning`` or
        ``invalid``), ``message`` and ``mol`` (RDKit Mol, ``None`` when invalid; drop it before
        writing files).

    Raises
    ------
    InputFileError
        A missing, empty, binary or malformed file, a table without a SMILES column, an unknown
        extension or an unsupported source type. Row-level problems never raise.

    Examples
    --------
    >>> df = read_ligands(["DOTA", "OC(=O)CN(CC(=O)O)CC(=O)O", "not a smiles"])  # doctest: +SKIP
    >>> df[["id", "name", "status"]].values.tolist()                              # doctest: +SKIP
    [['L0001', 'DOTA', 'ok'], ['L0002', '', 'ok'], ['L0003', '', 'invalid']]
    """
    records = _records_from_source(source, smiles_column, name_column, id_column)
    width = record_id_width(records)
    jobs = resolve_n_jobs(n_jobs)
    if jobs > 1 and len(records) >= PARALLEL_MIN_RECORDS:
        rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        for part in _process_parallel(_process_chunk, records, jobs, width):
            for c in COLUMNS:
                rows[c].extend(part[c])
    else:
        rows = _process_records(records, 0, width, _current_library())
    return _rows_to_frame(rows, records)


def record_id_width(records: list[Any]) -> int:
    """Digits of the generated ids (``L0001``...) for ``records``."""
    return max(4, len(str(len(records))))


def _flag_duplicate_ids(rows: dict[str, list[Any]], records: list[_Record]) -> None:
    seen: dict[str, list[int]] = {}
    for k, ident in enumerate(rows["id"]):
        seen.setdefault(ident, []).append(k)
    for ident, where in seen.items():
        if len(where) < 2:
            continue
        for k in where:
            others = ", ".join(records[j].where for j in where if j != k)
            note = (
                f"{records[k].where}: duplicate id {ident!r} (also {others}); give each "
                "ligand a unique id"
            )
            rows["message"][k] = f"{rows['message'][k]}; {note}" if rows["message"][k] else note
            if rows["status"][k] == "ok":
                rows["status"][k] = "warning"
