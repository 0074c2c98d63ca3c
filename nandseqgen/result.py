"""What a run returns: DataFrames with documented columns (SPEC 6)."""
from __future__ import annotations

import os
import shutil
from functools import cached_property

from .outputs.atomic import atomic_open, fsync_dir
from .outputs.sinks import file_name
from .outputs.tables import NAMES, table_of
from .outputs.writers import write_run

# pandas is imported on first use of a frame: `nandseqgen run` never needs it
# (its import alone is most of the process's memory; docs/performance.md)


class RunResult:
    """One run's tables, built (or read from the run's files) on first access.

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

    A run kept in files (``Simulation(keep="files")``, or a long run) reads
    them lazily; ``read(name, start_us, end_us)`` and ``iter_chunks(...)``
    give a time window or chunks without loading the whole table.
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

    @property
    def in_memory(self) -> bool:
        return self.recorder.in_memory

    @property
    def files(self) -> dict:
        """{table: {"csv": path, "parquet": path}} of a run kept in files ({} in memory)."""
        return getattr(self.recorder, "paths", {})

    def _frame(self, table: str):
        from .outputs.frames import table_frame
        from .outputs.lazy import read_file_table
        if self.in_memory:
            return table_frame(self.recorder, table)
        return read_file_table(self.files[table], table,
                               index=self.recorder.index.get(table))

    @cached_property
    def sequence(self):
        return self._frame("operation_sequence")

    @cached_property
    def operations(self):
        return self._frame("operation_timeline")

    @cached_property
    def op_states(self):
        return self._frame("op_state_timeline")

    @cached_property
    def touches(self):
        return self._frame("address_touch_count")

    @cached_property
    def input_time(self):
        return self._frame("op_state_name_input_time_count")

    @cached_property
    def proposals(self):
        return self._frame("phase_proposal_counts")

    @cached_property
    def rollbacks(self):
        from .outputs.frames import rollback_frame
        return rollback_frame(self.recorder)

    @cached_property
    def metrics_df(self):
        from .outputs.frames import metrics_frame
        return metrics_frame(self.metrics)

    @cached_property
    def bootstrap_progress(self):
        from .bootstrap import progress_frame
        return progress_frame(self.recorder.bootstrap_rows)

    # ---------------------------------------------------------- windows
    def iter_chunks(self, name: str, chunksize: int = 100_000, start_us: float | None = None,
                    end_us: float | None = None, columns=None):
        """DataFrames of at most ``chunksize`` rows of table ``name`` (``"sequence"``,
        ``"operations"``, ... or the file's table name), like
        ``pd.read_csv(chunksize=...)``; only rows whose time (``time``, ``start``
        or ``propose_time``) lies in ``[start_us, end_us)`` when given."""
        from .outputs.lazy import iter_file_chunks, iter_frame_chunks
        table = table_of(name)
        if self.in_memory or _attr(table) in self.__dict__:
            frame = getattr(self, _attr(table))
            return iter_frame_chunks(frame, table, chunksize, start_us, end_us, columns)
        return iter_file_chunks(self.files[table], table, chunksize, start_us, end_us, columns,
                                self.recorder.index.get(table))

    def read(self, name: str, start_us: float | None = None, end_us: float | None = None,
             columns=None):
        """One DataFrame of table ``name`` in ``[start_us, end_us)``; e.g. minute 37
        of a long run: ``result.read("operations", 37 * 60e6, 38 * 60e6)``."""
        table = table_of(name)
        if self.in_memory or _attr(table) in self.__dict__:
            parts = list(self.iter_chunks(name, 1 << 62, start_us, end_us, columns))
            if parts:
                return parts[0]
            frame = getattr(self, _attr(table)).iloc[0:0]
            return frame[list(columns)] if columns else frame
        from .outputs.lazy import read_file_table
        return read_file_table(self.files[table], table, start_us, end_us, columns,
                               self.recorder.index.get(table))

    def coverage(self):
        """A :class:`~nandseqgen.coverage.report.CoverageReport`: every allowed
        cell (phase key x op name x input-time bin) with its count and status
        (hit / not yet / unreachable with a reason); docs/coverage.md."""
        from .coverage.report import coverage_report
        return coverage_report(self)

    def write(self, out_dir: str, date: str, fmt: str = "csv") -> dict:
        """Write the six tables (``fmt``: csv, parquet or both); returns {table: path}.
        A run kept in files copies them (same bytes) unless they are already there."""
        if self.in_memory:
            return write_run(self.recorder, out_dir, date, self.run_index, fmt)
        return _copy_files(self.files, out_dir, date, self.run_index, fmt)

    @property
    def ops_committed(self) -> int:
        return self.summary["ops_committed"]

    @property
    def ops_issued(self) -> int:
        """Rows of the ATE sequence."""
        return self.recorder.ops_issued

    def __repr__(self) -> str:
        return (f"RunResult(run={self.run_index}, {self.start_us:.0f}-{self.end_us:.0f} us, "
                f"ops={self.ops_issued}, "
                f"rollbacks={sum(self.metrics['rollbacks'].values())})")


def _attr(table: str) -> str:
    return next(a for a, t in NAMES.items() if t == table)


def _copy_files(files: dict, out_dir: str, date: str, run_index: int, fmt: str) -> dict:
    from .outputs.sinks import table_formats
    paths: dict = {}
    for table, by_ext in files.items():
        for ext in table_formats(table, fmt):
            if ext not in by_ext:
                raise ValueError(f"{ext} files of this run were not written; run it with "
                                 f"format={fmt!r} or keep='memory'")
            dst = os.path.join(out_dir, file_name(table, date, run_index, ext))
            if os.path.abspath(dst) != os.path.abspath(by_ext[ext]):
                with open(by_ext[ext], "rb") as src, atomic_open(dst, "wb") as fh:
                    shutil.copyfileobj(src, fh)
            paths.setdefault(table, dst)
    fsync_dir(out_dir)
    return paths
