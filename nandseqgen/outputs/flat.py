"""Flat rows: how the streaming recorder hands its rows to the writer
(docs/decisions.md 115; docs/performance.md, "Streaming outputs").

The compiled :class:`.recorder.Recorder` appends each streamed row of the ATE
sequence, operation_timeline and op_state_timeline, and each proposal and
rollback, as a run of ints to one list per table (``flat``): names (base, state, op name,
phase keys, payload fields: any hashable value) become ids, numbered in the
order they first appear (``Recorder.intern``). A chunk of such a list goes to
the writer as ``marshal`` version 2 bytes (ints and None only: no reference
table to keep, about a third of the time of tuples of ints and strings), with
the names new since the last chunk; the writer turns the ints back into the
very rows the in-memory recorder keeps (``*_from_flat``), so the converters
and the bytes written do not change. No row tuple is made, kept, handed over
and freed in the engine process, and the cyclic GC has no young row
containers to walk.
"""
from __future__ import annotations

OP_WIDTH = 11  # start, end, die, plane, block, page, name id, base id, source id, uid, key id
SEG_WIDTH = 8  # start, end, die, plane, base id, state id, uid, op name id
ROLLBACK_WIDTH = 8  # tick, die, plane, then ids: key, op name, base, reason, detail
PROPOSAL_WIDTH = 6  # tick, die, plane, op name id, key_used id, key id


def sequence_from_flat(flat: list, names: list) -> list:
    """-> [(seq, tick, op_id, op_name, uid, payload fields)]: twelve ints per
    op, the last the number of blocks (-1: None), then the blocks."""
    n, out, i, end = names, [], 0, len(flat)
    while i < end:
        seq, t, op_id, name, uid, fields, die, planes, page, ct, exp, nb = flat[i:i + 12]
        i += 12
        blocks = None
        if nb >= 0:
            blocks = tuple(flat[i:i + nb])
            i += nb
        out.append((seq, t, op_id, n[name], uid, (n[fields], die, n[planes], blocks, page, n[ct],
                                                   n[exp])))
    return out


def seg_from_flat(flat: list, names: list) -> list:
    """-> [(start, end, die, plane, base, state, uid, op_name)]."""
    n = names
    it = iter(flat)
    return [(s, e, d, p, n[b], n[st], u, n[nm]) for s, e, d, p, b, st, u, nm
            in zip(it, it, it, it, it, it, it, it)]


def ops_from_flat(flat: list, names: list) -> list:
    """-> [(start, end, die, plane, block, page, op_name, base, source, uid, key)]."""
    n = names
    it = iter(flat)
    return [(s, e, d, p, b, pg, n[o], n[ba], n[sr], u, n[k]) for s, e, d, p, b, pg, o, ba, sr, u, k
            in zip(it, it, it, it, it, it, it, it, it, it, it)]


def proposals_from_flat(flat: list, names: list) -> list:
    """-> [(tick, die, plane, op_name, key_used, key)]."""
    n = names
    it = iter(flat)
    return [(t, d, p, n[o], n[u], n[k]) for t, d, p, o, u, k in zip(it, it, it, it, it, it)]


def rollbacks_from_flat(flat: list, names: list) -> list:
    """-> [(tick, die, plane, key, op_name, base, reason, detail)]."""
    n = names
    it = iter(flat)
    return [(t, d, p, n[k], n[o], n[b], n[r], n[x]) for t, d, p, k, o, b, r, x
            in zip(it, it, it, it, it, it, it, it)]


def from_flat(unflat, inner, flat: list, state: dict) -> list:
    """A chunk converter for flat rows: ``unflat`` them with the writer's names
    (``state["names"]``, kept by :class:`.forkwrite.ChunkWriter`), then
    ``inner(rows, state)``."""
    return inner(unflat(flat, state["names"]), state)
