"""Entry point for a run folder: find a run's files and check them
(chunk by chunk, :mod:`.stream`; whole when they cannot be cut)."""
from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing as mp
import os
import re
from collections.abc import Iterator

from .check import _check, _config
from .load import CheckInputError
from .report import CheckReport
from .rows import RowTable, read_csv_rows
from .start_state import find_snapshot, read_start_state, snapshot_run_index
from .parallel import can_fork, check_parallel, default_jobs
from .stream import CHUNK_OPS, Fallback, check_runs

log = logging.getLogger(__name__)

TABLES = ("operation_sequence", "operation_timeline", "op_state_timeline")
_FILE = re.compile(r"^(?P<table>" + "|".join(TABLES) + r")_(?P<date>\d+)_(?P<run>\d+)\.csv$")


def _scan(out_dir) -> dict:
    """{run index: {table: path}} of the files in ``out_dir`` (greatest date wins)."""
    found: dict = {}
    for name in sorted(os.listdir(out_dir)):
        m = _FILE.match(name)
        if m:
            found.setdefault(int(m["run"]), {}).setdefault(m["table"], []).append(
                (m["date"], os.path.join(out_dir, name)))
    return {run: {t: max(paths)[1] for t, paths in tables.items()}
            for run, tables in found.items() if "operation_sequence" in tables}


def find_run_files(out_dir, run_index: int | None = None) -> dict:
    """{table: path} of one run in ``out_dir`` (highest run index when None).

    File names are ``<table>_<date>_<NNNNNNN>.csv``; any date part is
    accepted (the greatest one wins when a run index has several).
    """
    runs = _scan(out_dir)
    if not runs:
        raise CheckInputError(f"no operation_sequence_<date>_<run>.csv in {out_dir}")
    run = max(runs) if run_index is None else run_index
    if run not in runs:
        raise CheckInputError(f"run {run} has no operation_sequence file in {out_dir} "
                              f"(runs: {sorted(runs)})")
    return runs[run]


def _read_tables(paths: dict) -> tuple:
    """(sequence, timeline, op_states, (header, rows)) of one run's files."""
    header, rows = read_csv_rows(paths["operation_sequence"])
    frames = [RowTable(*read_csv_rows(paths[t])) if t in paths else None
              for t in ("operation_timeline", "op_state_timeline")]
    return RowTable(header, rows), frames[0], frames[1], (header, rows)


def check_dir(out_dir, config, run_index: int | None = None, *,
              history: bool = True, from_snapshot=None, progress: bool = False,
              chunk_ops: int = CHUNK_OPS, jobs: int | None = None) -> CheckReport:
    """Check the CSV files of one run in ``out_dir`` (see :func:`find_run_files`).

    Runs continue from each other's state, so with ``history`` the earlier
    runs found in ``out_dir`` are replayed first (their violations are not
    reported). The replay starts from ``from_snapshot`` (a state snapshot
    file) when given; otherwise from the snapshot in ``out_dir/snapshots``
    taken just before the first replayed run, when there is one (a folder
    written by ``run --resume-from``, or ``history=False`` on a later run);
    otherwise from an empty device. ``progress``: a ``tqdm.auto`` bar over
    the ops (shown only on a terminal). The files are read in chunks of
    about ``chunk_ops`` sequence rows cut at quiet times (:mod:`.stream`), so
    memory does not grow with the run's length. ``jobs``: processes sharing
    the chunks (:mod:`.parallel`; same report); None: :func:`auto_jobs`.
    """
    cfg = _config(config)
    paths = find_run_files(out_dir, run_index)
    named = _FILE.match(os.path.basename(paths["operation_sequence"]))
    assert named is not None  # _scan found it by that pattern
    run = int(named["run"])
    runs = _scan(out_dir)
    after = -1
    if from_snapshot is not None:
        index = snapshot_run_index(os.fspath(from_snapshot))
        after = -1 if index is None else index
    earlier = sorted(r for r in runs if after < r < run) if history else []
    first = earlier[0] if earlier else run
    snap = from_snapshot
    if snap is None and first > 1:
        snap = find_snapshot(os.path.join(out_dir, "snapshots"), first - 1)
    start = read_start_state(os.fspath(snap), cfg) if snap else None
    log.info("checking %s after %d earlier run(s), from %s", paths, len(earlier),
             snap or "an empty device")
    with few_collections():
        try:
            listed = [runs[r] for r in earlier] + [paths]
            jobs = auto_jobs(paths, chunk_ops) if jobs is None else jobs
            if jobs > 1:
                return check_parallel(cfg, listed, start, progress, chunk_ops, jobs)
            return check_runs(cfg, listed, start, progress, chunk_ops)
        except Fallback as exc:
            log.info("checking the files whole: %s", exc)
        tables = [_read_tables(runs[r])[:3] for r in earlier]
        seq, tl, st, raw = _read_tables(paths)
        return _check(cfg, seq, tl, st, raw, tables, start, progress)


#: bytes of an operation_sequence row, about (to size a run without reading it)
ROW_BYTES = 100


def auto_jobs(paths: dict, chunk_ops: int = CHUNK_OPS) -> int:
    """Processes for a check when not told: :func:`.parallel.default_jobs` for a
    run of more than about 8 chunks, else 1 (a second process would mostly
    carry state it never checks); 1 in a daemonic process (a pool worker)."""
    if (not can_fork() or mp.current_process().daemon  # a daemon may not fork workers
            or os.path.getsize(paths["operation_sequence"]) < 8 * chunk_ops * ROW_BYTES):
        return 1
    return default_jobs()


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Run without the automatic cyclic garbage collector.

    A check allocates millions of small acyclic records that live for one
    chunk; the collector, run every so many allocations, re-walks them while
    the chunk is alive (about a quarter of the CPU time at the default
    threshold, 5-7 % at 200,000; docs/performance.md "Checker"). Reference
    counting frees them (a check makes no cycles); :mod:`.stream` collects
    between chunks, when little is alive (docs/decisions.md 112). The
    collector is switched back on on exit if it was on.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
