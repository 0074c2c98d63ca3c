"""Scheduler: moves time forward through events (``docs/engine.md`` §1-§4).

``step()`` handles one event; ``tick()`` every event of the next tick;
``run()`` only loops. Hooks (PHASE_HOOK, QUEUE_REFILL, BACKLOG_*) stop at
``run_until``; OP_START/OP_END keep going until the queue drains.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from ..config.units import ticks_to_us, us_to_ticks
from ..core.rng import stream
from ..events import (BACKLOG_REFILL, BACKLOG_RETRY, OP_END, OP_START, PHASE_HOOK, QUEUE_REFILL,
                      EventQueue)
from ..resources.status import expected_status
from . import commit as commit_mod
from .metrics import Metrics

if TYPE_CHECKING:
    from ..address import AddressManager
    from ..config.model import Config
    from ..core.ops import Op
    from ..core.rng import Stream
    from ..proposer import Proposer
    from ..resources import ResourceManager

_HOOKS = (PHASE_HOOK, QUEUE_REFILL, BACKLOG_REFILL, BACKLOG_RETRY)
_BACKLOG = (BACKLOG_REFILL, BACKLOG_RETRY)
PRUNE_EVERY = 20000  # ticks (200 us) between reservation-structure prunes


class Scheduler:
    def __init__(self, cfg: Config, rm: ResourceManager, am: AddressManager, proposer: Proposer,
                 recorder: Any, seed: int, bootstrap: Any = None) -> None:
        self.cfg, self.rm, self.am, self.proposer, self.rec = cfg, rm, am, proposer, recorder
        self.seed = int(seed)
        self.bootstrap = bootstrap
        self.q = EventQueue()
        self.metrics = Metrics()
        self.clock = rm.clock  # the one clock; this object is its only writer
        self.hook_counter = 0
        self.rr = 0
        self.run_until = 0
        self.backlog: list[deque[Op]] = [deque() for _ in range(cfg.topology.dies)]
        self.backlog_tries: dict[int, int] = {}
        self._last_prune = 0
        self.last: tuple | None = None  # (committed, rolled_back, reason) of the latest hook
        self.manual = False  # Simulation.advance(): backlog refills run outside a run

    # ------------------------------------------------------------------ clock
    @property
    def now(self) -> int:
        return self.clock.now

    def advance_to(self, t: int) -> None:
        """Move the clock forward to ``t`` (never back)."""
        if t > self.clock.now:
            self.clock.now = t

    # ---------------------------------------------------------------- driving
    def begin_run(self, recorder: Any, run_until: int) -> None:
        """A new run: fresh recorder and counters, hooks until ``run_until``."""
        self.rec = recorder
        self.metrics = Metrics()
        self.run_until = run_until

    def prime(self, t0: int) -> None:
        """Start a run at ``t0``: one QUEUE_REFILL, and the backlog if any."""
        self.advance_to(t0)
        self.q.push(t0, QUEUE_REFILL, None)
        for d, dq in enumerate(self.backlog):
            if dq:
                self.q.push(t0, BACKLOG_REFILL, d)

    def step(self) -> bool:
        """Handle one event; False when nothing is left."""
        ev = self.q.pop()
        if ev is None:
            return False
        tick, kind, payload = ev
        clock = self.clock
        if tick > clock.now:
            clock.now = tick
            if tick - self._last_prune >= PRUNE_EVERY:
                self.rm.prune(tick)
                self._last_prune = tick
        if kind in _HOOKS and tick >= self.run_until and not (self.manual and kind in _BACKLOG):
            return True  # run_until reached: no more proposals
        if kind == OP_END:  # one comparison chain, not a dict of bound methods
            self._on_end(payload)
        elif kind == PHASE_HOOK:
            self.hook(payload[0], payload[1])
        elif kind == OP_START:
            self._on_start(payload)
        elif kind == QUEUE_REFILL:
            self._on_refill(payload)
        else:
            self._on_backlog(payload)
        return True

    def tick(self) -> dict:
        """Run every event of the next tick; report the last hook's outcome."""
        self.last = None
        t = self.q.peek_tick()
        committed = 0
        while t is not None and self.q.peek_tick() == t:
            before = self.metrics.ops_committed
            self.step()
            committed += self.metrics.ops_committed - before
        # read through a call: mypy narrows self.last to None after the reset above
        # and does not see step() change it (mypyc would enforce that type)
        last = self._latest_hook() or (False, False, None)
        return {"time_us": ticks_to_us(t or 0), "committed": committed, "rolled_back": last[1],
                "reason": last[2]}

    def _latest_hook(self) -> tuple | None:
        return self.last

    def run(self, run_until_us: float | None = None, max_hooks: int | None = None,
            progress: Callable[[int], None] | None = None) -> dict:
        if run_until_us is not None:
            self.run_until = us_to_ticks(run_until_us)
        start_hooks = self.metrics.hooks_executed
        n = 0
        while True:
            if max_hooks is not None and self.metrics.hooks_executed - start_hooks >= max_hooks:
                break
            if not self.step():
                break
            n += 1
            if progress is not None and n % 2048 == 0:
                progress(min(self.now, self.run_until))
        if self.q.peek_tick() is None:
            self.rm.prune(self.now)
        if progress is not None:
            progress(self.run_until)
        return {
            "success": True,
            "hooks_executed": self.metrics.hooks_executed - start_hooks,
            "ops_committed": self.metrics.ops_committed,
            "bootstrap_completed": bool(self.bootstrap and self.bootstrap.completed),
            "metrics": self.metrics.as_dict(),
        }

    # --------------------------------------------------------------- snapshots
    def state_dict(self, op_dict: Callable) -> dict:
        """What a snapshot keeps of the scheduler (between runs); ``op_dict``
        turns a backlogged op into JSON."""
        return {"hook_counter": self.hook_counter, "time": self.now, "rr": self.rr,
                "last_prune": self._last_prune,
                "backlog": [[op_dict(o) for o in dq] for dq in self.backlog],
                "backlog_tries": sorted(self.backlog_tries.items())}

    def load_state_dict(self, data: dict, op_from: Callable) -> None:
        self.hook_counter = data["hook_counter"]
        self.clock.now = data["time"]
        self.rr, self._last_prune = data["rr"], data["last_prune"]
        for d, ops in enumerate(data["backlog"]):
            self.backlog[d].extend(op_from(o) for o in ops)
        self.backlog_tries = {int(k): v for k, v in data["backlog_tries"]}

    # ----------------------------------------------------------------- handlers
    def _rng(self) -> Stream:
        self.hook_counter += 1
        return stream(self.seed, self.hook_counter)

    def _on_refill(self, _payload: object) -> None:
        topo = self.cfg.topology
        die, plane = divmod(self.rr, topo.planes)
        self.rr = (self.rr + 1) % (topo.dies * topo.planes)
        nxt = self.now + self.cfg.policies.queue_refill_period
        if nxt < self.run_until:
            self.q.push(nxt, QUEUE_REFILL, None)
        self.hook(die, plane)

    def _on_phase_hook(self, payload: tuple[int, int]) -> None:
        self.hook(payload[0], payload[1])

    def hook(self, die: int, plane: int) -> bool:
        """Propose for (die, plane) at ``now``; commit or record the rollback."""
        rng = self._rng()
        m, now = self.metrics, self.clock.now
        m.hooks_executed += 1
        prop = self.proposer.propose(now, die, plane, rng)
        if prop.rested:  # coverage-directed rest: no proposal, no rollback (docs/coverage.md)
            self.last = (False, False, None)
            return False
        if prop.spec is not None:
            m.proposals += 1
            self.rec.proposal(now, die, plane, prop.key_used, prop.key, prop.spec.name)
            if not prop.spec.base.instant_resv:
                m.window_attempts += 1
        if prop.txn is not None:
            commit_mod.commit(self, prop, rng)
            m.hook_result(die, plane, True)
            self.last = (True, False, None)
            return True
        commit_mod.record_rollback(self, prop, die, plane)
        m.hook_result(die, plane, False)
        self.last = (False, prop.spec is not None, prop.reason)
        return False

    def _on_start(self, op: Op) -> None:
        op.start_handle = None  # popped: no cycle op <-> entry (commit._cancel_start)
        kind = op.role.kind
        if kind == "status_read":
            op.exp_val = expected_status(self.rm, op, self.now)
        elif kind == "reset":  # its aborts take effect now (docs/semantics.md rule 16)
            self.am.commit_marks(op.uid)
        self.rec.started(op)

    def _on_end(self, op: Op) -> None:
        op.end_handle = None  # popped: no cycle op <-> entry
        self.rm.op_ended(op)
        self.rec.piece(op, op.start, op.end, op.source)
        if self.bootstrap is not None:
            self.bootstrap.op_ended(op, self.now)

    def _on_backlog(self, die: int) -> None:
        commit_mod.flush_backlog(self, die, self._rng())
