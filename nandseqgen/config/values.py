"""Small value checkers shared by the loader steps. Each reports through a
:class:`Diagnostics` and returns ``None`` when the value is unusable."""
from __future__ import annotations

import math

from .diagnostics import Diagnostics
from .units import TICKS_PER_US, us_to_ticks  # noqa: F401  (re-exported)

#: Longest time accepted for a duration or a policy (us): 1,000 s, far beyond any
#: NAND op, and small enough that tick arithmetic stays exact in 64 bits.
MAX_TIME_US = 1e9
#: Longest run accepted (us of simulated time per run; --run-until).
MAX_RUN_US = 1e12
#: Largest weight or probability-table value accepted.
MAX_WEIGHT = 1e12

#: Known state-name aliases (written -> canonical).
STATE_ALIASES = {"DOUT": "DATA_OUT", "DATAIN": "DATA_IN"}


def canonical_state(name: str) -> str:
    return STATE_ALIASES.get(name, name)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(diag: Diagnostics, path, value, *, minimum: float | None = None,
           maximum: float | None = None, what: str = "a number") -> float | None:
    """A finite number in ``[minimum, maximum]`` (the limit is named in the error)."""
    if not is_number(value):
        diag.error("not_a_number", path, value, f"expected {what}")
        return None
    if isinstance(value, float) and not math.isfinite(value):
        diag.error("not_finite", path, value, f"expected {what}, got {value}")
        return None
    if minimum is not None and value < minimum:
        code = "negative_duration" if minimum == 0 and "duration" in what else "out_of_range"
        diag.error(code, path, value, f"expected {what} >= {minimum}")
        return None
    if maximum is not None and value > maximum:
        diag.error("too_large", path, value, f"expected {what} <= {maximum:g} (limit)")
        return None
    return float(value)


def duration_ticks(diag: Diagnostics, path, value) -> int | None:
    us = number(diag, path, value, minimum=0, maximum=MAX_TIME_US, what="a duration in us")
    return None if us is None else us_to_ticks(us)


def positive_int(diag: Diagnostics, path, value, maximum: int | None = None) -> int | None:
    """An integer in ``[1, maximum]`` (the limit is named in the error)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        diag.error("not_a_positive_integer", path, value, "expected a positive integer")
        return None
    if maximum is not None and value > maximum:
        diag.error("too_large", path, value, f"expected an integer <= {maximum:,} (limit)")
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


def check_run_until(run_until_us) -> float:
    """A run length in ``(0, MAX_RUN_US]`` us, or ValueError saying so."""
    ok = is_number(run_until_us) and math.isfinite(run_until_us) and 0 < run_until_us <= MAX_RUN_US
    if not ok:
        raise ValueError(f"run_until_us must be a number in (0, {MAX_RUN_US:g}] us, "
                         f"got {run_until_us!r}")
    return float(run_until_us)
