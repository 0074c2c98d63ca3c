"""Validation of a state snapshot before anything is restored from it.

The schema is data-driven: the reference is the snapshot of a fresh
:class:`~nandseqgen.simulation.Simulation` of the same config. Every top-level
key it has must be present with the same JSON type; every per-die / per-plane
list must have its length; every sidecar array must have its name, shape and
dtype. A new state array or key added to ``snapshot_state`` / ``am.arrays()``
is therefore checked without a line here. On top of that, the values the
restore code indexes with (dies, planes, blocks, op names, times) are
range-checked against the topology, sidecar names are confined to the
snapshot's folder, and a digest over the JSON and the sidecars refuses a
snapshot edited after it was written.
"""
from __future__ import annotations

import hashlib
import json
import os

from .config.units import AXES

EFFECT_KINDS = 5  # address effects: erase, program, program all, abort erase, abort program
_OP_KEYS = ("uid", "name", "die", "planes", "blocks", "page", "celltype", "start", "end",
            "segs", "source", "phase_key", "hook_plane", "inherit", "effects", "resumed")
#: top-level keys checked by hand (the others only by type/length against the reference)
_OPTIONAL_TYPES = {"bootstrap": (dict, type(None))}


class SchemaError(ValueError):
    """Raised with the snapshot key path of the first problem."""


def digest(data: dict) -> str:
    """sha256 of the canonical JSON of ``data`` without its ``digest`` key."""
    body = {k: v for k, v in data.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()




def _fail(where: str, message: str):
    raise SchemaError(f"{where}: {message}")


def _nat(value, where: str, below: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, f"expected an integer >= 0, got {value!r}")
    if below is not None and value >= below:
        _fail(where, f"{value} is out of range (< {below})")
    return value


def _list(value, where: str, length: int | None = None) -> list:
    if not isinstance(value, list):
        _fail(where, f"expected a list, got {type(value).__name__}")
    if length is not None and len(value) != length:
        _fail(where, f"expected {length} items (from the topology), got {len(value)}")
    return value


def sidecar_path(directory: str, name: str, fname) -> str:
    """The path of a sidecar, which must be a plain ``.npy`` file name inside
    ``directory`` (no folders, no ``..``, no symlink leading out)."""
    where = f"sidecars.{name}"
    if not isinstance(fname, str) or not fname.endswith(".npy"):
        _fail(where, f"expected a .npy file name, got {fname!r}")
    if os.path.basename(fname) != fname or fname.startswith(".") or \
            (os.altsep and os.altsep in fname):
        _fail(where, f"{fname!r} is not a plain file name in the snapshot's folder")
    root = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(root, fname))
    if os.path.dirname(path) != root:
        _fail(where, f"{fname!r} leads outside the snapshot's folder")
    return path


def check_top(data: dict, ref: dict, prefix: str = "") -> None:
    """Every key of the reference, with its JSON type and per-resource length."""
    for key, rvalue in ref.items():
        where = prefix + key
        if key not in data:
            _fail(where, "missing")
        types = _OPTIONAL_TYPES.get(key, (type(rvalue),))
        if isinstance(rvalue, int) and not isinstance(rvalue, bool):
            _nat(data[key], where)
            continue
        if not isinstance(data[key], types):
            _fail(where, f"expected {' or '.join(t.__name__ for t in types)}, "
                         f"got {type(data[key]).__name__}")
        if isinstance(rvalue, list) and rvalue:  # per-die / per-plane: fixed length
            _list(data[key], where, len(rvalue))
        if isinstance(rvalue, dict) and key not in _OPTIONAL_TYPES:
            check_top(data[key], rvalue, where + ".")


