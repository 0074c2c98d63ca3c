"""Config variants used to measure coverage (docs/coverage.md)."""
from __future__ import annotations

from ..config import with_changes
from ..config.variants import flat_mix

__all__ = ["flat_mix", "directed"]


def directed(cfg, enabled: bool = True, **knobs):
    """``cfg`` with ``policies.coverage_directed`` switched on (and ``knobs``)."""
    return with_changes(cfg, {"policies": {"coverage_directed": {"enabled": enabled, **knobs}}})
