"""Check a run's files with several processes (``nandseqgen check --jobs N``).

The chunks of the streamed check (:mod:`.stream`) depend on each other only
through the state one leaves for the next. Worker 0 (this process) checks
chunks from the start. Worker ``j`` (a forked child) first *carries* the
chunks, computing only the state they leave (:func:`.check.carry_tables`,
about half the work of a check), until it is far enough ahead of worker
``j - 1``: it then claims the chunk it stands at, and checks from there on;
worker ``j - 1`` stops before that chunk. Every worker cuts the files at
the same quiet times as a single process (the cut decisions depend only on
the files and the replay), so each chunk is checked exactly once, from the
same state, and the merged report is the single-process report
(docs/decisions.md 103-105). Workers are forked: they inherit the loaded
config and compiled modules, and send back plain rows.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import resource
import traceback
from dataclasses import dataclass

from .csvstream import Fallback
from .load import CheckInputError
from .report import Collector
from .stream import CHUNK_OPS, Plan, check_part, count_rows, give_back_memory, shown
from .sweep import progress_bar

log = logging.getLogger(__name__)

#: seconds between progress updates while worker 0 waits for the others
POLL_S = 0.5


def default_jobs() -> int:
    """Processes for a check when not told: one per CPU this process may use, at most 2
    (each worker holds its own chunk: memory grows with the count)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


class Board:
    """What the workers share (in shared memory, under one lock): per worker
    ``claim`` (the chunk it checks from; -1 not yet), ``started`` (the chunk
    it checks now), ``pos`` (sequence rows before that chunk) and ``rows``
    (rows it has checked, for the progress bar). ``splits``: the chunk each
    worker but the first claims, fixed in advance (tests); None: claimed as
    the workers go (:meth:`WorkerPlan._claims`)."""

    def __init__(self, ctx, jobs: int, total: int, splits: tuple | None = None):
        self.lock = ctx.Lock()
        self.claim = ctx.Array("q", [0] + [-1] * (jobs - 1), lock=False)
        self.started = ctx.Array("q", [-1] * jobs, lock=False)
        self.pos = ctx.Array("q", [0] * jobs, lock=False)
        self.rows = ctx.Array("q", [0] * jobs, lock=False)
        self.jobs, self.total, self.splits = jobs, total, splits

    def checked_rows(self) -> int:
        return sum(self.rows)


class WorkerPlan(Plan):
    """The chunks of worker ``j`` (:class:`.stream.Plan`): carried until it
    claims one, checked from its claim until the next worker's claim."""

    def __init__(self, board: Board, j: int, on_done=None):
        self.b, self.j, self.on_done = board, j, on_done

    def take(self, index: int, rows_before: int) -> str:
        b, j = self.b, self.j
        if b.splits is not None:
            first = 0 if j == 0 else b.splits[j - 1]
            if index < first:
                return "carry"
            return "stop" if j + 1 < b.jobs and index >= b.splits[j] else "check"
        with b.lock:
            if b.claim[j] < 0 and not self._claims(index, rows_before):
                return "carry"
            nxt = b.claim[j + 1] if j + 1 < b.jobs else -1
            if 0 <= nxt <= index:
                return "stop"
            b.started[j], b.pos[j] = index, rows_before
            return "check"

    def _claims(self, index: int, rows_before: int) -> bool:
        """Claim chunk ``index`` (under the lock) when the worker before is
        checking, has not begun it, and has at least as many rows left before
        it as this worker's share of the rest."""
        b, j = self.b, self.j
        if b.claim[j - 1] < 0 or b.started[j - 1] >= index:
            return False
        ahead = rows_before - b.pos[j - 1]
        if ahead * (b.jobs - j) < b.total - rows_before:
            return False
        b.claim[j] = index
        log.debug("worker %d claims chunk %d (row %d)", j, index, rows_before)
        return True

    def done(self, rows: int) -> None:
        self.b.rows[self.j] += rows
        if self.on_done is not None:
            self.on_done()


