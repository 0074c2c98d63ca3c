"""Check a run's files in bounded memory: a chunked sweep over time.

The three files are written in time order (``operation_sequence`` by
``time``, both timelines by ``start``). They are read together, a chunk of
about ``chunk_ops`` sequence rows at a time, and each chunk is cut at a
*quiet time* ``T``: a sequence row's time that no ``operation_timeline`` row
spans (every op issued before ``T`` has ended, or is suspended). At such a
time the device state is fully described by what a state snapshot holds
(:class:`.start_state.StartState`: address book, suspend stacks with the
suspended ops, latches, caches, ODT, the last op-state segments per plane),
so each chunk is checked by :func:`.check.check_tables` from the state the
previous chunk left, exactly as a run resumed from a snapshot is. Memory is
one chunk's rows and replay plus per die / plane / block state, whatever the
run's length. The replay confirms each cut (every op of the chunk ended by
``T`` or is suspended); if it does not, the chunk grows to the next quiet
time. See docs/validation.md "Chunked check".
"""
from __future__ import annotations

import ctypes
import dataclasses
import gc
import logging
import sys
from dataclasses import dataclass

from .check import Checked, carry_tables, check_tables
from .csvstream import CsvStream, Fallback
from .gather import Files, next_cut, rows_of, segment_rows, take_head, take_states
from .report import Collector
from .rows import RowTable
from .start_state import Carried, CarriedFrame, StartState
from .sweep import leftover_latches, progress_bar
from . import load, seq_rules, values

log = logging.getLogger(__name__)

SEQUENCE_HEADER = ["seq", "time", "op_id", "op_name", "op_uid", "payload"]
#: default sequence rows per chunk (peak memory is about 5 KiB per op of a chunk)
CHUNK_OPS = 5000
#: tail segments kept per (die, plane) for the phase keys of the next chunk
TAIL_SEGMENTS = 3


def _open(paths: dict) -> Files:
    if "operation_timeline" not in paths:
        raise Fallback("no operation_timeline: quiet times cannot be found")
    seq = CsvStream(paths["operation_sequence"], "time")
    if seq.header != SEQUENCE_HEADER:
        seq.close()
        raise Fallback("operation_sequence header is not the standard one")
    tl = CsvStream(paths["operation_timeline"], "start", "end")
    st = CsvStream(paths["op_state_timeline"], "start") if "op_state_timeline" in paths else None
    return Files(seq, tl, st)


def _settled(rp, t: int) -> bool:
    """Every op of the chunk has ended by ``t`` or is suspended (a valid cut)."""
    return all(run.fate == "suspended" or run.end <= t for run in rp.runs)


def _check_chunk(cfg, f: Files, state, cut: int | None, carry: bool = False):
    """Check the gathered rows; (collector, Checked), or None when ``cut`` is
    not quiet. ``carry``: only the state the chunk leaves, no rules
    (:func:`.check.carry_tables`; an empty collector)."""
    col = Collector()
    col.carried = f.carried
    if carry:
        res = carry_tables(cfg, RowTable(f.seq.header, f.rows), RowTable(f.tl.header, f.tl_rows),
                           state, f.prev_row)
    else:
        res = check_tables(cfg, RowTable(f.seq.header, f.rows), RowTable(f.tl.header, f.tl_rows),
                           RowTable(f.st.header, f.st_rows) if f.st is not None else None,
                           (f.seq.header, f.rows, f.first_line), col, (), state, False,
                           final=False, prev_row=f.prev_row)
    if cut is not None and not _settled(res.replay, cut):
        log.debug("cut at %d is not quiet in the replay: chunk grows", cut)
        return None
    return col, res


def next_state(res, t: int) -> StartState:
    """The state at quiet time ``t`` left by a checked chunk, as a start state."""
    rp, sw = res.replay, res.sweep
    frames = []
    for d in sorted(rp.stacks):
        for fr in rp.stacks[d]:
            members = [Carried(dataclasses.replace(run.rec, carried=True),
                               tuple((s.state, s.start, s.end, s.bus) for s in run.segs()),
                               tuple(rem)) for run, rem in fr.members]
            frames.append(CarriedFrame(fr.axis, fr.die, fr.opened_by, fr.opened_at, members))
    tails = {k: list(ps.rows[-TAIL_SEGMENTS:]) for k, ps in res.segments.items()}
    return StartState("<chunk>", -1, t, {k: list(v) for k, v in sw.book.cells.items()}, frames,
                      sw.latches, sw.cache_plane, sw.cache_die, sw.odt, tails)


def _merge(into: Collector, col: Collector) -> None:
    into.merge(col)


def _emit(f: Files, into: Collector | None, plan: Plan, got, state=None) -> None:
    """Take a checked chunk's violations (``into`` None: a carried chunk);
    keep the rows of the ops suspended at the cut for the next chunk (their
    resumed remainder is checked there)."""
    col, res = got
    if into is not None:
        _merge(into, col)
        plan.done(len(f.rows))
    f.first_line += len(f.rows)
    f.prev_row = res.last_row
    runs = [run for fr in (state.frames if state is not None else ()) for run in
            (res.replay.by_uid.get(m.rec.uid) for m in fr.members) if run is not None]
    runs = [run for run in runs if run.rec.uid not in f.foreign]
    f.carried = {run.rec.uid for run in runs}
    f.tl_rows = rows_of(f.tl, f.tl_rows, f.carried)
    f.st_rows = segment_rows(f.st, f.st_rows, runs) if f.st is not None else []
    f.rows = []


