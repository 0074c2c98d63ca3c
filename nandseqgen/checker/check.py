"""Check in-memory tables (and one chunk of a run's files, :mod:`.stream`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import logging
import os
from dataclasses import dataclass

if TYPE_CHECKING:  # imported where a DataFrame is built: check workers stay small
    import pandas as pd

from ..config import Config, load_config
from .consistency import check_op_states, check_operation_timeline, op_state_rows
from .load import CheckInputError, build_records, timeline_rows
from .values import to_int, to_tick
from .replay import Replay, replay
from .report import CheckReport, Collector
from .seq_rules import (check_csv_json_file, check_csv_json_frame, check_exp_val,
                        check_own_fields, check_time_order, last_in_order)
from .start_rules import FrameIndex, StartContext, check_start, mark_latches
from .columns import column_tuples
from .rows import RowTable
from .start_state import read_start_state
from .state import build_segments, suspended_blocks
from .sweep import SweepState, run_sweep
from .time_rules import check_bus, check_die, check_planes, check_resume_time

log = logging.getLogger(__name__)



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
    import pandas as pd
    return pd.concat([f.frame() if isinstance(f, RowTable) else f for f in kept],
                     ignore_index=True)


def _scope(col: Collector, seq_df: pd.DataFrame) -> None:
    uids, starts = set(), []
    for uid, time in column_tuples(seq_df, ("op_uid", "time")):
        try:
            uids.add(to_int(uid))
            starts.append(to_tick(time))
        except (TypeError, ValueError):
            continue
    known = [t for t in starts if t is not None]
    col.limit_to(uids, min(known) if known else None)


def _check(cfg: Config, seq_df, ops_df, states_df, seq_file, history=(),
           start=None, progress: bool = False) -> CheckReport:
    col = Collector()
    check_tables(cfg, seq_df, ops_df, states_df, seq_file, col, history, start, progress)
    return col.report()


@dataclass(slots=True)
class Checked:
    """What one check leaves behind for the next chunk (:mod:`.stream`)."""

    replay: Replay
    sweep: SweepState
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
    check_own_fields(records, cfg, col)
    for rec in records:
        rec.payload, rec.payload_text = None, ""  # no later rule reads them: free them
    rp = replay(records, cfg, col, start)
    segments = build_segments(rp, start.tails if start is not None else None)
    for rec in records:
        check_exp_val(rec, cfg, segments, col)
    check_bus(rp, col)
    check_planes(rp, segments, col)
    check_die(rp, cfg, col)
    ctx = StartContext(cfg, segments, suspended_blocks(rp), FrameIndex(rp.frames))
    st = run_sweep(rp, cfg, ctx, col, check_start, start, progress, final)
    _timeline_rules(rp, records, segments, tl, op_state_rows(states_df, col), col)
    log.debug("checked %d ops: %d violations", len(records), len(col.rows))
    return Checked(rp, st, segments, last_row)


def carry_tables(cfg: Config, seq_df, ops_df, start, prev_row=(None, None)) -> Checked:
    """What :func:`check_tables` leaves for the next chunk, without its rules:
    records, replay and the sweep's state effects only (about a third of the
    work; :mod:`.parallel` uses it to reach a worker's first chunk). The
    state is the same as check_tables' by construction: the rules only read
    it, except the latch rule's "reported" mark, which
    :func:`.start_rules.mark_latches` repeats."""
    col = Collector()  # what the loaders flag is reported by the worker checking the chunk
    last_row = last_in_order(seq_df, prev_row)
    tl = timeline_rows(ops_df, col)
    records = build_records(seq_df, tl, cfg, col)
    for rec in records:
        rec.payload, rec.payload_text = None, ""
    rp = replay(records, cfg, col, start)
    segments = build_segments(rp, start.tails if start is not None else None)
    ctx = StartContext(cfg, {}, {}, FrameIndex(()))
    st = run_sweep(rp, cfg, ctx, col, mark_latches, start, False, False)
    return Checked(rp, st, segments, last_row)


def _timeline_rules(rp, records, segments, tl, st_rows, col: Collector) -> None:
    if tl is None and st_rows is None:
        col.skip("resume_time", "no operation_timeline nor op_state_timeline")
        col.skip("timeline_consistency", "no operation_timeline nor op_state_timeline")
        return
    check_resume_time(rp, tl, st_rows, col)
    if tl is not None:
        check_operation_timeline(rp, records, tl, col)
    if st_rows is not None:
        check_op_states(rp, segments, st_rows, col)
