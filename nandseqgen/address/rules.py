"""EPR address rules (``docs/semantics.md`` rules 2, 3 and 16), judged against
the future view."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .manager import BAD, ERASE_ABORTED, ERASED, PROGRAM_ABORTED, UNERASED, AddressManager

if TYPE_CHECKING:
    from ..core.ops import Op


def check_group(am: AddressManager, op: Op) -> str | None:
    """Rule 5: planes ascending, block in its plane, one row, one page."""
    planes, blocks = op.planes, op.blocks
    if any(b2 <= b1 for b1, b2 in zip(planes, planes[1:])):
        return "epr:multiplane_order"
    if blocks is None:
        return None
    P = am.planes
    for p, b in zip(planes, blocks):
        if b is None or not 0 <= b < am.blocks or b % P != p:
            return "epr:block_plane"
    if len({b // P for b in blocks}) > 1:
        return "epr:multiplane_row"
    return None


def check_epr(am: AddressManager, op: Op, *, allow_held: bool = False) -> str | None:
    """None when ``op``'s targets obey rules 1-6, else ``epr:<subcode>``.

    ``allow_held`` lets a recovery read target the block of the suspended
    program it reads back (inherit ``same_page_from_program_suspend``).
    """
    role = op.role
    addr = role.address
    if addr in ("none", "latch") or not op.blocks:
        return None if addr in ("none", "latch", "any") else "epr:no_target"
    bad = check_group(am, op)
    if bad:
        return bad
    d, page = op.die, op.page
    if page is not None and not 0 <= page < am.pages:
        return "epr:page_range"
    ct = am.ct_index[op.celltype]
    for b in op.blocks:
        s = int(am.f_state[d, b])
        if s == BAD:
            return "epr:bad_block"
        if am.busy.get((d, b)) and not (allow_held and role.reads_address):
            return "epr:suspended_block"
        if addr == "erase" or addr == "any":
            continue
        if role.is_program:
            code = _aborted(am, d, b) or _program(am, d, b, s, page, ct, role.program_all_pages)
        else:
            code = _read(am, d, b, s, page, ct, allow_held)
        if code:
            return code
    return None


def _program(am: AddressManager, d: int, b: int, s: int, page: int | None, ct: int,
             all_pages: bool) -> str | None:
    if s == UNERASED:
        return "epr:program_before_erase"
    if not am.program_ok[int(am.f_emode[d, b]), ct]:
        return "epr:celltype"
    if all_pages:
        return None if s == ERASED else "epr:program_order"
    if s >= 0 and int(am.f_pmode[d, b]) != ct:
        return "epr:celltype"
    if page != s + 1:
        return "epr:program_order" if page is None or page > s + 1 else "epr:program_same_page"
    return None


def _aborted(am: AddressManager, d: int, b: int) -> str | None:
    """Rule 16: a block whose erase or program a RESET aborted takes no program
    until an erase completes."""
    a = int(am.f_abort[d, b])
    if a == ERASE_ABORTED:
        return "epr:erase_aborted"
    if a == PROGRAM_ABORTED:
        return "epr:program_aborted"
    return None


def _read(am: AddressManager, d: int, b: int, s: int, page: int | None, ct: int,
          allow_held: bool) -> str | None:
    held = am.busy.get((d, b))
    if allow_held and held:  # reading back the suspended program's own page (rule 2)
        return None if page in held.values() else "epr:recovery_page"
    if s < 0 or page is None or page > s - am.offset:
        a = int(am.f_abort[d, b])
        if a == ERASE_ABORTED:
            return "epr:erase_aborted"  # rule 16: no read until an erase completes
        if a == PROGRAM_ABORTED:
            return "epr:program_aborted"  # rule 16: the aborted page and above
        return "epr:read_unprogrammed"
    if ct != am.none_ct and int(am.f_pmode[d, b]) != ct:
        return "epr:celltype"
    return None
