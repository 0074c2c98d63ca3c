"""Config sections with fixed keys -- topology, policies, constraints,
bootstrap, chunking, celltypes -- typed and range-checked, with the limits
named (docs/decisions.md 55-56)."""
from __future__ import annotations

from typing import Any

from .diagnostics import Diagnostics
from .directed import directed_knobs
from .model import Bootstrap, Chunking, Constraints, Policies, Topology, frozen_map
from .values import (MAX_TIME_US, TICKS_PER_US, boolean, mapping, name_list, number,
                     positive_int, us_to_ticks)

MAX_RUNS = 100_000
DEFAULT_CELLTYPES = ("NONE", "FWSLC", "SLC", "AESLC", "A0SLC", "ACSLC", "TLC")
DEFAULT_PROGRAM_MODES = {"TLC": ["TLC"], "AESLC": ["AESLC"], "FWSLC": ["FWSLC"],
                         "SLC": ["SLC", "A0SLC", "ACSLC"]}

#: Topology upper limits (the engine keeps a few bytes per block in memory).
MAX_DIES, MAX_PLANES = 64, 64
MAX_BLOCKS_PER_DIE, MAX_PAGES_PER_BLOCK = 1 << 17, 1 << 16
MAX_BLOCKS_TOTAL = 1 << 20
# policies key -> (field, kind, default, upper limit); kind "us" converts to ticks
_POLICIES: dict[str, tuple[str, str, Any, Any]] = {
    "admission_window": ("admission_window", "us", 0.5, MAX_TIME_US),
    "queue_refill_period_us": ("queue_refill_period", "us_pos", 100.0, MAX_TIME_US),
    "topN": ("topN", "int", 4, 1000),
    "epsilon_greedy": ("epsilon_greedy", "prob", 0.0, 1.0),
    "maxplanes": ("maxplanes", "int", 4, MAX_PLANES),
    "maxloop_seq": ("maxloop_seq", "int", 4, 1000),
    "maxtry_candidate": ("maxtry_candidate", "int", 4, 1000),
    "sequence_gap": ("sequence_gap", "us", 1.0, MAX_TIME_US),
    "split_dout_per_plane": ("split_dout_per_plane", "bool", True, None),
    "backlog_retry_delay_us": ("backlog_retry_delay", "us_pos", 5.0, MAX_TIME_US),
    "backlog_max_retries": ("backlog_max_retries", "int", 20, 1_000_000),
    "phase_hook_offset_us": ("phase_hook_offset", "us_pos", 1.0, MAX_TIME_US),
    "input_time_bins": ("input_time_bins", "int", 10, 10_000),
}
#: Below this QUEUE_REFILL period (us) a run spends its time on refill hooks.
SLOW_REFILL_US = 1.0
#: Above this admission window (us) the window no longer bounds anything in practice.
WIDE_WINDOW_US = 1e5


#: Keys each fixed section knows; reference keys accepted but not used get their own warning.
_KNOWN_KEYS = {
    ("topology",): {"dies", "planes", "blocks_per_die", "pages_per_block", "bad_blocks"},
    ("constraints",): {"single_single_allowed_bases", "epr", "program_modes_by_erase_mode"},
    ("constraints", "epr"): {"offset_guard"},
    ("bootstrap",): {"enabled", "enable", "thresholds", "minimums", "celltype_weights"},
    ("bootstrap", "thresholds"): {"erase_volume", "program_volume", "read_coverage"},
    ("bootstrap", "minimums"): {"read_volume"},
    ("propose",): {"chunking"},
    ("propose", "chunking"): {"max_ops_per_chunk", "checkpoint_interval", "allow_partial_success"},
}
_NOT_USED = {("constraints",): {"enabled_rules", "enable_epr", "rule_catalog"},
             ("constraints", "epr"): {"debug", "disable_program_before_erase", "subcodes"}}


def warn_unknown_keys(diag: Diagnostics, path: tuple, raw) -> None:
    """Every key of a fixed section is known, or a warning says it is ignored."""
    if not isinstance(raw, dict):
        return
    for key in raw:
        if key in _KNOWN_KEYS[path]:
            continue
        if key in _NOT_USED.get(path, ()):
            diag.warn("not_used", path + (key,), key,
                      "earlier generator's key, accepted and not used (every rule is always on)")
        else:
            diag.warn("unknown_key", path + (key,), key, "unknown key (ignored)")
    for sub in (p for p in _KNOWN_KEYS if len(p) == len(path) + 1 and p[:-1] == path):
        warn_unknown_keys(diag, sub, raw.get(sub[-1]))


def build_topology(diag: Diagnostics, raw) -> Topology:
    raw = mapping(diag, ("topology",), raw) or {}
    limits = {"dies": MAX_DIES, "planes": MAX_PLANES, "blocks_per_die": MAX_BLOCKS_PER_DIE,
              "pages_per_block": MAX_PAGES_PER_BLOCK}
    vals: dict[str, int] = {}
    bad = False
    for key, hi in limits.items():
        got = positive_int(diag, ("topology", key), raw.get(key), hi)
        bad |= got is None
        vals[key] = got or 1
    if vals["dies"] * vals["blocks_per_die"] > MAX_BLOCKS_TOTAL:
        diag.error("too_large", ("topology", "blocks_per_die"), vals["blocks_per_die"],
                   f"dies x blocks_per_die = {vals['dies'] * vals['blocks_per_die']:,} blocks; "
                   f"limit {MAX_BLOCKS_TOTAL:,}")
    if vals["planes"] > vals["blocks_per_die"]:
        diag.error("out_of_range", ("topology", "planes"), vals["planes"],
                   f"more planes than blocks_per_die ({vals['blocks_per_die']})")
    blocks = _bad_blocks(diag, raw.get("bad_blocks"), vals) if not bad else ()
    return Topology(bad_blocks=blocks, **vals)


