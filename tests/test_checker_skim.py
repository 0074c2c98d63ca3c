"""Carried chunks read op_state_timeline lines without splitting them
(CsvStream.skim_before) and time cells without a memo lookup (values.plain_tick):
the same rows, times and cut positions as the csv path (docs/decisions.md 110-111)."""
from __future__ import annotations

import csv

import pytest

from nandseqgen.checker.csvstream import CsvStream, Fallback
from nandseqgen.checker.gather import segment_rows
from nandseqgen.checker.values import plain_tick, to_int, to_tick

HEADER = "start,end,die,plane,op_state,lane,op_name,duration\n"
LINES = [
    "0.00,0.42,0,0,ERASE.ISSUE,D0/P0,Erase,0.42\n",
    "0.42,9.00,0,0,ERASE.CORE_BUSY,D0/P0,Erase,8.58\n",
    "\n",  # a blank line: skipped by both paths
    '"1.50",2.00,0,1,"READ.ISSUE",D0/P1,Read,0.50\n',  # quoted cells: the csv module reads them
    '2.00,3.00,0,1,READ.CORE_BUSY,D0/P1,"Read, multi\nline",1.00\n',  # a cell across lines
    " 2.50,3.00,0,1,READ.END,D0/P1,Read,0.50\n",  # not a plain time
    "3.00,4.00,0,2,READ.ISSUE,D0/P2,Read,1.00\r\n",
    "12.5,13.00,0,2,READ.CORE_BUSY,D0/P2,Read,0.50\n",  # one decimal: read as the csv path does
    "120.00,130.00,0,3,PROGRAM.ISSUE,D0/P3,Program,10.00\n",
]


def _file(tmp_path, lines) -> str:
    path = tmp_path / "op_state_timeline_x.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8", newline="")
    return str(path)


def _parsed(rows: list) -> list:
    return [next(csv.reader((r,))) if isinstance(r, str) else r for r in rows]


@pytest.mark.parametrize("cuts", [(1, 250, 300, 1 << 62), (42, 43, 150, 12000, 12001, 1 << 62),
                                  (1 << 62,)])
def test_skimmed_rows_equal_the_split_rows_at_every_cut(tmp_path, cuts):
    path = _file(tmp_path, LINES)
    split, skim = CsvStream(path, "start"), CsvStream(path, "start")
    for t in cuts:
        a, b = [], []
        split.take_before(t, a)
        skim.skim_before(t, b)
        assert _parsed(b) == a
        assert skim.head == split.head
    assert any(isinstance(r, str) for r in _parsed_source(path))
    split.close()
    skim.close()


def _parsed_source(path: str) -> list:
    s = CsvStream(path, "start")
    out: list = []
    s.skim_before(1 << 62, out)
    s.close()
    return out


def test_a_line_without_time_falls_back_either_way(tmp_path):
    path = _file(tmp_path, LINES[:2] + ["x,1.00,0,0,ERASE.END,D0/P0,Erase,1.00\n"])
    for take in ("take_before", "skim_before"):
        s = CsvStream(path, "start")
        with pytest.raises(Fallback):
            getattr(s, take)(1 << 62, [])
        s.close()


class _Seg:
    def __init__(self, state, start, end):
        self.state, self.start, self.end = state, start, end


class _Rec:
    def __init__(self):
        self.die, self.occupied, self.name = 0, (0,), "Erase"
        self.base = type("B", (), {"affect_state": True, "name": "ERASE"})()


class _Run:
    rec = _Rec()

    def segs(self):
        return [_Seg("ISSUE", 0, 42), _Seg("CORE_BUSY", 42, 900)]


def test_segment_rows_split_the_kept_lines_of_suspended_ops(tmp_path):
    path = _file(tmp_path, LINES)
    split, skim = CsvStream(path, "start"), CsvStream(path, "start")
    a, b = [], []
    split.take_before(1 << 62, a)
    skim.skim_before(1 << 62, b)
    want = segment_rows(split, a, [_Run()])
    assert len(want) == 2 and segment_rows(skim, b, [_Run()]) == want


@pytest.mark.parametrize("cell", ["0.00", "1400.00", "123456789.01", "00.05", "-1.50", "1.5", " 1.00",
                                  "1.00 ", "١.٠٠", "1e3", "nan", "", "1_0.00", "+1.00"])
def test_plain_times_convert_as_before(cell):
    plain = plain_tick(cell)
    if plain is not None:
        assert plain == to_tick(cell) == round(float(cell) * 100)
    else:
        assert cell in ("-1.50", "1.5", " 1.00", "1.00 ", "١.٠٠", "1e3", "nan", "",
                        "1_0.00", "+1.00")
    try:
        want = to_tick(cell)
    except ValueError:
        return
    assert to_tick(cell) == want  # again: memoised or computed, the same value


@pytest.mark.parametrize("cell,want", [("0", 0), ("42", 42), ("-3", -3), ("", None),
                                       ("None", None), ("nan", None), ("7.0", 7), (" 5 ", 5),
                                       ("007", 7), ("12345678901234567890123", 12345678901234567890123)])
def test_integer_cells_convert_without_the_memo_as_with_it(cell, want):
    assert to_int(cell) == want
    assert to_int(cell) == want


def test_non_integral_cells_still_raise():
    for cell in ("7.5", "abc"):
        with pytest.raises(ValueError):
            to_int(cell)
