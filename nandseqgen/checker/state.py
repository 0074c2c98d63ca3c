"""Derived resources of a replay, as plain sorted interval lists.

* op-state segments per (die, plane) and the phase key lookup,
* bus, plane and die occupations (for the overlap rules),
* suspended blocks per (die, block).

Latches, cache, ODT and address state depend on the order of events and
live in :mod:`nandseqgen.checker.sweep`.
"""
from __future__ import annotations

from typing import Final

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from ..config.units import ISSUE
from .replay import OpRun, Replay

DEFAULT: Final = "DEFAULT"


@dataclass(slots=True, init=False)
class SegRow:
    """One op-state segment ``BASE.STATE`` on one (die, plane)."""

    start: int
    end: int
    base: str
    state: str
    uid: int
    name: str
    planned_end: int
    cut_by: int | None
    key: str  # "BASE.STATE" (the op_state column), made once per executed state

    # __init__ written out: mypyc runs a generated one in the interpreter (decision 111)
    def __init__(self, start: int, end: int, base: str, state: str, uid: int, name: str,
                 planned_end: int, cut_by: int | None, key: str | None = None) -> None:
        self.start = start
        self.end = end
        self.base = base
        self.state = state
        self.uid = uid
        self.name = name
        self.planned_end = planned_end
        self.cut_by = cut_by
        self.key = f"{base}.{state}" if key is None else key

    @property
    def end_key(self) -> str:
        return f"{self.base}.END"


class PlaneSegments:
    """The op-state segments of one (die, plane), sorted by start."""

    def __init__(self, rows: list[SegRow]):
        self.rows: list[SegRow] = sorted(rows, key=lambda r: (r.start, r.end, r.uid))
        self.starts: list[int] = [r.start for r in self.rows]
        self.maxend: list[int] = []
        m = -1
        for r in self.rows:
            m = max(m, r.end)
            self.maxend.append(m)

    def _prev(self, i: int, skip_uid) -> int:
        while i >= 0 and self.rows[i].uid == skip_uid:
            i -= 1
        return i

    @staticmethod
    def _end(seg: SegRow, view_uid) -> int:
        return seg.planned_end if (view_uid is not None and seg.cut_by == view_uid) else seg.end

    def key_at(self, t: int, view_uid: int | None = None) -> str:
        """Phase key at ``t`` (semantics.md), seen *before* op ``view_uid``:
        its own segments are ignored and segments it cut keep their planned end.

        Exactly at the start of a segment that continues the same op (its
        ISSUE -> CORE_BUSY boundary) the key is the later state; at the start
        of a new op's segment it is the previous segment's END.
        """
        i = self._prev(bisect_right(self.starts, t) - 1, view_uid)
        if i < 0:
            return DEFAULT
        seg = self.rows[i]
        if t >= self._end(seg, view_uid):
            return seg.end_key
        j = self._prev(i - 1, view_uid)
        before = self.rows[j] if j >= 0 else None
        before_key = before.end_key if before is not None else DEFAULT
        if t == seg.start:
            continues = (before is not None and before.uid == seg.uid
                         and self._end(before, view_uid) >= t)
            if not continues:
                return before_key
        return before_key if seg.state == ISSUE else seg.key

    def containing(self, t: int) -> list[SegRow]:
        """Segments with ``start <= t < end`` (final view)."""
        out = []
        i = bisect_right(self.starts, t) - 1
        while i >= 0 and self.maxend[i] > t:
            if self.rows[i].end > t:
                out.append(self.rows[i])
            i -= 1
        return out


def build_segments(rp: Replay, tails=None) -> dict:
    """{(die, plane): PlaneSegments} from every affect_state op's executed states
    (after the op-state timeline ``tails`` of a start snapshot, if given)."""
    rows: dict = {}
    for key, tail in (tails or {}).items():
        rows.setdefault(key, []).extend(r for r in tail if r.uid not in rp.by_uid)
    for run in rp.runs:
        rec = run.rec
        if not rec.base.affect_state:
            continue
        base = rec.base.name
        for s in run.segs():
            if s.end <= s.start:
                continue
            key = f"{base}.{s.state}"
            for p in rec.occupied:
                rows.setdefault((rec.die, p), []).append(
                    SegRow(s.start, s.end, base, s.state, rec.uid, rec.name,
                           s.planned_end, s.cut_by, key))
    return {k: PlaneSegments(v) for k, v in rows.items()}