class Plan:
    """Which chunks of the checked run this process checks: all of them
    (:mod:`.parallel` gives a worker a share)."""

    carries_all = False  # every chunk carried: an earlier run replayed for its state

    def take(self, index: int, rows_before: int) -> str:
        """``"check"`` chunk ``index`` (``rows_before`` sequence rows precede
        it), ``"carry"`` only its state, or ``"stop"``: it is another's."""
        return "check"

    def done(self, rows: int) -> None:
        """``rows`` more sequence rows checked (progress)."""


#: an earlier run replayed for its state only
CARRY_ALL = type("CarryAll", (Plan,), {"take": lambda self, index, rows_before: "carry",
                                        "carries_all": True})()


@dataclass(slots=True)
class FileResult:
    """What checking one run's files left: the last chunk's check (None when
    the plan stopped first), the run's first time tick, whether this process
    checked the run's last chunk."""

    last: Checked | None
    first_tick: int | None
    final: bool


def check_file_set(cfg, paths: dict, state, into: Collector, chunk_ops: int = CHUNK_OPS,
                   plan: Plan = Plan()) -> FileResult:
    """Check one run's files chunk by chunk from ``state``; violations go to
    ``into``, for the chunks ``plan`` gives this process to check."""
    f = _open(paths)
    if state is not None:  # its ops are not this run's to report (as with a start snapshot)
        f.foreign = {m.rec.uid for fr in state.frames for m in fr.members}
    first_tick = f.seq.head[0] if f.seq.head is not None else None
    special = {name for name, spec in cfg.ops.items()
               if spec.base.role.kind in ("suspend", "resume", "reset")}
    try:
        mode = ""  # of the chunk being gathered: taken before its rows are read
        while True:
            if not mode:
                mode = plan.take(f.index, f.first_line - 2)
                if mode == "stop":
                    return FileResult(None, first_tick, False)
                f.skim = mode == "carry"
            if (t := next_cut(f, cfg, chunk_ops, special)) is None:
                break
            got = _check_chunk(cfg, f, state, t, mode == "carry")
            if got is None:  # not quiet in the replay: the chunk grows past t
                take_head(f, cfg)
                continue
            state = next_state(got[1], t)
            _emit(f, into if mode == "check" else None, plan, got, state)
            f.index += 1
            mode, got = "", None
            between_chunks(f.index)
        f.tl.take_before(1 << 62, f.tl_rows)
        if f.st is not None:
            take_states(f, 1 << 62)
        if mode == "carry" and not plan.carries_all:
            return FileResult(None, first_tick, False)  # nothing of this run was ours
        got = _check_chunk(cfg, f, state, None, mode == "carry")
        if mode == "carry" and not _settled(got[1].replay, 1 << 61):
            raise Fallback(f"{paths['operation_sequence']}: ops still running at its end")
        _emit(f, into if mode == "check" else None, plan, got)
        return FileResult(got[1], first_tick, mode == "check")
    finally:
        f.close()


class _Progress(Plan):
    """Every chunk checked here, counted on a progress bar (or None)."""

    def __init__(self, bar) -> None:
        self.bar = bar

    def done(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)


def check_part(cfg, runs: list, start, chunk_ops: int = CHUNK_OPS,
               plan: Plan = Plan()) -> Collector:
    """The violations of the chunks of the last of ``runs`` that ``plan``
    gives this process (the earlier runs are carried for their state only),
    with the reads left unread at the end when it checked the last chunk."""
    out, state = Collector(), start
    for paths in runs[:-1]:
        state = next_state(check_file_set(cfg, paths, state, out, chunk_ops, CARRY_ALL).last,
                           1 << 61)
    got = check_file_set(cfg, runs[-1], state, out, chunk_ops, plan)
    if got.final:
        tail = Collector()
        if len(runs) > 1 or start is not None:
            tail.limit_to((), got.first_tick)  # reads of earlier runs are not this run's to report
        assert got.last is not None  # the last chunk was checked here
        leftover_latches(got.last.sweep, tail)
        _merge(out, tail)
    return out


def check_runs(cfg, runs: list, start, progress: bool = False,
               chunk_ops: int = CHUNK_OPS):
    """Check the last of ``runs`` ({table: path} each, earlier runs first,
    replayed for their state only) from ``start``; a :class:`.report.CheckReport`.
    (:func:`.parallel.check_parallel`: the same with several processes.)"""
    bar = progress_bar(count_rows(runs[-1]["operation_sequence"]) if shown(progress) else 0,
                       "check", progress)
    try:
        out = check_part(cfg, runs, start, chunk_ops, _Progress(bar))
    finally:
        if bar is not None:
            bar.close()
    give_back_memory()
    return out.report()


#: chunks between full collections (a young-generation one after every chunk)
FULL_GC_CHUNKS = 64


def between_chunks(index: int) -> None:
    """Collect cycles between chunks, when only the state carried on is alive
    (the automatic collector is off during a check: :func:`.files.few_collections`)."""
    if index % FULL_GC_CHUNKS == 0:
        gc.collect()
    else:
        gc.collect(0)


def give_back_memory() -> None:
    """Return the freed chunk memory to the system before the report imports
    pandas (~95 MiB), so that the peak RSS is the larger of the two, not their
    sum: the memo tables emptied, then glibc's ``malloc_trim`` (nothing elsewhere)."""
    for module in (values, load, seq_rules):
        module.forget()
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def shown(progress: bool) -> bool:
    """A bar will be drawn (tqdm shows it only on a terminal): worth counting rows."""
    return progress and sys.stderr is not None and sys.stderr.isatty()


def count_rows(path: str) -> int:
    """Data rows of a CSV file (its lines but the header)."""
    with open(path, "rb") as fh:
        return max(0, sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) - 1)
