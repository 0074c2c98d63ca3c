"""What a run returns: DataFrames with documented columns (SPEC 6)."""
from __future__ import annotations

from functools import cached_property

from .outputs.frames import metrics_frame, rollback_frame, table_frame
from .outputs.writers import write_run


class RunResult:
    """One run's tables, built on first access.

    ``sequence``: seq, time, op_id, op_name, op_uid, payload (the ATE file).
    ``operations``: start, end, die, plane, block, page, op_name, op_base,
    source, op_uid, op_state (one row per target plane and executed piece).
    ``op_states``: start, end, die, plane, op_state, lane, op_name, duration.
    ``touches``: op_base, cell_type, die, block, page, count.
    ``input_time``: op_state, op_name, input_time, count.
    ``proposals``: phase_key_used, phase_key_virtual, die, plane, propose_time,
    op_name, count.
    ``rollbacks``: time, die, plane, phase_key, op_name, op_base, reason, detail.
    ``metrics_df``: metric, value. Times are microseconds.
    """

    def __init__(self, recorder, summary: dict, run_index: int, config, seed: int,
                 start_us: float, end_us: float, bootstrap=None, phase_table=None):
        self.recorder = recorder
        self.summary = summary
        self.metrics = summary["metrics"]
        self.run_index = run_index
        self.config = config
        self.seed = seed
        self.start_us, self.end_us = start_us, end_us
        self._bootstrap = bootstrap
        self.phase_table = phase_table or {}

    @cached_property
    def sequence(self):
        return table_frame(self.recorder, "operation_sequence")

    @cached_property
    def operations(self):
        return table_frame(self.recorder, "operation_timeline")

    @cached_property
    def op_states(self):
        return table_frame(self.recorder, "op_state_timeline")

    @cached_property
    def touches(self):
        return table_frame(self.recorder, "address_touch_count")

    @cached_property
    def input_time(self):
        return table_frame(self.recorder, "op_state_name_input_time_count")

    @cached_property
    def proposals(self):
        return table_frame(self.recorder, "phase_proposal_counts")

    @cached_property
    def rollbacks(self):
        return rollback_frame(self.recorder)

    @cached_property
    def metrics_df(self):
        return metrics_frame(self.metrics)

    @cached_property
    def bootstrap_progress(self):
        from .bootstrap import progress_frame
        return progress_frame(self.recorder.bootstrap_rows)

    def coverage(self):
        """A :class:`~nandseqgen.coverage.report.CoverageReport`: every allowed
        cell (phase key x op name x input-time bin) with its count and status
        (hit / not yet / unreachable with a reason); docs/coverage.md."""
        from .coverage.report import coverage_report
        return coverage_report(self)

    def write(self, out_dir: str, date: str) -> dict:
        """Write the six CSV tables; returns {table: path}."""
        return write_run(self.recorder, out_dir, date, self.run_index)

    @property
    def ops_committed(self) -> int:
        return self.summary["ops_committed"]

    def __repr__(self) -> str:
        return (f"RunResult(run={self.run_index}, {self.start_us:.0f}-{self.end_us:.0f} us, "
                f"ops={len(self.recorder.sequence)}, "
                f"rollbacks={sum(self.metrics['rollbacks'].values())})")
