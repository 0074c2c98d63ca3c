"""The streaming recorder: the ATE sequence and the timelines go to their
files in chunks while the run goes on; the counter tables stay aggregated in
memory; everything is renamed into place when the run ends (``close``), or
removed if it does not (``abort``). Same bytes as the in-memory
:class:`Recorder` writes (docs/performance.md, "Streaming outputs")."""
from __future__ import annotations

import os
from collections import Counter
from functools import partial

from .atomic import fsync_dir
from .recorder import Recorder
from .sinks import TableOut
from .forkwrite import ChunkWriter
from .spill import RowSpill, ReorderBuffer
from .tables import (TABLES, below, input_time_rows, op_chunk, proposals_below, seg_chunk,
                     sequence_rows, touch_rows, us)

CHUNK = 5_000  # raw rows buffered per table before a write
PROPOSAL_KEYS = 4  # x CHUNK: proposal keys counted before a write is forced


class StreamRecorder(Recorder):
    """A :class:`Recorder` whose long tables live in files.

    The timelines are written in (start, ...) order although pieces and
    segments are recorded when they end: a row is held until no row can come
    before it any more. Every row recorded at ``now`` starts at or after
    ``now - horizon`` (the longest op of the config; a piece or segment never
    outlasts its op), so rows starting before that are final. Proposals are
    counted at ``now`` and time only moves forward, so a proposal key older
    than the latest issued op is final and goes out with the next chunk.
    Sorting and formatting a chunk happen in the writer child.
    """

    in_memory = False

    def __init__(self, cfg, out_dir: str, date: str, run_index: int, fmt: str = "csv",
                 chunk: int | None = None, fork: bool = True):
        super().__init__(cfg)
        self.out_dir, self.date, self.run_index, self.fmt = out_dir, date, run_index, fmt
        self.chunk = chunk or CHUNK
        os.makedirs(out_dir, exist_ok=True)
        horizon = max((spec.ticks for spec in cfg.ops.values()), default=0) + 1
        self._ops = ReorderBuffer(self.op_rows, horizon)
        self._segs = ReorderBuffer(self.seg_rows, horizon)
        self.limit = self.chunk
        self.props_limit = PROPOSAL_KEYS * self.chunk
        self._rollbacks = RowSpill()
        self.n_sequence = 0
        self.n_rollbacks = 0
        self.paths: dict = {}
        self.index: dict = {}
        self.outs: dict = {}
        self.writer = ChunkWriter({}, fork=False)
        try:
            for t in TABLES:
                self.outs[t] = TableOut(out_dir, t, date, run_index, fmt)
        except BaseException:
            self.abort()
            raise
        # Parquet goes through pyarrow (threads) in this process: no fork then
        self.writer = ChunkWriter({t: out.sinks["csv"] for t, out in self.outs.items()
                                   if "csv" in out.sinks}, fork=fork and fmt == "csv")

    # ------------------------------------------------------------- recording
    def due(self) -> None:
        self._flush(False)

    def rollbacks_due(self) -> None:
        self._rollbacks.add(self.rollbacks)
        self.n_rollbacks += len(self.rollbacks)
        self.rollbacks = []

    # ---------------------------------------------------------------- writing
    def _flush(self, final: bool) -> None:
        """Called from OP_START (never inside a prune, which hands segments
        over plane by plane) and at the end of the run."""
        self.writer.wait()
        jobs: list = []
        seq = self.sequence
        if seq:
            self.outs["operation_sequence"].write_raw(seq, sequence_rows, us(seq[0][1]), jobs)
            self.sequence = []
        self._flush_timeline("operation_timeline", self._ops, op_chunk, self.last_start,
                             final, jobs)
        self._flush_timeline("op_state_timeline", self._segs, seg_chunk, self.seg_end,
                             final, jobs)
        if final or len(self.proposals) >= self.chunk:
            self._flush_proposals(final, jobs)
        self.writer.submit(jobs)

    def _flush_timeline(self, table: str, buf: ReorderBuffer, convert, floor: int,
                        final: bool, jobs: list) -> None:
        """The final rows of a timeline's reorder buffer, once it holds a chunk."""
        if final or len(buf.rows) >= self.chunk:
            rows, w = buf.ready(None if final else floor)
            if rows:
                self.outs[table].write_raw(rows, below(convert, w), us(buf.first), jobs,
                                           buf.count)

    def _flush_proposals(self, final: bool, jobs: list) -> None:
        """Keys are inserted in time order: those of the latest issued op's
        tick or later (a short tail, counted on) stay; the writer takes the
        counter and keeps the keys before that tick."""
        props = self.proposals
        floor = (1 << 62) if final else self.last_start
        tail = []
        for kv in reversed(props.items()):
            if kv[0][0] < floor:
                break
            tail.append(kv)
        if len(tail) == len(props):
            return
        self.proposals = Counter(dict(reversed(tail)))
        first = next(iter(props))[0]
        self.outs["phase_proposal_counts"].write_raw(props, partial(proposals_below, floor),
                                                     us(first), jobs, len(props) - len(tail))

    def close(self) -> dict:
        """End of the run: write what is left, the counter tables, and rename
        every file into place. Returns {table: {ext: path}}."""
        try:
            self._flush(True)
            self.outs["address_touch_count"].write(touch_rows(self.touch))
            self.outs["op_state_name_input_time_count"].write(
                input_time_rows(self.input_time, self.bins))
            self.writer.close()
        except BaseException:
            self.abort()
            raise
        self.paths = {t: out.commit() for t, out in self.outs.items()}
        self.index = {t: out.index for t, out in self.outs.items()}
        fsync_dir(self.out_dir)
        return self.paths

    def abort(self) -> None:
        """The run did not finish: remove every temp file; no final file appears."""
        self.writer.kill()
        for out in self.outs.values():
            out.abort()

    def all_rollbacks(self) -> list:
        return self._rollbacks.read() + self.rollbacks

