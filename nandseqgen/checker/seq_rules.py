"""Rules about the sequence file itself and each op's own fields:
``time_order``, ``multiplane_group``, ``payload``, ``csv_json``, ``exp_val``."""
from __future__ import annotations

from typing import Final, TYPE_CHECKING

import csv
import io
import json

if TYPE_CHECKING:  # imported where a DataFrame is built: check workers stay small
    import pandas as pd

from .report import Collector
from .columns import column_tuples
from .values import is_missing, on_grid, to_int, to_str, to_tick
from .load import OpRecord

EXP_VALUES: Final = ("busy", "extrdy", "ready")


# ------------------------------------------------------------- time_order
def check_time_order(seq_df: pd.DataFrame, col: Collector, prev=(None, None)) -> tuple:
    """Rule 1: ``seq`` counts up by one, times never go back and sit on the 0.01 us grid.

    ``prev``: (seq, time tick) of the row before the first one (a chunk of a
    longer file); returns those of the last row."""
    prev_seq, prev_t = prev
    n = 0
    for seq_cell, uid_cell, time_cell in column_tuples(seq_df, ("seq", "op_uid", "time")):
        n += 1
        try:
            seq, uid, t = to_int(seq_cell), to_int(uid_cell), to_tick(time_cell)
        except (TypeError, ValueError):
            continue  # reported as csv_json by the loader
        if seq is None or t is None:
            continue
        where = dict(seq=seq, uid=uid, time_tick=t)
        if not on_grid(time_cell):
            col.flag("time_order", None, f"time {time_cell} is not a multiple of 0.01 us",
                     **where)
        if prev_seq is not None and seq != prev_seq + 1:
            col.flag("time_order", None, f"seq {seq} follows seq {prev_seq}", **where)
        if prev_t is not None and t < prev_t:
            col.flag("time_order", None, f"time {t / 100:.2f} us is before the previous op's "
                     f"{prev_t / 100:.2f} us", **where)
        prev_seq, prev_t = seq, t
    col.check("time_order", n)
    return prev_seq, prev_t


def last_in_order(seq_df, prev=(None, None)) -> tuple:
    """What :func:`check_time_order` returns, without its checks: (seq, time
    tick) of the last row whose cells convert, else ``prev``."""
    rows: list[tuple] = list(column_tuples(seq_df, ("seq", "op_uid", "time")))
    for i in range(len(rows) - 1, -1, -1):
        seq_cell, uid_cell, time_cell = rows[i]
        try:
            seq, _uid, t = to_int(seq_cell), to_int(uid_cell), to_tick(time_cell)
        except (TypeError, ValueError):
            continue
        if seq is not None and t is not None:
            return seq, t
    return prev


# ------------------------------------------------- per op's own fields
def check_own_fields(records: list, cfg, col: Collector) -> None:
    """:func:`check_group` and :func:`check_payload` of every record, judged
    once per distinct (op_name, payload, targets): ops with the same ones get
    the same violations (the location fields they default to are the same)."""
    seen: dict = {}
    for rec in records:
        key = (rec.name, rec.payload_text, rec.die, rec.planes, rec.blocks, rec.page,
               rec.celltype)
        got = seen.get(key)
        if got is None:
            probe = Collector()
            check_group(rec, cfg, probe)
            check_payload(rec, probe)
            got = seen[key] = [(r[0], r[-1], r[5], r[6], r[7]) for r in probe.rows]
        col.check("multiplane_group", rec=rec)
        col.check("payload", rec=rec)
        for rule, detail, plane, block, page in got:
            col.flag(rule, rec, detail, plane=plane, block=block, page=page)


