"""Precondition steering of the coverage-directed policy (docs/coverage.md,
"Preconditions").

Program and read keys only appear once a block is in the right state: a read
needs programmed pages of its cell mode, a program an erased (or partly
programmed) block whose erase mode accepts its mode (rule 3), and a RESET
aborts the erase or program in flight (rule 16). Which op names need what is
read from the roles (``role.address``: ``erase``, ``program``, ``block``,
``read``) and from ``constraints.program_modes`` — never from op names.

:func:`plane_context` summarises the address state (future view) of the
hook plane's blocks as ``(program mask, read mask, any unready block)``;
:func:`chain_factor` turns it into a weight factor per op name: names whose
precondition holds are boosted (and not penalised for past refusals, which
happened while the precondition did not hold), an erase is boosted where a
block is unready and damped where every block of the plane is ready (it would
wipe pages the reads need).
"""
from __future__ import annotations

from ..address.manager import BAD, ERASED, NOT_ABORTED, AddressManager

READY_ADDRESSES = frozenset({"program", "block", "read"})
#: chain_factor's second value: 0 no precondition known to hold, READY it holds
#: (no ``miss``), EXIT the name ends the key's cache loop (no ``miss``, no ``level``).
READY, EXIT = 1, 2


def plane_context(am: AddressManager, die: int, plane: int) -> tuple[int, int, bool]:
    """``(program mask, read mask, unready)`` of the hook plane's blocks.

    Bit ``c`` of the program mask: some block takes a program of cell type
    ``c`` (erased with a compatible erase mode, or partly programmed in mode
    ``c``, not marked aborted); of the read mask: some block has readable
    pages programmed in mode ``c``. ``unready``: some good, free block is in
    neither state (an erase is what it needs)."""
    P, pages, ok, busy = am.planes, am.pages, am.program_ok, am.busy
    states = am.f_state[die, plane::P].tolist()
    emodes = am.f_emode[die, plane::P].tolist()
    pmodes = am.f_pmode[die, plane::P].tolist()
    aborts = am.f_abort[die, plane::P].tolist()
    prog = read = 0
    unready = False
    for i, s in enumerate(states):
        if s == BAD or (busy and (die, plane + i * P) in busy):
            continue
        mine = 0
        if aborts[i] == NOT_ABORTED:
            if s == ERASED:
                for c, yes in enumerate(ok[emodes[i]]):
                    if yes:
                        mine |= 1 << c
            elif 0 <= s < pages - 1 and ok[emodes[i], pmodes[i]]:
                mine |= 1 << pmodes[i]
        prog |= mine
        if s >= am.offset:
            read |= 1 << pmodes[i]
        elif not mine:
            unready = True
    return prog, read, unready


def chain_factor(spec, ct: int, none_ct: int, ctx: tuple[int, int, bool],
                 gain: float, entered: str | None = None,
                 wipe: float | None = None) -> tuple[float, int]:
    """-> (weight factor, 0 / READY / EXIT) of ``spec`` (cell type index
    ``ct``) in context ``ctx``. A READY name's precondition holds: it is not
    penalised for its past refusals (see the module docstring). ``entered``:
    the cache state the key's base enters (role ``cache_enter``), if any:
    inside it, names that end it are boosted and EXIT (not damped by their
    cell's count either, docs/decisions.md 108), names that continue it
    damped, so a plane does not stay in the few keys of a cache loop.
    ``wipe``: the factor of an erase where every block is ready (default
    ``1 / (1 + gain)``; the steer passes :func:`erase_balance`)."""
    role = spec.base.role
    if entered is not None:
        if entered in role.cache_exit:
            return 1.0 + gain, EXIT
        if role.cache_enter == entered:  # continues the loop: damped, and still needs its target
            return 1.0 / (1.0 + gain), _address_factor(role.address, ct, none_ct, ctx, gain)[1]
    return _address_factor(role.address, ct, none_ct, ctx, gain, wipe)


def _address_factor(addr: str | None, ct: int, none_ct: int, ctx: tuple[int, int, bool],
                    gain: float, wipe: float | None = None) -> tuple[float, int]:
    """The precondition part of :func:`chain_factor`."""
    prog, read, unready = ctx
    if addr == "erase":
        if unready:
            return 1.0 + gain, 0
        if prog or read:
            return (1.0 / (1.0 + gain) if wipe is None else wipe), 0
        return 1.0, 0
    if addr in ("program", "block"):
        ready = bool(prog >> ct & 1) if ct != none_ct else False
    elif addr == "read":
        ready = bool(read >> ct & 1) if ct != none_ct else bool(read)
    else:
        return 1.0, 0
    return (1.0 + gain, READY) if ready else (1.0, 0)


def erase_balance(gain: float, program_holes: int, read_holes: int, steps: int) -> float:
    """The factor of an erase on a plane whose blocks are all ready: what it
    enables against what it wipes (docs/decisions.md 121). ``program_holes``,
    ``read_holes``: the share, in ``steps``-ths, of the reachable cells of the
    program bases' keys (role address ``program`` / ``block``) and of the read
    bases' keys (``read``) not hit yet. Early in a run both are high and the
    erase is weighted about 1; once the read keys are closed and the program
    keys are not, erases are favoured, which is how programs find blocks."""
    return (1.0 + gain * program_holes / steps) / (1.0 + gain * read_holes / steps)
