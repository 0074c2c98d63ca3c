"""The streaming hand-over. Flat rows (docs/decisions.md 115): the streaming
recorder keeps issued ops, pieces, segments and proposals as runs of ints with
interned names; the writer's decoders give back exactly the rows the
in-memory recorder keeps. Hashes made while writing (117)."""
from __future__ import annotations

import json
import marshal
import os

import pytest

from nandseqgen.core.ops import Op
from nandseqgen.outputs.flat import (OP_WIDTH, PROPOSAL_WIDTH, SEG_WIDTH, from_flat,
                                     ops_from_flat, proposals_from_flat, rollbacks_from_flat,
                                     seg_from_flat, sequence_from_flat)
from nandseqgen.outputs.recorder import Recorder
from nandseqgen.outputs.spill import dumps_flat, loads_rows


def _pair(cfg):
    tuples, flat = Recorder(cfg), Recorder(cfg)
    flat.flat = True
    flat.proposal_log = []
    return tuples, flat


def _ops(cfg) -> list:
    multi = next(s for s in cfg.ops.values() if s.multi)
    single = next(s for s in cfg.ops.values() if not s.multi)
    out = []
    for uid in range(1, 40):
        spec = multi if uid % 3 == 0 else single
        planes = (0, 1) if spec.multi else (uid % 2,)
        blocks = tuple(7 + p for p in planes) if uid % 4 else None
        op = Op(uid, spec, 0, planes, blocks, uid if uid % 5 else None)
        op.phase_key = ("A.X", "B.Y") if len(planes) == 2 and uid % 2 else "DEFAULT"
        out.append(op)
    return out


def test_pieces_and_unpiece_match_the_tuple_rows(project_cfg):
    tuples, flat = _pair(project_cfg)
    ops = _ops(project_cfg)
    for rec in (tuples, flat):
        for i, op in enumerate(ops):
            rec.piece(op, 100 * i, 100 * i + 50, "proposer" if i % 2 else "manual")
            rec.piece(op, 5, 5, "proposer")  # zero length: nothing
        for op in ops[-8::3] + ops[:2]:  # the newest rows, and rows below the lookback
            rec.unpiece(op, lookback=30)
    assert len(flat.op_rows) % OP_WIDTH == 0
    names = list(flat.ids)
    assert ops_from_flat(flat.op_rows, names) == tuples.op_rows
    assert {r[9] for r in tuples.op_rows} >= {1, 2}  # below the lookback: kept
    assert not {r[9] for r in tuples.op_rows} & {op.uid for op in ops[-8::3]}


def test_issued_ops_match_the_tuple_rows(project_cfg):
    tuples, flat = _pair(project_cfg)
    ops = _ops(project_cfg)
    for i, op in enumerate(ops):
        op.start, op.exp_val = 1000 + 10 * i, ("0xE0" if i % 3 else None)
    for rec in (tuples, flat):
        for op in ops:
            rec.started(op)
    assert flat.seq_buffered == len(tuples.sequence) == len(ops) == flat.n_sequence
    got = sequence_from_flat(flat.sequence, list(flat.ids))
    assert got == tuples.sequence
    assert {r[5][3] for r in got} >= {None, (7,), (7, 8)}  # no blocks, one, two
    assert flat.touch == tuples.touch and flat.last_start == tuples.last_start


def test_segments_and_proposals_match_the_tuple_rows(project_cfg):
    tuples, flat = _pair(project_cfg)
    for rec in (tuples, flat):
        for i in range(25):
            rec.segment(i % 2, i % 4, (10 * i, 10 * i + 7, f"B{i % 3}", "CORE_BUSY", i, f"op{i % 5}"))
            rec.proposal(10 * i, 0, i % 4, ("K", i % 2), f"K{i % 3}", f"op{i % 5}")
            rec.rollback(10 * i, 0, i % 4, f"K{i % 3}", None if i % 4 else f"op{i % 5}",
                         None if i % 4 else f"B{i % 3}", "window", None if i % 2 else "busy")
    names = list(flat.ids)
    assert len(flat.seg_rows) == 25 * SEG_WIDTH and flat.seg_end == tuples.seg_end == 247
    assert seg_from_flat(flat.seg_rows, names) == tuples.seg_rows
    assert len(flat.proposal_log) == 25 * PROPOSAL_WIDTH
    assert sorted(proposals_from_flat(flat.proposal_log, names)) == sorted(tuples.proposals)
    assert flat.new_names == names  # every name queued for the writer once, in id order
    assert rollbacks_from_flat(flat.rollbacks, names) == tuples.rollbacks
    assert all(type(v) is int for v in flat.seg_rows + flat.proposal_log + flat.rollbacks)


