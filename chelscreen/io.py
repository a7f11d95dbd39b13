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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from rdkit import Chem, rdBase

from chelscreen._parallel import map_chunks, resolve_n_jobs
from chelscreen.chem.donors import analyse
from chelscreen.chem.standardize import _standardize
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

    Examples
    --------
    >>> lib = load_library()
    >>> "macropa" in set(lib["name"])
    True
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


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _loose_name(text: str) -> str:
    return _NOT_ALNUM.sub("", _norm_name(text))


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


def structure_status_note(status: Any) -> str:
    """The note every output row of a library chelator carries when its structure is not
    fully verified (``structure_status`` other than ``verified``); ``""`` otherwise.

    Examples
    --------
    >>> structure_status_note("verified"), structure_status_note("probable")[:33]
    ('', 'library structure_status=probable')
    """
    status = "" if status is None else str(status).strip()
    if not status or status.lower() in ("verified", "nan"):
        return ""
    return (f"library structure_status={status}: not every part of this structure is stated "
            "in a source (see molecules/README.md)")


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


@lru_cache(maxsize=4)
def _suggestion_keys(path: str, mtime_ns: int) -> dict[str, str]:
    df = _load_library_cached(path, mtime_ns)
    keys: dict[str, str] = {}
    for name, aliases in zip(df["name"], df["aliases"]):
        for key in [name, *str(aliases).split(";")]:
            if key.strip():
                keys.setdefault(_norm_name(key), str(name).strip())
    return keys


def suggest_names(text: str, n: int = 3) -> list[str]:
    """Library names or aliases close to a misspelt ``text`` (difflib), best first.

    Examples
    --------
    >>> suggest_names("macrpa")[0]
    'macropa'
    >>> suggest_names("zzzz")
    []
    """
    import difflib

    try:
        path = _library_path()
        keys = _suggestion_keys(str(path), path.stat().st_mtime_ns)
    except (OSError, InputFileError):
        return []
    close = difflib.get_close_matches(_norm_name(text), list(keys), n=n, cutoff=0.75)
    return list(dict.fromkeys(keys[c] for c in close))


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
    extra: dict[str, Any] = field(default_factory=dict)  # the user's other columns/properties


