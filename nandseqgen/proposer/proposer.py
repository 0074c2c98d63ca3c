"""Proposer: what to do next at a hook (``docs/engine.md`` §5).

For the hook's (die, plane) it reads the phase key, samples an op name from
that key's distribution minus every currently forbidden base, samples targets
that obey the address rules, expands the follow-ups, and plans the whole batch
inside one ResourceManager transaction (the preflight). The scheduler commits
or rolls back the returned transaction.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..address import check_epr
from ..config.units import INF
from ..core.ops import Op
from ..resources.reasons import RETRY_REASONS
from .chunks import Chunker
from .table import PhaseSampler, draw_candidates
from .targets import build_followups, choose_steps, first_targets

if TYPE_CHECKING:
    from ..address import AddressManager
    from ..config.model import Config, OpSpec
    from ..core.rng import Stream
    from ..coverage.directed import DirectedSteer
    from ..resources import ResourceManager, Txn


class Proposal:
    __slots__ = ("txn", "ops", "reason", "detail", "key", "key_used", "first", "spec", "chunker",
                 "rested")

    def __init__(self, key: Any, key_used: Any) -> None:
        self.txn: Txn | None = None
        self.ops: list[Op] = []
        self.reason: str | None = None
        self.detail: str | None = None
        self.key: Any = key  # phase key (str)
        self.key_used: Any = key_used  # the key whose distribution was used
        self.first: Op | None = None
        self.spec: OpSpec | None = None
        self.rested = False  # the coverage-directed steer proposed nothing (docs/coverage.md)
        self.chunker: Chunker | None = None  # checkpoint chunks of the planned batch


class Proposer:
    def __init__(self, cfg: Config, rm: ResourceManager, am: AddressManager,
                 sampler: PhaseSampler, uid_source: Callable[[], int]) -> None:
        self.cfg, self.rm, self.am, self.sampler = cfg, rm, am, sampler
        pol = cfg.policies
        self.dies, self.planes = cfg.topology.dies, cfg.topology.planes
        self.maxplanes = pol.maxplanes
        self.window = pol.admission_window
        self.gap = pol.sequence_gap
        self.split_dout = pol.split_dout_per_plane
        self.tries = max(1, min(pol.topN, pol.maxtry_candidate))
        self.epsilon = pol.epsilon_greedy
        self.new_uid = uid_source
        self.op_state_mask = rm.masks.op_state
        self.chunking = cfg.chunking
        ch = cfg.chunking  # a Chunker only when chunks are configured
        self._chunks_on = bool(ch.max_ops_per_chunk or ch.checkpoint_interval)
        self._chunker: Chunker | None = None  # of the latest _plan
        self.steer: DirectedSteer | None = None  # coverage.DirectedSteer when policies.coverage_directed is on

    def propose(self, now: int, die: int, plane: int, rng: Stream) -> Proposal:
        rm = self.rm
        key = rm.phase_key_at(die, plane, now)
        used = self.sampler.key_used(key)
        res = Proposal(key, used)
        forbidden = rm.proposal_forbidden(die, plane, now) | self.op_state_mask.get(key, 0)
        steer = self.steer
        if steer is None:
            dist = self.sampler.dist(used, forbidden)
        else:  # coverage-directed: same candidates, other weights (docs/coverage.md)
            b = steer.bin_of(die, plane, now, key)
            dist = steer.dist(used, forbidden, b, die, plane, now)
            if dist is not None and steer.rests(rng):
                res.rested = True
                return res
        if dist is None:
            res.reason = "no_candidate"
            return res
        for spec in draw_candidates(dist, rng, self.tries, self.epsilon):
            res.spec = spec
            res.reason, res.detail = self._try(res, spec, now, die, plane, rng)
            if steer is not None:
                steer.note(used, spec, b, res.reason is None)
            if res.reason is None or res.reason not in RETRY_REASONS:
                return res
        return res

    def _doomed(self, spec: OpSpec, now: int, die: int, plane: int, upper: int) -> str | None:
        """Cheap window pre-check before sampling targets: the hook's plane (or
        the whole die) or the bus is taken past the window. -> detail or None."""
        rm = self.rm
        info = rm.info(spec)
        planes = rm.die_planes[die] if info.die_wide else (die * self.planes + plane,)
        if max(rm.lanes[pi].frontier() for pi in planes) >= upper:
            return "planescope"
        if rm.bus.earliest_fit(now, info.bus) >= upper:
            return "bus"
        return None

    def _try(self, res: Proposal, spec: OpSpec, now: int, die: int, plane: int,
             rng: Stream) -> tuple[str | None, str | None]:
        upper = now + self.window if self.window > 0 and not spec.base.instant_resv else INF
        if upper < INF and spec.status_mode != "lun":
            blocker = self._doomed(spec, now, die, plane, upper)
            if blocker:
                return "window", blocker
        got = first_targets(self, spec, die, plane, rng)
        if got is None:
            return "no_candidate", "no target"
        d, planes, blocks, page, celltype = got
        first = Op(self.new_uid(), spec, d, planes, blocks, page, celltype, source="proposer")
        first.hook_plane = plane
        return self._attempt(res, first, now, upper, rng, True)

    def _attempt(self, res: Proposal, first: Op, now: int, upper: int, rng: Stream,
                 follow: bool) -> tuple[str | None, str | None]:
        """EPR, then plan the batch in a transaction; on success ``res`` holds it."""
        bad = check_epr(self.am, first, allow_held=bool(first.inherit))
        if bad:
            return bad, first.spec.name
        txn = self.rm.begin()
        reason, detail = self._plan(txn, first, now, upper, rng, follow)
        if reason is not None:
            self.rm.rollback(txn)
            return reason, detail
        res.txn, res.ops, res.first, res.chunker = txn, txn.ops, first, self._chunker
        return None, None

    def plan_explicit(self, first: Op, now: int, upper: int, rng: Stream,
                      follow: bool = True) -> Proposal:
        """Plan a caller-built first op (``Simulation.issue``) exactly like a
        sampled one: EPR, earliest start under ``upper``, follow-ups, preflight."""
        res = Proposal(self.rm.phase_key_at(first.die, first.planes[0], now), None)
        res.key_used, res.spec = res.key, first.spec
        res.reason, res.detail = self._attempt(res, first, now, upper, rng, follow)
        return res

    def _plan(self, txn: Txn, first: Op, now: int, upper: int, rng: Stream,
              follow: bool = True) -> tuple[str | None, str | None]:
        rm = self.rm
        t, reason, blocker = rm.earliest_start(first, now, upper)
        if t is None:
            return reason, blocker
        bad = rm.place(txn, first, t)
        if bad:
            return bad, first.spec.name
        chunker = self._chunker = Chunker(self.chunking, rm, txn) if self._chunks_on else None
        if chunker is not None:
            chunker.placed(first.die)
        failed = self._followups(txn, first, now, rng, chunker) if follow else None
        if failed is not None and not (chunker is not None and chunker.recover()):
            return failed
        if txn.state_changing:
            hit = rm.revalidate(txn, None)
            if hit:
                return hit[0], f"invalidates reserved {hit[1].spec.name}"
        return None, None

    def _followups(self, txn: Txn, first: Op, now: int, rng: Stream,
                   chunker: Chunker | None) -> tuple[str, str] | None:
        """Plan the follow-ups; -> None or (reason, detail) of the first failure."""
        rm, batch, prev = self.rm, [first], first
        for step in choose_steps(self, first, rng):
            ops = build_followups(self, step, prev, batch, rng)
            if ops is None:
                return "no_candidate", f"follow-up {step[0]}"
            for op in ops:
                bad = check_epr(self.am, op, allow_held=bool(op.inherit))
                if bad:
                    return bad, op.spec.name
                t, reason, _ = rm.earliest_start(op, max(prev.end + self.gap, now), INF)
                if t is None:
                    return reason or "window", op.spec.name
                bad = rm.place(txn, op, t)
                if bad:
                    return bad, op.spec.name
                batch.append(op)
                prev = op
                if chunker is not None:
                    chunker.placed(op.die)
        return None
