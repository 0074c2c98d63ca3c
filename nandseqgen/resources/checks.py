"""State rules at an op's start time (``docs/semantics.md`` rules 7-11).

Base sets are int bitmasks (bit = base index) so a check is a few ANDs.
Each check answers ``None`` (allowed) or ``(reason, retry_at)``: the rollback
reason and the earliest time the blocking state may be over (INF: never).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..config.model import Config
from ..config.units import AXES, INF, LATCH_ON_READ, ODT_DISABLE

if TYPE_CHECKING:
    from ..config.roles import Role
    from ..core.ops import Op
    from .lanes import StateEntry, StateIntervals
    from .manager import ResourceManager, SpecInfo


def _mask(cfg: Config, names: Iterable[str]) -> int:
    m = 0
    for b in names:
        base = cfg.bases.get(b)
        if base is not None:
            m |= 1 << base.index
    return m


class Masks:
    __slots__ = ("op_state", "latch", "cache", "suspend", "not_suspended", "odt",
                 "erase_program", "none_suspended", "by_axis")

    def __init__(self, cfg: Config) -> None:
        ex = cfg.exclusions
        self.op_state = {k: _mask(cfg, v) for k, v in ex.by_op_state.items()}
        self.latch = {k: _mask(cfg, v) for k, v in ex.by_latch.items()}
        self.cache = {k: _mask(cfg, v) for k, v in ex.by_cache.items()}
        self.suspend = {a: _mask(cfg, ex.by_suspend.get(f"{a}_SUSPENDED", ())) for a in AXES}
        self.not_suspended = {a: _mask(cfg, ex.by_suspend.get(f"NOT_{a}_SUSPENDED", ()))
                              for a in AXES}
        self.odt = _mask(cfg, ex.by_odt.get(ODT_DISABLE, ()))
        self.none_suspended = 0
        for a in AXES:
            self.none_suspended |= self.not_suspended[a]
        #: per axis: (state name, mask while suspended, mask while not)
        self.by_axis = tuple((f"{a}_SUSPENDED", self.suspend[a], self.not_suspended[a])
                             for a in AXES)
        self.erase_program = _mask(cfg, [b.name for b in cfg.bases.values()
                                         if b.role.kind == "erase" or b.role.is_program])


def build_masks(cfg: Config) -> Masks:
    return Masks(cfg)


def _suspend_mask(rm: ResourceManager, die: int, t: int,
                  ignore_uid: int | None = None) -> tuple[int, int]:
    """(mask, end) from the die's suspend states at ``t``."""
    masks = rm.masks
    entries = rm.susp[die].entries
    if not entries:
        return masks.none_suspended, INF
    m, end = 0, INF
    for name, on, off in masks.by_axis:
        hit: StateEntry | None = None
        for x in entries:  # the last active entry of that name counts
            if x.name == name and x.start <= t < x.end and (ignore_uid is None
                                                             or x.opener != ignore_uid):
                hit = x
        if hit is None:
            m |= off
        else:
            m |= on
            if hit.end < end:
                end = hit.end
    return m, end


def dynamic_mask(rm: ResourceManager, die: int, pi: int, t: int) -> int:
    """Bases forbidden at (die, plane, t) by latch, cache, suspend and ODT states."""
    masks = rm.masks
    m = _suspend_mask(rm, die, t)[0]
    for x in rm.latch[pi].entries:
        if x.start <= t < x.end:
            m |= masks.latch.get(x.name, 0)
            if x.name == LATCH_ON_READ:
                m |= masks.erase_program
    for src in (rm.cache_p[pi].entries, rm.cache_d[die].entries):
        for x in src:
            if x.start <= t < x.end:
                m |= masks.cache.get(x.name, 0)
    if rm.odt.entries and rm.odt.active(t):
        m |= masks.odt
    return m


def check_states(rm: ResourceManager, op: Op, t: int,
                 ignore_uid: int | None = None) -> tuple[str, int] | None:
    """All state rules for ``op`` starting at ``t`` -> None or (reason, retry_at)."""
    masks, role = rm.masks, op.role
    info: SpecInfo = op.info
    bit = info.bit
    op_state, tls, latches, caches = masks.op_state, rm.tl, rm.latch, rm.cache_p
    for pi in op.res_planes:
        tl = tls[pi]
        if op_state.get(tl.phase_key_at(t), 0) & bit:  # rule 7
            return "state_forbid", tl.next_change(t) or INF
        if latches[pi].entries:
            bad = _latch(rm, op, pi, t, bit, role, ignore_uid)
            if bad:
                return bad
        if caches[pi].entries:
            bad = _cache(caches[pi], op, t, bit, masks, ignore_uid)
            if bad:
                return bad
    if rm.cache_d[op.die].entries:
        bad = _cache(rm.cache_d[op.die], op, t, bit, masks, ignore_uid)
        if bad:
            return bad
    m, end = _suspend_mask(rm, op.die, t, ignore_uid)
    if m & bit:
        return "suspend", end
    if rm.odt.entries:
        for x in rm.odt.active(t, ignore_uid):
            if masks.odt & bit:
                return "odt", x.end
    return None


def _latch(rm: ResourceManager, op: Op, pi: int, t: int, bit: int, role: Role,
           ignore_uid: int | None) -> tuple[str, int] | None:
    for x in rm.latch[pi].entries:
        if not (x.start <= t < x.end) or x.opener == ignore_uid:
            continue
        if rm.masks.latch.get(x.name, 0) & bit:
            return "latch", x.end
        if x.name == LATCH_ON_READ and (role.kind == "erase" or role.is_program):
            # rule 8; a copyback program may consume the latch of its own planes
            if not (role.consumes_read_latch and pi % rm.planes in op.planes):
                return "latch", x.end
    return None


def _cache(si: StateIntervals, op: Op, t: int, bit: int, masks: Masks,
           ignore_uid: int | None) -> tuple[str, int] | None:
    for x in si.entries:
        if not (x.start <= t < x.end) or x.opener == ignore_uid:
            continue
        if masks.cache.get(x.name, 0) & bit:
            return "cache", x.end
        if x.extra is not None and _celltype_clash(op, x.extra):
            return "cache", x.end
    return None


def _celltype_clash(op: Op, tag: Any) -> bool:
    """While a cache state is on, ops of the family that entered it (reads or
    programs) must keep its cell type (rule 9; ``tag`` is a CacheTag)."""
    role, ct = op.role, op.celltype
    if ct == "NONE":
        return False
    cache_ct, family = tag
    if family == "read":
        return role.reads_address and ct != cache_ct
    return role.is_program and ct != cache_ct
