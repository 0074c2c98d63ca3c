"""Resting and loop exits of the coverage-directed policy (docs/coverage.md,
"Resting", and docs/decisions.md 106-108): a hook on a busy plane may propose
nothing when the cells of its instant candidates are hit often; on a free
plane, names that keep the key pay their cell's level twice; the name that
ends a cache loop is never damped by its own cell's count."""
from __future__ import annotations

import pytest
from helpers import SMALL

from nandseqgen.config import with_changes
from nandseqgen.core.rng import Stream
from nandseqgen.coverage import build_space, closure, flat_mix
from nandseqgen.coverage.chain import EXIT, READY, chain_factor
from nandseqgen.coverage.variants import directed
from nandseqgen.simulation import Simulation

KEY = "DEFAULT"
PLAIN = dict(key_gain=0, success_gain=0, reset_scale=1, chain_gain=0)


def _instant(spec) -> bool:
    return spec.base.instant_resv or spec.status_mode == "lun"


@pytest.fixture()
def sim(project_cfg):
    return Simulation(directed(with_changes(project_cfg, SMALL), **PLAIN), seed=3)


def _occupy(sim, until: int) -> None:
    sim.rm.lanes[0].add(0, until, 999_999)  # die 0, plane 0 taken until ``until``


def test_a_free_plane_never_rests(sim):
    assert sim.steer.dist(KEY, 0, 0, 0, 0, 0) is not None
    assert not sim.steer.busy
    rng = Stream(11)
    assert not any(sim.steer.rests(rng) for _ in range(200))


def test_a_busy_plane_rests_as_its_instant_cells_fill(sim):
    steer = sim.steer
    _occupy(sim, 10 * sim.cfg.policies.admission_window)
    specs, _cum = steer.dist(KEY, 0, 0, 0, 0, 0)
    assert steer.busy and steer.go == 1.0  # every cell fresh: always proposes
    rng = Stream(5)
    assert not any(steer.rests(rng) for _ in range(200))
    instant = [s for s in specs if _instant(s)]
    assert instant, "the key needs instant candidates for this test"
    for spec in instant:
        for _ in range(7):  # 7 commits: level 3
            steer.note(KEY, spec, 0, True)
    steer.dist(KEY, 0, 0, 0, 0, 0)
    assert steer.go == pytest.approx(1 / 8)
    rested = sum(steer.rests(rng) for _ in range(4000)) / 4000
    assert 0.82 < rested < 0.93, rested
    # the same hook once the plane is free again proposes
    steer.dist(KEY, 0, 0, 0, 0, 20 * sim.cfg.policies.admission_window)
    assert not steer.busy and not steer.rests(rng)


def test_rest_off_keeps_every_hook(project_cfg):
    sim = Simulation(directed(with_changes(project_cfg, SMALL), rest=False, **PLAIN), seed=3)
    _occupy(sim, 10 * sim.cfg.policies.admission_window)
    specs, _cum = sim.steer.dist(KEY, 0, 0, 0, 0, 0)
    for spec in specs:
        for _ in range(7):
            sim.steer.note(KEY, spec, 0, True)
    sim.steer.dist(KEY, 0, 0, 0, 0, 0)
    rng = Stream(5)
    assert not sim.steer.busy and not any(sim.steer.rests(rng) for _ in range(200))


def test_on_a_free_plane_staying_pays_the_level_twice(sim):
    steer = sim.steer
    specs, cum = steer.dist(KEY, 0, 0, 0, 0, 0)
    plain = dict(zip((s.name for s in specs), _weights(cum)))
    stay = next(s for s in specs if not s.base.affect_state)
    move = next(s for s in specs if s.base.affect_state)
    for spec in (stay, move):
        for _ in range(3):  # level 2
            steer.note(KEY, spec, 0, True)
    specs, cum = steer.dist(KEY, 0, 0, 0, 0, 0)
    got = dict(zip((s.name for s in specs), _weights(cum)))
    assert got[move.name] == pytest.approx(plain[move.name] / 4)
    assert got[stay.name] == pytest.approx(plain[stay.name] / 16)


def _weights(cum):
    return [b - a for a, b in zip([0.0] + list(cum[:-1]), cum)]


def test_cache_loop_exit_and_continuation(project_cfg):
    cfg = project_cfg
    from nandseqgen.address.manager import AddressManager
    am = AddressManager(cfg)
    leave = next(s for s in cfg.ops.values() if "ON_CACHE_READ" in s.base.role.cache_exit)
    enter = next(s for s in cfg.ops.values() if s.base.role.cache_enter == "ON_CACHE_READ"
                 and s.celltype != "NONE")
    ct = am.ct_index[enter.celltype]
    every = (1 << len(cfg.celltypes)) - 1
    assert chain_factor(leave, am.ct_index[leave.celltype], am.none_ct, (0, every, False),
                        4.0, "ON_CACHE_READ") == (5.0, EXIT)
    # continuing the loop is damped; it is exempt from past refusals only when its
    # pages exist (a continuation without a target was retried forever)
    assert chain_factor(enter, ct, am.none_ct, (0, 1 << ct, False), 4.0, "ON_CACHE_READ") \
        == (pytest.approx(0.2), READY)
    other = every & ~(1 << ct)
    assert chain_factor(enter, ct, am.none_ct, (0, other, False), 4.0, "ON_CACHE_READ") \
        == (pytest.approx(0.2), 0)


