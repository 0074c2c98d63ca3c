"""Checkpoint chunks of a long batch (``propose.chunking.*``, ``docs/engine.md`` §4.6).

A chunk boundary is placed every ``max_ops_per_chunk`` (or
``checkpoint_interval``) ops, but only where the batch leaves nothing half
done: no read latch, one-shot latch or cache state opened by the batch is
still open (a READ is never split from its DOUTs, nor a one-shot chain from
its final program). When a later chunk fails and ``allow_partial_success``
is set, only that chunk is rolled back; otherwise the whole batch is.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config.units import INF

if TYPE_CHECKING:
    from ..resources import ResourceManager, Txn
    from ..resources.txn import Savepoint


class Chunker:
    __slots__ = ("rm", "txn", "size", "partial", "marks", "since", "failed")

    def __init__(self, chunking: Any, rm: ResourceManager, txn: Txn) -> None:
        sizes = [v for v in (chunking.max_ops_per_chunk, chunking.checkpoint_interval) if v]
        self.rm, self.txn = rm, txn
        self.size = min(sizes) if sizes else None
        self.partial = chunking.allow_partial_success
        self.marks: list[Savepoint] = []
        self.since = 0
        self.failed = False

    @property
    def chunks(self) -> int:
        """Non-empty chunks of the batch as it stands."""
        return 1 + sum(1 for mark in self.marks if mark.ops < len(self.txn.ops))

    def placed(self, die: int) -> None:
        """Call after each op of the batch is placed."""
        if self.size is None:
            return
        self.since += 1
        if self.since >= self.size and self._safe(die):
            self.marks.append(self.txn.savepoint())
            self.since = 0

    def _safe(self, die: int) -> bool:
        uids = {op.uid for op in self.txn.ops}
        P, rm = self.rm.planes, self.rm
        sources = [rm.latch[pi].entries for pi in range(die * P, die * P + P)]
        sources += [rm.cache_p[pi].entries for pi in range(die * P, die * P + P)]
        sources.append(rm.cache_d[die].entries)
        return not any(x.end == INF and x.opener in uids for entries in sources for x in entries)

    def recover(self) -> bool:
        """After a failure: keep the committed chunks if allowed. True if kept."""
        if not (self.partial and self.marks):
            return False
        self.txn.rollback_to(self.marks[-1])
        self.failed = True
        return True
