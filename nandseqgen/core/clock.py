"""The simulation clock: one integer tick, written only by the scheduler."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Clock:
    """Current simulated time in ticks. The :class:`~nandseqgen.scheduler.Scheduler`
    owns it and is the only writer (time only moves forward); the resource
    manager and the proposer hold a reference and read ``now``."""

    now: int = 0
