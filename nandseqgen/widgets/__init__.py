"""Jupyter widgets (ipywidgets; install the ``notebook`` extra).

>>> from nandseqgen.widgets import panel          # doctest: +SKIP
>>> p = panel("config.yaml", seed=42)              # doctest: +SKIP
>>> p                                              # doctest: +SKIP

Widgets import :mod:`nandseqgen.plotting`; the engine imports neither.
"""
from .linked import LinkedGantt, linked_gantt
from .panel import POLICIES, ControlPanel, panel
from .render import PLOTS

__all__ = ["panel", "ControlPanel", "PLOTS", "POLICIES", "linked_gantt", "LinkedGantt"]
