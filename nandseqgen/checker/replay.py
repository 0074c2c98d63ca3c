"""The execution model of docs/semantics.md: ops laid out in time, cut by
suspends and resets, continued by resumes.

Every issued op becomes an :class:`OpRun` with one or more executed
:class:`Piece` s. Ops are visited in start order; only suspend, resume and
reset change other ops, and each of them only touches ops that started at or
before it, so one forward pass settles every piece.
"""
from __future__ import annotations

from typing import Final

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config.units import CORE_BUSY, INF  # noqa: F401  (names shared with the engine)
from .load import OpRecord
from .report import Collector

log = logging.getLogger(__name__)

SUSPENDABLE: Final = ("erase", "program_final", "program_step")
ISSUE_PIECE: Final = "issue"
RESUME_PIECE: Final = "resume"


@dataclass(slots=True, init=False)
class Seg:
    """One executed state part; ``planned_end`` is where it would have ended
    had nothing cut it, ``cut_by`` the uid of the suspend/reset that did."""

    state: str
    start: int
    end: int
    bus: bool
    planned_end: int
    cut_by: int | None

    # __init__ written out: mypyc runs a generated one in the interpreter (decision 111)
    def __init__(self, state: str, start: int, end: int, bus: bool, planned_end: int,
                 cut_by: int | None = None) -> None:
        self.state = state
        self.start = start
        self.end = end
        self.bus = bus
        self.planned_end = planned_end
        self.cut_by = cut_by


@dataclass(slots=True, init=False)
class Piece:
    """A contiguous executed part of an op (the issued part or a resumed remainder)."""

    start: int
    end: int
    source: str
    segs: list[Seg]

    # __init__ written out: mypyc runs a generated one in the interpreter (decision 111)
    def __init__(self, start: int, end: int, source: str, segs: list[Seg]) -> None:
        self.start = start
        self.end = end
        self.source = source
        self.segs = segs


@dataclass(slots=True, init=False)
class OpRun:
    """What happened to one issued op.

    ``fate``: ``done`` (ran to its end), ``aborted`` (cut by a reset while
    running), ``dropped`` (suspended or waiting to resume when a reset came)
    or ``suspended`` (still suspended when the sequence ends).
    ``suspended_periods``: ``[from, until)`` spans in which it was suspended.
    ``victims``: for a reset, the erase/program-family ops it aborted or
    dropped (their blocks become unusable, docs/semantics.md "reset").
    """

    rec: OpRecord
    pieces: list[Piece]
    fate: str
    suspended_periods: list
    victims: list

    # __init__ written out: mypyc runs a generated one in the interpreter (decision 111)
    def __init__(self, rec: OpRecord, pieces: list[Piece], fate: str = "running",
                 suspended_periods: list | None = None, victims: list | None = None) -> None:
        self.rec = rec
        self.pieces = pieces
        self.fate = fate
        self.suspended_periods = list() if suspended_periods is None else suspended_periods
        self.victims = list() if victims is None else victims

    @property
    def end(self) -> int:
        """Effective end: the end of the last executed piece."""
        return self.pieces[-1].end if self.pieces else self.rec.start

    def segs(self):
        for piece in self.pieces:
            yield from piece.segs


@dataclass(slots=True)
class Frame:
    """One entry of a die's suspend stack; also the X_SUSPENDED interval
    ``[opened_at, closed_at)`` of that die."""

    axis: str | None
    die: int
    opened_by: int
    opened_at: int
    members: list  # [(OpRun, remaining states ((state, ticks, bus), ...))]
    closed_at: int = INF


def layout(states, start: int, source: str) -> Piece:
    """Lay ``(name, ticks, bus)`` states back to back from ``start``."""
    segs, t = [], start
    for name, ticks, bus in states:
        segs.append(Seg(name, t, t + ticks, bus, t + ticks))
        t += ticks
    return Piece(start, t, source, segs)


_STATES: Final[dict] = {}


