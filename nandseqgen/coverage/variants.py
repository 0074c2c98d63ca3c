"""Config variants used to measure coverage (docs/coverage.md)."""
from __future__ import annotations

from ..config import with_changes


def flat_mix(cfg, dies: int = 2):
    """``cfg`` with every ``phase_conditional_overrides.global`` entry removed
    and ``dies`` dies: the "flat mix" of issue 12's measurements."""
    overrides = dict(cfg.raw.get("phase_conditional_overrides") or {})
    overrides["global"] = {}
    return with_changes(cfg, {"topology": {"dies": dies},
                              "phase_conditional_overrides": overrides},
                        replace_keys=("phase_conditional_overrides",))


def directed(cfg, enabled: bool = True, **knobs):
    """``cfg`` with ``policies.coverage_directed`` switched on (and ``knobs``)."""
    return with_changes(cfg, {"policies": {"coverage_directed": {"enabled": enabled, **knobs}}})
