"""Checker: latches, read-latch DOUT, cache, ODT, suspend state and order,
resumed time and RESET, each with a valid twin."""
from __future__ import annotations

from test_checker_kit import (Op, check, describe, dout, erase, erased_and_programmed, flagged,
                              program, read)


def _rules(report) -> set:
    return set(report.violations["rule"])


# ----------------------------------------------------------------- latch
def _tlc_steps() -> list:
    """SLC page 0 of block 0; TLC block 2 erased and its LSB step done (ends 66)."""
    return erased_and_programmed(1) + [erase(40, 2, name="Erase_TLC"),
                                       program(60, 2, 0, name="Oneshot_LSB")]


def test_read_while_the_lsb_latch_is_held_is_flagged():
    ops = _tlc_steps() + [read(70), dout(80), program(90, 2, 0, name="Oneshot_Exec_MSB")]
    report = check(ops)
    assert flagged(report, "latch") == {5}, describe(report)
    assert _rules(report) == {"latch"}


def test_read_after_the_final_step_released_the_latch_passes():
    ops = _tlc_steps() + [program(70, 2, 0, name="Oneshot_Exec_MSB"), read(90), dout(100)]
    report = check(ops)
    assert report.ok, describe(report)


def test_erase_before_the_dout_of_a_read_is_flagged_on_both_sides():
    ops = erased_and_programmed(1) + [read(100), erase(110, 2), dout(125)]
    report = check(ops)
    assert flagged(report, "latch") == {4}, describe(report)
    assert flagged(report, "read_latch_dout") == {3}, describe(report)


def test_erase_after_the_dout_passes():
    ops = erased_and_programmed(1) + [read(100), dout(110), erase(115, 2)]
    assert check(ops).ok


# -------------------------------------------------------- read_latch_dout
def test_read_never_followed_by_a_dout_is_flagged():
    report = check(erased_and_programmed(1) + [read(100)])
    assert flagged(report, "read_latch_dout") == {3}, describe(report)
    assert _rules(report) == {"read_latch_dout"}


def test_each_plane_of_a_multi_plane_read_needs_its_dout():
    ops = [Op("Erase_SLC_2P", 0, 0, (0, 1), (0, 1)), Op("Program_SLC_2P", 20, 0, (0, 1), (0, 1), 0),
           Op("Read_SLC_2P", 40, 0, (0, 1), (0, 1), 0), dout(50, 0, 0)]
    report = check(ops)
    assert flagged(report, "read_latch_dout") == {3}, describe(report)
    ops.append(Op("Dout", 60, 0, (1,), (1,), 0, celltype="SLC"))
    assert check(ops).ok


def test_copyback_program_consumes_the_read_latch():
    base = erased_and_programmed(1) + [erase(40, 2), read(100)]
    ok = check(base + [program(110, 2, 0, name="Copyback_Program_SLC")])
    assert ok.ok, describe(ok)
    bad = check(base + [program(110, 2, 0), dout(125)])
    assert flagged(bad, "read_latch_dout") == {4}, describe(bad)
    assert flagged(bad, "latch") == {5}


# ----------------------------------------------------------------- cache
def _cache_read_then(*ops) -> list:
    return erased_and_programmed(1) + [Op("Cache_Read_SLC", 100, 0, (0,), (0,), 0), dout(110),
                                       *ops]


def test_program_while_a_cache_read_is_on_is_flagged():
    report = check(_cache_read_then(program(120, 0, 1)))
    assert flagged(report, "cache") == {5}, describe(report)
    assert _rules(report) == {"cache"}


def test_program_after_the_cache_read_end_passes():
    report = check(_cache_read_then(Op("Cache_Read_End_SLC", 120, 0, (0,), (0,), 0), dout(130),
                                    program(140, 0, 1)))
    assert report.ok, describe(report)


def test_cache_read_of_another_celltype_is_flagged():
    tlc = [erase(40, 2, name="Erase_TLC"), program(60, 2, 0, name="Oneshot_LSB"),
           program(70, 2, 0, name="Oneshot_Exec_MSB")]
    ops = erased_and_programmed(1) + tlc + [Op("Cache_Read_SLC", 100, 0, (0,), (0,), 0), dout(110)]
    bad = check(ops + [Op("Cache_Read_TLC", 120, 0, (0,), (2,), 0), dout(130, 2, 0, celltype="TLC")])
    assert flagged(bad, "cache") == {8}, describe(bad)
    good = check(ops + [Op("Cache_Read_SLC", 120, 0, (0,), (0,), 0), dout(130)])
    assert good.ok, describe(good)


# ------------------------------------------------------------------- ODT
def test_read_while_odt_is_disabled_is_flagged():
    ops = erased_and_programmed(1) + [Op("ODT_Disable", 40, 1), read(50), dout(60),
                                      Op("ODT_Enable", 70, 1)]
    report = check(ops)
    assert flagged(report, "odt") == {4}, describe(report)
    assert _rules(report) == {"odt"}


