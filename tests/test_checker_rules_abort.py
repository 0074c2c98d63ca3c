"""Checker: ops aborted by RESET / RESET_LUN (docs/semantics.md "reset", issue 9).

An aborted (or suspended-then-dropped) erase leaves its blocks unusable until a
later erase completes: no program, no read. An aborted program-family op
leaves its blocks closed to programs until a completed erase; pages below
the aborted page stay readable. Each rule has a violating case and a twin.
"""
from __future__ import annotations

from test_checker_kit import (Op, check, describe, dout, erase, erased_and_programmed, flagged,
                              program, read)


def _only(report, rule, uids):
    assert flagged(report, rule) == set(uids), describe(report)
    assert set(report.violations["rule"]) == {rule}, describe(report)


def _cut(name, t, stop, block=0, page=None, die=0):
    """``name`` on ``block`` issued at ``t`` and cut by a reset at ``stop``."""
    return Op(name, t, die, (block % 2,), (block,), page, pieces=[(t, stop, "proposer")])


# ------------------------------------------------------------ aborted erase
def _aborted_erase(reset="Reset_LUN", reset_die=0) -> list:
    """Block 0: erased, page 0 programmed (ends 31); erase at 100 cut at 105."""
    return erased_and_programmed(1) + [_cut("Erase_SLC", 100, 105), Op(reset, 105, reset_die)]


def test_program_after_an_aborted_erase_is_flagged():
    _only(check(_aborted_erase() + [program(120, page=1)]), "epr_program", {5})


def test_program_after_a_reset_that_aborted_nothing_passes():
    ops = erased_and_programmed(1) + [Op("Reset_LUN", 105)] + [program(120, page=1)]
    assert check(ops).ok, describe(check(ops))


def test_read_after_an_aborted_erase_is_flagged():
    ops = _aborted_erase("Reset") + [read(120, page=0), dout(130, page=0)]
    _only(check(ops), "epr_read", {5})


def test_read_after_a_reset_of_another_die_passes():
    ops = erased_and_programmed(1) + [_cut("Erase_SLC", 100, 105, block=2, die=1),
                                      Op("Reset_LUN", 105, 1), read(120, page=0),
                                      dout(130, page=0)]
    assert check(ops).ok, describe(check(ops))


def test_aborted_erase_of_an_erased_block_still_blocks_programs():
    ops = [erase(0), _cut("Erase_SLC", 20, 25), Op("Reset_LUN", 25), program(40, page=0)]
    _only(check(ops), "epr_program", {4})


def test_a_completed_erase_after_the_abort_reopens_the_block():
    ops = _aborted_erase() + [erase(120), program(140, page=0), read(160, page=0),
                              dout(170, page=0)]
    report = check(ops)
    assert report.ok, describe(report)


def test_suspended_erase_dropped_by_a_reset_blocks_programs():
    ops = erased_and_programmed(1) + [
        Op("Erase_SLC", 100, 0, (0,), (0,), pieces=[(100, 105, "proposer")]),
        Op("Erase_Suspend", 105), Op("Reset_LUN", 110), program(120, page=1)]
    _only(check(ops), "epr_program", {6})


# ---------------------------------------------------------- aborted program
def _aborted_program(name="Program_SLC") -> list:
    """Block 0 page 0 programmed; page 1 (``name``) at 40 cut at 45 by RESET_LUN."""
    return erased_and_programmed(1) + [_cut(name, 40, 45, page=1), Op("Reset_LUN", 45)]


def test_program_of_the_aborted_page_again_is_flagged():
    _only(check(_aborted_program() + [program(60, page=1)]), "epr_program", {5})


def test_program_of_the_next_page_after_an_aborted_program_is_flagged():
    _only(check(_aborted_program() + [program(60, page=2)]), "epr_program", {5})


def test_page_below_an_aborted_program_stays_readable():
    report = check(_aborted_program() + [read(60, page=0), dout(70, page=0)])
    assert report.ok, describe(report)


def test_the_aborted_page_is_never_read():
    _only(check(_aborted_program() + [read(60, page=1), dout(70, page=1)]), "epr_read", {5})


def test_aborted_copyback_program_blocks_programs():
    ops = _aborted_program("Copyback_Program_SLC") + [program(60, page=1)]
    _only(check(ops), "epr_program", {5})


def test_erase_after_an_aborted_program_reopens_the_block():
    ops = _aborted_program() + [erase(60), program(80, page=0)]
    assert check(ops).ok, describe(check(ops))


def _aborted_lsb(then: list) -> list:
    """TLC block 2 erased; its one-shot LSB step of page 0 cut by a RESET."""
    return [erase(0, 2, name="Erase_TLC"), _cut("Oneshot_LSB", 20, 23, block=2, page=0),
            Op("Reset", 23)] + then


def test_aborted_one_shot_step_blocks_the_chain():
    ops = _aborted_lsb([program(40, 2, 0, name="Oneshot_LSB")])
    _only(check(ops), "epr_program", {4})


def test_one_shot_step_after_a_new_erase_passes():
    ops = _aborted_lsb([erase(40, 2, name="Erase_TLC"), program(60, 2, 0, name="Oneshot_LSB")])
    assert check(ops).ok, describe(check(ops))


def _allwl(pieces=None) -> list:
    return [erase(0), Op("AllWL_Program_SLC", 20, 0, (0,), (0,), None, pieces=pieces)]


def test_no_page_of_an_aborted_all_wl_program_is_read():
    ops = _allwl([(20, 25, "proposer")]) + [Op("Reset_LUN", 25), read(40, page=0),
                                            dout(50, page=0)]
    _only(check(ops), "epr_read", {4})


def test_pages_of_a_completed_all_wl_program_are_read():
    ops = _allwl() + [read(40, page=3), dout(50, page=3)]
    assert check(ops).ok, describe(check(ops))


# ------------------------------------------------- recovery read (read-back)
def _suspended_program_then(reset: bool) -> list:
    """Page 1 suspended at 45; a RESET_LUN at 48 drops it (when ``reset``);
    a read of page 1 at 50."""
    tail = [Op("Reset_LUN", 48)] if reset else []
    prog = Op("Program_SLC", 40, 0, (0,), (0,), 1, pieces=[(40, 45, "proposer")]
              + ([] if reset else [(68, 74, "resume")]))
    ops = erased_and_programmed(1) + [prog, Op("Program_Suspend", 45)] + tail
    ops += [read(50, page=1), dout(60, page=1)]
    return ops + ([] if reset else [Op("Program_Resume", 65)])


def test_read_back_of_a_dropped_programs_page_is_flagged():
    report = check(_suspended_program_then(reset=True))
    _only(report, "epr_read", {6})


def test_read_back_while_the_program_is_suspended_passes():
    report = check(_suspended_program_then(reset=False))
    assert report.ok, describe(report)


def test_read_back_after_the_program_completed_is_a_plain_read():
    ops = erased_and_programmed(1) + [
        Op("Program_SLC", 40, 0, (0,), (0,), 1, pieces=[(40, 45, "proposer"), (51, 57, "resume")]),
        Op("Program_Suspend", 45), Op("Program_Resume", 48), read(60, page=1), dout(70, page=1)]
    report = check(ops)
    assert report.ok, describe(report)
