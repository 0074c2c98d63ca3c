"""Independent replay checker (docs/validation.md).

Replays a generated sequence under the execution model of
``docs/semantics.md`` with its own data structures (nothing from the engine
is imported: only :mod:`nandseqgen.config`) and reports every rule
violation.

>>> report = check_dir("out", "config.yaml")      # doctest: +SKIP
>>> report.ok, report.summary()                     # doctest: +SKIP
"""
from .check import check_frames
from .files import check_dir, find_run_files
from .cli import main
from .load import CheckInputError
from .report import COLUMNS, RULES, CheckReport

__all__ = ["check_dir", "check_frames", "find_run_files", "main", "CheckInputError",
           "CheckReport", "COLUMNS", "RULES"]
