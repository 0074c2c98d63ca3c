"""Bounded-memory helpers of the streaming recorder: a reorder buffer for the
timelines and an external sort for phase_proposal_counts (docs/performance.md,
"Streaming outputs")."""
from __future__ import annotations

import heapq
import pickle
import tempfile

from .tables import PROPOSAL_ORDER

TAIL = 4096  # rows Recorder.unpiece may still remove (its lookback)


class ReorderBuffer:
    """Rows arrive roughly in time order; a row can arrive late by at most
    ``horizon`` ticks behind the floor passed to ``ready``. ``ready(floor)``
    returns, sorted by ``key``, every row whose start (``row[0]``) is below
    ``floor - horizon`` and is older than the newest ``TAIL`` rows; the rest
    stays. A row older than what was already handed out is an engine bug
    (the output order would break) and raises."""

    def __init__(self, rows: list, key, horizon: int):
        self.rows = rows  # shared with the recorder, which appends to it
        self.key, self.horizon = key, horizon
        self.done_below = -(1 << 62)

    def ready(self, floor: int | None) -> list:
        rows = self.rows
        if floor is None:
            w = 1 << 62
        else:
            w = floor - self.horizon
            if len(rows) > TAIL:
                w = min(w, min(r[0] for r in rows[-TAIL:]))
            elif rows:
                w = min(w, min(r[0] for r in rows))
        if w <= self.done_below:
            return []
        out = [r for r in rows if r[0] < w]
        if not out:
            return []
        if min(r[0] for r in out) < self.done_below:
            raise RuntimeError("streamed timeline row arrived after its place was written "
                               "(docs/performance.md, streaming outputs)")
        rows[:] = [r for r in rows if r[0] >= w]
        self.done_below = w
        out.sort(key=self.key)
        return out


class ProposalSpill:
    """phase_proposal_counts in bounded memory: the in-memory Counter is
    sorted and spilled to a temp file as one run when it grows past ``limit``;
    ``merged()`` merges every run into output order, summing a key that two
    runs share."""

    def __init__(self, limit: int):
        self.limit = limit
        self.file = None
        self.runs: list = []  # (offset, records)

    def spill(self, counter) -> None:
        if not counter:
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile()
        items = sorted(counter.items(), key=lambda kv: PROPOSAL_ORDER(kv[0]))
        counter.clear()
        f = self.file
        f.seek(0, 2)
        off, n = f.tell(), 0
        for i in range(0, len(items), 8192):
            pickle.dump(items[i:i + 8192], f, protocol=pickle.HIGHEST_PROTOCOL)
            n += 1
        self.runs.append((off, n))

    def _read(self, off: int, n: int):
        f = self.file
        for _ in range(n):
            f.seek(off)
            block = pickle.load(f)
            off = f.tell()
            yield from block

    def merged(self, counter):
        """Every (key, count) of the spilled runs and ``counter``, in output order."""
        last = sorted(counter.items(), key=lambda kv: PROPOSAL_ORDER(kv[0]))
        if not self.runs:
            yield from last
            return
        streams = [self._read(off, n) for off, n in self.runs] + [iter(last)]
        prev_key, prev_n = None, 0
        for key, n in heapq.merge(*streams, key=lambda kv: PROPOSAL_ORDER(kv[0])):
            if key == prev_key:
                prev_n += n
                continue
            if prev_key is not None:
                yield prev_key, prev_n
            prev_key, prev_n = key, n
        if prev_key is not None:
            yield prev_key, prev_n

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class PickleSpill:
    """Append-only list of rows in a temp file, in chunks (rollbacks)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.count = 0

    def add(self, rows: list) -> None:
        if rows:
            self.file.seek(0, 2)
            pickle.dump(rows, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += len(rows)

    def read(self) -> list:
        out: list = []
        f = self.file
        f.flush()
        f.seek(0)
        while True:
            try:
                out += pickle.load(f)
            except EOFError:
                return out
