"""op_bases and op_names -> OpBase / OpSpec (the derived ``op_specs``)."""
from __future__ import annotations

from dataclasses import replace

from .diagnostics import Diagnostics
from .model import OpBase, OpSpec, SeqChoice, StateSpec
from .roles import DEFAULT_ROLES, DEFAULT_STATUS, STATUS_MODES, role_from_config
from .values import (MAX_WEIGHT, boolean, canonical_state, duration_ticks, mapping,
                     name_list, number)

SCOPES = ("DIE_WIDE", "PLANE_SET", "NONE")
INHERIT_RULES = frozenset({
    "same_page", "inc_page", "prev_page", "pgm_same_page", "same_celltype", "same_plane",
    "none", "multi", "same_page_from_program_suspend", "same_reg",
})
PAYLOAD_FIELDS = ("die", "plane", "block", "page", "celltype", "exp_val")


def _state_item(diag: Diagnostics, path, item):
    """One ``states`` list item -> (written_name, bus, ticks) or None.

    Accepts the reference's flat form ``{ISSUE: null, bus: .., duration: ..}``
    and the nested form ``{ISSUE: {bus: .., duration: ..}}``.
    """
    if not isinstance(item, dict):
        diag.error("bad_state", path, item, "a state must be a mapping")
        return None
    names = [k for k in item if k not in ("bus", "duration")]
    if len(names) != 1:
        diag.error("bad_state", path, item, "a state item needs exactly one state name")
        return None
    name = names[0]
    if item[name] is not None and not isinstance(item[name], dict):
        diag.error("bad_state", path + (name,), item[name],
                   "expected {bus: .., duration: ..} (or null with bus/duration beside it)")
        return None
    body = item[name] if isinstance(item[name], dict) else item
    bpath = path + (name,) if isinstance(item[name], dict) else path
    ticks = duration_ticks(diag, bpath + ("duration",), body.get("duration", 0))
    bus = boolean(diag, bpath + ("bus",), body.get("bus"), False)
    return None if ticks is None else (str(name), bus, ticks)


def _base_states(diag: Diagnostics, name: str, raw: dict):
    path = ("op_bases", name, "states")
    items = raw.get("states")
    if not isinstance(items, list) or not items:
        diag.error("bad_states", path, items, "op base needs a non-empty states list")
        return (), {}
    states, spelled = [], {}
    for i, item in enumerate(items):
        got = _state_item(diag, path + (i,), item)
        if got is None:
            continue
        written, bus, ticks = got
        canon = canonical_state(written)
        spelled[canon] = written
        states.append(StateSpec(canon, bus, ticks))
    return tuple(states), spelled


def _sequence(diag: Diagnostics, name: str, raw, base_names, recipes) -> tuple:
    if raw is None:
        return ()
    path = ("op_bases", name, "sequence")
    if not isinstance(raw, dict):
        diag.error("not_a_mapping", path, raw, "sequence must be a mapping")
        return ()
    inherit = {}
    rows = _list(diag, path + ("inherit",), raw.get("inherit"), "a list of {BASE: [rules]} mappings")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            diag.error("not_a_mapping", path + ("inherit", i), row, "expected {BASE: [rules]}")
            continue
        for target, rules in row.items():
            rules = name_list(diag, path + ("inherit", i, target), rules) or []
            for rule in rules:
                if rule not in INHERIT_RULES:
                    diag.error("unknown_inherit_rule", path + ("inherit", i, target), rule,
                               f"unknown inherit rule {rule!r}")
            inherit[target] = tuple(rules)
    choices = []
    for i, row in enumerate(_list(diag, path + ("probs",), raw.get("probs"),
                                  "a list of {BASE: probability} mappings")):
        if not isinstance(row, dict):
            diag.error("not_a_mapping", path + ("probs", i), row, "probability row must be a mapping")
            continue
        for target, prob in row.items():
            p = path + ("probs", i, target)
            if not _known_target(diag, p, target, base_names, recipes):
                continue
            prob = number(diag, p, prob, minimum=0, maximum=MAX_WEIGHT, what="a probability")
            if prob is None:
                continue
            choices.append(SeqChoice(str(target), prob, inherit.get(target, ())))
    return tuple(choices)


def _list(diag: Diagnostics, path, value, what: str) -> list:
    """``value`` if it is a list (None -> []); otherwise an error and []."""
    if value is None:
        return []
    if not isinstance(value, list):
        diag.error("not_a_list", path, value, f"expected {what}")
        return []
    return value


def _known_target(diag, path, target, base_names, recipes) -> bool:
    if target == "NONE" or target in base_names:
        return True
    if isinstance(target, str) and target.endswith(".SEQ"):
        if target in recipes:
            return True
        diag.error("unknown_recipe", path, target, f"{target} is not in generate_seq_rules")
        return False
    diag.error("unknown_base", path, target, f"unknown op base {target!r}")
    return False


def _role(diag: Diagnostics, name: str, raw: dict, whitelist):
    path = ("op_bases", name, "role")
    if "role" in raw:
        def check(ok, sub, value, message):
            if not ok:
                diag.error("bad_role", path + tuple(sub), value, message)
            return ok
        return role_from_config(raw["role"], check)
    role = DEFAULT_ROLES.get(name)
    if role is None:
        diag.error("unknown_base", ("op_bases", name), name,
                   "op base has no declared role and is not a known base (add op_bases.<B>.role)")
        return None
    if whitelist is not None and role.is_program:  # reference key: which program bases commit
        kind = "program_final" if name in whitelist else "program_step"
        if kind != role.kind:
            role = replace(role, kind=kind)
    return role


