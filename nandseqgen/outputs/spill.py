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
    sorted and spilled to a temp file as one run when it reaches ``limit``
    keys; ``FAN`` runs of one level are merged into one run of the next level
    (so a merge never holds more than ``FAN`` small blocks, however long the
    run); ``merged()`` merges what is left into output order, summing a key
    that two runs share."""

    FAN = 8
    BLOCK = 1024  # items per pickled block

    def __init__(self, limit: int):
        self.limit = limit
        self.levels: list = []  # level -> [temp files, each one sorted run]
        self.spills = 0
        self.merges = 0

    @property
    def runs(self) -> list:
        return [f for level in self.levels for f in level]

    def spill(self, counter) -> None:
        if not counter:
            return
        items = sorted(counter.items(), key=_order)
        counter.clear()
        self.spills += 1
        self._add(0, self._write(items))

    def _add(self, level: int, run) -> None:
        while len(self.levels) <= level:
            self.levels.append([])
        runs = self.levels[level]
        runs.append(run)
        if len(runs) >= self.FAN:
            self.levels[level] = []
            self.merges += 1
            merged = self._write(_combine(heapq.merge(*[_read(f) for f in runs], key=_order)))
            for f in runs:
                f.close()
            self._add(level + 1, merged)

    def _write(self, items):
        f = tempfile.TemporaryFile()
        block = []
        for item in items:
            block.append(item)
            if len(block) >= self.BLOCK:
                pickle.dump(block, f, protocol=pickle.HIGHEST_PROTOCOL)
                block = []
        if block:
            pickle.dump(block, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        return f

    def merged(self, counter):
        """Every (key, count) of the spilled runs and ``counter``, in output order."""
        last = sorted(counter.items(), key=_order)
        runs = self.runs
        if not runs:
            return iter(last)
        return _combine(heapq.merge(*[_read(f) for f in runs], iter(last), key=_order))

    def close(self) -> None:
        for f in self.runs:
            f.close()
        self.levels = []


def _order(kv):
    return PROPOSAL_ORDER(kv[0])


def _read(f):
    """The items of one run (each run has its own file: readers never interleave)."""
    f.seek(0)
    while True:
        try:
            block = pickle.load(f)
        except EOFError:
            return
        yield from block


def _combine(items):
    prev_key, prev_n = None, 0
    for key, n in items:
        if key == prev_key:
            prev_n += n
            continue
        if prev_key is not None:
            yield prev_key, prev_n
        prev_key, prev_n = key, n
    if prev_key is not None:
        yield prev_key, prev_n


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
