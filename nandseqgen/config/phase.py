"""``phase_conditional``: the op-name distribution for every phase key.

Built once per (config, seed) and cached. Rules (SPEC 5.4, docs/decisions.md):

* keys: every ``BASE.STATE`` (ISSUE excluded), every ``BASE.END``, ``DEFAULT``;
* candidates of a key: every op name whose base ``exclusions_by_op_state`` does
  not forbid in that key;
* ``phase_conditional_overrides``: the ``global`` block, then the key's own block
  (which wins). Inside a block, a base name spreads its weight evenly over its
  candidate op names that the block does not name itself; an op name sets its
  own weight; 0 removes;
* every other candidate gets a weight: from the config's explicit
  ``phase_conditional`` row if one is given, else uniform-random from the seed;
  those weights share ``1 - sum(explicit override values)``;
* the row is normalised to 1.
"""
from __future__ import annotations

import numpy as np

from .model import DEFAULT_KEY, Config

_AUTOFILL_STREAM = 0x5EED_F111
_CACHE: dict = {}  # (config hash, seed) -> table; small LRU
_CACHE_SIZE = 16


def _apply_block(block, cands: set, groups_by_base, fixed: dict) -> None:
    named = {k for k in block if k in cands}
    for key, value in block.items():
        if key in groups_by_base:  # a base: spread over its unnamed candidates
            names = [n for n in groups_by_base[key] if n in cands and n not in named]
            for n in names:
                fixed[n] = value / len(names)
    for n in named:
        fixed[n] = block[n]


def _row(cfg: Config, key: str, cands: list, rest_weights) -> dict:
    cset = set(cands)
    fixed: dict = {}
    _apply_block(cfg.overrides_global, cset, cfg.groups_by_base, fixed)
    _apply_block(cfg.overrides_by_key.get(key, {}), cset, cfg.groups_by_base, fixed)
    rest = [(n, w) for n, w in zip(cands, rest_weights) if n not in fixed and w > 0]
    remaining = max(0.0, 1.0 - sum(fixed.values()))
    total_rest = sum(w for _, w in rest)
    row = {n: v for n, v in fixed.items() if v > 0}
    if total_rest > 0 and remaining > 0:
        for n, w in rest:
            row[n] = w * remaining / total_rest
    total = sum(row.values())
    if total <= 0:
        return {}
    return {n: row[n] / total for n in cands if n in row}


def _candidates(cfg: Config, key: str) -> list:
    forbidden = cfg.exclusions.by_op_state.get(key, frozenset())
    return [op.name for op in cfg.ops.values() if op.base.name not in forbidden]


def build_phase_table(cfg: Config, seed: int) -> dict:
    """{phase_key: {op_name: probability}} for ``cfg`` and ``seed``.

    Computed once per (config, seed) and cached; each call returns a fresh
    copy, so editing the result never changes what the next caller gets.
    """
    cache_key = (cfg.config_hash, int(seed))
    if cache_key in _CACHE:
        table = _CACHE.pop(cache_key)
        _CACHE[cache_key] = table  # most recently used last
        return {k: dict(v) for k, v in table.items()}
    explicit = cfg.phase_conditional
    keys = list(explicit) if explicit else list(cfg.phase_keys())
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, _AUTOFILL_STREAM]))
    table = {}
    for key in keys:
        cands = _candidates(cfg, key)
        if explicit:
            given = explicit[key]
            cands = [n for n in cands if n in given]
            weights = [given[n] for n in cands]
        else:
            weights = rng.random(len(cands)).tolist()
        table[key] = _row(cfg, key, cands, weights)
    _CACHE[cache_key] = table
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    return {k: dict(v) for k, v in table.items()}


__all__ = ["build_phase_table", "DEFAULT_KEY"]