def test_an_exit_is_not_damped_by_its_cells_count(reference_cfg):
    cfg = directed(flat_mix(reference_cfg), **{**PLAIN, "chain_gain": 4.0})
    sim = Simulation(cfg, seed=3)
    steer = sim.steer
    found = []
    for key in sim.phase_table:
        got = steer.dist(key, 0, 0, 0, 0, 0) if key.startswith("CACHE_READ.") else None
        exits = [s for s in got[0] if "ON_CACHE_READ" in s.base.role.cache_exit] if got else []
        if exits:
            found.append((key, got, exits))
    assert found, "no cache-read key of the flat mix offers a cache exit"
    key, (specs, cum), exits = found[0]
    before = dict(zip((s.name for s in specs), _weights(cum)))
    for _ in range(15):
        steer.note(key, exits[0], 0, True)
    specs, cum = steer.dist(key, 0, 0, 0, 0, 0)
    after = dict(zip((s.name for s in specs), _weights(cum)))
    assert after[exits[0].name] == pytest.approx(before[exits[0].name])


def test_resting_spreads_the_commits_on_the_flat_mix(reference_cfg):
    flat = flat_mix(reference_cfg)
    figs = {}
    for rest in (False, True):
        cfg = directed(flat, rest=rest)
        sim = Simulation(cfg, seed=1)
        result = sim.run(2_500_000)
        figs[rest] = closure(build_space(cfg, sim.phase_table), result.recorder.input_time)
    assert figs[True].entropy >= figs[False].entropy + 0.03, figs
    assert figs[True].hit > figs[False].hit, figs


def test_an_entry_pays_the_level_of_its_loop_exit(reference_cfg):
    cfg = directed(flat_mix(reference_cfg), **PLAIN)
    sim = Simulation(cfg, seed=3)
    steer = sim.steer
    entries = steer._exit_cells
    assert entries, "the flat mix has cache loops"
    for key in sim.phase_table:
        base = cfg.bases.get(key.rsplit(".", 1)[0])
        got = steer.dist(key, 0, 0, 0, 0, 0) if base and not base.role.cache_enter else None
        names = [s.name for s in got[0]] if got else []
        entry = next((n for n in names if n in entries), None)
        if entry is not None:
            break
    assert entry is not None, "some key offers a name that enters a cache loop"
    before = dict(zip(names, _weights(got[1])))
    exit_key, exit_name, b = entries[entry][0]
    for _ in range(7):  # level 3 on every exit of that loop
        for k, x, bb in entries[entry]:
            steer.note(k, cfg.ops[x], bb, True)
    specs, cum = steer.dist(key, 0, 0, 0, 0, 0)
    after = dict(zip((s.name for s in specs), _weights(cum)))
    assert after[entry] == pytest.approx(before[entry] / 8)
    plain = [n for n in names if n not in entries and n != entry]
    assert plain and all(after[n] == pytest.approx(before[n]) for n in plain)


def _state_key(sim, nbins):
    """A state key with every input-time bin and its base's first op name."""
    for key, bins in sim.steer.space.bins.items():
        base = key.rsplit(".", 1)[0]
        if len(bins) == nbins and not key.endswith(".END") and base in sim.cfg.bases:
            names = [n for n in sim.cfg.groups_by_base.get(base, ())]
            if names:
                return key, base, names[0]
    raise AssertionError("no state key with every bin")


@pytest.mark.parametrize("count", [1, 3])
def test_state_hooks_go_to_the_bins_with_the_most_open_cells(project_cfg, count):
    from types import SimpleNamespace
    sim = Simulation(directed(with_changes(project_cfg, SMALL), state_hooks=count), seed=3)
    steer, nb = sim.steer, sim.cfg.policies.input_time_bins
    key, base, name = _state_key(sim, nb)
    state = key.rsplit(".", 1)[1]
    names = [n for (k, n), r in steer.space.pairs.items() if k == key and r is None]
    for b in range(nb - count):  # every bin but the last ``count`` filled
        for n in names:
            steer.note(key, sim.cfg.ops[n], b, True)
    op = SimpleNamespace(spec=sim.cfg.ops[name], segs=[("ISSUE", 0, 50, 0),
                                                       (state, 50, 50 + 100 * nb, 0)])
    pushed = []
    steer.extra_hooks(SimpleNamespace(now=0, run_until=10**9), op, Stream(3), pushed.append)
    bins = sorted((t - 50) * nb // (100 * nb) for t in pushed)
    assert bins == list(range(nb - count, nb))
    # a resumed steer (counts only) knows the same open bins
    twin = Simulation(directed(with_changes(project_cfg, SMALL), state_hooks=count), seed=3)
    twin.steer.restore(steer.state())
    assert twin.steer._open_bin == steer._open_bin


def test_state_hooks_must_be_a_whole_number(project_cfg):
    from nandseqgen.config import ConfigError
    with pytest.raises(ConfigError, match="state_hooks"):
        directed(project_cfg, state_hooks=2.5)
