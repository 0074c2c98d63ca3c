"""Entry points: check in-memory tables or the CSV files of one run."""
from __future__ import annotations

import csv
import logging
import os
import re
from dataclasses import dataclass

import pandas as pd

from ..config import Config, load_config
from .consistency import by_lane, check_op_states, check_operation_timeline, op_state_rows
from .load import CheckInputError, build_records, timeline_rows
from .values import to_int, to_tick
from .replay import replay
from .report import CheckReport, Collector
from .seq_rules import (check_csv_json_file, check_csv_json_frame, check_exp_val, check_group,
                        check_payload, check_time_order)
from .start_rules import FrameIndex, StartContext
from .start_state import find_snapshot, read_start_state, snapshot_run_index
from .state import build_segments, suspended_blocks
from .sweep import run_sweep
from .time_rules import check_bus, check_die, check_planes, check_resume_time

log = logging.getLogger(__name__)

TABLES = ("operation_sequence", "operation_timeline", "op_state_timeline")
_FILE = re.compile(r"^(?P<table>" + "|".join(TABLES) + r")_(?P<date>\d+)_(?P<run>\d+)\.csv$")


def _config(config) -> Config:
    if isinstance(config, Config):
        return config
    return load_config(os.fspath(config))


def check_frames(sequence_df: pd.DataFrame, operations_df: pd.DataFrame | None, config,
                 op_states_df: pd.DataFrame | None = None, *, history=(),
                 from_snapshot=None) -> CheckReport:
    """Check one run given as DataFrames with the output columns (times in us).

    ``operations_df`` (operation_timeline) and ``op_states_df``
    (op_state_timeline) may be None: the rules that need them are reported
    as not checked. ``history``: the tables of the earlier runs this run
    continues from, as ``(sequence, operations, op_states)`` tuples; they are
    replayed first to build the starting state, and only this run's ops are
    reported on. ``from_snapshot``: path of a state snapshot the run (or its
    first history run) started from; the replay starts from its state.
    """
    cfg = _config(config)
    start = read_start_state(os.fspath(from_snapshot), cfg) if from_snapshot else None
    return _check(cfg, sequence_df, operations_df, op_states_df, None, history, start)


def _concat(frames: list):
    """Earlier runs' tables followed by this run's (None when this run's is None)."""
    if frames[-1] is None:
        return None
    kept = [f for f in frames if f is not None and len(f)]
    if len(kept) <= 1:
        return frames[-1]
    if all(isinstance(f, RowTable) for f in kept) and len({tuple(f.columns) for f in kept}) == 1:
        return RowTable(kept[0].columns, [r for f in kept for r in f.rows])
    return pd.concat([f.frame() if isinstance(f, RowTable) else f for f in kept],
                     ignore_index=True)


def _scope(col: Collector, seq_df: pd.DataFrame) -> None:
    uids, starts = set(), []
    for row in seq_df.to_dict("records"):
        try:
            uids.add(to_int(row.get("op_uid")))
            starts.append(to_tick(row.get("time")))
        except (TypeError, ValueError):
            continue
    starts = [t for t in starts if t is not None]
    col.limit_to(uids, min(starts) if starts else None)


def _check(cfg: Config, seq_df, ops_df, states_df, seq_file, history=(),
           start=None, progress: bool = False) -> CheckReport:
    col = Collector()
    check_tables(cfg, seq_df, ops_df, states_df, seq_file, col, history, start, progress)
    return col.report()


@dataclass(slots=True)
class Checked:
    """What one check leaves behind for the next chunk (:mod:`.stream`)."""

    replay: object  # .replay.Replay
    sweep: object  # .sweep.SweepState
    segments: dict
    last_row: tuple  # (seq, time tick) of the last sequence row


