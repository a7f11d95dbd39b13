"""Model files that were tampered with, swapped for a pickle, re-hashed or written by a newer
chelscreen are refused with :class:`ModelFileError` naming the file, and nothing in the package
unpickles, evals or shells out on user data (issue: reliability, point 4)."""

from __future__ import annotations

import io
import json
import pickle
import re
import shutil
import tokenize
from pathlib import Path

import numpy as np
import pytest

from chelscreen._resources import models_dir
from chelscreen.errors import ModelFileError
from chelscreen.model import io as model_io

PACKAGE = Path(model_io.__file__).resolve().parents[1]


@pytest.fixture
def model_copy(tmp_path) -> Path:
    """A copy of the bundled model folder (only the files its card lists)."""
    src = models_dir() / "stability"
    card = json.loads((src / "card.json").read_text())
    d = tmp_path / "stability"
    d.mkdir()
    for name in [*card["files"], "card.json"]:
        shutil.copy2(src / name, d / name)
    return d


def _rehash(d: Path, name: str) -> None:
    card = json.loads((d / "card.json").read_text())
    card["files"][name] = model_io.sha256(d / name)
    (d / "card.json").write_text(json.dumps(card))


class _Payload:
    """A pickle that would create a marker file when unpickled."""

    marker = ""

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _pickle_as_skops(d: Path, marker: Path) -> None:
    p = _Payload()
    p.marker = str(marker)
    (d / "model.skops").write_bytes(pickle.dumps({"model": p}, protocol=4))


def test_intact_copy_loads(model_copy):
    assert model_io.load(model_copy).card_["schema_version"] == model_io.SCHEMA_VERSION


