"""ResourceManager: every time-dependent resource of the package (``docs/engine.md`` §8;
rules 4-11 of ``docs/semantics.md``, mapped in ``docs/rules.md``).

Owns the IO bus, plane and die-multiplicity reservations, the op-state
timelines, latches, cache / suspend / ODT states and the ongoing and suspended
ops. Proposals reserve through a :class:`~.txn.Txn`; checks see everything
already reserved, including the batch's own earlier ops.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..address import AddressManager
from ..config.model import Config
from ..core.clock import Clock
from ..config.units import INF
from . import checks, effects
from . import suspend as suspend_mod
from .lanes import DieLane, Lane, StateIntervals
from .suspend import StatePart, Suspended, SuspendFrame
from .timeline import PlaneTimeline, seg_kinds
from .txn import Txn

if TYPE_CHECKING:
    from ..config.model import OpSpec
    from ..core.ops import Op


class SpecInfo:
    """Per-op-name lookup data computed once."""

    __slots__ = ("bit", "kinds", "bus", "ss_ok", "multi", "instant", "affect",
                 "die_wide", "ticks", "changes_state")

    def __init__(self, spec: OpSpec, ss_allowed: frozenset | set | tuple) -> None:
        base, role = spec.base, spec.base.role
        self.bit = 1 << base.index
        self.kinds = seg_kinds(spec)  # state name -> SegKind (timeline segments)
        off, bus = 0, []
        for s in spec.states:
            if s.bus:
                bus.append((off, s.ticks))
            off += s.ticks
        self.bus = tuple(bus)
        self.ticks = off
        self.ss_ok = base.name in ss_allowed
        self.multi = spec.multi
        self.instant = base.instant_resv
        self.affect = base.affect_state
        self.die_wide = base.scope == "DIE_WIDE"
        self.changes_state = (
            role.kind in ("suspend", "resume", "reset", "odt_disable", "odt_enable")
            or (role.cache_enter is not None and role.cache_scope == "die")
            or (role.sets_latch is not None and role.latch_scope == "die")
            or (self.instant and self.affect))


class ResourceManager:
    def __init__(self, cfg: Config, am: AddressManager, segment_sink: Callable | None = None,
                 clock: Clock | None = None) -> None:
        self.cfg, self.am = cfg, am
        self.clock = clock if clock is not None else Clock()  # read-only here
        D, P = cfg.topology.dies, cfg.topology.planes
        self.dies, self.planes = D, P
        self.die_planes = tuple(tuple(range(d * P, d * P + P)) for d in range(D))
        self.bus = Lane()
        self.lanes = [Lane() for _ in range(D * P)]
        self.diel = [DieLane() for _ in range(D)]
        self.tl = [PlaneTimeline() for _ in range(D * P)]
        self.latch = [StateIntervals() for _ in range(D * P)]
        self.cache_p = [StateIntervals() for _ in range(D * P)]
        self.cache_d = [StateIntervals() for _ in range(D)]
        self.susp = [StateIntervals() for _ in range(D)]
        self.odt = StateIntervals()
        self.ongoing: list[dict[int, Op]] = [dict() for _ in range(D)]  # uid -> op (erase/program axis ops)
        self.stack: list[list[SuspendFrame]] = [[] for _ in range(D)]  # per die, innermost last
        self.reserved: dict[int, Op] = {}  # uid -> op, every op reserved and not yet ended
        self.segment_sink: Callable = segment_sink or (lambda die, plane, row: None)
        self._suspended_out: list[Op] = []  # consume-once hand-over to the scheduler
        self._info: dict[str, SpecInfo] = {}
        self.ss_allowed = cfg.constraints.single_single_allowed
        self.masks = checks.build_masks(cfg)

    # ------------------------------------------------------------------ basics
    @property
    def now(self) -> int:
        """The scheduler's clock (read-only here)."""
        return self.clock.now

    def info(self, spec: OpSpec) -> SpecInfo:
        info = self._info.get(spec.name)
        if info is None:
            info = self._info[spec.name] = SpecInfo(spec, self.ss_allowed)
        return info

    def plane_index(self, die: int, plane: int) -> int:
        return die * self.planes + plane

    def res_planes(self, op: Op) -> tuple[int, ...]:
        """Plane indices an op occupies: the whole die when DIE_WIDE, else its targets."""
        info: SpecInfo = op.info  # typed local: native attribute reads (mypyc)
        if info.die_wide:
            return self.die_planes[op.die]
        base = op.die * self.planes
        return tuple(base + p for p in op.planes)

    def begin(self) -> Txn:
        return Txn()

    def phase_key_at(self, die: int, plane: int, t: int) -> str:
        return self.tl[die * self.planes + plane].phase_key_at(t)

    def proposal_forbidden(self, die: int, plane: int, t: int) -> int:
        """Bitmask of bases forbidden at (die, plane, t) by latch/cache/suspend/ODT."""
        return checks.dynamic_mask(self, die, die * self.planes + plane, t)

    # --------------------------------------------------------------- placement
    def earliest_start(self, op: Op, hint: int,
                       upper: int = INF) -> tuple[int | None, str | None, str | None]:
        """-> (start, None, None) or (None, reason, blocker).

        Moves forward from ``hint`` past every time-based conflict (bus, plane
        frontier, die multiplicity, states that end); fails with ``window`` when
        that passes ``upper``. An instant op only waits for the bus: if a state
        forbids it there, it is refused rather than pushed into a later state.
        """
        info: SpecInfo = op.info or self.info(op.spec)
        op.info = info
        op.res_planes = rp = self.res_planes(op)
        t: int = hint
        blocker: str | None = None
        if not info.instant:
            front = max(self.lanes[pi].frontier() for pi in rp)
            if front > t:
                t, blocker = front, "planescope"
        for _ in range(64):
            if t >= upper:
                return None, "window", blocker or "window"
            tb = self.bus.earliest_fit(t, info.bus)
            if tb != t:
                t, blocker = tb, "bus"
                continue
            c = self._overlap_end(op, info, rp, t)
            if c:
                t, blocker = c, ("planescope" if info.instant else "exclusion_multi")
                continue
            bad = checks.check_states(self, op, t)
            if bad is None:
                return t, None, None
            reason, retry = bad
            if retry >= INF or info.instant:  # an instant op goes now (bus permitting) or not
                return None, reason, reason
            t, blocker = retry, reason
        return None, blocker or "window", blocker

    def _overlap_end(self, op: Op, info: SpecInfo, rp: tuple[int, ...], t: int) -> int:
        if not info.instant:
            return self.diel[op.die].conflict_end(t, t + info.ticks, info.multi, info.ss_ok)
        if info.affect and op.role.kind not in ("suspend", "reset"):
            return max((self.lanes[pi].conflict_end(t, t + info.ticks) for pi in rp), default=0)
        return 0

    def reserve(self, txn: Txn, op: Op, start: int) -> None:
        """Reserve ``op`` at ``start`` inside ``txn`` (undone by rollback)."""
        op.place(start)
        effects.apply(self, op)
        txn.log(effects.unapply, self, op)
        txn.ops.append(op)
        if txn.first_start is None:
            txn.first_start = start
        info: SpecInfo = op.info
        if info.changes_state:
            txn.state_changing = True

    def place(self, txn: Txn, op: Op, start: int) -> str | None:
        """Reserve ``op`` at ``start``, running its suspend/resume/RESET action.

        -> None, or the rollback reason (the caller rolls the batch back).
        """
        kind = op.role.kind
        if kind == "suspend":
            bad = suspend_mod.suspend(self, txn, op, start)
            if bad:
                return bad
            suspend_mod.open_suspend_state(self, txn, op, start)
        elif kind == "reset":
            suspend_mod.reset(self, txn, op, start)
        if kind in ("suspend", "reset"):
            info: SpecInfo = op.info
            end = start + info.ticks
            if any(self.lanes[pi].conflict_end(start, end) for pi in op.res_planes):
                return "planescope"
        self.reserve(txn, op, start)
        if kind == "resume":
            return suspend_mod.resume(self, txn, op)
        return None

    def remove_op(self, txn: Txn, op: Op) -> None:
        """Take a reserved op out entirely (backlog, RESET); undone by rollback."""
        saved = list(op.effects)
        effects.unapply(self, op)
        txn.log(effects.reapply, self, op, saved)

    def revalidate(self, txn: Txn, dies: Any) -> tuple | None:
        """Re-check the state rules of already-reserved future ops after a
        state-changing batch. -> None or (reason, op)."""
        mine = {op.uid for op in txn.ops}
        t0 = txn.first_start or self.now
        for op in list(self.reserved.values()):
            if op.uid in mine or op.start < t0 or (dies is not None and op.die not in dies):
                continue
            bad = checks.check_states(self, op, op.start, ignore_uid=op.uid)
            if bad is not None:
                return bad[0], op
        return None

    def commit(self, txn: Txn) -> list:
        """Make the batch permanent; returns the scheduler's after-commit items."""
        txn.undo.clear()
        self._suspended_out.extend(txn.suspended)
        return txn.after

    def rollback(self, txn: Txn) -> None:
        txn.rollback()

    # ------------------------------------------------------------- lifecycle
    def op_ended(self, op: Op) -> None:
        """OP_END: commit the address effect, forget the op."""
        self.am.commit_effect(op)
        self.reserved.pop(op.uid, None)
        self.ongoing[op.die].pop(op.uid, None)

    def take_suspended(self) -> list[Op]:
        """Consume-once: the ops suspended by commits since the last call."""
        out, self._suspended_out = self._suspended_out, []
        return out

    def prune(self, now: int) -> None:
        """Drop everything that ended at or before ``now``."""
        self.bus.prune(now)
        P, sink = self.planes, self.segment_sink
        for pi, (lane, tl, latch, cache) in enumerate(zip(self.lanes, self.tl, self.latch,
                                                          self.cache_p)):
            lane.prune(now)
            tl.prune(now, sink, pi // P, pi % P)
            if latch.entries:  # most state lists are empty: skip the call
                latch.prune(now)
            if cache.entries:
                cache.prune(now)
        for sis in (self.diel, self.cache_d, self.susp):
            for si in sis:
                if si.entries:
                    si.prune(now)
        if self.odt.entries:
            self.odt.prune(now)

    # ------------------------------------------------------------- snapshots
    _STATES = ("latch", "cache_p", "cache_d", "susp")

    def state_dict(self, op_dict: Callable) -> dict:
        """What a snapshot keeps (between runs, nothing reserved): timeline
        tails, open states, suspended ops (``op_dict`` turns an op into JSON)."""
        out: dict = {"timeline": [tl.state_dict() for tl in self.tl],
                     "odt": self.odt.state_dict()}
        for name in self._STATES:
            out[name] = [si.state_dict() for si in getattr(self, name)]
        out["stack"] = [[[f.axis, [[op_dict(o), [list(r) for r in rem]] for o, rem in f.items]]
                         for f in self.stack[d]] for d in range(self.dies)]
        return out

    def load_state_dict(self, data: dict, op_from: Callable) -> None:
        for tl, row in zip(self.tl, data["timeline"]):
            tl.load_state_dict(row)
        for name in self._STATES:
            for si, rows in zip(getattr(self, name), data[name]):
                si.load_state_dict(rows)
        self.odt.load_state_dict(data["odt"])
        for d, frames in enumerate(data["stack"]):
            self.stack[d] = [
                SuspendFrame(axis, [Suspended(op_from(o), tuple(StatePart(*r) for r in rem))
                                    for o, rem in items]) for axis, items in frames]

    def suspended_ops(self, die: int, axis: str | None = None) -> list[Op]:
        out: list[Op] = []
        for frame in self.stack[die]:
            if axis is None or frame.axis == axis:
                out += [item.op for item in frame.items]
        return out
