"""What reserving an op does to the resources, recorded so it can be undone.

``apply`` performs every effect of an op and records it in ``op.effects``;
``unapply`` reverses them newest-first; ``reapply`` puts saved effects back
(rollback of a removal). Effects are keyed by the op's uid, so removal stays
correct after an op was cut (suspend) or extended (resume).
"""
from __future__ import annotations

from ..config.units import LATCH_ON_READ, ODT_DISABLE


def apply(rm, op, with_addr: bool = True) -> None:
    """Reserve everything ``op`` needs; ``with_addr=False`` for a resumed
    remainder, whose address effect is still pending from its first piece."""
    info, uid, role = op.info, op.uid, op.role
    eff = op.effects
    for _name, s, e, bus in op.segs:
        if bus and e > s:
            rm.bus.add(s, e, uid)
            eff.append(("bus", s, e))
    rp = op.res_planes
    if not info.instant or info.affect:
        for pi in rp:
            rm.lanes[pi].add(op.start, op.end, uid)
            eff.append(("lane", pi, op.start, op.end))
    if not info.instant:
        entry = [op.start, op.end, info.multi, info.ss_ok, uid]
        rm.diel[op.die].add(entry)
        eff.append(("die", entry))
    if info.affect:
        for pi in rp:
            rm.tl[pi].insert(uid, op.spec.base.name, op.spec.name, op.segs, info.key_of,
                             info.end_key)
            eff.append(("seg", pi, op.start))
    if role.sets_latch or role.releases_latches or role.consumes_read_latch:
        _latches(rm, op, eff)
    if role.cache_enter or role.cache_exit:
        _cache(rm, op, eff)
    if role.kind in ("odt_disable", "odt_enable"):
        _odt(rm, op, eff)
    if with_addr and rm.am.reserve_effect(op):
        eff.append(("addr",))
    if role.axis and (role.kind == "erase" or role.is_program):
        rm.ongoing[op.die][uid] = op
        eff.append(("ongoing",))
    rm.reserved[uid] = op
    eff.append(("reserved",))


def _open(si, name, t, op, eff, extra=None) -> None:
    if si.open_entry(name) is None:
        entry = si.open(name, t, op.uid, extra)
        eff.append(("si_open", si, entry))


def _close(si, name, t, op, eff) -> None:
    x = si.open_entry(name)
    if x is not None and x[1] <= t:
        old_end, old_closer = x[2], x[4]
        x[2], x[4] = t, op.uid
        eff.append(("si_close", x, old_end, old_closer, t, op.uid))


def _planes(rm, op, scope: str) -> tuple:
    if scope == "die":
        return rm.die_planes[op.die]
    if len(op.planes) == 1:
        return (op.die * rm.planes + op.planes[0],)
    return tuple(op.die * rm.planes + p for p in op.planes)


def _latches(rm, op, eff) -> None:
    role, t = op.role, op.end
    for pi in _planes(rm, op, role.latch_scope):
        for kind in role.releases_latches:
            _close(rm.latch[pi], kind, t, op, eff)
    if role.consumes_read_latch:
        for pi in _planes(rm, op, "targets"):
            _close(rm.latch[pi], LATCH_ON_READ, t, op, eff)
    if role.sets_latch:
        for pi in _planes(rm, op, role.latch_scope):
            _open(rm.latch[pi], role.sets_latch, t, op, eff, _latch_extra(rm, op, pi))


def _latch_extra(rm, op, pi):
    """What a later standalone DOUT needs to name: (block, page, celltype)."""
    plane = pi % rm.planes
    block = None
    if op.blocks and plane in op.planes:
        block = op.blocks[op.planes.index(plane)]
    return (block, op.page, op.celltype)


def _cache(rm, op, eff) -> None:
    role = op.role
    targets = [rm.cache_p[pi] for pi in _planes(rm, op, "targets")]
    if role.cache_enter:
        family = "read" if role.reads_address else "program"
        sis = [rm.cache_d[op.die]] if role.cache_scope == "die" else targets
        for si in sis:
            _open(si, role.cache_enter, op.start, op, eff, (op.celltype, family))
    for name in role.cache_exit:
        for si in targets + [rm.cache_d[op.die]]:
            _close(si, name, op.end, op, eff)


def _odt(rm, op, eff) -> None:
    if op.role.kind == "odt_disable":
        _open(rm.odt, ODT_DISABLE, op.start, op, eff)
    else:
        _close(rm.odt, ODT_DISABLE, op.end, op, eff)


def unapply(rm, op) -> None:
    uid = op.uid
    for item in reversed(op.effects):
        kind = item[0]
        if kind == "bus":
            rm.bus.remove(item[1], uid)
        elif kind == "lane":
            rm.lanes[item[1]].remove(item[2], uid)
        elif kind == "die":
            rm.diel[op.die].remove(item[1])
        elif kind == "seg":
            rm.tl[item[1]].remove_uid(uid, after=item[2])
        elif kind == "si_open":
            item[1].remove(item[2])
        elif kind == "si_close":
            item[1][2], item[1][4] = item[2], item[3]
        elif kind == "addr":
            rm.am.drop_effect(op)
        elif kind == "ongoing":
            rm.ongoing[op.die].pop(uid, None)
        elif kind == "reserved":
            rm.reserved.pop(uid, None)
    op.effects = []


def reapply(rm, op, saved: list) -> None:
    uid = op.uid
    for item in saved:
        kind = item[0]
        if kind == "bus":
            rm.bus.add(item[1], item[2], uid)
        elif kind == "lane":
            rm.lanes[item[1]].add(item[2], item[3], uid)
        elif kind == "die":
            rm.diel[op.die].add(item[1])
        elif kind == "seg":
            segs = tuple(s for s in op.segs if s[1] >= item[2])
            rm.tl[item[1]].insert(uid, op.spec.base.name, op.spec.name, segs, op.info.key_of,
                                  op.info.end_key)
        elif kind == "si_open":
            item[1].entries.append(item[2])
        elif kind == "si_close":
            item[1][2], item[1][4] = item[4], item[5]
        elif kind == "addr":
            rm.am.reserve_effect(op)
        elif kind == "ongoing":
            rm.ongoing[op.die][uid] = op
        elif kind == "reserved":
            rm.reserved[uid] = op
    op.effects = list(saved)
