"""Exception hierarchy of chelscreen.

Every error subclasses :class:`ChelscreenError` and, where it is about a bad value, the matching
builtin (``ValueError``), so ``except ValueError`` keeps working for callers that do not know us.
Messages say what is wrong *and* how to fix it, and carry the offending input.
"""

from __future__ import annotations


class ChelscreenError(Exception):
    """Base class of all chelscreen errors."""


class InvalidStructureError(ChelscreenError, ValueError):
    """A molecule could not be parsed, standardized or is outside what chelscreen handles."""


class UnsupportedMetalError(ChelscreenError, ValueError):
    """A metal, ion or radionuclide string that chelscreen does not know or does not support."""


class UnsupportedNuclideError(UnsupportedMetalError):
    """A radionuclide string that chelscreen cannot resolve to a decay chain."""


class InputFileError(ChelscreenError, ValueError):
    """An input file that cannot be read (missing, empty, binary, wrong columns)."""


class ModelFileError(ChelscreenError, ValueError):
    """A model artefact that is missing, corrupt, tampered with or of an unknown schema."""


class SimulationError(ChelscreenError, RuntimeError):
    """An OpenMM build or run that failed in a way the caller should hear about."""


class OutputFileError(ChelscreenError, ValueError):
    """An output path that cannot be written (unknown file type, a folder, no permission)."""