def build_bases(diag: Diagnostics, raw_bases, payload_raw, recipes, whitelist):
    """Returns ({name: OpBase}, {name: {canonical_state: written_spelling}})."""
    raw_bases = mapping(diag, ("op_bases",), raw_bases) or {}
    payload_raw = mapping(diag, ("payload_by_op_base",), payload_raw) or {}
    names = set(raw_bases)
    bases, spellings = {}, {}
    for index, (name, raw) in enumerate(raw_bases.items()):
        path = ("op_bases", name)
        if not isinstance(raw, dict):
            diag.error("not_a_mapping", path, raw, "op base must be a mapping")
            continue
        scope = raw.get("scope", "NONE")
        if not isinstance(scope, str) or scope not in SCOPES:
            diag.error("bad_scope", path + ("scope",), scope, f"scope must be one of {SCOPES}")
        states, spelled = _base_states(diag, name, raw)
        role = _role(diag, name, raw, whitelist)
        seq = _sequence(diag, name, raw.get("sequence"), names, recipes)
        payload = _payload(diag, name, payload_raw.get(name))
        if role is None or not states:
            continue
        bases[name] = OpBase(
            name=name, index=index, scope=scope,
            affect_state=boolean(diag, path + ("affect_state",), raw.get("affect_state"), False),
            instant_resv=boolean(diag, path + ("instant_resv",), raw.get("instant_resv"), False),
            states=states, role=role, sequence=seq, payload=payload,
        )
        spellings[name] = spelled
    return bases, spellings


def _payload(diag: Diagnostics, name: str, fields) -> tuple:
    path = ("payload_by_op_base", name)
    fields = name_list(diag, path, fields) or []
    for f in fields:
        if f not in PAYLOAD_FIELDS:
            diag.warn("unknown_payload_field", path, f, f"payload field not one of {PAYLOAD_FIELDS}")
    return tuple(f for f in fields if f in PAYLOAD_FIELDS)


def _durations(diag: Diagnostics, name: str, base: OpBase, spelled: dict, raw) -> tuple:
    path = ("op_names", name, "durations")
    raw = mapping(diag, path, raw) or {}
    given, invalid = {}, set()
    for key, value in raw.items():
        canon = canonical_state(str(key))
        if canon not in spelled:
            if duration_ticks(diag, path + (key,), value) is not None:  # still a valid number
                diag.warn("unknown_state_duration", path + (key,), value,
                          f"base {base.name} has no state {key}; duration ignored")
            continue
        if key != spelled[canon]:
            diag.warn("state_alias", path + (key,), key,
                      f"{key} is an alias of {base.name}'s state {spelled[canon]}")
        ticks = duration_ticks(diag, path + (key,), value)
        if ticks is None:
            invalid.add(canon)
        else:
            given[canon] = ticks
    states = []
    for st in base.states:
        if st.name not in given and st.name not in invalid:
            diag.warn("missing_duration", path, spelled[st.name],
                      f"no duration for state {spelled[st.name]}; base duration used")
        ticks = given.get(st.name, st.ticks)
        if ticks <= 0:  # a zero-length state has no place on the timeline (decisions 61)
            diag.error("zero_duration", path + (spelled[st.name],), ticks / 100,
                       "every state must last at least 0.01 us (one tick)")
        states.append(StateSpec(st.name, st.bus, ticks))
    return tuple(states)


def _status(diag: Diagnostics, name: str, raw) -> tuple:
    if raw is None:
        return DEFAULT_STATUS.get(name, ("die", None))
    path = ("op_names", name, "status")
    raw = mapping(diag, path, raw) or {}
    mode = raw.get("mode", "die")
    if not isinstance(mode, str) or mode not in STATUS_MODES:
        diag.error("bad_status", path + ("mode",), mode, f"status mode must be one of {STATUS_MODES}")
        return ("die", None)
    lun = raw.get("lun")
    if mode == "lun" and (not isinstance(lun, int) or isinstance(lun, bool) or lun < 0):
        diag.error("bad_status", path + ("lun",), lun, "lun status needs a die index")
        return ("die", None)
    return (mode, lun)


def build_ops(diag: Diagnostics, raw_ops, bases: dict, spellings: dict, celltypes: tuple,
              base_names=()) -> dict:
    """``base_names``: every name under op_bases (those that failed were reported)."""
    raw_ops = mapping(diag, ("op_names",), raw_ops) or {}
    ops = {}
    for index, (name, raw) in enumerate(raw_ops.items()):
        path = ("op_names", name)
        if not isinstance(raw, dict):
            diag.error("not_a_mapping", path, raw, "op name must be a mapping")
            continue
        base_name = raw.get("base")
        if not isinstance(base_name, str):
            diag.error("not_a_name", path + ("base",), base_name, "expected an op base name")
            continue
        base = bases.get(base_name)
        if base is None:
            if base_name not in base_names:  # bad bases were reported already
                diag.error("unknown_base", path + ("base",), base_name, "unknown op base")
            continue
        celltype = raw.get("celltype", "NONE")
        if not isinstance(celltype, str) or celltype not in celltypes:
            diag.error("unknown_celltype", path + ("celltype",), celltype,
                       f"celltype must be one of {list(celltypes)}")
            continue
        states = _durations(diag, name, base, spellings[base.name], raw.get("durations"))
        mode, lun = _status(diag, name, raw.get("status"))
        ops[name] = OpSpec(
            name=name, index=index, base=base,
            multi=boolean(diag, path + ("multi",), raw.get("multi"), False),
            celltype=celltype, states=states, status_mode=mode, status_lun=lun,
        )
    return ops

