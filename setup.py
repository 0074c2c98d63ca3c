"""Build hook: compile the engine's hot path and the checker's per-op modules
with mypyc (docs/decisions.md 90, 99).

``pip install .`` / ``pip install -e .`` run this through setuptools (everything
else about the package is in pyproject.toml). The listed modules are compiled
to C extensions with mypyc (a C compiler is needed); the ``.py`` sources stay
and are the pure-Python path:

* ``NANDSEQGEN_PURE=1`` at build time skips compilation (pure package);
* ``NANDSEQGEN_PURE=1`` at run time makes ``import nandseqgen`` load the
  ``.py`` sources even when compiled modules are installed
  (``nandseqgen/_pure.py``);
* the checker is a second group (own shared library): a mypy error there
  leaves only the checker pure;
* if mypyc is missing or compilation fails, the build warns and installs the
  pure package (``nandseqgen.compiled()`` tells which one is running), and
  removes the extensions an earlier build left in the source tree for the
  modules it leaves pure (``pip install -e`` builds in place);
* ``nandseqgen/outputs/_flatpack.c``, a small C module without mypyc, packs
  the streamed rows for the writer (docs/decisions.md 122); it is optional too.
"""
from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# The engine's hot path (docs/performance.md, "Issue 11: compiled hot path").
# Only these and CHECKER below; everything else (config, outputs, ...) stays Python.
HOT = [
    "nandseqgen/core/ops.py",
    "nandseqgen/core/rng.py",
    "nandseqgen/core/clock.py",
    "nandseqgen/events.py",
    "nandseqgen/resources/checks.py",
    "nandseqgen/resources/effects.py",
    "nandseqgen/resources/lanes.py",
    "nandseqgen/resources/manager.py",
    "nandseqgen/resources/reasons.py",
    "nandseqgen/resources/status.py",
    "nandseqgen/resources/suspend.py",
    "nandseqgen/resources/timeline.py",
    "nandseqgen/resources/txn.py",
    "nandseqgen/scheduler/commit.py",
    "nandseqgen/scheduler/metrics.py",
    "nandseqgen/scheduler/scheduler.py",
    "nandseqgen/proposer/chunks.py",
    "nandseqgen/proposer/proposer.py",
    "nandseqgen/proposer/table.py",
    "nandseqgen/proposer/targets.py",
    "nandseqgen/address/manager.py",
    "nandseqgen/address/rules.py",
    "nandseqgen/address/sampling.py",
    "nandseqgen/outputs/recorder.py",
    "nandseqgen/outputs/payload.py",
]

# The checker's per-op modules (docs/performance.md, "Checker compiled with mypyc";
# docs/decisions.md 99). cli, files and start_state (per run, not per op) stay Python.
CHECKER = [
    "nandseqgen/checker/values.py",
    "nandseqgen/checker/report.py",
    "nandseqgen/checker/columns.py",
    "nandseqgen/checker/rows.py",
    "nandseqgen/checker/load.py",
    "nandseqgen/checker/replay.py",
    "nandseqgen/checker/state.py",
    "nandseqgen/checker/sweep.py",
    "nandseqgen/checker/start_rules.py",
    "nandseqgen/checker/time_rules.py",
    "nandseqgen/checker/seq_rules.py",
    "nandseqgen/checker/consistency.py",
    "nandseqgen/checker/check.py",
    "nandseqgen/checker/csvstream.py",
    "nandseqgen/checker/gather.py",
]
COMPILED = HOT + CHECKER
# A small C module, no mypyc: flat rows to int64 bytes for the streaming
# writer (docs/decisions.md 122); without it the chunks go as marshal.
FLATPACK = "nandseqgen/outputs/_flatpack.c"


def _warn(msg: str) -> None:
    print(f"nandseqgen setup: {msg}; installing those modules as pure Python", file=sys.stderr)


class OptionalBuildExt(build_ext):
    """A failed C build leaves the pure-Python package instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # compiler missing or broken: stay pure
            _warn(f"compiling the mypyc extensions failed ({exc})")
            self._remove_partial()

    def _remove_partial(self) -> None:
        for ext in self.extensions:
            for path in (self.get_ext_fullpath(ext.name),
                         os.path.join(self.build_lib, self.get_ext_filename(ext.name))):
                if os.path.exists(path):
                    os.remove(path)
        self.extensions = []


def _group(mypycify, paths: list, name: str, what: str) -> list:
    """One mypyc group (its own shared library): a mypy error in it leaves only
    its modules pure."""
    try:
        # Notes about unchecked bodies in imported (not compiled) modules would stop
        # mypyc; the isolated build environment has no numpy, pandas, ... (their
        # types are Any to mypyc anyway; tests/test_typing.py checks them).
        return mypycify(["--disable-error-code=annotation-unchecked", "--ignore-missing-imports",
                         *paths], opt_level="3", only_compile_paths=paths, group_name=name)
    except (Exception, SystemExit) as exc:  # a mypy error in one of the modules
        _warn(f"mypyc could not compile {what} ({exc})")
        _remove_stale(paths, name)
        return []


def _remove_stale(paths: list, group: str | None = None) -> None:
    """A group left pure must not leave the extensions of an earlier build in
    the source tree (``pip install -e`` builds in place): Python would load
    them, and their shared library is no longer installed."""
    import glob
    here = os.path.dirname(os.path.abspath(__file__))
    stale = [os.path.splitext(p)[0] + ".*.so" for p in paths]
    if group:
        stale.append(f"{group}__mypyc.*.so")
    for pattern in stale:
        for path in glob.glob(os.path.join(here, pattern)):
            os.remove(path)


def ext_modules() -> list:
    if os.environ.get("NANDSEQGEN_PURE"):
        _remove_stale(HOT, "nandseqgen")
        _remove_stale(CHECKER, "nandseqgen_checker")
        _remove_stale([FLATPACK])
        return []
    packer = [Extension("nandseqgen.outputs._flatpack", [FLATPACK])]
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not available")
        _remove_stale(HOT, "nandseqgen")
        _remove_stale(CHECKER, "nandseqgen_checker")
        return packer
    # two groups: the checker imports nothing of the engine (docs/validation.md)
    return (_group(mypycify, HOT, "nandseqgen", "the hot path")
            + _group(mypycify, CHECKER, "nandseqgen_checker", "the checker") + packer)


if __name__ == "__main__" and sys.argv[1:] == ["--print-hot"]:  # for the Makefile
    print(" ".join(COMPILED + [FLATPACK]))
else:
    setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
