"""State snapshots between runs (SPEC 6.7).

Taken at a run boundary, when every reserved op has drained: what carries
over is the address state, the timeline tails (for ``.END`` keys), open
latch / cache / suspend / ODT states, suspended ops, the backlog, the
bootstrap controller and the counters that seed the per-hook RNG streams.

Written atomically: ``.npy`` sidecars first (each via temp file, fsync,
rename), then the JSON index the same way. A snapshot whose schema or config
hash does not match is refused and nothing is overwritten.
"""
from __future__ import annotations

import json
import os

import numpy as np

from .core.ops import INF, Op
from .outputs.atomic import atomic_open, fsync_dir

SCHEMA = 2  # 2: per-block abort marks (docs/semantics.md rule 16), held pages
KIND = "nandseqgen.state_snapshot"


class SnapshotError(ValueError):
    pass


def _inf(v):
    return None if v >= INF else v


def _uninf(v):
    return INF if v is None else v


def _op_dict(op) -> dict:
    return {"uid": op.uid, "name": op.spec.name, "die": op.die, "planes": list(op.planes),
            "blocks": list(op.blocks) if op.blocks else None, "page": op.page,
            "celltype": op.celltype, "start": op.start, "end": op.end,
            "segs": [list(s) for s in op.segs], "source": op.source,
            "phase_key": list(op.phase_key) if isinstance(op.phase_key, tuple) else op.phase_key,
            "hook_plane": op.hook_plane, "inherit": list(op.inherit),
            "effects": [list(e) for e in op.effects if e == ("addr",)], "resumed": op.resumed}


def _op_from(d: dict, sim) -> Op:
    op = Op(d["uid"], sim.cfg.ops[d["name"]], d["die"], tuple(d["planes"]),
            tuple(d["blocks"]) if d["blocks"] else None, d["page"], d["celltype"], d["source"])
    op.start, op.end = d["start"], d["end"]
    op.segs = tuple((n, s, e, bool(b)) for n, s, e, b in d["segs"])
    pk = d["phase_key"]
    op.phase_key = tuple(pk) if isinstance(pk, list) else pk
    op.hook_plane, op.inherit, op.resumed = d["hook_plane"], tuple(d["inherit"]), d["resumed"]
    op.effects = [tuple(e) for e in d["effects"]]
    op.info = sim.rm.info(op.spec)
    op.res_planes = sim.rm.res_planes(op)
    return op


def _entries(si) -> list:
    return [[x[0], x[1], _inf(x[2]), x[3], x[4], list(x[5]) if x[5] is not None else None]
            for x in si.entries]


def _restore_entries(si, rows) -> None:
    si.entries = [[r[0], r[1], _uninf(r[2]), r[3], r[4], tuple(r[5]) if r[5] is not None else None]
                  for r in rows]


def _timeline(tl) -> dict:
    return {"starts": tl.starts, "ends": tl.ends, "keys": tl.keys, "bases": tl.bases,
            "states": tl.states, "uids": tl.uids, "ends_key": tl.ends_key, "names": tl.names,
            "head_emitted": tl.head_emitted}


def _check_quiescent(sim) -> None:
    if sim._active is not None or sim.rm.reserved or len(sim.scheduler.q):
        raise SnapshotError("a snapshot is taken between runs, after every reserved op drained")


def snapshot_state(sim) -> tuple:
    """-> (json-able dict, {name: array}) describing ``sim`` between runs."""
    _check_quiescent(sim)
    rm, am, s = sim.rm, sim.am, sim.scheduler
    data = {
        "schema": SCHEMA, "kind": KIND, "config_hash": sim.cfg.config_hash,
        "rng": {"seed": sim.seed, "hook_counter": s.hook_counter},
        "uid": sim.uid, "run_index": sim.run_index, "time": s.now, "rr": s.rr,
        "last_prune": s._last_prune,
        "pending": [[d, b, [list(x) for x in lst]] for (d, b), lst in sorted(am.pending.items())],
        "busy": [[d, b, sorted([uid, page] for uid, page in held.items())]
                 for (d, b), held in sorted(am.busy.items())],
        "timeline": [_timeline(tl) for tl in rm.tl],
        "latch": [_entries(si) for si in rm.latch],
        "cache_p": [_entries(si) for si in rm.cache_p],
        "cache_d": [_entries(si) for si in rm.cache_d],
        "susp": [_entries(si) for si in rm.susp],
        "odt": _entries(rm.odt),
        "stack": [[[axis, [[_op_dict(o), [list(r) for r in rem]] for o, rem in items]]
                   for axis, items in rm.stack[d]] for d in range(rm.dies)],
        "backlog": [[_op_dict(o) for o in dq] for dq in s.backlog],
        "backlog_tries": sorted(s.backlog_tries.items()),
        "bootstrap": sim.bootstrap.state() if sim.bootstrap is not None else None,
    }
    return data, {k: np.asarray(v) for k, v in am.arrays().items()}


