"""One hook = one transaction (``docs/engine.md`` §4).

Reservations are applied to the live structures as they are made, so every
later check in the same batch sees them (pending reservations count for every
rule), and each change logs its inverse. Rollback replays the inverses
newest-first; commit drops them. Work that must only happen once the batch is
certain (events, backlog moves, handing suspended uids over) is queued as
``after_commit`` items.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple

if TYPE_CHECKING:
    from ..core.ops import Op


class Piece(NamedTuple):
    """After commit: record an executed piece of ``op`` (it was cut at ``end``)."""

    op: Op
    start: int
    end: int
    source: str


class Resumed(NamedTuple):
    """After commit: ``op``'s remainder was re-reserved (new OP_END, hooks)."""

    op: Op


class Unpiece(NamedTuple):
    """After commit: forget the recorded pieces of ``op`` (dropped before it ran again)."""

    op: Op


class ResetDone(NamedTuple):
    """After commit: a RESET at ``t`` cleared these dies (drop their backlog)."""

    dies: tuple
    t: int


AfterCommit = Piece | Resumed | Unpiece | ResetDone


class Savepoint(NamedTuple):
    """Lengths of a transaction's logs at a chunk boundary."""

    undo: int
    ops: int
    after: int
    suspended: int
    backlogged: int
    dropped: int
    cut: int


class Txn:
    __slots__ = ("undo", "ops", "after", "savepoints", "state_changing", "first_start",
                 "suspended", "backlogged", "dropped", "cut")

    def __init__(self) -> None:
        self.undo: list[tuple[Any, tuple]] = []  # (inverse function, its arguments)
        self.ops: list[Op] = []  # ops reserved by this batch, in order
        self.after: list[AfterCommit] = []  # for the scheduler after commit
        self.savepoints: list[Savepoint] = []
        self.state_changing = False  # batch changes die/global state: revalidate the future
        self.first_start: int | None = None
        self.suspended: list[Op] = []  # ops this batch suspended
        self.backlogged: list[Op] = []  # ops this batch moved to the backlog
        self.dropped: list[Op] = []  # ops this batch removed (RESET)
        self.cut: list = []  # (op, t) in-flight ops cut by RESET

    def log(self, fn: Callable, *args: Any) -> None:
        self.undo.append((fn, args))

    def savepoint(self) -> Savepoint:
        mark = Savepoint(len(self.undo), len(self.ops), len(self.after), len(self.suspended),
                         len(self.backlogged), len(self.dropped), len(self.cut))
        self.savepoints.append(mark)
        return mark

    def rollback_to(self, mark: Savepoint) -> None:
        n_undo, n_ops, n_after, n_susp, n_back, n_drop, n_cut = mark
        while len(self.undo) > n_undo:
            fn, args = self.undo.pop()
            fn(*args)
        del self.ops[n_ops:], self.after[n_after:], self.suspended[n_susp:]
        del self.backlogged[n_back:], self.dropped[n_drop:], self.cut[n_cut:]

    def rollback(self) -> None:
        self.rollback_to(Savepoint(0, 0, 0, 0, 0, 0, 0))
