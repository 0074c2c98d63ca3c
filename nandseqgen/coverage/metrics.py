"""Closure figures of a space and counts, without DataFrames (benchmarks,
progress curves). Definitions: docs/coverage.md, "Figures"."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Closure:
    """``allowed``: cells of the space; ``unreachable``: shown unreachable with a
    reason; ``reachable = allowed - unreachable``; ``hit``: cells with a count;
    ``closed = (hit + unreachable) / allowed``; ``entropy``: normalised Shannon
    entropy of the counts over the reachable cells; ``pairs_*``: the same at
    the (key, op_name) level (a pair is hit when any of its bins is)."""

    allowed: int
    unreachable: int
    hit: int
    entropy: float
    pairs_allowed: int
    pairs_unreachable: int
    pairs_hit: int

    @property
    def reachable(self) -> int:
        return self.allowed - self.unreachable

    @property
    def closed(self) -> float:
        return (self.hit + self.unreachable) / max(1, self.allowed)

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "unreachable": self.unreachable, "hit": self.hit,
                "closed": round(self.closed, 6), "entropy": round(self.entropy, 6),
                "pairs_allowed": self.pairs_allowed,
                "pairs_unreachable": self.pairs_unreachable, "pairs_hit": self.pairs_hit}


def entropy(counts, cells: int) -> float:
    """-sum p ln p / ln(cells) over positive counts; 0 when cells < 2 or no counts."""
    vals = [c for c in counts if c > 0]
    total = sum(vals)
    if total <= 0 or cells < 2:
        return 0.0
    return -sum(c / total * math.log(c / total) for c in vals) / math.log(cells)


def closure(space, counts) -> Closure:
    """Closure figures of ``counts`` (cells -> n) against ``space``."""
    allowed = unreachable = 0
    open_pairs: set = set()
    for key, name, _b, reason in space.cells():
        allowed += 1
        if reason is None:
            open_pairs.add((key, name))
        else:
            unreachable += 1
    inside = {c: n for c, n in counts.items() if n > 0 and (c[0], c[1]) in space.pairs}
    pairs_hit = len({(k, n) for k, n, _b in inside})
    return Closure(allowed, unreachable, len(inside),
                   entropy(inside.values(), allowed - unreachable),
                   len(space.pairs), len(space.pairs) - len(open_pairs), pairs_hit)
