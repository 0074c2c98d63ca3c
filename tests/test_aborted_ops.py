"""RESET during ERASE or PROGRAM: the engine's side of docs/semantics.md rule 16.

Each case builds the violating op after an abort and sees it refused with the
rule's reason, beside a valid twin that is accepted.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import FirstChoiceRng, erase_and_program, small_sim

from nandseqgen.address import sample
from nandseqgen.address.manager import ERASE_ABORTED, NOT_ABORTED, PROGRAM_ABORTED

SLC_ERASE, SLC_PROG, SLC_READ = "Block_Erase_SLC", "Page_Program_SLC", "Read_SLC"


def _ok(prop):
    assert prop.txn is not None, prop.reason
    return prop.ops


def _issue(sim, name, block, page=None, **kw):
    plane = block % sim.cfg.topology.planes
    return sim.issue(name, die=0, planes=(plane,), blocks=(block,), page=page, **kw)


def _reset_in_flight(sim, op, frac=0.5):
    """A Reset_LUN on op's die part-way through its CORE_BUSY; drained after."""
    name, s, e, _bus = op.segs[-1]
    at = (s + (e - s) * frac) / 100
    _ok(sim.issue("Reset_LUN", die=op.die, planes=(0,), at_us=at))
    sim.advance(at + 100)
    return at


# --------------------------------------------------------------- aborted erase
def test_aborted_erase_refuses_program_and_read_until_an_erase_completes():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=3)
    erase = _ok(_issue(sim, SLC_ERASE, 1))[0]
    _reset_in_flight(sim, erase)
    assert int(sim.am.abort[0, 1]) == ERASE_ABORTED  # committed at the RESET's start
    assert _issue(sim, SLC_PROG, 1, page=0).reason == "epr:erase_aborted"
    assert _issue(sim, SLC_READ, 1, page=0).reason == "epr:erase_aborted"  # old data is gone
    # valid twin: an erase may target it, and once it completes the block is usable
    _ok(_issue(sim, SLC_ERASE, 1))
    assert _issue(sim, SLC_PROG, 1, page=0).txn is not None  # future view: erase reserved
    sim.advance(sim.now_us + 4000)
    assert int(sim.am.abort[0, 1]) == NOT_ABORTED


def test_an_erase_that_completes_leaves_no_mark():
    sim = small_sim()
    erase = _ok(_issue(sim, SLC_ERASE, 1))[0]
    sim.advance(erase.end / 100 + 1)
    _ok(sim.issue("Reset_LUN", die=0, planes=(0,)))  # after the erase: aborts nothing
    sim.advance(sim.now_us + 100)
    assert int(sim.am.abort[0, 1]) == NOT_ABORTED
    assert _issue(sim, SLC_PROG, 1, page=0).txn is not None


def test_erase_suspended_then_dropped_by_reset_is_aborted():
    sim = small_sim()
    erase = _ok(_issue(sim, SLC_ERASE, 1))[0]
    sim.advance(erase.segs[-1][1] / 100 + 500)
    _ok(sim.issue("Erase_Suspend", die=0, planes=(0,), follow=False))
    sim.advance(sim.now_us + 200)
    _ok(sim.issue("Reset_LUN", die=0, planes=(0,)))
    sim.advance(sim.now_us + 100)
    assert int(sim.am.abort[0, 1]) == ERASE_ABORTED
    assert _issue(sim, SLC_PROG, 1, page=0).reason == "epr:erase_aborted"


def test_reset_of_the_other_die_leaves_the_erase_alone():
    sim = small_sim()
    erase = _ok(_issue(sim, SLC_ERASE, 1))[0]
    at = (erase.segs[-1][1] + 1000) / 100
    _ok(sim.issue("Reset_LUN", die=1, planes=(0,), at_us=at))
    sim.advance(erase.end / 100 + 1)
    assert int(sim.am.abort[0, 1]) == NOT_ABORTED and int(sim.am.state[0, 1]) == -1


