"""Flat rows: how the streaming recorder hands its rows to the writer
(docs/decisions.md 115; docs/performance.md, "Streaming outputs").

The compiled :class:`.recorder.Recorder` appends each streamed row of the ATE
sequence, operation_timeline and op_state_timeline, and each proposal and
rollback, as a run of ints to one list per table (``flat``): names (base, state, op name,
phase keys, payload fields: any hashable value) become ids, numbered in the
order they first appear (``Recorder.intern``); where a row has several
small values, they share one int (die and plane; three name ids of 21 bits
each), fewer ints to pass. A chunk of such a list goes to
the writer as int64 bytes packed in C (``spill.dumps_flat``, decision 122;
``marshal`` version 2 without the C module), with
the names new since the last chunk; the writer turns the ints back into the
very rows the in-memory recorder keeps (``*_from_flat``), so the converters
and the bytes written do not change. No row tuple is made, kept, handed over
and freed in the engine process, and the cyclic GC has no young row
containers to walk.
"""
from __future__ import annotations

OP_WIDTH = 8  # start, end, die << 16 | plane, block, page, uid, name/base/source ids, key id
SEG_WIDTH = 5  # start, end, die << 16 | plane, uid, base/state/op name ids (packed)
ROLLBACK_WIDTH = 8  # tick, die, plane, then ids: key, op name, base, reason, detail
PROPOSAL_WIDTH = 3  # tick, die << 16 | plane, op name/key_used/key ids (packed)
MAX_NAMES = 1 << 20  # ids fit 21 bits: three packed in one int below 2**63
_M = (1 << 21) - 1


def sequence_from_flat(flat: list, names: list) -> list:
    """-> [(seq, tick, op_id, op_name, uid, payload fields)]: nine ints per
    op, the last the number of blocks (-1: None), then the blocks."""
    n, out, i, end = names, [], 0, len(flat)
    while i < end:
        seq, t, op, uid, x, die, page, exp, nb = flat[i:i + 9]
        i += 9
        blocks = None
        if nb >= 0:
            blocks = tuple(flat[i:i + nb])
            i += nb
        out.append((seq, t, op >> 21, n[op & _M], uid,
                    (n[x >> 42], die, n[(x >> 21) & _M], blocks, page, n[x & _M], n[exp])))
    return out


def seg_from_flat(flat: list, names: list) -> list:
    """-> [(start, end, die, plane, base, state, uid, op_name)]."""
    n = names
    it = iter(flat)
    return [(s, e, dp >> 16, dp & 0xFFFF, n[x >> 42], n[(x >> 21) & _M], u, n[x & _M])
            for s, e, dp, u, x in zip(it, it, it, it, it)]


def ops_from_flat(flat: list, names: list) -> list:
    """-> [(start, end, die, plane, block, page, op_name, base, source, uid, key)]."""
    n = names
    it = iter(flat)
    return [(s, e, dp >> 16, dp & 0xFFFF, b, pg, n[x >> 42], n[(x >> 21) & _M], n[x & _M], u,
             n[k]) for s, e, dp, b, pg, u, x, k in zip(it, it, it, it, it, it, it, it)]


def proposals_from_flat(flat: list, names: list) -> list:
    """-> [(tick, die, plane, op_name, key_used, key)]."""
    n = names
    it = iter(flat)
    return [(t, dp >> 16, dp & 0xFFFF, n[x >> 42], n[(x >> 21) & _M], n[x & _M])
            for t, dp, x in zip(it, it, it)]


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
