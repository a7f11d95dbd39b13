"""The one periodic-table module of chelscreen: symbol <-> Z <-> name, block, period, group.

Data: ``chelscreen/data/elements.csv``, exported from mendeleev 1.3.0 (MIT; see
``chelscreen/data/SOURCES.md``). All 118 elements are present; the f-block is complete.

Conventions
-----------
- ``block`` is mendeleev's: La and Ac are ``"d"``, Ce-Lu and Th-Lr are ``"f"``.
- ``is_lanthanide`` (La-Lu, Z 57-71) and ``is_actinide`` (Ac-Lr, Z 89-103) follow the chemical
  (IUPAC) usage; ``is_f_element`` is their union. This is what the ion features call
  ``is_f_block`` because it is the chemically meaningful grouping for chelation (La3+/Ac3+ behave
  like the other Ln3+/An3+).
- ``group`` is ``None`` for Ce-Lu and Th-Lr (no group in the 18-column table);
  ``group_or_3`` places the f-elements in group 3 for numeric features.

>>> from chelscreen.elements import element
>>> element("ac").Z, element(89).name, element("Actinium").symbol
(89, 'Actinium', 'Ac')
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import lru_cache

from chelscreen._resources import data_dir

logger = logging.getLogger(__name__)

__all__ = ["Element", "element", "atomic_number", "symbol", "all_elements", "is_element"]


@dataclass(frozen=True)
class Element:
    """Element facts used across chelscreen (values from mendeleev 1.3.0)."""

    Z: int
    symbol: str
    name: str
    block: str
    period: int
    group: int | None
    en_pauling: float
    en_allen_eV: float
    electron_affinity_eV: float
    dipole_polarizability_bohr3: float
    covalent_radius_pm: float
    electronic_configuration: str

    @property
    def is_lanthanide(self) -> bool:
        """La-Lu (Z 57-71)."""
        return 57 <= self.Z <= 71

    @property
    def is_actinide(self) -> bool:
        """Ac-Lr (Z 89-103)."""
        return 89 <= self.Z <= 103

    @property
    def is_f_element(self) -> bool:
        """Lanthanide or actinide (includes La, Ac, Lu, Lr)."""
        return self.is_lanthanide or self.is_actinide

    @property
    def is_d_block(self) -> bool:
        """Transition metal (groups 3-12), excluding La and Ac which count as f-elements."""
        return self.block == "d" and not self.is_f_element

    @property
    def group_or_3(self) -> int:
        """Group number, with lanthanides and actinides placed in group 3."""
        if self.group is not None:
            return self.group
        return 3


def _f(text: str) -> float:
    return float(text) if text not in ("", None) else float("nan")


@lru_cache(maxsize=1)
def _table() -> tuple[Element, ...]:
    path = data_dir() / "elements.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        out.append(Element(
            Z=int(r["atomic_number"]), symbol=r["symbol"], name=r["name"], block=r["block"],
            period=int(r["period"]), group=int(r["group"]) if r["group"] else None,
            en_pauling=_f(r["en_pauling"]), en_allen_eV=_f(r["en_allen_eV"]),
            electron_affinity_eV=_f(r["electron_affinity_eV"]),
            dipole_polarizability_bohr3=_f(r["dipole_polarizability_bohr3"]),
            covalent_radius_pm=_f(r["covalent_radius_pm"]),
            electronic_configuration=r["electronic_configuration"],
        ))
    if [e.Z for e in out] != list(range(1, len(out) + 1)):
        raise RuntimeError(f"{path} is not a complete periodic table (Z 1..{len(out)})")
    return tuple(out)


@lru_cache(maxsize=1)
def _index() -> dict[str, Element]:
    idx: dict[str, Element] = {}
    for e in _table():
        idx[e.symbol.lower()] = e
        idx[e.name.lower()] = e
    for alias, sym in (("aluminium", "al"), ("aluminum", "al"), ("caesium", "cs"),
                       ("cesium", "cs")):
        idx[alias] = idx[sym]
    return idx


def all_elements() -> tuple[Element, ...]:
    """Every element, ordered by Z (1-118)."""
    return _table()


def element(key: str | int) -> Element:
    """Look an element up by symbol (any case), English name or atomic number.

    Raises
    ------
    ValueError
        If no element matches.
    """
    if isinstance(key, bool):
        raise ValueError(f"not an element: {key!r}")
    if isinstance(key, int):
        tab = _table()
        if 1 <= key <= len(tab):
            return tab[key - 1]
        raise ValueError(f"no element with Z={key}; use 1..{len(tab)}")
    hit = _index().get(str(key).strip().lower())
    if hit is None:
        raise ValueError(f"unknown element {key!r}; give a symbol (e.g. 'Ac'), a name "
                         "('actinium') or an atomic number (89)")
    return hit


def is_element(key: str | int) -> bool:
    """True when :func:`element` would find ``key``."""
    try:
        element(key)
    except ValueError:
        return False
    return True


def atomic_number(sym: str) -> int:
    """Atomic number of an element symbol or name."""
    return element(sym).Z


def symbol(Z: int) -> str:  # noqa: N803 - Z is the physical symbol
    """Element symbol of atomic number ``Z``."""
    return element(int(Z)).symbol
