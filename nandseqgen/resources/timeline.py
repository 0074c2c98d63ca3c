"""Op-state timeline of one (die, plane) (``docs/semantics.md``, "phase key").

Finite, non-overlapping segments ``BASE.STATE``. ``.END`` is never stored; it
is what :meth:`PlaneTimeline.phase_key_at` answers in a gap, exactly at a
boundary, or inside an ISSUE (the previous segment's ``BASE.END``).

A segment is ``(start, end, uid, kind)`` in four parallel lists; ``kind`` is a
:class:`SegKind` built once per (op name, state), so inserting a segment
appends four references and the phase key is one attribute read.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from ..config.model import DEFAULT_KEY
from ..config.units import ISSUE


@dataclass(slots=True, frozen=True)
class SegKind:
    """What a segment is: its keys and names (shared by every segment of one
    op name's state)."""

    key: str  # "BASE.STATE"
    base: str
    state: str
    end_key: str  # "BASE.END"
    name: str  # op name (for the output table)


class SegmentRow(NamedTuple):
    """One finished segment, as handed to the segment sink (output table)."""

    start: int
    end: int
    base: str
    state: str
    uid: int
    name: str


class _Removed(NamedTuple):
    """A deleted segment, for :meth:`PlaneTimeline.restore`."""

    start: int
    end: int
    uid: int
    kind: SegKind


def seg_kinds(spec) -> dict:
    """``{state name: SegKind}`` of one op name."""
    base = spec.base.name
    return {s.name: SegKind(f"{base}.{s.name}", base, s.name, f"{base}.END", spec.name)
            for s in spec.states}


class PlaneTimeline:
    __slots__ = ("starts", "ends", "uids", "kinds", "head_emitted")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.uids: list[int] = []
        self.kinds: list[SegKind] = []
        self.head_emitted = False  # the first segment was already handed to the sink

    def __len__(self) -> int:
        return len(self.starts)

    def insert(self, uid: int, segs: tuple, kinds: dict) -> None:
        """Insert one op's contiguous segments ``(state, start, end, bus)``;
        ``kinds`` maps a state name to its :class:`SegKind`."""
        if not segs:
            return
        starts, ends, uids, kl = self.starts, self.ends, self.uids, self.kinds
        if not starts or segs[0][1] >= ends[-1]:  # appended after the last one
            for state, s, e, _bus in segs:
                if e > s:
                    starts.append(s)
                    ends.append(e)
                    uids.append(uid)
                    kl.append(kinds[state])
            return
        i = bisect_left(starts, segs[0][1])
        for state, s, e, _bus in segs:
            if e <= s:
                continue  # zero-length states leave no segment
            starts.insert(i, s)
            ends.insert(i, e)
            uids.insert(i, uid)
            kl.insert(i, kinds[state])
            i += 1

    def _delete(self, i: int) -> _Removed:
        row = _Removed(self.starts[i], self.ends[i], self.uids[i], self.kinds[i])
        del self.starts[i], self.ends[i], self.uids[i], self.kinds[i]
        return row

    def _restore(self, row: _Removed) -> None:
        i = bisect_left(self.starts, row.start)
        self.starts.insert(i, row.start)
        self.ends.insert(i, row.end)
        self.uids.insert(i, row.uid)
        self.kinds.insert(i, row.kind)

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
        kinds = self.kinds
        if t >= self.ends[i]:
            return kinds[i].end_key
        if t == self.starts[i] and not (i > 0 and self.uids[i - 1] == self.uids[i]
                                        and self.ends[i - 1] == t):
            return kinds[i - 1].end_key if i > 0 else DEFAULT_KEY
        kind = kinds[i]
        if kind.state == ISSUE:
            return kinds[i - 1].end_key if i > 0 else DEFAULT_KEY
        return kind.key

    def segment_at(self, t: int) -> int:
        """Index of the segment with ``start <= t < end`` (or -1)."""
        i = bisect_right(self.starts, t) - 1
        return i if i >= 0 and t < self.ends[i] else -1

    def kind_at(self, t: int) -> SegKind | None:
        i = self.segment_at(t)
        return self.kinds[i] if i >= 0 else None

    def position(self, t: int, key: str) -> float:
        """Where ``t`` falls inside the segment naming ``key`` (0..1), 0 for END/DEFAULT."""
        i = self.segment_at(t)
        if i < 0 or self.kinds[i].key != key:
            return 0.0
        return (t - self.starts[i]) / max(1, self.ends[i] - self.starts[i])

    def next_change(self, t: int) -> int | None:
        i = self.segment_at(t)
        return self.ends[i] if i >= 0 else None

    def prune(self, now: int, sink, die: int, plane: int) -> None:
        """Hand every segment that ended at or before ``now`` to ``sink(die, plane, row)``
        once (a :class:`SegmentRow`), then drop all of them but the newest (the
        next ISSUE or gap still needs its ``.END`` key)."""
        k = bisect_right(self.ends, now)
        first = 1 if self.head_emitted else 0
        starts, ends, uids, kinds = self.starts, self.ends, self.uids, self.kinds
        for i in range(first, k):
            kd = kinds[i]
            sink(die, plane, SegmentRow(starts[i], ends[i], kd.base, kd.state, uids[i], kd.name))
        if k:
            self.head_emitted = True
            if k > 1:
                del starts[:k - 1], ends[:k - 1], uids[:k - 1], kinds[:k - 1]

    # ------------------------------------------------------------- snapshots
    def state_dict(self) -> dict:
        kinds = self.kinds
        return {"starts": self.starts, "ends": self.ends, "keys": [k.key for k in kinds],
                "bases": [k.base for k in kinds], "states": [k.state for k in kinds],
                "uids": self.uids, "ends_key": [k.end_key for k in kinds],
                "names": [k.name for k in kinds], "head_emitted": self.head_emitted}

    def load_state_dict(self, row: dict) -> None:
        self.starts, self.ends, self.uids = list(row["starts"]), list(row["ends"]), list(row["uids"])
        self.kinds = [SegKind(*v) for v in zip(row["keys"], row["bases"], row["states"],
                                                row["ends_key"], row["names"])]
        self.head_emitted = row["head_emitted"]