# ------------------------------------------------------- multiplane_group
def check_group(rec: OpRecord, cfg, col: Collector) -> None:
    """Rule 3 plus range checks: planes ascending, blocks on their plane and in
    one row, one page, everything inside the topology."""
    col.check("multiplane_group", rec=rec)
    topo = cfg.topology
    P = topo.planes
    if not 0 <= rec.die < topo.dies:
        col.flag("multiplane_group", rec, f"die {rec.die} outside 0..{topo.dies - 1}")
    bad_planes = [p for p in rec.planes if not 0 <= p < P]
    if bad_planes:
        col.flag("multiplane_group", rec, f"planes {bad_planes} outside 0..{P - 1}")
    if len(rec.planes) > 1 and not rec.spec.multi:
        col.flag("multiplane_group", rec, f"single-plane op {rec.name} has planes {list(rec.planes)}")
    listed = [to_int(it.get("plane")) for it in rec.payload or () if not is_missing(it.get("plane"))]
    if any(a is not None and b is not None and b <= a for a, b in zip(listed, listed[1:])):
        col.flag("multiplane_group", rec, f"payload planes {listed} are not strictly ascending")
    if rec.blocks:
        _check_blocks(rec, rec.blocks, topo, col)
    if rec.page is not None and not 0 <= rec.page < topo.pages_per_block:
        col.flag("multiplane_group", rec, f"page {rec.page} outside 0..{topo.pages_per_block - 1}")


