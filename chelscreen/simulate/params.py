"""Ion parameters for the simulations: Li/Merz 12-6 LJ, implicit-solvent Born radii, fallbacks.

The bundled table ``chelscreen/simulate/data/ion_parameters.csv`` (provenance in
``data/PROVENANCE.md``) holds, per ion: charge, Shannon radii, tabulated CN range, the Li/Merz 12-6
HFE/TIP3P LJ parameters (Rmin/2 in A, epsilon in kcal/mol) and, where read, the experimental
hydration free energy (HFE, kcal/mol).

Rules (all flagged in ``IonParameters.lj_source`` / ``born_source``):

- **LJ**: Li/Merz 12-6 HFE set where it exists (``lj_set="iod"`` selects their IOD set, fitted
  to ion-oxygen distances, instead). Otherwise (Ac3+, Bi3+, Ga3+, Sc3+, Ho3+, Yb3+,
  Am3+, Cm3+) a least-squares line over the same-charge ions that have a Li/Merz set:
  ``Rmin/2 = a + b * r_CN6`` and ``ln(eps) = c + d * Rmin/2`` (the Li/Merz sets lie close to one
  such curve). Extrapolation (Ga3+ below Fe3+, Ac3+ above La3+) is flagged as such.
- **Born radius** (GBSA-OBC2 ion radius): from the experimental HFE with the Born equation
  ``dG = -(q^2/(8 pi eps0 r)) (1 - 1/eps_w)``, i.e. ``r = 138.935 q^2 (1 - 1/78.5) / (2 |dG|)``
  nm (dG in kJ/mol). OpenMM's OBC2 subtracts a 0.009 nm dielectric offset from the atomic
  radius, so the particle radius is ``r + 0.009`` nm (an isolated ion then has exactly the
  target solvation energy). Without an HFE: ``r = r_CN6 + delta`` with ``delta`` the mean
  ``r_Born - r_CN6`` over the ions with an HFE (0.86-0.97 A, small spread).

Users add or override ions with :func:`register_ion_parameters` from a CSV or JSON file with the
same columns (``ion, charge, r_ionic_CN6_pm`` required; others optional).
"""

from __future__ import annotations

import csv
import json
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from chelscreen.errors import InputFileError, UnsupportedMetalError

logger = logging.getLogger(__name__)

ONE_4PI_EPS0 = 138.935456  # kJ mol^-1 nm e^-2
EPS_WATER = 78.5
OBC_OFFSET_NM = 0.009
KCAL = 4.184
DATA_FILE = Path(__file__).resolve().parent / "data" / "ion_parameters.csv"

_REQUIRED = ("ion", "charge", "r_ionic_CN6_pm")
LJ_SETS = {"hfe": ("lj_rmin2_A", "lj_eps_kcal"), "iod": ("lj_iod_rmin2_A", "lj_iod_eps_kcal")}
_FLOAT_COLS = (
    "r_ionic_CN6_pm", "r_ionic_CN8_pm", "r_ionic_CN9_pm", "lj_rmin2_A", "lj_eps_kcal", "hfe_kcal",
)