def check_values(data: dict, cfg) -> None:
    """Ranges of the values the restore code indexes with."""
    topo = cfg.topology
    dies, blocks = topo.dies, topo.blocks_per_die
    for i, row in enumerate(data["pending"]):
        row = _list(row, f"pending[{i}]", 3)
        _nat(row[0], f"pending[{i}][0]", dies), _nat(row[1], f"pending[{i}][1]", blocks)
        for j, x in enumerate(_list(row[2], f"pending[{i}][2]")):
            _pending(_list(x, f"pending[{i}][2][{j}]", 4), f"pending[{i}][2][{j}]", cfg)
    for i, row in enumerate(data["busy"]):
        row = _list(row, f"busy[{i}]", 3)
        _nat(row[0], f"busy[{i}][0]", dies), _nat(row[1], f"busy[{i}][1]", blocks)
        for j, held in enumerate(_list(row[2], f"busy[{i}][2]")):  # [uid, held page]
            held = _list(held, f"busy[{i}][2][{j}]", 2)
            _nat(held[0], f"busy[{i}][2][{j}][0]")
    for name in ("latch", "cache_p", "cache_d", "susp"):
        for i, rows in enumerate(data[name]):
            _entries(rows, f"{name}[{i}]")
    _entries(data["odt"], "odt")
    for i, row in enumerate(data["timeline"]):
        _timeline(row, f"timeline[{i}]", cfg)
    for d, frames in enumerate(data["stack"]):
        for j, frame in enumerate(_list(frames, f"stack[{d}]")):
            frame = _list(frame, f"stack[{d}][{j}]", 2)
            if frame[0] not in AXES:
                _fail(f"stack[{d}][{j}][0]", f"expected one of {AXES}, got {frame[0]!r}")
            for k, item in enumerate(_list(frame[1], f"stack[{d}][{j}][1]")):
                item = _list(item, f"stack[{d}][{j}][1][{k}]", 2)
                _op(item[0], f"stack[{d}][{j}][1][{k}][0]", cfg)
                _remainder(item[1], f"stack[{d}][{j}][1][{k}][1]", cfg.ops[item[0]["name"]])
    for d, ops in enumerate(data["backlog"]):
        for j, op in enumerate(_list(ops, f"backlog[{d}]")):
            _op(op, f"backlog[{d}][{j}]", cfg)
    for i, row in enumerate(data["backlog_tries"]):
        row = _list(row, f"backlog_tries[{i}]", 2)
        _nat(row[0], f"backlog_tries[{i}][0]"), _nat(row[1], f"backlog_tries[{i}][1]")
    if data["rng"]["seed"] > 2**63:
        _fail("rng.seed", f"{data['rng']['seed']} is out of range")
    boot = data["bootstrap"]
    if boot is not None:
        for key in ("stage", "completed", "reads"):
            if key not in boot:
                _fail(f"bootstrap.{key}", "missing")
        _list(boot["reads"], "bootstrap.reads")


def _entries(rows, where: str) -> None:
    for j, row in enumerate(_list(rows, where)):
        row = _list(row, f"{where}[{j}]", 6)
        if not isinstance(row[0], str):
            _fail(f"{where}[{j}][0]", f"expected a state name, got {row[0]!r}")
        _nat(row[1], f"{where}[{j}][1]")
        if row[2] is not None:
            _nat(row[2], f"{where}[{j}][2]")


def _pending(x: list, where: str, cfg) -> None:
    """[uid, effect kind, page, celltype index] of a reserved address effect."""
    _nat(x[0], f"{where}[0]"), _nat(x[1], f"{where}[1]", EFFECT_KINDS)
    if x[2] is not None:
        _nat(x[2], f"{where}[2]", cfg.topology.pages_per_block)
    _nat(x[3], f"{where}[3]", len(cfg.celltypes))


def _remainder(rows, where: str, spec) -> None:
    """[state, ticks left, bus] rows of a suspended op's unfinished states."""
    states = {st.name for st in spec.states}
    for j, r in enumerate(_list(rows, where)):
        r = _list(r, f"{where}[{j}]", 3)
        if r[0] not in states:
            _fail(f"{where}[{j}][0]", f"{r[0]!r} is not a state of {spec.name}")
        _nat(r[1], f"{where}[{j}][1]")