def _bad_blocks(diag: Diagnostics, raw, vals) -> tuple:
    path = ("topology", "bad_blocks")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        diag.error("not_a_list", path, raw, "expected a list of [die, block] pairs")
        return ()
    bad = []
    for i, item in enumerate(raw):
        ok = (isinstance(item, list) and len(item) == 2
              and all(isinstance(v, int) and not isinstance(v, bool) for v in item)
              and 0 <= item[0] < vals["dies"] and 0 <= item[1] < vals["blocks_per_die"])
        if not ok:
            diag.error("bad_block", path + (i,), item,
                       f"expected [die, block] with integers die < {vals['dies']}, "
                       f"block < {vals['blocks_per_die']}")
            continue
        bad.append(tuple(item))
    return tuple(sorted(set(bad)))


def _policy(diag: Diagnostics, key: str, value):
    fname, kind, default, hi = _POLICIES[key]
    path = ("policies", key)
    if kind == "bool":
        return boolean(diag, path, value, default)
    if kind == "int":
        return positive_int(diag, path, value, hi) or default
    if kind == "prob":
        v = number(diag, path, value, minimum=0, maximum=hi, what="a probability")
        return v if v is not None else default
    v = number(diag, path, value, minimum=0, maximum=hi, what="a time in us")
    ticks = us_to_ticks(v if v is not None else default)
    if kind == "us_pos" and ticks <= 0:
        diag.error("out_of_range", path, value, "expected a time >= 0.01 us (one tick)")
        ticks = us_to_ticks(default)
    return ticks


def build_policies(diag: Diagnostics, raw, topo: Topology) -> Policies:
    raw = mapping(diag, ("policies",), raw) or {}
    kw = {_POLICIES[key][0]: _policy(diag, key, raw.get(key, _POLICIES[key][2]))
          for key in _POLICIES}
    pol = Policies(**kw, coverage_directed=directed_knobs(diag, raw.get("coverage_directed")))
    _policy_warnings(diag, raw, pol, topo)
    return pol


def _policy_warnings(diag: Diagnostics, raw: dict, pol: Policies, topo: Topology) -> None:
    """Values that are legal but almost certainly not what was meant (never silent)."""
    if "maxplanes" in raw and pol.maxplanes > topo.planes:
        diag.warn("capped", ("policies", "maxplanes"), pol.maxplanes,
                  f"larger than topology.planes; multi-plane ops use at most {topo.planes} planes")
    period = pol.queue_refill_period / TICKS_PER_US
    if period < SLOW_REFILL_US:
        diag.warn("slow_run", ("policies", "queue_refill_period_us"), period,
                  f"a QUEUE_REFILL hook every {period:g} us on each of {topo.dies * topo.planes} "
                  f"die x plane pairs; runs will be very slow (>= {SLOW_REFILL_US:g} us advised)")
    window = pol.admission_window / TICKS_PER_US
    if window > WIDE_WINDOW_US:
        diag.warn("wide_window", ("policies", "admission_window"), window,
                  f"an admission window over {WIDE_WINDOW_US:g} us bounds nothing in practice "
                  "(write 0 to disable it)")
    for key in raw:
        if key not in _POLICIES and key != "coverage_directed":
            diag.warn("unknown_key", ("policies", key), key, "unknown policy (ignored)")


def build_constraints(diag: Diagnostics, raw, base_names, celltypes) -> Constraints:
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
    if guard is not None and guard != 0:
        guard = positive_int(diag, ("constraints", "epr", "offset_guard"), guard, MAX_PAGES_PER_BLOCK)
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


def build_bootstrap(diag: Diagnostics, raw, celltypes, topo: Topology) -> Bootstrap:
    raw = mapping(diag, ("bootstrap",), raw) or {}
    enabled = boolean(diag, ("bootstrap", "enabled"), raw.get("enabled", raw.get("enable")), False)
    th = mapping(diag, ("bootstrap", "thresholds"), raw.get("thresholds")) or {}
    mins = mapping(diag, ("bootstrap", "minimums"), raw.get("minimums")) or {}
    vals: dict[str, Any] = {}
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


def build_chunking(diag: Diagnostics, raw) -> Chunking:
    raw = mapping(diag, ("propose",), raw) or {}
    ch = mapping(diag, ("propose", "chunking"), raw.get("chunking")) or {}
    kw: dict[str, Any] = {}
    for key in ("max_ops_per_chunk", "checkpoint_interval"):
        v = ch.get(key)
        kw[key] = None if v is None else positive_int(diag, ("propose", "chunking", key), v, 10**9)
    kw["allow_partial_success"] = boolean(
        diag, ("propose", "chunking", "allow_partial_success"), ch.get("allow_partial_success"), False)
    return Chunking(**kw)


def build_celltypes(diag: Diagnostics, raw) -> tuple:
    if raw is None:
        return DEFAULT_CELLTYPES
    names = name_list(diag, ("celltypes",), raw)
    if not names:
        return DEFAULT_CELLTYPES
    return tuple(names) if "NONE" in names else ("NONE",) + tuple(names)
