"""EventQueue: total order and cancel by handle (SPEC 5.2)."""
from __future__ import annotations

from nandseqgen.events import (BACKLOG_REFILL, OP_END, OP_START, PHASE_HOOK, QUEUE_REFILL,
                               EventQueue)


def test_same_tick_events_pop_in_kind_order_then_insertion_order():
    q = EventQueue()
    q.push(5, OP_START, "s1")
    q.push(5, QUEUE_REFILL, "r")
    q.push(5, PHASE_HOOK, "h1")
    q.push(5, OP_END, "e")
    q.push(5, PHASE_HOOK, "h2")
    q.push(5, BACKLOG_REFILL, "b")
    q.push(3, OP_START, "early")
    order = [q.pop()[2] for _ in range(7)]
    assert order == ["early", "e", "b", "h1", "h2", "r", "s1"]
    assert q.pop() is None


def test_cancelled_events_are_never_delivered():
    q = EventQueue()
    keep = q.push(10, OP_END, "keep")
    gone = q.push(5, OP_END, "gone")
    assert q.cancel(gone) and not q.cancel(gone)
    assert len(q) == 1 and q.peek_tick() == 10
    assert q.pop() == (10, OP_END, "keep")
    assert not q.cancel(keep)  # already delivered
    assert q.pop() is None


def test_pending_lists_live_events_only():
    q = EventQueue()
    a = q.push(2, PHASE_HOOK, (0, 1))
    q.push(1, OP_END, "x")
    q.cancel(a)
    assert q.pending() == [(1, OP_END, "x")]
    assert q.pending(PHASE_HOOK) == []
