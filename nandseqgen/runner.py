"""The main job: run a simulation for ``num_runs`` runs and write every table.

Used by the CLI and by notebooks that want files; it is the only place that
knows about output folders, run indices and snapshots.
"""
from __future__ import annotations

import logging
import os

from .config import phase_file as _phase
from .outputs.manifest import begin_outputs, write_manifest
from .simulation import Simulation

log = logging.getLogger(__name__)


def _make_sim(cfg, seed, bootstrap, resume_from, phase_table):
    table = _phase.load_phase_table(phase_table, cfg) if phase_table else None
    if resume_from:  # seed / bootstrap given (not None) must match the snapshot
        from .snapshot import load_snapshot
        return load_snapshot(resume_from, cfg, phase_table=table, seed=seed, bootstrap=bootstrap)
    return Simulation(cfg, seed=42 if seed is None else seed, phase_table=table,
                      bootstrap=bootstrap)


def keep_start_snapshot(resume_from: str, out_dir: str) -> None:
    """Copy the snapshot a resumed job starts from (JSON + sidecars, unchanged)
    into ``out_dir/snapshots`` so the folder can be checked on its own
    (``nandseqgen check`` starts from it, docs/validation.md)."""
    import json
    import shutil
    from .outputs.atomic import atomic_open
    src_dir = os.path.dirname(os.path.abspath(resume_from))
    dst_dir = os.path.join(out_dir, "snapshots")
    if os.path.abspath(dst_dir) == src_dir:
        return
    with open(resume_from, encoding="utf-8") as fh:
        names = list(json.load(fh).get("sidecars", {}).values())
    for name in names + [os.path.basename(resume_from)]:
        with open(os.path.join(src_dir, name), "rb") as src, \
                atomic_open(os.path.join(dst_dir, name), "wb") as dst:
            shutil.copyfileobj(src, dst)


def run_job(cfg, *, out_dir: str, seed: int | None, run_until_us: float, date: str,
            num_runs: int | None = None, bootstrap=None, resume_from=None, phase_table=None,
            save_phase_table=None, progress=None, snapshots: bool = True, clock=None,
            fmt: str = "csv") -> dict:
    """Run and write outputs; returns a JSON-able summary.

    Rows stream to ``out_dir`` while each run goes on (bounded memory);
    ``fmt``: csv, parquet or both. ``clock`` (e.g. ``time.perf_counter``,
    passed by the CLI) adds wall times; the library itself never reads the
    clock. ``seed`` None: 42, or the snapshot's seed on ``resume_from``.
    """
    sim = _make_sim(cfg, seed, bootstrap, resume_from, phase_table)
    begin_outputs(out_dir)  # old manifest and stale temp files go first
    # the files are the outputs: no rollback rows (none is written; decision 124)
    sim.set_outputs(keep="files", out_dir=out_dir, date=date, format=fmt, rollback_log=False)
    if resume_from and snapshots:  # names were confined to its folder by load_snapshot
        keep_start_snapshot(resume_from, out_dir)
    if save_phase_table:
        _phase.save_phase_table(sim.phase_table, save_phase_table)
    runs: list = []
    known: dict = {}  # path -> (bytes, sha256) hashed while written (decision 117)
    for _ in range(num_runs or cfg.num_runs):
        t0 = clock() if clock else 0.0
        result = sim.run(run_until_us, progress=bool(progress))
        wall = (clock() - t0) if clock else 0.0
        files = [p for by_ext in result.files.values() for p in by_ext.values()]
        snap = None
        if snapshots:
            from .snapshot import save_snapshot
            snap = save_snapshot(sim, os.path.join(out_dir, "snapshots"), date)
        ops = result.ops_issued
        runs.append({"run_index": result.run_index, "ops": ops,
                     "wall_s": round(wall, 3) if clock else None,
                     "ops_per_s": round(ops / wall) if wall > 0 else None,
                     "rollbacks": sum(result.metrics["rollbacks"].values()),
                     "rollbacks_by_reason": dict(result.metrics["rollbacks"]),
                     "files": sorted(os.path.basename(p) for p in files),
                     "snapshot": snap})
        known.update(getattr(result.recorder, "digests", {}))
        log.info("run %d: %d ops in %.2fs", result.run_index, ops, wall)
        sim.results.clear()  # the files hold the tables; keep memory flat across runs
    write_manifest(out_dir, known, seed=sim.seed, config_hash=cfg.config_hash, date=date,
                   run_until_us=run_until_us, runs=[r["run_index"] for r in runs])  # last
    return {"config": cfg.source, "seed": sim.seed, "out_dir": out_dir, "runs": runs}


def _site_job(args: tuple) -> dict:
    source, kwargs = args
    from .config import load_config
    path, overrides, strict = source
    return run_job(load_config(path, overrides=overrides, strict=strict), **kwargs)


def run_sites(source: tuple, *, sites: int, out_dir: str, seed: int | None, workers: int | None = None,
              **kwargs) -> dict:
    """Independent ATE sites: site ``k`` (1-based) runs with seed ``seed + k - 1``
    into ``out_dir/site_<k>``, in parallel processes, each loading the config
    from ``source = (path, overrides, strict)``. Each site's files depend only on
    its own seed, so the result does not depend on ``workers``."""
    from .campaign.execute import in_pool  # the campaigns' process pool
    kwargs["progress"] = False
    seed = 42 if seed is None else seed
    jobs = [((source, {**kwargs, "seed": seed + k - 1,
                       "out_dir": os.path.join(out_dir, f"site_{k:03d}")}),)
            for k in range(1, sites + 1)]
    results: list = [None] * sites
    for i, fut in in_pool(_site_job, jobs, workers):
        results[i] = fut.result()
    return {"config": source[0], "sites": results}
