"""Load a YAML config into an immutable :class:`Config`, reporting every
problem at once (SPEC 5.7)."""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace

import yaml

from .build_ops import build_bases, build_ops
from .build_rules import (build_exclusions, build_groups, build_probabilities, build_recipes,
                          check_name_weights)
from .diagnostics import ConfigError, Diagnostic, Diagnostics
from .model import Config, frozen_map
from .sections import (MAX_RUNS, build_bootstrap, build_celltypes, build_chunking,
                       build_constraints, build_policies, build_topology, warn_unknown_keys)
from .values import name_list, positive_int
from .yamlio import (FileProblem, YamlDoc, YamlShapeError, deep_merge, merge_docs, read_yaml_file,
                     read_yaml_text)

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
    for section in ("topology", "constraints", "bootstrap", "propose"):
        warn_unknown_keys(diag, (section,), raw.get(section))
    celltypes = build_celltypes(diag, raw.get("celltypes"))
    base_names = set(raw.get("op_bases") or {}) if isinstance(raw.get("op_bases"), dict) else set()
    recipes = build_recipes(diag, raw.get("generate_seq_rules"), base_names)
    whitelist = raw.get("program_base_whitelist")
    whitelist = set(name_list(diag, ("program_base_whitelist",), whitelist) or []) if whitelist else None
    bases, spellings = build_bases(diag, raw.get("op_bases"), raw.get("payload_by_op_base"), recipes,
                                   whitelist)
    payload = raw.get("payload_by_op_base")
    for b in (payload if isinstance(payload, dict) else {}):
        if b not in base_names:
            diag.error("unknown_base", ("payload_by_op_base", b), b, f"unknown op base {b!r}")
    ops = build_ops(diag, raw.get("op_names"), bases, spellings, celltypes, base_names)
    check_name_weights(diag, recipes, ops)
    _check_read_douts(diag, bases, recipes)
    groups = build_groups(diag, raw.get("exclusion_groups"), base_names)
    cache_states = {b.role.cache_enter for b in bases.values() if b.role.cache_enter}
    exclusions = build_exclusions(diag, raw, groups, spellings, cache_states)
    table, glob, by_key = build_probabilities(diag, raw, set(ops), set(bases), spellings)
    groups_by_base = {b: tuple(o.name for o in ops.values() if o.base.name == b) for b in bases}
    runs = raw.get("num_runs", 1)
    topology = build_topology(diag, raw.get("topology"))
    for op in ops.values():
        if op.status_mode == "lun" and op.status_lun is not None and op.status_lun >= topology.dies:
            diag.warn("never_issued", ("op_names", op.name), op.status_lun,
                      f"reads the status of LUN {op.status_lun}, but topology.dies is "
                      f"{topology.dies}: this op is never issued")
    if not ops and isinstance(raw.get("op_names"), dict):
        diag.error("no_ops", ("op_names",), {}, "no usable op names: nothing can be generated")
    cfg = Config(
        source=doc.source, raw=frozen_map(raw), topology=topology,
        celltypes=celltypes, policies=build_policies(diag, raw.get("policies"), topology),
        bases=frozen_map(bases), ops=frozen_map(ops), groups_by_base=frozen_map(groups_by_base),
        exclusions=exclusions, recipes=frozen_map(recipes), phase_conditional=table,
        overrides_global=glob, overrides_by_key=by_key,
        constraints=build_constraints(diag, raw.get("constraints"), base_names, celltypes),
        bootstrap=build_bootstrap(diag, raw.get("bootstrap"), celltypes, topology),
        chunking=build_chunking(diag, raw.get("propose")),
        num_runs=positive_int(diag, ("num_runs",), runs, MAX_RUNS) or 1,
        warnings=tuple(diag.warnings), config_hash=config_hash(raw),
    )
    if ops and not diag.errors:
        _check_startable(diag, cfg)
    return replace(cfg, warnings=tuple(diag.warnings))


def _check_bootstrap_stages(diag: Diagnostics, cfg: Config, table: dict) -> None:
    """With bootstrap on, every stage needs a multi-plane op it can start
    (the same test the controller makes when a Simulation is built)."""
    from ..bootstrap import STAGES, overlay_table
    starters = {n for row in table.values() for n, p in row.items() if p > 0}
    for stage in STAGES[:3]:
        try:
            overlay_table(cfg, stage, starters)
        except ValueError as exc:
            diag.error("bootstrap_impossible", ("bootstrap", "celltype_weights"),
                       dict(cfg.bootstrap.celltype_weights), str(exc))
            return


def _check_startable(diag: Diagnostics, cfg: Config) -> None:
    """A table whose DEFAULT row (where every die starts) has no op with a
    positive weight gives runs with zero ops: an error, not an empty file."""
    from .phase import DEFAULT_KEY, build_phase_table
    table = build_phase_table(cfg, 0)
    if table.get(DEFAULT_KEY):
        if cfg.bootstrap.enabled:
            _check_bootstrap_stages(diag, cfg, table)
        return
    if cfg.phase_conditional:
        path = ("phase_conditional", DEFAULT_KEY) if DEFAULT_KEY in cfg.phase_conditional \
            else ("phase_conditional",)
    else:
        path = ("phase_conditional_overrides", "global") if cfg.overrides_global \
            else ("phase_conditional_overrides",)
    diag.error("nothing_to_start", path, None,
               "every op has weight 0 in the DEFAULT phase row: a run would generate no ops")


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


def read_doc(path: str, what: str = "a config") -> YamlDoc:
    try:
        doc = read_yaml_file(path)
    except yaml.YAMLError as exc:
        raise ConfigError([_syntax(path, exc)]) from exc
    except (FileProblem, YamlShapeError) as exc:
        raise ConfigError([_file_problem(path, exc)]) from exc
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a YAML {type(doc.data).__name__}"
        raise ConfigError([Diagnostic("error", "not_a_mapping", "", None, 1,
                                      f"{what} file must be a YAML mapping, this one is {kind}",
                                      str(path))])
    return doc


def _file_problem(source, exc):
    """One line for a file that cannot be used (missing, directory, encoding, aliases)."""
    code = "bad_yaml" if isinstance(exc, YamlShapeError) else "bad_file"
    message = exc.reason if isinstance(exc, FileProblem) else str(exc)
    return Diagnostic("error", code, "", None, getattr(exc, "line", None), message, str(source))


def _syntax(source, exc):
    mark = getattr(exc, "problem_mark", None)
    return Diagnostic("error", "yaml_syntax", "", None, mark.line + 1 if mark else None,
                      str(exc).replace("\n", " "), str(source))


def _read_with(path: str, overrides) -> YamlDoc:
    doc = read_doc(str(path), "a config")
    for ov in overrides or ():
        doc = merge_docs(doc, read_doc(str(ov), "an override"))
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
    except YamlShapeError as exc:
        raise ConfigError([_file_problem(source, exc)]) from exc
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
