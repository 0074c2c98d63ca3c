"""Tables in, op records out.

An :class:`OpRecord` is one issued command (one ``operation_sequence`` row)
with its targets taken from the ``operation_timeline`` rows of its first
piece (``source != 'resume'``), falling back to the payload when the
timeline is not available. Problems met while loading are reported to the
collector (rules ``csv_json``, ``multiplane_group``, ``timeline_consistency``).
"""
from __future__ import annotations

from typing import Final, TYPE_CHECKING

import json
import logging
from dataclasses import dataclass, field

if TYPE_CHECKING:  # imported where a DataFrame is built: check workers stay small
    import pandas as pd

from ..config import OpBase, OpSpec, Role
from .report import Collector
from .columns import column_tuples
from .values import is_missing, to_int, to_str, to_tick

log = logging.getLogger(__name__)

SEQUENCE_COLUMNS = ("seq", "time", "op_id", "op_name", "op_uid", "payload")
TIMELINE_COLUMNS = ("start", "end", "die", "plane", "block", "page", "op_name", "op_base",
                    "source", "op_uid", "op_state")
OP_STATE_COLUMNS = ("start", "end", "die", "plane", "op_state", "lane", "op_name", "duration")
RESUME: Final = "resume"


class CheckInputError(ValueError):
    """The tables cannot be checked at all (missing table or columns)."""


@dataclass(slots=True, init=False)
class TimelineRow:
    """One ``operation_timeline`` row in ticks."""

    start: int
    end: int
    die: int
    plane: int
    block: int | None
    page: int | None
    op_name: str | None
    op_base: str | None
    source: str
    uid: int | None

    # __init__ written out: mypyc runs a generated one in the interpreter (decision 111)
    def __init__(self, start: int, end: int, die: int, plane: int, block: int | None,
                 page: int | None, op_name: str | None, op_base: str | None, source: str,
                 uid: int | None) -> None:
        self.start = start
        self.end = end
        self.die = die
        self.plane = plane
        self.block = block
        self.page = page
        self.op_name = op_name
        self.op_base = op_base
        self.source = source
        self.uid = uid


@dataclass(slots=True, init=False)
class OpRecord:
    """One issued op, resolved against the config. Its ``__init__`` is written
    out, not generated: mypyc builds records with a generated ``__init__`` and
    ``__post_init__`` through the interpreter (~10 % of a carried chunk's CPU,
    docs/decisions.md 111)."""

    seq: int
    uid: int
    name: str
    spec: OpSpec
    start: int  # ticks
    die: int
    planes: tuple
    blocks: tuple | None
    page: int | None
    occupied: tuple
    celltype: str
    payload_text: str
    payload: list | None  # list of dicts with normalised keys, None when unparsable
    payload_shape: str  # "list", "object" or "invalid"
    exp_val: str | None
    first_rows: list
    targets_from: str  # "timeline" or "payload"
    carried: bool  # suspended in a start snapshot, issued before the checked run
    # read by every rule: copied from the spec once (the spec's own fields)
    base: OpBase = field(init=False, repr=False)
    role: Role = field(init=False, repr=False)
    kind: str = field(init=False, repr=False)

    def __init__(self, seq: int, uid: int, name: str, spec: OpSpec, start: int, die: int,
                 planes: tuple, blocks: tuple | None, page: int | None, occupied: tuple,
                 celltype: str, payload_text: str, payload: list | None, payload_shape: str,
                 exp_val: str | None = None, first_rows: list | None = None,
                 targets_from: str = "timeline", carried: bool = False) -> None:
        self.seq, self.uid, self.name, self.spec, self.start = seq, uid, name, spec, start
        self.die, self.planes, self.blocks, self.page = die, planes, blocks, page
        self.occupied, self.celltype, self.payload_text = occupied, celltype, payload_text
        self.payload, self.payload_shape, self.exp_val = payload, payload_shape, exp_val
        self.first_rows = [] if first_rows is None else first_rows
        self.targets_from, self.carried = targets_from, carried
        self.base = spec.base
        self.role = self.base.role
        self.kind = self.role.kind

    @property
    def ticks(self) -> int:
        return sum(s.ticks for s in self.spec.states)

    def block_of(self, plane: int) -> int | None:
        if not self.blocks or plane not in self.planes:
            return None
        return self.blocks[self.planes.index(plane)]