# ------------------------------------------------------------- aborted program
def test_aborted_program_keeps_lower_pages_readable_and_refuses_more_programs():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=3)
    prog = _ok(_issue(sim, SLC_PROG, 1, page=3))[0]
    _reset_in_flight(sim, prog)
    assert int(sim.am.abort[0, 1]) == PROGRAM_ABORTED and int(sim.am.state[0, 1]) == 2
    assert _issue(sim, SLC_PROG, 1, page=3).reason == "epr:program_aborted"  # NOP = 1
    assert _issue(sim, SLC_PROG, 1, page=4).reason == "epr:program_aborted"
    assert _issue(sim, SLC_READ, 1, page=3).reason == "epr:program_aborted"  # the aborted page
    assert _issue(sim, SLC_READ, 1, page=2).txn is not None  # pages below: fine
    sim.advance(sim.now_us + 200)
    _ok(_issue(sim, SLC_ERASE, 1))
    sim.advance(sim.now_us + 4000)
    assert _issue(sim, SLC_PROG, 1, page=0).txn is not None


@pytest.mark.parametrize("name", ["One_Shot_PGM_LSB", "One_Shot_PGM_MSB_23h"])
def test_any_step_of_a_one_shot_chain_aborted_marks_the_block(name):
    sim = small_sim()
    _ok(_issue(sim, "Block_Erase_TLC", 1))
    sim.advance(4000)
    ops = _ok(_issue(sim, "One_Shot_PGM_LSB", 1, page=0))  # the whole chain is reserved
    step = next(o for o in ops if o.spec.name == name)  # LSB of page 0, or MSB of page 1
    _reset_in_flight(sim, step)
    last = step.page - 1  # the chain's earlier pages completed
    assert int(sim.am.abort[0, 1]) == PROGRAM_ABORTED and int(sim.am.state[0, 1]) == last
    assert _issue(sim, "One_Shot_PGM_LSB", 1, page=last + 1).reason == "epr:program_aborted"
    assert _issue(sim, "Read_LSB", 1, page=step.page).reason == "epr:program_aborted"
    if last >= 0:  # valid twin: a page the chain finished before the abort
        assert _issue(sim, "Read_LSB", 1, page=last).txn is not None


def test_reset_between_chain_steps_aborts_nothing():
    # docs/decisions.md 43: finished steps only loaded page buffers
    sim = small_sim()
    _ok(_issue(sim, "Block_Erase_TLC", 1))
    sim.advance(4000)
    ops = _ok(_issue(sim, "One_Shot_PGM_LSB", 1, page=0))
    lsb, nxt = ops[0], ops[1]
    assert nxt.start > lsb.end  # the sequence gap
    _ok(sim.issue("Reset_LUN", die=0, planes=(0,), at_us=lsb.end / 100))
    sim.advance(sim.now_us + 2000)
    assert int(sim.am.abort[0, 1]) == NOT_ABORTED and int(sim.am.state[0, 1]) == -1
    from nandseqgen.address import check_epr
    from nandseqgen.core.ops import Op
    again = Op(9999, sim.cfg.ops["One_Shot_PGM_LSB"], 0, (1,), (1,), 0, "TLC", source="manual")
    assert check_epr(sim.am, again) is None  # the word line was never written


def test_program_suspended_then_dropped_is_aborted_and_recovery_read_refused():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    prog = _ok(_issue(sim, SLC_PROG, 1, page=1))[0]
    sim.advance(prog.segs[-1][1] / 100 + 20)
    sus = _ok(sim.issue("Program_Suspend", die=0, planes=(0,), follow=False))[0]
    from nandseqgen.address import check_epr
    from nandseqgen.proposer.targets import build_followups
    steps = [(b, rules, None) for b, rules in sim.cfg.recipes["RECOVERY_RD.SEQ"].steps]
    rd = build_followups(sim.proposer, steps[0], sus, [sus], rng=FirstChoiceRng())[0]
    assert check_epr(sim.am, rd, allow_held=True) is None  # valid twin: while suspended
    rd.page = 0
    assert check_epr(sim.am, rd, allow_held=True) == "epr:recovery_page"  # not the held page
    rd.page = 1
    sim.advance(sim.now_us + 100)
    _ok(sim.issue("Reset_LUN", die=0, planes=(0,)))
    sim.advance(sim.now_us + 100)
    assert int(sim.am.abort[0, 1]) == PROGRAM_ABORTED
    assert check_epr(sim.am, rd, allow_held=True) == "epr:program_aborted"  # dropped: no read


