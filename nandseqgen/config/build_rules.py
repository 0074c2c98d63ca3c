"""Exclusion tables, ``.SEQ`` recipes and probability tables."""
from __future__ import annotations

from .build_ops import INHERIT_RULES, _list
from .diagnostics import Diagnostics
from .roles import LATCH_KINDS
from .model import DEFAULT_KEY, END, Exclusions, SeqRecipe, frozen_map
from .values import MAX_WEIGHT, canonical_state, mapping, name_list, number


def build_groups(diag: Diagnostics, raw, base_names) -> dict:
    raw = mapping(diag, ("exclusion_groups",), raw) or {}
    groups = {}
    for group, members in raw.items():
        path = ("exclusion_groups", group)
        members = name_list(diag, path, members)
        if members is None:
            continue
        for i, b in enumerate(members):
            if b not in base_names:
                diag.error("unknown_base", path + (i,), b, f"unknown op base {b!r} in group")
        groups[group] = frozenset(b for b in members if b in base_names)
    return groups


def _resolve(diag: Diagnostics, path, value, groups) -> frozenset:
    names = name_list(diag, path, value)
    out = set()
    for i, g in enumerate(names or []):
        if g not in groups:
            diag.error("unknown_group", path + (i,), g, f"exclusion group {g!r} does not exist")
            continue
        out |= groups[g]
    return frozenset(out)


def split_phase_key(diag: Diagnostics, path, key, spellings, *, allow_global=False):
    """Validate a ``BASE.STATE``/``BASE.END``/``DEFAULT`` key -> canonical key or None.

    Unknown base: error. State the base lacks (after aliases): warning, None.
    Alias spelling: warning, canonical key returned.
    """
    if key == DEFAULT_KEY or (allow_global and key == "global"):
        return key
    if not isinstance(key, str) or "." not in key:
        diag.error("bad_phase_key", path, key, "expected BASE.STATE, BASE.END or DEFAULT")
        return None
    base, state = key.rsplit(".", 1)
    if base not in spellings:
        diag.error("unknown_base", path, key, f"unknown op base {base!r}")
        return None
    if state == END:
        return key
    canon = canonical_state(state)
    spelled = spellings[base]
    if canon not in spelled:
        diag.warn("state_never_matches", path, key,
                  f"base {base} has no state {state}; this key can never match")
        return None
    if spelled[canon] != state:
        diag.warn("state_alias", path, key, f"{state} is an alias of {base}'s state {spelled[canon]}")
    return f"{base}.{canon}"


SUSPEND_KEYS = ("ERASE_SUSPENDED", "NOT_ERASE_SUSPENDED", "PROGRAM_SUSPENDED",
                "NOT_PROGRAM_SUSPENDED")


def build_exclusions(diag: Diagnostics, raw: dict, groups: dict, spellings: dict,
                     cache_states=()) -> Exclusions:
    """``cache_states``: the states roles enter (``cache_enter``); a key outside
    the known names of its table could never match: an error naming the names."""
    known = {"exclusions_by_latch_state": LATCH_KINDS, "exclusions_by_suspend_state": SUSPEND_KEYS,
             "exclusions_by_odt_state": ("ODT_DISABLE",),
             "exclusions_by_cache_state": tuple(sorted(cache_states))}
    tables = {}
    for section, names in known.items():
        rows = mapping(diag, (section,), raw.get(section)) or {}
        for k in rows:
            if k not in names:
                diag.error("unknown_state", (section, k), k,
                           f"no such state (it could never match); known: {list(names)}")
        tables[section] = frozen_map(
            {k: _resolve(diag, (section, k), v, groups) for k, v in rows.items() if k in names})
    by_state: dict = {}
    rows = mapping(diag, ("exclusions_by_op_state",), raw.get("exclusions_by_op_state")) or {}
    for key, value in rows.items():
        path = ("exclusions_by_op_state", key)
        forbidden = _resolve(diag, path, value, groups)
        canon = split_phase_key(diag, path, key, spellings)
        if canon is not None:
            by_state[canon] = by_state.get(canon, frozenset()) | forbidden
    return Exclusions(
        by_op_state=frozen_map(by_state),
        by_latch=tables["exclusions_by_latch_state"],
        by_suspend=tables["exclusions_by_suspend_state"],
        by_odt=tables["exclusions_by_odt_state"],
        by_cache=tables["exclusions_by_cache_state"],
    )


