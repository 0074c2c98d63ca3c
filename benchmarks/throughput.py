"""Throughput benchmark: committed ops per wall second, several run lengths,
both configs, peak memory. Each measurement runs in a fresh subprocess so peak
RSS belongs to that run alone.

    python benchmarks/throughput.py            # 100k and 1M us, both configs
    python benchmarks/throughput.py --full     # adds 10M us
    python benchmarks/throughput.py --json out.json

"ops" are rows of the ATE sequence (issued commands); wall time covers the
simulation (``Simulation.run``), and, separately, building + writing the six
CSV tables. ``ops/s (cpu)`` divides by the CPU time of the process during
``Simulation.run`` instead: the figure to compare on a shared machine.
``compiled`` says whether the mypyc-compiled engine ran (``NANDSEQGEN_PURE=1``
in the environment measures the pure-Python path).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REFERENCE = os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml")


def load(which: str):
    sys.path.insert(0, ROOT)
    from nandseqgen.config import load_config, load_config_text
    if which == "project":
        return load_config(os.path.join(ROOT, "config.yaml"))
    text = open(REFERENCE, encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    return load_config_text(text, source="nandseqgen_v2_config.yaml (fixed)")


def measure(which: str, until_us: float, seed: int) -> dict:
    """One measurement, in this process."""
    import nandseqgen
    from nandseqgen.simulation import Simulation
    cfg = load(which)
    sim = Simulation(cfg, seed=seed, keep="memory")
    t0, c0 = time.perf_counter(), time.process_time()
    result = sim.run(until_us)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    ops = result.ops_issued
    with tempfile.TemporaryDirectory() as out:
        t1 = time.perf_counter()
        result.write(out, "000000")
        write_s = time.perf_counter() - t1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"config": which, "run_until_us": until_us, "seed": seed, "ops": ops,
            "compiled": nandseqgen.compiled(), "cpu_s": round(cpu_s, 3),
            "ops_per_cpu_s": round(ops / cpu_s),
            "run_s": round(run_s, 3), "ops_per_s": round(ops / run_s),
            "write_s": round(write_s, 3), "peak_rss_mb": round(peak_mb, 1),
            "hooks": result.metrics["hooks_executed"],
            "rollbacks": sum(result.metrics["rollbacks"].values())}


def run_child(which: str, until_us: float, seed: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", which, str(until_us), str(seed)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list) -> str:
    head = ("| config | run_until (us) | ops | compiled | run (s) | ops/s | ops/s (cpu) | write (s) "
            "| peak RSS (MB) |")
    lines = [head, "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['run_until_us']:,.0f} | {r['ops']:,} | {r['compiled']} | "
                     f"{r['run_s']} | {r['ops_per_s']:,} | {r['ops_per_cpu_s']:,} | {r['write_s']} "
                     f"| {r['peak_rss_mb']} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child", nargs=3, metavar=("CONFIG", "UNTIL", "SEED"))
    p.add_argument("--full", action="store_true", help="also 10,000,000 us")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    if args.child:
        which, until, seed = args.child
        print(json.dumps(measure(which, float(until), int(seed))))
        return
    lengths = [100_000, 1_000_000] + ([10_000_000] if args.full else [])
    rows = []
    for which in ("reference", "project"):
        for until in lengths:
            rows.append(run_child(which, until, args.seed))
            print(json.dumps(rows[-1]), flush=True)
    print()
    print(table(rows))
    for which in ("reference", "project"):
        for col in ("ops_per_s", "ops_per_cpu_s"):
            mine = {r["run_until_us"]: r[col] for r in rows if r["config"] == which}
            if 10_000_000 in mine:
                print(f"{which}: {col} at 10M / at 1M = {mine[10_000_000] / mine[1_000_000]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