@dataclass(frozen=True)
class IonParameters:
    """Everything the simulation needs about one metal ion.

    Attributes
    ----------
    ion : str
        Symbol with charge, e.g. ``"Lu3+"``.
    element, charge : str, int
    radius_pm : dict[int, float]
        Shannon ionic radius (pm) by coordination number (only tabulated CNs).
    cn_range : tuple[int, int]
        Coordination numbers with a tabulated radius (a proxy for the typical range).
    sigma_nm, epsilon_kJ : float
        12-6 LJ parameters in OpenMM units.
    lj_source : str
        ``"Li/Merz 12-6 HFE (TIP3P)"`` or the fallback rule used.
    born_radius_nm : float
        Effective Born radius (without OBC offset).
    born_source : str
        ``"HFE (...)"`` or the fallback rule.
    hfe_kJ_mol : float | None
        Experimental hydration free energy used (None when the fallback was used).
    """

    ion: str
    element: str
    charge: int
    radius_pm: dict
    cn_range: tuple
    sigma_nm: float
    epsilon_kJ: float
    lj_source: str
    born_radius_nm: float
    born_source: str
    hfe_kJ_mol: float | None = None

    @property
    def obc_radius_nm(self) -> float:
        """Radius to give ``GBSAOBCForce`` (Born radius + 0.009 nm dielectric offset)."""
        return self.born_radius_nm + OBC_OFFSET_NM

    def radius_for_cn(self, cn: int) -> float:
        """Shannon radius (pm) at ``cn``, linearly inter/extrapolated between tabulated CNs."""
        pts = sorted(self.radius_pm.items())
        if cn in self.radius_pm:
            return self.radius_pm[cn]
        if len(pts) == 1:
            return pts[0][1]
        lo = [p for p in pts if p[0] < cn]
        hi = [p for p in pts if p[0] > cn]
        (c1, r1), (c2, r2) = (
            (lo[-1], hi[0]) if lo and hi else ((pts[0], pts[1]) if not lo else (pts[-2], pts[-1]))
        )
        return r1 + (r2 - r1) * (cn - c1) / (c2 - c1)

    @property
    def params_flag(self) -> str:
        """One string for output tables: where LJ and Born radius came from."""
        return f"LJ: {self.lj_source}; Born: {self.born_source}"

    def to_dict(self) -> dict:
        return asdict(self)


def born_radius_from_hfe(charge: int, hfe_kJ_mol: float) -> float:
    """Born radius (nm) reproducing a hydration free energy (kJ/mol) in continuum water."""
    if hfe_kJ_mol >= 0:
        raise ValueError(f"hydration free energy must be negative, got {hfe_kJ_mol}")
    return ONE_4PI_EPS0 * charge**2 * (1.0 - 1.0 / EPS_WATER) / (2.0 * abs(hfe_kJ_mol))


def born_energy(charge: int, radius_nm: float) -> float:
    """Born solvation free energy (kJ/mol) of a sphere of ``radius_nm`` in water."""
    return -ONE_4PI_EPS0 * charge**2 * (1.0 - 1.0 / EPS_WATER) / (2.0 * radius_nm)


def _fnum(v: object) -> float | None:
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return None if (isinstance(v, float) and math.isnan(v)) else float(v)
    s = str(v).strip()
    return float(s) if s else None


def _read_rows(path: Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"ion parameter file {path} does not exist; pass a CSV or JSON file.")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path} is not valid JSON ({exc}); fix the file.") from exc
        rows = data if isinstance(data, list) else data.get("ions", [])
    else:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    if not rows:
        raise InputFileError(f"{path} holds no ion rows.")
    for n, row in enumerate(rows, 1):
        missing = [] if str(row.get("ion", "")).strip() else ["ion"]
        try:
            if _fnum(row.get("charge")) is None:
                missing.append("charge")
            if not any(_fnum(row.get(f"r_ionic_CN{cn}_pm")) for cn in (6, 8, 9)):
                missing.append("r_ionic_CN6_pm")
        except ValueError:
            missing.append("(non-numeric charge/radius)")
        if missing:
            raise InputFileError(
                f"{path} row {n}: needs columns {', '.join(_REQUIRED)} (missing/empty: "
                f"{', '.join(missing)}); fix that row."
            )
    return rows


