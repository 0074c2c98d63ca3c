"""Checker: address rules (EPR) and multi-plane groups, each with a valid twin."""
from __future__ import annotations

from test_checker_kit import (Op, check, describe, dout, erase, erased_and_programmed, flagged,
                              program, read)


def _only(report, rule, uid):
    """``rule`` flags exactly op ``uid`` and no other rule fires."""
    assert flagged(report, rule) == {uid}, describe(report)
    assert set(report.violations["rule"]) == {rule}, describe(report)


# ------------------------------------------------------------------ erase
def test_erase_of_a_bad_block_is_flagged():
    report = check([erase(0, block=7)])  # die 0 block 7 is in bad_blocks
    _only(report, "epr_erase", 1)


def test_erase_of_a_good_block_passes():
    report = check([erase(0, block=5)])
    assert report.ok, describe(report)
    assert report.summary().set_index("rule").loc["epr_erase", "checked"] == 1


def test_block_address_op_on_a_bad_block_is_flagged_as_epr_erase():
    touch = Op("Touch", 0, 0, (1,), (7,))
    _only(check([touch]), "epr_erase", 1)
    assert check([Op("Touch", 0, 0, (1,), (5,))]).ok


# ---------------------------------------------------------------- program
def test_program_skipping_a_page_is_flagged():
    ops = [erase(0), program(20, page=1)]
    _only(check(ops), "epr_program", 2)


def test_program_of_the_same_page_twice_is_flagged():
    ops = [erase(0), program(20, page=0), program(40, page=0)]
    _only(check(ops), "epr_program", 3)


def test_program_of_a_never_erased_block_is_flagged():
    _only(check([program(0, block=3, page=0)]), "epr_program", 1)


def test_programs_in_page_order_pass():
    ops = [erase(0), program(20, page=0), program(40, page=1), program(60, page=2)]
    assert check(ops).ok


def test_erase_makes_pages_programmable_again():
    ops = [erase(0), program(20, page=0), erase(40), program(60, page=0)]
    assert check(ops).ok


def test_program_lands_only_after_the_erase_has_ended():
    # the erase ends at 11 us: a program starting at 11 sees it, one at 10.5 does not
    # (10.5 also overlaps the erase on the die, which is its own violation)
    assert check([erase(0), program(11, page=0)]).ok
    report = check([erase(0), program(10.5, page=0)])
    assert 2 in flagged(report, "epr_program"), describe(report)


# ------------------------------------------------------------------- read
def test_read_above_the_last_programmed_page_is_flagged():
    ops = erased_and_programmed(1) + [read(100, page=1), dout(110, page=1)]
    _only(check(ops), "epr_read", 3)


def test_read_of_an_erased_block_is_flagged():
    ops = [erase(0), read(20, page=0), dout(30, page=0)]
    _only(check(ops), "epr_read", 2)


def test_read_of_a_programmed_page_passes():
    ops = erased_and_programmed(2) + [read(100, page=0), dout(110), read(120, page=1),
                                      dout(130, page=1)]
    assert check(ops).ok


# --------------------------------------------------------------- celltype
def test_tlc_program_on_an_slc_erased_block_is_flagged():
    ops = [erase(0), program(20, page=0, name="Program_TLC")]
    _only(check(ops), "epr_celltype", 2)


def test_a0slc_program_on_an_slc_erased_block_passes():
    assert check([erase(0), program(20, page=0, name="Program_A0SLC")]).ok


def test_program_mode_must_stay_the_same_within_a_block():
    ops = [erase(0), program(20, page=0), program(40, page=1, name="Program_A0SLC")]
    _only(check(ops), "epr_celltype", 3)


def test_read_in_another_celltype_than_the_program_is_flagged():
    ops = erased_and_programmed(1) + [read(100, name="Read_TLC"), dout(110, celltype="TLC")]
    _only(check(ops), "epr_celltype", 3)


# -------------------------------------------------------- suspended block
def _suspended_erase(touch_block: int) -> list:
    """Erase of block 0 suspended at 5, a block op at 10, resumed at 20."""
    return [
        Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer"), (23, 29, "resume")]),
        Op("Erase_Suspend", 5),
        Op("Touch", 10, 0, (touch_block % 2,), (touch_block,)),
        Op("Erase_Resume", 20),
    ]


def test_op_on_the_block_of_a_suspended_erase_is_flagged():
    _only(check(_suspended_erase(0)), "epr_suspended_block", 3)


def test_op_on_another_block_during_a_suspend_passes():
    report = check(_suspended_erase(2))
    assert report.ok, describe(report)


def _suspended_program(read_page: int) -> list:
    """Program block 0 page 1 suspended at 45; a read at 50; resumed at 65."""
    return erased_and_programmed(1) + [
        Op("Program_SLC", 40, 0, (0,), (0,), 1, pieces=[(40, 45, "proposer"), (68, 74, "resume")]),
        Op("Program_Suspend", 45),
        read(50, page=read_page), dout(60, page=read_page),
        Op("Program_Resume", 65),
    ]


def test_reading_back_the_suspended_programs_page_passes():
    report = check(_suspended_program(1))  # page 1 is not programmed yet: read-back exception
    assert report.ok, describe(report)


def test_reading_another_page_of_a_suspended_program_block_is_flagged():
    report = check(_suspended_program(0))
    _only(report, "epr_suspended_block", 5)


# -------------------------------------------------------------- multiplane
def _two_plane(blocks: tuple, read_name: str = "Read_SLC_2P") -> list:
    return [
        Op("Erase_SLC_2P", 0, 0, (0, 1), (0, 1)),
        Op("Program_SLC_2P", 20, 0, (0, 1), (0, 1), 0),
        Op(read_name, 40, 0, (0, 1), blocks, 0),
        dout(50, 0, 0), Op("Dout", 60, 0, (1,), (1,), 0, celltype="SLC"),
    ]


def test_multiplane_group_in_one_row_passes():
    report = check(_two_plane((0, 1)))
    assert report.ok, describe(report)


def test_multiplane_blocks_in_different_rows_are_flagged():
    report = check(_two_plane((0, 3)))
    assert 3 in flagged(report, "multiplane_group"), describe(report)


def test_multiplane_block_on_the_wrong_plane_is_flagged():
    report = check(_two_plane((0, 2)))
    assert 3 in flagged(report, "multiplane_group"), describe(report)


def test_single_plane_op_with_two_planes_is_flagged():
    report = check(_two_plane((0, 1), read_name="Read_SLC"))
    assert flagged(report, "multiplane_group") == {3}, describe(report)


def test_page_outside_the_block_is_flagged():
    report = check([erase(0), program(20, page=4)])  # pages_per_block = 4
    assert 2 in flagged(report, "multiplane_group"), describe(report)
