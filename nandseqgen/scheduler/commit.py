"""What happens once a batch is certain: events, PHASE_HOOKs, records, the
suspend/resume/RESET consequences and the backlog (``docs/engine.md`` §3-§7)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config.units import CORE_BUSY, DATA_IN, DATA_OUT, INF, ISSUE
from ..events import BACKLOG_REFILL, BACKLOG_RETRY, OP_END, OP_START, PHASE_HOOK
from ..resources.txn import AfterCommit, Piece, ResetDone, Resumed, Unpiece

if TYPE_CHECKING:
    from ..core.ops import Op
    from ..core.rng import Stream
    from ..proposer.proposer import Proposal
    from ..resources.manager import SpecInfo
    from .scheduler import Scheduler

_NO_HOOK_STATES = (ISSUE, DATA_IN, DATA_OUT)


def commit(s: Scheduler, prop: Proposal, rng: Stream) -> None:
    rm, m, rec = s.rm, s.metrics, s.rec
    txn, first = prop.txn, prop.first
    assert txn is not None and first is not None  # a committed proposal has both
    after = rm.commit(txn)
    m.batches_committed += 1
    ch = prop.chunker
    if ch is not None and ch.size is not None:
        m.ckpt_success_batches += ch.chunks
        m.ckpt_rollback_batches += int(ch.failed)
    m.wait_ticks += first.start - s.now
    pi = first.die * rm.planes + first.hook_plane
    rec.coverage(prop.key_used, first.spec.name, rm.tl[pi].position(s.now, prop.key))
    for op in txn.ops:
        _schedule(s, op, rng)
    m.last_commit_bases = [op.spec.base.name for op in txn.ops]
    for item in after:
        _after(s, item, rng)
    for o in rm.take_suspended():
        _cancel_end(s, o)
        m.suspends += 1
    for o in txn.backlogged:
        _cancel_start(s, o)
        _cancel_end(s, o)
        s.backlog[o.die].append(o)
    for o in txn.dropped:
        _cancel_start(s, o)
        _cancel_end(s, o)
    for o in txn.cut:
        _cancel_end(s, o)
    _backlog_size(s)


# An op and its event entries refer to each other (handle -> entry -> payload
# op): the handle is dropped once the entry is popped or cancelled, so ops are
# freed by reference counting rather than by the cyclic GC, whose full
# collections otherwise grow with the run (docs/performance.md, issue 11).
# Cancelling a dropped handle (None) is a no-op, like cancelling a dead entry.
def _cancel_start(s: Scheduler, o: Op) -> None:
    s.q.cancel(o.start_handle)
    o.start_handle = None


def _cancel_end(s: Scheduler, o: Op) -> None:
    s.q.cancel(o.end_handle)
    o.end_handle = None


def _schedule(s: Scheduler, op: Op, rng: Stream) -> None:
    """Events, hooks and records of one newly reserved op."""
    m, rm = s.metrics, s.rm
    tl, base, start = rm.tl, op.die * rm.planes, op.start
    op.phase_key = tuple([tl[base + p].phase_key_at(start) for p in op.planes])
    op.start_handle = s.q.push(op.start, OP_START, op)
    op.end_handle = s.q.push(op.end, OP_END, op)
    phase_hooks(s, op, rng)
    m.ops_committed += 1
    m.ckpt_ops_committed += 1
    m.exec_ticks += op.end - op.start
    m.per_base[op.spec.base.name] += 1
    kind = op.role.kind
    if kind == "resume":
        m.resumes += 1
        s.q.push(op.end, BACKLOG_REFILL, op.die)
    elif kind == "reset":
        m.resets += 1


def _after(s: Scheduler, item: AfterCommit, rng: Stream) -> None:
    if isinstance(item, Piece):
        s.rec.piece(item.op, item.start, item.end, item.source)
    elif isinstance(item, Resumed):
        op = item.op
        op.phase_key = tuple(s.rm.phase_key_at(op.die, p, op.start) for p in op.planes)
        op.end_handle = s.q.push(op.end, OP_END, op)
        phase_hooks(s, op, rng)
    elif isinstance(item, Unpiece):
        s.rec.unpiece(item.op)
    elif isinstance(item, ResetDone):
        for d in item.dies:
            s.metrics.backlog_drop += len(s.backlog[d])
            s.backlog[d].clear()


def phase_hooks(s: Scheduler, op: Op, rng: Stream) -> None:
    """One hook shortly before and one shortly after each state's end (not
    ISSUE/DATA_*); read-family ops get one after-hook per plane (``docs/engine.md`` §3)."""
    info: SpecInfo = op.info
    if not info.affect:
        return
    off, gap, until, q = s.cfg.policies.phase_hook_offset, s.cfg.policies.sequence_gap, \
        s.run_until, s.q
    hp = op.hook_plane if op.hook_plane in op.planes else op.planes[0]
    if s.proposer.steer is not None:  # coverage-directed: hooks inside states (docs/coverage.md)
        s.proposer.steer.extra_hooks(s, op, rng, lambda t: q.push(t, PHASE_HOOK, (op.die, hp)))
    needs_dout = op.role.needs_dout
    for name, start, end, _bus in op.segs:
        if name in _NO_HOOK_STATES or end <= start:
            continue
        before = max(start, end - 1 - rng.below(off))
        if s.now <= before < until:
            q.push(before, PHASE_HOOK, (op.die, hp))
        after = end + 1 + rng.below(off)
        if needs_dout and name == CORE_BUSY:
            for i, p in enumerate(op.planes):
                if after + i * gap < until:
                    q.push(after + i * gap, PHASE_HOOK, (op.die, p))
        elif after < until:
            q.push(after, PHASE_HOOK, (op.die, hp))


def record_rollback(s: Scheduler, prop: Proposal, die: int, plane: int) -> None:
    m = s.metrics
    reason = prop.reason or "no_candidate"
    m.rollbacks[reason] += 1
    if s.cfg.chunking.max_ops_per_chunk or s.cfg.chunking.checkpoint_interval:
        m.ckpt_rollback_batches += 1
    if reason == "window":
        m.window_overflows += 1
    rec = s.rec
    if rec.log_rollbacks:  # the rows of result.rollbacks (docs/decisions.md 124)
        spec = prop.spec
        rec.rollback(s.now, die, plane, prop.key, spec.name if spec else None,
                     spec.base.name if spec else None, reason, prop.detail)


def flush_backlog(s: Scheduler, die: int, rng: Stream) -> None:
    """Re-reserve the die's backlog in FIFO order; retry later on failure."""
    rm, dq, m = s.rm, s.backlog[die], s.metrics
    m.hooks_executed += 1
    while dq:
        op = dq[0]
        prop = s.proposer.plan_explicit(op, s.now, INF, rng, follow=False)
        if prop.txn is None:
            tries = s.backlog_tries.get(op.uid, 0) + 1
            s.backlog_tries[op.uid] = tries
            if tries > s.cfg.policies.backlog_max_retries:
                dq.popleft()
                m.backlog_drop += 1
                continue
            m.backlog_retry += 1
            s.q.push(s.now + s.cfg.policies.backlog_retry_delay, BACKLOG_RETRY, die)
            break
        rm.commit(prop.txn)
        dq.popleft()
        op.source = "backlog"
        _schedule(s, op, rng)
        m.backlog_flush += 1
    _backlog_size(s)


def _backlog_size(s: Scheduler) -> None:
    size = sum(len(dq) for dq in s.backlog)
    s.metrics.backlog_size = size
    s.metrics.backlog_max = max(s.metrics.backlog_max, size)
