"""The streaming recorder: the ATE sequence and the timelines go to their
files in chunks while the run goes on; the counter tables stay aggregated in
memory; everything is renamed into place when the run ends (``close``), or
removed if it does not (``abort``). Same bytes as the in-memory
:class:`Recorder` writes (docs/performance.md, "Streaming outputs")."""
from __future__ import annotations

import os
from collections import Counter
from functools import partial
from operator import itemgetter

from .atomic import fsync_dir
from .flat import (MAX_NAMES, OP_WIDTH, PROPOSAL_WIDTH, ROLLBACK_WIDTH, SEG_WIDTH, from_flat,
                   ops_from_flat, proposals_from_flat, rollbacks_from_flat, seg_from_flat,
                   sequence_from_flat)
from .forkwrite import ChunkWriter
from .recorder import Recorder
from .sinks import TableOut
from .spill import TAIL, RowSpill
from .tables import (TABLES, input_time_rows, op_chunk, proposal_rows, seg_chunk,
                     sequence_rows, touch_rows)

CHUNK = 2_000  # raw rows buffered per table before a write (docs/decisions.md 101)
PROPOSAL_KEYS = 4  # x CHUNK: proposals logged before a write is forced
NEVER = 1 << 62  # a cut after every row (the end of the run)
_start = itemgetter(0)


def plain(convert, raw: list, _state: dict) -> list:
    """A chunk converter without state on the writer's side."""
    return convert(raw)


def timeline_cut(convert, w: int, raw: list, state: dict) -> list:
    """The writer's side of a timeline's reorder buffer: ``raw`` joins the rows
    held back; those starting before ``w`` are final, go out sorted
    (``convert``), and the rest wait for the next cut. A row starting before
    a cut already made would break the file's order (an engine bug): raises."""
    held = state.get("held", [])
    done_below = state.get("done_below", -NEVER)
    if raw and min(map(_start, raw)) < done_below:
        raise RuntimeError("streamed timeline row arrived after its place was written "
                           "(docs/performance.md, streaming outputs)")
    rows = held + raw if held else raw
    if w >= NEVER:
        ready, held = rows, []
    else:
        ready = [r for r in rows if r[0] < w]
        held = [r for r in rows if r[0] >= w] if len(ready) < len(rows) else []
        w = max(w, done_below)
    state["held"], state["done_below"] = held, w
    return convert(ready)


def proposal_cut(floor: int, raw: list, state: dict) -> list:
    """The writer's side of phase_proposal_counts: ``raw`` (proposal keys in
    time order) is counted with the keys held back; the keys proposed before
    ``floor`` are final and go out in order, the rest wait. A key before a
    cut already made would be counted twice in the file: raises."""
    counts = state.setdefault("counts", Counter())
    if raw and raw[0][0] < state.get("done_below", -NEVER):
        raise RuntimeError("streamed proposal arrived after its place was written "
                           "(docs/performance.md, streaming outputs)")
    counts.update(raw)
    if floor >= NEVER:
        ready, state["counts"] = list(counts.items()), Counter()
    else:
        ready = [kv for kv in counts.items() if kv[0][0] < floor]
        if ready:
            state["counts"] = Counter({k: n for k, n in counts.items() if k[0] >= floor})
        state["done_below"] = max(floor, state.get("done_below", -NEVER))
    return proposal_rows(sorted(ready))


