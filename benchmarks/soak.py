"""Full-size soak: many seeds x (project config, fixed reference config,
suspend-heavy overrides), every sequence replay-checked by the independent
checker. The test suite runs a reduced version (tests/test_soak.py).

    python benchmarks/soak.py                      # 20 seeds, sizes below
    python benchmarks/soak.py --seeds 5 --scale 0.1
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
from nandseqgen.simulation import Simulation  # noqa: E402

SIZES = {"project": 1_000_000, "reference": 1_000_000, "suspend_heavy": 500_000}


def configs() -> dict:
    text = open(os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml"),
                encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    project = os.path.join(ROOT, "config.yaml")
    return {
        "project": load_config(project),
        "reference": load_config_text(text, source="reference (fixed)"),
        "suspend_heavy": load_config(project,
                                     overrides=[os.path.join(ROOT, "configs", "suspend_heavy.yaml")]),
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--scale", type=float, default=1.0, help="multiply the run lengths")
    args = p.parse_args()
    rows, bad = [], 0
    for name, cfg in configs().items():
        until = SIZES[name] * args.scale
        ops = violations = suspends = 0
        t0 = time.perf_counter()
        for seed in range(args.seeds):
            result = Simulation(cfg, seed=seed).run(until)
            report = check_frames(result.sequence, result.operations, cfg, result.op_states)
            ops += len(result.sequence)
            violations += len(report.violations)
            suspends += result.metrics["suspends"]
            if not report.ok:
                print(f"{name} seed {seed}: {len(report.violations)} violations", flush=True)
                print(report.violations.head(10).to_string(), flush=True)
        wall = time.perf_counter() - t0
        bad += violations
        rows.append((name, args.seeds, until, ops, suspends, violations, wall))
        print(f"{name}: {args.seeds} seeds x {until:,.0f} us, {ops:,} ops, {suspends:,} suspends, "
              f"{violations} violations, {wall:.0f} s", flush=True)
    print("\n| config | seeds | run_until (us) | ops checked | suspends | violations | wall (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, seeds, until, ops, susp, viol, wall in rows:
        print(f"| {name} | {seeds} | {until:,.0f} | {ops:,} | {susp:,} | {viol} | {wall:.0f} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