def build_recipes(diag: Diagnostics, raw, base_names) -> dict:
    raw = mapping(diag, ("generate_seq_rules",), raw) or {}
    recipes = {}
    for key, body in raw.items():
        path = ("generate_seq_rules", key)
        body = mapping(diag, path, body)
        if body is None:
            continue
        steps = []
        for i, row in enumerate(_list(diag, path + ("sequences",), body.get("sequences"),
                                      "a list of {BASE: [rules]} steps")):
            if not isinstance(row, dict) or len(row) != 1:
                diag.error("bad_recipe_step", path + ("sequences", i), row,
                           "each step is a one-key mapping BASE: [rules]")
                continue
            (base, rules), = row.items()
            spath = path + ("sequences", i, base)
            if base not in base_names:
                diag.error("unknown_base", spath, base, f"unknown op base {base!r}")
                continue
            rules = name_list(diag, spath, rules) or []
            for rule in rules:
                if rule not in INHERIT_RULES:
                    diag.error("unknown_inherit_rule", spath, rule, f"unknown inherit rule {rule!r}")
            steps.append((base, tuple(rules)))
        recipes[key] = SeqRecipe(key, tuple(steps), frozen_map(
            _name_weights(diag, path + ("name_weights",), body.get("name_weights"), steps)))
    return recipes


def _name_weights(diag: Diagnostics, path, raw, steps) -> dict:
    """``name_weights: {BASE: {op_name: w}}``: finite weights >= 0 for bases of
    the recipe; op names are checked against op_names in :func:`check_name_weights`."""
    raw = mapping(diag, path, raw) or {}
    step_bases = {b for b, _ in steps}
    out = {}
    for base, row in raw.items():
        bpath = path + (base,)
        if base not in step_bases:
            diag.error("unknown_base", bpath, base, "not a base of this recipe's sequences")
            continue
        row = mapping(diag, bpath, row, "a mapping {op_name: weight}")
        clean = {}
        for name, w in (row or {}).items():
            w = number(diag, bpath + (name,), w, minimum=0, maximum=MAX_WEIGHT, what="a weight")
            if w is not None:
                clean[name] = w
        if row and not any(clean.values()):
            diag.error("zero_weights", bpath, row, "every weight is 0 or invalid; nothing to choose")
        out[base] = frozen_map(clean)
    return out


def check_name_weights(diag: Diagnostics, recipes: dict, ops: dict) -> None:
    """Every op name in a recipe's name_weights exists and has the row's base."""
    for key, recipe in recipes.items():
        for base, row in recipe.name_weights.items():
            for name in row:
                path = ("generate_seq_rules", key, "name_weights", base, name)
                if name not in ops:
                    diag.error("unknown_name", path, name, f"{name!r} is not in op_names")
                elif ops[name].base.name != base:
                    diag.error("wrong_base", path, name,
                               f"{name!r} has base {ops[name].base.name}, not {base}")


def _weights_row(diag: Diagnostics, path, row, names, bases) -> dict | None:
    if not isinstance(row, dict):
        diag.error("not_a_mapping", path, row, "probability row must be a mapping")
        return None
    out = {}
    for name, w in row.items():
        p = path + (name,)
        if name not in names and name not in bases:
            diag.error("unknown_name", p, name, f"{name!r} is neither an op name nor an op base")
            continue
        value = number(diag, p, w, minimum=0, maximum=MAX_WEIGHT, what="a weight")
        if value is not None:
            out[name] = value
    return out


def build_probabilities(diag: Diagnostics, raw: dict, names, bases, spellings):
    """-> (phase_conditional, overrides_global, overrides_by_key)."""
    pc_raw = mapping(diag, ("phase_conditional",), raw.get("phase_conditional")) or {}
    table = {}
    for key, row in pc_raw.items():
        canon = split_phase_key(diag, ("phase_conditional", key), key, spellings)
        row = _weights_row(diag, ("phase_conditional", key), row, names, ())
        if canon is not None and row is not None:
            table[canon] = frozen_map(row)
    ov_raw = mapping(diag, ("phase_conditional_overrides",),
                     raw.get("phase_conditional_overrides")) or {}
    glob: dict = {}
    by_key: dict = {}
    for key, row in ov_raw.items():
        path = ("phase_conditional_overrides", key)
        canon = split_phase_key(diag, path, key, spellings, allow_global=True)
        row = _weights_row(diag, path, row if row is not None else {}, names, bases)
        if canon is None or row is None:
            continue
        if canon == "global":
            glob = row
        else:
            by_key[canon] = frozen_map({**by_key.get(canon, {}), **row})
    return frozen_map(table), frozen_map(glob), frozen_map(by_key)
