"""Checker: the check shared by several processes (nandseqgen/checker/parallel.py).

Worker 0 checks the first chunks, worker j carries the state up to the chunk
it claims and checks from there. The report (violations, their order, the
per-rule counts, the skipped rules) must be the single-process report of the
same chunks, wherever the workers' boundary falls: clean and corrupted runs,
an op suspended across the boundary with a violation in its resumed part,
an earlier run replayed as history, two and three workers; the carried
state equals the checked state at every cut; progress counts every worker's
rows; a worker's error reaches the caller (and the whole-file fallback).
"""
from __future__ import annotations

import glob
import os
import shutil

import pandas as pd
import pytest
from helpers import PROJECT_CONFIG, stretch_last_resume, two_run_dir
from test_checker_kit import describe

from nandseqgen.checker import check_dir, find_run_files, main, stream
from nandseqgen.checker.files import few_collections
from nandseqgen.checker.parallel import check_parallel
from nandseqgen.checker.report import Collector

CHUNK = 100


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, project_cfg):
    return two_run_dir(tmp_path_factory, project_cfg, "parallel", 60_000)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.violations, b.violations)
    assert a.checked == b.checked
    assert a.skipped == b.skipped


def _cuts(monkeypatch) -> list:
    """(chunk index, uids suspended at its start) of each inner cut of a check."""
    cuts, real = [], stream.next_state

    def spy(res, t):
        state = real(res, t)
        if t < 1 << 60:
            cuts.append((len(cuts) + 1, [m.rec.uid for f in state.frames for m in f.members]))
        return state
    monkeypatch.setattr(stream, "next_state", spy)
    return cuts


def _split(cfg, runs: list, splits: tuple):
    with few_collections():
        return check_parallel(cfg, runs, None, False, CHUNK, len(splits) + 1, splits)


def _edit(path: str, fn) -> None:
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(fn(lines)))


def test_every_boundary_gives_the_single_process_report(run_dir, project_cfg, monkeypatch):
    cuts = _cuts(monkeypatch)
    serial = check_dir(run_dir, project_cfg, 1, chunk_ops=CHUNK, jobs=1, history=False)
    monkeypatch.undo()
    assert serial.ok, describe(serial)
    assert len(cuts) >= 10
    runs = [find_run_files(run_dir, 1)]
    for index, _uids in cuts[::2] + [cuts[-1], (len(cuts), []), (len(cuts) + 1, [])]:
        _same(_split(project_cfg, runs, (index,)), serial)


def test_history_and_three_workers(run_dir, project_cfg):
    serial = check_dir(run_dir, project_cfg, 2, chunk_ops=CHUNK, jobs=1)
    assert serial.ok, describe(serial)
    runs = [find_run_files(run_dir, 1), find_run_files(run_dir, 2)]
    _same(_split(project_cfg, runs, (4, 9)), serial)
    _same(_split(project_cfg, runs, (1, 2)), serial)
    for jobs in (2, 3):  # boundaries claimed at run time
        _same(check_dir(run_dir, project_cfg, 2, chunk_ops=CHUNK, jobs=jobs), serial)


def _drop_ops(lines: list) -> list:
    """Without the first multi-plane erase after the first op (the programs of
    its blocks then break EPR far later), three ops mid-file and the data
    outputs of rows 900-1000 (reads whose latch is later lost by an erase or
    program, or never emptied)."""
    erase = next(i for i, ln in enumerate(lines) if i > 2 and ",Block_Erase_Multi_Plane" in ln)
    douts = {i for i, ln in enumerate(lines) if 900 <= i < 1000 and "_Data_Output" in ln}
    drop = {erase, 201, 701, 1301} | douts
    return [ln for i, ln in enumerate(lines) if i not in drop]


@pytest.fixture(scope="module")
def bad_dir(run_dir, project_cfg, tmp_path_factory):
    """Run 1 with violations (:func:`_drop_ops`, and the resumed part of an op
    suspended across a cut lasting 1 us more); (folder, that op's uid)."""
    mp = pytest.MonkeyPatch()
    cuts = _cuts(mp)
    check_dir(run_dir, project_cfg, 1, chunk_ops=CHUNK, jobs=1, history=False)
    mp.undo()
    index, uids = next((i, u) for i, u in cuts if u)
    bad = str(tmp_path_factory.mktemp("parallel_bad") / "bad")
    shutil.copytree(run_dir, bad)
    for name in glob.glob(os.path.join(bad, "*_0000002.csv")):
        os.remove(name)
    seq = glob.glob(os.path.join(bad, "operation_sequence_*_0000001.csv"))[0]
    _edit(seq, _drop_ops)
    _edit(glob.glob(os.path.join(bad, "operation_timeline_*_0000001.csv"))[0],
          stretch_last_resume(uids[0]))
    return bad, uids[0]


