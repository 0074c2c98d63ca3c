"""What reserving an op does to the resources, recorded so it can be undone.

``apply`` performs every effect of an op and records one :class:`Effect` per
change in ``op.effects``; ``unapply`` undoes them newest-first; ``reapply``
redoes saved effects (rollback of a removal); :func:`.suspend.cut` asks each
effect to ``cut`` itself at a time ``t``. Effects are keyed by the op's uid, so
removal stays correct after an op was cut (suspend) or extended (resume).
The rules behind each effect are numbered as in ``docs/semantics.md``
("Derived resources"); ``docs/rules.md`` maps them to code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config.units import LATCH_ON_READ, ODT_DISABLE
from .lanes import CacheTag, DieEntry, LatchData, StateEntry, StateIntervals

if TYPE_CHECKING:
    from ..core.ops import Op
    from .manager import ResourceManager, SpecInfo
    from .txn import Txn


class Effect:
    """One change an op made. ``undo`` / ``redo`` reverse and repeat it;
    ``cut`` stops it at ``t`` (suspend, RESET), logging its inverse in ``txn``."""

    __slots__ = ()

    def undo(self, rm: ResourceManager, op: Op) -> None:
        raise NotImplementedError

    def redo(self, rm: ResourceManager, op: Op) -> None:
        raise NotImplementedError

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        """Default: nothing to cut (the effect is about the op, not a time range)."""


@dataclass(slots=True)
class BusEffect(Effect):
    """The op's bus states (rule 4): ``pieces`` are ``(start, end)`` pairs."""

    pieces: tuple[tuple[int, int], ...]

    def undo(self, rm: ResourceManager, op: Op) -> None:
        for s, _e in self.pieces[::-1]:
            rm.bus.remove(s, op.uid)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        for s, e in self.pieces:
            rm.bus.add(s, e, op.uid)

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        for s, e in self.pieces:  # a bus piece that began before t stays whole
            if s >= t:
                rm.bus.remove(s, op.uid)
                txn.log(rm.bus.add, s, e, op.uid)


@dataclass(slots=True)
class LaneEffect(Effect):
    """The op's occupation of its planes (rule 5): one record for all planes."""

    planes: tuple[int, ...]
    start: int
    end: int

    def undo(self, rm: ResourceManager, op: Op) -> None:
        for pi in self.planes[::-1]:
            rm.lanes[pi].remove(self.start, op.uid)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        for pi in self.planes:
            rm.lanes[pi].add(self.start, self.end, op.uid)

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        s, e = self.start, self.end
        for pi in self.planes:
            lane = rm.lanes[pi]
            if s >= t:
                lane.remove(s, op.uid)
                txn.log(lane.add, s, e, op.uid)
            elif e > t:
                lane.set_end(s, op.uid, t)
                txn.log(lane.set_end, s, op.uid, e)


@dataclass(slots=True)
class DieEffect(Effect):
    """The op's hold on its die (rule 6)."""

    entry: DieEntry

    def undo(self, rm: ResourceManager, op: Op) -> None:
        rm.diel[op.die].remove(self.entry)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        rm.diel[op.die].add(self.entry)

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        entry, dl = self.entry, rm.diel[op.die]
        if entry.start >= t:
            dl.remove(entry)
            txn.log(dl.add, entry)
        elif entry.end > t:
            txn.log(_set_die_end, entry, entry.end)
            entry.end = t


def _set_die_end(entry: DieEntry, end: int) -> None:
    entry.end = end


@dataclass(slots=True)
class SegEffect(Effect):
    """The op's op-state segments from ``start`` on its planes (timeline)."""

    planes: tuple[int, ...]
    start: int

    def undo(self, rm: ResourceManager, op: Op) -> None:
        for pi in self.planes[::-1]:
            rm.tl[pi].remove_uid(op.uid, after=self.start)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        segs = tuple(s for s in op.segs if s[1] >= self.start)
        info: SpecInfo = op.info
        kinds = info.kinds
        for pi in self.planes:
            rm.tl[pi].insert(op.uid, segs, kinds)


@dataclass(slots=True)
class OpenEffect(Effect):
    """The op opened a state (latch, cache, suspend, ODT)."""

    si: StateIntervals
    entry: StateEntry

    def undo(self, rm: ResourceManager, op: Op) -> None:
        self.si.remove(self.entry)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        self.si.add(self.entry)

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        if self.entry.start >= t:
            self.si.remove(self.entry)
            txn.log(self.si.add, self.entry)


@dataclass(slots=True)
class CloseEffect(Effect):
    """The op closed an open state at ``end``; ``old_*`` is what it replaced."""

    entry: StateEntry
    old_end: int
    old_closer: int | None
    end: int
    closer: int | None

    def undo(self, rm: ResourceManager, op: Op) -> None:
        self.entry.end, self.entry.closer = self.old_end, self.old_closer

    def redo(self, rm: ResourceManager, op: Op) -> None:
        self.entry.end, self.entry.closer = self.end, self.closer

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        if self.end >= t:
            self.undo(rm, op)
            txn.log(self.redo, rm, op)


class _AddrEffect(Effect):
    """The op's pending address effect (semantics: address state)."""

    __slots__ = ()

    def undo(self, rm: ResourceManager, op: Op) -> None:
        rm.am.drop_effect(op)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        rm.am.reserve_effect(op)

    def cut(self, rm: ResourceManager, txn: Txn, op: Op, t: int, keep_addr: bool) -> None:
        if not keep_addr:
            rm.am.drop_effect(op)
            txn.log(rm.am.reserve_effect, op)


class _OngoingEffect(Effect):
    """The op is an erase/program that a suspend may act on."""

    __slots__ = ()

    def undo(self, rm: ResourceManager, op: Op) -> None:
        rm.ongoing[op.die].pop(op.uid, None)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        rm.ongoing[op.die][op.uid] = op


