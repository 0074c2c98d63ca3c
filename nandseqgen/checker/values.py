"""Lenient cell converters shared by the loaders.

Tables may come typed (engine DataFrames: Int64 with <NA>, floats) or as
strings (read back from CSV); these helpers accept both and return plain
Python values or ``None``.
"""
from __future__ import annotations

from typing import Final

import math

from ..config.units import TICKS_PER_US, us_to_ticks  # the one rounding rule
_MISSING: Final = frozenset(("", "None", "null", "nan", "NaN", "<NA>"))


def is_missing(value) -> bool:
    """True for None, NaN, pandas NA and empty/``None``/``null`` strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in _MISSING
    try:
        return bool(value != value)  # NaN and pd.NA
    except (TypeError, ValueError):
        return True  # pd.NA comparisons raise in boolean context


#: string cell -> converted value, for the cells met again and again (the same
#: time or id is read by several rules; die/plane/block/page repeat); bounded
_INTS: Final[dict[str, int | None]] = {}
_TICKS: Final[dict[str, int | None]] = {}
_STRS: Final[dict[str, str | None]] = {}
_MEMO_SIZE: Final = 1 << 16


def _remember(memo: dict, text: str, value):
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[text] = value
    return value


def to_int(value) -> int | None:
    """An integer cell, or None when missing. Raises ValueError when not integral."""
    if type(value) is int:
        return value
    if type(value) is str:  # fast path for cells read from CSV: int() before any lookup
        plain = plain_int(value)
        if plain is not None:
            return plain
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            pass
        got = _INTS.get(value)
        if got is not None or value in _INTS:
            return got
        return _remember(_INTS, value, _to_int(value))
    return _to_int(value)


def _to_int(value) -> int | None:
    if type(value) is str:
        if not value:  # an empty cell (block, page of many rows): no exception
            return None
        try:
            return int(value)
        except ValueError:
            pass
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    if isinstance(value, int):
        return value
    f = float(value)
    if not math.isfinite(f) or f != int(f):
        raise ValueError(f"not an integer: {value!r}")
    return int(f)


def to_tick(value) -> int | None:
    """Microseconds (float or string) -> integer ticks of 0.01 us, or None."""
    if type(value) is str:  # fast path for cells read from CSV
        plain = plain_tick(value)  # "123.45": computed, not looked up (times are mostly distinct)
        if plain is not None:
            return plain
        got = _TICKS.get(value)
        if got is not None or value in _TICKS:
            return got
        return _remember(_TICKS, value, _to_tick(value))
    return _to_tick(value)


def plain_tick(cell: str) -> int | None:
    """``"123.45"`` -> 12345 (what :func:`_to_tick` gives), None for any other form.
    Digit by digit: ``int(str)`` copies the text before parsing it (decision 111)."""
    n = len(cell)
    if n < 4 or n > 20 or cell[n - 3] != ".":
        return None
    v = 0
    for i in range(n):
        if i != n - 3:
            c = ord(cell[i])
            if c < 48 or c > 57:
                return None
            v = v * 10 + (c - 48)
    return v


def plain_int(cell: str) -> int | None:
    """``"123"`` -> 123 (what ``int`` gives), None for any other form (signs, spaces, ...)."""
    n = len(cell)
    if n == 0 or n > 18:
        return None
    v = 0
    for i in range(n):
        c = ord(cell[i])
        if c < 48 or c > 57:
            return None
        v = v * 10 + (c - 48)
    return v


def _to_tick(value) -> int | None:
    if type(value) is str:
        if len(value) > 3 and value[-3] == "." and value[-2:].isdigit():  # "123.45": exact
            try:
                return int(value[:-3] + value[-2:])
            except ValueError:
                pass
        try:
            f = float(value)
        except ValueError:
            f = None
        if f is not None and f - f == 0:  # finite
            return us_to_ticks(f)
    if is_missing(value):
        return None
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"not a finite time: {value!r}")
    return us_to_ticks(f)


def on_grid(value) -> bool:
    """True when a time in microseconds is a whole number of 0.01 us ticks."""
    if type(value) is str and len(value) > 3 and value[-3] == "." and value[-2:].isdigit():
        return True  # written with two decimals (to_tick has read it, so it is a number)
    f = float(value)
    return abs(f * TICKS_PER_US - round(f * TICKS_PER_US)) < 1e-6


def to_str(value) -> str | None:
    """A string cell, or None when missing."""
    if type(value) is str:
        got_str = _STRS.get(value)
        if got_str is not None or value in _STRS:
            return got_str
        return _remember(_STRS, value, None if is_missing(value) else value)
    return None if is_missing(value) else str(value)


def forget() -> None:
    """Empty the memo tables (a check is over: their memory can go back)."""
    _INTS.clear()
    _TICKS.clear()
    _STRS.clear()
