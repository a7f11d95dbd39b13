"""Tests of chelscreen.elements (the periodic-table module)."""

from __future__ import annotations

import pytest

from chelscreen.elements import all_elements, atomic_number, element, is_element, symbol

LANTHANIDES = ["La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
               "Lu"]
ACTINIDES_TO_CM = ["Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm"]


def test_table_complete():
    els = all_elements()
    assert [e.Z for e in els] == list(range(1, 119))
    assert len({e.symbol for e in els}) == 118


@pytest.mark.parametrize("i,sym", list(enumerate(LANTHANIDES)))
def test_lanthanides_no_gaps(i, sym):
    e = element(sym)
    assert e.Z == 57 + i
    assert symbol(57 + i) == sym
    assert e.period == 6
    assert e.is_lanthanide and e.is_f_element and not e.is_actinide
    assert not e.is_d_block
    assert e.group_or_3 == 3
    assert e.block == ("d" if sym == "La" else "f")


@pytest.mark.parametrize("i,sym", list(enumerate(ACTINIDES_TO_CM)))
def test_actinides_no_gaps(i, sym):
    e = element(sym)
    assert e.Z == 89 + i
    assert e.period == 7
    assert e.is_actinide and e.is_f_element
    assert element(e.name) is e


@pytest.mark.parametrize("sym,z,name,block,period,group", [
    ("Bi", 83, "Bismuth", "p", 6, 15),
    ("Pb", 82, "Lead", "p", 6, 14),
    ("Ra", 88, "Radium", "s", 7, 2),
    ("Ga", 31, "Gallium", "p", 4, 13),
    ("Sc", 21, "Scandium", "d", 4, 3),
    ("Zr", 40, "Zirconium", "d", 5, 4),
    ("Lu", 71, "Lutetium", "f", 6, None),
    ("Ac", 89, "Actinium", "d", 7, 3),
])
def test_main_radiometal_elements(sym, z, name, block, period, group):
    e = element(sym)
    assert (e.Z, e.name, e.block, e.period, e.group) == (z, name, block, period, group)
    assert atomic_number(sym) == z
    assert element(z) is e
    assert element(sym.lower()) is e
    assert element(name.upper()) is e


def test_d_block_flags():
    assert element("Zr").is_d_block and element("Cu").is_d_block
    assert not element("Ga").is_d_block and not element("Ac").is_d_block


def test_properties_present():
    assert element("Ba").dipole_polarizability_bohr3 == pytest.approx(272.0)
    assert element("Ca").en_pauling == pytest.approx(1.0)


@pytest.mark.parametrize("bad", ["Xx", "", 0, 119, "Actinide"])
def test_unknown_raises(bad):
    assert not is_element(bad)
    with pytest.raises(ValueError, match="element"):
        element(bad)
