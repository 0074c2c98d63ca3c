"""Time-ordered reservation structures. Every one is pruned behind ``now``,
so a check costs the same at 1 ms and at 10 s of simulated time."""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..config.units import INF


class Lane:
    """Disjoint ``[start, end)`` intervals, sorted: the IO bus, or one plane."""

    __slots__ = ("starts", "ends", "uids")

    def __init__(self):
        self.starts: list = []
        self.ends: list = []
        self.uids: list = []

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

    def earliest_fit(self, t: int, pieces: tuple) -> int:
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


class _Entries:
    """A short list of mutable entries (lists) kept until their end passes."""

    __slots__ = ("entries",)
    END = 1  # index of the entry's end

    def __init__(self):
        self.entries: list = []

    def remove(self, entry: list) -> None:
        for i, x in enumerate(self.entries):
            if x is entry:
                del self.entries[i]
                return

    def prune(self, now: int) -> None:
        if self.entries:
            end = self.END
            self.entries = [x for x in self.entries if x[end] > now]


class DieLane(_Entries):
    """Die-level multiplicity (rule 9): ``[start, end, multi, ss_ok, uid]`` entries."""

    __slots__ = ()

    def conflict_end(self, s: int, e: int, multi: bool, ss_ok: bool) -> int:
        """Latest end among entries that may not overlap ``[s, e)``, or 0."""
        worst = 0
        for es, ee, emulti, ess, _uid in self.entries:
            if es < e and s < ee and (multi or emulti or not (ss_ok and ess)):
                if ee > worst:
                    worst = ee
        return worst

    def add(self, entry: list) -> None:
        self.entries.append(entry)


class StateIntervals(_Entries):
    """Named states over time: ``[name, start, end, opener_uid, closer_uid, extra]``.

    Used for latches (per plane), cache states (per plane and per die), suspend
    states (per die) and ODT (global). ``end`` is INF while open.
    """

    __slots__ = ()
    END = 2

    def active(self, t: int, ignore_uid=None) -> list:
        return [x for x in self.entries
                if x[1] <= t < x[2] and (ignore_uid is None or x[3] != ignore_uid)]

    def open_entry(self, name: str):
        for x in self.entries:
            if x[0] == name and x[2] == INF:
                return x
        return None

    def open(self, name: str, start: int, uid: int, extra=None) -> list:
        entry = [name, start, INF, uid, None, extra]
        self.entries.append(entry)
        return entry
