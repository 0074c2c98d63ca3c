"""``timeline_consistency``: the exported ``operation_timeline`` and
``op_state_timeline`` agree with the replay (pieces and segments)."""
from __future__ import annotations

from typing import Final, TYPE_CHECKING

from collections import Counter

if TYPE_CHECKING:  # imported where a DataFrame is built: check workers stay small
    import pandas as pd

from .load import RESUME, OP_STATE_COLUMNS, require_columns
from .replay import RESUME_PIECE, OpRun, Replay
from .report import Collector
from .columns import column_tuples
from .values import to_int, to_str, to_tick
from .state import PlaneSegments

RULE: Final = "timeline_consistency"


def _fmt(keys, limit: int = 3) -> str:
    keys = sorted(keys, key=lambda k: tuple(-1 if v is None else v for v in k[:4]))
    shown = ", ".join(f"[{k[0] / 100:.2f},{k[1] / 100:.2f}) p{k[3]}"
                      + (" resume" if k[-1] is True else "") for k in keys[:limit])
    more = f" (+{len(keys) - limit} more)" if len(keys) > limit else ""
    return shown + more


def check_operation_timeline(rp: Replay, records: list, tl: dict, col: Collector) -> None:
    """Each op's rows: one per target plane per replayed piece, same times, targets, names."""
    counts = Counter(rec.uid for rec in records)
    for uid, n in sorted(counts.items()):
        if n > 1:
            col.flag(RULE, None, f"op_uid {uid} appears {n} times in operation_sequence", uid=uid)
    for run in rp.runs:
        rec = run.rec
        col.check(RULE, rec=rec)
        want = [(piece.start, piece.end, rec.die, p, rec.block_of(p), rec.page,
                 piece.source == RESUME_PIECE) for piece in run.pieces for p in rec.planes]
        rows = tl.get(rec.uid, [])
        have = [(r.start, r.end, r.die, r.plane, r.block, r.page, r.source == RESUME)
                for r in rows if r.end != r.start]  # empty pieces occupy nothing
        if want != have:  # same rows in the same order: the common case, no multisets
            _compare_pieces(run, want, have, col)
        wrong = {(r.op_name, r.op_base) for r in rows
                 if r.op_name != rec.name or (r.op_base is not None and r.op_base != rec.base.name)}
        if wrong:
            col.flag(RULE, rec, f"operation_timeline names {sorted(wrong)} != ({rec.name}, "
                     f"{rec.base.name})")
    for uid in sorted(u for u in tl if u not in counts and u not in rp.by_uid):
        r = tl[uid][0]
        col.flag(RULE, None, f"operation_timeline rows of op_uid {uid} ({r.op_name}) have no "
                 "operation_sequence row", uid=uid, die=r.die, plane=r.plane, time_tick=r.start)


def _compare_pieces(run: OpRun, want: list, have: list, col: Collector) -> None:
    """The operation_timeline rows of one op against its replayed pieces, as multisets."""
    expected, actual = Counter(want), Counter(have)
    missing, extra = expected - actual, actual - expected
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"replay expects {_fmt(list(missing.elements()))}")
        if extra:
            parts.append(f"operation_timeline has {_fmt(list(extra.elements()))}")
        first = min(k[0] for k in (missing + extra))
        col.flag(RULE, run.rec, f"pieces differ ({run.fate}): " + "; ".join(parts),
                 time_tick=first)


def op_state_rows(df: pd.DataFrame | None, col: Collector):
    """``op_state_timeline`` -> list of (start, end, die, plane, op_state, op_name, lane, duration)."""
    if df is None:
        return None
    require_columns(df, OP_STATE_COLUMNS, "op_state_timeline",
                    ("start", "end", "die", "plane", "op_state", "op_name"))
    out = []
    cells = column_tuples(df, ("start", "end", "die", "plane", "op_state", "op_name", "lane",
                               "duration"))
    seen: dict = {}  # the repeating cells of a row, converted once per distinct tuple
    for i, (start, end, die, plane, state, name, lane, dur) in enumerate(cells):
        try:
            t0, t1 = to_tick(start), to_tick(end)  # column order: the first error wins
            key = (die, plane, state, name, lane)
            rest = seen.get(key)
            if rest is None:
                rest = seen[key] = (to_int(die), to_int(plane), to_str(state), to_str(name),
                                    to_str(lane))
            row = (t0, t1, rest[0], rest[1], rest[2], rest[3], rest[4], to_tick(dur))
        except (TypeError, ValueError) as exc:
            col.flag("csv_json", None, f"op_state_timeline row {i}: unreadable value ({exc})")
            continue
        if t0 is None or t1 is None or rest[0] is None or rest[1] is None or rest[2] is None:
            col.flag("csv_json", None, f"op_state_timeline row {i}: missing start/end/die/plane/"
                     "op_state")
            continue
        out.append(row)
    return out


