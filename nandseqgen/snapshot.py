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

from . import snapshot_schema as schema
from .core.ops import Op
from .outputs.atomic import atomic_open, file_sha256, fsync_dir
from .resources.effects import ADDR

SCHEMA = 3  # 2: per-block abort marks (docs/semantics.md rule 16), held pages;
#             3: digest over the JSON and the sidecars' sha256
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
        "directed": sim.steer.state() if sim.steer is not None else None,  # docs/coverage.md
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
    data["sidecars"], data["sidecar_sha256"] = {}, {}
    for name, arr in arrays.items():
        fname = f"{base}.{name}.npy"
        with atomic_open(os.path.join(directory, fname), "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        data["sidecars"][name] = fname
        data["sidecar_sha256"][name] = file_sha256(os.path.join(directory, fname))
    data["digest"] = schema.digest(data)
    path = os.path.join(directory, base + ".json")
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, sort_keys=True, separators=(",", ":"))
    fsync_dir(directory)
    return path


def _read_json(path: str) -> dict:
    from .config.yamlio import FileProblem, read_text_file
    try:
        data = json.loads(read_text_file(path))
    except FileProblem as exc:
        raise SnapshotError(str(exc)) from exc
    except (OSError, ValueError) as exc:  # JSONDecodeError
        raise SnapshotError(f"{path}: not a readable snapshot ({exc})") from exc
    except RecursionError as exc:
        raise SnapshotError(f"{path}: not a readable snapshot (nested too deeply)") from exc
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: not a nandseqgen snapshot (not a JSON object)")
    return data


def read_snapshot(path: str, cfg) -> dict:
    """The snapshot's JSON, refusing a wrong kind, schema, config hash or
    digest (an edited file) with a one-line message."""
    data = _read_json(path)
    if data.get("kind") != KIND or data.get("schema") != SCHEMA:
        raise SnapshotError(f"{path}: schema {data.get('schema')!r} is not {SCHEMA} "
                            f"(or not a nandseqgen snapshot)")
    if data.get("config_hash") != cfg.config_hash:
        raise SnapshotError(f"{path}: taken with config {data.get('config_hash')}, "
                            f"but the loaded config is {cfg.config_hash}")
    if data.get("digest") != schema.digest(data):
        raise SnapshotError(f"{path}: digest mismatch: the snapshot was changed after it was "
                            "written (snapshots are not hand-editable)")
    return data


def _read_arrays(path: str, data: dict) -> dict:
    sidecars, sums = data.get("sidecars"), data.get("sidecar_sha256")
    if not isinstance(sidecars, dict) or not isinstance(sums, dict):
        raise schema.SchemaError("sidecars: expected a mapping of array names to file names")
    directory = os.path.dirname(os.path.abspath(path))
    arrays = {}
    for name, fname in sidecars.items():
        full = schema.sidecar_path(directory, name, fname)
        try:
            if file_sha256(full) != sums.get(name):
                raise schema.SchemaError(f"sidecars.{name}: {fname} is not the file written "
                                         "with this snapshot (checksum mismatch)")
            arrays[name] = np.load(full, allow_pickle=False)
        except (OSError, ValueError) as exc:
            if isinstance(exc, schema.SchemaError):
                raise
            raise SnapshotError(f"{path}: sidecar {fname} missing or unreadable") from exc
    return arrays


def load_snapshot(path: str, cfg, phase_table: dict | None = None, *, seed: int | None = None,
                  bootstrap: bool | None = None):
    """A Simulation continuing exactly where the snapshot stopped.

    ``seed`` / ``bootstrap`` (e.g. from the command line) must agree with the
    snapshot when given: a resumed run cannot honour another seed or another
    bootstrap setting, so a mismatch is an error rather than being ignored.
    """
    from .simulation import Simulation
    data = read_snapshot(path, cfg)
    try:
        schema.check_top(data, _reference(cfg))
        schema.check_values(data, cfg)
        snap_seed, has_boot = data["rng"]["seed"], data["bootstrap"] is not None
        _check_flags(path, snap_seed, has_boot, seed, bootstrap)
        sim = Simulation(cfg, seed=snap_seed, phase_table=phase_table, bootstrap=has_boot)
        arrays = _read_arrays(path, data)
        schema.check_arrays(arrays, {k: np.asarray(v) for k, v in sim.am.arrays().items()})
        _restore(sim, data, arrays)
    except schema.SchemaError as exc:
        raise SnapshotError(f"{path}: {exc}") from exc
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"{path}: malformed snapshot ({type(exc).__name__}: {exc})") from exc
    return sim


def _reference(cfg) -> dict:
    """The JSON of a fresh simulation of ``cfg``: the schema's reference."""
    from .simulation import Simulation
    return snapshot_state(Simulation(cfg, seed=0, phase_table={}, bootstrap=False))[0]


def _check_flags(path, snap_seed, has_boot, seed, bootstrap) -> None:
    if seed is not None and seed != snap_seed:
        raise SnapshotError(f"{path}: --seed {seed} cannot be honoured: the snapshot continues "
                            f"seed {snap_seed} (drop --seed, or give --seed {snap_seed})")
    if bootstrap is not None and bool(bootstrap) != has_boot:
        want = "--bootstrap" if has_boot else "--no-bootstrap"
        raise SnapshotError(f"{path}: --{'' if bootstrap else 'no-'}bootstrap cannot be honoured: "
                            f"the snapshot was taken {'with' if has_boot else 'without'} the "
                            f"bootstrap phase (drop the flag, or give {want})")


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
    if sim.steer is not None and data.get("directed") is not None:
        sim.steer.restore(data["directed"])