def test_violations_across_the_boundary(bad_dir, project_cfg, monkeypatch):
    bad, uid = bad_dir
    cuts = _cuts(monkeypatch)
    serial = check_dir(bad, project_cfg, 1, chunk_ops=CHUNK, jobs=1)
    monkeypatch.undo()
    assert not serial.ok
    assert uid in set(serial.violations["op_uid"].dropna()), describe(serial)
    assert {"time_order", "timeline_consistency", "epr_program", "exp_val", "read_latch_dout",
            "resume_time"} <= set(serial.violations["rule"]), describe(serial)
    runs = [find_run_files(bad, 1)]
    carried = [i for i, uids in cuts if uid in uids]
    assert carried, "the stretched op is not suspended across a cut: weak test"
    for index in range(1, len(cuts) + 1):  # every boundary
        _same(_split(project_cfg, runs, (index,)), serial)
    _same(_split(project_cfg, runs, (carried[0], len(cuts) - 1)), serial)
    _same(check_dir(bad, project_cfg, 1, chunk_ops=CHUNK, jobs=2), serial)


def test_command_line_jobs(bad_dir, project_cfg, capsys):
    bad, _uid = bad_dir
    args = [bad, "--config", str(PROJECT_CONFIG), "--no-progress", "--show", "50"]
    out = []
    for jobs in ("1", "2"):
        assert main(args + ["--jobs", jobs]) == 1
        out.append(capsys.readouterr().out)
    assert out[0] == out[1] and "FAIL" in out[0]
    assert main(args + ["--jobs", "0"]) == 2


def _digest(state) -> tuple:
    """Everything a start state holds, by value (ops by uid)."""
    def entries(table: dict) -> dict:
        return {k: {s: (e.since, e.celltype, e.enter_kind, e.uid) for s, e in v.items()}
                for k, v in table.items()}
    latches = {k: {kind: (e.since, e.setter and e.setter.rec.uid,
                          [r.rec.uid for r in e.readers], e.flagged) for kind, e in v.items()}
               for k, v in state.latches.items()}
    frames = [(f.axis, f.die, f.opened_by, f.opened_at,
               [(m.rec.uid, m.segs, m.remaining) for m in f.members]) for f in state.frames]
    return (state.time, state.cells, frames, latches, entries(state.cache_plane),
            entries(state.cache_die), state.odt, state.tails)


class _CarryOnly(stream.Plan):
    def take(self, index: int, rows_before: int) -> str:
        return "carry"


def test_carried_chunks_leave_the_checked_state(bad_dir, project_cfg, monkeypatch):
    """The state pass (:func:`carry_tables`) leaves at every cut the state the
    full check leaves: address book, latches with their reported marks,
    caches, ODT, suspended ops, op-state tails."""
    bad, _uid = bad_dir
    paths = find_run_files(bad, 1)
    states, real = [], stream.next_state
    monkeypatch.setattr(stream, "next_state",
                        lambda res, t: states.append(_digest(real(res, t))) or real(res, t))
    with few_collections():
        stream.check_file_set(project_cfg, paths, None, Collector(), CHUNK)
        checked, states[:] = list(states), []
        stream.check_file_set(project_cfg, paths, None, Collector(), CHUNK, _CarryOnly())
    assert len(checked) >= 10 and states == checked
    assert any(e[3] for d in checked for held in d[3].values() for e in held.values()), \
        "no read latch reported at a cut: weak test"


class _Bar:
    def __init__(self, total: int) -> None:
        self.total, self.n, self.closed = total, 0, False

    def update(self, n: int) -> None:
        self.n += n

    def close(self) -> None:
        self.closed = True


def test_progress_counts_every_worker_rows(run_dir, project_cfg, monkeypatch):
    from nandseqgen.checker import parallel
    bars: list = []
    monkeypatch.setattr(parallel, "shown", lambda progress: progress)
    monkeypatch.setattr(parallel, "progress_bar",
                        lambda total, desc, progress: bars.append(_Bar(total)) or bars[-1])
    report = check_parallel(project_cfg, [find_run_files(run_dir, 1)], None, True, CHUNK, 2, (5,))
    assert report.ok, describe(report)
    (bar,) = bars
    assert bar.closed and bar.n == bar.total == report.checked["time_order"] > 0


def test_a_file_that_cannot_be_cut_is_checked_whole_either_way(run_dir, project_cfg, tmp_path):
    """A timeline row without an end late in the file: the worker that meets
    it (carrying or checking) stops the chunked check, and the run is checked
    whole, as one process does."""
    part = str(tmp_path / "part")
    shutil.copytree(run_dir, part)
    for name in glob.glob(os.path.join(part, "*_0000002.csv")):
        os.remove(name)
    tl = glob.glob(os.path.join(part, "operation_timeline_*_0000001.csv"))[0]

    def no_end(lines):
        i = 9 * len(lines) // 10
        cells = lines[i].split(",")
        cells[1] = ""
        lines[i] = ",".join(cells)
        return lines
    _edit(tl, no_end)
    serial = check_dir(part, project_cfg, 1, chunk_ops=CHUNK, jobs=1)
    assert not serial.ok and serial.checked["time_order"] > 0
    _same(check_dir(part, project_cfg, 1, chunk_ops=CHUNK, jobs=2), serial)
    with pytest.raises(stream.Fallback):  # met by worker 1 only: raised here
        _split(project_cfg, [find_run_files(part, 1)], (2,))
