"""Zero violations at scale (issue 3): every generated sequence passes the
independent replay checker. Reduced size here; full size in benchmarks/soak.py."""
from __future__ import annotations

import json

import pytest
from helpers import PROJECT_CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nandseqgen.checker import check_frames
from nandseqgen.config import load_config, with_changes
from nandseqgen.simulation import Simulation

SEEDS = range(20)
MIN_OPS = 2000


def _until(cfg, seed: int) -> float:
    """Simulated time that yields at least MIN_OPS issued ops, found by doubling."""
    return 40_000.0 if cfg.topology.dies > 1 else 200_000.0


def _check(cfg, seed, until):
    result = Simulation(cfg, seed=seed).run(until)
    report = check_frames(result.sequence, result.operations, cfg, result.op_states)
    return result, report


@pytest.fixture(scope="session")
def flat_cfg(reference_cfg):
    from nandseqgen.config.variants import flat_mix
    return flat_mix(reference_cfg, dies=2)


@pytest.mark.soak
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("which", ["project", "reference", "flat_mix"])
def test_soak_zero_violations(which, seed, project_cfg, reference_cfg, flat_cfg):
    cfg = {"project": project_cfg, "reference": reference_cfg, "flat_mix": flat_cfg}[which]
    until = _until(cfg, seed)
    result, report = _check(cfg, seed, until)
    while len(result.sequence) < MIN_OPS:
        until *= 2
        result, report = _check(cfg, seed, until)
    assert len(result.sequence) >= MIN_OPS
    assert report.ok, report.violations.head(10).to_string()
    assert report.summary()["checked"].sum() > 0


def test_flat_mix_aborts_many_erases_and_programs_and_checks_clean(flat_cfg):
    # issue 9: resets cut erases and programs here all the time (rule 16)
    sim = Simulation(flat_cfg, seed=1)
    result = sim.run(150_000)
    report = check_frames(result.sequence, result.operations, flat_cfg, result.op_states)
    assert result.metrics["resets"] > 20 and sim.am.aborted_blocks > 20
    assert report.ok, report.violations.head(10).to_string()


def test_suspend_heavy_run_has_zero_violations():
    from helpers import ROOT
    cfg = load_config(PROJECT_CONFIG, overrides=[f"{ROOT}/configs/suspend_heavy.yaml"])
    result, report = _check(cfg, 3, 60_000)
    assert result.metrics["suspends"] >= 50
    assert report.ok, report.violations.head(10).to_string()


@st.composite
def _variants(draw):
    dies = draw(st.integers(1, 2))
    planes = draw(st.sampled_from([2, 4]))
    return {
        "topology": {"dies": dies, "planes": planes,
                     "blocks_per_die": planes * draw(st.integers(2, 6)),
                     "pages_per_block": draw(st.integers(3, 12)), "bad_blocks": []},
        "policies": {
            "admission_window": draw(st.sampled_from([0.0, 0.2, 1.0, 5.0])),
            "sequence_gap": draw(st.sampled_from([0.1, 0.5, 2.0])),
            "maxplanes": draw(st.integers(2, 4)),
            "queue_refill_period_us": draw(st.sampled_from([5.0, 25.0, 100.0])),
            "split_dout_per_plane": draw(st.booleans()),
            "phase_hook_offset_us": draw(st.sampled_from([0.5, 1.0, 20.0])),
        },
    }


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(changes=_variants(), seed=st.integers(0, 2**16))
def test_property_random_topologies_and_policies(changes, seed):
    cfg = with_changes(load_config(PROJECT_CONFIG), changes)
    result, report = _check(cfg, seed, 15_000)
    assert report.ok, f"{json.dumps(changes)} seed={seed}\n{report.violations.head(10)}"