class IonRegistry:
    """The table of ions known to the simulations (bundled file + user files)."""

    def __init__(self) -> None:
        self._rows: dict[str, dict] = {}
        self._cache: dict[tuple[str, str], IonParameters] = {}
        for row in _read_rows(DATA_FILE):
            self._rows[row["ion"]] = dict(row)

    def register(self, path: str | Path) -> list[str]:
        """Add/override ions from a CSV/JSON file; returns the ion symbols registered."""
        rows = _read_rows(Path(path))
        for row in rows:
            row = dict(row)
            row.setdefault("element", "".join(c for c in row["ion"] if c.isalpha()))
            row.setdefault("lj_source", f"user file {Path(path).name}")
            row.setdefault("hfe_source", f"user file {Path(path).name}")
            self._rows[row["ion"]] = row
        self._cache.clear()
        logger.info("registered ion parameters for %s from %s", [r["ion"] for r in rows], path)
        return [r["ion"] for r in rows]

    def symbols(self) -> list[str]:
        return list(self._rows)

    def _lj_fit(self, charge: int, cols: tuple[str, str]) -> tuple[float, ...]:
        xs, ys, es = [], [], []
        for r in self._rows.values():
            if int(float(r["charge"])) != charge:
                continue
            rm, ep, r6 = _fnum(r.get(cols[0])), _fnum(r.get(cols[1])), _fnum(
                r.get("r_ionic_CN6_pm")
            )
            if rm and ep and r6:
                xs.append(r6)
                ys.append(rm)
                es.append(math.log(ep))
        if len(xs) < 2:
            raise UnsupportedMetalError(
                f"no Li/Merz parameters of charge {charge}+ to derive a fallback from; register "
                "parameters with chelscreen.simulate.register_ion_parameters(file)."
            )
        import numpy as np

        b, a = np.polyfit(xs, ys, 1)
        d, c = np.polyfit(ys, es, 1)
        return float(a), float(b), float(c), float(d), min(es), max(es)

    def _born_offset(self) -> float:
        offs = []
        for r in self._rows.values():
            h, r6 = _fnum(r.get("hfe_kcal")), _fnum(r.get("r_ionic_CN6_pm"))
            if h and r6:
                q = int(float(r["charge"]))
                offs.append(born_radius_from_hfe(q, h * KCAL) - r6 / 1000.0)
        return sum(offs) / len(offs)

    def get(self, ion: str, lj_set: str = "hfe") -> IonParameters:
        """Parameters of ``ion`` (``"Lu3+"``); raises ``UnsupportedMetalError`` if unknown.

        ``lj_set``: ``"hfe"`` (Li/Merz 12-6 set fitted to hydration free energies, default) or
        ``"iod"`` (fitted to ion-oxygen distances; better contact distances).
        """
        if lj_set not in LJ_SETS:
            raise ValueError(f"lj_set must be one of {', '.join(LJ_SETS)}, got {lj_set!r}")
        if (ion, lj_set) in self._cache:
            return self._cache[(ion, lj_set)]
        row = self._rows.get(ion)
        if row is None:
            raise UnsupportedMetalError(
                f"no simulation parameters for ion {ion!r}; supported: {', '.join(self._rows)}. "
                "Add one with chelscreen.simulate.register_ion_parameters(file.csv)."
            )
        q = int(float(row["charge"]))
        radii = {}
        for cn in (6, 8, 9):
            v = _fnum(row.get(f"r_ionic_CN{cn}_pm"))
            if v:
                radii[cn] = v
        r6 = _fnum(row.get("r_ionic_CN6_pm"))
        if r6 is None:  # e.g. Ra2+: only CN8 tabulated; extrapolate like the others (-13 pm)
            r6 = min(radii.values()) - 13.0 if radii else None
        cn_lo = int(_fnum(row.get("cn_min")) or 6)
        cn_hi = int(_fnum(row.get("cn_max")) or 9)
        cols = LJ_SETS[lj_set]
        rm, ep = _fnum(row.get(cols[0])), _fnum(row.get(cols[1]))
        if rm and ep:
            lj_src = str(row.get("lj_source") or "Li/Merz 12-6 (TIP3P)")
            if lj_set == "iod":
                lj_src = lj_src.replace("HFE", "IOD")
        else:
            a, b, c, d, lo, hi = self._lj_fit(q, cols)
            rm = a + b * r6
            # ln(eps) is clamped to the fitted range (no extrapolated epsilon)
            ep = math.exp(min(max(c + d * rm, lo), hi))
            lj_src = (
                f"fallback: linear fit of Li/Merz {lj_set.upper()} Rmin/2 vs Shannon CN6 radius "
                f"over {q}+ ions, "
                f"eps clamped "
                f"(Rmin/2={rm:.3f} A, eps={ep:.5f} kcal/mol)"
            )
        sigma_nm = 2.0 * rm / 2 ** (1.0 / 6.0) / 10.0
        hfe = _fnum(row.get("hfe_kcal"))
        if hfe:
            born = born_radius_from_hfe(q, hfe * KCAL)
            born_src = f"HFE {hfe * KCAL:.0f} kJ/mol ({row.get('hfe_source') or 'user'})"
            hfe_kj = hfe * KCAL
        else:
            off = self._born_offset()
            born = r6 / 1000.0 + off
            born_src = f"fallback: r_CN6 + {off * 10:.3f} A (mean offset over ions with an HFE)"
            hfe_kj = None
        p = IonParameters(
            ion=ion,
            element=str(row.get("element") or "".join(ch for ch in ion if ch.isalpha())),
            charge=q,
            radius_pm=radii or {6: r6},
            cn_range=(cn_lo, cn_hi),
            sigma_nm=sigma_nm,
            epsilon_kJ=ep * KCAL,
            lj_source=lj_src,
            born_radius_nm=born,
            born_source=born_src,
            hfe_kJ_mol=hfe_kj,
        )
        self._cache[(ion, lj_set)] = p
        return p


