"""ATE payload of one op: fields per ``payload_by_op_base`` (SPEC 6.1).

Always a JSON list with one object per target plane (one object when the
fields name no plane), written compactly by the standard json module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.ops import Op


def payload_fields(op: Op) -> tuple:
    """What the payload needs, as a small tuple kept per issued op."""
    return (op.spec.base.payload, op.die, op.planes, op.blocks, op.page, op.celltype, op.exp_val)


def build_payload(fields_tuple) -> list:
    fields, die, planes, blocks, page, celltype, exp_val = fields_tuple
    if not fields:
        return []
    blocks = blocks or (None,) * len(planes)
    out, seen = [], set()
    for plane, block in zip(planes, blocks):
        item = {}
        for f in fields:
            if f == "die":
                item["die"] = die
            elif f == "plane":
                item["plane"] = plane
            elif f == "block":
                item["block"] = block
            elif f == "page":
                item["page"] = page
            elif f == "celltype":
                item["celltype"] = celltype
            elif f == "exp_val":
                item["exp_val"] = exp_val
        key = tuple(item.items())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