def spec_states(spec) -> tuple:
    """``(name, ticks, bus)`` of each state of ``spec`` (cached per spec object)."""
    got = _STATES.get(id(spec))
    if got is None or got[0] is not spec:
        got = _STATES[id(spec)] = (spec, tuple((s.name, s.ticks, s.bus) for s in spec.states))
    return got[1]


def cut(run: OpRun, t: int, by: int) -> tuple:
    """Stop ``run``'s last piece at ``t``; returns the states left to execute."""
    piece = run.pieces[-1]
    remaining = tuple((s.state, s.end - max(s.start, t), s.bus) for s in piece.segs if s.end > t)
    kept = []
    for s in piece.segs:
        if s.start >= t:
            continue
        if s.end > t:
            s.end, s.cut_by = t, by
        kept.append(s)
    piece.segs, piece.end = kept, min(piece.end, t)
    if not kept:
        run.pieces.pop()
    return remaining


def in_core_busy(run: OpRun, t: int) -> bool:
    return any(s.state == CORE_BUSY and s.start <= t < s.end for s in run.pieces[-1].segs)


@dataclass(slots=True)
class Replay:
    """The replayed run: ``runs`` in start order, ``by_uid``, all suspend ``frames``."""

    runs: list[OpRun]
    by_uid: dict[int, OpRun]
    frames: list[Frame]
    stacks: dict = field(default_factory=dict)  # die -> open suspend frames at the end


