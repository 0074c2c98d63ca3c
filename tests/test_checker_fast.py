"""Checker speed paths (docs/decisions.md 86-89) report what the plain rules do:
violations judged once per distinct key land on every op with that key, and
the vectorised overlap pre-test never misses an overlap the pairwise sweep finds."""
from __future__ import annotations

import random

from test_checker_kit import Op, check, describe, dout, erased_and_programmed, flagged, frames
from test_checker_kit import kit_config, read

from nandseqgen.checker import check_frames
from nandseqgen.checker.state import spans_overlap
from nandseqgen.checker.values import to_int, to_tick


def _twice_read() -> list:
    return erased_and_programmed(2) + [read(100, 0, 1), dout(110, 0, 1),
                                       read(130, 0, 1), dout(140, 0, 1)]


def test_same_bad_payload_is_flagged_on_every_op_that_has_it():
    cfg = kit_config()
    seq, tl, st = frames(_twice_read(), cfg)
    assert check_frames(seq, tl, cfg, st).ok
    reads = seq.index[seq["op_name"] == "Read_SLC"]
    assert len(reads) == 2 and seq.loc[reads[0], "payload"] == seq.loc[reads[1], "payload"]
    for i in reads:
        seq.loc[i, "payload"] = seq.loc[i, "payload"].replace('"block":0', '"block":2')
    report = check_frames(seq, tl, cfg, st)
    v = report.violations
    got = v[v["rule"] == "payload"]
    assert flagged(report, "payload") == {int(seq.loc[i, "op_uid"]) for i in reads}, describe(report)
    assert sorted(got["time"]) == [100.0, 130.0], describe(report)  # each op's own location


def test_same_bad_multiplane_group_is_flagged_on_every_op_that_has_it():
    ops = erased_and_programmed(2) + [Op("Read_SLC", 100, 0, (0,), (1,), 1), dout(110, 0, 1),
                                      Op("Read_SLC", 130, 0, (0,), (1,), 1), dout(140, 0, 1)]
    report = check(ops)  # block 1 is on plane 1, read on plane 0: twice the same fault
    assert len(flagged(report, "multiplane_group")) == 2, describe(report)


def _pairwise(spans: list) -> bool:
    return any(a[0] < b[1] and b[0] < a[1] and a[1] > a[0] and b[1] > b[0]
               for i, a in enumerate(spans) for b in spans[i + 1:])


def test_overlap_pretest_finds_every_overlap_of_non_empty_spans():
    rng = random.Random(7)
    for _ in range(400):
        spans = []
        for _k in range(rng.randint(0, 7)):
            s = rng.randint(0, 30)
            spans.append((s, s + rng.choice([0, 1, 2, 5])))
        starts, ends = [s for s, _e in spans], [e for _s, e in spans]
        if _pairwise(spans):
            assert spans_overlap(starts, ends), spans


def test_overlap_pretest_passes_back_to_back_spans():
    assert not spans_overlap([0, 5, 10], [5, 10, 12])  # half-open spans, end = next start
    assert not spans_overlap([10, 0, 5], [12, 5, 10])  # in any order
    assert spans_overlap([0, 4], [5, 9])
    assert spans_overlap([3, 3], [4, 9])  # equal starts


def test_memoised_cell_conversions_agree_with_a_fresh_conversion():
    for text in ("0.00", "1400.00", "12.345", "0.185", "", "None", "3"):
        assert to_tick(text) == to_tick(text)  # second call comes from the memo
    assert to_tick("0.185") == 19 and to_tick("1400.00") == 140000 and to_tick("") is None
    assert to_int("17") == 17 and to_int("") is None