class StreamRecorder:
    """A recorder whose long tables live in files.

    The engine records into ``core``, a compiled :class:`Recorder` with small
    buffer limits, which calls ``due`` / ``rollbacks_due`` here when a buffer
    is full (docs/decisions.md 102); every other attribute (``input_time``,
    ``touch``, ``bootstrap_rows``, ...) is the core's.

    The timelines are written in (start, ...) order although pieces and
    segments are recorded when they end: a row is held until no row can come
    before it any more. Every row recorded at ``now`` starts at or after
    ``now - horizon`` (the longest op of the config; a piece or segment never
    outlasts its op), so rows starting before that are final. The rows go to
    the writer as they come; the writer holds back the rest
    (:func:`timeline_cut`), so the engine process neither scans nor copies
    them. The newest ``TAIL`` operation rows stay here (``unpiece`` may still
    remove them). Proposals are logged here and counted by the writer
    (:func:`proposal_cut`). Sorting and formatting happen in the writer.
    """

    in_memory = False

    def __init__(self, cfg, out_dir: str, date: str, run_index: int, fmt: str = "csv",
                 chunk: int | None = None, fork: bool = True, rollback_log: bool = True):
        core = self.core = Recorder(cfg)
        core.log_rollbacks = rollback_log
        self.out_dir, self.date, self.run_index, self.fmt = out_dir, date, run_index, fmt
        self.chunk = chunk or CHUNK
        os.makedirs(out_dir, exist_ok=True)
        self.horizon = max((spec.ticks for spec in cfg.ops.values()), default=0) + 1
        core.limit = self.chunk
        core.props_limit = PROPOSAL_KEYS * self.chunk * PROPOSAL_WIDTH
        core.flat = True  # segments and proposals as flat ints (flat.py)
        core.proposal_log = []
        self._spare: dict[str, list] = {"sequence": [], "op_rows": [], "seg_rows": [],
                                        "proposal_log": []}
        self._spent: list = []
        core.owner = self
        self._rollbacks = RowSpill()
        self.n_rollbacks = 0
        self.paths: dict = {}
        self.index: dict = {}
        self.digests: dict = {}  # path -> (bytes, sha256) of the committed CSVs
        self.outs: dict = {}
        self.writer = ChunkWriter({}, fork=False)
        try:
            for t in TABLES:
                self.outs[t] = TableOut(out_dir, t, date, run_index, fmt)
        except BaseException:
            self.abort()
            raise
        # Parquet goes through pyarrow (threads) in this process: no fork then
        self.writer = ChunkWriter(self.outs, fork=fork and fmt == "csv")

    def __getattr__(self, name: str):
        if name == "core":  # not set yet (a failed __init__)
            raise AttributeError(name)
        return getattr(self.core, name)

    @property
    def ops_issued(self) -> int:
        return self.core.n_sequence

    # ------------------------------------------------------------- recording
    def due(self) -> None:
        self._flush(False)

    def rollbacks_due(self) -> None:
        rows = self.core.rollbacks
        self._rollbacks.add(rows, flat=True)
        self.n_rollbacks += len(rows) // ROLLBACK_WIDTH
        rows.clear()

    # ---------------------------------------------------------------- writing
    # The buffers are long-lived objects: a fresh buffer would be a young
    # container that every young collection of the cyclic GC walks, row by
    # row, until it is promoted (docs/decisions.md 101). Each has a twin: a
    # full buffer is handed over as it is and the core records into its
    # emptied twin (no copy; docs/decisions.md 116).
    def _take(self, attr: str) -> list:
        """The core's buffer ``attr``, swapped for its empty twin."""
        rows = getattr(self.core, attr)
        setattr(self.core, attr, self._spare.pop(attr))
        self._spent.append((attr, rows))
        return rows

    def _give_back(self) -> None:
        """After a hand-over: the buffers taken, emptied (the writer empties
        them as it packs them, decision 122), are the next twins."""
        for attr, rows in self._spent:
            rows.clear()
            self._spare[attr] = rows
        self._spent.clear()

    def _flush(self, final: bool) -> None:
        """Called from OP_START (never inside a prune, which hands segments
        over plane by plane) and at the end of the run. The writer takes a
        chunk while it still writes the previous one (decision 119)."""
        core = self.core
        jobs: list = []
        if core.sequence:
            jobs.append(("operation_sequence", partial(from_flat, sequence_from_flat,
                                                       partial(plain, sequence_rows)),
                         self._take("sequence"), True))
            core.seq_buffered = 0
        tail = TAIL * OP_WIDTH
        if final or len(core.op_rows) >= self.chunk * OP_WIDTH and len(core.op_rows) > tail:
            out = self._take("op_rows")
            if final:
                w = NEVER
            else:  # the newest rows stay (unpiece); none of them is final
                cut = len(out) - tail
                rows = core.op_rows
                rows.extend(out[cut:])  # only the tail is copied (decision 122)
                del out[cut:]
                w = min(core.last_start - self.horizon, min(rows[0::OP_WIDTH]))
            jobs.append(("operation_timeline", partial(from_flat, ops_from_flat,
                                                       partial(timeline_cut, op_chunk, w)),
                         out, True))
        if final or len(core.seg_rows) >= self.chunk * SEG_WIDTH:
            w = NEVER if final else core.seg_end - self.horizon
            jobs.append(("op_state_timeline", partial(from_flat, seg_from_flat,
                                                      partial(timeline_cut, seg_chunk, w)),
                         self._take("seg_rows"), True))
        if final or len(core.proposal_log or ()) >= self.chunk * PROPOSAL_WIDTH:
            self._flush_proposals(final, jobs)
        names = core.new_names
        if len(core.ids) > MAX_NAMES:  # three ids packed per int (flat.py)
            raise RuntimeError(f"more than {MAX_NAMES:,} distinct names in streamed rows")
        self.writer.submit(jobs, names[:])
        names.clear()
        self._give_back()

    def _flush_proposals(self, final: bool, jobs: list) -> None:
        """Every proposal's key since the last chunk goes to the writer, which
        counts them (:func:`proposal_cut`); a key older than the latest issued
        op is final (proposals are counted at ``now``, which only moves
        forward)."""
        if self.core.proposal_log:
            floor = NEVER if final else self.core.last_start
            jobs.append(("phase_proposal_counts", partial(from_flat, proposals_from_flat,
                                                          partial(proposal_cut, floor)),
                         self._take("proposal_log"), True))

    def close(self) -> dict:
        """End of the run: write what is left, the counter tables, and rename
        every file into place. Returns {table: {ext: path}}."""
        try:
            self._flush(True)
            self.outs["address_touch_count"].write(touch_rows(self.core.touch))
            self.outs["op_state_name_input_time_count"].write(
                input_time_rows(self.core.input_time, self.core.bins))
            self.writer.close()
        except BaseException:
            self.abort()
            raise
        self.paths = {t: out.commit() for t, out in self.outs.items()}
        self.index = {t: out.index for t, out in self.outs.items()}
        for t, out in self.outs.items():  # for the manifest (decision 117)
            self.digests.update(out.known_digests(self.writer.digests.get(t)))
        fsync_dir(self.out_dir)
        return self.paths

    def abort(self) -> None:
        """The run did not finish: remove every temp file; no final file appears."""
        self.writer.kill()
        for out in self.outs.values():
            out.abort()

    def all_rollbacks(self) -> list:
        """Every rollback row of the run (the spill file's and the buffer's)."""
        return rollbacks_from_flat(self._rollbacks.read() + self.core.rollbacks,
                                   list(self.core.ids))  # ids are numbered in order