def save_snapshot(sim, directory: str, date: str, stamp: str | None = None) -> str:
    """Write ``state_snapshot_<stamp>_<run_id>.json`` (+ sidecars); returns its path.

    ``stamp`` is ``YYYYMMDD_HHMMSS``; without one it is ``20<yymmdd>_000000``
    so library output stays free of the wall clock.
    """
    data, arrays = snapshot_state(sim)
    os.makedirs(directory, exist_ok=True)
    stamp = stamp or f"20{date}_000000"
    base = f"state_snapshot_{stamp}_{sim.run_index:07d}"
    data["sidecars"] = {}
    for name, arr in arrays.items():
        fname = f"{base}.{name}.npy"
        with atomic_open(os.path.join(directory, fname), "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        data["sidecars"][name] = fname
    path = os.path.join(directory, base + ".json")
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, sort_keys=True, separators=(",", ":"))
    fsync_dir(directory)
    return path


def read_snapshot(path: str, cfg) -> tuple:
    """-> (data, arrays), refusing a wrong schema or config hash with a clear message."""
    try:
        with open(path, "r", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not a readable snapshot ({exc})") from exc
    if data.get("kind") != KIND or data.get("schema") != SCHEMA:
        raise SnapshotError(f"{path}: schema {data.get('schema')!r} is not {SCHEMA} "
                            f"(or not a nandseqgen snapshot)")
    if data.get("config_hash") != cfg.config_hash:
        raise SnapshotError(f"{path}: taken with config {data.get('config_hash')}, "
                            f"but the loaded config is {cfg.config_hash}")
    directory = os.path.dirname(os.path.abspath(path))
    arrays = {}
    for name, fname in data["sidecars"].items():
        try:
            arrays[name] = np.load(os.path.join(directory, fname), allow_pickle=False)
        except OSError as exc:
            raise SnapshotError(f"{path}: sidecar {fname} missing or unreadable") from exc
    return data, arrays


def load_snapshot(path: str, cfg, phase_table: dict | None = None):
    """A Simulation continuing exactly where the snapshot stopped."""
    from .simulation import Simulation
    data, arrays = read_snapshot(path, cfg)
    sim = Simulation(cfg, seed=data["rng"]["seed"], phase_table=phase_table,
                     bootstrap=data["bootstrap"] is not None)
    _restore(sim, data, arrays)
    return sim


def _restore(sim, data, arrays) -> None:
    rm, am, s = sim.rm, sim.am, sim.scheduler
    s.hook_counter, sim.uid, sim.run_index = data["rng"]["hook_counter"], data["uid"], data["run_index"]
    s.now = rm.now = data["time"]
    s.rr, s._last_prune = data["rr"], data["last_prune"]
    am.pending = {(d, b): [tuple(x) for x in lst] for d, b, lst in data["pending"]}
    am.busy = {(d, b): {uid: page for uid, page in held} for d, b, held in data["busy"]}
    am.restore_arrays(arrays)
    for tl, row in zip(rm.tl, data["timeline"]):
        for key in ("starts", "ends", "keys", "bases", "states", "uids", "ends_key", "names"):
            setattr(tl, key, list(row[key]))
        tl.head_emitted = row["head_emitted"]
    for name in ("latch", "cache_p", "cache_d", "susp"):
        for si, rows in zip(getattr(rm, name), data[name]):
            _restore_entries(si, rows)
    _restore_entries(rm.odt, data["odt"])
    for d, frames in enumerate(data["stack"]):
        rm.stack[d] = [[axis, [(_op_from(o, sim), tuple(tuple(r) for r in rem))
                               for o, rem in items]] for axis, items in frames]
    for d, ops in enumerate(data["backlog"]):
        s.backlog[d].extend(_op_from(o, sim) for o in ops)
    s.backlog_tries = {int(k): v for k, v in data["backlog_tries"]}
    if sim.bootstrap is not None and data["bootstrap"] is not None:
        sim.bootstrap.restore(data["bootstrap"])
