"""Seed 001's cases T1-T4: READ -> DOUT chains are planned sequentially."""
from __future__ import annotations

from helpers import erase_and_program, small_sim

from nandseqgen.core.rng import stream
from nandseqgen.proposer.targets import build_followups


def _prepare(sim, planes=(0, 1, 2), blocks=(0, 1, 2)):
    assert sim.issue("Block_Erase_Multi_Plane_SLC", die=0, planes=planes, blocks=blocks).txn
    sim.advance(4000)
    assert sim.issue("Page_Program_Multi_Plane_SLC", die=0, planes=planes, blocks=blocks,
                     page=0).txn
    sim.advance(5000)


def _assert_sequential(ops, gap):
    for a, b in zip(ops, ops[1:]):
        assert b.start >= a.end + gap, (a, b)


def test_t1_multi_plane_read_gets_one_dout_per_plane_in_order():
    sim = small_sim()
    _prepare(sim)
    prop = sim.issue("Read_Multi_Plane_SLC", die=0, planes=(0, 1, 2), blocks=(0, 1, 2), page=0)
    assert prop.txn is not None, prop.reason
    read, *douts = prop.ops
    assert [d.spec.base.role.kind for d in douts] == ["dout"] * 3
    assert [d.planes for d in douts] == [(0,), (1,), (2,)]
    assert [d.blocks for d in douts] == [(0,), (1,), (2,)]
    assert all(d.page == 0 and d.celltype == "SLC" for d in douts)
    _assert_sequential(prop.ops, sim.cfg.policies.sequence_gap)
    assert sim.scheduler.metrics.rollbacks["exclusion_multi"] == 0


def test_t2_single_plane_read_gets_one_dout():
    sim = small_sim()
    _prepare(sim)
    prop = sim.issue("Read_SLC", die=0, planes=(1,), blocks=(1,), page=0)
    assert prop.txn is not None, prop.reason
    assert [o.spec.base.name for o in prop.ops] == ["READ", "DOUT"]
    _assert_sequential(prop.ops, sim.cfg.policies.sequence_gap)


def test_t3_read4k_is_followed_by_dout4k_per_plane():
    sim = small_sim(op_names={"4KB_Page_Read_Multi_Plane_SLC": {
        "base": "READ4K", "multi": True, "celltype": "SLC",
        "durations": {"ISSUE": 0.2, "CORE_BUSY": 18.0, "DATA_OUT": 1.0}}})
    _prepare(sim)
    prop = sim.issue("4KB_Page_Read_Multi_Plane_SLC", die=0, planes=(0, 2), blocks=(0, 2), page=0)
    assert prop.txn is not None, prop.reason
    assert [o.spec.base.name for o in prop.ops] == ["READ4K", "DOUT4K", "DOUT4K"]
    assert [o.planes for o in prop.ops[1:]] == [(0,), (2,)]
    _assert_sequential(prop.ops, sim.cfg.policies.sequence_gap)


def test_t4_window_bounds_the_first_op_only():
    sim = small_sim()
    _prepare(sim)
    # follow-ups land far outside the window (after the 25 us read) and are accepted
    prop = sim.issue("Read_Multi_Plane_SLC", die=0, planes=(0, 1), blocks=(0, 1), page=0,
                     window=True)
    assert prop.txn is not None, prop.reason
    window = sim.cfg.policies.admission_window
    assert prop.ops[0].start < sim.scheduler.now + window
    assert prop.ops[-1].start > sim.scheduler.now + window
    # a first op that cannot start inside the window is refused with reason "window"
    late = sim.issue("Read_SLC", die=0, planes=(2,), blocks=(2,), page=0, window=True)
    assert late.txn is None and late.reason == "window"


def test_split_dout_can_be_turned_off():
    # without the split a multi-plane READ needs a multi-plane DOUT op name, which
    # this config does not have: the batch is refused as a whole, never half-made
    sim = small_sim(policies={"split_dout_per_plane": False})
    _prepare(sim)
    prop = sim.issue("Read_Multi_Plane_SLC", die=0, planes=(0, 1), blocks=(0, 1), page=0)
    assert prop.txn is None and prop.reason == "no_candidate"
    assert not sim.rm.reserved


def test_same_plane_follow_up_samples_a_fresh_target_on_the_same_planes():
    sim = small_sim()
    for b in (0, 1, 2, 3, 6):
        erase_and_program(sim, 0, b, pages=2)
    prev = sim.issue("Read_SLC", die=0, planes=(2,), blocks=(2,), page=1, follow=False).ops[0]
    step = ("READ", ("same_plane", "same_celltype"), None)
    targets = set()
    for k in range(20):
        (op,) = build_followups(sim.proposer, step, prev, [prev], stream(3, k))
        assert op.planes == (2,) and op.blocks[0] in (2, 6)  # blocks of plane 2 only
        targets.add((op.blocks[0], op.page))
    assert len(targets) > 1  # sampled, not copied
