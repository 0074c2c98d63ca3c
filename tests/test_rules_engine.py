"""Every NAND rule of SPEC 3: a violating proposal is refused with the right
reason, and its valid twin is accepted."""
from __future__ import annotations

from helpers import erase_and_program, small_sim

from nandseqgen.core.ops import Op
from nandseqgen.resources import checks


def _refused(prop, reason, detail=None):
    assert prop.txn is None, f"expected refusal {reason}"
    assert prop.reason == reason, (prop.reason, prop.detail)
    if detail is not None:
        assert prop.detail == detail, prop.detail


def _ok(prop):
    assert prop.txn is not None, (prop.reason, prop.detail)
    return prop.ops


def test_rule1_erase_never_a_bad_block():
    sim = small_sim()
    _refused(sim.issue("Block_Erase_SLC", die=0, planes=(1,), blocks=(13,)), "epr:bad_block")
    _ok(sim.issue("Block_Erase_SLC", die=0, planes=(1,), blocks=(5,)))


def test_rule2_program_only_erased_blocks_in_page_order():
    sim = small_sim()
    _refused(sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=0),
             "epr:program_before_erase")
    erase_and_program(sim, 0, 1, pages=1)
    _refused(sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=2),
             "epr:program_order")
    _refused(sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=0),
             "epr:program_same_page")
    _ok(sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=1))


def test_rule3_cell_modes():
    sim = small_sim()
    assert sim.issue("Block_Erase_TLC", die=0, planes=(2,), blocks=(2,)).txn
    sim.advance(4000)
    _refused(sim.issue("Page_Program_SLC", die=0, planes=(2,), blocks=(2,), page=0), "epr:celltype")
    assert sim.issue("Block_Erase_SLC", die=0, planes=(3,), blocks=(3,)).txn
    sim.advance(8000)
    _ok(sim.issue("Page_Program_A0SLC", die=0, planes=(3,), blocks=(3,), page=0))
    sim.advance(8500)
    # the block's program mode is now A0SLC: SLC programs and reads are refused
    _refused(sim.issue("Page_Program_SLC", die=0, planes=(3,), blocks=(3,), page=1), "epr:celltype")
    _refused(sim.issue("Read_SLC", die=0, planes=(3,), blocks=(3,), page=0), "epr:celltype")
    _ok(sim.issue("Read_A0SLC", die=0, planes=(3,), blocks=(3,), page=0))


def test_rule4_read_only_programmed_pages_with_offset_guard():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=2)
    _refused(sim.issue("Read_SLC", die=0, planes=(1,), blocks=(1,), page=2), "epr:read_unprogrammed")
    _ok(sim.issue("Read_SLC", die=0, planes=(1,), blocks=(1,), page=1))
    guarded = small_sim(constraints={"epr": {"offset_guard": 1}})
    erase_and_program(guarded, 0, 1, pages=2)
    _refused(guarded.issue("Read_SLC", die=0, planes=(1,), blocks=(1,), page=1),
             "epr:read_unprogrammed")
    _ok(guarded.issue("Read_SLC", die=0, planes=(1,), blocks=(1,), page=0))


def test_rule5_multiplane_groups():
    sim = small_sim()
    name = "Block_Erase_Multi_Plane_SLC"
    _refused(sim.issue(name, die=0, planes=(1, 0), blocks=(1, 0)), "epr:multiplane_order")
    _refused(sim.issue(name, die=0, planes=(0, 1), blocks=(0, 5)), "epr:multiplane_row")
    _refused(sim.issue(name, die=0, planes=(0, 1), blocks=(1, 0)), "epr:block_plane")
    _ok(sim.issue(name, die=0, planes=(0, 1), blocks=(4, 5)))


def test_rule6_one_shot_commits_once_at_the_final_step():
    sim = small_sim()
    assert sim.issue("Block_Erase_TLC", die=0, planes=(0,), blocks=(0,)).txn
    sim.advance(4000)
    for step in ("One_Shot_PGM_LSB", "One_Shot_PGM_CSB"):
        _ok(sim.issue(step, die=0, planes=(0,), blocks=(0,), page=0, follow=False))
        sim.advance(sim.now_us + 100)
        assert int(sim.am.state[0, 0]) == -1 and int(sim.am.f_state[0, 0]) == -1
    _ok(sim.issue("One_Shot_PGM_MSB_23h", die=0, planes=(0,), blocks=(0,), page=0))
    assert int(sim.am.f_state[0, 0]) == 0  # future view: reserved
    assert int(sim.am.state[0, 0]) == -1  # committed only at OP_END
    sim.advance(sim.now_us + 2000)
    assert int(sim.am.state[0, 0]) == 0


def test_rule7_bus_segments_never_overlap():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    dout = _ok(sim.issue("Random_Data_Output", die=0, planes=(1,), blocks=(1,), page=0))[0]
    # the bus is busy for 8 us: a non-instant op on the other die cannot start in the window
    _refused(sim.issue("Set_Features", die=1, planes=(0,), window=True, follow=False),
             "window", "bus")
    sr = _ok(sim.issue("Read_Status_70h", die=1, planes=(0,), window=True))[0]
    assert sr.start >= dout.end  # instant ops ignore the window but still wait for the bus


def test_rule8_plane_reservations_never_overlap():
    sim = small_sim()
    erase_and_program(sim, 0, 0, pages=2)
    _ok(sim.issue("Plane_Level_Page_Read_SLC", die=0, planes=(0,), blocks=(0,), page=0, follow=False))
    _refused(sim.issue("Plane_Level_Page_Read_SLC", die=0, planes=(0,), blocks=(0,), page=1,
                       window=True, follow=False), "window", "planescope")


