"""Metal ions and radiometals: the ion table, a parser for what users type, and ion features.

Data: ``chelscreen/data/ions_extended.csv`` (83 aqueous cations: alkali, alkaline earth, 3d/4d/5d
transition metals in their usual states, all Ln3+, An3+/An4+, UO2(2+), the p-block cations), built
by ``chelscreen/data/build_ions_extended.py`` from the curated ``metal_ions.csv`` (36 ions) and
mendeleev 1.3.0 (Shannon radii, NIST ASD ionization energies, Pauling EN, polarizability), with a
provenance column per value. See ``chelscreen/data/SOURCES.md``.

Parsing (:func:`parse_metal`) accepts ``Ac``, ``Ac3+``, ``Ac+3``, ``Ac(III)``, ``Ac-225``,
``Ac225``, ``225Ac``, ``[225Ac]``, ``[225Ac]Ac``, ``225Ac3+``, ``actinium``, ``Cd-111m``, and
``UO2(2+)``/``UO2 2+``. A bare element or nuclide gets the element's default (therapeutic)
oxidation state: Cu -> Cu2+, Ga -> Ga3+, Zr -> Zr4+, Th -> Th4+, Ra -> Ra2+, Pb -> Pb2+,
Fe -> Fe3+, U -> UO2(2+). An explicit charge (``Fe2+``, ``Cu+``) selects that ion.

Astatine
--------
At is a halogen/metalloid: it is not chelated as a metal cation (211At is attached to carriers
by covalent At-C or At-B bonds). Decision: :func:`parse_metal` accepts ``At-211`` (so the decay
tools work) and returns a flagged ion with ``chelatable=False`` and a warning in the log;
:func:`get_ion` and :func:`ion_features` raise :class:`UnsupportedMetalError` for At unless
``allow_nonchelatable=True`` is given.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from chelscreen._resources import data_dir
from chelscreen.elements import element, is_element
from chelscreen.errors import UnsupportedMetalError

logger = logging.getLogger(__name__)

__all__ = ["Ion", "MetalSpec", "get_ion", "parse_metal", "parse_nuclide", "parse_radionuclide",
           "radionuclides", "supported_ions",
           "ion_features", "default_ion_symbol", "known_nuclide"]

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}
_NAN = float("nan")


@dataclass(frozen=True)
class Ion:
    """One aqueous metal ion with the facts chelscreen uses.

    Attributes
    ----------
    symbol : str
        Ion label, e.g. ``"Ac3+"``, ``"Na+"``, ``"UO2(2+)"``.
    element : str
        Element symbol.
    charge : int
        Formal charge (0 for the flagged astatine entry).
    radii_pm : tuple of (int, float)
        Tabulated Shannon effective ionic radii (pm) by coordination number.
    pauling_en, hardness_eV, log_beta1_hydrolysis, polarizability_bohr3 : float
        Pauling electronegativity of the element, Parr-Pearson absolute hardness of the ion,
        first hydrolysis constant log*beta1 (M + H2O = MOH + H+, I = 0, 25 C), dipole
        polarizability of the neutral atom. NaN when no source gave a value (see ``sources``).
    cn_preferred : int
        Default coordination number (a documented modelling rule, see SOURCES.md).
    hsab_class : str
        Pearson class where a source classified the ion, else "".
    lj_params : tuple of (str, float)
        Li/Merz 12-6 parameters (``LM126_hfe_tip3p_Rmin2_A`` ...) where they exist.
    chelatable : bool
        False for astatine (not a chelated metal cation).
    sources : tuple of (str, str)
        Provenance of each value (``radius``, ``pauling_en``, ``hardness``, ``log_beta1``).
    notes : str
        Free-text notes (coordination data read in the literature, caveats).
    """

    symbol: str
    element: str
    charge: int
    radii_pm: tuple[tuple[int, float], ...] = ()
    pauling_en: float = _NAN
    hardness_eV: float = _NAN  # noqa: N815 - unit suffix
    log_beta1_hydrolysis: float = _NAN
    polarizability_bohr3: float = _NAN
    cn_preferred: int = 6
    hsab_class: str = ""
    lj_params: tuple[tuple[str, float], ...] = ()
    chelatable: bool = True
    sources: tuple[tuple[str, str], ...] = ()
    notes: str = ""

    @property
    def cn_range(self) -> tuple[int, int] | None:
        """(min, max) coordination numbers for which a Shannon radius is tabulated."""
        if not self.radii_pm:
            return None
        cns = [c for c, _ in self.radii_pm]
        return min(cns), max(cns)

    def radius_info(self, cn: int | None = None) -> tuple[float, str]:
        """Ionic radius (pm) at ``cn`` and how it was obtained.

        Returns ``(value, how)`` with ``how`` one of ``"tabulated"``, ``"interpolated"``,
        ``"extrapolated"`` (linear in CN from the two nearest tabulated CNs) or
        ``"missing: <reason>"`` (value NaN).
        """
        cn = self.cn_preferred if cn is None else int(cn)
        table = dict(self.radii_pm)
        if not table:
            return _NAN, "missing: no Shannon radius tabulated for this ion"
        if cn in table:
            return table[cn], "tabulated"
        if len(table) == 1:
            only = next(iter(table))
            return _NAN, f"missing: only CN {only} tabulated, cannot interpolate to CN {cn}"
        cns = sorted(table)
        lower = [c for c in cns if c < cn]
        upper = [c for c in cns if c > cn]
        if lower and upper:
            a, b, how = lower[-1], upper[0], "interpolated"
        elif upper:
            a, b, how = upper[0], upper[1], "extrapolated"
        else:
            a, b, how = lower[-2], lower[-1], "extrapolated"
        r = table[a] + (table[b] - table[a]) * (cn - a) / (b - a)
        return r, how

    def radius_pm(self, cn: int | None = None) -> float:
        """Shannon ionic radius (pm) at ``cn`` (default ``cn_preferred``); see :meth:`radius_info`."""
        return self.radius_info(cn)[0]

    def source(self, key: str) -> str:
        """Provenance text for ``key`` (``radius``, ``pauling_en``, ``hardness``, ``log_beta1``)."""
        return dict(self.sources).get(key, "")


@dataclass(frozen=True)
class MetalSpec:
    """A parsed metal/radionuclide string: the ion, the nuclide (or None) and the input text."""

    ion: Ion
    nuclide: str | None
    text: str
    warnings: tuple[str, ...] = field(default=())


def _num(text: str) -> float:
    return float(text) if text not in ("", None) else _NAN


@lru_cache(maxsize=1)
def _ions() -> dict[str, Ion]:
    path = data_dir() / "ions_extended.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, Ion] = {}
    for r in rows:
        radii = tuple((cn, _num(r[f"r_ionic_CN{cn}_pm"])) for cn in range(2, 13)
                      if r[f"r_ionic_CN{cn}_pm"] not in ("", None))
        lj = tuple((k, _num(r[k])) for k in ("LM126_hfe_tip3p_Rmin2_A", "LM126_hfe_tip3p_eps_kcal",
                                             "LM126_iod_tip3p_Rmin2_A", "LM126_iod_tip3p_eps_kcal")
                   if r[k] not in ("", None))
        out[r["ion"]] = Ion(
            symbol=r["ion"], element=r["element"], charge=int(r["charge"]), radii_pm=radii,
            pauling_en=_num(r["pauling_en"]), hardness_eV=_num(r["hardness_eV"]),
            log_beta1_hydrolysis=_num(r["log_beta1_hydrolysis"]),
            polarizability_bohr3=_num(r["dipole_polarizability_bohr3"]),
            cn_preferred=int(r["cn_preferred"]), hsab_class=r["hsab_class"], lj_params=lj,
            sources=(("radius", r["radius_source"]), ("pauling_en", r["pauling_en_source"]),
                     ("hardness", r["hardness_source"]), ("log_beta1", r["log_beta1_source"]),
                     ("lj", r["LM126_ref"])),
            notes=r["CN_notes"],
        )
    return out


@lru_cache(maxsize=1)
def _defaults() -> dict[str, str]:
    path = data_dir() / "ions_extended.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["element"]: r["ion"] for r in csv.DictReader(fh)
                if r["is_default_for_element"] == "True"}


def _astatine() -> Ion:
    at = element("At")
    return Ion(
        symbol="At", element="At", charge=0, pauling_en=2.2, hardness_eV=3.26,
        polarizability_bohr3=at.dipole_polarizability_bohr3, chelatable=False,
        sources=(("pauling_en", "metal_ions.csv [S-EN-PMG] (neutral atom)"),
                 ("hardness", "metal_ions.csv: neutral At (IE1 - EA)/2")),
        notes=("astatine is a halogen/metalloid, not a chelated metal cation; 211At is bound by "
               "covalent At-C or At-B bonds [S-AT]. Use for decay calculations only."),
    )


def supported_ions() -> list[str]:
    """Every ion label :func:`get_ion` accepts, in table order (At is not included)."""
    return list(_ions())


def default_ion_symbol(elem: str) -> str:
    """The default (therapeutic / common aqueous) ion of an element, e.g. ``"Cu"`` -> ``"Cu2+"``."""
    sym = element(elem).symbol
    if sym == "At":
        return "At"
    try:
        return _defaults()[sym]
    except KeyError:
        raise UnsupportedMetalError(_unsupported_msg(sym, f"no cation of {sym} in the ion table"))\
            from None


#: where the list of supported metals starts in an :class:`UnsupportedMetalError` message
SUPPORTED_MARK = ". Supported radiometals:"


def _unsupported_msg(text: str, why: str) -> str:
    rows = _radionuclide_rows()
    listed = ", ".join(f"{r['nuclide']} ({r['ion']})" for r in rows if r["chelatable"])
    return (f"unsupported metal {text!r}: {why}{SUPPORTED_MARK} {listed}; "
            f"{len(supported_ions())} ions in all (chelscreen.metals.supported_ions()). Write "
            "ions as 'Ac3+' or 'Ac(III)', radionuclides as 'Ac-225', '225Ac' or '[225Ac]'.")


def unsupported_reason(exc: Exception) -> str:
    """The reason of an :class:`UnsupportedMetalError` without the list of supported metals."""
    return str(exc).split(SUPPORTED_MARK, 1)[0].rstrip(". ")


_RE_ION = re.compile(r"^([A-Za-z][a-z]?)\s*(?:(\d?)([+])|([+])(\d))$")
_RE_ROMAN = re.compile(r"^([A-Za-z][a-z]*)\s*\(\s*([IVX]+)\s*\)$")
_RE_URANYL = re.compile(r"^UO2\s*(?:\(\s*2\+\s*\)|2\+|\+\+|\s2\+)$", re.IGNORECASE)


def _element_symbol(text: str, original: str) -> str:
    if not is_element(text):
        raise UnsupportedMetalError(_unsupported_msg(original, f"{text!r} is not an element"))
    return element(text).symbol


def _ion_from(sym: str, charge: int | None, original: str, allow_nonchelatable: bool) -> Ion:
    if sym == "At":
        if not allow_nonchelatable:
            raise UnsupportedMetalError(
                f"astatine ({original!r}) is not a chelated metal cation: 211At is attached by "
                "covalent At-C/At-B bonds, so no ion features or stability constants apply. "
                "Use it with the decay tools (chelscreen decay At-211), or pass "
                "allow_nonchelatable=True to get the flagged At entry.")
        return _astatine()
    if charge is None:
        if sym not in _defaults():
            raise UnsupportedMetalError(_unsupported_msg(original,
                                                         f"no cation of {sym} in the ion table"))
        label = default_ion_symbol(sym)
    else:
        label = f"{sym}{'' if charge == 1 else charge}+"
    ion = _ions().get(label)
    if ion is None:
        raise UnsupportedMetalError(_unsupported_msg(original, f"{label} is not in the ion table"))
    return ion


def _parse(text: str, allow_nonchelatable: bool) -> tuple[Ion, str | None]:
    """:func:`_parse_text`, memoized for strings (a screen parses the same few names per pair;
    the result is immutable, errors are raised again on every call)."""
    if isinstance(text, str):
        return _parse_cached(text, allow_nonchelatable)
    return _parse_text(text, allow_nonchelatable)


def _parse_text(text: str, allow_nonchelatable: bool) -> tuple[Ion, str | None]:
    if not isinstance(text, str) or not text.strip():
        raise UnsupportedMetalError(_unsupported_msg(str(text), "empty metal string"))
    original = text
    t = text.strip()
    if _RE_URANYL.fullmatch(t):
        return _ions()["UO2(2+)"], None
    split = _split_nuclide(t)
    if split is not None:
        name, rest = split
        sym = name.split("-")[0]
        charge = None
        if rest and rest.strip().capitalize() == sym:
            rest = ""
        if rest:
            rest = rest.strip()
            if re.fullmatch(r"\d?\+|\+\d", rest):
                rest = sym + rest
            elif re.fullmatch(r"\(\s*[IVX]+\s*\)", rest):
                rest = sym + rest
            ion_part = _RE_ION.fullmatch(rest) or _RE_ROMAN.fullmatch(rest)
            if not ion_part or _element_symbol(ion_part.group(1).capitalize(), original) != sym:
                raise UnsupportedMetalError(_unsupported_msg(original, f"cannot read {rest!r}"))
            charge = _charge_from_match(ion_part)
        return _ion_from(sym, charge, original, allow_nonchelatable), name
    m = _RE_ION.fullmatch(t)
    if m:
        sym = _element_symbol(m.group(1).capitalize(), original)
        return _ion_from(sym, _charge_from_match(m), original, allow_nonchelatable), None
    m = _RE_ROMAN.fullmatch(t)
    if m:
        el = m.group(1)
        sym = _element_symbol(el if len(el) > 2 else el.capitalize(), original)
        return _ion_from(sym, _charge_from_match(m), original, allow_nonchelatable), None
    if is_element(t):
        return _ion_from(element(t).symbol, None, original, allow_nonchelatable), None
    if re.fullmatch(r"[A-Za-z][a-z]?", t):
        raise UnsupportedMetalError(_unsupported_msg(original, f"{t!r} is not an element"))
    raise UnsupportedMetalError(_unsupported_msg(
        original, "cannot read it; write e.g. 'Ac', 'Ac3+', 'Ac(III)', 'Ac-225' or '225Ac'"))


_parse_cached = lru_cache(maxsize=4096)(_parse_text)


def _charge_from_match(m: re.Match[str]) -> int:
    g = m.groups()
    if len(g) == 2:  # roman
        roman = g[1].upper()
        if roman not in _ROMAN:
            raise UnsupportedMetalError(f"unreadable oxidation state ({g[1]}) in {m.string!r}")
        return _ROMAN[roman]
    _, digits, plus, plus2, digits2 = g
    if plus:
        return int(digits or 1)
    return int(digits2)


def known_nuclide(nuclide: str) -> bool:
    """True when ``nuclide`` (e.g. ``"Ac-225"``) is in ICRP-107.

    Uses the bundled ``nuclides.csv`` first and radioactivedecay (if installed) otherwise.
    """
    if nuclide in _bundled_nuclides() or nuclide in _precomputed_canonical():
        return True
    try:
        import radioactivedecay as rd
    except ImportError:  # pragma: no cover - radioactivedecay is a dependency
        logger.warning("radioactivedecay not installed: cannot check nuclide %s", nuclide)
        return True
    try:
        rd.Nuclide(nuclide)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1)
def _bundled_nuclides() -> frozenset[str]:
    with (data_dir() / "nuclides.csv").open(newline="", encoding="utf-8") as fh:
        return frozenset(r["nuclide"] for r in csv.DictReader(fh))


def _precomputed_canonical() -> frozenset[str]:
    """Names radioactivedecay's parser reads as themselves, in its ICRP-107 data, as recorded
    by ``chelscreen/data/build_nuclide_terms.py`` (the radionuclides of the bundled labeling
    and evidence tables; used only while ``nuclide_terms.json`` is current)."""
    from chelscreen.decay import precomputed_canonical

    return precomputed_canonical()


def _nuclide(sym: str, mass: str, iso: str | None, original: str) -> str:
    a = int(mass)
    z = element(sym).Z
    name = f"{sym}-{a}{iso or ''}"
    if a < z or a > 3 * z + 10:
        raise UnsupportedMetalError(f"{original!r}: mass number {a} is impossible for {sym} "
                                    f"(Z={z}); write e.g. '{sym}-{_example_mass(sym)}'")
    if not known_nuclide(name):
        raise UnsupportedMetalError(f"{original!r}: {name} is not in the ICRP-107 decay data "
                                    "(radioactivedecay); check the mass number")
    return name


def _example_mass(sym: str) -> int:
    for n in sorted(_bundled_nuclides()):
        if n.split("-")[0] == sym:
            return int(re.sub(r"\D", "", n.split("-")[1]))
    return 2 * element(sym).Z + 50


def parse_nuclide(text: str) -> str:
    """Canonical nuclide name (``'Ac-225'``, ``'Cd-111m'``) of any element, metal or not.

    Accepts ``Ac-225``, ``Ac225``, ``225Ac``, ``[225Ac]``, ``[225Ac]Ac``, ``actinium-225``,
    ``Rn-220``, ``At-211``; a charge suffix is ignored.

    Raises
    ------
    UnsupportedMetalError
        When no mass number is given or the nuclide is not in ICRP-107.
    """
    if not isinstance(text, str) or not text.strip():
        raise UnsupportedMetalError("empty nuclide string; write e.g. 'Ac-225' or '225Ac'")
    split = _split_nuclide(text.strip())
    if split is None:
        head = re.match(r"[A-Za-z]+", text.strip())
        sym = head.group(0) if head else ""
        sym = sym if len(sym) > 2 else sym.capitalize()
        example = (f"{element(sym).symbol}-{_example_mass(element(sym).symbol)}"
                   if sym and is_element(sym) else "Ac-225")
        raise UnsupportedMetalError(
            f"{text!r} is not a radionuclide (no mass number); write e.g. '{example}'")
    return split[0]


_RE_BRACKET = re.compile(r"\[\s*([^\]]+?)\s*\]\s*(.*)")
_RE_CANONICAL = re.compile(r"([A-Z][a-z]?)-([1-9]\d*)(m\d?)?")
_RE_CHARGE_TAIL = re.compile(r"(.*?[A-Za-z0-9])\s*(\d?\+|\+\d|\(\s*[IVX]+\s*\))")


def _split_nuclide(text: str) -> tuple[str, str] | None:
    """``(canonical nuclide, the rest)`` of a nuclide text, or None when it has no mass number.

    The one nuclide parser: the nuclide part is read by radioactivedecay
    (``radioactivedecay.utils.parse_nuclide_str``, which takes ``Ac-225``, ``AC-225``,
    ``225-Ac``, ``225Ac``, ``ac225``, ``Tc-99m``, ``99mTc``), after an element *name* is turned
    into its symbol (``actinium-225``) and a bracket (``[225Ac]Ac``) or a charge
    (``225Ac3+``, ``Ac-225(III)``) is set aside as the rest. The result is checked against
    the physically possible mass numbers and the ICRP-107 data.
    """
    original = text
    rest = ""
    m = _RE_BRACKET.fullmatch(text)
    if m:
        text, rest = m.group(1), m.group(2)
    else:
        m = _RE_CHARGE_TAIL.fullmatch(text)
        if m:
            text, rest = m.group(1), m.group(2)
    if not re.search(r"\d", text):
        return None
    # a canonical name of a bundled nuclide ('Ac-225', 'Tc-99m') is its own reading: the
    # parser below returns it unchanged, so a screen's workers need not import it
    canonical = _RE_CANONICAL.fullmatch(text)
    if canonical and (text in _bundled_nuclides() or text in _precomputed_canonical()):
        return _nuclide(*canonical.groups(), original), rest
    # imported only for a nuclide text: radioactivedecay imports sympy (~1 CPU-s), which an
    # ion such as 'Ac3+' or a plain 'Lu' never needs
    from radioactivedecay.utils import parse_nuclide_str

    letters = re.findall(r"[A-Za-z]{3,}", text)
    for word in letters:  # 'actinium-225' -> 'Ac-225' (radioactivedecay wants symbols)
        if word.lower() != "m" and is_element(word):
            text = text.replace(word, element(word).symbol)
    try:
        name = parse_nuclide_str(text)
    except (ValueError, IndexError) as exc:  # NuclideStrError subclasses ValueError;
        # radioactivedecay raises IndexError on digits-only text such as '-3' or '225'
        exc = exc if isinstance(exc, ValueError) else ValueError("not a nuclide")
        detail = (str(exc).split(". ", 1)[-1].strip().rstrip(".") or "not a nuclide")
        detail = detail.replace("is unphysical", "is impossible")
        raise UnsupportedMetalError(
            f"cannot read {original!r} as a radionuclide ({detail}); write e.g. "
            "'Ac-225', '225Ac', 'ac225' or '[225Ac]'") from None
    sym, mass_iso = name.split("-", 1)
    mm = re.fullmatch(r"(\d+)(m\d?)?", mass_iso)
    if mm is None or not is_element(sym):
        raise UnsupportedMetalError(f"{original!r}: cannot read the nuclide {name!r}; write "
                                    "e.g. 'Ac-225'")
    return _nuclide(element(sym).symbol, mm.group(1), mm.group(2), original), rest


def parse_metal(text: str) -> MetalSpec:
    """Parse a metal or radionuclide string into ion + nuclide.

    Parameters
    ----------
    text : str
        ``Ac``, ``Ac3+``, ``Ac(III)``, ``Ac-225``, ``225Ac``, ``[225Ac]``, ``Lu-177``, ``Pb2+`` ...

    Returns
    -------
    MetalSpec
        ``ion`` (default oxidation state unless one is given), ``nuclide`` (``"Ac-225"`` or
        None) and ``text``. Astatine parses with a flagged, non-chelatable ion and a warning.

    Raises
    ------
    UnsupportedMetalError
        Unknown element, ion not in the table, impossible or unknown nuclide; the message lists
        the supported ions.

    Examples
    --------
    >>> spec = parse_metal("225Ac")
    >>> spec.ion.symbol, spec.nuclide
    ('Ac3+', 'Ac-225')
    >>> parse_metal("Cu(II)").ion.symbol
    'Cu2+'
    """
    ion, nuclide = _parse(text, allow_nonchelatable=True)
    warnings: tuple[str, ...] = ()
    if not ion.chelatable:
        msg = f"{text!r}: {ion.notes}"
        logger.warning(msg)
        warnings = (msg,)
    return MetalSpec(ion=ion, nuclide=nuclide, text=text, warnings=warnings)


def get_ion(text: str | Ion, *, allow_nonchelatable: bool = False) -> Ion:
    """The :class:`Ion` for ``text`` (any form :func:`parse_metal` accepts, or an Ion).

    Raises
    ------
    UnsupportedMetalError
        As :func:`parse_metal`; also for astatine unless ``allow_nonchelatable=True``.

    Examples
    --------
    >>> ion = get_ion("Lu-177")
    >>> ion.symbol, ion.charge
    ('Lu3+', 3)
    """
    if isinstance(text, Ion):
        ion = text
        if not ion.chelatable and not allow_nonchelatable:
            _ion_from("At", None, ion.symbol, False)
        return ion
    return _parse(text, allow_nonchelatable)[0]


def ion_features(ion: str | Ion, cn: int | None = None) -> dict[str, float]:
    """Numeric features of an ion for the stability model.

    Parameters
    ----------
    ion : str or Ion
        Anything :func:`get_ion` accepts.
    cn : int, optional
        Coordination number for ``r_ionic_pm`` (default: the ion's ``cn_preferred``). When the
        CN is not tabulated the radius is interpolated/extrapolated linearly in CN and
        ``r_ionic_cn_estimated`` is 1.

    Returns
    -------
    dict of str to float
        ``charge``, ``r_ionic_pm``, ``r_ionic_cn_estimated``, ``r_ionic_cn6_pm``,
        ``r_ionic_cn8_pm``, ``charge_density_e_per_pm`` (z/r), ``z2_over_r_e2_per_pm``,
        ``pauling_en``, ``hardness_eV``, ``log_beta1_hydrolysis``, ``is_f_block``,
        ``is_d_block``, ``is_lanthanide``, ``is_actinide``, ``period``, ``group``,
        ``polarizability_bohr3``, ``cn_preferred``, ``cn_used``, ``Z``. Missing values are NaN
        (reason in ``Ion.sources`` / :meth:`Ion.radius_info`), never invented.
    """
    i = get_ion(ion)
    el = element(i.element)
    cn_used = i.cn_preferred if cn is None else int(cn)
    r, how = i.radius_info(cn_used)
    if how.startswith("missing"):
        logger.debug("%s: r_ionic at CN %d %s", i.symbol, cn_used, how)
    z = float(i.charge)
    return {
        "charge": z,
        "Z": float(el.Z),
        "r_ionic_pm": r,
        "r_ionic_cn_estimated": float(how in ("interpolated", "extrapolated")),
        "r_ionic_cn6_pm": i.radius_pm(6),
        "r_ionic_cn8_pm": i.radius_pm(8),
        "charge_density_e_per_pm": z / r if r and not math.isnan(r) else _NAN,
        "z2_over_r_e2_per_pm": z * z / r if r and not math.isnan(r) else _NAN,
        "pauling_en": i.pauling_en,
        "hardness_eV": i.hardness_eV,
        "log_beta1_hydrolysis": i.log_beta1_hydrolysis,
        "is_f_block": float(el.is_f_element),
        "is_d_block": float(el.is_d_block),
        "is_lanthanide": float(el.is_lanthanide),
        "is_actinide": float(el.is_actinide),
        "period": float(el.period),
        "group": float(el.group_or_3),
        "polarizability_bohr3": i.polarizability_bohr3,
        "cn_preferred": float(i.cn_preferred),
        "cn_used": float(cn_used),
    }


def radionuclides():
    """The radionuclides chelscreen has curated decay data for (therapy and imaging nuclides).

    Any ICRP-107 isotope of a supported metal is accepted as well; these are the ones with
    curated roles, half-lives and chains (``chelscreen/data/nuclides.csv``).

    Returns
    -------
    pandas.DataFrame
        ``nuclide, role, half_life, half_life_s, ion`` (the default ion, ``""`` when the
        element is not a chelatable metal) and ``chelatable``.

    Examples
    --------
    >>> df = radionuclides()
    >>> {"Ac-225", "Lu-177", "Pb-212"} <= set(df["nuclide"])
    True
    >>> bool(df.set_index("nuclide").loc["At-211", "chelatable"])
    False
    """
    import pandas as pd

    return pd.DataFrame(_radionuclide_rows())


@lru_cache(maxsize=1)
def _radionuclide_rows() -> tuple[dict, ...]:
    with (data_dir() / "nuclides.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if re.match(r"(therapy|imaging)", r.get("role", "").strip())]
    out = []
    for r in rows:
        sym = r["nuclide"].split("-")[0]
        ion = _ions().get(_defaults().get(sym, ""))  # no _ion_from: its errors call this list
        chel = bool(ion is not None and ion.chelatable)
        out.append({"nuclide": r["nuclide"], "role": r["role"], "half_life": r["half_life"],
                    "half_life_s": float(r["half_life_s"]),
                    "ion": ion.symbol if chel else "", "chelatable": chel})
    return tuple(out)


def parse_radionuclide(text: str, *, chelatable: bool = True) -> MetalSpec:
    """Parse a radionuclide (not a bare metal); errors list the supported radionuclides.

    Parameters
    ----------
    text : str
        ``Ac-225``, ``AC-225``, ``225-Ac``, ``ac225``, ``[225Ac]``, ``Lu-177`` ...
    chelatable : bool, default True
        Also require a chelatable metal (refuses ``At-211``).

    Raises
    ------
    UnsupportedNuclideError
        Quoting ``text`` as typed, with the reason and the list of supported radionuclides.

    Examples
    --------
    >>> parse_radionuclide("225-Ac").nuclide
    'Ac-225'
    >>> parse_radionuclide("Ac-2255")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chelscreen.errors.UnsupportedNuclideError: unknown radionuclide 'Ac-2255': ...
    """
    from chelscreen.errors import UnsupportedNuclideError

    def fail(why: str) -> UnsupportedNuclideError:
        names = ", ".join(radionuclides().query("chelatable")["nuclide"])
        return UnsupportedNuclideError(
            f"unknown radionuclide {text!r}: {why}. Supported radionuclides: {names} (see "
            "'chelscreen nuclides'); another ICRP-107 isotope of a supported metal also works. "
            "Write e.g. 'Ac-225', '225Ac' or 'ac225'.")

    try:
        spec = parse_metal(text)
    except UnsupportedMetalError as exc:
        why = unsupported_reason(exc).replace(f"unsupported metal {text!r}: ", "")
        why = re.sub(r";\s*write e\.g\..*$", "", why, flags=re.S)
        raise fail(why) from None
    if spec.nuclide is None:
        raise fail(f"{spec.ion.element} is an element, not a radionuclide; add the mass number")
    if chelatable and not spec.ion.chelatable:
        raise fail(f"{spec.ion.element} is not chelated as a metal cation")
    return spec
