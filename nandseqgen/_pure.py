"""Compiled or pure-Python engine (docs/decisions.md 90).

``pip install`` compiles the hot path with mypyc (``setup.py``); the ``.py``
sources stay next to the extension modules. CPython prefers an extension
module over a source file of the same name, so the pure path needs a finder:
with ``NANDSEQGEN_PURE=1`` in the environment when ``nandseqgen`` is first
imported, every ``nandseqgen.*`` module is loaded from its ``.py`` source.
Both paths give byte-identical outputs (tests/test_compiled.py).
"""
from __future__ import annotations

import os
import sys
from importlib.machinery import SOURCE_SUFFIXES, FileFinder, ModuleSpec, SourceFileLoader
from typing import Sequence

ENV = "NANDSEQGEN_PURE"


class SourceOnlyFinder:
    """Finds ``nandseqgen.*`` submodules as ``.py`` sources only (a meta path
    finder: ``find_spec`` is all the import system asks of it; subclassing
    ``importlib.abc.MetaPathFinder`` would import ``importlib.abc``, which
    pulls in ``importlib.resources``, 10-25 ms of every start-up,
    docs/performance.md "Streaming outputs")."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: object = None) -> ModuleSpec | None:
        if not fullname.startswith("nandseqgen.") or not path:
            return None
        for entry in path:
            spec = FileFinder(entry, (SourceFileLoader, SOURCE_SUFFIXES)).find_spec(fullname)
            if spec is not None:
                return spec
        return None


def install_if_asked() -> None:
    """Put the source-only finder first when ``NANDSEQGEN_PURE`` is set."""
    if os.environ.get(ENV) and not any(isinstance(f, SourceOnlyFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceOnlyFinder())


def compiled() -> bool:
    """True when the engine's hot path runs as mypyc-compiled extension modules."""
    from .resources import manager
    return not (manager.__file__ or "").endswith(".py")
