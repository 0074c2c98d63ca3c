"""Coverage-directed generation (``policies.coverage_directed``).

At each hook the proposer asks :meth:`DirectedSteer.dist` instead of the
plain sampler. The steer reweights the *same* candidates (the key's row minus
every forbidden base, so validity is untouched) toward cells
``(key, op_name, input-time bin)`` with low counts::

    w(name) = p(name) * 2 ** -(strength * level(cell) + success_gain * miss(name))
                      * (1 + key_gain * hole(base)) * (reset_scale if a RESET name)
                      * chain(name, hook plane's address context, key)

``chain`` (``chain.py``, ``chain_gain``) boosts the names whose address
precondition holds on the hook plane (a name so boosted is exempt from
``miss``), steers erases, and leads planes out of cache loops.

``level`` is the bit length of the cell's commit count (0 for an empty cell, 1
for one hit, 2 for 2-3, 3 for 4-7 ...); ``miss`` is floor(log2((tries + 2) /
(commits + 1))) over every try of the op name, so names that are refused most
of the time (no target, window) are not chased forever; ``hole(base)`` is the
fraction of the reachable cells of the base's own keys not hit yet, in
eighths. RESET names (role kind ``reset``) are scaled by ``reset_scale``: every
state holds an unhit RESET cell, and chasing them aborts the long ops (erases)
whose completion the other keys depend on. A cumulative table per (key, forbidden mask, bin) is cached and
rebuilt only when a cell of that (key, bin) changes level (a power of two is
crossed) or, lazily for all tables, when some ``miss`` or ``hole`` moves (a
power-of-two ratio or an eighth is crossed): the hot path stays a dict lookup
and a bisect. A cached table always equals a fresh build, so a run resumed
from a snapshot (counts only, no tables) continues identically. docs/coverage.md.
"""
from __future__ import annotations

from itertools import accumulate

from ..config.model import DEFAULT_KEY
from .chain import chain_factor, plane_context

_HOLE_STEPS = 8


