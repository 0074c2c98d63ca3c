"""A small config and a hand-builder of output tables for the checker tests.

Imported by the other ``test_checker_*`` modules (``from test_checker_kit
import ...``). The tables are built here independently of the checker: an op
is written with its start time and, when a suspend or reset cuts it, its
executed pieces; the op-state rows follow from consuming the op's states
piece by piece.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from nandseqgen.checker import RULES, check_frames
from nandseqgen.config import load_config_text

_BUS1 = "[{ISSUE: {bus: true, duration: 1.0}}"

CONFIG_YAML = f"""
topology: {{dies: 2, planes: 2, blocks_per_die: 8, pages_per_block: 4, bad_blocks: [[0, 7]]}}
op_bases:
  ERASE: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 10}}}}]}}
  PROGRAM_SLC: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 10}}}}]}}
  ONESHOT_PROGRAM_LSB: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 5}}}}]}}
  ONESHOT_PROGRAM_EXEC_MSB: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 10}}}}]}}
  READ: {{scope: PLANE_SET, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 5}}}}, {{DATA_OUT: {{duration: 2}}}}]}}
  PLANE_READ: {{scope: PLANE_SET, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 5}}}}]}}
  CACHE_READ: {{scope: PLANE_SET, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 5}}}}]}}
  CACHE_READ_END: {{scope: PLANE_SET, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 3}}}}]}}
  COPYBACK_PROGRAM_SLC: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 10}}}}]}}
  ALLWL_PROGRAM: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 10}}}}]}}
  DOUT: {{scope: NONE, states: [{{ISSUE: {{bus: true, duration: 2.0}}}}]}}
  SR: {{scope: NONE, instant_resv: true, states: [{{ISSUE: {{bus: true, duration: 0.5}}}}]}}
  ZQCAL: {{scope: NONE, instant_resv: true, states: [{{ISSUE: {{bus: true, duration: 0.5}}}}]}}
  ERASE_SUSPEND: {{scope: DIE_WIDE, affect_state: true, instant_resv: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 2}}}}]}}
  ERASE_RESUME: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 2}}}}]}}
  PROGRAM_SUSPEND: {{scope: DIE_WIDE, affect_state: true, instant_resv: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 2}}}}]}}
  PROGRAM_RESUME: {{scope: DIE_WIDE, affect_state: true, states: {_BUS1}, {{CORE_BUSY: {{duration: 2}}}}]}}
  RESET: {{scope: NONE, affect_state: true, instant_resv: true, states: {_BUS1}]}}
  RESET_LUN: {{scope: NONE, affect_state: true, instant_resv: true, states: {_BUS1}]}}
  ODTDISABLE: {{scope: NONE, states: {_BUS1}]}}
  ODTENABLE: {{scope: NONE, states: {_BUS1}]}}
  TOUCH: {{scope: DIE_WIDE, affect_state: true, role: {{kind: other, address: any}}, states: {_BUS1}, {{CORE_BUSY: {{duration: 3}}}}]}}
payload_by_op_base:
  ERASE: [die, plane, block, page, celltype]
  PROGRAM_SLC: [die, plane, block, page, celltype]
  ONESHOT_PROGRAM_LSB: [die, plane, block, page, celltype]
  ONESHOT_PROGRAM_EXEC_MSB: [die, plane, block, page, celltype]
  READ: [die, plane, block, page, celltype]
  PLANE_READ: [die, plane, block, page, celltype]
  CACHE_READ: [die, plane, block, page, celltype]
  CACHE_READ_END: [die, plane, block, page, celltype]
  COPYBACK_PROGRAM_SLC: [die, plane, block, page, celltype]
  ALLWL_PROGRAM: [die, plane, block, celltype]
  DOUT: [die, plane, block, page, celltype]
  SR: [die, exp_val]
  ZQCAL: []
  ERASE_SUSPEND: [die]
  ERASE_RESUME: [die]
  PROGRAM_SUSPEND: [die]
  PROGRAM_RESUME: [die]
  RESET: [die]
  RESET_LUN: [die]
  ODTDISABLE: [die]
  ODTENABLE: [die]
  TOUCH: [die, block]
