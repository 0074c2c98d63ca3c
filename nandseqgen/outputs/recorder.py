"""In-run recording: hot loops append tuples; DataFrames are built on request
(:mod:`nandseqgen.outputs.frames`)."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

from .payload import payload_fields

if TYPE_CHECKING:
    from ..config.model import Config
    from ..core.ops import Op

try:  # compiled by mypyc (setup.py); StreamRecorder subclasses it in Python
    from mypy_extensions import mypyc_attr
except ImportError:  # pure-Python install without mypy_extensions
    def mypyc_attr(*_args: Any, **_kwargs: Any) -> Any:  # type: ignore[misc]
        return lambda cls: cls


@mypyc_attr(allow_interpreted_subclasses=True)
class Recorder:
    """Keeps every row in memory (``Simulation(keep="memory")``); the streaming
    :class:`nandseqgen.outputs.stream.StreamRecorder` owns one of these (the
    engine calls a compiled object of this exact class, docs/decisions.md
    102), sets the limits below and is called back through ``owner`` when a
    buffer is full."""

    in_memory: ClassVar[bool] = True

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.planes = cfg.topology.planes
        self.bins = cfg.policies.input_time_bins
        self.op_id = {name: spec.index for name, spec in cfg.ops.items()}
        self.sequence: list = []  # (seq, tick, op_id, op_name, uid, payload fields); or flat
        self.seq_buffered = 0  # streaming: ops in the flat ``sequence``
        self.op_rows: list = []  # operation_timeline rows; streaming: flat (see ``flat``)
        # (start, end, die, plane, base, state, uid, op_name); streaming: flat (see ``flat``)
        self.seg_rows: list = []
        self.touch: Counter[tuple] = Counter()  # (op_base, celltype, die, block, page) -> n
        self.input_time: Counter[tuple] = Counter()  # (key, op_name, bin) -> n
        # (tick, die, plane, op_name, key_used, key_virtual) -> n
        self.proposals: Counter[tuple] = Counter()
        # streaming: every proposal's key, in time order, flat; the writer counts them
        self.proposal_log: list | None = None
        # (tick, die, plane, key, op_name, base, reason, detail); streaming: flat
        self.rollbacks: list = []
        # False: the engine does not call ``rollback`` (a run that writes files
        # and never shows the rows, e.g. the CLI's; docs/decisions.md 124)
        self.log_rollbacks = True
        self.bootstrap_rows: list = []
        self.n_sequence = 0
        self.limit = 1 << 62  # sequence / rollback rows buffered before due()
        self.props_limit = 1 << 62  # proposal keys counted before due()
        self.last_start = 0  # start of the latest issued op: a lower bound of now
        self.seg_end = 0  # latest end among the segments recorded
        self.owner: Any = None  # has due() / rollbacks_due() (the streaming recorder)
        # streaming: pieces, segments and proposals as flat runs of ints, names (any
        # hashable value) as ids; the writer gets the new names with each chunk
        # (docs/decisions.md 115)
        self.flat = False
        self.ids: dict[Any, int] = {}
        self.new_names: list = []

    # -------------------------------------------------------------- at commit
    def proposal(self, tick: int, die: int, plane: int, key_used: Any, key: Any,
                 op_name: str) -> None:
        log = self.proposal_log
        if log is not None:  # streaming: three ints (PROPOSAL_WIDTH in outputs/flat.py)
            log.append(tick)
            log.append((die << 16) | plane)
            log.append((self.intern(op_name) << 42) | (self.intern(key_used) << 21)
                       | self.intern(key))
            if len(log) >= self.props_limit:  # many refusals, few issued ops
                self.due()
            return
        self.proposals[(tick, die, plane, op_name, key_used, key)] += 1

    def intern(self, name: Any) -> int:
        """The id of ``name`` in the flat streaming rows (new ones are queued
        for the writer in ``new_names``)."""
        i = self.ids.get(name)
        if i is None:
            i = len(self.ids)
            self.ids[name] = i
            self.new_names.append(name)
        return i

    def coverage(self, key_used: Any, op_name: str, position: float) -> None:
        b = min(int(position * self.bins), self.bins - 1)
        self.input_time[(key_used, op_name, b)] += 1

    def rollback(self, tick: int, die: int, plane: int, key: Any, op_name: str | None,
                 base: str | None, reason: str, detail: str | None) -> None:
        rows = self.rollbacks
        if not self.flat:
            rows.append((tick, die, plane, key, op_name, base, reason, detail))
            if len(rows) >= self.limit:
                self.rollbacks_due()
            return
        rows.append(tick)  # streaming: eight ints (ROLLBACK_WIDTH in outputs/flat.py)
        rows.append(die)
        rows.append(plane)
        rows.append(self.intern(key))
        rows.append(self.intern(op_name))
        rows.append(self.intern(base))
        rows.append(self.intern(reason))
        rows.append(self.intern(detail))
        if len(rows) >= self.limit * 8:
            self.rollbacks_due()

    # ------------------------------------------------------------- execution
    def started(self, op: Op) -> None:
        """OP_START: the op is issued; it goes to the ATE sequence (its payload
        JSON is made when the table is built: fields are final by now)."""
        if self.flat:
            self._started_flat(op)
        else:
            self.sequence.append((self.n_sequence, op.start, self.op_id[op.spec.name],
                                  op.spec.name, op.uid, payload_fields(op)))
        self.n_sequence += 1
        self.last_start = op.start
        if op.blocks:
            base, ct = op.spec.base.name, op.celltype
            page = -1 if op.page is None else op.page
            for b in op.blocks:
                self.touch[(base, ct, op.die, b, page)] += 1
        if (self.seq_buffered if self.flat else len(self.sequence)) >= self.limit:
            self.due()

    def _started_flat(self, op: Op) -> None:
        """Streaming: eight ints per issued op (seq, tick, op id and name,
        uid, payload fields: names, planes and celltype, die, page, exp_val),
        the number of blocks (-1: None), the blocks (``sequence_from_flat``)."""
        rows = self.sequence
        name = op.spec.name
        rows.append(self.n_sequence)
        rows.append(op.start)
        rows.append((self.op_id[name] << 21) | self.intern(name))
        rows.append(op.uid)
        rows.append((self.intern(op.spec.base.payload) << 42) | (self.intern(op.planes) << 21)
                    | self.intern(op.celltype))
        rows.append(op.die)
        rows.append(op.page)
        rows.append(self.intern(op.exp_val))
        blocks = op.blocks
        if blocks is None:
            rows.append(-1)
        else:
            rows.append(len(blocks))
            rows.extend(blocks)
        self.seq_buffered += 1

    def piece(self, op: Op, start: int, end: int, source: str) -> None:
        """One executed piece of an op (whole op, or a suspend/resume piece);
        a zero-length piece (suspended right at its restart) occupies nothing."""
        if end <= start:
            return
        blocks = op.blocks or (None,) * len(op.planes)
        keys = op.phase_key if isinstance(op.phase_key, tuple) else (op.phase_key,) * len(op.planes)
        if self.flat:
            self._piece_flat(op, start, end, source, blocks, keys)
            return
        for plane, block, key in zip(op.planes, blocks, keys):
            self.op_rows.append((start, end, op.die, plane, block, op.page, op.spec.name,
                                 op.spec.base.name, source, op.uid, key))

    def _piece_flat(self, op: Op, start: int, end: int, source: str, blocks: tuple,
                    keys: tuple) -> None:
        """Streaming: eight ints per plane (OP_WIDTH in outputs/flat.py)."""
        rows = self.op_rows
        names = ((self.intern(op.spec.name) << 42) | (self.intern(op.spec.base.name) << 21)
                 | self.intern(source))
        for plane, block, key in zip(op.planes, blocks, keys):
            rows.append(start)
            rows.append(end)
            rows.append((op.die << 16) | plane)
            rows.append(block)
            rows.append(op.page)
            rows.append(op.uid)
            rows.append(names)
            rows.append(self.intern(key))

    def unpiece(self, op: Op, lookback: int = 4096) -> None:
        """Forget the pieces of ``op`` recorded lately (it was dropped by a RESET
        before it ever started)."""
        rows = self.op_rows
        if not self.flat:
            lo = max(0, len(rows) - lookback)
            rows[lo:] = [r for r in rows[lo:] if r[9] != op.uid]
            return
        width = 8  # OP_WIDTH (outputs/flat.py); the uid is the sixth
        lo = max(0, len(rows) // width - lookback) * width
        kept: list = []
        for i in range(lo, len(rows), width):
            if rows[i + 5] != op.uid:
                kept.extend(rows[i:i + width])
        rows[lo:] = kept

    def segment(self, die: int, plane: int, row: tuple) -> None:
        start, end, base, state, uid, name = row
        rows = self.seg_rows
        if self.flat:  # streaming: five ints per row (SEG_WIDTH in outputs/flat.py)
            rows.append(start)
            rows.append(end)
            rows.append((die << 16) | plane)
            rows.append(uid)
            rows.append((self.intern(base) << 42) | (self.intern(state) << 21)
                        | self.intern(name))
        else:
            rows.append((start, end, die, plane, base, state, uid, name))
        if end > self.seg_end:
            self.seg_end = end

    def due(self) -> None:
        """A buffer reached its limit (never in memory: the limits are huge);
        called from OP_START or a hook, never inside a prune."""
        if self.owner is not None:
            self.owner.due()

    def rollbacks_due(self) -> None:
        """The rollback buffer reached ``limit``."""
        if self.owner is not None:
            self.owner.rollbacks_due()

    # ------------------------------------------------------------ run end
    @property
    def ops_issued(self) -> int:
        return self.n_sequence

    def all_rollbacks(self) -> list:
        return self.rollbacks

    def close(self) -> dict:
        return {}

    def abort(self) -> None:
        pass
