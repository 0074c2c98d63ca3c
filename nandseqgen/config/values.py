"""Small value checkers shared by the loader steps. Each reports through a
:class:`Diagnostics` and returns ``None`` when the value is unusable."""
from __future__ import annotations

from .diagnostics import Diagnostics
from .units import TICKS_PER_US, us_to_ticks  # noqa: F401  (re-exported)

#: Known state-name aliases (written -> canonical).
STATE_ALIASES = {"DOUT": "DATA_OUT", "DATAIN": "DATA_IN"}


def canonical_state(name: str) -> str:
    return STATE_ALIASES.get(name, name)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(diag: Diagnostics, path, value, *, minimum: float | None = None,
           what: str = "a number") -> float | None:
    if not is_number(value):
        diag.error("not_a_number", path, value, f"expected {what}")
        return None
    if value != value:  # NaN
        diag.error("not_a_number", path, value, f"expected {what}, got NaN")
        return None
    if minimum is not None and value < minimum:
        code = "negative_duration" if minimum == 0 and "duration" in what else "out_of_range"
        diag.error(code, path, value, f"expected {what} >= {minimum}")
        return None
    return float(value)


def duration_ticks(diag: Diagnostics, path, value) -> int | None:
    us = number(diag, path, value, minimum=0, what="a duration in us")
    return None if us is None else us_to_ticks(us)


def positive_int(diag: Diagnostics, path, value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        diag.error("not_a_positive_integer", path, value, "expected a positive integer")
        return None
    return value


def boolean(diag: Diagnostics, path, value, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        diag.error("not_a_boolean", path, value, "expected true or false")
        return default
    return value


def mapping(diag: Diagnostics, path, value, what: str = "a mapping") -> dict | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        diag.error("not_a_mapping", path, value, f"expected {what}")
        return None
    return value


def name_list(diag: Diagnostics, path, value) -> list | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        diag.error("not_a_list", path, value, "expected a list of names")
        return None
    return value