@dataclass(slots=True, init=False)
class Occ:
    """One occupation interval of a resource by an op."""

    start: int
    end: int
    run: OpRun
    multi: bool
    ss_ok: bool

    # __init__ written out: mypyc runs a generated one in the interpreter (decision 111)
    def __init__(self, start: int, end: int, run: OpRun, multi: bool = False,
                 ss_ok: bool = False) -> None:
        self.start = start
        self.end = end
        self.run = run
        self.multi = multi
        self.ss_ok = ss_ok


def bus_spans(rp: Replay) -> tuple:
    """``(starts, ends, runs)`` of every executed bus state part (non-empty)."""
    starts, ends, runs = [], [], []
    for run in rp.runs:
        for piece in run.pieces:
            for s in piece.segs:
                if s.bus and s.end > s.start:
                    starts.append(s.start)
                    ends.append(s.end)
                    runs.append(run)
    return starts, ends, runs


def bus_occupations(rp: Replay) -> list:
    """Every executed bus state part (non-empty)."""
    return [Occ(s, e, run) for s, e, run in zip(*bus_spans(rp))]


def plane_occupations(rp: Replay) -> dict:
    """{(die, plane): [Occ]} for non-instant ops, per executed piece."""
    out: dict = {}
    for run in rp.runs:
        rec = run.rec
        if rec.base.instant_resv:
            continue
        for piece in run.pieces:
            if piece.end > piece.start:
                for p in rec.occupied:
                    out.setdefault((rec.die, p), []).append(Occ(piece.start, piece.end, run))
    return out


def die_occupations(rp: Replay, ss_allowed) -> dict:
    """{die: [Occ]} for non-instant ops, tagged single/multi and single-single allowed."""
    out: dict = {}
    for run in rp.runs:
        rec = run.rec
        if rec.base.instant_resv:
            continue
        ok = rec.base.name in ss_allowed
        for piece in run.pieces:
            if piece.end > piece.start:
                out.setdefault(rec.die, []).append(
                    Occ(piece.start, piece.end, run, bool(rec.spec.multi), ok))
    return out


def overlapping_pairs(occs: list):
    """Yield ``(earlier, later)`` pairs of overlapping occupations of different ops.

    A sweep by start time keeping the still-open intervals; ``later`` is the
    one that starts later (ties: later in the sequence).
    """
    if not any_overlap(occs):
        return
    items = sorted(occs, key=lambda o: (o.start, o.run.rec.seq, o.end))
    active: list = []
    for occ in items:
        active = [a for a in active if a.end > occ.start]
        for a in active:
            if a.run is not occ.run:
                yield a, occ
        active.append(occ)


def any_overlap(occs: list) -> bool:
    """False when no two of ``occs`` overlap (a vectorised pre-test of
    :func:`overlapping_pairs`; True may include pairs of one op).

    Sorted by start, longest first among equal starts, an interval overlaps
    an earlier one exactly when it starts before the greatest earlier end.
    """
    if len(occs) < 2:
        return False
    return spans_overlap([o.start for o in occs], [o.end for o in occs])


def spans_overlap(start_list: list, end_list: list) -> bool:
    """:func:`any_overlap` of the spans ``[start_list[i], end_list[i])``."""
    if len(start_list) < 2:
        return False
    starts, ends = np.array(start_list, np.int64), np.array(end_list, np.int64)
    order = np.lexsort((-ends, starts))
    return bool((np.maximum.accumulate(ends[order])[:-1] > starts[order][1:]).any())


def suspended_blocks(rp: Replay) -> dict:
    """{(die, block): [(from, until, run)]}: blocks of suspended erases/programs."""
    out: dict = {}
    for run in rp.runs:
        rec = run.rec
        if not run.suspended_periods or not rec.blocks:
            continue
        for b in rec.blocks:
            if b is None:
                continue
            for start, until in run.suspended_periods:
                out.setdefault((rec.die, b), []).append((start, until, run))
    return out
