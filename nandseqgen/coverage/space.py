"""The coverage space: every cell (phase key x op_name x input-time bin) the
config allows, and which of them can never be hit, with a reason decided from
the config alone (docs/coverage.md, "The model").

A cell is allowed when its key is an autofill key of a base with
``affect_state`` (or ``DEFAULT``) and ``exclusions_by_op_state`` lets the op
name's base be proposed in that key. An allowed cell is *unreachable* when one
of the reasons below holds; otherwise it is *reachable* (hit or not yet).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config.model import DEFAULT_KEY, END, Config

# reasons (stable strings: they are a column of the unreachable table)
NEVER_ISSUED = "key never produced: no op of {base} is ever issued (zero weight everywhere, " \
               "no sequence leads to it)"
ZERO_LENGTH = "key never produced: state {state} lasts 0 us in every op name of {base}"
ZERO_WEIGHT = "zero weight for this op name in this key (phase_conditional / overrides)"
NO_TABLE_ROW = "key has no phase_conditional row and DEFAULT is used instead"
NO_LUN = "status read of LUN {lun}, beyond topology.dies = {dies}"
NO_MULTI = "multi-plane op name, but topology.planes or policies.maxplanes is 1"
HELD = ("forbidden by the cache state {state} that {base} holds on this plane from its start "
        "to its end (exclusions_by_cache_state)")
WINDOW = ("non-instant op name at a hook inside a busy state: the plane stays busy until "
          "that op ends, more than policies.admission_window after the hook")


@dataclass(frozen=True)
class CoverageSpace:
    """Allowed cells of a config + phase table.

    ``pairs``: {(key, name): reason or None} for every allowed (key, name).
    ``bins``: {key: frozenset of the input-time bins a hook can fall in}: one
    bin (0) for ``.END`` and ``DEFAULT``, fewer than ``nbins`` for a state
    shorter than ``nbins`` ticks. Only these bins are cells.
    ``nbins``: ``policies.input_time_bins``.
    """

    pairs: dict
    bins: dict
    nbins: int
    key_reason: dict = field(default_factory=dict)  # key -> reason it is never produced
    late_bins: dict = field(default_factory=dict)  # state key -> bins a windowed op can use
    windowed: frozenset = frozenset()  # op names the admission window applies to

    def cell_reason(self, key: str, name: str, b: int) -> str | None:
        """None when (key, name, b) can be hit, else why not (b in bins[key])."""
        reason = self.pairs[(key, name)]
        if reason is None and name in self.windowed and key in self.late_bins \
                and b not in self.late_bins[key]:
            return WINDOW
        return reason

    def cells(self):
        """Yield (key, name, bin, reason or None) for every allowed cell."""
        for (key, name), reason in self.pairs.items():
            for b in sorted(self.bins[key]):
                yield key, name, b, reason or self.cell_reason(key, name, b)

    def size(self) -> int:
        return sum(len(self.bins[key]) for key, _name in self.pairs)


def issued_bases(cfg: Config, table: dict) -> set:
    """Bases that can ever be issued: a positive weight in some row, or a
    sequence step (with probability > 0) of an issued base leads to it."""
    todo = {cfg.ops[n].base.name for row in table.values() for n, p in row.items() if p > 0}
    seen: set = set()
    while todo:
        b = todo.pop()
        seen.add(b)
        for choice in cfg.bases[b].sequence:
            if choice.prob <= 0 or choice.target == "NONE":
                continue
            steps = ([s for s, _ in cfg.recipes[choice.target].steps] if choice.is_recipe
                     else [choice.target])
            todo.update(s for s in steps if s in cfg.bases and s not in seen)
    return seen


def _state_bins(ticks: int, nbins: int) -> frozenset:
    """Bins that some tick of a state lasting ``ticks`` falls in."""
    if ticks >= nbins:
        return frozenset(range(nbins))
    return frozenset(min(k * nbins // ticks, nbins - 1) for k in range(ticks))


def _key_bins(cfg: Config, issued: set, nbins: int) -> tuple:
    """({key: bins a hook can fall in}, {key: reason it is never produced}).

    ``BASE.END`` keys have one bin (their input time is always 0); a state key
    has the bins some tick of the state falls in, over the base's op names."""
    bins, why = {}, {}
    for base in cfg.bases.values():
        if not base.affect_state:
            continue
        specs = [cfg.ops[n] for n in cfg.groups_by_base.get(base.name, ())]
        for st in base.states:
            if st.name == "ISSUE":
                continue
            key = f"{base.name}.{st.name}"
            ticks = [s.ticks for spec in specs for s in spec.states if s.name == st.name]
            got = frozenset().union(*(_state_bins(t, nbins) for t in ticks if t > 0))
            bins[key] = got or frozenset({0})
            if not got:
                why[key] = ZERO_LENGTH.format(state=st.name, base=base.name)
        end_key = f"{base.name}.{END}"
        bins[end_key] = frozenset({0})
        if not any(s.ticks > 0 for spec in specs for s in spec.states):
            why[end_key] = ZERO_LENGTH.format(state="every", base=base.name)
        if base.name not in issued:
            for key in [k for k in bins if k.startswith(base.name + ".")]:
                why[key] = NEVER_ISSUED.format(base=base.name)
    return bins, why


