"""Load a YAML config into an immutable :class:`Config`, reporting every
problem at once (SPEC 5.7)."""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping

import yaml

from .build_ops import build_bases, build_ops
from .build_rules import build_exclusions, build_groups, build_probabilities, build_recipes
from .diagnostics import ConfigError, Diagnostics
from .model import Bootstrap, Chunking, Config, Constraints, Policies, Topology, frozen_map
from .values import boolean, mapping, name_list, number, positive_int, us_to_ticks
from .yamlio import YamlDoc, deep_merge, merge_docs, read_yaml_file, read_yaml_text

KNOWN_TOP = {
    "topology", "celltypes", "policies", "op_bases", "op_names", "payload_by_op_base",
    "exclusion_groups", "exclusions_by_op_state", "exclusions_by_latch_state",
    "exclusions_by_suspend_state", "exclusions_by_odt_state", "exclusions_by_cache_state",
    "generate_seq_rules", "latencies", "constraints", "phase_conditional",
    "phase_conditional_overrides", "bootstrap", "propose", "num_runs",
    # reference keys accepted and not used by this engine:
    "features", "pattern_export",
    "program_base_whitelist",
}
DEFAULT_CELLTYPES = ("NONE", "FWSLC", "SLC", "AESLC", "A0SLC", "ACSLC", "TLC")
DEFAULT_PROGRAM_MODES = {"TLC": ["TLC"], "AESLC": ["AESLC"], "FWSLC": ["FWSLC"],
                         "SLC": ["SLC", "A0SLC", "ACSLC"]}

# policies key -> (field, kind, default); kind "us" converts to ticks
_POLICIES: dict[str, tuple] = {
    "admission_window": ("admission_window", "us", 0.5),
    "queue_refill_period_us": ("queue_refill_period", "us_pos", 100.0),
    "topN": ("topN", "int", 4),
    "epsilon_greedy": ("epsilon_greedy", "prob", 0.0),
    "maxplanes": ("maxplanes", "int", 4),
    "maxloop_seq": ("maxloop_seq", "int", 4),
    "maxtry_candidate": ("maxtry_candidate", "int", 4),
    "sequence_gap": ("sequence_gap", "us", 1.0),
    "split_dout_per_plane": ("split_dout_per_plane", "bool", True),
    "backlog_retry_delay_us": ("backlog_retry_delay", "us_pos", 5.0),
    "backlog_max_retries": ("backlog_max_retries", "int", 20),
    "phase_hook_offset_us": ("phase_hook_offset", "us_pos", 1.0),
    "input_time_bins": ("input_time_bins", "int", 10),
}


def _topology(diag: Diagnostics, raw) -> Topology:
    raw = mapping(diag, ("topology",), raw) or {}
    vals: dict = {}
    for key in ("dies", "planes", "blocks_per_die", "pages_per_block"):
        vals[key] = positive_int(diag, ("topology", key), raw.get(key)) or 1
    bad = []
    for i, item in enumerate(raw.get("bad_blocks") or []):
        ok = (isinstance(item, list) and len(item) == 2 and all(isinstance(v, int) for v in item)
              and 0 <= item[0] < vals["dies"] and 0 <= item[1] < vals["blocks_per_die"])
        if not ok:
            diag.error("bad_block", ("topology", "bad_blocks", i), item, "expected [die, block] in range")
            continue
        bad.append(tuple(item))
    return Topology(bad_blocks=tuple(sorted(set(bad))), **vals)


def _policies(diag: Diagnostics, raw) -> Policies:
    raw = mapping(diag, ("policies",), raw) or {}
    kw: dict = {}
    for key, (fname, kind, default) in _POLICIES.items():
        value, path = raw.get(key, default), ("policies", key)
        if kind == "bool":
            kw[fname] = boolean(diag, path, value, default)
        elif kind == "int":
            kw[fname] = positive_int(diag, path, value) or default
        elif kind == "prob":
            v = number(diag, path, value, minimum=0)
            kw[fname] = min(v, 1.0) if v is not None else default
        else:
            v = number(diag, path, value, minimum=0, what="a time in us")
            ticks = us_to_ticks(v if v is not None else default)
            if kind == "us_pos" and ticks <= 0:
                diag.error("out_of_range", path, value, "expected a time > 0")
                ticks = us_to_ticks(default)
            kw[fname] = ticks
    return Policies(**kw)