_REGISTRY: IonRegistry | None = None


def registry() -> IonRegistry:
    """The process-wide ion registry (bundled table plus registered files)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = IonRegistry()
    return _REGISTRY


def register_ion_parameters(path: str | Path) -> list[str]:
    """Add or override ion parameters from a CSV/JSON file (same columns as the bundled table).

    Required columns: ``ion`` (e.g. ``"Ac3+"``), ``charge``, ``r_ionic_CN6_pm``. Optional:
    ``r_ionic_CN8_pm``, ``r_ionic_CN9_pm``, ``cn_min``, ``cn_max``, ``lj_rmin2_A``,
    ``lj_eps_kcal`` (Amber Rmin/2 and epsilon), ``lj_source``, ``hfe_kcal``, ``hfe_source``.
    """
    return registry().register(path)


def normalize_ion(metal: object) -> str:
    """``"Lu"``, ``"Lu3+"``, ``"Lu(III)"``, ``"Lu-177"``, an ``Ion`` or ``MetalSpec`` -> ``"Lu3+"``.

    Uses ``chelscreen.metals.parse_metal`` when that module is available.
    """
    sym = getattr(metal, "symbol", None)
    if sym is None and hasattr(metal, "ion"):
        sym = getattr(metal.ion, "symbol", None)
    if sym:
        return str(sym)
    text = str(metal).strip()
    try:
        from chelscreen.metals import parse_metal

        return str(parse_metal(text).ion.symbol)
    except ImportError:
        pass
    reg = registry()
    if text in reg.symbols():
        return text
    import re

    m = re.match(r"^\[?(\d+)?([A-Z][a-z]?)\]?(?:-(\d+))?(?:\((I+V?|V?I*)\)|(\d)\+)?$", text)
    if m:
        el = m.group(2)
        cands = [s for s in reg.symbols() if "".join(c for c in s if c.isalpha()) == el]
        if m.group(5):
            cands = [s for s in cands if s.startswith(f"{el}{m.group(5)}+")]
        if len(cands) >= 1:
            return cands[0]
    raise UnsupportedMetalError(
        f"unknown metal {text!r}; use e.g. 'Lu3+', 'Ac', 'Lu-177'. "
        f"Known: {', '.join(reg.symbols())}"
    )


def get_ion_parameters(metal: object, lj_set: str = "hfe") -> IonParameters:
    """Parameters for a metal given as text, ``Ion`` or ``MetalSpec`` (``lj_set``: hfe|iod)."""
    return registry().get(normalize_ion(metal), lj_set)
