"""Time units and the names every package shares, defined once.

Pure (standard library only) so that the engine and the independent replay
checker, which imports only :mod:`nandseqgen.config`, use the same rounding
and the same spelling (``docs/semantics.md``, "Time").
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

TICKS_PER_US = 100  # one tick = 0.01 us
INF = 1 << 62  # "never", in ticks

Axis = Literal["ERASE", "PROGRAM"]
AXES: tuple[Axis, Axis] = ("ERASE", "PROGRAM")
CORE_BUSY = "CORE_BUSY"
ISSUE = "ISSUE"
DATA_IN, DATA_OUT = "DATA_IN", "DATA_OUT"
LATCH_ON_READ = "LATCH_ON_READ"
ODT_DISABLE = "ODT_DISABLE"


def us_to_ticks(us: float) -> int:
    """Microseconds -> integer ticks of 0.01 us, rounded half-up on the
    decimal value written (``0.185 -> 19``). The one rounding rule of the
    project: config durations, ``run_until`` and the checker's CSV times."""
    x = float(us) * TICKS_PER_US
    r = math.floor(x + 0.5)
    if abs(x - math.floor(x) - 0.5) > 1e-6 + abs(x) * 1e-15:
        return int(r)  # not near a tie: float error cannot change the answer
    return int((Decimal(repr(float(us))) * TICKS_PER_US).quantize(Decimal(1), ROUND_HALF_UP))


def ticks_to_us(ticks: int) -> float:
    return ticks / TICKS_PER_US
