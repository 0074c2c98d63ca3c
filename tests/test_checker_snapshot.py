"""Checker: starting from a state snapshot (issue 9, docs/validation.md).

Hand-written snapshots on the kit config test each carried piece of state
with a twin; engine runs resumed into a new folder must check clean.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from test_checker_kit import Op, describe, erase, flagged, frames, kit_config, program

from helpers import PROJECT_CONFIG

from nandseqgen.checker import CheckInputError, check_dir, check_frames
from nandseqgen.checker import main as checker_main
from nandseqgen.checker.sweep import BAD, ERASED, UNERASED
from nandseqgen.runner import run_job
from nandseqgen.simulation import Simulation
from nandseqgen.snapshot import save_snapshot

T0 = 1000  # us: the snapshot time; the checked run starts after it


def _snapshot(tmp_path, *, state=None, abort=None, stack=(), susp=None, name=None):
    """A snapshot file of the kit config (empty device unless told)."""
    cfg = kit_config()
    dies, blocks, planes = cfg.topology.dies, cfg.topology.blocks_per_die, cfg.topology.planes
    arr = {"state": np.full((dies, blocks), UNERASED, np.int32),
           "emode": np.zeros((dies, blocks), np.int16), "pmode": np.zeros((dies, blocks), np.int16)}
    for d, b in cfg.topology.bad_blocks:
        arr["state"][d, b] = BAD
    slc = cfg.celltypes.index("SLC")
    for (d, b), s in (state or {}).items():
        arr["state"][d, b], arr["emode"][d, b], arr["pmode"][d, b] = s, slc, slc
    if abort is not None:
        arr["abort"] = np.zeros((dies, blocks), np.int8)
        for (d, b), code in abort.items():
            arr["abort"][d, b] = code
    base = name or "state_snapshot_20261130_000000_0000001"
    sidecars = {}
    for k, a in arr.items():
        np.save(tmp_path / f"{base}.{k}.npy", a)
        sidecars[k] = f"{base}.{k}.npy"
    empty = [[] for _ in range(dies * planes)]
    data = {"kind": "nandseqgen.state_snapshot", "schema": 1, "config_hash": cfg.config_hash,
            "run_index": 1, "time": T0 * 100, "sidecars": sidecars,
            "stack": [list(stack)] + [[] for _ in range(dies - 1)],
            "susp": susp or [[] for _ in range(dies)], "latch": empty, "cache_p": empty,
            "cache_d": [[] for _ in range(dies)], "odt": [],
            "timeline": [{"starts": [], "ends": [], "keys": [], "bases": [], "states": [],
                          "uids": [], "ends_key": [], "names": []} for _ in range(dies * planes)]}
    path = tmp_path / f"{base}.json"
    path.write_text(json.dumps(data))
    return str(path)


def _check(ops, snap=None):
    seq, tl, st = frames(ops)
    return check_frames(seq, tl, kit_config(), st, from_snapshot=snap)


def _after(ops):
    """Shift hand-written ops after the snapshot time and give them fresh uids."""
    for i, op in enumerate(ops):
        op.t += T0
        op.uid = 100 + i
        if op.pieces:
            op.pieces = [(a + T0, b + T0, s) for a, b, s in op.pieces]
    return ops


def test_program_of_a_block_erased_before_the_snapshot_passes(tmp_path):
    snap = _snapshot(tmp_path, state={(0, 0): ERASED})
    report = _check(_after([program(0, page=0)]), snap)
    assert report.ok, describe(report)


def test_without_the_snapshot_the_same_program_is_flagged():
    report = _check(_after([program(0, page=0)]))
    assert flagged(report, "epr_program") == {100}, describe(report)


def test_program_of_the_wrong_page_after_the_snapshot_is_flagged(tmp_path):
    snap = _snapshot(tmp_path, state={(0, 0): 1})  # pages 0..1 programmed
    assert flagged(_check(_after([program(0, page=1)]), snap), "epr_program") == {100}
    assert _check(_after([program(0, page=2)]), snap).ok


def test_block_aborted_before_the_snapshot_is_closed_to_programs(tmp_path):
    snap = _snapshot(tmp_path, state={(0, 0): 1}, abort={(0, 0): 2})
    assert flagged(_check(_after([program(0, page=2)]), snap), "epr_program") == {100}
    report = _check(_after([erase(0), program(20, page=0)]), snap)
    assert report.ok, describe(report)


def _suspended_erase_stack() -> tuple:
    """Die 0: an erase of block 0 (uid 7) issued at 990 us, suspended at 995 us."""
    start = (T0 - 10) * 100
    op = {"uid": 7, "name": "Erase_SLC", "die": 0, "planes": [0], "blocks": [0], "page": None,
          "celltype": "SLC", "start": start, "end": start + 500,
          "segs": [["ISSUE", start, start + 100, True], ["CORE_BUSY", start + 100, start + 500,
                                                         False]]}
    stack = [["ERASE", [[op, [["CORE_BUSY", 600, False]]]]]]
    susp = [[["ERASE_SUSPENDED", start + 500, None, 8, None, None]], []]
    return stack, susp


def test_resume_of_an_erase_suspended_in_the_snapshot_passes(tmp_path):
    stack, susp = _suspended_erase_stack()
    snap = _snapshot(tmp_path, stack=stack, susp=susp)
    resume = Op("Erase_Resume", 0)
    ops = _after([resume, program(20, page=0)])
    seq, tl, st = frames(ops)
    # the resumed remainder (6 us of CORE_BUSY after the 3 us resume) is in this run's files
    extra = [(T0 + 3.0, T0 + 9.0, 0, 0, 0, None, "Erase_SLC", "ERASE", "resume", 7, "DEFAULT")]
    tl = tl.astype(object)
    tl.loc[len(tl)] = extra[0]
    report = check_frames(seq, tl, kit_config(), None, from_snapshot=snap)
    assert report.ok, describe(report)
    assert flagged(check_frames(seq, tl, kit_config(), None), "suspend_order") == {100}


def test_block_of_an_erase_suspended_in_the_snapshot_is_held(tmp_path):
    stack, susp = _suspended_erase_stack()
    snap = _snapshot(tmp_path, stack=stack, susp=susp)
    report = _check(_after([Op("Touch", 0, 0, (0,), (0,))]), snap)
    assert flagged(report, "epr_suspended_block") == {100}, describe(report)


def test_snapshot_of_another_config_is_refused(tmp_path):
    snap = _snapshot(tmp_path)
    data = json.loads(open(snap).read())
    data["config_hash"] = "other"
    open(snap, "w").write(json.dumps(data))
    with pytest.raises(CheckInputError, match="config"):
        _check(_after([erase(0)]), snap)


# ----------------------------------------------------------- engine runs
RUN_US = 3_000


def _suspended_boundary(cfg):
    """A Simulation stopped at a run boundary with a suspended op (seed 9)."""
    sim = Simulation(cfg, seed=9)
    for _ in range(30):
        sim.run(RUN_US)
        if any(sim.rm.stack):
            return sim
    raise AssertionError("no suspended op at a run boundary in 30 short runs")


def test_resumed_run_in_a_new_folder_checks_clean(tmp_path, project_cfg):
    sim = _suspended_boundary(project_cfg)
    snap = save_snapshot(sim, str(tmp_path / "first" / "snapshots"), "261130")
    out = tmp_path / "resumed"
    summary = run_job(project_cfg, out_dir=str(out), seed=9, run_until_us=4 * RUN_US,
                      date="261130", num_runs=2, resume_from=snap)
    assert len(summary["runs"]) == 2
    assert os.path.basename(snap) in os.listdir(out / "snapshots")  # kept for the checker
    for run in (None, summary["runs"][0]["run_index"]):
        report = check_dir(str(out), project_cfg, run)
        assert report.ok, describe(report)
    report = check_dir(str(out), project_cfg, history=False)  # starts from run 1's snapshot
    assert report.ok, describe(report)
    assert report.summary().set_index("rule").loc["suspend_order", "checked"] > 0


def test_resumed_run_checked_without_its_snapshot_is_flagged(tmp_path, project_cfg):
    sim = _suspended_boundary(project_cfg)
    snap = save_snapshot(sim, str(tmp_path / "snaps"), "261130")
    out = tmp_path / "resumed"
    run_job(project_cfg, out_dir=str(out), seed=9, run_until_us=4 * RUN_US, date="261130",
            num_runs=1, resume_from=snap, snapshots=False)
    assert not (out / "snapshots").exists()
    assert not check_dir(str(out), project_cfg).ok
    report = check_dir(str(out), project_cfg, from_snapshot=snap)
    assert report.ok, describe(report)
    cli = [str(out), "--config", PROJECT_CONFIG, "--no-progress"]
    assert checker_main(cli) == 1
    assert checker_main(cli + ["--from-snapshot", snap]) == 0
    assert checker_main(cli + ["--from-snapshot", str(tmp_path / "missing.json")]) == 2
