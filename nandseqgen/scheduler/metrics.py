"""Run counters (the run summary's ``metrics``; ``docs/engine.md`` §4-§6)."""
from __future__ import annotations

from collections import Counter

from ..config.units import ticks_to_us


# the plain counters, in the order of the run summary (``as_dict``)
_COUNTERS = ("hooks_executed", "proposals", "batches_committed", "ops_committed",
             "window_attempts", "window_overflows", "wait_ticks", "exec_ticks", "suspends",
             "resumes", "resets", "backlog_size", "backlog_max", "backlog_flush",
             "backlog_retry", "backlog_drop", "ckpt_success_batches", "ckpt_rollback_batches",
             "ckpt_ops_committed")


class Metrics:
    def __init__(self) -> None:
        self.hooks_executed = 0
        self.proposals = 0
        self.batches_committed = 0
        self.ops_committed = 0
        self.rollbacks: Counter[str] = Counter()  # reason -> count
        self.window_attempts = 0
        self.window_overflows = 0
        self.wait_ticks = 0  # sum of (first op start - hook time)
        self.exec_ticks = 0  # sum of committed op durations
        self.per_base: Counter[str] = Counter()
        self.hook_fail_streak: Counter[tuple[int, int]] = Counter()  # (die, plane) -> streak
        self.max_fail_streak: Counter[tuple[int, int]] = Counter()  # (die, plane) -> longest
        self.suspends = 0
        self.resumes = 0
        self.resets = 0
        self.backlog_size = 0
        self.backlog_max = 0
        self.backlog_flush = 0
        self.backlog_retry = 0
        self.backlog_drop = 0
        self.ckpt_success_batches = 0
        self.ckpt_rollback_batches = 0
        self.ckpt_ops_committed = 0
        self.last_commit_bases: list = []

    def hook_result(self, die: int, plane: int, ok: bool) -> None:
        key = (die, plane)
        if ok:
            self.hook_fail_streak[key] = 0
            return
        self.hook_fail_streak[key] += 1
        if self.hook_fail_streak[key] > self.max_fail_streak[key]:
            self.max_fail_streak[key] = self.hook_fail_streak[key]

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in _COUNTERS}
        out["rollbacks"] = dict(sorted(self.rollbacks.items()))
        out["rollbacks_total"] = sum(self.rollbacks.values())
        out["per_base_commits"] = dict(sorted(self.per_base.items()))
        out["max_hook_fail_streak"] = max(self.max_fail_streak.values(), default=0)
        out["wait_us_total"] = ticks_to_us(self.wait_ticks)
        out["exec_us_total"] = ticks_to_us(self.exec_ticks)
        out["last_commit_bases"] = list(self.last_commit_bases)
        return out
