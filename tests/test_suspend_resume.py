"""Suspend / resume / RESET (SPEC 5.5, seeds 002 and 004)."""
from __future__ import annotations

from helpers import FirstChoiceRng, erase_and_program, small_sim

from nandseqgen.events import OP_END


def _core(op_rows, uid):
    rows = [r for r in op_rows if r[9] == uid]
    return rows


def _erase(sim, die, block):
    plane = block % sim.cfg.topology.planes
    prop = sim.issue("Block_Erase_SLC", die=die, planes=(plane,), blocks=(block,))
    assert prop.txn is not None, prop.reason
    return prop.ops[0]


def _pending_end(sim, op):
    return [t for t, kind, payload in sim.scheduler.q.pending(OP_END) if payload is op]


def test_two_dies_suspended_in_turn_hand_over_exactly_their_uids():
    sim = small_sim()
    e0, e1 = _erase(sim, 0, 0), _erase(sim, 1, 0)
    sim.advance(1000)
    assert sim.issue("Erase_Suspend", die=0, planes=(0,)).txn is not None
    assert [o.uid for o in sim.rm.take_suspended()] == []  # consumed by the commit already
    assert sim.scheduler.metrics.suspends == 1
    assert _pending_end(sim, e0) == [] and len(_pending_end(sim, e1)) == 1
    assert sim.issue("Erase_Suspend", die=1, planes=(0,)).txn is not None
    assert sim.scheduler.metrics.suspends == 2
    assert _pending_end(sim, e1) == []
    assert [o.uid for o in sim.rm.suspended_ops(0)] == [e0.uid]
    assert [o.uid for o in sim.rm.suspended_ops(1)] == [e1.uid]


def test_consume_once_api():
    sim = small_sim()
    e0 = _erase(sim, 0, 0)
    sim.advance(500)
    txn = sim.rm.begin()
    from nandseqgen.core.ops import Op
    spec = sim.cfg.ops["Erase_Suspend"]
    sop = Op(sim._next_uid(), spec, 0, (0,))
    t, reason, _ = sim.rm.earliest_start(sop, sim.scheduler.now)
    assert sim.rm.place(txn, sop, t) is None
    sim.rm.commit(txn)
    assert [o.uid for o in sim.rm.take_suspended()] == [e0.uid]
    assert sim.rm.take_suspended() == []


def test_repeated_suspend_keeps_the_total_core_busy_time():
    sim = small_sim()
    erase = _erase(sim, 0, 0)
    core = [s for s in erase.segs if s[0] == "CORE_BUSY"][0]
    total = core[2] - core[1]
    t = 800
    for _ in range(3):
        sim.advance(t)
        assert sim.issue("Erase_Suspend", die=0, planes=(0,)).txn is not None
        sim.advance(t + 100)
        res = sim.issue("Erase_Resume", die=0, planes=(0,))
        assert res.txn is not None, res.reason
        assert len(_pending_end(sim, erase)) == 1  # resume re-registers OP_END
        t = erase.start / 100 + 500
    sim.advance(20_000)
    pieces = [r for r in sim.recorder.op_rows if r[9] == erase.uid]
    assert len(pieces) == 4
    assert [r[8] for r in pieces] == ["manual", "resume", "resume", "resume"]
    busy = sum(r[1] - r[0] for r in pieces) - erase.spec.states[0].ticks
    assert busy == total
    assert int(sim.am.state[0, 0]) == -1  # the erase completed exactly once
    assert sum(1 for r in sim.recorder.sequence if r[4] == erase.uid) == 1  # exported once


def test_cancelled_op_end_is_never_delivered():
    sim = small_sim()
    erase = _erase(sim, 0, 0)
    original_end = erase.end

    def pieces():  # (end, source) of the erase's recorded pieces; OP_END records one
        return [(r[1], r[8]) for r in sim.recorder.op_rows if r[9] == erase.uid]

    sim.advance(1000)
    assert sim.issue("Erase_Suspend", die=0, planes=(0,)).txn is not None
    assert [p for _t, _k, p in sim.scheduler.q.pending("OP_END") if p is erase] == []
    sim.advance(10_000)  # long after the original end
    assert len(pieces()) == 1 and pieces()[0][0] < original_end  # only the piece cut at the suspend
    assert int(sim.am.state[0, 0]) == -2  # the erase's OP_END never came
    assert sim.issue("Erase_Resume", die=0, planes=(0,)).txn is not None
    sim.advance(20_000)
    assert [s for _e, s in pieces()] == ["manual", "resume"] and int(sim.am.state[0, 0]) == -1


