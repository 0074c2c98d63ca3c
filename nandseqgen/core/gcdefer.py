"""Fewer full collections of the cyclic GC while the engine runs.

The engine creates no reference cycles (ops and their event entries drop
their links when an event pops or is cancelled; ``tests/test_compiled.py``
checks that a run leaves no cyclic garbage), so the cyclic collector finds
nothing to free. Its full (oldest-generation) collections still walk every
live container, and a long in-memory run keeps millions of rows: at
10,000,000 us they cost ~17 % of the run (docs/performance.md, issue 11).
While a run is active the oldest generation's threshold is raised; the young
generations keep theirs, and the previous thresholds come back afterwards
(docs/decisions.md 91). Outputs do not depend on it.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

OLDEST_THRESHOLD = 1000  # young collections between full ones (CPython's default: 10)


@contextmanager
def deferred_full_gc() -> Iterator[None]:
    old = gc.get_threshold()
    if len(old) == 3:
        gc.set_threshold(old[0], old[1], max(old[2], OLDEST_THRESHOLD))
    try:
        yield
    finally:
        gc.set_threshold(*old)
