"""Bootstrap stages (seed 000, SPEC 5.6)."""
from __future__ import annotations

import pytest

from nandseqgen.bootstrap import STAGES
from nandseqgen.config import ConfigError, with_changes
from nandseqgen.simulation import Simulation


@pytest.fixture(scope="module")
def boot_run(project_cfg):
    cfg = with_changes(project_cfg, {"bootstrap": {"enabled": True}})
    sim = Simulation(cfg, seed=4)
    before = dict(sim.sampler.base_rows)
    result = sim.run(150_000)
    return cfg, sim, result, before


def _stage_spans(progress):
    spans = {}
    for stage in STAGES:
        rows = progress[progress.stage == stage]
        if len(rows):
            spans[stage] = (rows.time.min(), rows.time.max())
    return spans


def test_stages_advance_in_order_and_complete(boot_run):
    cfg, sim, result, _ = boot_run
    prog = result.bootstrap_progress
    assert sim.bootstrap.completed and result.summary["bootstrap_completed"]
    order = [s for s in STAGES if s in set(prog.stage.astype(str))]
    assert order == list(STAGES)
    times = [_stage_spans(prog)[s][0] for s in STAGES]
    assert times == sorted(times)


def test_each_stage_admits_only_its_multi_plane_ops(boot_run):
    cfg, sim, result, _ = boot_run
    spans = _stage_spans(result.bootstrap_progress)
    ops = result.operations.drop_duplicates("op_uid")
    first = ops[ops.source == "proposer"]
    wanted = {"ERASE": {"erase"}, "PROGRAM": {"program_final", "program_step"}, "READ": {"read"}}
    for stage, roles in wanted.items():
        lo = spans[stage][0]
        hi = spans[STAGES[STAGES.index(stage) + 1]][0]
        inside = first[(first.start > lo + 1) & (first.start < hi - 1)]
        assert len(inside) > 0
        for name in inside.op_name:
            spec = cfg.ops[name]
            assert spec.multi and spec.base.role.kind in roles, (stage, name)


def test_thresholds_are_met_when_stages_advance(boot_run):
    cfg, sim, result, _ = boot_run
    prog = result.bootstrap_progress
    b = cfg.bootstrap
    first_program = prog[prog.stage == "PROGRAM"].iloc[0]
    assert first_program.erase_volume >= b.erase_volume
    first_read = prog[prog.stage == "READ"].iloc[0]
    assert first_read.program_volume >= b.program_volume
    done = prog[prog.stage == "DONE"].iloc[0]
    assert done.read_coverage >= b.read_coverage and done.read_volume >= b.read_volume
    last_erase = prog[prog.stage == "ERASE"].iloc[-1]
    assert last_erase.erase_volume < b.erase_volume


def test_base_distribution_is_restored_exactly(boot_run):
    cfg, sim, result, before = boot_run
    assert sim.sampler.rows is sim.sampler.base_rows
    assert sim.sampler.base_rows == before


def test_bootstrap_runs_are_deterministic(project_cfg):
    cfg = with_changes(project_cfg, {"bootstrap": {"enabled": True}})
    a = Simulation(cfg, seed=8).run(40_000)
    b = Simulation(cfg, seed=8).run(40_000)
    assert a.sequence.equals(b.sequence) and len(a.sequence) > 0
    assert a.recorder.bootstrap_rows == b.recorder.bootstrap_rows


def test_bootstrap_only_in_the_first_run(project_cfg):
    cfg = with_changes(project_cfg, {"bootstrap": {"enabled": True,
                                                   "thresholds": {"erase_volume": 100}}})
    sim = Simulation(cfg, seed=3)
    sim.run(5_000)
    assert not sim.bootstrap.completed
    sim.run(5_000)
    assert sim.bootstrap.completed and sim.sampler.rows is sim.sampler.base_rows


@pytest.mark.parametrize("change, path", [
    ({"thresholds": {"read_coverage": None}}, "bootstrap.thresholds.read_coverage"),
    ({"thresholds": {"read_coverage": 1.5}}, "bootstrap.thresholds.read_coverage"),
    ({"thresholds": {"erase_volume": -1}}, "bootstrap.thresholds.erase_volume"),
    ({"minimums": {"read_volume": "many"}}, "bootstrap.minimums.read_volume"),
    ({"thresholds": {"program_volume": 10_000}}, "bootstrap.thresholds.program_volume"),
])
def test_bad_thresholds_are_clear_errors(project_cfg, change, path):
    with pytest.raises(ConfigError) as err:
        with_changes(project_cfg, {"bootstrap": {"enabled": True, **change}})
    assert path in {e.path for e in err.value.errors}


def test_forcing_bootstrap_on_a_config_without_thresholds_is_a_clear_error(project_cfg):
    cfg = with_changes(project_cfg, {"bootstrap": {"thresholds": {}, "minimums": {}}},
                       replace_keys=("bootstrap",))
    with pytest.raises(ValueError, match="erase_volume"):
        Simulation(cfg, seed=1, bootstrap=True)
