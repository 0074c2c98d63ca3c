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

from .core.ops import Op
from .outputs.atomic import atomic_open, fsync_dir
from .resources.effects import ADDR

SCHEMA = 2  # 2: per-block abort marks (docs/semantics.md rule 16), held pages
KIND = "nandseqgen.state_snapshot"


class SnapshotError(ValueError):
    pass


def _op_dict(op) -> dict:
    return {"uid": op.uid, "name": op.spec.name, "die": op.die, "planes": list(op.planes),
            "blocks": list(op.blocks) if op.blocks else None, "page": op.page,
            "celltype": op.celltype, "start": op.start, "end": op.end,
            "segs": [list(s) for s in op.segs], "source": op.source,
            "phase_key": list(op.phase_key) if isinstance(op.phase_key, tuple) else op.phase_key,
            "hook_plane": op.hook_plane, "inherit": list(op.inherit),
            "effects": [["addr"]] if any(e is ADDR for e in op.effects) else [],
            "resumed": op.resumed}


def _op_from(d: dict, sim) -> Op:
    op = Op(d["uid"], sim.cfg.ops[d["name"]], d["die"], tuple(d["planes"]),
            tuple(d["blocks"]) if d["blocks"] else None, d["page"], d["celltype"], d["source"])
    op.start, op.end = d["start"], d["end"]
    op.segs = tuple((n, s, e, bool(b)) for n, s, e, b in d["segs"])
    pk = d["phase_key"]
    op.phase_key = tuple(pk) if isinstance(pk, list) else pk
    op.hook_plane, op.inherit, op.resumed = d["hook_plane"], tuple(d["inherit"]), d["resumed"]
    op.effects = [ADDR] if d["effects"] else []
    op.info = sim.rm.info(op.spec)
    op.res_planes = sim.rm.res_planes(op)
    return op


def _check_quiescent(sim) -> None:
    if sim.active or sim.rm.reserved or len(sim.scheduler.q):
        raise SnapshotError("a snapshot is taken between runs, after every reserved op drained")


def snapshot_state(sim) -> tuple:
    """-> (json-able dict, {name: array}) describing ``sim`` between runs."""
    _check_quiescent(sim)
    rm, am, s = sim.rm, sim.am, sim.scheduler
    sched = s.state_dict(_op_dict)
    data = {
        "schema": SCHEMA, "kind": KIND, "config_hash": sim.cfg.config_hash,
        "rng": {"seed": sim.seed, "hook_counter": sched["hook_counter"]},
        "uid": sim.uid, "run_index": sim.run_index, "time": sched["time"], "rr": sched["rr"],
        "last_prune": sched["last_prune"],
        "pending": [[d, b, [list(x) for x in lst]] for (d, b), lst in sorted(am.pending.items())],
        "busy": [[d, b, sorted([uid, page] for uid, page in held.items())]
                 for (d, b), held in sorted(am.busy.items())],
        "backlog": sched["backlog"],
        "backlog_tries": sched["backlog_tries"],
        "bootstrap": sim.bootstrap.state() if sim.bootstrap is not None else None,
    }
    data.update(rm.state_dict(_op_dict))
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
    sim.uid, sim.run_index = data["uid"], data["run_index"]
    s.load_state_dict({"hook_counter": data["rng"]["hook_counter"], "time": data["time"],
                       "rr": data["rr"], "last_prune": data["last_prune"],
                       "backlog": data["backlog"], "backlog_tries": data["backlog_tries"]},
                      lambda o: _op_from(o, sim))
    am.pending = {(d, b): [tuple(x) for x in lst] for d, b, lst in data["pending"]}
    am.busy = {(d, b): {uid: page for uid, page in held} for d, b, held in data["busy"]}
    am.restore_arrays(arrays)
    rm.load_state_dict(data, lambda o: _op_from(o, sim))
    if sim.bootstrap is not None and data["bootstrap"] is not None:
        sim.bootstrap.restore(data["bootstrap"])
