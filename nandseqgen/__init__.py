"""nandseqgen: long, diverse, rule-valid NAND command sequences for ATE.

>>> from nandseqgen import Simulation            # doctest: +SKIP
>>> result = Simulation("config.yaml", seed=42).run(100_000)   # doctest: +SKIP
>>> result.sequence.head()                        # doctest: +SKIP

Importing this package does not import matplotlib or ipywidgets; plotting
lives in :mod:`nandseqgen.plotting`, widgets in :mod:`nandseqgen.widgets`.
"""
from ._pure import compiled, install_if_asked

install_if_asked()  # NANDSEQGEN_PURE=1: load the .py sources, not the compiled modules

from .config import ConfigError, load_config, load_config_text, with_changes
from .config.phase import build_phase_table
from .config.phase_file import load_phase_table, save_phase_table
from .result import RunResult
from .simulation import Simulation

__version__ = "0.1.0"

__all__ = [
    "Simulation", "RunResult", "ConfigError", "load_config", "load_config_text", "with_changes",
    "build_phase_table", "load_phase_table", "save_phase_table", "compiled", "__version__",
]
