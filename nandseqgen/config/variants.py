"""Named variants of a config that benchmarks, soaks and notebooks share."""
from __future__ import annotations

from .loader import _thaw, with_changes
from .model import Config


def flat_mix(cfg: Config, *, dies: int | None = 2) -> Config:
    """``cfg`` with every ``phase_conditional_overrides.global`` entry removed
    (the op-name mix is then the autofilled, flat one) and, unless ``dies`` is
    None, that many dies. Per-state overrides are kept."""
    pco = _thaw(cfg.raw.get("phase_conditional_overrides") or {})
    pco["global"] = {}
    changes: dict = {"phase_conditional_overrides": pco}
    if dies is not None:
        changes["topology"] = {"dies": dies}
    return with_changes(cfg, changes, replace_keys=("phase_conditional_overrides",))