def _late_bins(cfg: Config, bins: dict, nbins: int) -> dict:
    """{state key: bins where the hook is within ``admission_window`` of the end
    of the op in that state}: a non-instant candidate must start before
    ``hook + window`` on the hook's plane, which that op keeps busy to its end
    (docs/coverage.md). Empty when the window is off."""
    window = cfg.policies.admission_window
    out: dict[str, set] = {}
    if window <= 0:
        return {}
    for base in cfg.bases.values():
        if not base.affect_state:
            continue
        for n in cfg.groups_by_base.get(base.name, ()):
            states = cfg.ops[n].states
            for i, st in enumerate(states):
                key, dur = f"{base.name}.{st.name}", st.ticks
                if st.name == "ISSUE" or key not in bins:
                    continue
                got = out.setdefault(key, set())
                k0 = dur + sum(x.ticks for x in states[i + 1:]) - window + 1  # first tick
                if dur > 0 and k0 < dur:
                    got.update(range(max(0, k0) * nbins // dur, (dur - 1) * nbins // dur + 1))
    return {k: frozenset(v) & bins[k] for k, v in out.items()}


def _held(cfg: Config) -> dict:
    """{state key of a base X: (bases forbidden in it, reason)} for the cache
    state C that X enters (role ``cache_enter``, opened at X's start on its
    target planes or its die, rule 9). While the hook plane is in a state of X,
    C is on there: only a ``cache_exit`` op of C ending inside X's states, or a
    RESET (which cuts X, so the key is no longer X's), can end it, and an exit
    op cannot overlap X on that die when both are non-instant and not both in
    ``single_single_allowed_bases`` (rules 5-6); when X can be suspended, every
    exit op must be forbidden while its axis is suspended (rule 10), or one
    could end C in the gap before X's remainder. A die-wide X whose cache is
    kept per target plane may put its key on planes C is not on: skipped.
    docs/coverage.md "The model"."""
    out: dict = {}
    ss = cfg.constraints.single_single_allowed
    for base in cfg.bases.values():
        c = base.role.cache_enter
        if not base.affect_state or not c or base.instant_resv or c not in cfg.exclusions.by_cache:
            continue
        if base.scope == "DIE_WIDE" and base.role.cache_scope != "die":
            continue
        exits = [b for b in cfg.bases.values() if c in b.role.cache_exit]
        if any(b.instant_resv or (b.name in ss and base.name in ss) for b in exits):
            continue
        axis = base.role.axis  # suspended, X leaves a gap: no exit may run in it
        banned = cfg.exclusions.by_suspend.get(f"{axis}_SUSPENDED", frozenset()) if axis else None
        if banned is not None and any(b.name not in banned for b in exits):
            continue
        why = HELD.format(state=c, base=base.name)
        for st in base.states:
            if st.name != "ISSUE":
                out[f"{base.name}.{st.name}"] = (cfg.exclusions.by_cache[c], why)
    return out


def _name_reason(cfg: Config, spec) -> str | None:
    if spec.status_mode == "lun" and (spec.status_lun is None
                                      or spec.status_lun >= cfg.topology.dies):
        return NO_LUN.format(lun=spec.status_lun, dies=cfg.topology.dies)
    if spec.multi and min(cfg.topology.planes, cfg.policies.maxplanes) < 2:
        return NO_MULTI
    return None


def build_space(cfg: Config, table: dict) -> CoverageSpace:
    """The coverage space of ``cfg`` sampled with ``table`` (a phase table)."""
    nbins = cfg.policies.input_time_bins
    issued = issued_bases(cfg, table)
    bins, key_why = _key_bins(cfg, issued, nbins)
    missing = [k for k in bins if k not in table and k not in key_why]
    bins[DEFAULT_KEY] = frozenset(range(nbins)) if missing else frozenset({0})
    name_why = {n: _name_reason(cfg, s) for n, s in cfg.ops.items()}
    held = _held(cfg)
    pairs = {}
    for key in bins:
        forbidden = cfg.exclusions.by_op_state.get(key, frozenset())
        row = table.get(key)
        held_bases, held_why = held.get(key, (frozenset(), None))
        for name, spec in cfg.ops.items():
            if spec.base.name in forbidden:
                continue
            reason = key_why.get(key) or name_why[name]
            if reason is None and row is None:
                reason = NO_TABLE_ROW
            elif reason is None and row is not None and row.get(name, 0.0) <= 0:
                reason = ZERO_WEIGHT
            elif reason is None and spec.base.name in held_bases:
                reason = held_why
            pairs[(key, name)] = reason
    windowed = frozenset(n for n, sp in cfg.ops.items()
                         if not sp.base.instant_resv and sp.status_mode != "lun")
    return CoverageSpace(pairs, bins, nbins, key_why, _late_bins(cfg, bins, nbins), windowed)
