"""Address state per (die, block) on numpy arrays (SPEC 2 and 3, rules 1-6).

Two views are kept:

* **committed**: what has happened (effects applied at OP_END);
* **future**: committed plus every reserved-but-not-ended effect, in
  reservation order. Proposals and EPR checks use the future view.

Reserved effects are kept per block so one can be dropped (suspend backlog,
RESET) and the block's future state recomputed exactly.
"""
from __future__ import annotations

import numpy as np

from ..config.model import Config

BAD = -3
UNERASED = -2
ERASED = -1

_ERASE, _PROGRAM, _PROGRAM_ALL = 0, 1, 2


class AddressManager:
    def __init__(self, cfg: Config):
        topo = cfg.topology
        self.dies, self.planes = topo.dies, topo.planes
        self.blocks, self.pages = topo.blocks_per_die, topo.pages_per_block
        self.rows = -(-self.blocks // self.planes)
        self.celltypes = cfg.celltypes
        self.ct_index = {c: i for i, c in enumerate(cfg.celltypes)}
        self.none_ct = self.ct_index["NONE"]
        self.offset = cfg.constraints.offset_guard
        shape = (self.dies, self.blocks)
        self.state = np.full(shape, UNERASED, dtype=np.int32)
        self.emode = np.zeros(shape, dtype=np.int16)
        self.pmode = np.zeros(shape, dtype=np.int16)
        for d, b in topo.bad_blocks:
            self.state[d, b] = BAD
        self.f_state = self.state.copy()
        self.f_emode = self.emode.copy()
        self.f_pmode = self.pmode.copy()
        self.pending: dict = {}  # (die, block) -> [(uid, kind, page, mode)]
        self.busy: dict = {}  # (die, block) -> uids of suspended ops holding the block
        self.program_ok = self._program_table(cfg)

    def _program_table(self, cfg: Config) -> np.ndarray:
        """program_ok[erase_mode, program_mode]: rule 3 as a lookup table."""
        n = len(self.celltypes)
        table = np.zeros((n, n), dtype=bool)
        for emode, pmodes in cfg.constraints.program_modes.items():
            for pm in pmodes:
                table[self.ct_index[emode], self.ct_index[pm]] = True
        return table

    # ------------------------------------------------------------------ effects
    def _recompute(self, d: int, b: int) -> None:
        s, e, p = int(self.state[d, b]), int(self.emode[d, b]), int(self.pmode[d, b])
        for _uid, kind, page, mode in self.pending.get((d, b), ()):
            s, e, p = self._apply(kind, page, mode, s, e, p)
        self.f_state[d, b], self.f_emode[d, b], self.f_pmode[d, b] = s, e, p

    def _apply(self, kind, page, mode, s, e, p):
        if kind == _ERASE:
            return ERASED, mode, self.none_ct
        if kind == _PROGRAM_ALL:
            return self.pages - 1, e, mode
        return page, e, mode

    @staticmethod
    def effect_kind(role) -> int | None:
        if role.kind == "erase":
            return _ERASE
        if role.kind == "program_final":
            return _PROGRAM_ALL if role.program_all_pages else _PROGRAM
        return None

    def reserve_effect(self, op) -> list:
        """Add ``op``'s address effect to the future view; returns the keys touched."""
        kind = self.effect_kind(op.role)
        if kind is None or not op.blocks:
            return []
        mode = self.ct_index[op.celltype]
        keys = []
        for b in op.blocks:
            key = (op.die, b)
            self.pending.setdefault(key, []).append((op.uid, kind, op.page, mode))
            self._recompute(*key)
            keys.append(key)
        return keys

    def drop_effect(self, op) -> None:
        """Forget a reserved effect (undo, backlog, RESET)."""
        for b in op.blocks or ():
            key = (op.die, b)
            lst = self.pending.get(key)
            if lst:
                self.pending[key] = [x for x in lst if x[0] != op.uid]
                if not self.pending[key]:
                    del self.pending[key]
                self._recompute(*key)

    def commit_effect(self, op) -> None:
        """OP_END: the reserved effect becomes committed."""
        for b in op.blocks or ():
            key = (op.die, b)
            lst = self.pending.get(key, [])
            for i, (uid, kind, page, mode) in enumerate(lst):
                if uid == op.uid:
                    d, bb = key
                    s, e, p = self._apply(kind, page, mode, int(self.state[d, bb]),
                                          int(self.emode[d, bb]), int(self.pmode[d, bb]))
                    self.state[d, bb], self.emode[d, bb], self.pmode[d, bb] = s, e, p
                    del lst[i]
                    break
            if not lst:
                self.pending.pop(key, None)
            self._recompute(*key)

    def hold(self, op) -> None:
        """Mark ``op``'s blocks busy while it is suspended."""
        for b in op.blocks or ():
            self.busy.setdefault((op.die, b), set()).add(op.uid)

    def release(self, op) -> None:
        for b in op.blocks or ():
            uids = self.busy.get((op.die, b))
            if uids:
                uids.discard(op.uid)
                if not uids:
                    del self.busy[(op.die, b)]

    # ---------------------------------------------------------------- snapshot
    def arrays(self) -> dict:
        return {"state": self.state, "emode": self.emode, "pmode": self.pmode}

    def restore_arrays(self, arrays: dict) -> None:
        self.state[...] = arrays["state"]
        self.emode[...] = arrays["emode"]
        self.pmode[...] = arrays["pmode"]
        for d in range(self.dies):
            for b in range(self.blocks):
                self._recompute(d, b)
