"""Time-ordered reservation structures. Every one is pruned behind ``now``,
so a check costs the same at 1 ms and at 10 s of simulated time."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from ..config.units import INF


class Lane:
    """Disjoint ``[start, end)`` intervals, sorted: the IO bus, or one plane."""

    __slots__ = ("starts", "ends", "uids")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.uids: list[int] = []

    def __len__(self) -> int:
        return len(self.starts)

    def frontier(self) -> int:
        """End of the last reservation (0 when empty)."""
        return self.ends[-1] if self.ends else 0

    def conflict_end(self, s: int, e: int) -> int:
        """End of the first interval overlapping ``[s, e)``, or 0 if none."""
        starts, ends = self.starts, self.ends
        i = bisect_right(starts, s) - 1
        if i >= 0 and ends[i] > s:
            return ends[i]
        i += 1
        if i < len(starts) and starts[i] < e:
            return ends[i]
        return 0

    def earliest_fit(self, t: int, pieces: tuple[tuple[int, int], ...]) -> int:
        """Earliest ``t' >= t`` such that every ``(offset, length)`` piece fits."""
        if not pieces or not self.starts:
            return t
        moved = True
        while moved:
            moved = False
            for off, length in pieces:
                c = self.conflict_end(t + off, t + off + max(length, 1))
                if c:
                    t = c - off
                    moved = True
        return t

    def add(self, s: int, e: int, uid: int) -> None:
        starts = self.starts
        if not starts or s > starts[-1]:  # the usual case: time moves forward
            starts.append(s)
            self.ends.append(e)
            self.uids.append(uid)
            return
        i = bisect_left(starts, s)
        self.starts.insert(i, s)
        self.ends.insert(i, e)
        self.uids.insert(i, uid)

    def remove(self, s: int, uid: int) -> bool:
        i = bisect_left(self.starts, s)
        while i < len(self.starts) and self.starts[i] == s:
            if self.uids[i] == uid:
                del self.starts[i], self.ends[i], self.uids[i]
                return True
            i += 1
        return False

    def set_end(self, s: int, uid: int, e: int) -> int | None:
        """Change the end of ``(s, uid)``; returns the old end."""
        i = bisect_left(self.starts, s)
        while i < len(self.starts) and self.starts[i] == s:
            if self.uids[i] == uid:
                old, self.ends[i] = self.ends[i], e
                return old
            i += 1
        return None

    def prune(self, now: int) -> None:
        k = bisect_right(self.ends, now)
        if k:
            del self.starts[:k], self.ends[:k], self.uids[:k]


@dataclass(slots=True)
class DieEntry:
    """One non-instant op holding its die (rule 6, die multiplicity)."""

    start: int
    end: int
    multi: bool  # the op name is multi-plane
    ss_ok: bool  # its base may overlap another single-plane op of such a base
    uid: int


@dataclass(slots=True, eq=False)
class StateEntry:
    """A named state over ``[start, end)``; ``end`` is INF while open.

    ``extra`` is what a later op needs from the opener: :class:`LatchData`
    for a read latch, :class:`CacheTag` for a cache state, else None.
    """

    name: str
    start: int
    end: int
    opener: int  # uid of the op that opened it
    closer: int | None = None  # uid of the op that closed it (None: open, or cut by RESET)
    extra: LatchData | CacheTag | None = None


class LatchData(NamedTuple):
    """What a later standalone DOUT needs to name (semantics: latches)."""

    block: int | None
    page: int | None
    celltype: str


class CacheTag(NamedTuple):
    """Celltype and family (``read`` / ``program``) of the op that entered a cache state."""

    celltype: str
    family: str


class DieLane:
    """Die-level multiplicity (rule 6): the die's :class:`DieEntry` records."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[DieEntry] = []

    def conflict_end(self, s: int, e: int, multi: bool, ss_ok: bool) -> int:
        """Latest end among entries that may not overlap ``[s, e)``, or 0."""
        worst = 0
        for x in self.entries:
            ee = x.end
            if x.start < e and s < ee and (multi or x.multi or not (ss_ok and x.ss_ok)):
                if ee > worst:
                    worst = ee
        return worst

    def add(self, entry: DieEntry) -> None:
        self.entries.append(entry)

    def remove(self, entry: DieEntry) -> None:
        _remove_identical(self.entries, entry)

    def prune(self, now: int) -> None:
        if self.entries:
            self.entries = [x for x in self.entries if x.end > now]


class StateIntervals:
    """Named states over time (:class:`StateEntry`): latches (per plane), cache
    states (per plane and per die), suspend states (per die), ODT (global)."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[StateEntry] = []

    def active(self, t: int, ignore_uid: int | None = None) -> list[StateEntry]:
        return [x for x in self.entries
                if x.start <= t < x.end and (ignore_uid is None or x.opener != ignore_uid)]

    def open_entry(self, name: str) -> StateEntry | None:
        for x in self.entries:
            if x.name == name and x.end == INF:
                return x
        return None

    def open(self, name: str, start: int, uid: int,
             extra: LatchData | CacheTag | None = None) -> StateEntry:
        entry = StateEntry(name, start, INF, uid, None, extra)
        self.entries.append(entry)
        return entry

    def add(self, entry: StateEntry) -> None:
        self.entries.append(entry)

    def remove(self, entry: StateEntry) -> None:
        _remove_identical(self.entries, entry)

    def prune(self, now: int) -> None:
        if self.entries:
            self.entries = [x for x in self.entries if x.end > now]

    def state_dict(self) -> list:
        return [[x.name, x.start, None if x.end >= INF else x.end, x.opener, x.closer,
                 list(x.extra) if x.extra is not None else None] for x in self.entries]

    def load_state_dict(self, rows: list) -> None:
        self.entries = [StateEntry(r[0], r[1], INF if r[2] is None else r[2], r[3], r[4],
                                   _extra(r[5])) for r in rows]


def _extra(row: list | None) -> LatchData | CacheTag | None:
    if row is None:
        return None
    return LatchData(*row) if len(row) == 3 else CacheTag(*row)


def _remove_identical(entries: list, entry: object) -> None:
    for i, x in enumerate(entries):
        if x is entry:
            del entries[i]
            return
