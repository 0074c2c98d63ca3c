"""The six output tables (SPEC 6 items 1-6): one row builder each, used both
for the in-memory DataFrames and for the CSV files, so the two always agree.

Every builder returns ``(columns, rows)``; times are microseconds (ticks/100).
"""
from __future__ import annotations

import json

from .payload import build_payload

TABLES = {
    "operation_sequence": ("seq", "time", "op_id", "op_name", "op_uid", "payload"),
    "address_touch_count": ("op_base", "cell_type", "die", "block", "page", "count"),
    "operation_timeline": ("start", "end", "die", "plane", "block", "page", "op_name", "op_base",
                           "source", "op_uid", "op_state"),
    "op_state_timeline": ("start", "end", "die", "plane", "op_state", "lane", "op_name",
                          "duration"),
    "op_state_name_input_time_count": ("op_state", "op_name", "input_time", "count"),
    "phase_proposal_counts": ("phase_key_used", "phase_key_virtual", "die", "plane",
                              "propose_time", "op_name", "count"),
}
TIME_COLUMNS = {"time", "start", "end", "duration", "propose_time"}


def us(ticks: int) -> float:
    return ticks / 100.0


def lane_name(die: int, plane: int) -> str:
    return f"D{die}/P{plane}"


def operation_sequence(rec):
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    rows = [(seq, us(t), op_id, name, uid, dumps(build_payload(fields)))
            for seq, t, op_id, name, uid, fields in rec.sequence]
    return TABLES["operation_sequence"], rows


def address_touch_count(rec):
    rows = [(b, ct, d, blk, None if pg < 0 else pg, n)
            for (b, ct, d, blk, pg), n in sorted(rec.touch.items())]
    return TABLES["address_touch_count"], rows


def operation_timeline(rec):
    rows = sorted(rec.op_rows, key=lambda r: (r[0], r[2], r[3], r[9], r[1]))
    rows = [(us(s), us(e), d, p, b, pg, name, base, src, uid, key)
            for s, e, d, p, b, pg, name, base, src, uid, key in rows]
    return TABLES["operation_timeline"], rows


def op_state_timeline(rec):
    rows = sorted(rec.seg_rows, key=lambda r: (r[0], r[2], r[3], r[6]))
    rows = [(us(s), us(e), d, p, f"{base}.{state}", lane_name(d, p), name, us(e - s))
            for s, e, d, p, base, state, uid, name in rows]
    return TABLES["op_state_timeline"], rows


def input_time_count(rec):
    bins = rec.bins
    rows = [(key, name, round(b / bins, 6), n)
            for (key, name, b), n in sorted(rec.input_time.items())]
    return TABLES["op_state_name_input_time_count"], rows


def phase_proposal_counts(rec):
    items = sorted(rec.proposals.items(),
                   key=lambda kv: (kv[0][2], kv[0][3], kv[0][5], kv[0][0], kv[0][1], kv[0][4]))
    rows = [(used, virt, d, p, us(t), name, n) for (used, virt, d, p, t, name), n in items]
    return TABLES["phase_proposal_counts"], rows


BUILDERS = {
    "operation_sequence": operation_sequence,
    "address_touch_count": address_touch_count,
    "operation_timeline": operation_timeline,
    "op_state_timeline": op_state_timeline,
    "op_state_name_input_time_count": input_time_count,
    "phase_proposal_counts": phase_proposal_counts,
}
