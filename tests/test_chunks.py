"""Checkpoint chunks (SPEC 5.3 item 5)."""
from __future__ import annotations

from helpers import small_sim


def _sim(partial):
    # an erase whose follow-up program inherits its page: the erase has none, so
    # the program (the second chunk) is refused by the EPR rules (epr:program_order)
    return small_sim(propose={"chunking": {"max_ops_per_chunk": 1,
                                           "allow_partial_success": partial}},
                     op_bases={"ERASE": {"sequence": {"probs": [{"PROGRAM_SLC": 1.0}],
                                                      "inherit": [{"PROGRAM_SLC": ["same_page"]}]}}})


def test_later_chunk_failure_keeps_the_first_chunk_when_partial_allowed():
    sim = _sim(partial=True)
    prop = sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,))
    assert prop.txn is not None
    assert [o.spec.base.name for o in prop.ops] == ["ERASE"]
    m = sim.scheduler.metrics
    assert m.ckpt_rollback_batches == 1 and m.ckpt_success_batches >= 1


def test_without_partial_success_the_whole_batch_rolls_back():
    sim = _sim(partial=False)
    prop = sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,))
    assert prop.txn is None and prop.reason == "epr:program_order"
    assert not sim.rm.reserved


def test_a_chunk_never_splits_a_read_from_its_douts():
    sim = small_sim(propose={"chunking": {"max_ops_per_chunk": 1, "allow_partial_success": True}})
    assert sim.issue("Block_Erase_Multi_Plane_SLC", die=0, planes=(0, 1, 2), blocks=(0, 1, 2)).txn
    sim.advance(4000)
    assert sim.issue("Page_Program_Multi_Plane_SLC", die=0, planes=(0, 1, 2), blocks=(0, 1, 2),
                     page=0).txn
    sim.advance(5000)
    prop = sim.issue("Read_Multi_Plane_SLC", die=0, planes=(0, 1, 2), blocks=(0, 1, 2), page=0)
    assert prop.txn is not None
    # no boundary before the last DOUT: the read and its three DOUTs are one chunk
    assert prop.chunker.chunks == 1 and len(prop.ops) == 4
