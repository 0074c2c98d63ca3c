"""Rules judged at an op's start against the sweep state (semantics rules
2 and 7-11): EPR, op-state exclusions, latches, cache, suspend state, ODT.

Each check looks at the state *before* the op's own effects.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from ..config import Config
from ..config.units import AXES
from .report import Collector
from .state import DEFAULT
from .sweep import ABORT_ERASE, BAD, ERASED, READ_LATCH, UNERASED, SweepState
from .load import OpRecord
from .replay import OpRun


@dataclass
class StartContext:
    """Read-only lookups the start rules need besides the sweep state."""

    cfg: Config
    segments: dict  # (die, plane) -> PlaneSegments
    suspended: dict  # (die, block) -> [(from, until, run)]
    frames: FrameIndex  # the replay's frames (suspend-state intervals)
    by_base: dict = field(default_factory=dict)  # base -> suspend states forbidding it
    by_role: dict = field(default_factory=dict)  # id(role) -> (role, its EPR rule or None)

    def epr_rule(self, role) -> str | None:
        """The EPR rule of an op with ``role`` (None: it has no block address)."""
        got = self.by_role.get(id(role))
        if got is None or got[0] is not role:
            got = self.by_role[id(role)] = (role, _epr_rule(role) if _has_address(role) else None)
        return got[1]

    def suspend_rules(self, base: str) -> tuple:
        """``((axis, suspended, state name), ...)`` of the suspend states that
        forbid ``base`` (docs/semantics.md rule 10), in axis order."""
        got = self.by_base.get(base)
        if got is None:
            table = self.cfg.exclusions.by_suspend
            got = self.by_base[base] = tuple(
                (axis, on, name) for axis in AXES for on, name in
                ((True, f"{axis}_SUSPENDED"), (False, f"NOT_{axis}_SUSPENDED"))
                if base in table.get(name, ()))
        return got


def check_start(run: OpRun, st: SweepState, ctx: StartContext, col: Collector) -> None:
    """Every start rule for one issued op."""
    rec = run.rec
    if rec.role.sets_latch == READ_LATCH:
        col.check("read_latch_dout", rec=rec)
    check_epr(rec, st, ctx, col)
    check_op_state(rec, ctx, col)
    check_latch(rec, st, ctx, col)
    check_cache(rec, st, ctx, col)
    check_suspend_state(rec, ctx, col)
    check_odt(rec, st, ctx, col)


# ------------------------------------------------------------------- EPR
def _suspended_here(rec: OpRecord, ctx: StartContext, block: int) -> list:
    t = rec.start
    return [run for start, until, run in ctx.suspended.get((rec.die, block), ())
            if start <= t < until and run.rec.uid != rec.uid]


def _read_back(rec: OpRecord, runs) -> bool:
    """A read of the page of a PROGRAM suspended on that block (semantics rule 2)."""
    return rec.role.reads_address and any(
        r.rec.role.axis == "PROGRAM" and r.rec.page == rec.page for r in runs)


def check_epr(rec: OpRecord, st: SweepState, ctx: StartContext, col: Collector) -> None:
    role = rec.role
    rule = ctx.epr_rule(role)
    if rule is None:
        return
    col.check(rule, rec=rec)
    col.check("epr_suspended_block", rec=rec)
    if rule != "epr_erase":
        col.check("epr_celltype", rec=rec)
    if not rec.blocks or all(b is None for b in rec.blocks):
        col.flag(rule, rec, "op has an address role but no block target")
        return
    for plane, block in zip(rec.planes, rec.blocks):
        if block is None or not 0 <= block < ctx.cfg.topology.blocks_per_die:
            continue  # reported by multiplane_group
        held = _suspended_here(rec, ctx, block)
        back = _read_back(rec, held)
        if held and not back:
            uids = sorted(r.rec.uid for r in held)
            col.flag("epr_suspended_block", rec, f"block {block} belongs to suspended op(s) {uids}",
                     plane=plane, block=block)
        cell = st.book.get(rec.die, block)
        if role.is_program:
            _epr_program(rec, cell, plane, block, ctx, col)
        elif role.reads_address:
            if not back:
                _epr_read(rec, cell, plane, block, ctx, col)
        elif cell[0] == BAD:
            col.flag(rule, rec, f"block {block} is a bad block", plane=plane, block=block)


def _has_address(role) -> bool:
    """Ops whose role has a block address (semantics rule 2)."""
    return (role.kind == "erase" or role.is_program or role.reads_address
            or role.address in ("erase", "program", "read", "any", "block"))


def _epr_rule(role) -> str:
    if role.is_program:
        return "epr_program"
    if role.reads_address:
        return "epr_read"
    return "epr_erase"


def _state_text(state: int) -> str:
    return {BAD: "BAD", UNERASED: "never erased", ERASED: "ERASED"}.get(state, f"last page {state}")


def _aborted_text(abort) -> str:
    what = "an erase" if abort[0] == ABORT_ERASE else "a program"
    who = f"op {abort[1]}" if abort[1] is not None else "before the start snapshot"
    return f"{what} of it ({who}) was aborted by a reset and no erase has completed since"


def _epr_program(rec: OpRecord, cell, plane, block, ctx, col) -> None:
    state, emode, pmode, abort = cell
    where = dict(plane=plane, block=block)
    if abort is not None and state != BAD:  # docs/semantics.md "reset"
        col.flag("epr_program", rec, f"program of block {block}: {_aborted_text(abort)}", **where)
        return
    if state in (BAD, UNERASED):
        col.flag("epr_program", rec, f"program of a block that is {_state_text(state)}", **where)
        return
    modes = ctx.cfg.constraints.program_modes
    allowed = modes.get(emode, frozenset({emode}))
    if rec.celltype not in allowed:
        col.flag("epr_celltype", rec, f"{rec.celltype} program on a block erased as {emode} "
                 f"(allowed {sorted(allowed)})", **where)
    if rec.role.program_all_pages:
        if state != ERASED:
            col.flag("epr_program", rec, f"all-pages program of a block that is "
                     f"{_state_text(state)}", **where)
        return
    if state >= 0 and pmode != rec.celltype:
        col.flag("epr_celltype", rec, f"{rec.celltype} program on a block programmed as {pmode}",
                 **where)
    if rec.page != state + 1:
        col.flag("epr_program", rec, f"program of page {rec.page}; block is {_state_text(state)}"
                 f" (expected page {state + 1})", **where)


def _epr_read(rec: OpRecord, cell, plane, block, ctx, col) -> None:
    state, _emode, pmode, abort = cell
    guard = ctx.cfg.constraints.offset_guard
    where = dict(plane=plane, block=block)
    if abort is not None and abort[0] == ABORT_ERASE and state != BAD:
        col.flag("epr_read", rec, f"read of block {block}: {_aborted_text(abort)}", **where)
        return
    if state < 0 or rec.page is None or rec.page > state - guard:
        col.flag("epr_read", rec, f"read of page {rec.page}; block is {_state_text(state)}"
                 f" (offset guard {guard})", **where)
        return
    if rec.celltype != "NONE" and pmode != rec.celltype:
        col.flag("epr_celltype", rec, f"{rec.celltype} read of a block programmed as {pmode}",
                 **where)


# ------------------------------------------------------------- exclusions
def check_op_state(rec: OpRecord, ctx: StartContext, col: Collector) -> None:
    col.check("op_state_exclusion", rec=rec)
    table = ctx.cfg.exclusions.by_op_state
    for p in rec.occupied:
        segs = ctx.segments.get((rec.die, p))
        key = segs.key_at(rec.start, rec.uid) if segs is not None else DEFAULT
        if rec.base.name in table.get(key, ()):
            col.flag("op_state_exclusion", rec, f"{rec.base.name} forbidden in {key} on plane {p}",
                     plane=p)


def _loses_read_data(rec: OpRecord, p: int) -> bool:
    """``rec`` erases/programs plane ``p`` without taking its read data out."""
    role = rec.role
    return ((role.kind == "erase" or role.is_program)
            and not (role.consumes_read_latch and p in rec.planes))


def check_latch(rec: OpRecord, st: SweepState, ctx: StartContext, col: Collector) -> None:
    col.check("latch", rec=rec)
    table, role, base = ctx.cfg.exclusions.by_latch, rec.role, rec.base.name
    for p in rec.occupied:
        held = st.latches.get((rec.die, p))
        if not held:
            continue
        for kind, entry in sorted(held.items()):
            if base in table.get(kind, ()):
                col.flag("latch", rec, f"{base} forbidden while {kind} is set on plane {p}", plane=p)
            if kind == READ_LATCH and _loses_read_data(rec, p):
                readers = [r.rec.uid for r in entry.readers]
                col.flag("latch", rec, f"{role.kind} starts on plane {p} holding read data of "
                         f"{readers} not yet output by a DOUT", plane=p)
                if not entry.flagged:
                    entry.flagged = True
                    for r in entry.readers:
                        col.flag("read_latch_dout", r.rec, f"plane {p} erased/programmed by op "
                                 f"{rec.uid} before its DOUT", plane=p)


def mark_latches(run: OpRun, st: SweepState, ctx: StartContext, col: Collector) -> None:
    """The one state change of the start rules, without the rules: a read
    latch lost by ``run`` is marked reported (as :func:`check_latch` does), so
    its reads are not reported again (a state-only pass, :func:`.check.carry_tables`)."""
    rec = run.rec
    for p in rec.occupied:
        held = st.latches.get((rec.die, p))
        entry = held.get(READ_LATCH) if held else None
        if entry is not None and _loses_read_data(rec, p):
            entry.flagged = True


def check_cache(rec: OpRecord, st: SweepState, ctx: StartContext, col: Collector) -> None:
    col.check("cache", rec=rec)
    table, role, base = ctx.cfg.exclusions.by_cache, rec.role, rec.base.name
    for entry in st.caches_on(rec.die, rec.occupied):
        if base in table.get(entry.state, ()):
            col.flag("cache", rec, f"{base} forbidden while {entry.state} (op {entry.uid}) is on")
        same_family = ((entry.enter_kind in ("read", "cache_read_end") and role.reads_address)
                       or (entry.enter_kind in ("program_final", "program_step")
                           and role.is_program))
        if same_family and rec.celltype != "NONE" and rec.celltype != entry.celltype:
            col.flag("cache", rec, f"{rec.celltype} op during {entry.state} entered as "
                     f"{entry.celltype} by op {entry.uid}")


class FrameIndex:
    """Suspend-state intervals ``[opened_at, closed_at)`` per (die, axis),
    sorted by opening, with a running maximum of the closings so a lookup at
    ``t`` walks back only over the intervals that may contain ``t``."""

    def __init__(self, frames):
        by: dict = {}
        for f in frames:
            by.setdefault((f.die, f.axis), []).append(f)
        self.lists: dict = {}
        for key, fs in by.items():
            fs.sort(key=lambda f: f.opened_at)
            ends, m = [], -1
            for f in fs:
                m = max(m, f.closed_at)
                ends.append(m)
            self.lists[key] = (fs, [f.opened_at for f in fs], ends)

    def on(self, die: int, axis: str, t: int, skip_uid=None) -> bool:
        got = self.lists.get((die, axis))
        if got is None:
            return False
        fs, opened, maxclosed = got
        i = bisect_right(opened, t) - 1
        while i >= 0 and maxclosed[i] > t:
            f = fs[i]
            if f.closed_at > t and f.opened_by != skip_uid:
                return True
            i -= 1
        return False


def suspend_states(die: int, t: int, frames, skip_uid=None) -> list:
    """Names of the die's suspend states at ``t`` (one per axis); ``frames``
    is a :class:`FrameIndex` (or a list of frames)."""
    index = frames if isinstance(frames, FrameIndex) else FrameIndex(frames)
    return [f"{axis}_SUSPENDED" if index.on(die, axis, t, skip_uid) else f"NOT_{axis}_SUSPENDED"
            for axis in AXES]


def check_suspend_state(rec: OpRecord, ctx: StartContext, col: Collector) -> None:
    col.check("suspend_state", rec=rec)
    for axis, on, name in ctx.suspend_rules(rec.base.name):
        if ctx.frames.on(rec.die, axis, rec.start, rec.uid) == on:
            col.flag("suspend_state", rec, f"{rec.base.name} forbidden in {name} on die {rec.die}")


def check_odt(rec: OpRecord, st: SweepState, ctx: StartContext, col: Collector) -> None:
    col.check("odt", rec=rec)
    odt = st.odt
    if odt is None or odt[1] == rec.uid:
        return
    if rec.base.name in ctx.cfg.exclusions.by_odt.get("ODT_DISABLE", ()):
        col.flag("odt", rec, f"{rec.base.name} forbidden while ODT is disabled (since op {odt[1]})")