class _ReservedEffect(Effect):
    """The op is reserved and not yet ended."""

    __slots__ = ()

    def undo(self, rm: ResourceManager, op: Op) -> None:
        rm.reserved.pop(op.uid, None)

    def redo(self, rm: ResourceManager, op: Op) -> None:
        rm.reserved[op.uid] = op


ADDR, ONGOING, RESERVED = _AddrEffect(), _OngoingEffect(), _ReservedEffect()


def apply(rm: ResourceManager, op: Op, with_addr: bool = True) -> None:
    """Reserve everything ``op`` needs; ``with_addr=False`` for a resumed
    remainder, whose address effect is still pending from its first piece."""
    info: SpecInfo = op.info
    uid, role = op.uid, op.role
    eff = op.effects
    pieces = [(s, e) for _name, s, e, bus in op.segs if bus and e > s]
    if pieces:
        for s, e in pieces:
            rm.bus.add(s, e, uid)
        eff.append(BusEffect(tuple(pieces)))
    rp = op.res_planes
    if not info.instant or info.affect:
        start, end = op.start, op.end
        for pi in rp:
            rm.lanes[pi].add(start, end, uid)
        eff.append(LaneEffect(rp, start, end))
    if not info.instant:
        entry = DieEntry(op.start, op.end, info.multi, info.ss_ok, uid)
        rm.diel[op.die].add(entry)
        eff.append(DieEffect(entry))
    if info.affect:
        segs, kinds, tl = op.segs, info.kinds, rm.tl
        for pi in rp:
            tl[pi].insert(uid, segs, kinds)
        eff.append(SegEffect(rp, op.start))
    if role.sets_latch or role.releases_latches or role.consumes_read_latch:
        _latches(rm, op, eff)
    if role.cache_enter or role.cache_exit:
        _cache(rm, op, eff)
    if role.kind in ("odt_disable", "odt_enable"):
        _odt(rm, op, eff)
    if with_addr and rm.am.reserve_effect(op):
        eff.append(ADDR)
    if role.axis and (role.kind == "erase" or role.is_program):
        rm.ongoing[op.die][uid] = op
        eff.append(ONGOING)
    rm.reserved[uid] = op
    eff.append(RESERVED)


def open_state(si: StateIntervals, name: str, t: int, op: Op, eff: list[Effect],
               extra: LatchData | CacheTag | None = None) -> None:
    """Open ``name`` at ``t`` unless it is already open (a state is not set twice)."""
    if si.open_entry(name) is None:
        eff.append(OpenEffect(si, si.open(name, t, op.uid, extra)))


def close_state(si: StateIntervals, name: str, t: int, op: Op, eff: list[Effect]) -> None:
    """Close the open ``name`` at ``t`` (if it opened at or before ``t``)."""
    x = si.open_entry(name)
    if x is not None and x.start <= t:
        eff.append(CloseEffect(x, x.end, x.closer, t, op.uid))
        x.end, x.closer = t, op.uid


def _planes(rm: ResourceManager, op: Op, scope: str) -> tuple[int, ...]:
    if scope == "die":
        return rm.die_planes[op.die]
    if len(op.planes) == 1:
        return (op.die * rm.planes + op.planes[0],)
    return tuple(op.die * rm.planes + p for p in op.planes)


def _latches(rm: ResourceManager, op: Op, eff: list[Effect]) -> None:
    """Latches (semantics: derived resources; rule 8)."""
    role, t = op.role, op.end
    for pi in _planes(rm, op, role.latch_scope):
        for kind in role.releases_latches:
            close_state(rm.latch[pi], kind, t, op, eff)
    if role.consumes_read_latch:
        for pi in _planes(rm, op, "targets"):
            close_state(rm.latch[pi], LATCH_ON_READ, t, op, eff)
    if role.sets_latch:
        for pi in _planes(rm, op, role.latch_scope):
            open_state(rm.latch[pi], role.sets_latch, t, op, eff, _latch_extra(rm, op, pi))


def _latch_extra(rm: ResourceManager, op: Op, pi: int) -> LatchData:
    plane = pi % rm.planes
    block = None
    if op.blocks and plane in op.planes:
        block = op.blocks[op.planes.index(plane)]
    return LatchData(block, op.page, op.celltype)


def _cache(rm: ResourceManager, op: Op, eff: list[Effect]) -> None:
    """Cache states (semantics: derived resources; rule 9)."""
    role = op.role
    targets = [rm.cache_p[pi] for pi in _planes(rm, op, "targets")]
    if role.cache_enter:
        family = "read" if role.reads_address else "program"
        sis = [rm.cache_d[op.die]] if role.cache_scope == "die" else targets
        for si in sis:
            open_state(si, role.cache_enter, op.start, op, eff, CacheTag(op.celltype, family))
    for name in role.cache_exit:
        for si in targets + [rm.cache_d[op.die]]:
            close_state(si, name, op.end, op, eff)


def _odt(rm: ResourceManager, op: Op, eff: list[Effect]) -> None:
    """ODT (semantics: derived resources; rule 11)."""
    if op.role.kind == "odt_disable":
        open_state(rm.odt, ODT_DISABLE, op.start, op, eff)
    else:
        close_state(rm.odt, ODT_DISABLE, op.end, op, eff)


def unapply(rm: ResourceManager, op: Op) -> None:
    for item in op.effects[::-1]:
        item.undo(rm, op)
    op.effects = []


def reapply(rm: ResourceManager, op: Op, saved: list[Effect]) -> None:
    for item in saved:
        item.redo(rm, op)
    op.effects = list(saved)
