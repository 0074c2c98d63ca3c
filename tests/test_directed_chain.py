"""Precondition steering of the coverage-directed policy (docs/coverage.md,
"Preconditions"): the hook plane's address state, read from roles and
constraints.program_modes, decides which names are boosted."""
from __future__ import annotations

import pytest

from nandseqgen.address.manager import ERASED, PROGRAM_ABORTED, UNERASED, AddressManager
from nandseqgen.coverage import closure, closure_curve, flat_mix
from nandseqgen.coverage.chain import chain_factor, erase_balance, plane_context
from nandseqgen.coverage.variants import directed
from nandseqgen.simulation import Simulation

GAIN = 4.0


def _plane(am, die, plane, state, emode=0, pmode=0, abort=0):
    """Every block of (die, plane) in one future state."""
    P = am.planes
    am.f_state[die, plane::P] = state
    am.f_emode[die, plane::P] = emode
    am.f_pmode[die, plane::P] = pmode
    am.f_abort[die, plane::P] = abort


def _spec(cfg, kind, address, **role):
    """The first op name of a role kind / address (and role fields) with a cell type."""
    for spec in cfg.ops.values():
        r = spec.base.role
        if r.kind == kind and r.address == address and spec.celltype != "NONE" \
                and all(getattr(r, k) == v for k, v in role.items()):
            return spec
    raise AssertionError(f"no {kind}/{address} op name in the config")


@pytest.fixture(scope="module")
def am_cfg(project_cfg):
    return project_cfg


