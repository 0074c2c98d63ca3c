"""Typed, immutable view of a config. Built once by the loader; the engine
never reads raw YAML dictionaries."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .roles import Role

DEFAULT_KEY = "DEFAULT"
END = "END"


def frozen_map(d: dict | None = None) -> Mapping:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class Topology:
    dies: int
    planes: int
    blocks_per_die: int
    pages_per_block: int
    bad_blocks: tuple = ()  # ((die, block), ...)


@dataclass(frozen=True)
class Directed:
    """``policies.coverage_directed`` (docs/coverage.md): steer proposals toward
    coverage cells with low counts. Off by default."""

    enabled: bool = False
    strength: float = 1.0  # weight x 2**(-strength * level of the cell's count)
    key_gain: float = 1.0  # extra weight for bases whose own keys still have holes
    success_gain: float = 1.0  # weight x 2**(-success_gain * log2(tries / successes))
    reset_scale: float = 0.1  # weight x this for RESET names (they abort ops in progress)
    chain_gain: float = 4.0  # weight x (1 + this) for names whose address precondition holds
    rest: bool = True  # a hook on a busy plane may propose nothing when its cells are hit often
    state_hooks: int = 1  # extra hooks inside each state of a placed op, in its most open bins


@dataclass(frozen=True)
class Policies:
    """Proposal/scheduling knobs. Times are integer ticks (0.01 us)."""

    admission_window: int = 50
    queue_refill_period: int = 10000
    topN: int = 4
    epsilon_greedy: float = 0.0
    maxplanes: int = 4
    maxloop_seq: int = 4
    maxtry_candidate: int = 4
    sequence_gap: int = 100
    split_dout_per_plane: bool = True
    backlog_retry_delay: int = 500
    backlog_max_retries: int = 20
    phase_hook_offset: int = 100
    input_time_bins: int = 10
    coverage_directed: Directed = Directed()

    def in_config_units(self) -> dict:
        """The policies as written in a config (microseconds, YAML key names),
        e.g. to build ``with_changes`` edits."""
        us = lambda ticks: ticks / 100.0  # noqa: E731
        return {
            "admission_window": us(self.admission_window),
            "queue_refill_period_us": us(self.queue_refill_period),
            "topN": self.topN, "epsilon_greedy": self.epsilon_greedy,
            "maxplanes": self.maxplanes, "maxloop_seq": self.maxloop_seq,
            "maxtry_candidate": self.maxtry_candidate, "sequence_gap": us(self.sequence_gap),
            "split_dout_per_plane": self.split_dout_per_plane,
            "backlog_retry_delay_us": us(self.backlog_retry_delay),
            "backlog_max_retries": self.backlog_max_retries,
            "phase_hook_offset_us": us(self.phase_hook_offset),
            "input_time_bins": self.input_time_bins,
        }


@dataclass(frozen=True)
class StateSpec:
    name: str  # canonical state name (aliases resolved)
    bus: bool
    ticks: int


@dataclass(frozen=True)
class SeqChoice:
    """One row of ``op_bases.<B>.sequence.probs``: a base, a ``.SEQ`` recipe or NONE."""

    target: str
    prob: float
    inherit: tuple = ()

    @property
    def is_recipe(self) -> bool:
        return self.target.endswith(".SEQ")


@dataclass(frozen=True)
class SeqRecipe:
    key: str
    steps: tuple  # ((base_name, inherit_rules_tuple), ...)
    name_weights: Mapping = field(default_factory=frozen_map)  # base -> {op_name: w}


@dataclass(frozen=True)
class OpBase:
    name: str
    index: int
    scope: str  # DIE_WIDE | PLANE_SET | NONE
    affect_state: bool
    instant_resv: bool
    states: tuple  # StateSpec, in order
    role: Role
    sequence: tuple = ()  # SeqChoice rows
    payload: tuple = ()  # payload field names

    def state_names(self) -> tuple:
        return tuple(s.name for s in self.states)


@dataclass(frozen=True)
class OpSpec:
    """One resolved op_name: base fields plus op_name overrides."""

    name: str
    index: int
    base: OpBase
    multi: bool
    celltype: str
    states: tuple  # StateSpec with the op_name's durations
    status_mode: str = "die"
    status_lun: int | None = None

    @property
    def ticks(self) -> int:
        return sum(s.ticks for s in self.states)

    @property
    def role(self) -> Role:
        return self.base.role


@dataclass(frozen=True)
class Exclusions:
    """Every ``exclusions_by_*`` table resolved to frozensets of base names."""

    by_op_state: Mapping = field(default_factory=frozen_map)
    by_latch: Mapping = field(default_factory=frozen_map)
    by_suspend: Mapping = field(default_factory=frozen_map)
    by_odt: Mapping = field(default_factory=frozen_map)
    by_cache: Mapping = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Constraints:
    single_single_allowed: frozenset = frozenset({"PLANE_READ", "PLANE_READ4K", "PLANE_CACHE_READ"})
    offset_guard: int = 0
    program_modes: Mapping = field(default_factory=frozen_map)  # erase mode -> frozenset(program modes)


@dataclass(frozen=True)
class Bootstrap:
    enabled: bool = False
    erase_volume: float | None = None
    program_volume: float | None = None
    read_coverage: float | None = None
    read_volume: float | None = None
    celltype_weights: Mapping = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Chunking:
    max_ops_per_chunk: int | None = None
    checkpoint_interval: int | None = None
    allow_partial_success: bool = False


@dataclass(frozen=True)
class Config:
    source: str
    raw: Mapping  # the parsed YAML, for hashing and ``with_changes``
    topology: Topology
    celltypes: tuple
    policies: Policies
    bases: Mapping  # name -> OpBase
    ops: Mapping  # name -> OpSpec
    groups_by_base: Mapping  # base name -> tuple of op names
    exclusions: Exclusions
    recipes: Mapping  # ".SEQ" key -> SeqRecipe
    phase_conditional: Mapping  # key -> {op_name: weight} (explicit table, may be empty)
    overrides_global: Mapping  # name or base -> weight
    overrides_by_key: Mapping  # key -> {name or base: weight}
    constraints: Constraints
    bootstrap: Bootstrap
    chunking: Chunking
    num_runs: int = 1
    warnings: tuple = ()
    config_hash: str = ""

    @property
    def op_list(self) -> tuple:
        return tuple(self.ops.values())

    def phase_keys(self) -> tuple:
        """Every autofill key: BASE.STATE (no ISSUE), BASE.END, DEFAULT."""
        keys = []
        for base in self.bases.values():
            keys += [f"{base.name}.{s.name}" for s in base.states if s.name != "ISSUE"]
            keys.append(f"{base.name}.{END}")
        return tuple(keys) + (DEFAULT_KEY,)
