"""Full-size soak: many seeds x (project config, fixed reference config, its
flat-mix two-die variant, suspend-heavy overrides), every sequence
replay-checked by the independent checker; plus one long flat-mix run. The
test suite runs a reduced version (tests/test_soak.py).

    python benchmarks/soak.py                      # 20 seeds, sizes below
    python benchmarks/soak.py --seeds 5 --scale 0.1
    python benchmarks/soak.py --seeds 0 --long 20000000   # only the long run
"""
from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from nandseqgen.checker import check_frames  # noqa: E402
from nandseqgen.config import load_config, load_config_text  # noqa: E402
from nandseqgen.config.variants import flat_mix  # noqa: E402
from nandseqgen.simulation import Simulation  # noqa: E402

SIZES = {"project": 1_000_000, "reference": 1_000_000, "flat_mix": 1_000_000,
         "suspend_heavy": 500_000}


def configs() -> dict:
    text = open(os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml"),
                encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    project = os.path.join(ROOT, "config.yaml")
    reference = load_config_text(text, source="reference (fixed)")
    return {
        "project": load_config(project),
        "reference": reference,
        "flat_mix": flat_mix(reference, dies=2),
        "suspend_heavy": load_config(project,
                                     overrides=[os.path.join(ROOT, "configs", "suspend_heavy.yaml")]),
    }


def soak(name: str, cfg, seeds: int, until: float) -> tuple:
    ops = violations = suspends = resets = marks = 0
    t0 = time.perf_counter()
    for seed in range(seeds):
        sim = Simulation(cfg, seed=seed)
        result = sim.run(until)
        marks += sim.am.aborted_blocks
        report = check_frames(result.sequence, result.operations, cfg, result.op_states)
        ops += len(result.sequence)
        violations += len(report.violations)
        suspends += result.metrics["suspends"]
        resets += result.metrics["resets"]
        if not report.ok:
            print(f"{name} seed {seed}: {len(report.violations)} violations", flush=True)
            print(report.violations.head(10).to_string(), flush=True)
    wall = time.perf_counter() - t0
    print(f"{name}: {seeds} seeds x {until:,.0f} us, {ops:,} ops, {suspends:,} suspends, "
          f"{resets:,} resets, {marks:,} blocks marked aborted, {violations} violations, "
          f"{wall:.0f} s", flush=True)
    return (name, seeds, until, ops, suspends, resets, marks, violations, wall)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--scale", type=float, default=1.0, help="multiply the run lengths")
    p.add_argument("--long", type=float, default=20_000_000,
                   help="us of the one long flat-mix run (0: none)")
    args = p.parse_args()
    cfgs = configs()
    rows = [soak(name, cfg, args.seeds, SIZES[name] * args.scale)
            for name, cfg in cfgs.items() if args.seeds > 0]
    if args.long > 0:
        rows.append(soak("flat_mix (long)", cfgs["flat_mix"], 1, args.long))
    print("\n| config | seeds | run_until (us) | ops checked | suspends | resets "
          "| aborted-block marks | violations | wall (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, seeds, until, ops, susp, resets, marks, viol, wall in rows:
        print(f"| {name} | {seeds} | {until:,.0f} | {ops:,} | {susp:,} | {resets:,} | {marks:,} "
              f"| {viol} | {wall:.0f} |")
    return 1 if any(r[7] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
