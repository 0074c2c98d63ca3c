"""What each op base *does*, declared as data.

The engine never looks at an op name or base name to decide behaviour: it reads
the :class:`Role` attached to every base. A config may declare a base's role
(``op_bases.<BASE>.role``); otherwise the default table below applies to the
known reference base names. A base that is neither declared nor in the table
is a load error. See ``docs/roles.md`` for the table in prose.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

from .units import AXES, Axis

RoleKind = Literal[
    "erase", "program_final", "program_step", "read", "cache_read_end", "dout",
    "datain", "suspend", "resume", "reset", "status_read", "odt_disable",
    "odt_enable", "other",
]
KINDS: tuple[str, ...] = get_args(RoleKind)
ADDRESS_KINDS = ("none", "erase", "program", "read", "latch", "any", "block")
LATCH_KINDS = ("LATCH_ON_READ", "LATCH_ON_LSB", "LATCH_ON_CSB", "LATCH_ON_MSB")
SCOPES = ("targets", "die")
STATUS_MODES = ("die", "plane_read_first", "lun")

_DEFAULT_ADDRESS = {
    "erase": "erase", "program_final": "program", "program_step": "program",
    "read": "read", "cache_read_end": "read", "dout": "latch",
}


@dataclass(frozen=True)
class Role:
    """Declared semantics of one op base."""

    kind: RoleKind
    axis: Axis | None = None  # suspend axis of an erase/program op, or the axis a suspend/resume acts on
    address: str = "none"  # how the proposer samples its target (see ADDRESS_KINDS)
    sets_latch: str | None = None  # latch set on its planes at op end
    latch_scope: str = "targets"  # planes a latch set/release applies to: its targets, or the whole die
    releases_latches: tuple = ()  # latch kinds released at op end
    consumes_read_latch: bool = False  # may start on a plane holding a read latch, and releases it
    cache_enter: str | None = None  # cache state entered at op start
    cache_scope: str = "targets"  # cache state kept per target plane, or per die
    cache_exit: tuple = ()  # cache states ended at op end
    plane_read_family: bool = False  # 72h/7Ch status reads look at these first
    reset_scope: str = "die"  # reset: the target die, or every die
    program_all_pages: bool = False  # programs every page of an erased block at once

    @property
    def is_program(self) -> bool:
        return self.kind in ("program_final", "program_step")

    @property
    def commits_address(self) -> bool:
        return self.kind in ("erase", "program_final")

    @property
    def needs_dout(self) -> bool:
        return self.kind == "read"

    @property
    def reads_address(self) -> bool:
        return self.kind in ("read", "cache_read_end")


def _r(kind: RoleKind, **kw) -> Role:
    kw.setdefault("address", _DEFAULT_ADDRESS.get(kind, "none"))
    return Role(kind, **kw)


_TLC_LATCHES = ("LATCH_ON_LSB", "LATCH_ON_CSB", "LATCH_ON_MSB")


def _step(latch: str, **kw) -> Role:
    return _r("program_step", axis="PROGRAM", sets_latch=latch, latch_scope="die", **kw)


def _final_tlc(**kw) -> Role:
    return _r("program_final", axis="PROGRAM", releases_latches=_TLC_LATCHES, latch_scope="die", **kw)


def _read(**kw) -> Role:
    return _r("read", sets_latch="LATCH_ON_READ", **kw)


_OTHER = _r("other")

#: Roles of the reference config's 57 op bases.
DEFAULT_ROLES: dict = {
    "NOP": _OTHER,
    "ETC": _OTHER,
    "ERASE": _r("erase", axis="ERASE"),
    "DSL_VTH_CHECK": _r("other", address="any"),
    "PROGRAM_SLC": _r("program_final", axis="PROGRAM", cache_exit=("ON_CACHE_PROGRAM",)),
    "ALLWL_PROGRAM": _r("program_final", axis="PROGRAM", address="block", program_all_pages=True),
    "CACHE_PROGRAM_SLC": _r("program_final", axis="PROGRAM", cache_enter="ON_CACHE_PROGRAM",
                            cache_scope="die"),
    "ONESHOT_PROGRAM_LSB": _step("LATCH_ON_LSB"),
    "ONESHOT_PROGRAM_CSB": _step("LATCH_ON_CSB"),
    "ONESHOT_PROGRAM_MSB": _step("LATCH_ON_MSB"),
    "ONESHOT_PROGRAM_MSB_23H": _final_tlc(cache_exit=("ON_ONESHOT_CACHE_PROGRAM",)),
    "ONESHOT_PROGRAM_EXEC_MSB": _final_tlc(cache_exit=("ON_ONESHOT_CACHE_PROGRAM",)),
    "ONESHOT_CACHE_PROGRAM": _final_tlc(cache_enter="ON_ONESHOT_CACHE_PROGRAM", cache_scope="die"),
    "TRANSFER_TO_CACHE_LSB": _OTHER,
    "TRANSFER_TO_CACHE_CSB": _OTHER,
    "TRANSFER_TO_CACHE_MSB": _OTHER,
    "READ": _read(),
    "RECOVERY_RD": _read(),
    "READ4K": _read(),
    "CACHE_READ": _read(cache_enter="ON_CACHE_READ"),
    "CACHE_READ_END": _r("cache_read_end", sets_latch="LATCH_ON_READ", cache_exit=("ON_CACHE_READ",)),
    "PLANE_READ": _read(plane_read_family=True),
    "PLANE_READ4K": _read(plane_read_family=True),
    "PLANE_CACHE_READ": _read(plane_read_family=True, cache_enter="ON_PLANE_CACHE_READ"),
    "PLANE_CACHE_READ_END": _r("cache_read_end", sets_latch="LATCH_ON_READ",
                               cache_exit=("ON_PLANE_CACHE_READ",)),
    "COPYBACK_READ": _read(),
    "COPYBACK_PROGRAM_SLC": _r("program_final", axis="PROGRAM", consumes_read_latch=True),
    "ONESHOT_COPYBACK_PROGRAM_LSB": _step("LATCH_ON_LSB", consumes_read_latch=True),
    "ONESHOT_COPYBACK_PROGRAM_CSB": _step("LATCH_ON_CSB", consumes_read_latch=True),
    "ONESHOT_COPYBACK_PROGRAM_MSB": _step("LATCH_ON_MSB", consumes_read_latch=True),
    "ONESHOT_COPYBACK_PROGRAM_EXEC_MSB": _final_tlc(consumes_read_latch=True),
    "DOUT": _r("dout", releases_latches=("LATCH_ON_READ",)),
    "DOUT4K": _r("dout", releases_latches=("LATCH_ON_READ",)),
    "DATAIN": _r("datain"),
    "SR": _r("status_read"),
    "SR_ADD": _r("status_read"),
    "CAMREAD": _OTHER,
    "CAMREAD_LUN": _OTHER,
    "ERASE_SUSPEND": _r("suspend", axis="ERASE"),
    "ERASE_RESUME": _r("resume", axis="ERASE"),
    "PROGRAM_SUSPEND": _r("suspend", axis="PROGRAM"),
    "PROGRAM_RESUME": _r("resume", axis="PROGRAM"),
    "TRAINING": _OTHER,
    "READID": _OTHER,
    "SETPARA": _OTHER,
    "GETPARA": _OTHER,
    "PLANE_SETPARA": _OTHER,
    "SETFEATURE": _OTHER,
    "GETFEATURE": _OTHER,
    "SETFEATURE_LUN": _OTHER,
    "GETFEATURE_LUN": _OTHER,
    "RESET": _r("reset", reset_scope="all"),
    "RESET_LUN": _r("reset", reset_scope="die"),
    "TEMPSENSOR": _OTHER,
    "ZQCAL": _OTHER,
    "ODTDISABLE": _r("odt_disable"),
    "ODTENABLE": _r("odt_enable"),
}

#: Status-read behaviour of the reference op names (exact names; default "die").
DEFAULT_STATUS: dict = {
    "Read_Status_Enhanced_72h": ("plane_read_first", None),
    "Read_Status_Enhanced_7Ch": ("plane_read_first", None),
    **{f"LUN_Status_Read_for_LUN{k}": ("lun", k) for k in range(8)},
}

ROLE_FIELDS = {f.name for f in fields(Role)}


#: Expected type of each declared role field: (python types, allowed values or None).
_FIELD_TYPES: dict[str, tuple[Any, Any]] = {
    "kind": (str, KINDS), "axis": ((str, type(None)), (None,) + AXES),
    "address": (str, ADDRESS_KINDS), "sets_latch": ((str, type(None)), (None,) + LATCH_KINDS),
    "latch_scope": (str, SCOPES), "releases_latches": (list, LATCH_KINDS),
    "consumes_read_latch": (bool, None), "cache_enter": ((str, type(None)), None),
    "cache_scope": (str, SCOPES), "cache_exit": (list, None), "plane_read_family": (bool, None),
    "reset_scope": (str, ("die", "all")), "program_all_pages": (bool, None),
}


def _field_ok(name: str, value, check) -> bool:
    types, allowed = _FIELD_TYPES[name]
    if types is list:
        good = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        good = good and (allowed is None or all(v in allowed for v in value))
        what = f"a list of names{'' if allowed is None else ' from ' + str(list(allowed))}"
    else:
        good = isinstance(value, types) and (allowed is None or value in allowed)
        good = good and not (isinstance(value, str) and not value)
        what = {bool: "true or false"}.get(types, "a name") if allowed is None \
            else f"one of {[a for a in allowed if a is not None]}"
    return check(good, (name,), value, f"{name} must be {what}")


def role_from_config(value, check) -> Role | None:
    """Build a Role from ``op_bases.<B>.role`` (a kind string or a mapping).

    ``check(ok, field, value, message)`` reports problems and returns ``ok``;
    returns None on error. Every field is type-checked before use.
    """
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, dict):
        check(False, (), value, "role must be a kind name or a mapping")
        return None
    unknown = set(value) - ROLE_FIELDS
    if not check(not unknown, (), sorted(unknown), f"unknown role fields {sorted(unknown)}"):
        return None
    if not all([_field_ok(k, v, check) for k, v in value.items()]):
        return None
    kind = value.get("kind")
    if not check(kind in KINDS, ("kind",), kind, f"role kind must be one of {list(KINDS)}"):
        return None
    kw = dict(value)
    for key in ("releases_latches", "cache_exit"):
        if key in kw:
            kw[key] = tuple(kw[key] or ())
    kw.setdefault("address", _DEFAULT_ADDRESS.get(str(kind), "none"))
    role = Role(**kw)
    ok = bool(check(role.kind not in ("suspend", "resume") or role.axis is not None, ("axis",),
                    role.axis, "suspend/resume roles need an axis (ERASE or PROGRAM)"))
    return role if ok else None
