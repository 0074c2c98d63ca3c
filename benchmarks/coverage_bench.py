"""Coverage closure benchmark: uniform vs coverage-directed, same seeds, on
config.yaml and the flat mix of the fixed reference config (every
``phase_conditional_overrides.global`` entry removed, two dies). Figures go to
docs/coverage.md; the curves to docs/images/coverage_closure.png.

    python benchmarks/coverage_bench.py                    # 10k, 100k, 1M ops
    python benchmarks/coverage_bench.py --ops 200000 --configs flat
    python benchmarks/coverage_bench.py --json out.json --plot docs/images/coverage_closure.png

A run is cut in chunks of simulated time (runs continue from each other's
state); the cell counts of the chunks are merged, and a curve point is taken
after each chunk, until the target number of ops is reached.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from nandseqgen.config import load_config, load_config_text  # noqa: E402
from nandseqgen.coverage import build_space, closure, flat_mix, merge_counts  # noqa: E402
from nandseqgen.coverage.variants import directed  # noqa: E402
from nandseqgen.simulation import Simulation  # noqa: E402

REFERENCE = os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml")


def configs() -> dict:
    text = open(REFERENCE, encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    return {"project": load_config(os.path.join(ROOT, "config.yaml")),
            "flat": flat_mix(load_config_text(text, source="reference (fixed)"))}


def measure(cfg, seed: int, ops_target: int, points: int = 25) -> dict:
    """Run until ``ops_target`` ops, in about ``points`` chunks of simulated
    time (sized from the ops per us so far); -> figures and the closure curve."""
    sim = Simulation(cfg, seed=seed)
    space = build_space(cfg, sim.phase_table)
    counts, ops, curve, t0 = merge_counts(), 0, [], time.perf_counter()
    chunk_us = 20_000.0
    while ops < ops_target:
        result = sim.run(chunk_us)
        ops += len(result.recorder.sequence)
        counts.update(result.recorder.input_time)
        sim.results.clear()  # keep memory flat: only the merged counts stay
        curve.append((ops, closure(space, counts).hit))
        if not len(result.recorder.sequence):
            break
        chunk_us = max(20_000.0, ops_target / points * sim.now_us / ops)
    wall = time.perf_counter() - t0
    fig = closure(space, counts)
    return {"ops": ops, "sim_us": sim.now_us, "wall_s": round(wall, 1), **fig.as_dict(),
            "curve": curve}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--ops", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--configs", nargs="+", default=["project", "flat"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", default=None)
    p.add_argument("--plot", default=None, help="closure curves of the largest size (PNG)")
    args = p.parse_args()
    rows = []
    for name in args.configs:
        cfg = configs()[name]
        for n in args.ops:
            for mode, c in (("uniform", cfg), ("directed", directed(cfg))):
                row = {"config": name, "mode": mode, "target_ops": n, "seed": args.seed,
                       **measure(c, args.seed, n)}
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "curve"}), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    if args.plot:
        from nandseqgen.plotting.coverage import closure_curves
        closure_curves(rows).figure.savefig(args.plot, dpi=110, bbox_inches="tight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