def check_op_states(rp: Replay, segments: dict[tuple[int, int], PlaneSegments], rows: list,
                    col: Collector) -> None:
    """Replayed op-state segments == exported segments (as multisets).

    The common case (equal, every replayed key once) is settled with one dict
    of the replayed keys, counted down by the exported rows; only when they
    differ are the multisets and each key's op built (docs/performance.md
    "Checker per-op pass", decision 114)."""
    left: dict[tuple, int] = {}
    n, unique = 0, True
    by_uid = rp.by_uid
    for (d, p), ps in segments.items():
        for r in ps.rows:
            run = by_uid.get(r.uid)
            if run is None:
                continue  # a start snapshot's timeline tail
            key = (r.start, r.end, d, p, r.key, r.name)
            k = left.get(key, 0)
            if k:
                unique = False  # two ops' segments alike: counted as _compare_op_states does
            left[key] = k + 1
            if col.in_scope(run.rec):
                n += 1
    if unique:
        col.check(RULE, n)
        if _counted_down(left, rows):
            _check_lane_columns(rows, col)
            return
    _compare_op_states(rp, segments, rows, col, not unique)
    _check_lane_columns(rows, col)


def _counted_down(left: dict, rows: list) -> bool:
    """True when ``rows`` (their first six cells) are exactly the multiset ``left``
    (emptied on success, left partly counted down otherwise)."""
    for row in rows:
        key = row[:6]
        k = left.get(key, 0)
        if k == 0:
            return False
        if k == 1:
            del left[key]
        else:
            left[key] = k - 1
    return not left


def _compare_op_states(rp: Replay, segments: dict[tuple[int, int], PlaneSegments], rows: list,
                       col: Collector, count: bool) -> None:
    """The multisets with each key's op: counted (if ``count``) and reported if unequal."""
    counts: dict[tuple, int] = {}
    owner: dict = {}
    for (d, p), ps in segments.items():
        for r in ps.rows:
            if r.uid not in rp.by_uid:
                continue  # a start snapshot's timeline tail
            key = (r.start, r.end, d, p, r.key, r.name)
            counts[key] = counts.get(key, 0) + 1
            owner[key] = r.uid
    expected = Counter(counts)
    if count:
        col.check(RULE, sum(expected.values()) if col.scope is None else
                  sum(n for k, n in expected.items() if col.in_scope(rp.by_uid[owner[k]].rec)))
    actual = Counter(row[:6] for row in rows)
    if actual != expected:
        _report_segments(rp, expected, actual, owner, col)


def _report_segments(rp: Replay, expected: Counter, actual: Counter, owner: dict,
                     col: Collector) -> None:
    missing: dict = {}
    for key in (expected - actual).elements():
        missing.setdefault(owner[key], []).append(key)
    for uid, keys in sorted(missing.items()):
        keys = sorted(k for k in keys if col.keeps(uid, k[0]))
        if not keys:
            continue
        run = rp.by_uid[uid]
        col.flag(RULE, run.rec, f"{len(keys)} replayed op-state segment(s) missing from "
                 f"op_state_timeline, e.g. {_seg(keys[0])} ({run.fate})",
                 time_tick=keys[0][0], plane=keys[0][3])
    extra: dict = {}
    for key in (actual - expected).elements():
        extra.setdefault((key[2], key[5]), []).append(key)
    for (d, name), keys in sorted(extra.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        keys = sorted((k for k in keys if col.keeps(None, k[0])), key=lambda k: (k[0], k[3]))
        if not keys:
            continue
        col.flag(RULE, None, f"{len(keys)} op_state_timeline segment(s) of {name} not in the "
                 f"replay, e.g. {_seg(keys[0])}", die=d, plane=keys[0][3], time_tick=keys[0][0])


def _seg(key) -> str:
    return f"{key[4]} [{key[0] / 100:.2f},{key[1] / 100:.2f}) d{key[2]}p{key[3]}"


def _check_lane_columns(rows: list, col: Collector) -> None:
    good: dict[str, tuple] = {}  # a lane text found right -> its (die, plane)
    for s, e, d, p, key, name, lane, dur in rows:
        if lane is not None:
            dp = good.get(lane)
            if dp is None or dp[0] != d or dp[1] != p:
                if lane == f"D{d}/P{p}":
                    good[lane] = (d, p)
                else:
                    col.flag(RULE, None, f"lane {lane!r} != 'D{d}/P{p}'", die=d, plane=p,
                             time_tick=s)
        if dur is not None and dur != e - s:  # s, e: never None (op_state_rows)
            col.flag(RULE, None, f"duration {dur / 100:.2f} != end - start for {key}",
                     die=d, plane=p, time_tick=s)