def require_columns(df: pd.DataFrame, columns, table: str, needed=None) -> None:
    """Raise CheckInputError when ``df`` lacks one of ``needed`` (default: all)."""
    missing = [c for c in (needed or columns) if c not in df.columns]
    if missing:
        raise CheckInputError(f"{table}: missing columns {missing}")


def timeline_rows(df: pd.DataFrame | None, col: Collector) -> dict:
    """``operation_timeline`` -> {op_uid: [TimelineRow, ...]} (rows in file order)."""
    out: dict = {}
    if df is None:
        return out
    require_columns(df, TIMELINE_COLUMNS, "operation_timeline",
                    ("start", "end", "die", "plane", "block", "page", "op_name", "source", "op_uid"))
    seen: dict = {}  # the repeating cells of a row, converted once per distinct tuple
    cells = column_tuples(df, ("start", "end", "die", "plane", "block", "page", "op_name",
                               "op_base", "source", "op_uid"))
    for i, (start, end, die, plane, block, page, name, base, source, uid) in enumerate(cells):
        try:
            t0, t1 = to_tick(start), to_tick(end)
            key = (die, plane, block, page, name, base, source)
            rest = seen.get(key)
            if rest is None:
                rest = seen[key] = (to_int(die), to_int(plane), to_int(block), to_int(page),
                                    to_str(name), to_str(base),
                                    (to_str(source) or "").strip().lower())
            u = to_int(uid)  # the cells are converted in column order (the first error wins)
        except (TypeError, ValueError) as exc:
            col.flag("csv_json", None, f"operation_timeline row {i}: unreadable value ({exc})")
            continue
        d, p, b, pg, op_name, op_base, src = rest
        if t0 is None or t1 is None or d is None or p is None or u is None:
            col.flag("csv_json", None, f"operation_timeline row {i}: missing start/end/die/plane/op_uid")
            continue
        row = TimelineRow(t0, t1, d, p, b, pg, op_name, op_base, src, u)
        got = out.get(u)
        if got is None:
            out[u] = [row]
        else:
            got.append(row)
    return out


#: payload text -> payload_facts (few distinct payloads per run)
_PARSED: Final[dict[str, tuple]] = {}


def payload_facts(text: str) -> tuple:
    """``(items, shape, celltype, exp_val)`` of a payload text: :func:`parse_payload`
    and the first ``celltype`` and ``exp_val`` values, once per distinct text
    (the items are shared between the ops with that text: rules only read them)."""
    got = _PARSED.get(text)
    if got is None:
        if len(_PARSED) >= 1 << 13:  # parsed items are ~1 KiB each: a few MiB at most
            _PARSED.clear()
        items, shape = parse_payload(text)
        got = _PARSED[text] = (items, shape, to_str(_first_value(items, "celltype")),
                               to_str(_first_value(items, "exp_val")))
    return got


def parse_payload(text) -> tuple:
    """Payload cell -> (items or None, shape). Accepts a list of objects or one
    object; the plane key ``pl`` is read as ``plane``."""
    if not isinstance(text, str) and is_missing(text):
        return None, "invalid"
    try:
        obj = json.loads(text) if isinstance(text, str) else text
    except (TypeError, ValueError):
        return None, "invalid"
    if isinstance(obj, dict):
        items, shape = [obj], "object"
    elif isinstance(obj, list) and all(isinstance(x, dict) for x in obj):
        items, shape = list(obj), "list"
    else:
        return None, "invalid"
    norm = []
    for item in items:
        item = dict(item)
        if "pl" in item and "plane" not in item:
            item["plane"] = item.pop("pl")
        norm.append(item)
    return norm, shape


def _first_value(items, key):
    for item in items or ():
        if not is_missing(item.get(key)):
            return item.get(key)
    return None