def check_tables(cfg: Config, seq_df, ops_df, states_df, seq_file, col: Collector, history=(),
                 start=None, progress: bool = False, *, final: bool = True,
                 prev_row=(None, None)) -> Checked:
    """Run every rule on one run's tables (or one chunk of them), into ``col``."""
    if seq_df is None:
        raise CheckInputError("operation_sequence is required")
    history = list(history or ())
    if history or start is not None:
        _scope(col, seq_df)
    last_row = check_time_order(seq_df, col, prev_row)
    if seq_file is not None:
        check_csv_json_file(seq_file[0], seq_file[1], col, *seq_file[2:])
    else:
        check_csv_json_frame(seq_df, col)
    all_seq = _concat([h[0] for h in history] + [seq_df])
    ops_df = _concat([h[1] for h in history] + [ops_df])
    states_df = _concat([h[2] if len(h) > 2 else None for h in history] + [states_df])
    tl = timeline_rows(ops_df, col) if ops_df is not None else None
    records = build_records(all_seq, tl or {}, cfg, col)
    for rec in records:
        check_group(rec, cfg, col)
        check_payload(rec, col)
        rec.payload, rec.payload_text = None, ""  # no later rule reads them: free them
    rp = replay(records, cfg, col, start)
    segments = build_segments(rp, start.tails if start is not None else None)
    for rec in records:
        check_exp_val(rec, cfg, segments, col)
    check_bus(rp, col)
    check_planes(rp, segments, col)
    check_die(rp, cfg, col)
    ctx = StartContext(cfg, segments, suspended_blocks(rp), FrameIndex(rp.frames))
    st = run_sweep(rp, cfg, ctx, col, start, progress, final)
    _timeline_rules(rp, records, segments, tl, op_state_rows(states_df, col), col)
    log.debug("checked %d ops: %d violations", len(records), len(col.rows))
    return Checked(rp, st, segments, last_row)


def _timeline_rules(rp, records, segments, tl, st_rows, col: Collector) -> None:
    if tl is None and st_rows is None:
        col.skip("resume_time", "no operation_timeline nor op_state_timeline")
        col.skip("timeline_consistency", "no operation_timeline nor op_state_timeline")
        return
    check_resume_time(rp, tl, by_lane(st_rows), col)
    if tl is not None:
        check_operation_timeline(rp, records, tl, col)
    if st_rows is not None:
        check_op_states(rp, segments, st_rows, col)


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


#: columns with few distinct values: their cells are shared, not one string per row
SHARED_COLUMNS = frozenset(("op_id", "op_name", "op_base", "die", "plane", "block", "page",
                            "source", "op_state", "lane"))


def read_csv_rows(path: str) -> tuple:
    """(header, rows) of a CSV file read with the standard csv module."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise CheckInputError(f"{path} is empty")
        shared = [i for i, name in enumerate(header) if name in SHARED_COLUMNS]
        cells: dict = {}
        rows = []
        for row in reader:
            if not row:
                continue
            for i in shared:
                if i < len(row):
                    row[i] = cells.setdefault(row[i], row[i])
            rows.append(row)
        return header, rows


class RowTable:
    """A CSV file's rows as read (strings), with the two DataFrame methods the
    loaders use (``columns``, ``to_dict("records")``) and none of its cost."""

    def __init__(self, header: list, rows: list):
        width = len(header)
        self.columns = list(header)
        self.rows = [row if len(row) == width else (row + [""] * width)[:width] for row in rows]

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self, orient: str = "records") -> list:
        cols = self.columns
        return [dict(zip(cols, row)) for row in self.rows]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns, dtype=object)


def _frame(header: list, rows: list) -> RowTable:
    return RowTable(header, rows)


def _read_tables(paths: dict) -> tuple:
    """(sequence, timeline, op_states, (header, rows)) of one run's files."""
    header, rows = read_csv_rows(paths["operation_sequence"])
    frames = [_frame(*read_csv_rows(paths[t])) if t in paths else None
              for t in ("operation_timeline", "op_state_timeline")]
    return _frame(header, rows), frames[0], frames[1], (header, rows)


def check_dir(out_dir, config, run_index: int | None = None, *,
              history: bool = True, from_snapshot=None, progress: bool = False,
              chunk_ops: int = 10_000) -> CheckReport:
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
    memory does not grow with the run's length.
    """
    cfg = _config(config)
    paths = find_run_files(out_dir, run_index)
    run = int(_FILE.match(os.path.basename(paths["operation_sequence"]))["run"])
    runs = _scan(out_dir)
    after = -1
    if from_snapshot is not None:
        after = snapshot_run_index(os.fspath(from_snapshot))
        after = -1 if after is None else after
    earlier = sorted(r for r in runs if after < r < run) if history else []
    first = earlier[0] if earlier else run
    snap = from_snapshot
    if snap is None and first > 1:
        snap = find_snapshot(os.path.join(out_dir, "snapshots"), first - 1)
    start = read_start_state(os.fspath(snap), cfg) if snap else None
    log.info("checking %s after %d earlier run(s), from %s", paths, len(earlier),
             snap or "an empty device")
    from .stream import Fallback, check_runs
    try:
        return check_runs(cfg, [runs[r] for r in earlier] + [paths], start, progress, chunk_ops)
    except Fallback as exc:
        log.info("checking the files whole: %s", exc)
    tables = [_read_tables(runs[r])[:3] for r in earlier]
    seq, tl, st, raw = _read_tables(paths)
    return _check(cfg, seq, tl, st, raw, tables, start, progress)