@dataclass(slots=True)
class Part:
    """What a worker sends back: its violations and counts (plain data) and
    its own peak RSS and CPU time."""

    rows: list
    checked: dict
    skipped: dict
    peak_kib: int
    cpu_s: float


def _part(col: Collector) -> Part:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return Part(col.rows, col.checked, col.skipped, ru.ru_maxrss, ru.ru_utime + ru.ru_stime)


def _worker(conn, cfg, runs, start, chunk_ops, board, j) -> None:
    """A child's whole life: check its share, send it (or the error) back."""
    got: tuple[str, object]
    try:
        got = ("ok", _part(check_part(cfg, runs, start, chunk_ops, WorkerPlan(board, j))))
    except Fallback as exc:  # sent as text (compiled exception classes do not pickle)
        got = ("fallback", str(exc))
    except CheckInputError as exc:
        got = ("input", str(exc))
    except BaseException as exc:
        got = ("error", "".join(traceback.format_exception(exc)))
    try:
        conn.send(got)
    finally:
        conn.close()


#: peak RSS (KiB) and CPU seconds of each worker of the last parallel check
#: in this process (worker 0 first), for benchmarks/check_bench.py
LAST_WORKERS: list = []


def check_parallel(cfg, runs: list, start, progress: bool = False,
                   chunk_ops: int = CHUNK_OPS, jobs: int = 2, splits: tuple | None = None):
    """:func:`.stream.check_runs` with ``jobs`` processes; the same report.
    ``splits``: the chunk index where each worker after the first begins
    (ascending, ``jobs - 1`` of them; tests), instead of claims at run time."""
    if splits is not None and len(splits) != jobs - 1:
        raise ValueError(f"splits {splits}: need {jobs - 1} chunk indices")
    ctx = mp.get_context("fork")
    total = count_rows(runs[-1]["operation_sequence"])
    board = Board(ctx, jobs, total, splits)
    bar = progress_bar(total if shown(progress) else 0, "check", progress)
    shown_rows = [0]

    def update() -> None:
        if bar is not None:
            now = board.checked_rows()
            bar.update(now - shown_rows[0])
            shown_rows[0] = now
    children = []
    try:
        for j in range(1, jobs):
            here, there = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_worker, args=(there, cfg, runs, start, chunk_ops, board, j),
                            daemon=True)
            p.start()
            there.close()
            children.append((p, here))
        first = check_part(cfg, runs, start, chunk_ops, WorkerPlan(board, 0, update))
        parts = [_part(first)] + [_collect(p, conn, update) for p, conn in children]
    finally:
        for p, _conn in children:
            if p.is_alive():
                p.terminate()
            p.join()
        if bar is not None:
            bar.close()
    LAST_WORKERS[:] = [(part.peak_kib, part.cpu_s) for part in parts]
    give_back_memory()
    out = Collector()
    for part in parts:  # in chunk order: worker j's chunks follow worker j - 1's
        out.rows.extend(part.rows)
        for rule, n in part.checked.items():
            out.checked[rule] = out.checked.get(rule, 0) + n
        out.skipped.update(part.skipped)
    log.info("check in %d processes: peak RSS %s KiB", jobs, [p.peak_kib for p in parts])
    return out.report()


def _collect(proc, conn, update) -> Part:
    """Wait for a worker's part, updating the progress bar meanwhile."""
    while not conn.poll(POLL_S):
        update()
        if not proc.is_alive() and not conn.poll(0):
            raise RuntimeError(f"check worker {proc.pid} died (exit code {proc.exitcode})")
    try:
        status, got = conn.recv()
    except EOFError:
        raise RuntimeError(f"check worker {proc.pid} died (exit code {proc.exitcode})") from None
    update()
    if status == "fallback":
        raise Fallback(got)
    if status == "input":
        raise CheckInputError(got)
    if status == "error":
        raise RuntimeError(f"check worker {proc.pid} failed:\n{got}")
    return got
