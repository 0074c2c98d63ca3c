"""Address state per (die, block) on numpy arrays (SPEC 2 and 3, rules 1-6).

Two views are kept:

* **committed**: what has happened (effects applied at OP_END);
* **future**: committed plus every reserved-but-not-ended effect, in
  reservation order. Proposals and EPR checks use the future view.

Reserved effects are kept per block so one can be dropped (suspend backlog,
RESET) and the block's future state recomputed exactly.

A RESET that aborts an erase or a program leaves a mark on the op's blocks
(``docs/semantics.md`` rule 16): ``ERASE_ABORTED`` (no program or read until
an erase completes; the block counts as never erased) or ``PROGRAM_ABORTED``
(no program until an erase completes; pages already programmed stay
readable). Marks are pending effects owned by the RESET's uid, committed at
its start (the instant of the abort).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.model import Config

if TYPE_CHECKING:
    from ..config.roles import Role
    from ..core.ops import Op

BAD = -3
UNERASED = -2
ERASED = -1

# abort marks per block (docs/semantics.md rule 16)
NOT_ABORTED, ERASE_ABORTED, PROGRAM_ABORTED = 0, 1, 2

# what ``unmark`` removed: ((die, block), index in the pending list, entry)
Removed = tuple[tuple[int, int], int, tuple]

_ERASE, _PROGRAM, _PROGRAM_ALL, _ABORT_ERASE, _ABORT_PROGRAM = 0, 1, 2, 3, 4


class AddressManager:
    def __init__(self, cfg: Config) -> None:
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
        self.abort = np.zeros(shape, dtype=np.int8)
        for d, b in topo.bad_blocks:
            self.state[d, b] = BAD
        self.f_state = self.state.copy()
        self.f_emode = self.emode.copy()
        self.f_pmode = self.pmode.copy()
        self.f_abort = self.abort.copy()
        self.pending: dict[tuple[int, int], list[tuple[int, int, Any, int]]] = {}  # (die, block) -> [(uid, kind, page, mode)]
        self.marks: dict[int, list[tuple[int, int]]] = {}  # RESET uid -> [(die, block)] its abort marks are pending on
        self.aborted_blocks = 0  # marks committed so far (a run statistic, rule 16)
        self.busy: dict[tuple[int, int], dict[int, Any]] = {}  # (die, block) -> {uid: page} of suspended ops holding the block
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
    def _committed(self, d: int, b: int) -> tuple:
        return (int(self.state[d, b]), int(self.emode[d, b]), int(self.pmode[d, b]),
                int(self.abort[d, b]))

    def _recompute(self, d: int, b: int) -> None:
        v = self._committed(d, b)
        for _uid, kind, page, mode in self.pending.get((d, b), ()):
            v = self._apply(kind, page, mode, v)
        self.f_state[d, b], self.f_emode[d, b], self.f_pmode[d, b], self.f_abort[d, b] = v

    def _apply(self, kind: int, page: Any, mode: int, v: tuple) -> tuple:
        s, e, p, a = v
        if kind == _ERASE:
            return ERASED, mode, self.none_ct, NOT_ABORTED
        if kind == _PROGRAM_ALL:
            return self.pages - 1, e, mode, a
        if kind == _PROGRAM:
            return page, e, mode, a
        if kind == _ABORT_ERASE:  # the block's contents are gone: as if never erased
            return (BAD if s == BAD else UNERASED), e, self.none_ct, ERASE_ABORTED
        return s, e, p, (a or PROGRAM_ABORTED)  # _ABORT_PROGRAM

    @staticmethod
    def effect_kind(role: Role) -> int | None:
        if role.kind == "erase":
            return _ERASE
        if role.kind == "program_final":
            return _PROGRAM_ALL if role.program_all_pages else _PROGRAM
        return None

    def reserve_effect(self, op: Op) -> list:
        """Add ``op``'s address effect to the future view; returns the keys touched."""
        kind = self.effect_kind(op.role)
        if kind is None or not op.blocks:
            return []
        mode = self.ct_index[op.celltype]
        keys: list[tuple[int, int]] = []
        for b in op.blocks:
            key = (op.die, b)
            self.pending.setdefault(key, []).append((op.uid, kind, op.page, mode))
            self._recompute(*key)
            keys.append(key)
        return keys

    def drop_effect(self, op: Op) -> None:
        """Forget a reserved effect (undo, backlog, RESET)."""
        for b in op.blocks or ():
            key = (op.die, b)
            lst = self.pending.get(key)
            if lst:
                self.pending[key] = [x for x in lst if x[0] != op.uid]
                if not self.pending[key]:
                    del self.pending[key]
                self._recompute(*key)

    def commit_effect(self, op: Op) -> None:
        """OP_END: the reserved effect becomes committed."""
        for b in op.blocks or ():
            self._commit_entry((op.die, b), op.uid)

    def _commit_entry(self, key: tuple, uid: int) -> None:
        lst = self.pending.get(key, [])
        for i, (u, kind, page, mode) in enumerate(lst):
            if u == uid:
                d, b = key
                v = self._apply(kind, page, mode, self._committed(d, b))
                self.state[d, b], self.emode[d, b], self.pmode[d, b], self.abort[d, b] = v
                del lst[i]
                break
        if not lst:
            self.pending.pop(key, None)
        self._recompute(*key)

    # ----------------------------------------------------------- abort marks
    def mark_aborted(self, reset_uid: int, op: Op) -> list:
        """``op`` (an erase or a program) was aborted by the RESET ``reset_uid``:
        mark its blocks (rule 16). -> the marked keys (for ``unmark``)."""
        role = op.role
        if role.kind == "erase":
            kind = _ABORT_ERASE
        elif role.is_program:
            kind = _ABORT_PROGRAM
        else:
            return []
        keys = [(op.die, b) for b in op.blocks or ()]
        for key in keys:
            self.pending.setdefault(key, []).append((reset_uid, kind, None, 0))
            self._recompute(*key)
        self.marks.setdefault(reset_uid, []).extend(keys)
        return keys

    def unmark(self, reset_uid: int, keys: list | None = None) -> list[Removed]:
        """Forget the RESET's marks (on ``keys``, default all). -> what was removed,
        for ``remark``."""
        mine = self.marks.get(reset_uid, [])
        keys = list(mine) if keys is None else keys
        removed: list[Removed] = []
        for key in keys:
            lst = self.pending.get(key, [])
            for i, x in enumerate(lst):
                if x[0] == reset_uid:
                    removed.append((key, i, x))
                    del lst[i]
                    mine.remove(key)
                    break
            if not lst:
                self.pending.pop(key, None)
            self._recompute(*key)
        if not mine:
            self.marks.pop(reset_uid, None)
        return removed

    def remark(self, reset_uid: int, removed: list[Removed]) -> None:
        """Undo of ``unmark``: put the entries back where they were."""
        for j in range(len(removed) - 1, -1, -1):  # reversed(), as mypyc compiles it
            key, i, x = removed[j]
            self.pending.setdefault(key, []).insert(i, x)
            self.marks.setdefault(reset_uid, []).append(key)
            self._recompute(*key)

    def commit_marks(self, reset_uid: int) -> None:
        """The RESET starts: its abort marks become committed."""
        for key in self.marks.pop(reset_uid, ()):
            self._commit_entry(key, reset_uid)
            self.aborted_blocks += 1

    def hold(self, op: Op) -> None:
        """Mark ``op``'s blocks busy while it is suspended (its page is the one a
        recovery read may read back, rule 2)."""
        for b in op.blocks or ():
            self.busy.setdefault((op.die, b), {})[op.uid] = op.page

    def release(self, op: Op) -> None:
        for b in op.blocks or ():
            held = self.busy.get((op.die, b))
            if held:
                held.pop(op.uid, None)
                if not held:
                    del self.busy[(op.die, b)]

    # ---------------------------------------------------------------- snapshot
    def arrays(self) -> dict:
        return {"state": self.state, "emode": self.emode, "pmode": self.pmode,
                "abort": self.abort}

    def restore_arrays(self, arrays: dict) -> None:
        self.state[...] = arrays["state"]
        self.emode[...] = arrays["emode"]
        self.pmode[...] = arrays["pmode"]
        self.abort[...] = arrays["abort"]
        for d in range(self.dies):
            for b in range(self.blocks):
                self._recompute(d, b)
