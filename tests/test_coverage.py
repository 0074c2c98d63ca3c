"""Coverage model (issue 12): the cell space, its unreachable reasons, the
reports and their merges."""
from __future__ import annotations

import pandas as pd
import pytest
from helpers import SMALL

from nandseqgen.config import ConfigError, load_config_text, with_changes
from nandseqgen.config.model import DEFAULT_KEY
from nandseqgen.config.phase import build_phase_table
from nandseqgen.coverage import (CoverageReport, build_space, closure, counts_of, entropy,
                                 flat_mix, merge_counts, merged_report, report_from_outputs)
from nandseqgen.coverage import space as sp
from nandseqgen.coverage.variants import directed
from nandseqgen.simulation import Simulation


@pytest.fixture(scope="module")
def small_cfg(project_cfg):
    return with_changes(project_cfg, SMALL)


@pytest.fixture(scope="module")
def run(small_cfg):
    return Simulation(small_cfg, seed=3).run(30_000)


def _space(cfg, seed=1):
    return build_space(cfg, build_phase_table(cfg, seed))


def test_a_hit_cell_is_never_called_unreachable(run, reference_cfg):
    flat = flat_mix(reference_cfg)
    for result in (run, Simulation(flat, seed=2).run(200_000),
                   Simulation(directed(flat), seed=2).run(200_000)):
        space = build_space(result.config, result.phase_table)
        assert result.recorder.input_time
        for (key, name, b), n in result.recorder.input_time.items():
            assert (key, name) in space.pairs, (key, name)
            assert b in space.bins[key], (key, b)
            assert space.cell_reason(key, name, b) is None, (key, name, b,
                                                             space.cell_reason(key, name, b))


def test_end_keys_have_one_bin_and_states_their_ticks(small_cfg):
    space = _space(small_cfg)
    ends = [k for k in space.bins if k.endswith(".END")]
    assert ends and all(space.bins[k] == frozenset({0}) for k in ends)
    assert space.bins[DEFAULT_KEY] == frozenset({0})  # every produced key has a row
    assert sp._state_bins(5, 10) == frozenset({0, 2, 4, 6, 8})
    assert sp._state_bins(10, 10) == frozenset(range(10))


def test_zero_weight_is_unreachable_and_its_positive_twin_is_not(small_cfg):
    name = "Read_Status_Enhanced_70h" if "Read_Status_Enhanced_70h" in small_cfg.ops else \
        next(n for n, s in small_cfg.ops.items() if not s.base.affect_state)
    zero = with_changes(small_cfg, {"phase_conditional_overrides": {"global": {name: 0.0}}})
    pairs_zero = [r for (k, n), r in _space(zero).pairs.items() if n == name]
    pairs_twin = [r for (k, n), r in _space(small_cfg).pairs.items() if n == name]
    assert pairs_zero and all(r == sp.ZERO_WEIGHT for r in pairs_zero)
    assert any(r is None for r in pairs_twin)


def test_a_base_never_issued_makes_its_keys_unreachable(small_cfg):
    base = next(b for b in small_cfg.bases.values() if b.affect_state and b.role.kind == "erase")
    names = {n: 0.0 for n in small_cfg.groups_by_base[base.name]}
    zero = with_changes(small_cfg, {"phase_conditional_overrides": {"global": names}})
    space = _space(zero)
    assert base.name not in sp.issued_bases(zero, build_phase_table(zero, 1))
    keys = [k for k in space.bins if k.startswith(base.name + ".")]
    assert keys and all(space.key_reason[k] == sp.NEVER_ISSUED.format(base=base.name)
                        for k in keys)
    assert all(space.pairs[p] == sp.NEVER_ISSUED.format(base=base.name) for p in space.pairs
               if p[0] in keys)
    assert base.name in sp.issued_bases(small_cfg, build_phase_table(small_cfg, 1))
    assert not any(k.startswith(base.name + ".") for k in _space(small_cfg).key_reason)


def test_status_read_of_a_missing_lun_is_unreachable(reference_cfg):
    one_die = _space(reference_cfg)
    two = _space(flat_mix(reference_cfg, dies=2))
    lun1 = [n for n, s in reference_cfg.ops.items() if s.status_mode == "lun" and s.status_lun == 1]
    assert lun1
    assert all(r.startswith("status read of LUN 1") for (k, n), r in one_die.pairs.items()
               if n in lun1 and k in one_die.bins and k not in one_die.key_reason and
               r != sp.ZERO_WEIGHT)
    assert any(r is None for (k, n), r in two.pairs.items() if n in lun1)


def test_exclusions_by_op_state_remove_the_pair(small_cfg):
    space = _space(small_cfg)
    for key, forbidden in small_cfg.exclusions.by_op_state.items():
        for (k, n) in space.pairs:
            if k == key:
                assert small_cfg.ops[n].base.name not in forbidden


def test_entropy_definition():
    assert entropy([5, 5, 5, 5], 4) == pytest.approx(1.0)
    assert entropy([7], 4) == 0.0
    assert entropy([1, 1], 4) == pytest.approx(0.5)
    assert entropy([], 4) == 0.0


