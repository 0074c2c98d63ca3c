"""The event queue: a heap with a total order (``docs/engine.md`` §2).

Key ``(tick, kind priority, insertion counter)``: events at the same tick form
one tick and pop in the order OP_END, BACKLOG_REFILL/RETRY, PHASE_HOOK,
QUEUE_REFILL, OP_START, then by insertion. ``cancel`` marks an entry dead in
O(1); dead entries are skipped when they reach the top (lazy deletion).
"""
from __future__ import annotations

import heapq
from typing import Any

OP_END = "OP_END"
BACKLOG_REFILL = "BACKLOG_REFILL"
BACKLOG_RETRY = "BACKLOG_RETRY"
PHASE_HOOK = "PHASE_HOOK"
QUEUE_REFILL = "QUEUE_REFILL"
OP_START = "OP_START"

PRIORITY = {OP_END: 0, BACKLOG_REFILL: 1, BACKLOG_RETRY: 1, PHASE_HOOK: 2, QUEUE_REFILL: 3,
            OP_START: 4}
_TICK, _PRIO, _SEQ, _KIND, _PAYLOAD, _ALIVE = range(6)


class EventQueue:
    """Min-heap of ``[tick, prio, seq, kind, payload, alive]`` entries.

    The entry list itself is the handle returned by :meth:`push`.
    """

    __slots__ = ("_heap", "_seq", "_live")

    def __init__(self) -> None:
        self._heap: list[list] = []
        self._seq = 0
        self._live = 0

    def __len__(self) -> int:
        return self._live

    def push(self, tick: int, kind: str, payload: object = None) -> list:
        self._seq += 1
        entry = [tick, PRIORITY[kind], self._seq, kind, payload, True]
        heapq.heappush(self._heap, entry)
        self._live += 1
        return entry

    def cancel(self, handle: list | None) -> bool:
        """Cancel an event; True if it was still pending."""
        if handle is None or not handle[_ALIVE]:
            return False
        handle[_ALIVE] = False
        self._live -= 1
        return True

    def _drop_dead(self) -> None:
        heap = self._heap
        while heap and not heap[0][_ALIVE]:
            heapq.heappop(heap)

    def peek_tick(self) -> int | None:
        self._drop_dead()
        return self._heap[0][_TICK] if self._heap else None

    def pop(self) -> tuple[int, str, Any] | None:
        """Next live event as ``(tick, kind, payload)``, or None when empty."""
        self._drop_dead()
        if not self._heap:
            return None
        entry = heapq.heappop(self._heap)
        entry[_ALIVE] = False
        self._live -= 1
        return entry[_TICK], entry[_KIND], entry[_PAYLOAD]

    def pending(self, kind: str | None = None) -> list:
        """Live events (sorted), optionally of one kind: for snapshots and tests."""
        items = sorted(e for e in self._heap if e[_ALIVE])
        return [(e[_TICK], e[_KIND], e[_PAYLOAD]) for e in items if kind is None or e[_KIND] == kind]