def test_nested_erase_then_program_suspend_resume_in_lifo_order():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    erase = _erase(sim, 0, 0)
    sim.advance(sim.now_us + 1000)
    assert sim.issue("Erase_Suspend", die=0, planes=(0,)).txn is not None
    sim.advance(sim.now_us + 100)
    # while the erase is suspended: no erase on the die, no op on its block
    assert sim.issue("Block_Erase_SLC", die=0, planes=(2,), blocks=(2,)).reason == "suspend"
    assert sim.issue("Read_SLC", die=0, planes=(0,), blocks=(0,), page=0).reason.startswith("epr")
    prog = sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=1)
    assert prog.txn is not None, prog.reason
    sim.advance(prog.ops[0].start / 100 + 50)
    assert sim.issue("Program_Suspend", die=0, planes=(0,), follow=False).txn is not None
    sim.advance(sim.now_us + 100)
    # reverse order is refused: the erase cannot resume while the program is suspended
    assert sim.issue("Erase_Resume", die=0, planes=(0,)).txn is None
    assert sim.issue("Program_Resume", die=0, planes=(0,)).txn is not None
    assert sim.issue("Erase_Resume", die=0, planes=(0,)).txn is not None
    sim.advance(sim.now_us + 10_000)
    assert int(sim.am.state[0, 1]) == 1 and int(sim.am.state[0, 0]) == -1
    assert not sim.rm.stack[0] and not sim.rm.reserved


def test_program_suspend_cannot_be_followed_by_an_erase_suspend():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    prog = sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=1)
    sim.advance(prog.ops[0].start / 100 + 50)
    assert sim.issue("Program_Suspend", die=0, planes=(0,), follow=False).txn is not None
    sim.advance(sim.now_us + 100)
    assert sim.issue("Erase_Suspend", die=0, planes=(0,)).txn is None


def test_later_same_axis_ops_go_to_the_backlog_and_run_after_resume():
    sim = small_sim()
    assert sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,)).txn
    sim.advance(4000)
    chain = sim.issue("Cache_Program_SLC", die=0, planes=(0,), blocks=(0,), page=0)
    assert [o.spec.base.name for o in chain.ops] == ["CACHE_PROGRAM_SLC"] * 2 + ["PROGRAM_SLC"]
    first = chain.ops[0]
    sim.advance(first.segs[1][1] / 100 + 10)  # inside the first CORE_BUSY
    assert sim.issue("Program_Suspend", die=0, planes=(0,), follow=False).txn is not None
    backlog = list(sim.scheduler.backlog[0])
    assert [o.uid for o in backlog] == [o.uid for o in chain.ops[1:]]
    assert all(o.uid not in sim.rm.reserved for o in backlog)
    sim.advance(sim.now_us + 100)
    assert sim.issue("Program_Resume", die=0, planes=(0,)).txn is not None
    sim.advance(sim.now_us + 5000)
    assert not sim.scheduler.backlog[0]
    assert int(sim.am.state[0, 0]) == 2  # pages 0, 1, 2 all programmed, in order
    starts = [r[1] for r in sim.recorder.sequence if r[4] in {o.uid for o in chain.ops}]
    assert starts == sorted(starts) and len(starts) == 3
    assert sim.scheduler.metrics.backlog_flush == 2


def test_recovery_read_reads_back_the_suspended_program():
    sim = small_sim()
    erase_and_program(sim, 0, 1, pages=1)
    prog = sim.issue("Page_Program_SLC", die=0, planes=(1,), blocks=(1,), page=1).ops[0]
    sim.advance(prog.segs[-1][1] / 100 + 20)
    sus = sim.issue("Program_Suspend", die=0, planes=(0,), follow=False)
    assert sus.txn is not None
    from nandseqgen.proposer.targets import build_followups
    steps = [(b, rules, None) for b, rules in sim.cfg.recipes["RECOVERY_RD.SEQ"].steps]
    ops = build_followups(sim.proposer, steps[0], sus.ops[0], [sus.ops[0]], rng=FirstChoiceRng())
    assert ops and ops[0].blocks == (1,) and ops[0].page == 1
    assert ops[0].celltype == "SLC"
    from nandseqgen.address import check_epr
    assert check_epr(sim.am, ops[0], allow_held=True) is None
    assert check_epr(sim.am, ops[0]) == "epr:suspended_block"


def test_reset_mid_suspend_drops_everything_on_the_die():
    sim = small_sim()
    erase = _erase(sim, 0, 0)
    other = _erase(sim, 1, 0)
    sim.advance(1000)
    assert sim.issue("Erase_Suspend", die=0, planes=(0,)).txn is not None
    sim.advance(1200)
    reset = sim.issue("Reset_LUN", die=0, planes=(0,))
    assert reset.txn is not None, reset.reason
    assert sim.rm.stack[0] == [] and not sim.am.busy
    assert not sim.rm.susp[0].active(sim.scheduler.now + 10)
    sim.advance(20_000)
    assert int(sim.am.state[0, 0]) == -2  # the dropped erase never took effect
    assert int(sim.am.state[1, 0]) == -1  # the other die is untouched
    assert sim.issue("Erase_Resume", die=0, planes=(0,)).txn is None
    assert erase.uid not in sim.rm.reserved and other.uid not in sim.rm.reserved


