"""``policies.coverage_directed``: the knobs of coverage-directed generation
(docs/coverage.md). Errors name the key path."""
from __future__ import annotations

from .diagnostics import Diagnostics
from .model import Directed
from .values import boolean, mapping, number

PATH = ("policies", "coverage_directed")
_FLAGS = ("enabled", "rest")
_NUMBERS = ("strength", "key_gain", "success_gain", "reset_scale", "chain_gain", "state_hooks")


def directed_knobs(diag: Diagnostics, raw) -> Directed:
    """-> Directed; ``true``/``false`` alone toggles it with default knobs."""
    if isinstance(raw, bool):
        return Directed(enabled=raw)
    known = _FLAGS + _NUMBERS
    raw = mapping(diag, PATH, raw, "a mapping (" + ", ".join(known) + ")")
    if not raw:
        return Directed()
    default = Directed()
    for key in raw:
        if key not in known:
            diag.error("unknown_key", PATH + (key,), raw[key],
                       "expected one of " + ", ".join(known))
    enabled = boolean(diag, PATH + ("enabled",), raw.get("enabled"), default.enabled)
    rest = boolean(diag, PATH + ("rest",), raw.get("rest"), default.rest)
    knobs: dict[str, float] = {}
    for key in _NUMBERS:
        if key in raw:
            v = number(diag, PATH + (key,), raw[key], minimum=0)
            knobs[key] = v if v is not None else getattr(default, key)
    hooks = knobs.pop("state_hooks", default.state_hooks)
    if hooks != int(hooks):
        diag.error("not_an_integer", PATH + ("state_hooks",), raw["state_hooks"],
                   "expected a whole number of hooks per state")
    return Directed(enabled, rest=rest, state_hooks=int(hooks), **knobs)