def _constraints(diag: Diagnostics, raw, base_names, celltypes) -> Constraints:
    raw = mapping(diag, ("constraints",), raw) or {}
    if "single_single_allowed_bases" in raw:
        allowed = name_list(diag, ("constraints", "single_single_allowed_bases"),
                            raw["single_single_allowed_bases"]) or []
    else:  # SPEC default, for those of its bases that exist
        allowed = [b for b in ("PLANE_READ", "PLANE_READ4K", "PLANE_CACHE_READ") if b in base_names]
    for b in allowed:
        if b not in base_names:
            diag.error("unknown_base", ("constraints", "single_single_allowed_bases"), b,
                       f"unknown op base {b!r}")
    epr = mapping(diag, ("constraints", "epr"), raw.get("epr")) or {}
    guard = epr.get("offset_guard")
    guard = 0 if guard is None else number(diag, ("constraints", "epr", "offset_guard"), guard, minimum=0)
    modes_raw = raw.get("program_modes_by_erase_mode", DEFAULT_PROGRAM_MODES)
    modes = {}
    for emode, pmodes in (mapping(diag, ("constraints", "program_modes_by_erase_mode"), modes_raw)
                          or {}).items():
        pmodes = name_list(diag, ("constraints", "program_modes_by_erase_mode", emode), pmodes) or []
        for m in [emode, *pmodes]:
            if m not in celltypes:
                diag.error("unknown_celltype", ("constraints", "program_modes_by_erase_mode", emode), m,
                           "unknown celltype")
        modes[emode] = frozenset(pmodes)
    return Constraints(frozenset(b for b in allowed if b in base_names), int(guard or 0),
                       frozen_map(modes))


def _bootstrap(diag: Diagnostics, raw, celltypes, topo: Topology) -> Bootstrap:
    raw = mapping(diag, ("bootstrap",), raw) or {}
    enabled = boolean(diag, ("bootstrap", "enabled"), raw.get("enabled", raw.get("enable")), False)
    th = mapping(diag, ("bootstrap", "thresholds"), raw.get("thresholds")) or {}
    mins = mapping(diag, ("bootstrap", "minimums"), raw.get("minimums")) or {}
    vals: dict = {}
    # volumes beyond the good blocks could never be reached: an error only when enabled
    blocks = topo.dies * topo.blocks_per_die - len(topo.bad_blocks) if enabled else None
    for key, src, sub, hi in (("erase_volume", th, "thresholds", blocks),
                              ("program_volume", th, "thresholds", blocks),
                              ("read_coverage", th, "thresholds", 1.0),
                              ("read_volume", mins, "minimums", blocks)):
        path, value = ("bootstrap", sub, key), src.get(key)
        if value is None:
            if enabled:
                diag.error("missing_threshold", path, value, "bootstrap is enabled but this is missing")
            vals[key] = None
            continue
        v = number(diag, path, value, minimum=0)
        if v is not None and hi is not None and v > hi:
            diag.error("out_of_range", path, value, f"expected a value in [0, {hi}]")
            v = None
        vals[key] = v
    weights = mapping(diag, ("bootstrap", "celltype_weights"), raw.get("celltype_weights")) or {}
    clean = {}
    for ct, w in weights.items():
        if ct not in celltypes:
            diag.error("unknown_celltype", ("bootstrap", "celltype_weights", ct), ct, "unknown celltype")
            continue
        w = number(diag, ("bootstrap", "celltype_weights", ct), w, minimum=0)
        if w is not None:
            clean[ct] = w
    return Bootstrap(enabled=enabled, celltype_weights=frozen_map(clean), **vals)


def _chunking(diag: Diagnostics, raw) -> Chunking:
    raw = mapping(diag, ("propose",), raw) or {}
    ch = mapping(diag, ("propose", "chunking"), raw.get("chunking")) or {}
    kw: dict = {}
    for key in ("max_ops_per_chunk", "checkpoint_interval"):
        v = ch.get(key)
        kw[key] = None if v is None else positive_int(diag, ("propose", "chunking", key), v)
    kw["allow_partial_success"] = boolean(
        diag, ("propose", "chunking", "allow_partial_success"), ch.get("allow_partial_success"), False)
    return Chunking(**kw)


def _celltypes(diag: Diagnostics, raw) -> tuple:
    if raw is None:
        return DEFAULT_CELLTYPES
    names = name_list(diag, ("celltypes",), raw)
    if not names:
        return DEFAULT_CELLTYPES
    return tuple(names) if "NONE" in names else ("NONE",) + tuple(names)


def _check_read_douts(diag: Diagnostics, bases: dict, recipes: dict) -> None:
    """A read whose sequence cannot lead to a DOUT holds its read latch until a
    standalone DOUT comes: legal to generate, but rarely what is wanted."""
    def has_dout(choice) -> bool:
        if choice.is_recipe:
            steps = recipes[choice.target].steps if choice.target in recipes else ()
            return any(b in bases and bases[b].role.kind == "dout" for b, _ in steps)
        return choice.target in bases and bases[choice.target].role.kind == "dout"
    for name, base in bases.items():
        if not base.role.needs_dout:
            continue
        if not any(c.prob > 0 and has_dout(c) for c in base.sequence):
            diag.warn("read_without_dout", ("op_bases", name), name,
                      "no sequence of this read leads to a DOUT; its data stays in the latch "
                      "until a standalone DOUT (erase/program of the plane wait for it)")


