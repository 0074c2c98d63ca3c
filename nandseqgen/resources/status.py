"""Expected value of a status read (``docs/semantics.md`` rule 13, ``exp_val``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config.units import CORE_BUSY, DATA_IN, DATA_OUT

if TYPE_CHECKING:
    from ..core.ops import Op
    from .manager import ResourceManager

BUSY, EXTRDY, READY = "busy", "extrdy", "ready"
_DATA = (DATA_OUT, DATA_IN)


def _plane_state(rm: ResourceManager, pi: int, t: int):
    kind = rm.tl[pi].kind_at(t)
    return (kind.base, kind.state) if kind is not None else (None, None)


def expected_status(rm: ResourceManager, op: Op, t: int) -> str:
    """busy if any plane of the die is in CORE_BUSY, else extrdy if any is in
    DATA_OUT/DATA_IN, else ready. ``plane_read_first`` op names look at the
    target plane's plane-read CORE_BUSY first; ``lun`` names target die k."""
    d, P = op.die, rm.planes
    if op.spec.status_mode == "plane_read_first":
        base, state = _plane_state(rm, d * P + op.planes[0], t)
        if state == CORE_BUSY and rm.cfg.bases[base].role.plane_read_family:
            return BUSY
    states = [_plane_state(rm, pi, t)[1] for pi in range(d * P, d * P + P)]
    if CORE_BUSY in states:
        return BUSY
    if any(s in _DATA for s in states):
        return EXTRDY
    return READY
