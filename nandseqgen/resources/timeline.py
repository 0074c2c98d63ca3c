"""Op-state timeline of one (die, plane) (SPEC 4).

Finite, non-overlapping segments ``BASE.STATE``. ``.END`` is never stored; it
is what :meth:`PlaneTimeline.phase_key_at` answers in a gap, exactly at a
boundary, or inside an ISSUE (the previous segment's ``BASE.END``).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..config.model import DEFAULT_KEY
from ..config.units import ISSUE


class PlaneTimeline:
    __slots__ = ("starts", "ends", "keys", "bases", "states", "uids", "ends_key", "names",
                 "head_emitted")

    def __init__(self):
        self.starts: list = []
        self.ends: list = []
        self.keys: list = []  # "BASE.STATE"
        self.bases: list = []
        self.states: list = []
        self.uids: list = []
        self.ends_key: list = []  # "BASE.END"
        self.names: list = []  # op name of each segment (for the output table)
        self.head_emitted = False  # the first segment was already handed to the sink

    def __len__(self) -> int:
        return len(self.starts)

    def insert(self, uid: int, base: str, name: str, segs: tuple, key_of: dict,
               end_key: str) -> None:
        """Insert one op's contiguous segments ``(state, start, end, bus)``;
        ``key_of`` maps a state name to its ``BASE.STATE`` key."""
        if not segs:
            return
        if not self.starts or segs[0][1] >= self.ends[-1]:  # appended after the last one
            for state, s, e, _bus in segs:
                if e > s:
                    self.starts.append(s)
                    self.ends.append(e)
                    self.keys.append(key_of[state])
                    self.bases.append(base)
                    self.states.append(state)
                    self.uids.append(uid)
                    self.ends_key.append(end_key)
                    self.names.append(name)
            return
        i = bisect_left(self.starts, segs[0][1])
        for state, s, e, _bus in segs:
            key = key_of[state]
            if e <= s:
                continue  # zero-length states leave no segment
            self.starts.insert(i, s)
            self.ends.insert(i, e)
            self.keys.insert(i, key)
            self.bases.insert(i, base)
            self.states.insert(i, state)
            self.uids.insert(i, uid)
            self.ends_key.insert(i, end_key)
            self.names.insert(i, name)
            i += 1

    def _lists(self) -> tuple:
        return (self.starts, self.ends, self.keys, self.bases, self.states, self.uids,
                self.ends_key, self.names)

    def _delete(self, i: int) -> tuple:
        row = tuple(lst[i] for lst in self._lists())
        for lst in self._lists():
            del lst[i]
        return row

    def _restore(self, row: tuple) -> None:
        i = bisect_left(self.starts, row[0])
        for lst, v in zip(self._lists(), row):
            lst.insert(i, v)

    def remove_uid(self, uid: int, after: int = -1) -> list:
        """Delete ``uid``'s segments starting at or after ``after``; returns them."""
        out = []
        i = bisect_left(self.starts, after) if after >= 0 else 0
        while i < len(self.starts):
            if self.uids[i] == uid and self.starts[i] >= after:
                out.append(self._delete(i))
            else:
                i += 1
        return out

    def restore(self, rows: list) -> None:
        for row in rows:
            self._restore(row)

    def truncate(self, uid: int, t: int) -> tuple | None:
        """Cut ``uid``'s segment containing ``t`` to end at ``t``; returns (start, old_end)."""
        i = bisect_right(self.starts, t) - 1
        while i >= 0 and self.ends[i] > t:
            if self.uids[i] == uid and self.starts[i] < t:
                old = self.ends[i]
                self.ends[i] = t
                return (self.starts[i], old)
            i -= 1
        return None

    def set_end(self, uid: int, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        while i < len(self.starts) and self.starts[i] == start:
            if self.uids[i] == uid:
                self.ends[i] = end
                return
            i += 1

    def phase_key_at(self, t: int) -> str:
        """``BASE.STATE`` inside a segment; the previous op's ``BASE.END`` in a
        gap, exactly where an op starts, or inside an ISSUE; ``DEFAULT`` when
        nothing came before. A boundary between two states of one op is not an
        end: it reads as the later state."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return DEFAULT_KEY
        if t >= self.ends[i]:
            return self.ends_key[i]
        if t == self.starts[i] and not (i > 0 and self.uids[i - 1] == self.uids[i]
                                        and self.ends[i - 1] == t):
            return self.ends_key[i - 1] if i > 0 else DEFAULT_KEY
        if self.states[i] == ISSUE:
            return self.ends_key[i - 1] if i > 0 else DEFAULT_KEY
        return self.keys[i]

    def segment_at(self, t: int) -> int:
        """Index of the segment with ``start <= t < end`` (or -1)."""
        i = bisect_right(self.starts, t) - 1
        return i if i >= 0 and t < self.ends[i] else -1

    def position(self, t: int, key: str) -> float:
        """Where ``t`` falls inside the segment naming ``key`` (0..1), 0 for END/DEFAULT."""
        i = self.segment_at(t)
        if i < 0 or self.keys[i] != key:
            return 0.0
        return (t - self.starts[i]) / max(1, self.ends[i] - self.starts[i])

    def next_change(self, t: int) -> int | None:
        i = self.segment_at(t)
        return self.ends[i] if i >= 0 else None

    _FIELDS = ("starts", "ends", "keys", "bases", "states", "uids", "ends_key", "names")

    def state_dict(self) -> dict:
        out: dict = {k: getattr(self, k) for k in self._FIELDS}
        out["head_emitted"] = self.head_emitted
        return out

    def load_state_dict(self, row: dict) -> None:
        for key in self._FIELDS:
            setattr(self, key, list(row[key]))
        self.head_emitted = row["head_emitted"]

    def prune(self, now: int, sink, die: int, plane: int) -> None:
        """Hand every segment that ended at or before ``now`` to ``sink(die, plane, row)``
        once, then drop all of them but the newest (the next ISSUE or gap still
        needs its ``.END`` key)."""
        k = bisect_right(self.ends, now)
        first = 1 if self.head_emitted else 0
        for i in range(first, k):
            sink(die, plane, (self.starts[i], self.ends[i], self.bases[i], self.states[i],
                              self.uids[i], self.names[i]))
        if k:
            self.head_emitted = True
            if k > 1:
                for lst in self._lists():
                    del lst[:k - 1]