def _check_blocks(rec: OpRecord, blocks: tuple, topo, col: Collector) -> None:
    P = topo.planes
    rows = set()
    for p, b in zip(rec.planes, blocks):
        if b is None:
            continue
        if not 0 <= b < topo.blocks_per_die:
            col.flag("multiplane_group", rec, f"block {b} outside 0..{topo.blocks_per_die - 1}",
                     plane=p, block=b)
        elif b % P != p:
            col.flag("multiplane_group", rec, f"block {b} is on plane {b % P}, not plane {p}",
                     plane=p, block=b)
        rows.add(b // P)
    if len(rows) > 1:
        col.flag("multiplane_group", rec, f"blocks {list(blocks)} span rows {sorted(rows)}")


# ---------------------------------------------------------------- payload
def _as_int(value):
    try:
        return to_int(value)
    except (TypeError, ValueError):
        return value


def check_payload(rec: OpRecord, col: Collector) -> None:
    """Rule 14: shape, keys and values of the payload against the op's targets."""
    col.check("payload", rec=rec)
    if rec.payload_shape == "invalid":
        col.flag("payload", rec, f"payload is not a JSON list of objects: {rec.payload_text[:80]!r}")
        return
    if rec.payload_shape == "object":
        col.flag("payload", rec, "payload is a JSON object, not a list of objects")
    fields = tuple(rec.base.payload)
    items = rec.payload or []  # a list for the "list" and "object" shapes
    if not fields:
        if items:
            col.flag("payload", rec, f"base {rec.base.name} has no payload fields but payload "
                     f"is {rec.payload_text[:80]}")
        return
    want = len(rec.planes) if "plane" in fields else 1
    if len(items) != want:
        col.flag("payload", rec, f"{len(items)} payload objects, expected {want}")
    for item in items:
        if set(item) != set(fields):
            col.flag("payload", rec, f"payload keys {sorted(item)} != {sorted(fields)}")
        for problem in _value_problems(rec, item):
            col.flag("payload", rec, problem)


def _value_problems(rec: OpRecord, item) -> list:
    out = []
    plane = _as_int(item.get("plane")) if "plane" in item else None
    if "die" in item and _as_int(item["die"]) != rec.die:
        out.append(f"payload die {item['die']} != target die {rec.die}")
    if "plane" in item and plane not in rec.planes:
        out.append(f"payload plane {item['plane']} is not a target plane {list(rec.planes)}")
    if "block" in item:
        block = _as_int(item["block"])
        expect = rec.block_of(plane) if plane is not None else (rec.blocks or (None,))[0]
        if block != expect:
            out.append(f"payload block {item['block']} != target block {expect}")
    if "page" in item and _as_int(item["page"]) != rec.page:
        out.append(f"payload page {item['page']} != target page {rec.page}")
    if "celltype" in item and rec.spec.celltype != "NONE" and item["celltype"] != rec.spec.celltype:
        out.append(f"payload celltype {item['celltype']} != {rec.name}'s {rec.spec.celltype}")
    if "exp_val" in item and item["exp_val"] not in EXP_VALUES:
        out.append(f"payload exp_val {item['exp_val']!r} not one of {EXP_VALUES}")
    return out


# --------------------------------------------------------------- csv_json
_COMPACT = json.JSONEncoder(separators=(",", ":")).encode
_COMPACT_UTF8 = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
#: payload text -> compact_json_ok (few distinct payloads per run)
_COMPACT_SEEN: Final[dict[str, bool]] = {}


def compact_json_ok(text: str) -> bool:
    """True when ``text`` is JSON written compactly with double quotes."""
    got = _COMPACT_SEEN.get(text)
    if got is None:
        try:
            obj = json.loads(text)
            got = text == _COMPACT(obj) or text == _COMPACT_UTF8(obj)
        except (TypeError, ValueError):
            got = False
        if len(_COMPACT_SEEN) >= 1 << 14:
            _COMPACT_SEEN.clear()
        _COMPACT_SEEN[text] = got
    return got


def check_csv_json_frame(seq_df: pd.DataFrame, col: Collector) -> None:
    """Rule 14 (serialisation): each row survives csv write/read unchanged and
    its payload is compact JSON."""
    cols = [c for c in ("seq", "time", "op_id", "op_name", "op_uid", "payload") if c in seq_df]
    for row in seq_df[cols].to_dict("records"):
        col.check("csv_json")
        cells = ["" if is_missing(v) and not isinstance(v, str) else str(v) for v in row.values()]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        back = next(csv.reader(io.StringIO(buf.getvalue())))
        where = _where(row)
        if back != cells:
            col.flag("csv_json", None, "row does not survive a csv write/read", **where)
        _payload_text_ok(row.get("payload"), col, where)


def check_csv_json_file(header: list, rows: list, col: Collector, first_line: int = 2) -> None:
    """The sequence file as read by the csv module: header, field counts, payload JSON.

    ``first_line``: file line number of ``rows[0]`` (a chunk of the file)."""
    expected = ["seq", "time", "op_id", "op_name", "op_uid", "payload"]
    if header != expected:
        col.flag("csv_json", None, f"operation_sequence header {header} != {expected}")
    k_payload = header.index("payload") if "payload" in header else None
    col.check("csv_json", len(rows))
    for i, cells in enumerate(rows):
        if len(cells) != len(header):
            col.flag("csv_json", None, f"line {i + first_line}: {len(cells)} fields, header has {len(header)}")
            continue
        text = cells[k_payload] if k_payload is not None else None
        if type(text) is not str or not compact_json_ok(text):
            _payload_text_ok(text, col, _where(dict(zip(header, cells))))


def _where(row: dict) -> dict:
    try:
        return dict(seq=to_int(row.get("seq")), uid=to_int(row.get("op_uid")),
                    time_tick=to_tick(row.get("time")))
    except (TypeError, ValueError):
        return {}


def _payload_text_ok(text, col: Collector, where: dict) -> None:
    text = to_str(text) if not isinstance(text, str) else text
    if text is None or not compact_json_ok(text):
        col.flag("csv_json", None, f"payload is not compact double-quoted JSON: {str(text)[:80]!r}",
                 **where)


# ---------------------------------------------------------------- exp_val
def expected_status(rec: OpRecord, cfg, segments) -> str:
    """Rule 13: what a status read at ``rec.start`` must answer."""
    t = rec.start
    die = rec.spec.status_lun if rec.spec.status_mode == "lun" else rec.die
    if rec.spec.status_mode == "plane_read_first":
        segs = segments.get((rec.die, rec.planes[0]))
        for seg in segs.containing(t) if segs is not None else ():
            base = cfg.bases.get(seg.base)
            if seg.state == "CORE_BUSY" and base is not None and base.role.plane_read_family:
                return "busy"
    extrdy = False
    for p in range(cfg.topology.planes):
        segs = segments.get((die, p))
        for seg in segs.containing(t) if segs is not None else ():
            if seg.state == "CORE_BUSY":
                return "busy"
            extrdy = extrdy or seg.state in ("DATA_OUT", "DATA_IN")
    return "extrdy" if extrdy else "ready"


def check_exp_val(rec: OpRecord, cfg, segments, col: Collector) -> None:
    if rec.kind != "status_read" or "exp_val" not in rec.base.payload:
        return
    col.check("exp_val", rec=rec)
    want = expected_status(rec, cfg, segments)
    if rec.exp_val != want:
        col.flag("exp_val", rec, f"exp_val {rec.exp_val!r}, expected {want!r}")


def forget() -> None:
    """Empty the compact-JSON memo (a check is over)."""
    _COMPACT_SEEN.clear()