class DirectedSteer:
    """Counts of the proposer's own tries, and the reweighted tables."""

    def __init__(self, cfg, sampler, rm, space, knobs, am=None):
        self.sampler, self.rm, self.space, self.am = sampler, rm, space, am
        self.strength, self.key_gain = knobs.strength, knobs.key_gain
        self.chain_gain = knobs.chain_gain if am is not None else 0.0
        self._ct = {n: am.ct_index[s.celltype] for n, s in cfg.ops.items()} if am else {}
        self._enters = {b.name: b.role.cache_enter for b in cfg.bases.values()}
        self.success_gain, self.reset_scale = knobs.success_gain, knobs.reset_scale
        self._resets = frozenset(n for n, spec in cfg.ops.items() if spec.base.role.kind == "reset")
        self.nbins, self.planes = cfg.policies.input_time_bins, cfg.topology.planes
        self.hits: dict = {}  # (key, name, bin) -> commits
        self.tries: dict = {}  # name -> [tries, commits]
        self.level: dict = {}  # (key, name, bin) -> level
        self.miss: dict = {}  # name -> miss level
        self.bin_hits: dict = {}  # (key, bin) -> commits
        self.version: dict = {}  # (key, bin) -> bumps
        self.epoch = 0
        self._cache: dict = {}
        self._keys_of = {}  # base -> its reachable keys
        self._open = {}  # key -> reachable cells not hit yet
        self._size = {}
        for (key, name), reason in space.pairs.items():
            if reason is None and key != DEFAULT_KEY:
                n = len(space.bins[key])
                self._open[key] = self._open.get(key, 0) + n
                self._size[key] = self._size.get(key, 0) + n
        for key in self._size:
            self._keys_of.setdefault(key.rsplit(".", 1)[0], []).append(key)
        self._hole = {b: self._hole_of(b) for b in self._keys_of}

    # ------------------------------------------------------------- hot path
    def bin_of(self, die: int, plane: int, now: int, key: str) -> int:
        pos = self.rm.tl[die * self.planes + plane].position(now, key)
        return min(int(pos * self.nbins), self.nbins - 1)

    def dist(self, key: str, forbidden: int, b: int, die: int = 0, plane: int = 0):
        """(specs, cumulative weights) like ``PhaseSampler.dist``, reweighted;
        ``die``, ``plane``: the hook's, for the precondition context."""
        sampler = self.sampler
        if sampler.rows is not sampler.base_rows:  # bootstrap overlay: not steered
            return sampler.dist(key, forbidden)
        ctx = plane_context(self.am, die, plane) if self.chain_gain else None
        ck = (key, forbidden, b, ctx)
        stamp = (self.version.get((key, b), 0), self.epoch)
        hit = self._cache.get(ck)
        if hit is not None and hit[0] == stamp:
            return hit[1] or None
        out = self._build(key, forbidden, b, ctx)
        self._cache[ck] = (stamp, out)
        return out or None

    def note(self, key: str, spec, b: int, committed: bool) -> None:
        """One try of ``spec`` at (key, bin): committed or refused."""
        name = spec.name
        t = self.tries.get(name)
        if t is None:
            t = self.tries[name] = [0, 0]
        t[0] += 1
        if committed:
            t[1] += 1
            cell = (key, name, b)
            n = self.hits[cell] = self.hits.get(cell, 0) + 1
            if n == 1:
                self._closed(key)
            if n & (n - 1) == 0:  # a power of two: the level moved
                self.level[cell] = n.bit_length()
                self.version[(key, b)] = self.version.get((key, b), 0) + 1
            kb = (key, b)
            self.bin_hits[kb] = self.bin_hits.get(kb, 0) + 1
        m = ((t[0] + 2) // (t[1] + 1)).bit_length() - 1
        if m != self.miss.get(name, 0):
            self.miss[name] = m
            if self.success_gain:
                self.epoch += 1

    def refresh(self) -> None:
        """Every table is rebuilt when next used (each run start calls this; a
        cached table always equals a fresh build, so the output is unchanged)."""
        self.epoch += 1

    def extra_hooks(self, s, op, rng, push) -> None:
        """One more hook inside each state of a newly placed ``op``, at a random
        tick of the state's least-hit input-time bin (ties: the lowest bin), so
        that bins the fixed hooks miss (they sit at state ends) are reached."""
        nb, hits, until = self.nbins, self.bin_hits, s.run_until
        base = op.spec.base.name
        for name, start, end, _bus in op.segs:
            dur = end - start
            if name == "ISSUE" or dur < 2:
                continue
            key = f"{base}.{name}"
            bins = self.space.bins.get(key) or range(nb)
            b = min(bins, key=lambda i: (hits.get((key, i), 0), i))
            lo, hi = start + (b * dur + nb - 1) // nb, start + ((b + 1) * dur + nb - 1) // nb
            t = lo + rng.below(max(1, hi - lo))
            if s.now <= t < until:
                push(t)

    # ------------------------------------------------------------ internals
    def _build(self, key, forbidden, b, ctx):
        plain = self.sampler.dist(key, forbidden)
        if not plain:
            return ()
        specs, cum = plain
        level, miss, hole, resets = self.level, self.miss, self._hole, self._resets
        s, sg, gain = self.strength, self.success_gain, self.key_gain
        weights, prev = [], 0.0
        entered = self._enters.get(key.rsplit(".", 1)[0])
        for spec, c in zip(specs, cum):
            name = spec.name
            f, ready = (1.0, False) if ctx is None else chain_factor(
                spec, self._ct[name], self.am.none_ct, ctx, self.chain_gain, entered)
            m = 0 if ready else miss.get(name, 0)
            w = (c - prev) * f * 2.0 ** -(s * level.get((key, name, b), 0) + sg * m)
            prev = c
            if gain:
                w *= 1.0 + gain * hole.get(spec.base.name, 0) / _HOLE_STEPS
            if name in resets:
                w *= self.reset_scale
            weights.append(w)
        return specs, list(accumulate(weights))

    def _hole_of(self, base: str) -> int:
        keys = self._keys_of[base]
        frac = sum(self._open[k] for k in keys) / max(1, sum(self._size[k] for k in keys))
        return int(frac * _HOLE_STEPS + 0.5)

    def _closed(self, key: str) -> None:
        if key not in self._open:
            return
        self._open[key] -= 1
        base = key.rsplit(".", 1)[0]
        h = self._hole_of(base)
        if h != self._hole[base]:
            self._hole[base] = h
            if self.key_gain:
                self.epoch += 1

    # ------------------------------------------------------------ snapshot
    def state(self) -> dict:
        return {"hits": [[k, n, b, c] for (k, n, b), c in sorted(self.hits.items())],
                "tries": [[n, t, c] for n, (t, c) in sorted(self.tries.items())]}

    def restore(self, data: dict) -> None:
        """Counts from :meth:`state`; levels, misses and holes derive from them."""
        self.hits = {(k, n, b): c for k, n, b, c in data["hits"]}
        self.tries = {n: [t, c] for n, t, c in data["tries"]}
        self.level = {cell: c.bit_length() for cell, c in self.hits.items()}
        self.miss = {n: ((t + 2) // (c + 1)).bit_length() - 1 for n, (t, c) in self.tries.items()}
        self.version, self._cache, self.bin_hits = {}, {}, {}
        for (key, _name, b), c in self.hits.items():
            self.bin_hits[(key, b)] = self.bin_hits.get((key, b), 0) + c
        for key, _name, _b in self.hits:
            if key in self._open:
                self._open[key] -= 1
        self._hole = {b: self._hole_of(b) for b in self._keys_of}
