"""OpenMM stability simulations of metal-chelator complexes (pip-installable route).

Public API
----------
- :func:`build_complex` (ligand, metal) -> :class:`Complex` (3D structure, donors, ion params)
- :func:`run` (complex, protocol="fast"|"standard"|"explicit") -> dict of features
- :func:`simulate_pairs` (ligands, metals, protocol, cache_dir) -> DataFrame, cached
- :func:`register_ion_parameters` (file) and :func:`get_ion_parameters` (metal)

The ligand is MMFF94 (RDKit terms rebuilt as OpenMM forces, :mod:`.mmff`), the metal a
nonbonded ion with Li/Merz 12-6 LJ and an implicit-solvent Born radius fitted to its hydration
free energy (:mod:`.params`). OpenMM is imported only inside the functions that need it.
"""

from __future__ import annotations

from chelscreen.simulate.build import Complex, build_complex
from chelscreen.simulate.cache import simulate_pair, simulate_pairs
from chelscreen.simulate.params import (
    IonParameters,
    get_ion_parameters,
    register_ion_parameters,
)
from chelscreen.simulate.protocols import FEATURE_COLUMNS, PROTOCOLS, run

__all__ = [
    "Complex", "FEATURE_COLUMNS", "IonParameters", "PROTOCOLS", "build_complex",
    "get_ion_parameters", "register_ion_parameters", "run", "simulate_pair", "simulate_pairs",
]
