"""Targets of a batch's first op, and of its follow-ups (inherit rules)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..address import sample
from ..config.units import LATCH_ON_READ
from ..core.ops import Op

if TYPE_CHECKING:
    from ..config.model import OpSpec
    from ..core.rng import Stream
    from .proposer import Proposer


def first_targets(px: Proposer, spec: OpSpec, die: int, plane: int,
                  rng: Stream) -> tuple | None:
    """-> (die, planes, blocks, page, celltype) or None when nothing fits."""
    role = spec.base.role
    if spec.status_mode == "lun":
        lun = spec.status_lun
        if lun is None or lun >= px.dies:
            return None
        die = lun
    addr = role.address
    if addr in ("erase", "program", "read", "block", "any"):
        got = sample(px.am, addr, die, plane, spec.multi, px.maxplanes, spec.celltype, rng)
        if got is None:
            return None
        planes, blocks, page = got
        celltype = spec.celltype
        if addr == "read" and celltype == "NONE":  # wildcard read: the block's mode
            celltype = px.am.celltypes[int(px.am.f_pmode[die, blocks[0]])]
        return die, planes, blocks, page, celltype
    if addr == "latch":
        return _latched(px, spec, die, plane)
    if spec.multi:
        return None  # a multi-plane op needs a plane set from an address
    return die, (plane,), None, None, spec.celltype


def _latched(px: Proposer, spec: OpSpec, die: int, plane: int) -> tuple | None:
    """A standalone DOUT: the data a read left in this plane's latch."""
    now = px.rm.now
    pi = die * px.planes + plane
    for x in px.rm.latch[pi].active(now):
        extra: Any = x.extra  # a read latch holds LatchData
        if x.name == LATCH_ON_READ and extra and extra[0] is not None:
            block, page, celltype = extra
            return die, (plane,), (block,), page, celltype
    return None


# ------------------------------------------------------------------ follow-ups
def choose_steps(px: Proposer, first: Op, rng: Stream) -> list:
    """The follow-up steps ``[(base_name, rules, name_weights)]`` of ``first``."""
    choices = first.spec.base.sequence
    if not choices:
        return []
    total = sum(c.prob for c in choices)
    if total <= 0:
        return []
    x, acc, pick = rng.random() * total, 0.0, choices[-1]
    for c in choices:
        acc += c.prob
        if x < acc:
            pick = c
            break
    if pick.target == "NONE":
        return []
    if pick.is_recipe:
        recipe = px.cfg.recipes[pick.target]
        return [(b, rules, recipe.name_weights.get(b)) for b, rules in recipe.steps]
    return [(pick.target, pick.inherit, None)]


def _pick_name(px: Proposer, base_name, rules, weights, ct_src, nplanes, rng: Stream):
    want_multi = nplanes > 1
    keep_ct = "same_celltype" in rules or "same_page_from_program_suspend" in rules
    names = []
    for n in px.cfg.groups_by_base.get(base_name, ()):
        spec = px.cfg.ops[n]
        if keep_ct and spec.celltype not in (ct_src.celltype, "NONE"):
            continue
        if spec.multi != want_multi:
            continue
        names.append(spec)
    if not names:
        return None
    if weights:
        w = [float(weights.get(s.name, 0.0)) for s in names]
        if sum(w) > 0:
            x, acc = rng.random() * sum(w), 0.0
            for s, wi in zip(names, w):
                acc += wi
                if x < acc:
                    return s
    return names[rng.below(len(names))]


def _inherited_address(px: Proposer, rules, prev: Op, batch, base_role):
    """(planes, blocks, page, held_op) from the inherit rules, or None to sample.

    ``held_op`` is the suspended program a recovery read reads back (else None).
    """
    if "same_page_from_program_suspend" in rules:
        held = px.rm.suspended_ops(prev.die, "PROGRAM")
        if not held:
            return "fail"
        o = held[-1]
        return o.planes, o.blocks, o.page, o
    if "pgm_same_page" in rules:
        progs = [o for o in batch if o.role.is_program]
        if progs:
            o = progs[-1]
            return o.planes, o.blocks, o.page, None
        return None
    delta = {"same_page": 0, "inc_page": 1, "prev_page": -1}
    for rule, d in delta.items():
        if rule in rules:
            page = None if prev.page is None else prev.page + d
            return prev.planes, prev.blocks, page, None
    if base_role.address in ("none", "latch", "any"):
        return prev.planes, prev.blocks if base_role.address != "none" else None, prev.page, None
    return None  # sampled fresh (on the previous op's planes for same_plane)


def build_followups(px: Proposer, step, prev: Op, batch, rng: Stream) -> list | None:
    """Ops for one step after ``prev`` (several when a DOUT splits per plane)."""
    base_name, rules, weights = step
    base = px.cfg.bases[base_name]
    role = base.role
    inh = _inherited_address(px, rules, prev, batch, role)
    if inh == "fail":
        return None
    ct_src = inh[3] if inh and inh[3] else prev  # a recovery read keeps the held program's mode
    split = (role.kind == "dout" and "multi" in rules and px.split_dout and inh is not None
             and len(inh[0]) > 1)
    nplanes = 1 if split else (len(inh[0]) if inh else len(prev.planes))
    spec = _pick_name(px, base_name, rules, weights, ct_src, nplanes, rng)
    if spec is None:
        return None
    if inh is None:  # fresh address (rule 'none' or no rule)
        only = prev.planes if (role.consumes_read_latch or "same_plane" in rules) else None
        got = sample(px.am, role.address, prev.die, prev.planes[0], spec.multi, px.maxplanes,
                      spec.celltype, rng, planes_only=only)
        if got is None:
            return None
        inh = (*got, None)
    planes, blocks, page, held = inh
    inherit_ct = "same_celltype" in rules or held
    celltype = ct_src.celltype if (inherit_ct and spec.celltype == "NONE") else spec.celltype
    if split:
        return [_op(px, spec, prev.die, (p,), (b,) if blocks else None, page, celltype, held)
                for p, b in zip(planes, blocks or (None,) * len(planes))]
    return [_op(px, spec, prev.die, planes, blocks, page, celltype, held)]


def _op(px: Proposer, spec: OpSpec, die: int, planes: tuple, blocks: tuple | None,
        page: int | None, celltype: str, held: Op | None) -> Op:
    op = Op(px.new_uid(), spec, die, tuple(planes), tuple(blocks) if blocks else None, page,
            celltype, source="sequence")
    op.inherit = ("held",) if held else ()
    return op
