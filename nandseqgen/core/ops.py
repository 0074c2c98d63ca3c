"""The record of one scheduled operation."""
from __future__ import annotations

from ..config.units import INF  # noqa: F401  (re-exported: "never" in ticks)


class Op:
    """One operation: what, where, when, and how it was made.

    ``segs`` holds ``(state_name, start, end, bus)`` in absolute ticks; ``planes``
    are the target planes (ascending), ``blocks`` the block per target plane (or
    None), ``page`` the page (or None).
    """

    __slots__ = (
        "uid", "spec", "role", "die", "planes", "blocks", "page", "celltype", "start", "end",
        "segs", "res_planes", "source", "phase_key", "hook_plane",
        "start_handle", "end_handle", "inherit", "exp_val", "resumed", "effects", "info",
    )

    def __init__(self, uid, spec, die, planes, blocks=None, page=None, celltype=None,
                 source="proposer"):
        self.uid = uid
        self.spec = spec
        self.role = spec.base.role  # what the base does (config.roles), looked up once
        self.die = die
        self.planes = planes
        self.blocks = blocks
        self.page = page
        self.celltype = celltype if celltype is not None else spec.celltype
        self.start = 0
        self.end = 0
        self.segs = ()
        self.res_planes = ()
        self.source = source
        self.phase_key = ""
        self.hook_plane = planes[0] if planes else 0
        self.start_handle = None
        self.end_handle = None
        self.inherit = ()
        self.exp_val = None
        self.resumed = False
        self.effects = []  # what reserving it did, for undo/removal (resources.effects)
        self.info = None  # per-spec lookup tables (resources.manager.SpecInfo)

    @property
    def base(self):
        return self.spec.base

    def place(self, start: int) -> None:
        """Lay the op's states out from ``start``."""
        t = start
        segs = []
        for st in self.spec.states:
            segs.append((st.name, t, t + st.ticks, st.bus))
            t += st.ticks
        self.start, self.end, self.segs = start, t, tuple(segs)

    def place_states(self, start: int, states: tuple) -> None:
        """Lay out an explicit list of ``(name, ticks, bus)`` from ``start`` (resume)."""
        t = start
        segs = []
        for name, ticks, bus in states:
            segs.append((name, t, t + ticks, bus))
            t += ticks
        self.start, self.end, self.segs = start, t, tuple(segs)

    def targets(self):
        """(plane, block) pairs; block is None for ops without a block."""
        blocks = self.blocks or (None,) * len(self.planes)
        return list(zip(self.planes, blocks))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return (f"Op({self.uid} {self.spec.name} d{self.die} p{self.planes} b{self.blocks} "
                f"pg{self.page} [{self.start},{self.end}) {self.source})")