def _flip_skops(d: Path, marker: Path) -> None:
    data = bytearray((d / "model.skops").read_bytes())
    data[len(data) // 2] ^= 0x01
    (d / "model.skops").write_bytes(bytes(data))


def _pickle_renamed(d: Path, marker: Path) -> None:
    _pickle_as_skops(d, marker)


def _pickle_renamed_rehashed(d: Path, marker: Path) -> None:
    _pickle_as_skops(d, marker)
    _rehash(d, "model.skops")


def _edit_card_hash(d: Path, marker: Path) -> None:
    card = json.loads((d / "card.json").read_text())
    card["files"]["state.json"] = "0" * 64
    (d / "card.json").write_text(json.dumps(card))


def _edit_state(d: Path, marker: Path) -> None:
    state = json.loads((d / "state.json").read_text())
    state["conformal_q"] = 0.01
    (d / "state.json").write_text(json.dumps(state))


def _newer_card_schema(d: Path, marker: Path) -> None:
    card = json.loads((d / "card.json").read_text())
    card["schema_version"] = "chelscreen.stability/99"
    (d / "card.json").write_text(json.dumps(card))


def _newer_state_schema(d: Path, marker: Path) -> None:
    state = json.loads((d / "state.json").read_text())
    state["schema_version"] = "chelscreen.stability/99"
    (d / "state.json").write_text(json.dumps(state))
    _rehash(d, "state.json")


def _card_not_json(d: Path, marker: Path) -> None:
    (d / "card.json").write_text('{"schema_version": "chelscreen.stab')


def _card_list(d: Path, marker: Path) -> None:
    (d / "card.json").write_text("[1, 2]")


def _truncated_skops_rehashed(d: Path, marker: Path) -> None:
    data = (d / "model.skops").read_bytes()
    (d / "model.skops").write_bytes(data[: len(data) // 2])
    _rehash(d, "model.skops")


def _object_array_fps(d: Path, marker: Path) -> None:
    np.save(d / "train_fps.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    _rehash(d, "train_fps.npy")


CASES = {
    # name: (damage, file named in the message, words in the message)
    "tampered model.skops": (_flip_skops, "model.skops", "modified"),
    "pickle renamed to .skops": (_pickle_renamed, "model.skops", "modified"),
    "pickle renamed to .skops, hash fixed": (_pickle_renamed_rehashed, "model.skops", "pickle"),
    "edited hash in card.json": (_edit_card_hash, "state.json", "modified"),
    "edited state.json": (_edit_state, "state.json", "tampered"),
    "newer schema (card)": (_newer_card_schema, "card.json", "newer"),
    "newer schema (state, hash fixed)": (_newer_state_schema, "state.json", "newer"),
    "card.json not JSON": (_card_not_json, "card.json", "not valid JSON"),
    "card.json not an object": (_card_list, "card.json", "not a model card"),
    "truncated model.skops, hash fixed": (_truncated_skops_rehashed, "model.skops", "skops"),
    "object array in train_fps.npy": (_object_array_fps, "train_fps.npy", "could not read"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_model_folder_is_refused_naming_the_file(model_copy, tmp_path, case):
    damage, fname, words = CASES[case]
    marker = tmp_path / "payload-ran"
    damage(model_copy, marker)
    with pytest.raises(ModelFileError) as err:
        model_io.load(model_copy)
    msg = str(err.value)
    assert str(model_copy / fname) in msg, msg
    assert words in msg, msg
    assert "\n" not in msg
    assert not marker.exists(), "a pickle payload was executed"


def test_bad_model_through_predict_cli_is_one_line(model_copy, tmp_path, cli_main):
    _pickle_renamed_rehashed(model_copy, tmp_path / "payload-ran")
    code, out, err = cli_main("predict", "DOTA", "--metals", "Lu3+", "--model", str(model_copy))
    assert code == 2, (out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "model.skops" in lines[0] and "pickle" in lines[0], err
    assert not (tmp_path / "payload-ran").exists()


# -- the package never decodes user data with unsafe loaders ---------------------------------
FORBIDDEN = [
    (r"\bimport\s+(c?pickle|dill|cloudpickle|marshal|shelve)\b", "unpickling module"),
    (r"\bfrom\s+(c?pickle|dill|cloudpickle|marshal|shelve)\s+import\b", "unpickling module"),
    (r"\b(c?pickle|dill|cloudpickle|marshal)\s*\.\s*loads?\s*\(", "unpickling"),
    (r"\bjoblib\s*\.\s*load\s*\(", "joblib.load (pickle)"),
    (r"\bread_pickle\s*\(", "pandas.read_pickle"),
    (r"\ballow_pickle\s*=\s*True\b", "np.load(allow_pickle=True)"),
    (r"\byaml\s*\.\s*(load|unsafe_load|full_load)\s*\(", "yaml.load"),
    (r"(?<![\w.])eval\s*\(", "eval("),
    (r"(?<![\w.])exec\s*\(", "exec("),
    (r"\bshell\s*=\s*True\b", "shell=True"),
    (r"\bos\s*\.\s*system\s*\(", "os.system"),
    (r"\bsio\s*\.\s*load\s*\([^)]*trusted\s*=\s*True", "skops load trusting everything"),
]


def _code_only(path: Path) -> str:
    """The file's code with strings and comments blanked (docstrings may say 'pickle')."""
    out = []
    with open(path, "rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type in (tokenize.STRING, tokenize.COMMENT, tokenize.ENCODING):
                continue
            if tok.type in (tokenize.NEWLINE, tokenize.NL):
                out.append("\n")
                continue
            out.append(tok.string + " ")
    return "".join(out)


def test_package_has_no_unsafe_loaders():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    hits = []
    for f in files:
        code = _code_only(f)
        for pattern, what in FORBIDDEN:
            for m in re.finditer(pattern, code, flags=re.I):
                hits.append(f"{f.relative_to(PACKAGE)}: {what}: {m.group(0)!r}")
    assert not hits, "\n".join(hits)


def test_the_scanner_finds_what_it_looks_for():
    """The grep must be able to fail: each pattern catches a sample."""
    samples = ["import pickle", "from cPickle import loads", "pickle.load(fh)", "joblib.load(p)",
               "pd.read_pickle(p)", "np.load(p, allow_pickle=True)", "yaml.load(s)", "eval(x)",
               "exec(code)", "subprocess.run(c, shell=True)", "os.system(c)",
               "sio.load(p, trusted=True)"]
    for s in samples:
        code = _code_only_text(s)
        assert any(re.search(p, code, flags=re.I) for p, _ in FORBIDDEN), s
    # and text in strings/comments is not code
    assert not any(re.search(p, _code_only_text('x = "eval(1)"  # import pickle'), flags=re.I)
                   for p, _ in FORBIDDEN)


def _code_only_text(text: str) -> str:
    f = io.BytesIO(text.encode() + b"\n")
    out = []
    for tok in tokenize.tokenize(f.readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT, tokenize.ENCODING):
            continue
        out.append(tok.string + " ")
    return "".join(out)