def test_read_after_odt_enable_passes():
    ops = erased_and_programmed(1) + [Op("ODT_Disable", 40, 1), Op("ODT_Enable", 45, 1),
                                      read(50), dout(60)]
    assert check(ops).ok


# ---------------------------------------------------------- suspend state
def _suspended_erase(middle: Op, resume_at: float) -> list:
    end = resume_at + 3
    return [Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer"), (end, end + 6, "resume")]),
            Op("Erase_Suspend", 5), middle, Op("Erase_Resume", resume_at)]


def test_erase_while_an_erase_is_suspended_is_flagged():
    report = check(_suspended_erase(erase(10, 2), 25))
    assert flagged(report, "suspend_state") == {3}, describe(report)
    assert _rules(report) == {"suspend_state"}


def test_other_op_while_an_erase_is_suspended_passes():
    report = check(_suspended_erase(Op("Touch", 10, 0, (0,), (2,)), 20))
    assert report.ok, describe(report)


def test_resume_with_nothing_suspended_is_flagged():
    report = check([erase(0), Op("Erase_Resume", 20)])
    assert flagged(report, "suspend_state") == {2}, describe(report)
    assert flagged(report, "suspend_order") == {2}, describe(report)


# ---------------------------------------------------------- suspend order
def _nested(first_resume: str, second_resume: str) -> list:
    """Erase of block 2 suspended, then a program of block 0 suspended inside it."""
    return [
        erase(0),
        Op("Erase_SLC", 20, 0, (0,), (2,), pieces=[(20, 25, "proposer"), (53, 59, "resume")]),
        Op("Erase_Suspend", 25),
        Op("Program_SLC", 30, 0, (0,), (0,), 0, pieces=[(30, 35, "proposer"), (43, 49, "resume")]),
        Op("Program_Suspend", 35),
        Op(first_resume, 40), Op(second_resume, 50),
    ]


def test_nested_suspends_resumed_lifo_pass():
    report = check(_nested("Program_Resume", "Erase_Resume"))
    assert report.ok, describe(report)


def test_resume_out_of_lifo_order_is_flagged():
    report = check(_nested("Erase_Resume", "Program_Resume"), states=False)
    assert flagged(report, "suspend_order") == {6}, describe(report)


def test_erase_suspended_inside_a_program_suspend_is_flagged():
    ops = [erase(0),
           Op("Program_SLC", 20, 0, (0,), (0,), 0, pieces=[(20, 25, "proposer")]),
           Op("Program_Suspend", 25), erase(30, 2, 0),
           Op("Erase_Suspend", 35)]
    ops[3] = Op("Erase_SLC", 30, 0, (0,), (2,), pieces=[(30, 35, "proposer")])
    report = check(ops)
    assert flagged(report, "suspend_order") == {5}, describe(report)


def test_suspend_with_nothing_running_is_flagged():
    report = check([Op("Erase_Suspend", 5)])
    assert flagged(report, "suspend_order") == {1}, describe(report)


# ------------------------------------------------------------ resume time
def test_resumed_remainder_of_the_wrong_length_is_flagged():
    ops = _suspended_erase(Op("Touch", 10, 0, (0,), (2,)), 20)
    ops[0] = Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer"), (23, 30, "resume")])
    report = check(ops)
    assert flagged(report, "resume_time") == {1}, describe(report)
    assert flagged(report, "timeline_consistency") == {1}


def test_twice_suspended_erase_keeps_its_core_busy_time():
    ops = [Op("Erase_SLC", 0, 0, (0,), (0,),
              pieces=[(0, 3, "proposer"), (9, 13, "resume"), (19, 23, "resume")]),
           Op("Erase_Suspend", 3), Op("Erase_Resume", 6), Op("Erase_Suspend", 13),
           Op("Erase_Resume", 16)]
    report = check(ops)
    assert report.ok, describe(report)
    assert report.summary().set_index("rule").loc["resume_time", "checked"] == 1


# ------------------------------------------------------------------ reset
def test_reset_aborts_an_erase_so_a_program_after_it_is_flagged():
    ops = [Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer")]), Op("Reset", 5),
           program(20)]
    report = check(ops)
    assert flagged(report, "epr_program") == {3}, describe(report)
    assert check([erase(0), program(20)]).ok


def test_reset_lun_of_another_die_does_not_abort():
    ops = [erase(0), Op("Reset_LUN", 5, 1), program(20)]
    assert check(ops).ok


def test_reset_clears_the_read_latch():
    ops = erased_and_programmed(1) + [read(100), Op("Reset_LUN", 110)]
    report = check(ops)
    assert report.ok, describe(report)


def test_reset_drops_a_suspended_erase():
    ops = [Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer")]), Op("Erase_Suspend", 5),
           Op("Reset", 10), Op("Erase_Resume", 20)]
    report = check(ops)
    assert flagged(report, "suspend_order") == {4}, describe(report)
