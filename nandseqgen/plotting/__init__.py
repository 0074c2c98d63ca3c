"""Plots of a run's tables (matplotlib; install the ``viz`` extra).

Every function takes a :class:`~nandseqgen.RunResult` or the relevant
DataFrame, keyword-only options and ``ax=None`` (a new figure when omitted),
and returns the ``Axes``; none calls ``plt.show()``.

>>> from nandseqgen import Simulation                      # doctest: +SKIP
>>> from nandseqgen.plotting import gantt                  # doctest: +SKIP
>>> result = Simulation("config.yaml", seed=42).run(50_000)  # doctest: +SKIP
>>> ax = gantt(result, window=(0, 2_000))                  # doctest: +SKIP

The engine never imports this package.
"""
from .coverage import closure_curves, holes_heatmap, unreachable_reasons
from .distributions import input_time_hist, rollback_reasons
from .gantt import gantt
from .heatmaps import address_heatmap, coverage_heatmap
from .progress import bootstrap_progress

__all__ = ["gantt", "rollback_reasons", "bootstrap_progress", "coverage_heatmap",
           "input_time_hist", "address_heatmap", "closure_curves", "holes_heatmap",
           "unreachable_reasons"]

from .campaign import coverage_closure, ops_per_site, violations_by_rule  # noqa: E402

__all__ += ["coverage_closure", "violations_by_rule", "ops_per_site"]
