"""One campaign site, as a worker runs it (docs/campaigns.md).

A site runs into ``<out_dir>.partial``, writes its outputs, checks them with
the independent checker, computes its coverage, and only then is renamed to
``<out_dir>``: a folder without the suffix is always complete. Every file
in it depends only on the site's parameters (no wall time, no path), so the
same site gives byte-identical files on any worker.
"""
from __future__ import annotations

import json
import os
import shutil
import traceback
from dataclasses import dataclass, field

import pandas as pd

from ..outputs.atomic import atomic_open, file_sha256, fsync_dir
from .coverage import site_coverage
from .spec import PHASE_TABLE, SITE_JSON, VIOLATIONS, Site

PARTIAL = ".partial"


@dataclass(slots=True)
class SiteOutcome:
    """What a worker hands back. ``row``: the site's figures (as in
    ``site.json``); ``files``: name -> sha256 of every file of the site."""

    name: str
    status: str  # "done" or "failed"
    row: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    wall_s: float | None = None
    error: str | None = None


def load_site_config(site: Site):
    """The site's Config: its file, override files, then its policy variant."""
    from ..config import load_config, with_changes
    cfg = load_config(site.config, overrides=list(site.overrides), strict=site.strict)
    if site.policies:
        cfg = with_changes(cfg, {"policies": dict(site.policies)})
    return cfg


def checksums(folder: str) -> dict:
    """name -> sha256 of every file in ``folder`` (sorted by name)."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            out[name] = file_sha256(path)
    return out


def _check(tmp: str, cfg, runs: list) -> dict:
    """Check every run (each after its predecessors); write violations.csv;
    returns rule -> violations."""
    from ..checker import COLUMNS, RULES, check_dir
    frames = []
    for run in runs:
        # one process: the campaign already runs its sites in parallel
        report = check_dir(tmp, cfg, run_index=run["run_index"], jobs=1)
        frames.append(report.violations.assign(run_index=run["run_index"]))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    df = df.reindex(columns=["run_index", *COLUMNS])
    with atomic_open(os.path.join(tmp, VIOLATIONS), "w", newline="", encoding="utf-8") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
    counts = df["rule"].value_counts() if len(df) else {}
    return {rule: int(counts.get(rule, 0)) for rule in RULES}


def _row(site: Site, summary: dict, violations: dict, cov, bins: int) -> dict:
    runs = summary["runs"]
    reasons: dict = {}
    for run in runs:
        for reason, n in run["rollbacks_by_reason"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    return {"site": site.name, "config": site.config, "overrides": ";".join(site.overrides),
            "variant": site.variant, "seed": site.seed, "runs": len(runs),
            "ops": sum(r["ops"] for r in runs), "rollbacks": sum(reasons.values()),
            "rollbacks_by_reason": dict(sorted(reasons.items())),
            "violations": sum(violations.values()), "violations_by_rule": violations,
            "coverage_ratio": cov.ratio, "coverage_entropy": cov.entropy,
            "coverage_filled": cov.filled, "coverage_possible": cov.possible,
            "coverage_unreachable": cov.unreachable, "coverage_closed": cov.closed,
            "input_time_bins": bins}


def _run_into(site: Site, tmp: str) -> dict:
    from ..config.phase import build_phase_table
    from ..config.phase_file import save_phase_table
    from ..runner import run_job
    cfg = load_site_config(site)
    os.makedirs(tmp)
    summary = run_job(cfg, out_dir=tmp, seed=site.seed, run_until_us=site.run_until_us,
                      date=site.date, num_runs=site.num_runs, progress=False, snapshots=False)
    phase_table = build_phase_table(cfg, site.seed)  # what Simulation sampled from
    save_phase_table(phase_table, os.path.join(tmp, PHASE_TABLE))
    violations = _check(tmp, cfg, summary["runs"])
    cov = site_coverage(tmp, cfg, phase_table)
    row = _row(site, summary, violations, cov, cfg.policies.input_time_bins)
    with atomic_open(os.path.join(tmp, SITE_JSON), "w", encoding="utf-8") as fh:
        json.dump(row, fh, indent=1, sort_keys=True)
        fh.write("\n")
    fsync_dir(tmp)
    return row


def run_site(site: Site, clock=None) -> SiteOutcome:
    """Run, check and measure one site. Never raises for a site's own error:
    a failed site comes back with ``status="failed"`` and the error.
    ``clock`` (e.g. ``time.perf_counter``) adds the wall time."""
    t0 = clock() if clock else 0.0
    tmp = site.out_dir + PARTIAL
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        row = _run_into(site, tmp)
        files = checksums(tmp)
        shutil.rmtree(site.out_dir, ignore_errors=True)
        os.replace(tmp, site.out_dir)
        fsync_dir(os.path.dirname(os.path.abspath(site.out_dir)))
    except Exception as exc:  # noqa: BLE001 - reported per site, the others go on
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        detail = "".join(traceback.format_exc(limit=-3))
        return SiteOutcome(site.name, "failed", error=tb + "\n" + detail,
                           wall_s=(clock() - t0) if clock else None)
    return SiteOutcome(site.name, "done", row, files, (clock() - t0) if clock else None)
