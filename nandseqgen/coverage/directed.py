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
from .chain import EXIT, chain_factor, erase_balance, plane_context

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
        self.rest_on = knobs.rest and cfg.policies.admission_window > 0
        self.window = cfg.policies.admission_window
        self.go, self.busy = 1.0, False  # of the latest dist() ("Resting")
        self._cache: dict = {}
        self._keys_of = {}  # base -> its reachable keys
        self._open: dict = {}  # key -> reachable cells not hit yet
        self._size: dict = {}
        self._open_bin: dict = {}  # (key, bin) -> reachable cells not hit yet
        self._family = {b.name: _family(b.role.address) for b in cfg.bases.values()}
        self._fam_open: dict = {}  # "program" / "read" -> reachable cells not hit yet
        self._fam_size: dict = {}
        self._init_open()
        for key in self._size:
            self._keys_of.setdefault(key.rsplit(".", 1)[0], []).append(key)
        self._hole = {b: self._hole_of(b) for b in self._keys_of}
        self._wipe = self._erase_factor()
        self.state_hooks = int(knobs.state_hooks)
        self._exit_cells = _exit_cells(cfg, space)
        self._exits = frozenset(c for cells in self._exit_cells.values() for c in cells)

    # ------------------------------------------------------------- hot path
    def bin_of(self, die: int, plane: int, now: int, key: str) -> int:
        pos = self.rm.tl[die * self.planes + plane].position(now, key)
        return min(int(pos * self.nbins), self.nbins - 1)

    def dist(self, key: str, forbidden: int, b: int, die: int = 0, plane: int = 0,
             now: int = -1):
        """(specs, cumulative weights) like ``PhaseSampler.dist``, reweighted;
        ``die``, ``plane``: the hook's, for the precondition context; ``now``:
        the hook's tick, to tell a busy plane from a free one ("Resting")."""
        sampler = self.sampler
        self.busy = False
        if sampler.rows is not sampler.base_rows:  # bootstrap overlay: not steered
            return sampler.dist(key, forbidden)
        ctx = plane_context(self.am, die, plane) if self.chain_gain else None
        if self.rest_on and now >= 0:
            self.busy = self.rm.lanes[die * self.planes + plane].frontier() >= now + self.window
        ck = (key, forbidden, b, ctx, self.busy)
        stamp = (self.version.get((key, b), 0), self.epoch)
        hit = self._cache.get(ck)
        if hit is None or hit[0] != stamp:
            hit = self._cache[ck] = (stamp, *self._build(key, forbidden, b, ctx, self.busy))
        self.go = hit[2]
        return hit[1] or None

    def rests(self, rng) -> bool:
        """True when this hook proposes nothing (docs/coverage.md, "Resting"):
        the hook plane is taken past the admission window (latest
        :meth:`dist`), so only instant candidates could commit, and the
        freshest of their cells is hit often: proposed with probability ``go``."""
        return self.busy and self.go < 1.0 and rng.random() >= self.go

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
                self._closed(key, b)
            if n & (n - 1) == 0:  # a power of two: the level moved
                self.level[cell] = n.bit_length()
                self.version[(key, b)] = self.version.get((key, b), 0) + 1
                if cell in self._exits:  # the names entering its loop are reweighted
                    self.epoch += 1
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
        """``state_hooks`` more hooks inside each state of a newly placed ``op``,
        each at a random tick of one of the state's bins with the most cells not
        hit yet (ties: the least-hit bin, then the lowest), so that bins the
        fixed hooks miss (they sit at state ends) are reached."""
        nb, hits, until, n = self.nbins, self.bin_hits, s.run_until, self.state_hooks
        opened = self._open_bin
        base = op.spec.base.name
        for name, start, end, _bus in op.segs:
            dur = end - start
            if name == "ISSUE" or dur < 2:
                continue
            key = f"{base}.{name}"
            bins = self.space.bins.get(key) or range(nb)
            order = sorted(bins, key=lambda i: (-opened.get((key, i), 0), hits.get((key, i), 0), i))
            for b in order[:n]:
                lo = start + (b * dur + nb - 1) // nb
                hi = start + ((b + 1) * dur + nb - 1) // nb
                t = lo + rng.below(max(1, hi - lo))
                if s.now <= t < until:
                    push(t)

    # ------------------------------------------------------------ internals
    def _build(self, key, forbidden, b, ctx, busy):
        """-> ((specs, cumulative weights), go) of a hook in (key, bin)."""
        plain = self.sampler.dist(key, forbidden)
        if not plain:
            return (), 1.0
        specs, cum = plain
        entered = self._enters.get(key.rsplit(".", 1)[0])
        rows = [(spec, self._weight(spec, c - p, key, b, ctx, entered))
                for spec, p, c in zip(specs, (0.0, *cum[:-1]), cum)]
        go = 1.0
        if busy:  # only instant candidates can commit here (docs/decisions.md 106, 109)
            windowed = self.space.windowed  # the names the window applies to
            now = [(spec, w) for spec, w in rows if spec.name not in windowed]
            if now:
                rows, go = now, max(self._fresh(spec, key, b) for spec, _w in now)
        elif self.rest_on:  # a free plane: staying in the key pays twice (decision 107)
            lv, st = self.level, self.strength
            rows = [(spec, w if spec.base.affect_state
                     else w * 2.0 ** -(st * lv.get((key, spec.name, b), 0))) for spec, w in rows]
        return (tuple(spec for spec, _w in rows), list(accumulate(w for _s, w in rows))), go

    def _weight(self, spec, p: float, key: str, b: int, ctx, entered) -> float:
        """The reweighted probability ``p`` of one candidate (module docstring)."""
        name = spec.name
        f, ready = (1.0, 0) if ctx is None else chain_factor(
            spec, self._ct[name], self.am.none_ct, ctx, self.chain_gain, entered, self._wipe)
        level = self.level
        m = 0 if ready else self.miss.get(name, 0)
        lv = 0 if ready == EXIT else level.get((key, name, b), 0)
        exits = self._exit_cells.get(name)
        if exits is not None and spec.base.role.cache_enter != entered:
            lv += min(level.get(c, 0) for c in exits)  # the exit this entry will cost
        w = p * f * 2.0 ** -(self.strength * lv + self.success_gain * m)
        if self.key_gain:
            w *= 1.0 + self.key_gain * self._hole.get(spec.base.name, 0) / _HOLE_STEPS
        return w * self.reset_scale if name in self._resets else w

    def _fresh(self, spec, key: str, b: int) -> float:
        """How fresh an instant candidate's cell is: the chance a busy plane's
        hook proposes when it is the best one (decision 106)."""
        name = spec.name
        f = 2.0 ** -(self.strength * self.level.get((key, name, b), 0)
                     + self.success_gain * self.miss.get(name, 0))
        return f * self.reset_scale if name in self._resets else f

    def _init_open(self) -> None:
        """Open (reachable, not hit) cells per key and per (key, bin), all open."""
        space = self.space
        self._open.clear()
        self._size.clear()
        self._open_bin.clear()
        for (key, name), reason in space.pairs.items():
            if reason is None and key != DEFAULT_KEY:
                n = len(space.bins[key])
                self._open[key] = self._open.get(key, 0) + n
                self._size[key] = self._size.get(key, 0) + n
        self._fam_open = {"program": 0, "read": 0}
        for key, _name, b, reason in space.cells():
            if reason is None:
                self._open_bin[(key, b)] = self._open_bin.get((key, b), 0) + 1
                fam = self._family.get(key.rsplit(".", 1)[0])
                if fam is not None:
                    self._fam_open[fam] += 1
        self._fam_size = dict(self._fam_open)

    def _hole_of(self, base: str) -> int:
        keys = self._keys_of[base]
        frac = sum(self._open[k] for k in keys) / max(1, sum(self._size[k] for k in keys))
        return int(frac * _HOLE_STEPS + 0.5)

    def _closed(self, key: str, b: int) -> None:
        """The first commit in (key, any name, bin ``b``): one open cell fewer."""
        if self._open_cell_hit(key, b):
            wipe = self._erase_factor()
            if wipe != self._wipe:
                self._wipe = wipe
                self.epoch += 1
        if key not in self._open:
            return
        self._open[key] -= 1
        base = key.rsplit(".", 1)[0]
        h = self._hole_of(base)
        if h != self._hole[base]:
            self._hole[base] = h
            if self.key_gain:
                self.epoch += 1

    def _open_cell_hit(self, key: str, b: int) -> bool:
        """A reachable cell of (key, bin ``b``) is hit for the first time: the
        open counts per bin and per base family drop; -> True if a family's did."""
        if (key, b) not in self._open_bin:
            return False
        self._open_bin[(key, b)] -= 1
        fam = self._family.get(key.rsplit(".", 1)[0])
        if fam is None:
            return False
        self._fam_open[fam] -= 1
        return True

    def _erase_factor(self) -> float:
        """``chain.erase_balance`` from the reachable cells not hit yet of the
        program and the read bases' keys, in eighths (so a cached table equals
        a fresh build)."""
        op, sz = self._fam_open, self._fam_size
        share = {f: int(op[f] / max(1, sz[f]) * _HOLE_STEPS + 0.5) for f in ("program", "read")}
        return erase_balance(self.chain_gain, share["program"], share["read"], _HOLE_STEPS)

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
        self._init_open()
        for key, _name, b in self.hits:
            if key in self._open:
                self._open[key] -= 1
            self._open_cell_hit(key, b)
        self._hole = {b: self._hole_of(b) for b in self._keys_of}
        self._wipe = self._erase_factor()


def _family(address: str | None) -> str | None:
    """The base families an erase trades (docs/decisions.md 121)."""
    if address in ("program", "block"):
        return "program"
    return "read" if address == "read" else None


def _exit_cells(cfg, space) -> dict:
    """op name entering a cache loop -> the cells ``(B.END, exit name, 0)`` of
    the names that end it (role ``cache_enter`` / ``cache_exit``, never op
    names): every entry is followed by one exit commit, so an entry pays the
    level of its cheapest exit cell (docs/coverage.md, "Loop exits")."""
    exits_of: dict = {}
    for name, spec in cfg.ops.items():
        for state in spec.base.role.cache_exit:
            exits_of.setdefault(state, []).append(name)
    out = {}
    for name, spec in cfg.ops.items():
        state = spec.base.role.cache_enter
        key = f"{spec.base.name}.END"
        cells = tuple((key, x, 0) for x in exits_of.get(state, ()) if (key, x) in space.pairs)
        if state and cells:
            out[name] = cells
    return out
