"""The six output tables (SPEC 6 items 1-6): one row converter per table, used
for the in-memory DataFrames, the CSV and Parquet files, and the streamed
files alike, so they always agree byte for byte.

Raw rows are what the recorder keeps (integer ticks); ``convert`` turns a
list of raw rows, already in output order, into output rows (microseconds).
``SORT_KEYS`` give the output order of the tables that are not written in
arrival order.
"""
from __future__ import annotations

import json
from operator import itemgetter

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
# the column a time window selects on, per table (None: no time axis)
TIME_AXIS = {"operation_sequence": "time", "operation_timeline": "start",
             "op_state_timeline": "start", "phase_proposal_counts": "propose_time",
             "address_touch_count": None, "op_state_name_input_time_count": None}
# tables whose rows are in time order (a window is one contiguous slice of the file)
TIME_SORTED = ("operation_sequence", "operation_timeline", "op_state_timeline",
               "phase_proposal_counts")

# RunResult attribute -> table
NAMES = {"sequence": "operation_sequence", "operations": "operation_timeline",
         "op_states": "op_state_timeline", "touches": "address_touch_count",
         "input_time": "op_state_name_input_time_count",
         "proposals": "phase_proposal_counts"}


def table_of(name: str) -> str:
    if name in NAMES:
        return NAMES[name]
    if name in TABLES:
        return name
    raise KeyError(f"unknown table {name!r}: one of {', '.join(list(NAMES) + list(TABLES))}")


# raw operation_timeline row: (start, end, die, plane, block, page, name, base, source, uid, key)
OP_ROW_KEY = itemgetter(0, 2, 3, 9, 1)
# raw op_state_timeline row: (start, end, die, plane, base, state, uid, name)
SEG_ROW_KEY = itemgetter(0, 2, 3, 6)
# raw phase_proposal_counts key: (tick, die, plane, name, used, virtual), which is
# also its output order (time first: docs/decisions.md 98), so a plain sort orders it


def us(ticks: int) -> float:
    return ticks / 100.0


def lane_name(die: int, plane: int) -> str:
    return f"D{die}/P{plane}"


_dumps = json.JSONEncoder(separators=(",", ":")).encode


def sequence_rows(raw: list) -> list:
    """raw: (seq, tick, op_id, op_name, uid, payload fields)."""
    return [(seq, us(t), op_id, name, uid, _dumps(build_payload(fields)))
            for seq, t, op_id, name, uid, fields in raw]


def op_rows(raw: list) -> list:
    return [(us(s), us(e), d, p, b, pg, name, base, src, uid, key)
            for s, e, d, p, b, pg, name, base, src, uid, key in raw]


def seg_rows(raw: list) -> list:
    return [(us(s), us(e), d, p, f"{base}.{state}", lane_name(d, p), name, us(e - s))
            for s, e, d, p, base, state, uid, name in raw]


def proposal_rows(items) -> list:
    """items: ((tick, die, plane, name, used, virtual), count) in output order."""
    return [(used, virt, d, p, us(t), name, n) for (t, d, p, name, used, virt), n in items]


def proposal_chunk(items: list) -> list:
    """Proposal items of a time slice, in any order -> output rows in order."""
    return proposal_rows(sorted(items))


def op_chunk(raw: list) -> list:
    """operation_timeline rows of a time slice, in arrival order -> output rows."""
    return op_rows(sorted(raw, key=OP_ROW_KEY))


def seg_chunk(raw: list) -> list:
    """op_state_timeline rows of a time slice, in arrival order -> output rows."""
    return seg_rows(sorted(raw, key=SEG_ROW_KEY))


def touch_rows(touch) -> list:
    return [(b, ct, d, blk, None if pg < 0 else pg, n)
            for (b, ct, d, blk, pg), n in sorted(touch.items())]


def input_time_rows(counter, bins: int) -> list:
    return [(key, name, round(b / bins, 6), n) for (key, name, b), n in sorted(counter.items())]


# ---------------------------------------------------- whole tables from memory
def operation_sequence(rec):
    return TABLES["operation_sequence"], sequence_rows(rec.sequence)


def address_touch_count(rec):
    return TABLES["address_touch_count"], touch_rows(rec.touch)


def operation_timeline(rec):
    return TABLES["operation_timeline"], op_chunk(rec.op_rows)


def op_state_timeline(rec):
    return TABLES["op_state_timeline"], seg_chunk(rec.seg_rows)


def input_time_count(rec):
    return TABLES["op_state_name_input_time_count"], input_time_rows(rec.input_time, rec.bins)


def phase_proposal_counts(rec):
    return TABLES["phase_proposal_counts"], proposal_chunk(list(rec.proposals.items()))


BUILDERS = {
    "operation_sequence": operation_sequence,
    "address_touch_count": address_touch_count,
    "operation_timeline": operation_timeline,
    "op_state_timeline": op_state_timeline,
    "op_state_name_input_time_count": input_time_count,
    "phase_proposal_counts": phase_proposal_counts,
}