def test_flat_chunks_round_trip_and_refuse_bytes():
    codec, data = dumps_flat([1, None, 2 ** 40, -1])
    assert loads_rows(codec, data) == [1, None, 2 ** 40, -1]
    packed = [1, 2, (1 << 16) | 3, 9, (0 << 42) | (1 << 21) | 2]  # die 1, plane 3; ids 0, 1, 2
    assert from_flat(seg_from_flat, lambda rows, st: rows, packed,
                     {"names": ["a", "b", "c"]}) == [(1, 2, 1, 3, "a", "b", 9, "c")]
    with pytest.raises(TypeError, match="flat rows hold ints"):
        loads_rows(2, marshal.dumps([1, b"\x05"], 2))


def test_the_c_packer_is_built_and_round_trips_every_int(monkeypatch):
    """Flat chunks go to the writer as int64 bytes packed in C (decision 122);
    ``make test`` builds the packer, so here it must be there."""
    import nandseqgen.outputs.spill as spill
    if os.environ.get("NANDSEQGEN_PURE"):
        assert spill._pack is None
        return
    assert spill._pack is not None, "pip install -e . did not build nandseqgen.outputs._flatpack"
    values = [0, 1, -1, None, 255, 256, 2 ** 31, -(2 ** 40), 2 ** 62 + 5, 2 ** 63 - 1,
              -(2 ** 63) + 1, None, (3 << 42) | (7 << 21) | 9]
    codec, data = dumps_flat(list(values))
    assert codec == 3 and len(data) == 8 * len(values)
    assert loads_rows(codec, data) == values
    assert loads_rows(*dumps_flat([])) == []
    # what marshal would carry as bytes or lose is refused where it is packed
    import numpy as np
    for bad, err in (([1, np.int64(3)], TypeError), ([True], TypeError), ([1.5], TypeError),
                     ([2 ** 63], OverflowError), ([-(2 ** 63)], OverflowError),
                     ((1, 2), TypeError)):
        with pytest.raises(err):
            dumps_flat(bad)
    # without the packer (a build without a C compiler) the same lists go as marshal
    monkeypatch.setattr(spill, "_pack", None)
    codec, data = dumps_flat(list(values))
    assert codec == 2 and loads_rows(codec, data) == values


def test_the_writer_empties_flat_lists_as_it_packs_them():
    """A flat buffer handed to the writer process is emptied once packed (its
    ints are freed while still in the cache, decision 122); the in-process
    writer gets the same rows."""
    from nandseqgen.outputs.forkwrite import ChunkWriter
    flat = [1, 2, None, 4]
    codec, data = ChunkWriter._pack(("t", None, flat, True))
    assert flat == [] and loads_rows(codec, data) == [1, 2, None, 4]
    rows = [(1, "a")]
    ChunkWriter._pack(("t", None, rows))  # tuples are not flat: left as they are
    assert rows == [(1, "a")]


def test_manifest_takes_the_hashes_made_while_writing(tmp_path, monkeypatch):
    """The writer process hashes what it writes (decision 117): the manifest
    holds the files' real sha256 without reading them again."""
    import nandseqgen.outputs.manifest as manifest
    from helpers import PROJECT_CONFIG

    from nandseqgen.cli import main
    read_again = []
    real = manifest.file_sha256
    monkeypatch.setattr(manifest, "file_sha256", lambda p: read_again.append(p) or real(p))
    out = tmp_path / "out"
    assert main(["run", "--config", PROJECT_CONFIG, "--out", str(out), "--run-until", "40000",
                 "--seed", "3", "--date", "261130", "--no-progress", "--num-runs", "2"]) == 0
    csvs = sorted(p for p in os.listdir(out) if p.endswith(".csv"))
    assert len(csvs) == 12
    assert not [p for p in read_again if p.endswith(".csv")]  # snapshots are read, tables not
    data = json.loads((out / "manifest.json").read_text())
    for row in data["files"]:
        assert row["sha256"] == real(str(out / row["name"])), row["name"]
    assert manifest.verify_manifest(str(out)) == []