def test_suspend_heavy_overrides_make_many_pairs_and_keep_core_busy_time(tmp_path):
    from collections import defaultdict

    from helpers import PROJECT_CONFIG, ROOT

    from nandseqgen.config import load_config
    from nandseqgen.simulation import Simulation
    cfg = load_config(PROJECT_CONFIG, overrides=[f"{ROOT}/configs/suspend_heavy.yaml"])
    sim = Simulation(cfg, seed=1)
    result = sim.run(100_000)
    m = result.metrics
    assert m["suspends"] >= 100 and m["resumes"] >= 100
    seq = result.sequence
    suspends = seq[seq.op_name.isin(["Erase_Suspend", "Program_Suspend"])]
    dies = {__import__("json").loads(p)[0]["die"] for p in suspends.payload}
    assert dies == {0, 1}
    busy = defaultdict(int)
    first_plane = {}
    for start, end, die, plane, base, state, uid, _name in result.recorder.seg_rows:
        first_plane.setdefault(uid, (die, plane))
        if state == "CORE_BUSY" and first_plane[uid] == (die, plane):
            busy[uid] += end - start
    pieces = defaultdict(int)
    for row in result.recorder.op_rows:
        pieces[row[9]] += 1
    still_suspended = {o.uid for d in range(cfg.topology.dies) for o in sim.rm.suspended_ops(d)}
    resumed = [u for u, n in pieces.items() if n > 1 and u not in still_suspended]
    assert len(resumed) >= 50
    names = {r[4]: r[3] for r in result.recorder.sequence}
    for uid in resumed:
        spec = cfg.ops[names[uid]]
        want = sum(s.ticks for s in spec.states if s.name == "CORE_BUSY")
        assert busy[uid] == want, (uid, spec.name)


def test_override_file_errors_name_that_file(tmp_path):
    import pytest

    from helpers import PROJECT_CONFIG

    from nandseqgen.config import ConfigError, load_config
    bad = tmp_path / "ov.yaml"
    bad.write_text("policies:\n  sequence_gap: lots\n")
    with pytest.raises(ConfigError) as err:
        load_config(PROJECT_CONFIG, overrides=[str(bad)])
    (e,) = err.value.errors
    assert e.source == str(bad) and e.line == 2 and e.path == "policies.sequence_gap"


def test_resumed_remainder_keeps_its_state_names_in_the_timeline():
    # regression: the remainder's segments were keyed from the op's first states
    sim = small_sim()
    assert sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,)).txn
    sim.advance(4000)
    op = sim.issue("Cache_Program_SLC", die=0, planes=(0,), blocks=(0,), page=0).ops[0]
    sim.advance(op.segs[1][1] / 100 + 10)
    assert sim.issue("Program_Suspend", die=0, planes=(0,), follow=False).txn is not None
    sim.advance(sim.now_us + 100)
    assert sim.issue("Program_Resume", die=0, planes=(0,)).txn is not None
    (core, data_in) = [s for s in op.segs]
    assert (core[0], data_in[0]) == ("CORE_BUSY", "DATA_IN")
    assert sim.rm.phase_key_at(0, 0, core[1] + 1) == "CACHE_PROGRAM_SLC.CORE_BUSY"
    assert sim.rm.phase_key_at(0, 0, data_in[1] + 1) == "CACHE_PROGRAM_SLC.DATA_IN"


def _program_suspended_ahead_of_its_start():
    """A program reserved at 5000 us and a suspend committed (now = 4000 us) at
    its CORE_BUSY start, before its OP_START has run."""
    sim = small_sim()
    assert sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,)).txn
    sim.advance(4000)
    prog = sim.issue("Page_Program_SLC", die=0, planes=(0,), blocks=(0,), page=0,
                     at_us=5000).ops[0]
    core_start = prog.segs[-1][1] / 100
    sus = sim.issue("Program_Suspend", die=0, planes=(0,), follow=False, at_us=core_start)
    assert sus.txn is not None and sim.rm.suspended_ops(0) == [prog]
    return sim, prog, core_start


def test_reset_keeps_the_issue_of_a_program_suspended_before_it_started():
    # regression: the program did issue before the RESET, so it stays in the ATE file
    sim, prog, core_start = _program_suspended_ahead_of_its_start()
    assert sim.issue("Reset_LUN", die=0, planes=(0,), at_us=core_start + 1).txn is not None
    sim.advance(10_000)
    assert [r[4] for r in sim.recorder.sequence].count(prog.uid) == 1
    assert int(sim.am.state[0, 0]) == -1  # aborted: page 0 never programmed


def test_reset_before_a_suspended_op_started_drops_it_entirely():
    # regression (found by the property test): the RESET lands before the
    # program's start, so the program never issues at all
    sim, prog, _ = _program_suspended_ahead_of_its_start()
    assert sim.issue("Reset_LUN", die=0, planes=(0,), at_us=4500).txn is not None
    sim.advance(10_000)
    assert prog.uid not in [r[4] for r in sim.recorder.sequence]
    assert prog.uid not in [r[9] for r in sim.recorder.op_rows]
    assert int(sim.am.state[0, 0]) == -1 and not sim.rm.stack[0]
