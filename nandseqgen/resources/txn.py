"""One hook = one transaction (``docs/engine.md`` §4).

Reservations are applied to the live structures as they are made, so every
later check in the same batch sees them (pending reservations count for every
rule), and each change logs its inverse. Rollback replays the inverses
newest-first; commit drops them. Work that must only happen once the batch is
certain (events, backlog moves, handing suspended uids over) is queued as
``after_commit`` items.
"""
from __future__ import annotations


class Txn:
    __slots__ = ("undo", "ops", "after", "savepoints", "state_changing", "first_start",
                 "suspended", "backlogged", "dropped", "cut")

    def __init__(self):
        self.undo: list = []  # (fn, args)
        self.ops: list = []  # ops reserved by this batch, in order
        self.after: list = []  # (kind, payload) for the scheduler after commit
        self.savepoints: list = []
        self.state_changing = False  # batch changes die/global state: revalidate the future
        self.first_start = None
        self.suspended: list = []  # ops this batch suspended
        self.backlogged: list = []  # ops this batch moved to the backlog
        self.dropped: list = []  # ops this batch removed (RESET)
        self.cut: list = []  # (op, t) in-flight ops cut by RESET

    def log(self, fn, *args) -> None:
        self.undo.append((fn, args))

    def savepoint(self) -> tuple:
        mark = (len(self.undo), len(self.ops), len(self.after), len(self.suspended),
                len(self.backlogged), len(self.dropped), len(self.cut))
        self.savepoints.append(mark)
        return mark

    def rollback_to(self, mark: tuple) -> None:
        n_undo, n_ops, n_after, n_susp, n_back, n_drop, n_cut = mark
        while len(self.undo) > n_undo:
            fn, args = self.undo.pop()
            fn(*args)
        del self.ops[n_ops:], self.after[n_after:], self.suspended[n_susp:]
        del self.backlogged[n_back:], self.dropped[n_drop:], self.cut[n_cut:]

    def rollback(self) -> None:
        self.rollback_to((0, 0, 0, 0, 0, 0, 0))
