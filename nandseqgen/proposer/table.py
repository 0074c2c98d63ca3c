"""Sampling tables: one cumulative weight list per (phase key, forbidden mask).

Built lazily and cached, so the hot path is a dict lookup and a bisect
(the earlier generator recomputed overrides on every proposal).
"""
from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING, Iterator

from ..config.model import DEFAULT_KEY

if TYPE_CHECKING:
    from ..config.model import Config, OpSpec
    from ..core.rng import Stream


class PhaseSampler:
    def __init__(self, cfg: Config, table: dict) -> None:
        self.cfg = cfg
        self.base_rows = self._rows(table)
        self.rows = self.base_rows
        self._cache: dict[tuple, tuple] = {}
        self.overlay_id = 0

    def _rows(self, table: dict) -> dict:
        rows = {}
        for key, row in table.items():
            pairs = [(self.cfg.ops[n], p) for n, p in row.items() if p > 0]
            rows[key] = (tuple(s for s, _ in pairs), tuple(p for _, p in pairs))
        return rows

    def set_overlay(self, table: dict | None) -> None:
        """Sample from ``table`` instead of the base distribution (None restores it)."""
        self.rows = self.base_rows if table is None else self._rows(table)
        self.overlay_id += 1

    def key_used(self, key: str) -> str:
        return key if key in self.rows else DEFAULT_KEY

    def dist(self, key: str, forbidden: int) -> tuple | None:
        """(specs, cumulative weights) for ``key`` minus forbidden bases, or None."""
        ck = (key, forbidden, self.overlay_id)
        hit = self._cache.get(ck)
        if hit is not None:
            return hit or None
        row = self.rows.get(key)
        out: tuple = ()
        if row:
            pairs = [(s, w) for s, w in zip(*row) if not (forbidden >> s.base.index) & 1]
            if pairs:
                specs, weights = zip(*pairs)
                out = (specs, list(accumulate(weights)))
        self._cache[ck] = out
        return out or None


def draw_candidates(dist: tuple, rng: Stream, count: int,
                    epsilon: float = 0.0) -> Iterator[OpSpec]:
    """Yield up to ``count`` distinct specs, weighted, without replacement."""
    specs, cum = dist
    n = len(specs)
    seen: set[int] = set()
    for _ in range(min(count, n)):
        for _attempt in range(16):
            if epsilon and rng.random() < epsilon:
                i = rng.below(n)
            else:
                i = rng.pick_cumulative(cum)
            i = min(i, n - 1)
            if i not in seen:
                break
        else:
            rest = [j for j in range(n) if j not in seen]
            if not rest:
                return
            i = rest[rng.below(len(rest))]
        seen.add(i)
        yield specs[i]