def test_report_frames_agree_with_the_run(run):
    rep = run.coverage()
    cells = rep.cells
    assert list(cells.columns) == ["op_state", "op_name", "bin", "input_time", "count", "status",
                                   "reason"]
    assert cells["count"].sum() == run.metrics["batches_committed"] == run.input_time["count"].sum()
    assert (cells["status"] == "hit").sum() == rep.filled == len(run.input_time)
    assert set(cells["status"]) <= {"hit", "not yet", "unreachable"}
    assert (cells.loc[cells["status"] == "unreachable", "reason"] != "").all()
    assert rep.by_key()[["hit", "not_yet", "unreachable"]].to_numpy().sum() == len(cells)
    holes = rep.holes()
    assert ((holes >= 0) & (holes <= 1) | holes.isna()).all().all()
    assert rep.unreachable()["cells"].sum() == rep.figures.unreachable == rep.reasons()["cells"].sum()
    assert 0 < rep.evenness <= 1 and rep.possible == rep.figures.allowed


def test_merges_of_runs_and_of_written_outputs(small_cfg, tmp_path):
    sim = Simulation(small_cfg, seed=4)
    a, b = sim.run(15_000), sim.run(15_000)
    merged = merged_report([a, b])
    expect = merge_counts(a, b)
    assert merged.counts == dict(expect)
    assert sum(expect.values()) == a.metrics["batches_committed"] + b.metrics["batches_committed"]
    assert merged.filled >= max(a.coverage().filled, b.coverage().filled)
    a.write(str(tmp_path / "site_001"), "000000")
    b.write(str(tmp_path / "site_002"), "000000")
    from_files = report_from_outputs(str(tmp_path), small_cfg, sim.phase_table)
    assert from_files.counts == merged.counts
    assert from_files.as_dict() == merged.as_dict()
    frame = pd.read_csv(next((tmp_path / "site_001").glob("op_state_name_input_time_count_*")))
    assert dict(counts_of(frame, bins=small_cfg.policies.input_time_bins)) == dict(counts_of(a))


def test_merged_space_is_reachable_where_any_site_says_so(small_cfg):
    name = next(iter(small_cfg.ops))
    zero = with_changes(small_cfg, {"phase_conditional_overrides": {"global": {name: 0.0}}})
    s0, s1 = _space(zero), _space(small_cfg)
    both = CoverageReport(s0, {}).merge(CoverageReport(s1, {}))
    assert both.space.size() == s1.size()
    assert closure(both.space, {}).unreachable == closure(s1, {}).unreachable
    with pytest.raises(ValueError, match="bins"):
        CoverageReport(s0, {}).merge(CoverageReport(_space(with_changes(
            small_cfg, {"policies": {"input_time_bins": 4}})), {}))


@pytest.mark.parametrize("value, path", [
    ({"strength": -1}, "policies.coverage_directed.strength"),
    ({"enabled": "yes"}, "policies.coverage_directed.enabled"),
    ({"strenght": 1}, "policies.coverage_directed.strenght"),
    ({"chain_gain": -2}, "policies.coverage_directed.chain_gain"),
    ("on", "policies.coverage_directed"),
])
def test_bad_directed_knobs_name_the_key(small_cfg, value, path):
    import yaml
    raw = with_changes(small_cfg, {}).raw
    text = yaml.safe_dump({**{k: v for k, v in _plain(raw).items() if k != "policies"},
                           "policies": {**_plain(raw)["policies"], "coverage_directed": value}})
    with pytest.raises(ConfigError) as err:
        load_config_text(text)
    assert path in str(err.value)


def _plain(value):
    from collections.abc import Mapping
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def test_directed_knobs_parse(small_cfg):
    on = with_changes(small_cfg, {"policies": {"coverage_directed": {"enabled": True,
                                                                     "strength": 2,
                                                                     "chain_gain": 0}}})
    knobs = on.policies.coverage_directed
    assert knobs.enabled and knobs.strength == 2.0 and knobs.key_gain == 1.0
    assert knobs.chain_gain == 0.0 and small_cfg.policies.coverage_directed.chain_gain == 4.0
    assert not small_cfg.policies.coverage_directed.enabled
    assert on.config_hash != small_cfg.config_hash


