"""Campaign scaling benchmark: the same 8-site campaign on a process pool of 1
and of 2 workers, and on a Dask LocalCluster of 1 and of 2 worker processes
(loopback only). Throughput = sites (and committed ops) per wall second of
``Campaign.run``; the cluster's start-up is timed separately.

    python benchmarks/campaign_bench.py                   # 8 sites x 100 ms, 3 repeats
    python benchmarks/campaign_bench.py --sites 8 --until 200000 --repeats 5 --json out.json

Every repeat runs into a fresh folder; the site files of every mode are
compared (sha256) with the first one's, so the figures are of identical work.
"concurrency" is the sum of the sites' own wall times over the campaign's wall
time: how many sites were running on average (2.0 = both workers always busy,
whatever the load of the machine).
The 1-minute load average is recorded before and after each measurement: the
machine may be shared, and other load distorts the scaling figures.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from nandseqgen.campaign import Campaign  # noqa: E402
from nandseqgen.campaign.site import checksums  # noqa: E402

MODES = ("pool-1", "pool-2", "dask-1", "dask-2")


def _campaign(out: str, sites: int, until: float) -> Campaign:
    return Campaign(configs=[os.path.join(ROOT, "config.yaml")], seeds=range(1, sites + 1),
                    out=out, run_until_us=until)


def _tree(out: str) -> dict:
    return {d: checksums(os.path.join(out, d)) for d in sorted(os.listdir(out))
            if d.startswith("site_")}


def measure(mode: str, sites: int, until: float) -> dict:
    """One timed campaign in ``mode``; returns figures and the site checksums."""
    kind, workers = mode.split("-")
    out = tempfile.mkdtemp(prefix=f"campaign_bench_{mode}_")
    camp = _campaign(out, sites, until)
    load_before = os.getloadavg()[0]
    startup = None
    if kind == "pool":
        t0 = time.perf_counter()
        result = camp.run(workers=int(workers), progress=False, clock=time.perf_counter)
        wall = time.perf_counter() - t0
    else:
        from dask.distributed import Client, LocalCluster
        t_up = time.perf_counter()
        with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            startup = time.perf_counter() - t_up
            t0 = time.perf_counter()
            result = camp.run(client=client, progress=False, clock=time.perf_counter)
            wall = time.perf_counter() - t0
    assert (result.table["status"] == "done").all(), result.failed
    ops = int(result.table["ops"].sum())
    return {"mode": mode, "sites": sites, "run_until_us": until, "wall_s": round(wall, 2),
            "sites_per_s": round(sites / wall, 4), "ops_per_s": round(ops / wall),
            "ops": ops, "concurrency": round(result.table["wall_s"].sum() / wall, 2),
            "cluster_startup_s": None if startup is None else round(startup, 2),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "tree": _tree(out), "out": out}


def run(sites: int, until: float, repeats: int) -> dict:
    rows, reference = [], None
    for rep in range(repeats):
        for mode in MODES:
            row = measure(mode, sites, until)
            tree = row.pop("tree")
            shutil.rmtree(row.pop("out"), ignore_errors=True)
            reference = reference or tree
            row["identical_files"] = tree == reference
            row["repeat"] = rep + 1
            rows.append(row)
            print(json.dumps(row), flush=True)
    return {"rows": rows, "summary": summarise(rows), "cpus": os.cpu_count()}


def summarise(rows: list) -> dict:
    med = {m: statistics.median(r["sites_per_s"] for r in rows if r["mode"] == m)
           for m in MODES}
    conc = {m: statistics.median(r["concurrency"] for r in rows if r["mode"] == m)
            for m in MODES}
    loads = [v for r in rows for v in (r["load_before"], r["load_after"])]
    return {"median_sites_per_s": med, "median_concurrency": conc,
            "speedup_pool_2_vs_1": round(med["pool-2"] / med["pool-1"], 2),
            "speedup_dask_2_vs_pool_1": round(med["dask-2"] / med["pool-1"], 2),
            "speedup_dask_2_vs_1": round(med["dask-2"] / med["dask-1"], 2),
            "load_avg_1min_min_max": [min(loads), max(loads)],
            "all_identical": all(r["identical_files"] for r in rows)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sites", type=int, default=8)
    p.add_argument("--until", type=float, default=100_000.0, help="simulated us per site")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", default=None, help="also write the figures here")
    args = p.parse_args(argv)
    figures = run(args.sites, args.until, args.repeats)
    print(json.dumps(figures["summary"], indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
