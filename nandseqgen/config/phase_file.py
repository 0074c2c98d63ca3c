"""The phase table as a file (``op_state_probs.yaml``): save and load it.

Kept apart from ``phase.py`` because loading goes through the config file
guards of ``loader.py``, which itself builds phase tables.
"""
from __future__ import annotations

import yaml

from .diagnostics import ConfigError, Diagnostics
from .loader import read_doc
from .model import DEFAULT_KEY, Config
from .values import MAX_WEIGHT, number


def save_phase_table(table: dict, path: str) -> None:
    """Write ``op_state_probs.yaml`` atomically."""
    from ..outputs.atomic import atomic_open  # lazy: config/ stays importable alone
    text = yaml.safe_dump({k: dict(v) for k, v in table.items()}, sort_keys=False)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def load_phase_table(path: str, cfg: Config) -> dict:
    """Read ``op_state_probs.yaml``. Every problem (file, YAML, unknown key or
    name, weight not a finite number >= 0, an empty DEFAULT row) raises
    :class:`ConfigError` naming the file and line."""
    doc = read_doc(str(path), "a phase-table")
    diag = Diagnostics(doc)
    valid_keys = set(cfg.phase_keys())
    table = {}
    for key, row in doc.data.items():
        if key not in valid_keys:
            diag.error("unknown_phase_key", (key,), key, "not a phase key of this config")
            continue
        if not isinstance(row, dict):
            diag.error("not_a_mapping", (key,), row, "probability row must be a mapping")
            continue
        clean = {}
        for name, p in row.items():
            if name not in cfg.ops:
                diag.error("unknown_name", (key, name), name, "not an op name of this config")
                continue
            p = number(diag, (key, name), p, minimum=0, maximum=MAX_WEIGHT, what="a probability")
            if p is not None:
                clean[name] = p
        table[key] = clean
    if not diag.errors and not any(table.get(DEFAULT_KEY, {}).values()):
        diag.error("nothing_to_start", (DEFAULT_KEY,) if DEFAULT_KEY in table else (), None,
                   "the DEFAULT row has no op with a weight > 0: a run would generate no ops")
    if diag.errors:
        raise ConfigError(diag.errors)
    return table
