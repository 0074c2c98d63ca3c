"""Suspend, resume and RESET (``docs/engine.md`` §6-§7; ``docs/semantics.md``
rules 10, 12 and 16).

All three act on already-reserved ops inside the committing transaction, and
log exact inverses, so a batch that fails later (for example a RESUME whose
remainder cannot be placed) rolls back cleanly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from ..config.units import CORE_BUSY
from . import effects
from .txn import Piece, ResetDone, Resumed, Unpiece

if TYPE_CHECKING:
    from ..core.ops import Op
    from .lanes import StateEntry
    from .manager import ResourceManager, SpecInfo
    from .txn import Txn


class StatePart(NamedTuple):
    """What is left of one state of a suspended op."""

    name: str
    ticks: int
    bus: bool


class Suspended(NamedTuple):
    """A suspended op and the states it still has to run."""

    op: Op
    remaining: tuple[StatePart, ...]


@dataclass(slots=True)
class SuspendFrame:
    """One level of a die's suspend stack (semantics: suspend / resume)."""

    axis: str
    items: list[Suspended] = field(default_factory=list)


def _log_set(txn: Txn, obj: object, attr: str, value: object) -> None:
    old = getattr(obj, attr)
    setattr(obj, attr, value)
    txn.log(setattr, obj, attr, old)


