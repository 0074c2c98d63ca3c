"""ATE payload of one op: fields per ``payload_by_op_base`` (SPEC 6.1).

Always a JSON list with one object per target plane (one object when the
fields name no plane), written compactly by the standard json module.
"""
from __future__ import annotations


def build_payload(op) -> list:
    fields = op.spec.base.payload
    if not fields:
        return []
    blocks = op.blocks or (None,) * len(op.planes)
    out, seen = [], set()
    for plane, block in zip(op.planes, blocks):
        item = {}
        for f in fields:
            if f == "die":
                item["die"] = op.die
            elif f == "plane":
                item["plane"] = plane
            elif f == "block":
                item["block"] = block
            elif f == "page":
                item["page"] = op.page
            elif f == "celltype":
                item["celltype"] = op.celltype
            elif f == "exp_val":
                item["exp_val"] = op.exp_val
        key = tuple(item.items())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
