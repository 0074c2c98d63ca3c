"""Rules over time intervals: ``bus_overlap``, ``plane_overlap``,
``die_multiplicity`` (semantics rules 4-6) and ``resume_time`` (rule 12)."""
from __future__ import annotations

from bisect import bisect_left

from .replay import OpRun, Replay
from .report import Collector
from .state import (Occ, bus_spans, die_occupations, overlapping_pairs, plane_occupations,
                    spans_overlap)


def _span(o: Occ) -> str:
    return f"[{o.start / 100:.2f}, {o.end / 100:.2f})"


def check_bus(rp: Replay, col: Collector) -> None:
    """Rule 4: no two bus occupations overlap."""
    starts, ends, runs = bus_spans(rp)
    col.check("bus_overlap", len({id(r) for r in runs if col.in_scope(r.rec)}))
    if not spans_overlap(starts, ends):
        return
    seen = set()
    for a, b in overlapping_pairs([Occ(s, e, r) for s, e, r in zip(starts, ends, runs)]):
        key = (id(a.run), id(b.run))
        if key in seen:
            continue
        seen.add(key)
        col.flag("bus_overlap", b.run.rec, f"bus {_span(b)} overlaps op {a.run.rec.uid} "
                 f"({a.run.rec.name}) {_span(a)}", time_tick=b.start)


def check_planes(rp: Replay, segments: dict, col: Collector) -> None:
    """Rule 5: plane occupations of non-instant ops never overlap; and the
    op-state segments of a plane never overlap (semantics, derived resources)."""
    occ = plane_occupations(rp)
    col.check("plane_overlap", sum(col.in_scope(r.rec) for r in rp.runs))
    seen: set = set()
    _flag_pairs(col, seen, {k: overlapping_pairs(v) for k, v in occ.items()},
                "plane {p} occupied {sb} while op {ua} ({na}) holds it {sa}")
    seg_pairs = {}
    for key, ps in segments.items():
        if not spans_overlap(ps.starts, [r.end for r in ps.rows]):
            continue  # the common case: nothing to pair (tail rows included: a superset)
        occs = [Occ(r.start, r.end, rp.by_uid[r.uid]) for r in ps.rows if r.uid in rp.by_uid]
        seg_pairs[key] = overlapping_pairs(occs)
    _flag_pairs(col, seen, seg_pairs,
                "op-state segment on plane {p} {sb} overlaps op {ua} ({na}) segment {sa}")


def _flag_pairs(col: Collector, seen: set, pairs_by_key: dict, text: str) -> None:
    """One ``plane_overlap`` violation per (earlier op, later op, plane) not in ``seen``."""
    for (d, p), pairs in sorted(pairs_by_key.items()):
        for a, b in pairs:
            key = (id(a.run), id(b.run), p)
            if key in seen:
                continue
            seen.add(key)
            col.flag("plane_overlap", b.run.rec, text.format(p=p, sb=_span(b), ua=a.run.rec.uid,
                                                  na=a.run.rec.name, sa=_span(a)),
                     plane=p, time_tick=b.start)


def check_die(rp: Replay, cfg, col: Collector) -> None:
    """Rule 6: on a die, non-instant ops overlap only as two single-plane ops
    whose bases are both in ``single_single_allowed_bases``."""
    occ = die_occupations(rp, cfg.constraints.single_single_allowed)
    col.check("die_multiplicity", sum(col.in_scope(r.rec) for r in rp.runs))
    seen = set()
    for d, occs in sorted(occ.items()):
        for a, b in overlapping_pairs(occs):
            if not (a.multi or b.multi) and a.ss_ok and b.ss_ok:
                continue
            key = (id(a.run), id(b.run))
            if key in seen:
                continue
            seen.add(key)
            kinds = f"{'multi' if b.multi else 'single'}/{'multi' if a.multi else 'single'}"
            col.flag("die_multiplicity", b.run.rec, f"{kinds} overlap on die {d}: {_span(b)} with "
                     f"op {a.run.rec.uid} ({a.run.rec.name}) {_span(a)}", time_tick=b.start)


# ------------------------------------------------------------ resume_time
def _core_busy(spec) -> int:
    return sum(s.ticks for s in spec.states if s.name == "CORE_BUSY")


def _csv_pieces(rows: list) -> list:
    """Distinct (start, end) pieces of one op in operation_timeline."""
    return sorted({(r.start, r.end) for r in rows})


def _core_busy_index(rows: list) -> dict:
    """{(die, plane, op_state, op_name): (sorted starts, [(start, end)])} of the
    CORE_BUSY rows of op_state_timeline (rows of :func:`.consistency.op_state_rows`)."""
    out: dict = {}
    for s, e, d, p, state, name, _lane, _dur in rows:
        if state.endswith(".CORE_BUSY"):
            out.setdefault((d, p, state, name), []).append((s, e))
    return {k: ([s for s, _ in sorted(v)], sorted(v)) for k, v in out.items()}


def _csv_core_busy(run: OpRun, pieces, index: dict | None) -> int | None:
    """CORE_BUSY ticks of ``run`` in op_state_timeline, inside its CSV pieces."""
    rec = run.rec
    if index is None or not rec.occupied:
        return None
    starts, rows = index.get((rec.die, rec.occupied[0], f"{rec.base.name}.CORE_BUSY", rec.name),
                             ((), ()))
    total = 0
    for ps, pe in pieces:
        for i in range(bisect_left(starts, ps), bisect_left(starts, pe)):
            s, e = rows[i]
            if e <= pe:
                total += e - s
    return total


def check_resume_time(rp: Replay, tl: dict | None, op_states: list | None,
                      col: Collector) -> None:
    """Rule 12: a suspended and resumed op executes exactly its CORE_BUSY time.

    Judged on the exported tables (``operation_timeline`` pieces and, when
    given, ``op_state_timeline`` CORE_BUSY segments); the replay's own pieces
    are checked too. ``op_states``: the rows of :func:`.consistency.op_state_rows`,
    indexed only when a resumed op is met (most chunks have none; decision 114).
    """
    index: dict | None = None
    for run in rp.runs:
        if not run.suspended_periods or run.fate != "done":
            continue
        if index is None and op_states is not None:
            index = _core_busy_index(op_states)
        rec = run.rec
        col.check("resume_time", rec=rec)
        want, total = _core_busy(rec.spec), rec.ticks
        mine = sum(s.end - s.start for s in run.segs() if s.state == "CORE_BUSY")
        if mine != want:
            col.flag("resume_time", rec, f"replayed CORE_BUSY {mine / 100:.2f} us != "
                     f"{want / 100:.2f} us")
        if tl is not None:
            pieces = _csv_pieces([r for r in tl.get(rec.uid, []) if r.die == rec.die])
            length = sum(e - s for s, e in pieces)
            if length != total:
                shown = [(s / 100, e / 100) for s, e in pieces]
                col.flag("resume_time", rec, f"operation_timeline pieces {shown} last "
                         f"{length / 100:.2f} us in all, op lasts {total / 100:.2f} us")
        else:
            pieces = [(p.start, p.end) for p in run.pieces]
        got = _csv_core_busy(run, pieces, index)
        if got is not None and got != want:
            col.flag("resume_time", rec, f"op_state_timeline CORE_BUSY {got / 100:.2f} us != "
                     f"{want / 100:.2f} us")
