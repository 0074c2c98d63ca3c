"""Suspend, resume and RESET (SPEC 4 and 5.5; seeds 002 and 004).

All three act on already-reserved ops inside the committing transaction, and
log exact inverses, so a batch that fails later (for example a RESUME whose
remainder cannot be placed) rolls back cleanly.
"""
from __future__ import annotations

from . import effects

CORE_BUSY = "CORE_BUSY"


def _log_set(txn, obj, attr, value) -> None:
    old = getattr(obj, attr)
    setattr(obj, attr, value)
    txn.log(setattr, obj, attr, old)


def cut(rm, txn, op, t: int, keep_addr: bool) -> None:
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
        _cut_effect(rm, txn, op, item, t, keep_addr)
    rm.reserved.pop(uid, None)
    txn.log(rm.reserved.__setitem__, uid, op)
    if rm.ongoing[op.die].pop(uid, None) is not None:
        txn.log(rm.ongoing[op.die].__setitem__, uid, op)
    _log_set(txn, op, "effects", [("addr",)] if keep_addr and ("addr",) in op.effects else [])
    _log_set(txn, op, "segs", tuple((n, s, min(e, t), b) for n, s, e, b in op.segs if s < t))
    _log_set(txn, op, "end", t)


def _cut_effect(rm, txn, op, item, t, keep_addr) -> None:
    """Apply the cut to one recorded effect, logging its inverse."""
    kind, uid = item[0], op.uid
    if kind == "bus" and item[1] >= t:
        rm.bus.remove(item[1], uid)
        txn.log(rm.bus.add, item[1], item[2], uid)
    elif kind == "lane":
        lane, s, e = rm.lanes[item[1]], item[2], item[3]
        if s >= t:
            lane.remove(s, uid)
            txn.log(lane.add, s, e, uid)
        elif e > t:
            lane.set_end(s, uid, t)
            txn.log(lane.set_end, s, uid, e)
    elif kind == "die":
        entry, dl = item[1], rm.diel[op.die]
        if entry[0] >= t:
            dl.remove(entry)
            txn.log(dl.add, entry)
        elif entry[1] > t:
            txn.log(entry.__setitem__, 1, entry[1])
            entry[1] = t
    elif kind == "si_open" and item[2][1] >= t:
        item[1].remove(item[2])
        txn.log(item[1].entries.append, item[2])
    elif kind == "si_close" and item[4] >= t:
        entry = item[1]
        entry[2], entry[4] = item[2], item[3]
        txn.log(_reclose, entry, item[4], item[5])
    elif kind == "addr" and not keep_addr:
        rm.am.drop_effect(op)
        txn.log(rm.am.reserve_effect, op)


def _reclose(entry, end, closer) -> None:
    entry[2], entry[4] = end, closer


def remaining_states(op, t: int) -> tuple:
    """``(state, ticks, bus)`` left of ``op`` at ``t`` (t inside a segment)."""
    out = []
    for name, s, e, bus in op.segs:
        if e <= t:
            continue
        out.append((name, e - max(s, t), bus))
    return tuple(out)


def suspend(rm, txn, sop, t: int):
    """Suspend the ongoing ops of ``sop``'s axis on its die at ``t``.

    -> None on success, else a rollback reason. Moves later same-axis ops of
    that die to ``txn.backlogged``.
    """
    axis, d = sop.role.axis, sop.die
    stack = rm.stack[d]
    if any(a == axis for a, _ in stack) or (axis == "ERASE" and any(a == "PROGRAM" for a, _ in stack)):
        return "suspend"
    victims = [o for o in rm.ongoing[d].values()
               if o.role.axis == axis and _in_core_busy(o, t)]
    if not victims:
        return "suspend"
    items = []
    for o in sorted(victims, key=lambda x: x.uid):
        rem = remaining_states(o, t)
        txn.after.append(("piece", o, o.start, t, o.source))
        cut(rm, txn, o, t, keep_addr=True)
        rm.am.hold(o)
        txn.log(rm.am.release, o)
        items.append((o, rem))
        txn.suspended.append(o)
    later = sorted((o for o in rm.reserved.values()
                    if o.die == d and o.start >= t and o.role.axis == axis
                    and (o.role.kind == "erase" or o.role.is_program)), key=lambda o: (o.start, o.uid))
    for o in later:
        rm.remove_op(txn, o)
        txn.backlogged.append(o)
    stack.append([axis, items])
    txn.log(stack.pop)
    return _block_conflicts(rm, d, t, [o for o, _ in items] + later)


def _in_core_busy(op, t: int) -> bool:
    return any(n == CORE_BUSY and s <= t < e for n, s, e, _b in op.segs)