class Replayer:
    """One forward pass over the issued ops (see module docstring)."""

    def __init__(self, cfg, col: Collector):
        self.dies = cfg.topology.dies
        self.col = col
        self.live: dict = {d: {} for d in range(self.dies)}  # die -> {id(run): run}
        self.stacks: dict = {d: [] for d in range(self.dies)}
        self.frames: list = []
        self.open_frames: dict = {}  # die -> frames that may still be open (pruned at resets)

    def preload(self, frames) -> list:
        """Suspend stacks carried over from a start snapshot (bottom first);
        returns the carried ops' runs (see :mod:`.start_state`)."""
        runs = []
        for cf in frames:
            members = []
            for c in cf.members:
                segs = [Seg(n, s, e, bool(b), e) for n, s, e, b in c.segs]
                run = OpRun(c.rec, _pieces(c.rec.start, segs), "suspended", [[cf.opened_at, INF]])
                members.append((run, c.remaining))
                runs.append(run)
            frame = Frame(cf.axis, cf.die, cf.opened_by, cf.opened_at, members)
            self.stacks.setdefault(cf.die, []).append(frame)
            self.frames.append(frame)
            self.open_frames.setdefault(cf.die, []).append(frame)
        return runs

    def run(self, records: list, carried: Sequence[OpRun] = ()) -> Replay:
        order = sorted(range(len(records)), key=lambda i: (records[i].start, records[i].seq, i))
        runs = list(carried)
        for i in order:
            rec = records[i]
            run = OpRun(rec, [layout(spec_states(rec.spec), rec.start, ISSUE_PIECE)])
            kind = rec.kind
            if kind == "suspend":
                self._suspend(run)
            elif kind == "resume":
                self._resume(run)
            elif kind == "reset":
                self._reset(run)
            self.live.setdefault(rec.die, {})[id(run)] = run
            runs.append(run)
        for run in runs:
            if run.fate == "running":
                run.fate = "done"
        by_uid: dict[int, OpRun] = {}
        for run in runs:
            by_uid.setdefault(run.rec.uid, run)
        return Replay(runs, by_uid, self.frames, self.stacks)

    def _live(self, die: int, t: int) -> list:
        """Running ops of ``die`` whose last piece ends after ``t`` (pruned in place)."""
        keep = {k: r for k, r in self.live.get(die, {}).items() if r.fate == "running" and r.end > t}
        self.live[die] = keep
        return list(keep.values())

    def _suspend(self, run: OpRun) -> None:
        rec, t = run.rec, run.rec.start
        axis, d = rec.role.axis, rec.die
        stack = self.stacks.setdefault(d, [])
        victims = [v for v in self._live(d, t)
                   if v.rec.kind in SUSPENDABLE and v.rec.role.axis == axis and in_core_busy(v, t)]
        self.col.check("suspend_order", rec=rec)
        if not victims:
            self.col.flag("suspend_order", rec, f"{axis} suspend with no {axis} op in CORE_BUSY "
                                                f"on die {d}")
            return
        if any(f.axis == axis for f in stack):
            self.col.flag("suspend_order", rec, f"{axis} is already suspended on die {d}")
        if axis == "ERASE" and any(f.axis == "PROGRAM" for f in stack):
            self.col.flag("suspend_order", rec, "ERASE suspended while a PROGRAM is suspended "
                                                "(nesting must be PROGRAM inside ERASE)")
        members = []
        for v in victims:
            members.append((v, cut(v, t, rec.uid)))
            v.fate = "suspended"
            v.suspended_periods.append([t, INF])
        frame = Frame(axis, d, rec.uid, t, members)
        stack.append(frame)
        self.frames.append(frame)
        self.open_frames.setdefault(d, []).append(frame)

    def _resume(self, run: OpRun) -> None:
        rec, d = run.rec, run.rec.die
        axis, stack = rec.role.axis, self.stacks.setdefault(d, [])
        self.col.check("suspend_order", rec=rec)
        if not stack:
            self.col.flag("suspend_order", rec, f"{axis} resume with nothing suspended on die {d}")
            return
        if stack[-1].axis != axis:
            self.col.flag("suspend_order", rec, f"{axis} resume but the last suspended op on die "
                                                f"{d} is {stack[-1].axis} (resume is LIFO)")
            return
        frame = stack.pop()
        e = run.end
        frame.closed_at = e
        for v, remaining in frame.members:
            v.pieces.append(layout(remaining, e, RESUME_PIECE))
            v.fate = "running"
            v.suspended_periods[-1][1] = e
            self.live.setdefault(v.rec.die, {})[id(v)] = v

    def _reset(self, run: OpRun) -> None:
        rec, t = run.rec, run.rec.start
        dies = range(self.dies) if rec.role.reset_scope == "all" else (rec.die,)
        for d in dies:
            for v in self._live(d, t):
                piece = v.pieces[-1]
                if piece.source == RESUME_PIECE and piece.start >= t:
                    v.pieces.pop()
                    v.fate = "dropped"
                    v.suspended_periods[-1][1] = t
                elif piece.start < t:
                    cut(v, t, rec.uid)
                    v.fate = "aborted"
                else:
                    continue
                if v.rec.kind in SUSPENDABLE:
                    run.victims.append(v)
            for frame in self.stacks.get(d, []):
                for v, _rem in frame.members:
                    v.fate = "dropped"
                    v.suspended_periods[-1][1] = t
                    if v.rec.kind in SUSPENDABLE:
                        run.victims.append(v)
            self.stacks[d] = []
            open_frames = [f for f in self.open_frames.get(d, ()) if f.closed_at > t]
            for frame in open_frames:
                frame.closed_at = t
            self.open_frames[d] = []  # closed at or before t: no later reset changes them


def _pieces(start: int, segs: list) -> list:
    """Executed segments of a carried op split into pieces where they are not
    contiguous (a suspended op resumed and suspended again)."""
    pieces = [Piece(start, start, ISSUE_PIECE, [])]
    for s in segs:
        last = pieces[-1]
        if last.segs and s.start != last.end:
            last = Piece(s.start, s.start, RESUME_PIECE, [])
            pieces.append(last)
        last.segs.append(s)
        last.end = s.end
    return pieces


def replay(records: list, cfg, col: Collector, start=None) -> Replay:
    """Replay ``records`` (issued ops) under the execution model, from the
    suspend stacks of ``start`` (a :class:`.start_state.StartState`) if given."""
    rp = Replayer(cfg, col)
    carried = rp.preload(start.frames) if start is not None else []
    return rp.run(records, carried)