def test_plane_context_follows_erase_program_read_and_aborts(am_cfg):
    cfg = am_cfg
    am = AddressManager(cfg)
    assert plane_context(am, 0, 1) == (0, 0, True)  # fresh: every block needs an erase
    emode = next(i for i, row in enumerate(am.program_ok) if row.any())
    modes = [c for c, yes in enumerate(am.program_ok[emode]) if yes]
    _plane(am, 0, 1, ERASED, emode)
    prog, read, unready = plane_context(am, 0, 1)
    assert prog == sum(1 << c for c in modes) and read == 0 and not unready
    assert plane_context(am, 0, 0) == (0, 0, True)  # another plane: untouched
    ct = modes[0]
    _plane(am, 0, 1, am.offset + 3, emode, ct)  # partly programmed in mode ct
    assert plane_context(am, 0, 1) == (1 << ct, 1 << ct, False)
    _plane(am, 0, 1, am.offset + 3, emode, ct, PROGRAM_ABORTED)  # rule 16: reads only
    assert plane_context(am, 0, 1) == (0, 1 << ct, False)
    _plane(am, 0, 1, UNERASED)
    am.busy[(0, 1)] = {7: 0}  # a suspended op holds the only unready block of row 0
    assert plane_context(am, 0, 1) == (0, 0, am.blocks // am.planes > 1)


def test_chain_factor_boosts_what_the_plane_is_ready_for(am_cfg):
    cfg = am_cfg
    am = AddressManager(cfg)
    ct_of = am.ct_index
    erase = _spec(cfg, "erase", "erase")
    read = _spec(cfg, "read", "read", cache_enter=None)
    ct = ct_of[read.celltype]
    none = am.none_ct
    assert chain_factor(erase, ct_of[erase.celltype], none, (0, 0, True), GAIN) == (5.0, False)
    assert chain_factor(erase, ct_of[erase.celltype], none, (0, 1 << ct, False), GAIN) \
        == (pytest.approx(0.2), False)  # would wipe the only readable pages
    assert chain_factor(read, ct, none, (0, 1 << ct, False), GAIN) == (5.0, True)
    other = (1 << ct) ^ ((1 << len(cfg.celltypes)) - 1)
    assert chain_factor(read, ct, none, (0, other, False), GAIN) == (1.0, False)
    prog = next(s for s in cfg.ops.values() if s.base.role.address == "program"
                and s.celltype != "NONE")
    pct = ct_of[prog.celltype]
    assert chain_factor(prog, pct, none, (1 << pct, 0, False), GAIN) == (5.0, True)
    assert chain_factor(prog, pct, none, (0, 0, True), GAIN) == (1.0, False)


def test_chain_factor_leaves_cache_loops(am_cfg):
    cfg = am_cfg
    am = AddressManager(cfg)
    enter = _spec(cfg, "read", "read", cache_enter="ON_CACHE_READ")
    leave = next(s for s in cfg.ops.values() if "ON_CACHE_READ" in s.base.role.cache_exit)
    ctx = (0, (1 << len(cfg.celltypes)) - 1, False)
    args = (am.none_ct, ctx, GAIN, "ON_CACHE_READ")
    assert chain_factor(leave, am.ct_index[leave.celltype], *args)[0] == 5.0
    assert chain_factor(enter, am.ct_index[enter.celltype], *args)[0] == pytest.approx(0.2)
    # outside the cache state the same read is boosted when its pages exist
    assert chain_factor(enter, am.ct_index[enter.celltype], am.none_ct, ctx, GAIN)[0] == 5.0


def test_precondition_steering_reaches_more_cells(reference_cfg):
    """Measured at seed 1, 50,000 ops: 6,278 cells without precondition steering,
    7,468 with it (before resting and loop pricing, decisions 106-109, it was
    also what took a run to the program and read keys at all: 7 -> 32 keys in
    2,500,000 us; resting now visits them either way)."""
    flat = flat_mix(reference_cfg)
    visited = {}
    for gain in (0.0, GAIN):
        cfg = directed(flat, chain_gain=gain)
        _curve, result, space = closure_curve(cfg, 1, 20_000, 2)
        keys = {k for k, _n, _b in result.recorder.input_time
                if k.rsplit(".", 1)[0] in cfg.bases
                and cfg.bases[k.rsplit(".", 1)[0]].role.kind in ("read", "program_final")}
        visited[gain] = (len(keys), closure(space, result.recorder.input_time).hit)
    assert visited[GAIN][1] >= 1.1 * visited[0.0][1], visited
    assert visited[GAIN][0] >= 0.8 * visited[0.0][0], visited


def test_an_erase_on_a_ready_plane_weighs_what_it_enables_against_what_it_wipes(am_cfg):
    """Decision 121: an erase where every block is ready is weighted
    (1 + g * open program share) / (1 + g * open read share), in eighths."""
    cfg = am_cfg
    am = AddressManager(cfg)
    erase = _spec(cfg, "erase", "erase")
    ct = am.ct_index[erase.celltype]
    ready = (0, 1, False)
    assert erase_balance(GAIN, 8, 8, 8) == 1.0  # a fresh run: neither side wins
    assert erase_balance(GAIN, 8, 0, 8) == 5.0  # reads closed, programs open
    assert erase_balance(GAIN, 0, 8, 8) == pytest.approx(0.2)
    wipe = erase_balance(GAIN, 8, 0, 8)
    assert chain_factor(erase, ct, am.none_ct, ready, GAIN, None, wipe) == (5.0, False)
    assert chain_factor(erase, ct, am.none_ct, (0, 0, True), GAIN, None, 0.01)[0] == 5.0


def test_the_steer_tracks_the_erase_balance_and_restores_it(reference_cfg):
    cfg = directed(flat_mix(reference_cfg))
    sim = Simulation(cfg, seed=1)
    steer = sim.steer
    assert steer._wipe == 1.0
    reads = [(k, n, b) for k, n, b, r in steer.space.cells() if r is None
             and k.rsplit(".", 1)[0] in cfg.bases
             and cfg.bases[k.rsplit(".", 1)[0]].role.address == "read"]
    assert reads
    epoch = steer.epoch
    for key, name, b in reads:
        steer.note(key, cfg.ops[name], b, True)
    assert steer._wipe == erase_balance(steer.chain_gain, 8, 0, 8) and steer.epoch > epoch
    again = Simulation(cfg, seed=1).steer
    again.restore(steer.state())
    assert again._wipe == steer._wipe