# ------------------------------------------------------------------- plots
def test_closure_curves_draw_one_line_per_run_with_labels():
    from nandseqgen.plotting import closure_curves
    ax = closure_curves({"uniform": [(0, 0), (100, 40)], "directed": [(0, 0), (100, 70)]},
                        allowed=120)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"uniform", "directed", "reachable cells"}
    assert list(lines["directed"].get_ydata()) == [0, 70]
    assert ax.get_xlabel() == "ops committed" and "cells hit" in ax.get_ylabel()
    rows = [{"config": "c", "mode": m, "target_ops": n, "curve": [(n, n // k)]}
            for m, k in (("uniform", 2), ("directed", 1)) for n in (10, 100)]
    ax = closure_curves(rows)
    got = {ln.get_label(): list(ln.get_ydata()) for ln in ax.get_lines()}
    assert got == {"c / directed": [100], "c / uniform": [50]}  # the largest size of each


def test_holes_heatmap_and_unreachable_reasons(run, small_cfg):
    from nandseqgen.plotting import holes_heatmap, unreachable_reasons
    rep = run.coverage()
    ax = holes_heatmap(rep)
    image = ax.get_images()[0].get_array()
    holes = rep.holes()
    assert image.shape == holes.shape
    assert float(image.max()) <= 1.0 and float(image.min()) >= 0.0
    assert ax.get_xlabel() == "op_name" and ax.get_ylabel().startswith("phase key")
    small = holes_heatmap(rep, max_states=5, max_names=7)
    assert small.get_images()[0].get_array().shape == (5, 7)
    zero = with_changes(small_cfg, {"phase_conditional_overrides": {"global": {
        next(iter(small_cfg.ops)): 0.0}}})
    rep0 = CoverageReport(_space(zero), {})
    ax = unreachable_reasons(rep0)
    assert len(ax.patches) == len(rep0.reasons()) >= 1
    assert ax.patches[0].get_width() == rep0.reasons()["cells"].iloc[0]


def test_windowed_ops_only_in_the_last_admission_window_of_a_busy_op(reference_cfg):
    cfg = flat_mix(reference_cfg)
    space = _space(cfg)
    key, slow = next((k, n) for (k, n), r in space.pairs.items() if r is None
                     and n in space.windowed and k in space.late_bins
                     and space.late_bins[k] and space.late_bins[k] < space.bins[k])
    late = space.late_bins[key]
    early = min(space.bins[key] - late)
    assert space.cell_reason(key, slow, early) == sp.WINDOW
    assert space.cell_reason(key, slow, max(late)) is None
    fast = next(n for (k, n), r in space.pairs.items() if k == key and r is None
                and cfg.ops[n].base.instant_resv)
    assert space.cell_reason(key, fast, early) is None  # instant ops do not wait
    no_window = _space(with_changes(cfg, {"policies": {"admission_window": 0}}))
    assert no_window.cell_reason(key, slow, early) is None  # window off: no such reason
    rep = CoverageReport(space, {})
    assert (rep.cells["reason"] == sp.WINDOW).sum() == sum(
        1 for *_c, r in space.cells() if r == sp.WINDOW) > 0


def _held_mask(cfg, space, key):
    bases = {cfg.ops[n].base.name for (k, n), r in space.pairs.items()
             if k == key and r is not None and r.startswith(sp.HELD.split("{")[0])}
    return bases, sum(1 << cfg.bases[b].index for b in bases)


def test_a_cache_state_held_by_its_op_forbids_its_exclusions(reference_cfg):
    """HELD: while a plane is in a state of an op that entered cache state C,
    the engine's dynamic mask forbids C's exclusions there (checked at every
    event of a directed run), and the reason goes when an exit could overlap."""
    cfg = flat_mix(reference_cfg)
    space = _space(cfg)
    held = {k for (k, _n), r in space.pairs.items() if r and r.startswith(sp.HELD.split("{")[0])}
    assert "CACHE_READ.CORE_BUSY" in held and all(not k.endswith(".END") for k in held)
    masks = {k: _held_mask(cfg, space, k)[1] for k in held}
    sim = Simulation(directed(cfg), seed=1)
    sim.start(1_500_000)
    rm, seen = sim.scheduler.rm, 0
    while sim.scheduler.q.peek_tick() is not None:
        sim.tick()
        now = sim.scheduler.now
        for die in range(cfg.topology.dies):
            for plane in range(cfg.topology.planes):
                m = masks.get(rm.phase_key_at(die, plane, now))
                if m:
                    seen += 1
                    assert rm.proposal_forbidden(die, plane, now) & m == m
    assert seen > 50, seen
    exits = [b.name for b in cfg.bases.values() if "ON_CACHE_READ" in b.role.cache_exit]
    instant_exit = with_changes(cfg, {"op_bases": {exits[0]: {"instant_resv": True}}})
    assert not _held_mask(instant_exit, _space(instant_exit), "CACHE_READ.CORE_BUSY")[0]


def test_held_cache_needs_its_exits_kept_out_of_a_suspension(reference_cfg):
    """A suspended cache program leaves a gap: if an exit op may run while the
    axis is suspended, the cache state is no longer held by its op."""
    cfg = flat_mix(reference_cfg)
    key = "CACHE_PROGRAM_SLC.CORE_BUSY"
    assert _held_mask(cfg, _space(cfg), key)[0]
    banned = cfg.exclusions.by_suspend["PROGRAM_SUSPENDED"]
    assert "PROGRAM_SLC" in banned
    loose = with_changes(cfg, {"exclusion_groups": {"program_suspended": sorted(
        b for b in banned if b != "PROGRAM_SLC")}})
    assert "PROGRAM_SLC" not in loose.exclusions.by_suspend["PROGRAM_SUSPENDED"]
    assert not _held_mask(loose, _space(loose), key)[0]
