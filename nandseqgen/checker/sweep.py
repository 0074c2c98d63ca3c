"""Chronological sweep over a replay: the state-dependent resources.

Events are op starts and the effective ends of completed ops. At equal
times ends come first (an effect at ``e`` is visible to an op starting at
``e``), then starts in sequence order. At each start the rules of
:mod:`nandseqgen.checker.start_rules` look at the state; then the op's start
effects apply (cache enter, ODT disable, reset); at each end its end effects
apply (address, latches, cache exit, ODT enable).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .replay import Replay
from .report import Collector

log = logging.getLogger(__name__)

BAD, UNERASED, ERASED = -3, -2, -1
READ_LATCH = "LATCH_ON_READ"


ABORT_ERASE, ABORT_PROGRAM = "erase", "program"


class AddressBook:
    """Address state per (die, block): ``[state, erase_mode, program_mode, abort]``.

    ``abort`` is None or ``(kind, uid)``: an erase (``ABORT_ERASE``) or a
    program-family op (``ABORT_PROGRAM``) of the block was aborted by a reset
    (docs/semantics.md "reset"); only a completed erase clears it.
    """

    def __init__(self, topology):
        self.pages = topology.pages_per_block
        self.cells: dict = {}
        for d, b in topology.bad_blocks:
            self.cells[(d, b)] = [BAD, None, None, None]

    def get(self, die: int, block: int) -> list:
        return self.cells.get((die, block), [UNERASED, None, None, None])

    def erase(self, die: int, block: int, mode: str) -> None:
        if self.get(die, block)[0] != BAD:
            self.cells[(die, block)] = [ERASED, mode, None, None]

    def program(self, die: int, block: int, page: int, mode: str) -> None:
        cell = self.get(die, block)
        if cell[0] != BAD:
            self.cells[(die, block)] = [page, cell[1], mode, cell[3]]

    def abort(self, die: int, block: int, kind: str, uid: int) -> None:
        """A reset cut an erase/program of the block; an aborted erase wins."""
        cell = self.get(die, block)
        if cell[0] == BAD or (cell[3] is not None and cell[3][0] == ABORT_ERASE):
            return
        self.cells[(die, block)] = [cell[0], cell[1], cell[2], (kind, uid)]


@dataclass(slots=True)
class LatchEntry:
    """A latch held on one plane: who set it, and every read relying on it."""

    kind: str
    since: int
    setter: object
    readers: list = field(default_factory=list)
    flagged: bool = False


@dataclass(slots=True)
class CacheEntry:
    """A cache state that is on: its celltype and the role kind that entered it."""

    state: str
    since: int
    celltype: str
    enter_kind: str
    uid: int


@dataclass(slots=True)
class SweepState:
    """Everything the start rules read, as of the current sweep time."""

    book: AddressBook
    latches: dict = field(default_factory=dict)  # (die, plane) -> {kind: LatchEntry}
    cache_plane: dict = field(default_factory=dict)  # (die, plane) -> {state: CacheEntry}
    cache_die: dict = field(default_factory=dict)  # die -> {state: CacheEntry}
    odt: tuple[int, int] | None = None  # (since, uid) while ODT is disabled

    def latches_at(self, die: int, plane: int) -> dict:
        return self.latches.setdefault((die, plane), {})

    def caches_on(self, die: int, planes) -> list:
        on = self.cache_die.get(die)
        out = list(on.values()) if on else []
        if self.cache_plane:
            for p in planes:
                on = self.cache_plane.get((die, p))
                if on:
                    out += on.values()
        return out


def _events(rp: Replay) -> list:
    ev = []
    for i, run in enumerate(rp.runs):
        ev.append((run.rec.start, 1, i))
        if run.fate == "done":
            e = run.end
            ev.append((e, 0 if e > run.rec.start else 2, i))
    ev.sort()
    return ev


def initial_state(cfg, start=None) -> SweepState:
    """An empty device, or the state of a start snapshot (:mod:`.start_state`)."""
    st = SweepState(AddressBook(cfg.topology))
    if start is not None:
        st.book.cells.update({k: list(v) for k, v in start.cells.items()})
        st.latches = {k: dict(v) for k, v in start.latches.items()}
        st.cache_plane = {k: dict(v) for k, v in start.cache_plane.items()}
        st.cache_die = {k: dict(v) for k, v in start.cache_die.items()}
        st.odt = start.odt
    return st


def progress_bar(total: int, desc: str, progress: bool):
    """A ``tqdm.auto`` bar in ops (silent when ``progress`` is False or stderr
    is not a terminal), or None."""
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="op", desc=desc, disable=None, leave=False, mininterval=0.5)


def run_sweep(rp: Replay, cfg, ctx, col: Collector, check_start, start=None,
              progress: bool = False, final: bool = True) -> SweepState:
    """Walk the events; ``check_start(run, state, ctx, col)`` (the start rules,
    passed in so that this module does not import them: no import circle) and
    ``ctx`` its lookups. ``final``: the sequence ends here (reads whose latch
    was never output are reported); False for a chunk of a longer run
    (:mod:`.stream`)."""
    st = initial_state(cfg, start)
    bar = progress_bar(len(rp.runs), "check", progress)
    done = 0
    for t, kind, i in _events(rp):
        run = rp.runs[i]
        if kind == 1:
            done += 1
            if bar is not None and done % 4096 == 0:
                bar.update(4096)
            if run.rec.carried:  # issued before the start snapshot: only its end applies
                continue
            check_start(run, st, ctx, col)
            apply_start(run, st, cfg)
        else:
            apply_end(run, st, cfg)
    if bar is not None:
        bar.close()
    if final:
        leftover_latches(st, col)
    return st


def apply_start(run, st: SweepState, cfg) -> None:
    """Start effects: cache enter, ODT disable, reset clearing die states."""
    rec, role, t = run.rec, run.rec.role, run.rec.start
    if role.cache_enter:
        if role.cache_scope == "die":
            homes = [st.cache_die.setdefault(rec.die, {})]
        else:
            homes = [st.cache_plane.setdefault((rec.die, p), {}) for p in rec.planes]
        for home in homes:
            if role.cache_enter not in home:
                home[role.cache_enter] = CacheEntry(role.cache_enter, t, rec.celltype, role.kind,
                                                    rec.uid)
    if role.kind == "odt_disable" and st.odt is None:
        st.odt = (t, rec.uid)
    if role.kind == "reset":
        dies = range(cfg.topology.dies) if role.reset_scope == "all" else (rec.die,)
        for d in dies:
            for key in [k for k in st.latches if k[0] == d]:
                st.latches[key] = {}
            for key in [k for k in st.cache_plane if k[0] == d]:
                st.cache_plane[key] = {}
            st.cache_die[d] = {}
        for v in run.victims:
            kind = ABORT_ERASE if v.rec.kind == "erase" else ABORT_PROGRAM
            for b in v.rec.blocks or ():
                if b is not None:
                    st.book.abort(v.rec.die, b, kind, v.rec.uid)


def _latch_planes(rec, cfg) -> tuple:
    if rec.role.latch_scope == "die":
        return tuple(range(cfg.topology.planes))
    return rec.planes


def apply_end(run, st: SweepState, cfg) -> None:
    """End effects of a completed op."""
    rec, role = run.rec, run.rec.role
    if role.kind == "erase":
        for b in rec.blocks or ():
            if b is not None:
                st.book.erase(rec.die, b, rec.celltype)
    elif role.kind == "program_final":
        page = st.book.pages - 1 if role.program_all_pages else rec.page
        for b in rec.blocks or ():
            if b is not None and page is not None:
                st.book.program(rec.die, b, page, rec.celltype)
    _release_latches(rec, st, cfg)
    if role.sets_latch:
        for p in _latch_planes(rec, cfg):
            held = st.latches_at(rec.die, p)
            entry = held.get(role.sets_latch)
            if entry is None:
                entry = held[role.sets_latch] = LatchEntry(role.sets_latch, run.end, run)
            entry.readers.append(run)
    for state in role.cache_exit:
        st.cache_die.get(rec.die, {}).pop(state, None)
        for p in rec.planes:
            st.cache_plane.get((rec.die, p), {}).pop(state, None)
    if role.kind == "odt_enable":
        st.odt = None


def _release_latches(rec, st: SweepState, cfg) -> None:
    role = rec.role
    for kind in role.releases_latches:
        for p in _latch_planes(rec, cfg):
            st.latches_at(rec.die, p).pop(kind, None)
    if role.consumes_read_latch:
        for p in rec.planes:
            st.latches_at(rec.die, p).pop(READ_LATCH, None)


def leftover_latches(st: SweepState, col: Collector) -> None:
    """Reads whose LATCH_ON_READ was never output (rule 15)."""
    for (d, p), held in sorted(st.latches.items()):
        entry = held.get(READ_LATCH)
        if entry is None or entry.flagged:
            continue
        for reader in entry.readers:
            col.flag("read_latch_dout", reader.rec, f"plane {p}: read data never left through a "
                     "DOUT before the end of the sequence", plane=p)
