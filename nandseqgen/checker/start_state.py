"""Start the check from a state snapshot (docs/validation.md "Starting state").

A run resumed from a snapshot (``nandseqgen run --resume-from``) continues a
device the checker has not seen. The snapshot file (JSON index plus ``.npy``
sidecars, written by the engine) is read here *as a file format*, nothing of
the engine is imported: address state per (die, block), blocks left unusable
by an aborted op, the suspend stacks (suspended ops and their remaining
states), open latch / cache / ODT states and the op-state timeline tails
(for ``.END`` keys).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

import numpy as np

from .load import CheckInputError, OpRecord
from .state import SegRow
from .sweep import ABORT_ERASE, ABORT_PROGRAM, BAD, ERASED, UNERASED, CacheEntry, LatchEntry

KIND = "nandseqgen.state_snapshot"
SCHEMAS = (1, 2, 3)  # 3 adds a digest, not read here
SNAPSHOT_FILE = re.compile(r"^state_snapshot_(?P<stamp>\d+_\d+)_(?P<run>\d+)\.json$")
#: sidecar of the abort marks (0 none, 1 erase-aborted, 2 program-aborted; semantics rule 16)
ABORT_ARRAYS = ("abort",)


@dataclass(slots=True)
class Carried:
    """An op suspended when the snapshot was taken: its record, executed
    segments ``(state, start, end, bus)`` and remaining ``(state, ticks, bus)``."""

    rec: OpRecord
    segs: tuple
    remaining: tuple


@dataclass(slots=True)
class CarriedFrame:
    """One suspend-stack entry of a die (bottom first)."""

    axis: str
    die: int
    opened_by: int | None
    opened_at: int
    members: list  # [Carried]


@dataclass(slots=True)
class StartState:
    """What the checked run starts from (ticks of 0.01 us)."""

    path: str
    run_index: int
    time: int
    cells: dict  # (die, block) -> [state, emode, pmode, abort]
    frames: list = field(default_factory=list)  # [CarriedFrame]
    latches: dict = field(default_factory=dict)  # (die, plane) -> {kind: LatchEntry}
    cache_plane: dict = field(default_factory=dict)  # (die, plane) -> {state: CacheEntry}
    cache_die: dict = field(default_factory=dict)  # die -> {state: CacheEntry}
    odt: tuple | None = None  # (since, uid)
    tails: dict = field(default_factory=dict)  # (die, plane) -> [SegRow]


def snapshot_run_index(path: str) -> int | None:
    m = SNAPSHOT_FILE.match(os.path.basename(path))
    return int(m["run"]) if m else None


def find_snapshot(directory: str, run_index: int) -> str | None:
    """``directory/state_snapshot_<stamp>_<run_index>.json`` (greatest stamp), or None."""
    if not os.path.isdir(directory):
        return None
    hits = sorted(n for n in os.listdir(directory)
                  if (m := SNAPSHOT_FILE.match(n)) and int(m["run"]) == run_index)
    return os.path.join(directory, hits[-1]) if hits else None


def _read(path: str, cfg) -> tuple:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError, RecursionError) as exc:
        raise CheckInputError(f"{path}: not a readable snapshot ({exc})") from exc
    if not isinstance(data, dict) or data.get("kind") != KIND or data.get("schema") not in SCHEMAS:
        raise CheckInputError(f"{path}: not a nandseqgen state snapshot of schema {SCHEMAS}")
    if data.get("config_hash") != cfg.config_hash:
        raise CheckInputError(f"{path}: taken with config {data.get('config_hash')}, but the "
                              f"config given to the checker is {cfg.config_hash}")
    arrays = {}
    folder = os.path.dirname(os.path.abspath(path))
    for name, fname in (data.get("sidecars") or {}).items():
        if not isinstance(fname, str) or os.path.basename(fname) != fname or \
                os.path.dirname(os.path.realpath(os.path.join(folder, fname))) != \
                os.path.realpath(folder):  # never read outside the snapshot's folder
            raise CheckInputError(f"{path}: sidecar {fname!r} is not a file in its folder")
        try:
            arrays[name] = np.load(os.path.join(folder, fname), allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CheckInputError(f"{path}: sidecar {fname} missing or unreadable ({exc})") from exc
    for name in ("state", "emode", "pmode"):
        if name not in arrays:
            raise CheckInputError(f"{path}: sidecar '{name}' missing")
    return data, arrays


def _cells(arrays: dict, cfg) -> dict:
    """Address book cells from the state/emode/pmode (+ abort) arrays."""
    cts = cfg.celltypes
    state, emode, pmode = arrays["state"], arrays["emode"], arrays["pmode"]
    abort = next((arrays[n] for n in ABORT_ARRAYS if n in arrays), None)
    cells = {}
    dies, blocks = state.shape
    for d in range(dies):
        for b in range(blocks):
            s = int(state[d, b])
            a = int(abort[d, b]) if abort is not None else 0
            if s == UNERASED and not a:
                continue
            if s == BAD:
                cells[(d, b)] = [BAD, None, None, None]
                continue
            em = cts[int(emode[d, b])] if s >= ERASED else None
            pm = cts[int(pmode[d, b])] if s >= 0 else None
            cells[(d, b)] = [s, em, pm, _abort(a)]
    return cells


def _abort(value: int):
    """Engine code -> checker abort mark (1: erase aborted, other non-zero: program)."""
    if not value:
        return None
    return (ABORT_ERASE if value == 1 else ABORT_PROGRAM, None)


def _open(entries, now: int):
    """Open ``[name, start, end|None, uid, closer, extra]`` entries at ``now``."""
    return [e for e in entries or () if e[2] is None or e[2] > now]


def _record(d: dict, cfg) -> OpRecord:
    spec = cfg.ops.get(d["name"])
    if spec is None:
        raise CheckInputError(f"snapshot: suspended op {d['name']!r} is not in the config")
    planes = tuple(d["planes"])
    occupied = tuple(range(cfg.topology.planes)) if spec.base.scope == "DIE_WIDE" else planes
    return OpRecord(-1, d["uid"], d["name"], spec, d["start"], d["die"], planes,
                    tuple(d["blocks"]) if d["blocks"] else None, d["page"], occupied,
                    d["celltype"], "", None, "list", carried=True)


def _frames(data: dict, cfg) -> list:
    now, out = data["time"], []
    for die, stack in enumerate(data.get("stack") or ()):
        opened = {e[0]: e for e in _open(data["susp"][die], now)} if data.get("susp") else {}
        for axis, items in stack:
            entry = opened.get(f"{axis}_SUSPENDED")
            members = [Carried(_record(o, cfg), tuple(tuple(s) for s in o["segs"]),
                               tuple((r[0], int(r[1]), bool(r[2])) for r in rem))
                       for o, rem in items]
            at = entry[1] if entry else max((m.rec.start for m in members), default=now)
            out.append(CarriedFrame(axis, die, entry[3] if entry else None, at, members))
    return out


def _states(st: StartState, data: dict, cfg) -> None:
    now, P = data["time"], cfg.topology.planes
    for pi, entries in enumerate(data.get("latch") or ()):
        for e in _open(entries, now):
            st.latches.setdefault((pi // P, pi % P), {})[e[0]] = LatchEntry(e[0], e[1], None)
    for pi, entries in enumerate(data.get("cache_p") or ()):
        for e in _open(entries, now):
            st.cache_plane.setdefault((pi // P, pi % P), {})[e[0]] = _cache(e)
    for die, entries in enumerate(data.get("cache_d") or ()):
        for e in _open(entries, now):
            st.cache_die.setdefault(die, {})[e[0]] = _cache(e)
    odt = _open(data.get("odt"), now)
    st.odt = (odt[0][1], odt[0][3]) if odt else None


def _cache(e) -> CacheEntry:
    celltype, family = (e[5] or ("NONE", "read"))[:2]
    kind = "read" if family == "read" else "program_final"
    return CacheEntry(e[0], e[1], celltype, kind, e[3])


def _tails(data: dict, P: int) -> dict:
    out = {}
    for pi, tl in enumerate(data.get("timeline") or ()):
        rows = [SegRow(s, e, base, state, uid, name, e, None) for s, e, base, state, uid, name
                in zip(tl["starts"], tl["ends"], tl["bases"], tl["states"], tl["uids"],
                       tl["names"])]
        if rows:
            out[(pi // P, pi % P)] = rows
    return out


def read_start_state(path: str, cfg) -> StartState:
    """The starting state stored in snapshot ``path`` (its config hash must match)."""
    data, arrays = _read(path, cfg)
    try:
        st = StartState(os.fspath(path), int(data["run_index"]), int(data["time"]),
                        _cells(arrays, cfg), _frames(data, cfg))
        _states(st, data, cfg)
        st.tails = _tails(data, cfg.topology.planes)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CheckInputError(f"{path}: unexpected snapshot content ({exc!r})") from exc
    return st