def _targets_from_rows(rows, problems: list):
    """Targets of an op from its first-piece timeline rows, or None."""
    if len(rows) == 1:  # the common single-plane op: one row
        r = rows[0]
        if r.source == RESUME:
            return None
        return r.die, (r.plane,), None if r.block is None else (r.block,), r.page, list(rows)
    first = [r for r in rows if r.source != RESUME]
    if not first:
        return None
    t0 = min(r.start for r in first)
    first = sorted((r for r in first if r.start == t0), key=lambda r: r.plane)
    dies = sorted({r.die for r in first})
    planes = [r.plane for r in first]
    pages = sorted({-1 if r.page is None else r.page for r in first})
    if len(dies) > 1:
        problems.append(f"first-piece rows on several dies {dies}")
    if len(set(planes)) != len(planes):
        problems.append(f"plane listed twice in first-piece rows {planes}")
    if len(pages) > 1:
        problems.append(f"first-piece rows name several pages {pages}")
    listed = tuple(r.block for r in first)
    blocks = None if all(b is None for b in listed) else listed
    return dies[0], tuple(planes), blocks, first[0].page, first


def _targets_from_payload(items):
    """Fallback targets (die, planes, blocks, page) from payload objects."""
    items = items or []
    die = to_int(_first_value(items, "die")) or 0
    with_plane = [it for it in items if not is_missing(it.get("plane"))]
    if not with_plane:
        block = to_int(_first_value(items, "block"))
        return die, (0,), None if block is None else (block,), to_int(_first_value(items, "page"))
    planes = tuple(to_int(it["plane"]) for it in with_plane)
    blocks = tuple(to_int(it.get("block")) for it in with_plane)
    return (die, planes, None if all(b is None for b in blocks) else blocks,
            to_int(_first_value(items, "page")))


def _record(row: tuple, cfg, tl: dict, col: Collector) -> OpRecord | None:
    """One sequence row ``(seq, time, op_name, op_uid, payload)`` -> OpRecord
    (None when the row cannot be used)."""
    seq_cell, time_cell, name_cell, uid_cell, text = row
    name = to_str(name_cell)
    try:
        seq, uid, start = to_int(seq_cell), to_int(uid_cell), to_tick(time_cell)
    except (TypeError, ValueError) as exc:
        col.flag("csv_json", None, f"sequence row {name}: unreadable seq/op_uid/time ({exc})")
        return None
    if seq is None or uid is None or start is None:
        col.flag("csv_json", None, f"sequence row {name}: missing seq/op_uid/time")
        return None
    spec = cfg.ops.get(name)
    if spec is None:
        col.flag("csv_json", None, f"seq {seq} uid {uid}: op_name {name!r} is not in the config",
                 time_tick=start)
        return None
    if type(text) is not str:
        text = "" if text is None or is_missing(text) else str(text)
    items, shape, cell_celltype, exp_val = payload_facts(text)
    problems: list = []
    got = _targets_from_rows(tl.get(uid, ()), problems)
    source = "timeline"
    if got is None:
        die, planes, blocks, page = _targets_from_payload(items)
        first, source = [], "payload"
    else:
        die, planes, blocks, page, first = got
    occupied = _all_planes(cfg.topology.planes) if spec.base.scope == "DIE_WIDE" else planes
    celltype = spec.celltype
    if celltype == "NONE":
        celltype = cell_celltype or "NONE"
    rec = OpRecord(seq, uid, spec.name, spec, start, die, planes, blocks, page, occupied, celltype,
                   text, items, shape, exp_val, first, source)
    for problem in problems:
        col.flag("multiplane_group", rec, problem)
    return rec


_PLANES: Final[dict[int, tuple]] = {}


def _all_planes(n: int) -> tuple:
    got = _PLANES.get(n)
    if got is None:
        got = _PLANES[n] = tuple(range(n))
    return got


def build_records(seq_df: pd.DataFrame, tl: dict, cfg, col: Collector) -> list:
    """Every usable sequence row as an OpRecord, in file order."""
    require_columns(seq_df, SEQUENCE_COLUMNS, "operation_sequence",
                    ("seq", "time", "op_name", "op_uid", "payload"))
    out = []
    for row in column_tuples(seq_df, ("seq", "time", "op_name", "op_uid", "payload")):
        rec = _record(row, cfg, tl, col)
        if rec is not None:
            out.append(rec)
    log.debug("loaded %d op records", len(out))
    return out


def forget() -> None:
    """Empty the parsed-payload memo (a check is over)."""
    _PARSED.clear()