op_names:
  Erase_SLC: {{base: ERASE, celltype: SLC}}
  Erase_TLC: {{base: ERASE, celltype: TLC}}
  Erase_SLC_2P: {{base: ERASE, celltype: SLC, multi: true}}
  Program_SLC: {{base: PROGRAM_SLC, celltype: SLC}}
  Program_A0SLC: {{base: PROGRAM_SLC, celltype: A0SLC}}
  Program_TLC: {{base: PROGRAM_SLC, celltype: TLC}}
  Program_SLC_2P: {{base: PROGRAM_SLC, celltype: SLC, multi: true}}
  Oneshot_LSB: {{base: ONESHOT_PROGRAM_LSB, celltype: TLC}}
  Oneshot_Exec_MSB: {{base: ONESHOT_PROGRAM_EXEC_MSB, celltype: TLC}}
  Read_SLC: {{base: READ, celltype: SLC}}
  Read_TLC: {{base: READ, celltype: TLC}}
  Read_SLC_2P: {{base: READ, celltype: SLC, multi: true}}
  Plane_Read_SLC: {{base: PLANE_READ, celltype: SLC}}
  Cache_Read_SLC: {{base: CACHE_READ, celltype: SLC}}
  Cache_Read_TLC: {{base: CACHE_READ, celltype: TLC}}
  Cache_Read_End_SLC: {{base: CACHE_READ_END, celltype: SLC}}
  Copyback_Program_SLC: {{base: COPYBACK_PROGRAM_SLC, celltype: SLC}}
  AllWL_Program_SLC: {{base: ALLWL_PROGRAM, celltype: SLC}}
  Dout: {{base: DOUT}}
  Read_Status: {{base: SR}}
  Read_Status_Enhanced_72h: {{base: SR}}
  LUN_Status_Read_for_LUN1: {{base: SR}}
  ZQ_Cal: {{base: ZQCAL}}
  Erase_Suspend: {{base: ERASE_SUSPEND}}
  Erase_Resume: {{base: ERASE_RESUME}}
  Program_Suspend: {{base: PROGRAM_SUSPEND}}
  Program_Resume: {{base: PROGRAM_RESUME}}
  Reset: {{base: RESET}}
  Reset_LUN: {{base: RESET_LUN}}
  ODT_Disable: {{base: ODTDISABLE}}
  ODT_Enable: {{base: ODTENABLE}}
  Touch: {{base: TOUCH}}
exclusion_groups:
  on_erase: [ZQCAL]
  after_lsb: [READ]
  erase_suspended: [ERASE]
  not_erase_suspended: [ERASE_RESUME]
  not_program_suspended: [PROGRAM_RESUME]
  odt_off: [READ]
  on_cache_read: [ERASE, PROGRAM_SLC]
exclusions_by_op_state:
  ERASE.CORE_BUSY: [on_erase]
exclusions_by_latch_state:
  LATCH_ON_LSB: [after_lsb]
exclusions_by_suspend_state:
  ERASE_SUSPENDED: [erase_suspended]
  NOT_ERASE_SUSPENDED: [not_erase_suspended]
  NOT_PROGRAM_SUSPENDED: [not_program_suspended]
exclusions_by_odt_state:
  ODT_DISABLE: [odt_off]
exclusions_by_cache_state:
  ON_CACHE_READ: [on_cache_read]
"""


@lru_cache(maxsize=1)
def kit_config():
    """The small test config (2 dies x 2 planes x 8 blocks x 4 pages, block 7 of die 0 bad)."""
    return load_config_text(CONFIG_YAML, source="checker_kit.yaml")


@dataclass
class Op:
    """One hand-written op. ``pieces``: executed ``(start, end, source)`` in us
    when a suspend or reset cut it (default: one whole piece)."""

    name: str
    t: float
    die: int = 0
    planes: tuple = (0,)
    blocks: tuple | None = None
    page: int | None = None
    pieces: list | None = None
    exp_val: str | None = None
    celltype: str | None = None
    uid: int | None = None


def duration(cfg, name: str) -> float:
    return sum(s.ticks for s in cfg.ops[name].states) / 100.0


def _payload(cfg, op: Op) -> str:
    spec = cfg.ops[op.name]
    fields = spec.base.payload
    if not fields:
        return "[]"
    items = []
    for i, plane in enumerate(op.planes):
        values = {"die": op.die, "plane": plane,
                  "block": op.blocks[i] if op.blocks else None, "page": op.page,
                  "celltype": op.celltype or spec.celltype, "exp_val": op.exp_val}
        item = {f: values[f] for f in fields}
        if item not in items:
            items.append(item)
    return json.dumps(items, separators=(",", ":"))


def _pieces(cfg, op: Op) -> list:
    return op.pieces or [(op.t, round(op.t + duration(cfg, op.name), 2), "proposer")]


def _state_rows(cfg, op: Op, uid: int) -> list:
    """Op-state rows: the op's states consumed piece by piece."""
    spec = cfg.ops[op.name]
    if not spec.base.affect_state:
        return []
    left = [[f"{spec.base.name}.{s.name}", s.ticks] for s in spec.states]
    planes = range(cfg.topology.planes) if spec.base.scope == "DIE_WIDE" else op.planes
    rows = []
    for start, end, _src in _pieces(cfg, op):
        t, stop = round(start * 100), round(end * 100)
        while t < stop and left:
            take = min(left[0][1], stop - t)
            if take > 0:
                rows += [(t / 100, (t + take) / 100, op.die, p, left[0][0], f"D{op.die}/P{p}",
                          op.name, take / 100) for p in planes]
            t += take
            left[0][1] -= take
            if left[0][1] == 0:
                left.pop(0)
    return rows


