"""The streaming recorder: the ATE sequence and the timelines go to their
files in chunks while the run goes on; the counter tables stay aggregated in
memory; everything is renamed into place when the run ends (``close``), or
removed if it does not (``abort``). Same bytes as the in-memory
:class:`Recorder` writes (docs/performance.md, "Streaming outputs")."""
from __future__ import annotations

import os

from .atomic import fsync_dir
from .recorder import Recorder
from .sinks import TableOut
from .forkwrite import ChunkWriter
from .spill import PickleSpill, ProposalSpill, ReorderBuffer
from .tables import (OP_ROW_KEY, SEG_ROW_KEY, TABLES, input_time_rows, op_rows, proposal_rows,
                     seg_rows, sequence_rows, touch_rows, us)

CHUNK = 5_000  # raw rows buffered per table before a write
PROPOSAL_KEYS = 4  # x CHUNK: proposal keys counted in memory before a spill


class StreamRecorder(Recorder):
    """A :class:`Recorder` whose long tables live in files.

    The timelines are written in (start, ...) order although pieces and
    segments are recorded when they end: a row is held until no row can come
    before it any more. Every row recorded at ``now`` starts at or after
    ``now - horizon`` (the longest op of the config; a piece or segment never
    outlasts its op), so rows starting before that are final.
    """

    in_memory = False

    def __init__(self, cfg, out_dir: str, date: str, run_index: int, fmt: str = "csv",
                 chunk: int | None = None, fork: bool = True):
        super().__init__(cfg)
        self.out_dir, self.date, self.run_index, self.fmt = out_dir, date, run_index, fmt
        self.chunk = chunk or CHUNK
        os.makedirs(out_dir, exist_ok=True)
        horizon = max((spec.ticks for spec in cfg.ops.values()), default=0) + 1
        self._ops = ReorderBuffer(self.op_rows, OP_ROW_KEY, horizon)
        self._segs = ReorderBuffer(self.seg_rows, SEG_ROW_KEY, horizon)
        self._props = ProposalSpill(PROPOSAL_KEYS * self.chunk)
        self._rollbacks = PickleSpill()
        self.n_sequence = 0
        self.n_rollbacks = 0
        self._now = 0  # start of the latest issued op: a lower bound of the engine's now
        self._seg_end = 0  # latest end among the segments handed over
        self.paths: dict = {}
        self.index: dict = {}
        # Parquet goes through pyarrow (threads) in this process: no fork then
        self.writer = ChunkWriter(fork=fork and fmt == "csv")
        self.outs: dict = {}
        try:
            for t in TABLES:
                self.outs[t] = TableOut(out_dir, t, date, run_index, fmt)
        except BaseException:
            self.abort()
            raise

    # ------------------------------------------------------------- recording
    def started(self, op) -> None:
        super().started(op)
        self._now = op.start
        if len(self.sequence) >= self.chunk:
            self._flush(False)

    def segment(self, die, plane, row) -> None:
        start, end, base, state, uid, name = row
        self.seg_rows.append((start, end, die, plane, base, state, uid, name))
        if end > self._seg_end:
            self._seg_end = end

    def proposal(self, tick, die, plane, key_used, key, op_name) -> None:
        props = self.proposals
        props[(key_used, key, die, plane, tick, op_name)] += 1
        if len(props) >= self._props.limit:
            self._props.spill(props)

    def rollback(self, tick, die, plane, key, op_name, base, reason, detail) -> None:
        self.rollbacks.append((tick, die, plane, key, op_name, base, reason, detail))
        if len(self.rollbacks) >= self.chunk:
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
        if final or len(self.op_rows) >= self.chunk:
            rows = self._ops.ready(None if final else self._now)
            if rows:
                self.outs["operation_timeline"].write_raw(rows, op_rows, us(rows[0][0]), jobs)
        if final or len(self.seg_rows) >= self.chunk:
            rows = self._segs.ready(None if final else self._seg_end)
            if rows:
                self.outs["op_state_timeline"].write_raw(rows, seg_rows, us(rows[0][0]), jobs)
        self.writer.submit(jobs)

    def close(self) -> dict:
        """End of the run: write what is left, the counter tables, and rename
        every file into place. Returns {table: {ext: path}}."""
        try:
            self._flush(True)
            self.outs["address_touch_count"].write(touch_rows(self.touch))
            self.outs["op_state_name_input_time_count"].write(
                input_time_rows(self.input_time, self.bins))
            out, batch = self.outs["phase_proposal_counts"], []
            for item in self._props.merged(self.proposals):
                batch.append(item)
                if len(batch) >= self.chunk:
                    out.write(proposal_rows(batch))
                    batch = []
            out.write(proposal_rows(batch))
            self.proposals.clear()
            self.writer.wait()
        except BaseException:
            self.abort()
            raise
        self._props.close()
        self.paths = {t: out.commit() for t, out in self.outs.items()}
        self.index = {t: out.index for t, out in self.outs.items()}
        fsync_dir(self.out_dir)
        return self.paths

    def abort(self) -> None:
        """The run did not finish: remove every temp file; no final file appears."""
        self.writer.kill()
        for out in self.outs.values():
            out.abort()
        self._props.close()

    def all_rollbacks(self) -> list:
        return self._rollbacks.read() + self.rollbacks