def _decode(path: Path, raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark (Excel, Windows)
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{path} starts like UTF-16 text but cannot be decoded (byte {exc.start}); "
                "save it as UTF-8 text") from exc
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
    line_numbers: list[int] | None,
    row_errors: dict[int, str] | None = None,
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
    extra_cols = [c for c in columns if c not in (smi_col, name_col, id_col) and c != "mol"]
    smiles = df[smi_col].tolist()
    names = df[name_col].tolist() if name_col else [""] * len(df)
    ids = df[id_col].tolist() if id_col else [""] * len(df)
    extras = df[extra_cols].to_dict("records") if extra_cols else [{}] * len(df)
    row_errors = row_errors or {}
    records = []
    for k, (value, name, ident) in enumerate(zip(smiles, names, ids)):
        where = f"row {k + 1}" + (f" (line {line_numbers[k]})" if line_numbers else "")
        rec = _Record(where=where, name=_cell_text(name), id=_cell_text(ident),
                      extra=dict(extras[k]))
        if k in row_errors:
            rec.input = _cell_text(value) if isinstance(value, str) else ""
            rec.error = row_errors[k]
        elif isinstance(value, Chem.Mol):
            rec.mol, rec.input = value, _mol_label(value)
        elif _is_missing(value) or (isinstance(value, str) and not value.strip()):
            rec.error = (
                "empty line; remove it or fill in the SMILES"
                if line_numbers and all(not _cell_text(v) for v in df.iloc[k].tolist())
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


def _unique_header(header: list[str]) -> list[str]:
    """Header names made unique the way pandas does (``a``, ``a.1``, ...)."""
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        h = h.strip() or f"column{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        out.append(h)
    return out


def read_table(path: str | os.PathLike, *, sep: str | None = None) -> tuple[pd.DataFrame,
                                                                            list[int],
                                                                            dict[int, str]]:
    """Read a CSV/TSV file as text cells, row by row, the way :func:`read_ligands` does.

    Returns ``(table, line_numbers, row_errors)``: the table (all cells ``str``, one row per
    data row, blank rows between data rows kept as empty rows), the file line on which each
    row starts, and ``{row position: message}`` for rows that cannot be used as they are
    (more fields than the header: the row is never shifted, it is reported). A quote that is
    never closed makes the whole file unreadable and raises :class:`InputFileError` naming the
    line where the quoted field starts.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pairs.csv"
    >>> _ = f.write_text("smiles,metal\\nCCO,Lu3+\\nCCN,Ac3+,oops\\n")
    >>> table, lines, errors = read_table(f)
    >>> table["metal"].tolist(), lines, errors[1][:29]
    (['Lu3+', 'Ac3+'], [2, 3], 'has 3 fields but the header h')
    """
    path = Path(path)
    text = _read_text(path)
    if sep is None:
        sep = "\t" if _base_suffix(path) in (".tsv", ".tab") else ","
    return _parse_table_text(path, text, sep)


def _parse_table_text(path: Path, text: str, sep: str) -> tuple[pd.DataFrame, list[int],
                                                                  dict[int, str]]:
    import csv

    lines = text.split("\n")
    n_lead = 0  # blank lines before the header are ignored (and counted for line numbers)
    while n_lead < len(lines) and not lines[n_lead].strip():
        n_lead += 1
    body = "\n".join(lines[n_lead:])
    header_line = body.split("\n", 1)[0]
    if sep == "," and "," not in header_line:
        if "\t" in header_line:
            sep = "\t"
        elif ";" in header_line:
            sep = ";"
    reader = csv.reader(_io.StringIO(body, newline=""), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    last = 0
    try:
        for row in reader:
            rows.append(row)
            starts.append(last + 1 + n_lead)
            last = reader.line_num
    except csv.Error as exc:
        raise InputFileError(
            f"{path}, line {last + 1 + n_lead}: cannot read the table ({exc}); a quoted field "
            "is probably never closed: close the quote (\"...\") or remove it"
        ) from None
    if not rows:
        raise InputFileError(f"{path} is empty; put a header and at least one ligand in it")
    header = _unique_header(rows[0])
    data, data_lines = rows[1:], starts[1:]
    # drop trailing blank lines (editors add them); blank lines inside stay as empty rows
    while data and not any(c.strip() for c in data[-1]):
        data.pop()
        data_lines.pop()
    if not data:
        raise InputFileError(f"{path} has a header but no data rows; add at least one ligand")
    width = len(header)
    cells: list[list[str]] = []
    errors: dict[int, str] = {}
    for k, row in enumerate(data):
        if len(row) > width and any(c.strip() for c in row[width:]):
            errors[k] = (
                f"has {len(row)} fields but the header has {width}; quote a field that "
                f"contains {'a tab' if sep == chr(9) else repr(sep)} (\"...\") or add the "
                "missing column to the header"
            )
        cells.append((row + [""] * width)[:width])
    return pd.DataFrame(cells, columns=header, dtype=str), data_lines, errors


def _records_from_csv(
    path: Path,
    text: str,
    sep: str,
    smiles_column: str | None,
    name_column: str | None,
    id_column: str | None,
) -> list[_Record]:
    df, line_numbers, errors = _parse_table_text(path, text, sep)
    return _records_from_table(
        df, str(path), smiles_column, name_column, id_column, line_numbers, errors
    )


_SDF_TAG = re.compile(r"^>.*?<([^>]*)>")


def _tags_of_unreadable_record(text: str) -> dict[str, str]:
    """Data items of a record RDKit could not read (only to keep its name and id)."""
    props: dict[str, str] = {}
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        m = _SDF_TAG.match(ln)
        if m and i + 1 < len(lines):
            props[m.group(1)] = lines[i + 1].strip()
    return props


def _sdf_supplier(text: str) -> Chem.SDMolSupplier:
    supplier = Chem.SDMolSupplier()
    supplier.SetData(text, sanitize=False, removeHs=False, strictParsing=True)
    return supplier


def _sanitized(mol: Chem.Mol) -> Chem.Mol:
    """The sanitized copy of a supplier's Mol, else the unsanitized Mol (standardize reports)."""
    copy = Chem.Mol(mol)
    with rdBase.BlockLogs():
        try:
            Chem.SanitizeMol(copy)
        except Exception:  # noqa: BLE001 - RDKit raises several types; standardize explains
            return mol
    return copy


def _records_from_sdf(
    path: Path, text: str, name_column: str | None, id_column: str | None
) -> list[_Record]:
    """One record per SDF entry, read by RDKit's SD supplier (unreadable entries kept)."""
    supplier = _sdf_supplier(text)
    n = len(supplier)
    texts = [supplier.GetItemText(k) for k in range(n)]
    while texts and not texts[-1].replace("$$$$", "").strip():
        texts.pop()
    if not texts:
        raise InputFileError(f"{path} holds no SDF records; add at least one molecule")
    records = []
    for k, item in enumerate(texts):
        where = f"record {k + 1}"
        if not item.replace("$$$$", "").strip():
            records.append(
                _Record(
                    where=where,
                    input=f"sdf record {k + 1}",
                    error="empty SDF record (two '$$$$' lines in a row); remove it",
                )
            )
            continue
        with rdBase.CaptureErrorLog() as capture:
            mol = supplier[k]
        title = item.split("\n", 1)[0].strip()
        if mol is not None:
            props = {key: str(v) for key, v in mol.GetPropsAsDict().items()}
        else:
            props = _tags_of_unreadable_record(item)
        name = props.get(name_column, "") if name_column is not None else ""
        if not name:
            name = title or next(
                (props[key] for key in ("name", "Name", "NAME") if props.get(key)), "")
        ident = next((props[key] for key in ([id_column] if id_column else ["id", "ID", "Id"])
                      if props.get(key)), "")
        used = {name_column, id_column, "name", "Name", "NAME", "id", "ID", "Id"}
        extra = {key: v for key, v in props.items() if key not in used}
        rec = _Record(where=where, input=title or f"sdf record {k + 1}", name=name, id=ident,
                      extra=extra)
        if mol is None:
            if "M  END" not in item:
                rec.error = (
                    "the record has no 'M  END' line; it is not a complete mol block, "
                    "re-export the file from your drawing program"
                )
            else:
                lines = item.splitlines()
                counts = lines[3] if len(lines) > 3 else ""
                if not re.match(r"^\s*\d+\s+\d+", counts):
                    detail = f"line 4 of the record is not a counts line: {counts.strip()!r}"
                else:
                    msgs = [re.sub(r"^(ERROR|WARNING):\s*|\s*on line\s*\d+$", "",
                                   m.split("]", 1)[-1].strip())
                            for m in capture.messages.splitlines()
                            if m.strip() and "moving to the beginning" not in m]
                    detail = "; ".join(dict.fromkeys(msgs)) or "malformed"
                rec.error = (
                    f"RDKit cannot read the mol block ({detail}); fix or re-export this record"
                )
        else:
            rec.mol = _sanitized(mol)
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
            source, "the DataFrame", smiles_column, name_column, id_column, None
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
    try:
        log = capture.messages
    except UnicodeDecodeError:  # RDKit cuts a long echoed input inside a multi-byte character
        log = ""
    msgs = [
        m.split("SMILES Parse Error:", 1)[-1].strip()
        for m in log.splitlines()
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
        notes = [f"library name {text!r} resolved to {lib_name}"]
        status_note = structure_status_note(
            df["structure_status"].iloc[i] if "structure_status" in df.columns else "")
        if status_note:
            notes.append(status_note)
        return Chem.Mol(mol), lib_name, notes
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        detail = _smiles_error(text)
        if _looks_like_name(text):
            close = suggest_names(text)
            hint = (f"did you mean {' or '.join(repr(c) for c in close)}? " if close else "")
            rec.error = (
                f"{text!r} is neither a chelator of the library nor a valid SMILES "
                f"({detail}); {hint}check the spelling (chelscreen library lists the names) "
                "or give a SMILES"
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


_DONOR_COUNTS: dict[str, int] = {}


def _few_donors_note(mol: Chem.Mol, key: str = "") -> str:
    """A warning when a molecule has fewer than two donor atoms (it cannot chelate).

    ``key`` (the core's canonical SMILES) memoizes the count: a screen reads each ligand twice.
    The donors come from :func:`chelscreen.chem.donors.analyse`, cached on the Mol: the core
    finder has already perceived them, and ``describe``'s features reuse them (one donor
    perception per plain chelator, not two).
    """
    n = _DONOR_COUNTS.get(key) if key else None
    if n is None:
        try:
            n = len({d.atom_idx for d in analyse(mol).all_donors})
        except Exception as exc:  # noqa: BLE001 - a perception failure must not lose the row
            logger.debug("donor perception failed: %s", exc)
            return ""
        if key and len(_DONOR_COUNTS) < 100_000:
            _DONOR_COUNTS[key] = n
    if n >= 2:
        return ""
    return (f"only {n} donor atom{'' if n == 1 else 's'} found: this molecule cannot chelate a "
            "metal (a chelator needs at least two donor atoms); check the structure")


def _process_records(
    records: list[_Record], start: int, width: int, library: _Library | None,
    keep_mol: bool = True,
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
                        std = _standardize(parsed, _owned=rec.mol is None)
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
                        donor_note = _few_donors_note(std.core, core_smiles)
                        warnings = std.warnings + ([donor_note] if donor_note else [])
                        status = "warning" if warnings else "ok"
                        notes = notes + warnings + std.changes
            message = f"{rec.where}: {rec.error}" if rec.error is not None else "; ".join(notes)
            for col, val in zip(
                COLUMNS, (ident, name, rec.input, smiles, core_smiles, bound, status, message,
                          mol if keep_mol else None)
            ):
                rows[col].append(val)
    return rows


def _process_chunk(records: list[_Record], start: int, width: int,
                   keep_mol: bool = True) -> dict[str, list[Any]]:
    """Worker: :func:`_process_records` in a child process (Mols pickled with their props)."""
    Chem.SetDefaultPickleProperties(Chem.PropertyPickleOptions.AllProps)
    return _process_records(records, start, width, _current_library(), keep_mol)


#: inputs below this size are read in one process whatever ``n_jobs`` says
#: (:func:`chelscreen.describe`, whose per-record work is several times a read's)
PARALLEL_MIN_RECORDS = 200
#: :func:`read_ligands` starts worker processes only from this many records on. Measured with
#: 2 workers on generated chelators (2026-12-03, load 1.2-1.6; README, performance): a read
#: costs ≈ 0.37 CPU-ms per record in this process, and 2 loky readers add ≈ 1 CPU-s (imports)
#: whatever the size while the parsing and the results' transfer stay here: with readers the
#: read took 1.2 s wall instead of 0.2 s at 500 records, 1.5-1.7 s instead of 0.7 at 2,000,
#: 1.4-2.4 s instead of 1.8 at 5,000 and 3.3-3.6 s instead of 3.7-3.9 at 10,000 (+0.7-1.1 CPU-s). A
#: screen counts CPU; readers pay a little wall only above ≈ 7,000 records.
READ_PARALLEL_MIN_RECORDS = 20000


def _process_parallel(worker: Any, records: list[_Record], jobs: int,
                      *args: Any) -> list[Any]:
    """Run ``worker(records[a:b], a, *args)`` over contiguous chunks (the one executor,
    :func:`chelscreen._parallel.map_chunks`). Results come back in input order."""
    return map_chunks(worker, records, jobs, *args)


def _rows_to_frame(rows: dict[str, list[Any]], records: list[_Record],
                   keep_columns: bool = False) -> pd.DataFrame:
    """Output table of :func:`read_ligands` from its columns (duplicate ids flagged)."""
    _flag_duplicate_ids(rows, records)
    df = pd.DataFrame({c: rows[c] for c in COLUMNS[:-1]}, dtype=str)
    if keep_columns:
        extra = input_columns_frame([r.extra for r in records], df.columns)
        df = pd.concat([df, extra], axis=1)
    if "mol" in rows:
        df["mol"] = pd.Series(rows["mol"], dtype=object)
    n_bad = int((df["status"] == "invalid").sum())
    if n_bad:
        logger.warning(
            "%d of %d ligands are invalid (status='invalid'; see 'message')", n_bad, len(df)
        )
    return df


def input_columns_frame(extras: list[dict[str, Any]], taken: Iterable[str]) -> pd.DataFrame:
    """The user's extra input columns as a frame; a name already ``taken`` gets ``input_``."""
    taken = set(taken)
    names: dict[str, str] = {}
    for ex in extras:
        for key in ex:
            if key not in names:
                names[key] = f"input_{key}" if key in taken else key
    return pd.DataFrame({out: [ex.get(key, "") for ex in extras] for key, out in names.items()},
                        index=range(len(extras)), dtype=object)


def is_read_result(source: Any) -> bool:
    """True for a :func:`read_ligands` result (it is then passed through, never read again)."""
    return isinstance(source, pd.DataFrame) and set(COLUMNS[:-1]) <= set(map(str, source.columns))


def _passthrough(source: pd.DataFrame, keep_columns: bool) -> pd.DataFrame:
    df = source.reset_index(drop=True).copy()
    if "mol" not in df.columns:
        with rdBase.BlockLogs():
            df["mol"] = pd.Series([Chem.MolFromSmiles(s) if st != "invalid" and s else None
                                   for s, st in zip(df["smiles"], df["status"])], dtype=object)
    if not keep_columns:
        df = df[COLUMNS]
    else:
        df = df[[c for c in df.columns if c != "mol"] + ["mol"]]
    return df


def read_ligands(
    source: Any,
    *,
    smiles_column: str | None = None,
    name_column: str | None = None,
    id_column: str | None = None,
    n_jobs: int = 1,
    keep_columns: bool = False,
    keep_mol: bool = True,
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
        parsed in this process; inputs of fewer than :data:`READ_PARALLEL_MIN_RECORDS` records
        are always handled here (worker processes cost more than they save below that). The
        result is the same as with ``n_jobs=1`` (same order, ids and messages); the Mols come
        back from the workers pickled with all their properties.
    keep_columns : bool, default False
        Also return the input's other columns (CSV/TSV/DataFrame columns besides the SMILES,
        name and id columns; SDF data items), after ``message``; a name that clashes with an
        output column gets an ``input_`` prefix. A :func:`read_ligands` result given again as
        ``source`` is returned as it is (not read twice).
    keep_mol : bool, default True
        ``False``: the ``mol`` column holds ``None`` and each Mol is freed as soon as its
        record is read (a screen of 10⁵ chelators would otherwise hold every Mol, with its
        cached donor perception, at once: ≈ 50 KB per ligand).

    Returns
    -------
    pandas.DataFrame
        One row per input, in input order, with columns ``id`` (from the file, else
        ``L0001``...), ``name``, ``input`` (the raw text), ``smiles`` (standardized neutral
        acid form, canonical), ``core_smiles`` (the chelating core), ``bound_metal`` (metal(s)
        split off a complex, ``;``-separated, or ``""``), ``status`` (``ok``, ``warning`` or
        ``invalid``), ``message`` and ``mol`` (RDKit Mol, ``None`` when invalid; drop it before
        writing files). ``status="warning"`` marks rows that were read but are doubtful, e.g.
        a molecule with fewer than two donor atoms (it cannot chelate).

    Raises
    ------
    InputFileError
        A missing, empty, binary or malformed file, a table without a SMILES column, an unknown
        extension or an unsupported source type. Row-level problems never raise.

    Examples
    --------
    >>> df = read_ligands(["DOTA", "OC(=O)CN(CC(=O)O)CC(=O)O", "CCO", "not a smiles"])
    >>> df[["id", "name", "status"]].values.tolist()
    [['L0001', 'DOTA', 'ok'], ['L0002', '', 'ok'], ['L0003', '', 'warning'], ['L0004', '', 'invalid']]
    """
    if is_read_result(source):
        return _passthrough(source, keep_columns)
    records = _records_from_source(source, smiles_column, name_column, id_column)
    width = record_id_width(records)
    jobs = resolve_n_jobs(n_jobs)
    if jobs > 1 and len(records) >= READ_PARALLEL_MIN_RECORDS:
        rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        for part in _process_parallel(_process_chunk, records, jobs, width, keep_mol):
            for c in COLUMNS:
                rows[c].extend(part[c])
    else:
        rows = _process_records(records, 0, width, _current_library(), keep_mol)
    return _rows_to_frame(rows, records, keep_columns)


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


# --------------------------------------------------------------------------------------------
# the one output writer
# --------------------------------------------------------------------------------------------
#: output file types by suffix (``.gz`` may follow .csv/.tsv/.json/.sdf)
OUTPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet",
                  ".pq": "parquet", ".json": "json", ".sdf": "sdf", ".smi": "smi"}


def output_format(path: str | os.PathLike) -> str:
    """The format written to ``path``, from its suffix; :class:`OutputFileError` if unknown.

    Examples
    --------
    >>> output_format("results/table.tsv"), output_format("x.csv.gz"), output_format("a.SDF")
    ('tsv', 'csv', 'sdf')
    """
    from chelscreen.errors import OutputFileError

    p = Path(path)
    suffix = _base_suffix(p)
    kind = OUTPUT_FORMATS.get(suffix)
    if kind is None or (p.suffix.lower() == ".gz" and kind == "parquet"):
        shown = "".join(p.suffixes[-2:]) if p.suffix.lower() == ".gz" else (p.suffix or "none")
        raise OutputFileError(
            f"cannot write {p}: unknown output type {shown!r}; use one of "
            ".csv, .tsv, .parquet, .json, .sdf or .smi (.csv/.tsv/.json/.sdf/.smi may end in .gz)"
        )
    return kind


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early (before any work) when ``path`` cannot be written; returns it as a Path.

    The suffix must be a known output type and no part of the folder path may be a file;
    missing folders are fine (:func:`write_table` creates them).
    """
    from chelscreen.errors import OutputFileError

    p = Path(path).expanduser()
    output_format(p)
    if p.is_dir():
        raise OutputFileError(f"cannot write {p}: it is a folder; give a file name such as "
                              f"{p / 'results.csv'}")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputFileError(f"cannot write {p}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputFileError(f"cannot write {p}: no permission to write in {parent}")
            break
    return p


def _json_text(df: pd.DataFrame) -> str:
    return df.to_json(orient="records", indent=1, force_ascii=False, double_precision=10)


def _sdf_text(df: pd.DataFrame) -> str:
    from rdkit.Chem import AllChem

    buf = _io.StringIO()
    writer = Chem.SDWriter(buf)
    mols = df["mol"].tolist() if "mol" in df.columns else [None] * len(df)
    smiles = df["smiles"].tolist() if "smiles" in df.columns else [""] * len(df)
    props = df.drop(columns=[c for c in ("mol",) if c in df.columns])
    name_col = next((c for c in ("name", "chelator", "id") if c in df.columns), None)
    with rdBase.BlockLogs():
        for k, rec in enumerate(props.to_dict("records")):
            mol = mols[k]
            mol = Chem.Mol(mol) if isinstance(mol, Chem.Mol) else (
                Chem.MolFromSmiles(str(smiles[k])) if isinstance(smiles[k], str) and smiles[k]
                else None)
            if mol is None:
                mol = Chem.Mol()  # an empty record keeps the row (and its status/message)
            elif mol.GetNumConformers() == 0:
                AllChem.Compute2DCoords(mol)
            title = rec.get(name_col) if name_col else ""
            mol.SetProp("_Name", "" if _is_missing(title) else str(title))
            for key, val in rec.items():
                if _is_missing(val):
                    continue
                mol.SetProp(str(key), f"{val:.6g}" if isinstance(val, float) else str(val))
            writer.write(mol)
    writer.close()
    return buf.getvalue()


def write_table(df: pd.DataFrame, path: str | os.PathLike, *,
                json_attrs: bool = False) -> Path:
    """Write ``df`` to ``path`` in the format of its suffix: the one writer of chelscreen.

    ``.csv``, ``.tsv``/``.tab``, ``.parquet``/``.pq``, ``.json`` (records, NaN as null),
    ``.sdf`` (one record per row: the ``mol`` column, else the ``smiles``; every other column
    as an SD property; a row without a structure is an empty record, never dropped);
    ``.smi`` (``smiles id`` per line); ``.gz`` after csv/tsv/json/sdf/smi compresses. Missing folders are created and the file is
    replaced atomically. A ``mol`` column is written only to SDF. ``json_attrs=True`` writes
    JSON as ``{"attrs": df.attrs, "rows": [...]}`` (for results whose summary is in attrs).

    Raises
    ------
    OutputFileError
        Unknown suffix, a folder in the way, or no permission (the message says which).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "new" / "folder" / "t.json"
    >>> write_table(pd.DataFrame({"id": ["a"], "logK_pred": [1.5]}), out).name
    't.json'
    >>> import json
    >>> json.loads(out.read_text())
    [{'id': 'a', 'logK_pred': 1.5}]
    """
    from chelscreen.errors import ChelscreenError, OutputFileError
    from chelscreen.store import atomic_write_bytes

    p = check_output_path(path)
    kind = output_format(p)
    table = df.drop(columns=["mol"]) if "mol" in df.columns and kind != "sdf" else df
    if kind == "parquet":
        buf = _io.BytesIO()
        table = table.copy()
        table.attrs = {}  # pandas would store attrs as JSON metadata; they need not serialize
        table.to_parquet(buf, index=False)
        data = buf.getvalue()
    elif kind == "json" and json_attrs:
        import json

        body = {"attrs": table.attrs, "rows": json.loads(_json_text(table))}
        data = json.dumps(body, indent=1, default=str, ensure_ascii=False).encode("utf-8")
    elif kind == "json":
        data = _json_text(table).encode("utf-8")
    elif kind == "sdf":
        data = _sdf_text(table).encode("utf-8")
    elif kind == "smi":  # SMILES and id per line, the input format of every reader
        if "smiles" not in table.columns:
            raise OutputFileError(f"cannot write {p}: a .smi file needs a 'smiles' column")
        ids = table["id"] if "id" in table.columns else pd.Series(range(1, len(table) + 1))
        data = "".join(f"{s} {i}\n" for s, i in zip(table["smiles"].fillna(""), ids,
                                                    strict=True)).encode("utf-8")
    else:
        data = table.to_csv(index=False, sep="\t" if kind == "tsv" else ",").encode("utf-8")
    if p.suffix.lower() == ".gz":
        data = gzip.compress(data)
    try:
        return atomic_write_bytes(p, data)
    except ChelscreenError:
        raise  # already one line with the reason and the fix
    except OSError as exc:
        raise OutputFileError(f"cannot write {p}: {exc.strerror or exc}") from None