def test_recovery_read_after_the_program_completed_is_an_ordinary_read():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    prog = _ok(_issue(sim, SLC_PROG, 1, page=1))[0]
    sim.advance(prog.end / 100 + 5)
    assert not sim.am.busy and int(sim.am.state[0, 1]) == 1
    assert _issue(sim, SLC_READ, 1, page=1, follow=False).txn is not None  # page 1 exists now
    assert _issue(sim, SLC_READ, 1, page=2).reason == "epr:read_unprogrammed"


# ----------------------------------------------------------- engine machinery
def test_sampling_skips_marked_blocks_for_program_and_read_but_erases_them():
    sim = small_sim()
    erase_and_program(sim, 0, 5, pages=0)  # another erased block of plane 1
    erase_and_program(sim, 0, 1, pages=2)
    prog = _ok(_issue(sim, SLC_PROG, 1, page=2))[0]
    _reset_in_flight(sim, prog)
    am = sim.am
    prog_blocks = {sample(am, "program", 0, 1, False, 1, "SLC", _Rotor(i))[1][0]
                   for i in range(40)}
    assert prog_blocks == {5}  # never the aborted block
    erase_blocks = {sample(am, "erase", 0, 1, False, 1, "SLC", _Rotor(i))[1][0]
                    for i in range(40)}
    assert 1 in erase_blocks
    got = sample(am, "read", 0, 1, False, 1, "SLC", _Rotor(0))
    assert got is not None and got[1] == (1,) and got[2] <= 1  # only pages below the abort


class _Rotor:
    def __init__(self, i):
        self.i = i

    def below(self, n):
        return self.i % n

    def random(self):
        return 0.0


def test_rolled_back_reset_leaves_no_mark():
    from nandseqgen.core.ops import Op
    from nandseqgen.resources import suspend
    sim = small_sim()
    erase = _ok(_issue(sim, SLC_ERASE, 1))[0]
    sim.advance(erase.segs[-1][1] / 100 + 500)
    rop = Op(999, sim.cfg.ops["Reset_LUN"], 0, (0,), None, None, "NONE", source="manual")
    txn = sim.rm.begin()
    suspend.reset(sim.rm, txn, rop, sim.scheduler.now)
    assert int(sim.am.f_abort[0, 1]) == ERASE_ABORTED and sim.am.marks
    sim.rm.rollback(txn)
    assert int(sim.am.f_abort[0, 1]) == NOT_ABORTED and not sim.am.marks
    assert erase.uid in sim.rm.reserved


def test_marks_survive_a_snapshot_and_count_in_bootstrap_progress(tmp_path):
    from nandseqgen.snapshot import load_snapshot, save_snapshot
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    erase_and_program(sim, 0, 2, pages=1)
    erase = _ok(_issue(sim, SLC_ERASE, 1))[0]
    _reset_in_flight(sim, erase)
    sim.run(50)  # a short run, so a snapshot can be taken after its drain
    path = save_snapshot(sim, str(tmp_path), "261130")
    back = load_snapshot(path, sim.cfg)
    assert np.array_equal(back.am.abort, sim.am.abort)
    assert int(back.am.f_abort[0, 1]) == int(sim.am.f_abort[0, 1])
    if int(sim.am.abort[0, 1]) == ERASE_ABORTED:  # unless the short run erased it again
        assert int(back.am.state[0, 1]) == -2  # counts as never erased (bootstrap volume)
