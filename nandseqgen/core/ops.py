"""The record of one scheduled operation."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config.units import INF  # noqa: F401  (re-exported: "never" in ticks)

if TYPE_CHECKING:
    from ..config.model import OpBase, OpSpec
    from ..config.roles import Role


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

    def __init__(self, uid: int, spec: OpSpec, die: int, planes: tuple,
                 blocks: tuple | None = None, page: int | None = None,
                 celltype: str | None = None, source: str = "proposer"):
        self.uid = uid
        self.spec = spec
        self.role: Role = spec.base.role  # what the base does (config.roles), looked up once
        self.die = die
        self.planes: tuple = planes
        self.blocks: tuple | None = blocks
        self.page = page
        self.celltype: str = celltype if celltype is not None else spec.celltype
        self.start = 0
        self.end = 0
        self.segs: tuple = ()
        self.res_planes: tuple = ()
        self.source = source
        self.phase_key: str | tuple = ""
        self.hook_plane: int = planes[0] if planes else 0
        self.start_handle: Any = None  # events.EventQueue handles, for cancel()
        self.end_handle: Any = None
        self.inherit: tuple = ()
        self.exp_val: str | None = None
        self.resumed = False
        self.effects: list = []  # what reserving it did, for undo/removal (resources.effects)
        self.info: Any = None  # per-spec lookup tables (resources.manager.SpecInfo)

    @property
    def base(self) -> OpBase:
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

    def targets(self) -> list[tuple[int, int | None]]:
        """(plane, block) pairs; block is None for ops without a block."""
        blocks = self.blocks or (None,) * len(self.planes)
        return list(zip(self.planes, blocks))

    def __repr__(self) -> str:
        # times in us like every table (ticks are 1/100 us, docs/semantics.md)
        return (f"Op({self.uid} {self.spec.name} d{self.die} p{self.planes} b{self.blocks} "
                f"pg{self.page} [{self.start / 100:.2f}, {self.end / 100:.2f}) us {self.source})")
