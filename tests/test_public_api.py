"""The lazily exported public functions stay callable whatever submodules were imported first."""

from __future__ import annotations

import importlib

import chelscreen


def test_public_names_are_functions_after_submodule_imports() -> None:
    # import every implementing module first: a module named like its function would shadow it
    for target in chelscreen._LAZY.values():
        importlib.import_module(target.split(":")[0])
    for name in chelscreen._LAZY:
        obj = getattr(chelscreen, name)
        assert callable(obj), name
        assert not isinstance(obj, type(chelscreen)), f"chelscreen.{name} is a module"


def test_dir_lists_public_api() -> None:
    names = dir(chelscreen)
    for name in ("read_ligands", "describe", "daughter_fate", "predict_stability", "labeling",
                 "screen", "__version__"):
        assert name in names
