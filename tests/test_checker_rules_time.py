"""Checker: time order, bus / plane / die occupations, op-state exclusions and
status expectations, each with a valid twin."""
from __future__ import annotations

from test_checker_kit import (Op, check, describe, dout, erase, erased_and_programmed, flagged,
                              frames, kit_config, program, read)

from nandseqgen.checker import check_frames


def _sr(t, exp="ready", die=0, plane=0, name="Read_Status"):
    return Op(name, t, die, (plane,), exp_val=exp)


# ------------------------------------------------------------- time_order
def test_time_going_back_is_flagged():
    report = check([Op("ZQ_Cal", 2), _sr(1)])
    assert flagged(report, "time_order") == {2}, describe(report)


def test_seq_gap_and_off_grid_time_are_flagged():
    cfg = kit_config()
    seq, tl, st = frames([Op("ZQ_Cal", 0), _sr(2), Op("ZQ_Cal", 4)])
    assert check_frames(seq, tl, cfg, st).ok
    seq.loc[2, "seq"] = 5
    report = check_frames(seq, tl, cfg, st)
    assert flagged(report, "time_order") == {3}, describe(report)
    seq, tl, st = frames([Op("ZQ_Cal", 0), _sr(2.005)])
    report = check_frames(seq, tl, cfg, st)
    assert 2 in flagged(report, "time_order"), describe(report)


def test_ops_in_time_order_pass():
    assert check([Op("ZQ_Cal", 0), _sr(1), Op("ZQ_Cal", 1.5)]).ok


# -------------------------------------------------------------------- bus
def test_overlapping_bus_states_are_flagged():
    report = check([_sr(0), Op("ZQ_Cal", 0.2)])  # SR issue is [0, 0.5)
    assert flagged(report, "bus_overlap") == {2}, describe(report)


def test_back_to_back_bus_states_pass():
    assert check([_sr(0), Op("ZQ_Cal", 0.5)]).ok  # half-open: [0, 0.5) then [0.5, 1)


# ----------------------------------------------------------------- planes
def _two_reads(t2, plane2=0, name="Read_SLC"):
    ops = [erase(0, 0), erase(20, 1)]
    ops += [Op("Program_SLC", 40, 0, (0,), (0,), 0), Op("Program_SLC", 60, 0, (1,), (1,), 0)]
    ops += [read(100, 0, name=name), Op(name, t2, 0, (plane2,), (plane2,), 0)]
    ops += [dout(120, 0), Op("Dout", 125, 0, (plane2,), (plane2,), 0, celltype="SLC")]
    return ops


def test_two_reads_on_one_plane_overlapping_are_flagged():
    report = check(_two_reads(104))  # first read holds plane 0 for [100, 108)
    assert 6 in flagged(report, "plane_overlap"), describe(report)


def test_reads_on_one_plane_back_to_back_pass():
    report = check(_two_reads(108) [:6] + [dout(116, 0), read(118, 0), dout(126, 0)])
    assert report.ok, describe(report)


def test_instant_op_is_exempt_from_plane_occupancy():
    ops = erased_and_programmed(1) + [read(100), _sr(102, exp="busy"), dout(110)]
    assert check(ops).ok


def test_overlapping_op_state_segments_are_flagged():
    # an instant, state-affecting suspend with nothing to suspend lands on a busy plane
    ops = erased_and_programmed(1) + [read(100), Op("Erase_Suspend", 102), dout(110)]
    report = check(ops)
    assert 4 in flagged(report, "plane_overlap"), describe(report)


# -------------------------------------------------------- die multiplicity
def test_two_single_plane_reads_on_one_die_are_flagged():
    report = check(_two_reads(102, plane2=1))  # READ is not in single_single_allowed_bases
    assert flagged(report, "die_multiplicity") == {6}, describe(report)
    assert not flagged(report, "plane_overlap")


def test_two_plane_reads_on_one_die_pass():
    report = check(_two_reads(102, plane2=1, name="Plane_Read_SLC"))
    assert report.ok, describe(report)