def _timeline(row, where: str, cfg) -> None:
    if not isinstance(row, dict):
        _fail(where, "expected a mapping")
    lengths = set()
    for key in ("starts", "ends", "keys", "bases", "states", "uids", "ends_key", "names"):
        if key not in row:
            _fail(f"{where}.{key}", "missing")
        lengths.add(len(_list(row[key], f"{where}.{key}")))
    if len(lengths) > 1:
        _fail(where, "its lists have different lengths")
    for j, t in enumerate(row["starts"] + row["ends"] + row["uids"]):
        _nat(t, f"{where}.starts/ends/uids[{j}]")
    for key, known in (("bases", cfg.bases), ("names", cfg.ops)):
        for j, name in enumerate(row[key]):
            if not isinstance(name, str) or name not in known:
                _fail(f"{where}.{key}[{j}]", f"{name!r} is not in this config")
    for key in ("keys", "ends_key", "states"):
        for j, text in enumerate(row[key]):
            if not isinstance(text, str) or (key != "states" and text.rsplit(".", 1)[0]
                                             not in cfg.bases):
                _fail(f"{where}.{key}[{j}]", f"{text!r} is not a phase key or state name")
    if not isinstance(row.get("head_emitted"), bool):
        _fail(f"{where}.head_emitted", "expected true or false")


def _op(op, where: str, cfg) -> None:
    if not isinstance(op, dict):
        _fail(where, "expected an op mapping")
    for key in _OP_KEYS:
        if key not in op:
            _fail(f"{where}.{key}", "missing")
    if op["name"] not in cfg.ops:
        _fail(f"{where}.name", f"{op['name']!r} is not an op name of this config")
    topo = cfg.topology
    _nat(op["die"], f"{where}.die", topo.dies)
    for p in _list(op["planes"], f"{where}.planes"):
        _nat(p, f"{where}.planes", topo.planes)
    for b in _list(op["blocks"], f"{where}.blocks") if op["blocks"] is not None else ():
        _nat(b, f"{where}.blocks", topo.blocks_per_die)
    if op["page"] is not None:
        _nat(op["page"], f"{where}.page", topo.pages_per_block)
    for key in ("uid", "start", "end"):
        _nat(op[key], f"{where}.{key}")
    if any(e != ["addr"] for e in _list(op["effects"], f"{where}.effects")):
        _fail(f"{where}.effects", f"expected only [\"addr\"] items, got {op['effects']!r}")
    if op["celltype"] not in cfg.celltypes:
        _fail(f"{where}.celltype", f"{op['celltype']!r} is not a celltype of this config")
    if op["hook_plane"] is not None:
        _nat(op["hook_plane"], f"{where}.hook_plane", topo.planes)
    if not isinstance(op["resumed"], bool) or not isinstance(op["source"], str):
        _fail(where, "resumed must be true/false and source a name")
    _list(op["inherit"], f"{where}.inherit")
    if not op["planes"] or len(set(op["planes"])) != len(op["planes"]):
        _fail(f"{where}.planes", f"expected distinct planes, got {op['planes']!r}")
    states = {st.name for st in cfg.ops[op["name"]].states}
    for j, seg in enumerate(_list(op["segs"], f"{where}.segs")):
        seg = _list(seg, f"{where}.segs[{j}]", 4)
        if seg[0] not in states:
            _fail(f"{where}.segs[{j}][0]", f"{seg[0]!r} is not a state of {op['name']}")
        _nat(seg[1], f"{where}.segs[{j}][1]"), _nat(seg[2], f"{where}.segs[{j}][2]")


def check_arrays(arrays: dict, ref: dict) -> None:
    """Sidecar arrays: the reference's names, shapes and dtypes."""
    if set(arrays) != set(ref):
        _fail("sidecars", f"expected arrays {sorted(ref)}, got {sorted(arrays)}")
    for name, arr in arrays.items():
        want = ref[name]
        if arr.shape != want.shape or arr.dtype != want.dtype:
            _fail(f"sidecars.{name}", f"array {arr.dtype}{list(arr.shape)} does not match the "
                                      f"topology's {want.dtype}{list(want.shape)}")
