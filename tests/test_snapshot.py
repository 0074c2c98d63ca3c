"""Multi-run continuity and snapshots (SPEC 6.7, issue 5)."""
from __future__ import annotations

import filecmp
import json
import os

import pytest

from nandseqgen.config import with_changes
from nandseqgen.simulation import Simulation
from nandseqgen.snapshot import SnapshotError, load_snapshot, save_snapshot

RUN_US = 12_000


def _write_runs(sim, n, out):
    for _ in range(n):
        sim.run(RUN_US).write(str(out), "261122")


def test_stop_save_load_continue_is_byte_identical(tmp_path, project_cfg):
    cfg = with_changes(project_cfg, {"bootstrap": {"enabled": True}})
    straight = tmp_path / "straight"
    _write_runs(Simulation(cfg, seed=5), 3, straight)
    split = tmp_path / "split"
    first = Simulation(cfg, seed=5)
    _write_runs(first, 1, split)
    snap = save_snapshot(first, str(tmp_path / "snaps"), "261122")
    resumed = load_snapshot(snap, cfg)
    assert resumed.run_index == 1
    _write_runs(resumed, 2, split)
    names = sorted(os.listdir(straight))
    assert names == sorted(os.listdir(split)) and len(names) == 18
    match, mismatch, errors = filecmp.cmpfiles(straight, split, names, shallow=False)
    assert mismatch == [] and errors == []


def test_snapshot_carries_suspended_ops_and_the_backlog(tmp_path, project_cfg):
    sim = Simulation(project_cfg, seed=9)
    found = None
    for _ in range(30):
        sim.run(3_000)
        if any(sim.rm.stack) or any(sim.scheduler.backlog):
            found = True
            break
    assert found, "no suspended op at a run boundary in 30 short runs"
    path = save_snapshot(sim, str(tmp_path), "261122")
    back = load_snapshot(path, project_cfg)
    assert [[fr.axis for fr in f] for f in back.rm.stack] == [[fr.axis for fr in f] for f in sim.rm.stack]
    assert [len(d) for d in back.scheduler.backlog] == [len(d) for d in sim.scheduler.backlog]
    r1, r2 = sim.run(5_000), back.run(5_000)
    assert r1.sequence.equals(r2.sequence) and len(r1.sequence) > 0


def test_wrong_config_or_schema_is_refused_and_nothing_is_overwritten(tmp_path, project_cfg):
    sim = Simulation(project_cfg, seed=1)
    sim.run(2_000)
    path = save_snapshot(sim, str(tmp_path), "261122")
    before = sorted(os.listdir(tmp_path))
    other = with_changes(project_cfg, {"policies": {"sequence_gap": 3.0}})
    with pytest.raises(SnapshotError, match="config"):
        load_snapshot(path, other)
    data = json.load(open(path))
    data["schema"] = 99
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(SnapshotError, match="schema"):
        load_snapshot(str(bad), project_cfg)
    assert sorted(os.listdir(tmp_path)) == sorted(before + ["bad.json"])


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_interrupted_write_leaves_the_previous_snapshot_readable(tmp_path, project_cfg,
                                                                   monkeypatch, fail_at):
    sim = Simulation(project_cfg, seed=2)
    sim.run(2_000)
    good = save_snapshot(sim, str(tmp_path), "261122")
    sim.run(2_000)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == fail_at:  # 3 sidecars, then the JSON index
            raise OSError("disk gone")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        save_snapshot(sim, str(tmp_path), "261122")
    monkeypatch.setattr(os, "replace", real_replace)
    names = os.listdir(tmp_path)
    assert not [n for n in names if n.endswith(".tmp")]
    assert "state_snapshot_20261122_000000_0000002.json" not in names
    assert load_snapshot(good, project_cfg).run_index == 1