def frames(ops: list, cfg=None) -> tuple:
    """(operation_sequence, operation_timeline, op_state_timeline) DataFrames."""
    cfg = cfg or kit_config()
    seq, tl, st = [], [], []
    for i, op in enumerate(ops):
        uid = op.uid if op.uid is not None else i + 1
        spec = cfg.ops[op.name]
        seq.append((i, op.t, spec.index, op.name, uid, _payload(cfg, op)))
        for start, end, src in _pieces(cfg, op):
            for j, plane in enumerate(op.planes):
                block = op.blocks[j] if op.blocks else None
                tl.append((start, end, op.die, plane, block, op.page, op.name, spec.base.name,
                           src, uid, "DEFAULT"))
        st += _state_rows(cfg, op, uid)
    seq_df = pd.DataFrame(seq, columns=["seq", "time", "op_id", "op_name", "op_uid", "payload"])
    tl_df = pd.DataFrame(tl, columns=["start", "end", "die", "plane", "block", "page", "op_name",
                                      "op_base", "source", "op_uid", "op_state"])
    for c in ("block", "page"):
        tl_df[c] = tl_df[c].astype("Int64")
    st_df = pd.DataFrame(st, columns=["start", "end", "die", "plane", "op_state", "lane",
                                      "op_name", "duration"])
    return seq_df, tl_df, st_df.sort_values(["start", "die", "plane"]).reset_index(drop=True)


def check(ops: list, cfg=None, *, states: bool = True):
    """Build the tables of ``ops`` and check them."""
    cfg = cfg or kit_config()
    seq_df, tl_df, st_df = frames(ops, cfg)
    return check_frames(seq_df, tl_df, cfg, st_df if states else None)


def flagged(report, rule: str) -> set:
    """op_uids flagged by ``rule``."""
    v = report.violations
    return {int(u) for u in v.loc[v["rule"] == rule, "op_uid"].dropna()}


def describe(report) -> str:
    return report.violations.to_string() if len(report.violations) else "no violations"


# --- building blocks -------------------------------------------------------
def erase(t, block=0, die=0, name="Erase_SLC") -> Op:
    return Op(name, t, die, (block % 2,), (block,), None)


def program(t, block=0, page=0, die=0, name="Program_SLC") -> Op:
    return Op(name, t, die, (block % 2,), (block,), page)


def read(t, block=0, page=0, die=0, name="Read_SLC") -> Op:
    return Op(name, t, die, (block % 2,), (block,), page)


def dout(t, block=0, page=0, die=0, celltype="SLC") -> Op:
    return Op("Dout", t, die, (block % 2,), (block,), page, celltype=celltype)


def erased_and_programmed(pages: int = 1, block: int = 0, die: int = 0) -> list:
    """Erase ``block`` at 0 and program pages 0..pages-1 (each 11 us, 20 us apart)."""
    ops = [erase(0, block, die)]
    ops += [program(20 + 20 * k, block, k, die) for k in range(pages)]
    return ops


def test_kit_base_sequence_is_valid():
    ops = erased_and_programmed(2) + [read(100, 0, 1), dout(110, 0, 1)]
    report = check(ops)
    assert report.ok, describe(report)
    summary = report.summary()
    assert list(summary["rule"]) == list(RULES)
    assert (summary["violations"] == 0).all()


def test_kit_state_rows_follow_pieces():
    cfg = kit_config()
    op = Op("Erase_SLC", 0, pieces=[(0, 5, "proposer"), (20, 26, "resume")], blocks=(0,))
    rows = _state_rows(cfg, op, 1)
    p0 = [(r[0], r[1], r[4]) for r in rows if r[3] == 0]
    assert p0 == [(0, 1, "ERASE.ISSUE"), (1, 5, "ERASE.CORE_BUSY"), (20, 26, "ERASE.CORE_BUSY")]