def test_rule9_die_multiplicity():
    sim = small_sim()
    for b in (0, 1, 2):
        erase_and_program(sim, 0, b, pages=1)
    # two plane-interleaved reads on different planes may overlap
    a = _ok(sim.issue("Plane_Level_Page_Read_SLC", die=0, planes=(0,), blocks=(0,), page=0,
                      follow=False))[0]
    b = _ok(sim.issue("Plane_Level_Page_Read_SLC", die=0, planes=(1,), blocks=(1,), page=0,
                      window=True, follow=False))[0]
    assert b.start < a.end
    # a plain single-plane READ is not in single_single_allowed_bases
    _refused(sim.issue("Read_SLC", die=0, planes=(2,), blocks=(2,), page=0, window=True,
                       follow=False), "window", "exclusion_multi")


def test_rule9_single_and_multi_never_overlap():
    sim = small_sim()
    assert sim.issue("Block_Erase_Multi_Plane_SLC", die=0, planes=(0, 1, 2), blocks=(0, 1, 2)).txn
    sim.advance(4000)
    assert sim.issue("Page_Program_Multi_Plane_SLC", die=0, planes=(0, 1, 2), blocks=(0, 1, 2),
                     page=0).txn
    sim.advance(5000)
    _ok(sim.issue("Read_Multi_Plane_SLC", die=0, planes=(0, 1), blocks=(0, 1), page=0, follow=False))
    _refused(sim.issue("Plane_Level_Page_Read_SLC", die=0, planes=(2,), blocks=(2,), page=0,
                       window=True, follow=False), "window", "exclusion_multi")


def test_rule10_op_state_exclusions():
    sim = small_sim(exclusion_groups={"on_erase": ["ZQCAL"]})
    erase = _ok(sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,)))[0]
    spec = sim.cfg.ops["ZQ_Calibration_Short"]
    op = Op(999, spec, 0, (0,))
    op.info = sim.rm.info(spec)
    op.res_planes = sim.rm.res_planes(op)
    busy_end = erase.segs[-1][2]
    reason, retry = checks.check_states(sim.rm, op, erase.start + 1000)
    assert reason == "state_forbid" and retry == busy_end
    assert checks.check_states(sim.rm, op, busy_end) is None  # ERASE.END allows it
    # an instant op goes now or not at all: inside CORE_BUSY (or at its first tick,
    # a boundary inside one op) it is refused, never pushed into a later state
    _refused(sim.issue("ZQ_Calibration_Short", die=0, planes=(0,), at_us=erase.start / 100 + 500),
             "state_forbid")
    _refused(sim.issue("ZQ_Calibration_Short", die=0, planes=(0,), at_us=erase.segs[1][1] / 100),
             "state_forbid")
    z = _ok(sim.issue("ZQ_Calibration_Short", die=0, planes=(0,), at_us=busy_end / 100))[0]
    assert z.start == busy_end


def test_rule11_read_latch_blocks_erase_until_dout():
    sim = small_sim()
    erase_and_program(sim, 0, 0, pages=1)
    _ok(sim.issue("Read_SLC", die=0, planes=(0,), blocks=(0,), page=0, follow=False))
    _refused(sim.issue("Block_Erase_SLC", die=0, planes=(1,), blocks=(1,)), "latch")
    _ok(sim.issue("Random_Data_Output", die=0, planes=(0,), blocks=(0,), page=0))
    _ok(sim.issue("Block_Erase_SLC", die=0, planes=(1,), blocks=(1,)))


def test_odt_disable_forbids_until_reenable():
    sim = small_sim()
    erase_and_program(sim, 0, 0, pages=1)
    _ok(sim.issue("ODT_Disable", die=1, planes=(0,)))
    _refused(sim.issue("Read_SLC", die=0, planes=(0,), blocks=(0,), page=0), "odt")
    _ok(sim.issue("ODT_Reenable", die=1, planes=(0,)))
    _ok(sim.issue("Read_SLC", die=0, planes=(0,), blocks=(0,), page=0))


def test_cache_read_keeps_its_cell_type():
    sim = small_sim()
    assert sim.issue("Block_Erase_TLC", die=0, planes=(0,), blocks=(4,)).txn
    sim.advance(4000)
    assert sim.issue("One_Shot_PGM_LSB", die=0, planes=(0,), blocks=(4,), page=0).txn
    sim.advance(8000)
    assert int(sim.am.state[0, 4]) >= 0  # one or two TLC pages, by the recipe drawn
    erase_and_program(sim, 0, 0, pages=3)
    _ok(sim.issue("Read_Cache_Random_SLC", die=0, planes=(0,), blocks=(0,), page=0, follow=False))
    # CACHE_READ.END forbids a plain READ (an op-state rule) ...
    _refused(sim.issue("Read_SLC", die=0, planes=(0,), blocks=(0,), page=1), "state_forbid")
    # ... and while ON_CACHE_READ(SLC) is on, a TLC cache read on that plane is refused
    _refused(sim.issue("Read_Cache_Random_LSB", die=0, planes=(0,), blocks=(4,), page=0,
                       follow=False), "cache")
    _ok(sim.issue("Read_Cache_Random_SLC", die=0, planes=(0,), blocks=(0,), page=1, follow=False))


def test_resume_without_suspend_is_refused():
    sim = small_sim()
    _refused(sim.issue("Erase_Resume", die=0, planes=(0,)), "suspend")
    _refused(sim.issue("Program_Resume", die=0, planes=(0,)), "suspend")