def _block_conflicts(rm, d, t, moved):
    """A reserved future op may not use a block whose program/erase moved away."""
    blocks = {b for o in moved for b in (o.blocks or ())}
    for o in rm.reserved.values():
        if o.die == d and o.start >= t and o.blocks and blocks.intersection(o.blocks):
            return "suspend"
    return None


def open_suspend_state(rm, txn, sop, t: int) -> None:
    si = rm.susp[sop.die]
    entry = si.open(f"{sop.role.axis}_SUSPENDED", t, sop.uid)
    sop.effects.append(("si_open", si, entry))


def resume(rm, txn, rop):
    """After ``rop`` (an *_RESUME) is reserved: re-reserve the suspended ops of
    its axis right after it ends. -> None or a rollback reason."""
    axis, d = rop.role.axis, rop.die
    stack = rm.stack[d]
    if not stack or stack[-1][0] != axis:
        return "suspend"
    frame = stack.pop()
    txn.log(stack.append, frame)
    entry = rm.susp[d].open_entry(f"{axis}_SUSPENDED")
    if entry is not None:
        old = (entry[2], entry[4])
        entry[2], entry[4] = rop.end, rop.uid
        rop.effects.append(("si_close", entry, old[0], old[1], rop.end, rop.uid))
    for o, rem in frame[1]:
        bad = _place_remainder(rm, txn, o, rem, rop.end)
        if bad:
            return bad
        txn.after.append(("resumed", o))
    return None


def _place_remainder(rm, txn, o, rem, t):
    saved = (o.start, o.segs, o.end, o.source, o.resumed)
    txn.log(_restore_layout, o, saved)
    o.place_states(t, rem)
    o.source, o.resumed = "resume", True
    if rm.bus.earliest_fit(t, tuple((s - t, e - s) for _n, s, e, b in o.segs if b)) != t:
        return "bus"
    if any(rm.lanes[pi].conflict_end(o.start, o.end) for pi in o.res_planes):
        return "planescope"
    if rm.diel[o.die].conflict_end(o.start, o.end, o.info.multi, o.info.ss_ok):
        return "exclusion_multi"
    saved_eff = list(o.effects)
    effects.apply(rm, o, with_addr=False)
    txn.log(_unapply_remainder, rm, o, saved_eff)
    rm.am.release(o)
    txn.log(rm.am.hold, o)
    return None


def _restore_layout(o, saved) -> None:
    o.start, o.segs, o.end, o.source, o.resumed = saved


def _unapply_remainder(rm, o, saved_eff) -> None:
    effects.unapply(rm, o)
    o.effects = saved_eff


def reset(rm, txn, rop, t: int) -> None:
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
                txn.after.append(("piece", o, o.start, t, o.source))
                cut(rm, txn, o, t, keep_addr=False)
                txn.cut.append(o)
                _mark(rm, txn, rop, o)
        _drop_suspended(rm, txn, d, t, rop)
        _close_states(rm, txn, d, t)
    txn.after.append(("reset", tuple(dies), t))


def _mark(rm, txn, rop, o) -> None:
    """Rule 16: an erase or program aborted by ``rop`` marks its blocks."""
    keys = rm.am.mark_aborted(rop.uid, o)
    if keys:
        txn.log(rm.am.unmark, rop.uid, keys)


def _drop_suspended(rm, txn, d, t, rop) -> None:
    stack = rm.stack[d]
    for _axis, items in stack:
        for o, _rem in items:
            rm.am.drop_effect(o)
            txn.log(rm.am.reserve_effect, o)
            rm.am.release(o)
            txn.log(rm.am.hold, o)
            if o.start >= t:  # suspended ahead of its start: it never issues
                txn.dropped.append(o)
                txn.after.append(("unpiece", o))
            else:  # it issued: dropping it aborts it
                _mark(rm, txn, rop, o)
            # else its OP_START (before this reset) stands; its OP_END went at the suspend
    if stack:
        frames = list(stack)
        stack.clear()
        txn.log(stack.extend, frames)


def _close_states(rm, txn, d, t) -> None:
    P = rm.planes
    sis = [rm.latch[pi] for pi in range(d * P, d * P + P)]
    sis += [rm.cache_p[pi] for pi in range(d * P, d * P + P)] + [rm.cache_d[d], rm.susp[d]]
    for si in sis:
        for entry in list(si.entries):
            if entry[1] >= t:
                si.remove(entry)
                txn.log(si.entries.append, entry)
            elif entry[2] > t:
                txn.log(_reclose, entry, entry[2], entry[4])
                entry[2], entry[4] = t, None
