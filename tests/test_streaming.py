"""Streaming outputs (issue 10): the same bytes as in-memory runs, bounded
buffers, atomic files, lazy and windowed frames, Parquet, the progress bar."""
from __future__ import annotations

import filecmp
import io
import os
from functools import partial

import pandas as pd
import pytest
from helpers import PROJECT_CONFIG

import nandseqgen.outputs.stream as stream
import nandseqgen.simulation as simulation
from nandseqgen.cli import main
from nandseqgen.outputs.flat import OP_WIDTH, PROPOSAL_WIDTH, ROLLBACK_WIDTH, SEG_WIDTH
from nandseqgen.outputs.forkwrite import ChunkWriter
from nandseqgen.outputs.lazy import open_run
from nandseqgen.outputs.spill import RowSpill
from nandseqgen.simulation import Simulation

FRAMES = ("sequence", "operations", "op_states", "touches", "input_time", "proposals",
          "rollbacks")


def _csvs(folder) -> list:
    return sorted(n for n in os.listdir(folder) if n.endswith(".csv"))


def _same_files(a, b, names) -> None:
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == [] and len(match) == len(names) > 0


@pytest.fixture(scope="module")
def small_chunks():
    """Chunks of 150 rows: many flushes and forks in a short run."""
    old = stream.CHUNK
    stream.CHUNK = 150
    yield
    stream.CHUNK = old


@pytest.mark.parametrize("which,fork", [("project", True), ("reference", True),
                                        ("project", False)])
def test_streamed_run_writes_the_bytes_of_an_in_memory_run(which, fork, tmp_path, project_cfg,
                                                           reference_cfg, small_chunks,
                                                           monkeypatch):
    cfg = project_cfg if which == "project" else reference_cfg
    if not fork:
        monkeypatch.setattr(stream, "ChunkWriter", lambda sinks, fork: ChunkWriter(sinks, fork=False))
    until = 60_000 if which == "project" else 250_000  # a few thousand ops each
    mem = Simulation(cfg, seed=5, keep="memory").run(until)
    mem.write(str(tmp_path / "mem"), "261130")
    sim = Simulation(cfg, seed=5, keep="files", out_dir=tmp_path / "st", date="261130")
    st = sim.run(until)
    assert st.ops_issued == mem.ops_issued > 600
    assert sim.recorder.writer.chunks > 3  # really streamed
    for table in ("operation_sequence", "phase_proposal_counts"):
        assert len(sim.recorder.outs[table].index) > 3, table  # in many chunks
    assert sim.recorder.writer.fork is fork
    assert sim.recorder.writer.forks == (1 if fork else 0)  # one writer process for the run
    _same_files(tmp_path / "mem", tmp_path / "st", _csvs(tmp_path / "mem"))
    for name in FRAMES:  # lazily read frames equal the in-memory ones, dtypes included
        pd.testing.assert_frame_equal(getattr(mem, name), getattr(st, name), obj=name)


