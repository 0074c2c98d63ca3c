"""Bounded-memory helpers of the streaming recorder: a reorder buffer for the
timelines and a spill file for rollbacks (docs/performance.md, "Streaming
outputs")."""
from __future__ import annotations

import marshal
import tempfile
from operator import itemgetter

TAIL = 4096  # rows Recorder.unpiece may still remove (its lookback)
_start = itemgetter(0)


class ReorderBuffer:
    """Rows arrive roughly in time order; a row can arrive late by at most
    ``horizon`` ticks behind the floor passed to ``ready``. ``ready(floor)``
    picks a cut ``w``: every row whose start (``row[0]``) is below
    ``floor - horizon`` and is older than the newest ``TAIL`` rows is final.
    It returns ``(rows, w)``: a copy of the buffer, of which the writer keeps
    the rows starting before ``w`` (:func:`.tables.below`; filtering and
    sorting happen off the engine's core), and the buffer keeps the rest. A
    row older than what was already handed out is an engine bug (the output
    order would break) and raises."""

    def __init__(self, rows: list, horizon: int):
        self.rows = rows  # shared with the recorder, which appends to it
        self.horizon = horizon
        self.done_below = -(1 << 62)
        self.first = 0  # smallest start among the rows ``ready`` handed out last
        self.count = 0  # how many rows that was

    def ready(self, floor: int | None) -> tuple:
        rows = self.rows
        if floor is None:
            head, tail, w = rows[:], [], 1 << 62
        else:
            if len(rows) <= TAIL:
                return [], 0
            head, tail = rows[:-TAIL], rows[-TAIL:]  # every tail row starts at or after w
            w = min(floor - self.horizon, min(map(_start, tail)))
        if not head or w <= self.done_below:
            return [], 0
        lo = min(map(_start, head))
        if lo >= w:
            return [], 0
        if lo < self.done_below:
            raise RuntimeError("streamed timeline row arrived after its place was written "
                               "(docs/performance.md, streaming outputs)")
        rows[:] = [r for r in head if r[0] >= w] + tail
        self.done_below, self.first = w, lo
        self.count = len(head) - (len(rows) - len(tail))
        return head, w


class RowSpill:
    """Append-only list of rows in a temp file, in chunks (rollbacks); rows
    are tuples of ints, strings and None, stored with ``marshal`` (about a
    third of pickle's time to write, docs/performance.md)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.count = 0

    def add(self, rows: list) -> None:
        if rows:
            self.file.seek(0, 2)
            marshal.dump(rows, self.file)
            self.count += len(rows)

    def read(self) -> list:
        out: list = []
        f = self.file
        f.flush()
        f.seek(0)
        while True:
            try:
                out += marshal.load(f)
            except EOFError:
                return out
