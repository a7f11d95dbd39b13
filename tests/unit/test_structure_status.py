"""Probable library structures say so in every output row (read_ligands and the default screen)."""

from __future__ import annotations

import chelscreen
from chelscreen.io import load_library
from chelscreen.screening import _read_input


def _probable() -> list[str]:
    lib = load_library()
    return lib.loc[lib["structure_status"] == "probable", "name"].tolist()


def test_probable_entries_exist_and_are_flagged_by_name():
    names = _probable()
    assert names, "the library has probable entries (crown, H4pypa, DOTAGA, H2bispa2, DFO*)"
    out = chelscreen.read_ligands(names + ["DOTA"])
    assert all("structure_status=probable" in m for m in out["message"][:-1])
    assert "structure_status" not in out["message"].iloc[-1]


def test_default_screen_input_carries_the_status():
    d = _read_input(None)
    flagged = set(d.loc[d["message"].str.contains("structure_status=probable"), "chelator"])
    assert flagged == set(_probable())