def cut(rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
    """Stop ``op`` at ``t``: truncate its reservations, drop its end effects,
    and (unless ``keep_addr``) its address effect. ``op`` leaves the reserved
    and ongoing sets."""
    uid = op.uid
    for pi in op.res_planes:
        tl = rm.tl[pi]
        rows = tl.remove_uid(uid, after=t)
        if rows:
            txn.log(tl.restore, rows)
        old = tl.truncate(uid, t)
        if old:
            txn.log(tl.set_end, uid, old[0], old[1])
    for item in op.effects:
        item.cut(rm, txn, op, t, keep_addr)
    rm.reserved.pop(uid, None)
    txn.log(rm.reserved.__setitem__, uid, op)
    if rm.ongoing[op.die].pop(uid, None) is not None:
        txn.log(rm.ongoing[op.die].__setitem__, uid, op)
    had_addr = any(e is effects.ADDR for e in op.effects)
    _log_set(txn, op, "effects", [effects.ADDR] if keep_addr and had_addr else [])
    _log_set(txn, op, "segs", tuple((n, s, min(e, t), b) for n, s, e, b in op.segs if s < t))
    _log_set(txn, op, "end", t)


def remaining_states(op: Op, t: int) -> tuple[StatePart, ...]:
    """The :class:`StatePart` records left of ``op`` at ``t`` (t inside a segment)."""
    out = []
    for name, s, e, bus in op.segs:
        if e <= t:
            continue
        out.append(StatePart(name, e - max(s, t), bus))
    return tuple(out)


def suspend(rm: ResourceManager, txn: Txn, sop: Op, t: int) -> str | None:
    """Suspend the ongoing ops of ``sop``'s axis on its die at ``t``.

    -> None on success, else a rollback reason. Moves later same-axis ops of
    that die to ``txn.backlogged``.
    """
    axis, d = sop.role.axis, sop.die
    stack = rm.stack[d]
    if axis is None:  # a suspend role without an axis suspends nothing
        return "suspend"
    if any(f.axis == axis for f in stack) or (axis == "ERASE"
                                               and any(f.axis == "PROGRAM" for f in stack)):
        return "suspend"
    victims = [o for o in rm.ongoing[d].values()
               if o.role.axis == axis and _in_core_busy(o, t)]
    if not victims:
        return "suspend"
    items: list[Suspended] = []
    for o in sorted(victims, key=lambda x: x.uid):
        rem = remaining_states(o, t)
        txn.after.append(Piece(o, o.start, t, o.source))
        cut(rm, txn, o, t, keep_addr=True)
        rm.am.hold(o)
        txn.log(rm.am.release, o)
        items.append(Suspended(o, rem))
        txn.suspended.append(o)
    later = sorted((o for o in rm.reserved.values()
                    if o.die == d and o.start >= t and o.role.axis == axis
                    and (o.role.kind == "erase" or o.role.is_program)), key=lambda o: (o.start, o.uid))
    for o in later:
        rm.remove_op(txn, o)
        txn.backlogged.append(o)
    stack.append(SuspendFrame(axis, items))
    txn.log(stack.pop)
    return _block_conflicts(rm, d, t, [o for o, _ in items] + later)


def _in_core_busy(op: Op, t: int) -> bool:
    return any(n == CORE_BUSY and s <= t < e for n, s, e, _b in op.segs)


def _block_conflicts(rm: ResourceManager, d: int, t: int, moved: list[Op]) -> str | None:
    """A reserved future op may not use a block whose program/erase moved away."""
    blocks = {b for o in moved for b in (o.blocks or ())}
    for o in rm.reserved.values():
        if o.die == d and o.start >= t and o.blocks and blocks.intersection(o.blocks):
            return "suspend"
    return None


def open_suspend_state(rm: ResourceManager, txn: Txn, sop: Op, t: int) -> None:
    si = rm.susp[sop.die]
    entry = si.open(f"{sop.role.axis}_SUSPENDED", t, sop.uid)
    sop.effects.append(effects.OpenEffect(si, entry))


def resume(rm: ResourceManager, txn: Txn, rop: Op) -> str | None:
    """After ``rop`` (an *_RESUME) is reserved: re-reserve the suspended ops of
    its axis right after it ends. -> None or a rollback reason."""
    axis, d = rop.role.axis, rop.die
    stack = rm.stack[d]
    if not stack or stack[-1].axis != axis:
        return "suspend"
    frame = stack.pop()
    txn.log(stack.append, frame)
    entry = rm.susp[d].open_entry(f"{axis}_SUSPENDED")
    if entry is not None:
        rop.effects.append(effects.CloseEffect(entry, entry.end, entry.closer, rop.end, rop.uid))
        entry.end, entry.closer = rop.end, rop.uid
    for o, rem in frame.items:
        bad = _place_remainder(rm, txn, o, rem, rop.end)
        if bad:
            return bad
        txn.after.append(Resumed(o))
    return None


def _place_remainder(rm: ResourceManager, txn: Txn, o: Op, rem: tuple[StatePart, ...],
                     t: int) -> str | None:
    saved = (o.start, o.segs, o.end, o.source, o.resumed)
    txn.log(_restore_layout, o, saved)
    o.place_states(t, rem)
    o.source, o.resumed = "resume", True
    if rm.bus.earliest_fit(t, tuple((s - t, e - s) for _n, s, e, b in o.segs if b)) != t:
        return "bus"
    if any(rm.lanes[pi].conflict_end(o.start, o.end) for pi in o.res_planes):
        return "planescope"
    info: SpecInfo = o.info
    if rm.diel[o.die].conflict_end(o.start, o.end, info.multi, info.ss_ok):
        return "exclusion_multi"
    saved_eff = list(o.effects)
    effects.apply(rm, o, with_addr=False)
    txn.log(_unapply_remainder, rm, o, saved_eff)
    rm.am.release(o)
    txn.log(rm.am.hold, o)
    return None


def _restore_layout(o: Op, saved: tuple) -> None:
    o.start, o.segs, o.end, o.source, o.resumed = saved


def _unapply_remainder(rm: ResourceManager, o: Op, saved_eff: list) -> None:
    effects.unapply(rm, o)
    o.effects = saved_eff


def reset(rm: ResourceManager, txn: Txn, rop: Op, t: int) -> None:
    """RESET / RESET_LUN at ``t``: drop everything after it on the affected
    dies, abort what is in flight, clear suspended ops and states."""
    dies = range(rm.dies) if rop.role.reset_scope == "all" else (rop.die,)
    for d in dies:
        for o in sorted((o for o in rm.reserved.values() if o.die == d), key=lambda o: o.uid):
            if o.start >= t:
                rm.remove_op(txn, o)
                txn.dropped.append(o)
                if o.resumed:  # a remainder: the op had issued and is aborted
                    _mark(rm, txn, rop, o)
                if o.role.kind == "reset":  # a later RESET that never comes
                    removed = rm.am.unmark(o.uid)
                    txn.log(rm.am.remark, o.uid, removed)
            elif o.end > t:
                txn.after.append(Piece(o, o.start, t, o.source))
                cut(rm, txn, o, t, keep_addr=False)
                txn.cut.append(o)
                _mark(rm, txn, rop, o)
        _drop_suspended(rm, txn, d, t, rop)
        _close_states(rm, txn, d, t)
    txn.after.append(ResetDone(tuple(dies), t))


def _mark(rm: ResourceManager, txn: Txn, rop: Op, o: Op) -> None:
    """Rule 16: an erase or program aborted by ``rop`` marks its blocks."""
    keys = rm.am.mark_aborted(rop.uid, o)
    if keys:
        txn.log(rm.am.unmark, rop.uid, keys)


def _drop_suspended(rm: ResourceManager, txn: Txn, d: int, t: int, rop: Op) -> None:
    stack = rm.stack[d]
    for frame in stack:
        for o, _rem in frame.items:
            rm.am.drop_effect(o)
            txn.log(rm.am.reserve_effect, o)
            rm.am.release(o)
            txn.log(rm.am.hold, o)
            if o.start >= t:  # suspended ahead of its start: it never issues
                txn.dropped.append(o)
                txn.after.append(Unpiece(o))
            else:  # it issued: dropping it aborts it
                _mark(rm, txn, rop, o)
            # else its OP_START (before this reset) stands; its OP_END went at the suspend
    if stack:
        frames = list(stack)
        stack.clear()
        txn.log(stack.extend, frames)


def _close_states(rm: ResourceManager, txn: Txn, d: int, t: int) -> None:
    P = rm.planes
    sis = [rm.latch[pi] for pi in range(d * P, d * P + P)]
    sis += [rm.cache_p[pi] for pi in range(d * P, d * P + P)] + [rm.cache_d[d], rm.susp[d]]
    for si in sis:
        for entry in list(si.entries):
            if entry.start >= t:
                si.remove(entry)
                txn.log(si.add, entry)
            elif entry.end > t:
                txn.log(_reclose, entry, entry.end, entry.closer)
                entry.end, entry.closer = t, None


def _reclose(entry: StateEntry, end: int, closer: int | None) -> None:
    entry.end, entry.closer = end, closer