def test_buffers_stay_bounded_while_the_run_goes_on(project_cfg, tmp_path, small_chunks):
    sim = Simulation(project_cfg, seed=3, keep="files", out_dir=tmp_path)
    seen = {"seq": 0, "ops": 0, "segs": 0, "props": 0, "rb": 0}

    def probe(_tick):
        rec = sim.recorder
        for key, n in (("seq", rec.seq_buffered), ("ops", len(rec.op_rows) // OP_WIDTH),
                       ("segs", len(rec.seg_rows) // SEG_WIDTH),  # flat ints (flat.py)
                       ("props", len(rec.proposal_log) // PROPOSAL_WIDTH),
                       ("rb", len(rec.rollbacks) // ROLLBACK_WIDTH)):
            seen[key] = max(seen[key], n)
    res = sim.run(150_000, progress=probe)
    assert res.ops_issued > 6 * 150 * 2
    assert seen["seq"] <= 150 and seen["rb"] <= 150 and seen["props"] <= 4 * 150
    # timelines hold at most the rows of the last few ms (longest op) + the unpiece tail
    assert seen["ops"] <= 4096 + 2000 and seen["segs"] <= 4096 + 2000
    assert len(res.operations) > seen["ops"]


def test_windows_and_chunks_match_the_whole_frame(project_cfg, tmp_path, small_chunks):
    res = Simulation(project_cfg, seed=8, keep="files", out_dir=tmp_path).run(40_000)
    mem = Simulation(project_cfg, seed=8, keep="memory").run(40_000)
    for name, col in (("sequence", "time"), ("operations", "start"), ("op_states", "start"),
                      ("proposals", "propose_time")):
        whole = getattr(mem, name)
        want = whole[(whole[col] >= 12_000) & (whole[col] < 17_500)].reset_index(drop=True)
        assert len(want) > 50
        for r in (res, mem):
            got = r.read(name, start_us=12_000, end_us=17_500)
            pd.testing.assert_frame_equal(got, want, obj=name)
        chunks = list(res.iter_chunks(name, chunksize=97))
        assert max(len(c) for c in chunks) <= 97
        pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    cols = res.read("sequence", 0, 1_000, columns=["time", "op_name"])
    assert list(cols.columns) == ["time", "op_name"] and cols["time"].max() < 1_000
    assert res.read("operations", 10**9, 2 * 10**9).empty
    with pytest.raises(KeyError, match="unknown table"):
        res.read("nonsense")
    on_disk = open_run(str(tmp_path))  # e.g. a folder written by `nandseqgen run`
    pd.testing.assert_frame_equal(on_disk.proposals, mem.proposals)
    pd.testing.assert_frame_equal(on_disk.read("op_states", 12_000, 17_500),
                                  res.read("op_states", 12_000, 17_500))
    assert sum(len(c) for c in on_disk.iter_chunks("sequence", 1000)) == len(mem.sequence)
    with pytest.raises(FileNotFoundError, match="run 2"):
        open_run(str(tmp_path), run_index=2)


def test_parquet_beside_the_ate_csv(project_cfg, tmp_path):
    sim = Simulation(project_cfg, seed=4, keep="files", out_dir=tmp_path, format="parquet")
    res = sim.run(30_000)
    names = sorted(os.listdir(tmp_path))
    assert [n for n in names if n.endswith(".csv")] == ["operation_sequence_000000_0000001.csv"]
    assert len([n for n in names if n.endswith(".parquet")]) == 6
    mem = Simulation(project_cfg, seed=4, keep="memory").run(30_000)
    mem.write(str(tmp_path / "mem"), "000000", "both")
    _same_files(tmp_path, tmp_path / "mem", [n for n in names if not n.startswith(".")])
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(mem, name), getattr(res, name), obj=name)
    window = res.read("op_states", 5_000, 6_000)
    assert len(window) and window["start"].between(5_000, 6_000, inclusive="left").all()


def test_interrupted_run_leaves_no_file_behind(project_cfg, tmp_path, small_chunks):
    sim = Simulation(project_cfg, seed=6, keep="files", out_dir=tmp_path)
    ticks = []

    def stop(tick):
        ticks.append(tick)
        if len(ticks) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sim.run(200_000, progress=stop)
    assert os.listdir(tmp_path) == []  # no final file and no temp file


def test_proposal_cut_counts_keys_and_writes_them_once_final():
    state: dict = {}
    a, b, c = (3, 0, 0, "Read", "K", "K"), (5, 0, 1, "Erase", "K", "K"), (9, 0, 0, "Read", "K", "K")
    first = stream.proposal_cut(5, [a, a, b, b, c], state)  # keys before tick 5 are final
    assert first == [("K", "K", 0, 0, 0.03, "Read", 2)]
    second = stream.proposal_cut(stream.NEVER, [c], state)
    assert second == [("K", "K", 0, 1, 0.05, "Erase", 2), ("K", "K", 0, 0, 0.09, "Read", 2)]
    with pytest.raises(RuntimeError, match="arrived after its place was written"):
        stream.proposal_cut(10, [a], {"done_below": 5})


def _fail(_raw):
    raise ValueError("disk on fire")


def test_a_failing_writer_process_fails_the_run_and_leaves_no_file(project_cfg, tmp_path,
                                                                    small_chunks, monkeypatch,
                                                                    capfd):
    monkeypatch.setattr(stream, "seg_chunk", _fail)  # pickled by name: the child calls it
    sim = Simulation(project_cfg, seed=6, keep="files", out_dir=tmp_path)
    with pytest.raises(RuntimeError, match="output writer process failed"):
        sim.run(20_000)
    assert "disk on fire" in capfd.readouterr().err  # the child's traceback
    assert os.listdir(tmp_path) == []
    assert sim.recorder.writer.pid is None  # reaped


def test_timeline_cut_holds_rows_until_final_and_refuses_late_ones():
    state: dict = {}
    first = stream.timeline_cut(sorted, 10, [(12, "a"), (3, "b"), (9, "c")], state)
    assert first == [(3, "b"), (9, "c")] and state["held"] == [(12, "a")]
    second = stream.timeline_cut(sorted, 20, [(11, "d"), (25, "e")], state)
    assert second == [(11, "d"), (12, "a")] and state["held"] == [(25, "e")]
    with pytest.raises(RuntimeError, match="arrived after its place was written"):
        stream.timeline_cut(sorted, 30, [(19, "late")], state)
    assert stream.timeline_cut(sorted, stream.NEVER, [(26, "f")], {"held": [(25, "e")]}) == \
        [(25, "e"), (26, "f")]


class _FileOut:
    """The part of a TableOut a ChunkWriter uses, writing plain lines."""

    def __init__(self, path):
        self.path, self.noted = path, []

    def offset(self):
        return os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def write_rows(self, rows):
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{t},{v}\n" for t, v in rows))

    def first_time(self, rows):
        return rows[0][0] if rows else None

    def note(self, first, offset, n):
        self.noted.append((first, offset, n))

    def fds(self):  # nothing kept open: nothing for the writer to sync
        return []


def test_writer_process_writes_in_order_and_keeps_the_index(tmp_path):
    out = _FileOut(str(tmp_path / "t.csv"))
    writer = ChunkWriter({"t": out}, fork=True)
    writer.submit([("t", partial(stream.plain, sorted), [(7, "b"), (5, "a")])])
    writer.submit([("t", partial(stream.plain, list), [(9, "c")])])
    writer.close()
    assert (tmp_path / "t.csv").read_text() == "5,a\n7,b\n9,c\n"
    assert out.noted == [(5, 0, 2), (9, 8, 1)] and writer.forks == 1 and writer.pid is None


def test_more_chunks_than_may_be_in_flight_keep_order_and_offsets(tmp_path):
    """Decision 119: chunks go out while earlier ones are still being written,
    each memory file is reused only after its chunk was answered, and the
    index offsets come from the writer."""
    from nandseqgen.outputs.forkwrite import IN_FLIGHT
    out = _FileOut(str(tmp_path / "t.csv"))
    writer = ChunkWriter({"t": out}, fork=True)
    chunks = [[(10 * k + i, "x" * (k + 1)) for i in range(3 + k)] for k in range(3 * IN_FLIGHT)]
    for rows in chunks:
        writer.submit([("t", partial(stream.plain, list), rows)])
        assert writer.inflight <= IN_FLIGHT
    writer.close()
    lines = [f"{t},{v}\n" for rows in chunks for t, v in rows]
    assert (tmp_path / "t.csv").read_text() == "".join(lines)
    offsets, pos = [], 0
    for rows in chunks:
        offsets.append((rows[0][0], pos, len(rows)))
        pos += sum(len(f"{t},{v}\n") for t, v in rows)
    assert out.noted == offsets and writer.inflight == 0


def test_rows_marshal_would_turn_into_bytes_are_refused(tmp_path, capfd):
    """marshal writes a numpy integer as bytes: never silently into a file."""
    import numpy as np
    writer = ChunkWriter({"t": _FileOut(str(tmp_path / "t.csv"))}, fork=True)
    writer.submit([("t", partial(stream.plain, list), [(np.int64(5), "a")])])
    with pytest.raises(RuntimeError, match="output writer process failed"):
        writer.close()
    assert "numpy integer" in capfd.readouterr().err
    assert not (tmp_path / "t.csv").exists()
    spill = RowSpill()
    spill.add([(1, "x", None)])
    assert spill.read() == [(1, "x", None)]
    spill.add([(np.int64(2), "y", None)])
    with pytest.raises(TypeError, match="numpy integer"):
        spill.read()


def test_keep_auto_streams_long_runs_only(project_cfg, tmp_path, monkeypatch):
    monkeypatch.setattr(simulation, "AUTO_FILES_US", 5_000.0)
    sim = Simulation(project_cfg, seed=2, out_dir=tmp_path, date="261130")
    short, long_ = sim.run(4_000), sim.run(9_000)
    assert short.in_memory and not long_.in_memory
    written = long_.write(str(tmp_path), "261130")  # already there: nothing to copy
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in written.values())
    assert all(n.endswith("_0000002.csv") for n in os.listdir(tmp_path))
    with pytest.raises(ValueError, match="keep must be one of"):
        Simulation(project_cfg, keep="disk")
    with pytest.raises(ValueError, match="csv, parquet, both"):
        Simulation(project_cfg, format="xlsx")


def test_cli_multi_run_with_bootstrap_streams_what_memory_runs_write(tmp_path, project_cfg):
    argv = ["run", "--config", PROJECT_CONFIG, "--out", str(tmp_path / "cli"), "--run-until",
            "6000", "--seed", "12", "--date", "261130", "--no-progress", "--num-runs", "2",
            "--bootstrap", "--format", "both"]
    assert main(argv) == 0
    sim = Simulation(project_cfg, seed=12, keep="memory", bootstrap=True)
    for _ in range(2):
        sim.run(6_000).write(str(tmp_path / "mem"), "261130", "both")
    names = [n for n in os.listdir(tmp_path / "mem")]
    assert len(names) == 24
    _same_files(tmp_path / "cli", tmp_path / "mem", sorted(names))


def test_progress_bar_shows_ops_and_stays_quiet_in_a_log(project_cfg, monkeypatch):
    log = io.StringIO()  # not a terminal, like a redirected stderr
    monkeypatch.setattr("sys.stderr", log)
    res = Simulation(project_cfg, seed=1, keep="memory").run(60_000, progress=True)
    text = log.getvalue()
    assert res.ops_issued > 500
    assert "ops=" in text and "ops/s=" in text and "us" in text
    assert text.count("\r") <= 3  # first and last draw, not one per update


def test_a_run_without_rollback_rows_writes_the_same_files(project_cfg, tmp_path, small_chunks):
    """``rollback_log=False`` (the CLI's runs, decision 124): no row per
    rollback is kept, the counts by reason and every file stay the same."""
    runs = {}
    for log in (True, False):
        sim = Simulation(project_cfg, seed=9, keep="files", out_dir=tmp_path / str(log),
                         date="261130")
        sim.set_outputs(keep="files", out_dir=tmp_path / str(log), date="261130",
                        rollback_log=log)
        runs[log] = sim.run(60_000)
    kept, dropped = runs[True], runs[False]
    assert kept.metrics["rollbacks"] == dropped.metrics["rollbacks"]
    assert sum(kept.metrics["rollbacks"].values()) == len(kept.rollbacks) > 0
    assert len(dropped.rollbacks) == 0
    assert dropped.recorder.n_rollbacks == 0 and not dropped.recorder.core.rollbacks
    _same_files(tmp_path / "True", tmp_path / "False", _csvs(tmp_path / "True"))


def test_the_writer_syncs_its_files_in_the_background(tmp_path, monkeypatch):
    """Every few chunks the writer process hands its files to a thread that
    fdatasyncs them while it formats on (decision 125); a failing sync is
    left to the final fsync, which reports it."""
    from nandseqgen.outputs.syncer import Syncer
    synced = []
    monkeypatch.setattr(os, "fdatasync", lambda fd: synced.append(fd))
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    sync = Syncer([fd, 9999], every=3)
    for _ in range(2):
        sync.chunk_written()
    sync._idle.wait(5)
    assert sync.syncs == 0 and synced == []
    sync.chunk_written()
    sync._idle.wait(5)
    assert sync.syncs == 1 and synced == [fd, 9999]
    monkeypatch.setattr(os, "fdatasync", lambda fd: (_ for _ in ()).throw(OSError(5, "EIO")))
    for _ in range(3):
        sync.chunk_written()
    sync.stop()  # waits for the round in progress; the error is not raised here
    assert sync.syncs == 2 and not sync._thread.is_alive()
    os.close(fd)
