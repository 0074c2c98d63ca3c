"""Target sampling that satisfies the EPR rules by construction."""
from __future__ import annotations

import numpy as np

from .manager import BAD, ERASED, NOT_ABORTED, AddressManager


def _eligible(am: AddressManager, kind: str, d: int, ct: int):
    """(eligible[blocks] bool, page_hint[blocks] int) for one die."""
    s, e, p = am.f_state[d], am.f_emode[d], am.f_pmode[d]
    ok = s != BAD  # a fresh array: safe to edit; erase picks aborted blocks freely
    for (dd, b) in am.busy:
        if dd == d:
            ok[b] = False
    if kind in ("erase", "any"):
        return ok, None
    pok = am.program_ok[e, ct] if ct != am.none_ct else np.zeros_like(ok)
    pok = pok & (am.f_abort[d] == NOT_ABORTED)  # rule 16: no program after an abort
    if kind == "block":
        return ok & (s == ERASED) & pok, None
    if kind == "program":
        fresh = s == ERASED
        cont = (s >= 0) & (s < am.pages - 1) & (p == ct)
        return ok & pok & (fresh | cont), s + 1
    # read
    mode_ok = (p == ct) if ct != am.none_ct else np.ones_like(ok)
    return ok & (s >= am.offset) & mode_ok, s - am.offset


def _grid(am: AddressManager, arr, fill):
    pad = am.rows * am.planes - am.blocks
    if pad:
        arr = np.concatenate([arr, np.full(pad, fill, dtype=arr.dtype)])
    return arr.reshape(am.rows, am.planes)


def sample(am: AddressManager, kind: str, d: int, hook_plane: int, multi: bool, maxplanes: int,
           celltype: str, rng, planes_only: tuple | None = None):
    """-> (planes, blocks, page) or None when nothing fits.

    Single-plane ops target ``hook_plane``; multi-plane ops a set of up to
    ``maxplanes`` planes that includes it, shrinking to 2.
    """
    ct = am.ct_index[celltype]
    ok, hint = _eligible(am, kind, d, ct)
    E = _grid(am, ok, False)
    H = _grid(am, hint, -1) if hint is not None else None
    if planes_only is not None:  # restrict to a given plane set (e.g. copyback)
        mask = np.zeros(am.planes, dtype=bool)
        mask[list(planes_only)] = True
        E = E & mask
    if not multi:
        rows = np.flatnonzero(E[:, hook_plane])
        if rows.size == 0:
            return None
        r = int(rows[rng.below(rows.size)])
        return _finish(am, kind, (hook_plane,), r, H, rng)
    return _sample_multi(am, kind, E, H, hook_plane, maxplanes, rng)


def _sample_multi(am, kind, E, H, hook, maxplanes, rng):
    if kind == "program":  # same next page as the hook plane's block
        E = E & (H == H[:, hook:hook + 1])
    E = E & E[:, hook:hook + 1]
    counts = E.sum(axis=1)
    rows = np.flatnonzero(counts >= 2)
    if rows.size == 0:
        return None
    r = int(rows[rng.below(rows.size)])  # any row that fits, then as many planes as it allows
    k = min(maxplanes, int(counts[r]))
    others = [p for p in np.flatnonzero(E[r]).tolist() if p != hook]
    chosen = [hook]
    for _ in range(k - 1):
        chosen.append(others.pop(rng.below(len(others))))
    return _finish(am, kind, tuple(sorted(chosen)), r, H, rng)


def _finish(am, kind, planes, r, H, rng):
    blocks = tuple(r * am.planes + p for p in planes)
    if kind == "program":
        page = int(H[r, planes[0]])
    elif kind == "read":
        page = rng.below(int(min(H[r, p] for p in planes)) + 1)
    elif kind == "any":
        page = rng.below(am.pages)
    else:
        page = None
    return planes, blocks, page