def test_multi_plane_op_overlapping_a_single_plane_op_is_flagged():
    ops = [Op("Erase_SLC_2P", 0, 0, (0, 1), (0, 1)), Op("Program_SLC_2P", 20, 0, (0, 1), (0, 1), 0),
           Op("Plane_Read_SLC", 40, 0, (1,), (1,), 0),
           Op("Read_SLC_2P", 42, 0, (0,), (0,), 0)]  # a multi-plane name, here on one plane
    report = check(ops, states=False)
    assert flagged(report, "die_multiplicity") == {4}, describe(report)
    ops[3] = Op("Plane_Read_SLC", 42, 0, (0,), (0,), 0)
    assert not flagged(check(ops, states=False), "die_multiplicity")


# ------------------------------------------------------ op-state exclusion
def test_op_forbidden_in_the_current_state_is_flagged():
    report = check([erase(0), Op("ZQ_Cal", 5)])  # ERASE.CORE_BUSY forbids ZQCAL
    assert flagged(report, "op_state_exclusion") == {2}, describe(report)
    assert set(report.violations["rule"]) == {"op_state_exclusion"}


def test_op_at_the_exact_end_of_the_state_passes():
    assert check([erase(0), Op("ZQ_Cal", 11)]).ok  # at 11 the key is ERASE.END


def test_op_at_the_issue_to_core_busy_boundary_is_inside_core_busy():
    # semantics: a boundary between two states of one op counts as the later state
    report = check([erase(0), Op("ZQ_Cal", 1)])
    assert flagged(report, "op_state_exclusion") == {2}, describe(report)


def test_op_at_the_start_of_a_resumed_remainder_sees_the_previous_end():
    def ops(zq_at):
        return [Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer"), (23, 29, "resume")]),
                Op("Erase_Suspend", 5), Op("Erase_Resume", 20), Op("ZQ_Cal", zq_at)]
    assert check(ops(23)).ok  # the remainder starts a new segment after ERASE_RESUME: its END
    report = check(ops(24))
    assert flagged(report, "op_state_exclusion") == {4}, describe(report)


def test_phase_key_is_read_on_the_op_die_and_plane():
    assert check([erase(0, die=1), Op("ZQ_Cal", 5)]).ok  # die 1 busy, ZQ on die 0


# ----------------------------------------------------------------- exp_val
def test_status_read_with_a_wrong_expectation_is_flagged():
    report = check([erase(0), _sr(5, "ready")])
    assert flagged(report, "exp_val") == {2}, describe(report)


def test_status_read_expectations_pass():
    ops = [erase(0), _sr(5, "busy"), _sr(12, "ready"), program(20), read(100),
           _sr(103, "busy"), _sr(106.5, "extrdy"), dout(110), _sr(112.5, "ready")]
    report = check(ops)
    assert report.ok, describe(report)


def test_lun_status_read_looks_at_its_lun():
    ops = [erase(0, die=1), _sr(5, "busy", die=0, name="LUN_Status_Read_for_LUN1"),
           _sr(6, "ready", die=0)]
    assert check(ops).ok
    ops[1] = _sr(5, "ready", die=0, name="LUN_Status_Read_for_LUN1")
    assert flagged(check(ops), "exp_val") == {2}


def test_plane_read_first_status_read():
    ops = erased_and_programmed(1) + [
        Op("Plane_Read_SLC", 100, 0, (0,), (0,), 0), _sr(103, "busy", name="Read_Status_Enhanced_72h"),
        dout(110)]
    assert check(ops).ok
    ops[3] = _sr(103, "ready", name="Read_Status_Enhanced_72h")
    assert flagged(check(ops), "exp_val") == {4}


def test_suspend_is_judged_on_the_state_before_its_own_cut():
    # the suspend cuts the erase at 5; its exclusion check still sees ERASE.CORE_BUSY
    from test_checker_kit import CONFIG_YAML
    from nandseqgen.config import load_config_text
    strict = load_config_text(CONFIG_YAML.replace("on_erase: [ZQCAL]",
                                                  "on_erase: [ZQCAL, ERASE_SUSPEND]"))
    ops = [Op("Erase_SLC", 0, 0, (0,), (0,), pieces=[(0, 5, "proposer"), (23, 29, "resume")]),
           Op("Erase_Suspend", 5), Op("Erase_Resume", 20)]
    assert check(ops).ok
    report = check(ops, strict)
    assert flagged(report, "op_state_exclusion") == {2}, describe(report)