def config_hash(raw) -> str:
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _build(doc: YamlDoc, diag: Diagnostics) -> Config | None:
    raw = doc.data
    if not isinstance(raw, dict):
        diag.error("not_a_mapping", (), type(raw).__name__, "a config must be a YAML mapping")
        return None
    for path, first, line in doc.duplicates:
        diag.warn("duplicate_key", path, path[-1], f"key repeated (first at line {first}); last one wins")
    for key in raw:
        if key not in KNOWN_TOP:
            diag.warn("unknown_key", (key,), key, "unknown top-level key (ignored)")
    celltypes = _celltypes(diag, raw.get("celltypes"))
    base_names = set(raw.get("op_bases") or {}) if isinstance(raw.get("op_bases"), dict) else set()
    recipes = build_recipes(diag, raw.get("generate_seq_rules"), base_names)
    whitelist = raw.get("program_base_whitelist")
    whitelist = set(name_list(diag, ("program_base_whitelist",), whitelist) or []) if whitelist else None
    bases, spellings = build_bases(diag, raw.get("op_bases"), raw.get("payload_by_op_base"), recipes,
                                   whitelist)
    for b in (raw.get("payload_by_op_base") or {}):
        if b not in base_names:
            diag.error("unknown_base", ("payload_by_op_base", b), b, f"unknown op base {b!r}")
    ops = build_ops(diag, raw.get("op_names"), bases, spellings, celltypes)
    _check_read_douts(diag, bases, recipes)
    groups = build_groups(diag, raw.get("exclusion_groups"), base_names)
    exclusions = build_exclusions(diag, raw, groups, spellings)
    table, glob, by_key = build_probabilities(diag, raw, set(ops), set(bases), spellings)
    groups_by_base = {b: tuple(o.name for o in ops.values() if o.base.name == b) for b in bases}
    runs = raw.get("num_runs", 1)
    topology = _topology(diag, raw.get("topology"))
    return Config(
        source=doc.source, raw=frozen_map(raw), topology=topology,
        celltypes=celltypes, policies=_policies(diag, raw.get("policies")),
        bases=frozen_map(bases), ops=frozen_map(ops), groups_by_base=frozen_map(groups_by_base),
        exclusions=exclusions, recipes=frozen_map(recipes), phase_conditional=table,
        overrides_global=glob, overrides_by_key=by_key,
        constraints=_constraints(diag, raw.get("constraints"), base_names, celltypes),
        bootstrap=_bootstrap(diag, raw.get("bootstrap"), celltypes, topology),
        chunking=_chunking(diag, raw.get("propose")),
        num_runs=positive_int(diag, ("num_runs",), runs) or 1,
        warnings=tuple(diag.warnings), config_hash=config_hash(raw),
    )


def check_doc(doc: YamlDoc) -> tuple:
    """-> (config or None, diagnostics list). Never raises for config problems."""
    diag = Diagnostics(doc)
    cfg = _build(doc, diag)
    return (cfg if not diag.errors else None), diag.items


def _finish(doc: YamlDoc, strict: bool) -> Config:
    cfg, items = check_doc(doc)
    errors = [d for d in items if d.severity == "error"]
    warnings = [d for d in items if d.severity == "warning"]
    if strict:
        errors, warnings = errors + warnings, []
    if errors:
        raise ConfigError(errors, warnings)
    return cfg


def _read(path: str) -> YamlDoc:
    try:
        return read_yaml_file(path)
    except yaml.YAMLError as exc:
        raise ConfigError([_syntax(path, exc)]) from exc


def _syntax(source, exc):
    from .diagnostics import Diagnostic
    mark = getattr(exc, "problem_mark", None)
    return Diagnostic("error", "yaml_syntax", "", None, mark.line + 1 if mark else None,
                      str(exc).replace("\n", " "), str(source))


def _read_with(path: str, overrides) -> YamlDoc:
    doc = _read(str(path))
    for ov in overrides or ():
        doc = merge_docs(doc, _read(str(ov)))
    return doc


def load_config(path: str, *, strict: bool = False, overrides=()) -> Config:
    """Load and validate a config file, with optional override files deep-merged
    in order. Raises :class:`ConfigError` listing every error with file and line."""
    return _finish(_read_with(path, overrides), strict)


def load_config_text(text: str, *, source: str = "<string>", strict: bool = False) -> Config:
    try:
        doc = read_yaml_text(text, source)
    except yaml.YAMLError as exc:
        raise ConfigError([_syntax(source, exc)]) from exc
    return _finish(doc, strict)


def check_config(path: str, overrides=()) -> list:
    """All diagnostics of a file (errors and warnings), without raising."""
    try:
        doc = _read_with(path, overrides)
    except ConfigError as exc:
        return exc.errors
    return check_doc(doc)[1]


def with_changes(cfg: Config, changes: dict, *, replace_keys: tuple = ()) -> Config:
    """A new Config with ``changes`` deep-merged into the raw data.

    Top-level keys listed in ``replace_keys`` are replaced instead of merged.
    """
    raw = _thaw(cfg.raw)
    for key in replace_keys:
        raw.pop(key, None)
    deep_merge(raw, changes)
    doc = YamlDoc(data=raw, source=cfg.source)
    return _finish(doc, strict=False)


def _thaw(value):
    """A deep, mutable copy (the config's raw data is behind read-only views)."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_thaw(v) for v in value]
    return copy.deepcopy(value)
