"""Coverage closure benchmark: uniform vs coverage-directed, same seeds, on
config.yaml and the flat mix of the fixed reference config (every
``phase_conditional_overrides.global`` entry removed, two dies). Figures go to
docs/coverage.md; the curves to docs/images/coverage_closure.png.

    python benchmarks/coverage_bench.py                    # 10k, 100k, 1M ops
    python benchmarks/coverage_bench.py --ops 200000 --configs flat
    python benchmarks/coverage_bench.py --json out.json --plot docs/images/coverage_closure.png

Each measurement is one uninterrupted run, stopped once the target number of
ops is committed (then drained); cells are (phase key x op name x input-time
bin), see docs/coverage.md. Run boundaries matter: a run's end drains every
long op (no hooks fire), which itself changes coverage, so no chunking here.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from nandseqgen.config import load_config, load_config_text  # noqa: E402
from nandseqgen.coverage import build_space, closure, closure_curve, flat_mix  # noqa: E402
from nandseqgen.coverage.variants import directed  # noqa: E402

REFERENCE = os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml")


def configs() -> dict:
    text = open(REFERENCE, encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    return {"project": load_config(os.path.join(ROOT, "config.yaml")),
            "flat": flat_mix(load_config_text(text, source="reference (fixed)"))}


def measure(cfg, seed: int, ops_target: int, points: int = 50) -> dict:
    """One uninterrupted run until ``ops_target`` ops; -> figures and the curve."""
    t0 = time.perf_counter()
    curve, result, space = closure_curve(cfg, seed, ops_target, points)
    wall = time.perf_counter() - t0
    fig = closure(space, result.recorder.input_time)
    return {"ops": result.ops_committed, "sim_us": result.end_us, "wall_s": round(wall, 1),
            "rollbacks": sum(result.metrics["rollbacks"].values()), **fig.as_dict(),
            "curve": curve}


def refigure(row: dict, cfg) -> dict:
    """``row`` against the current model of ``cfg``: the hits are what was
    measured; unreachable and closed are recounted, and the entropy is
    re-normalised exactly (its numerator does not depend on the model)."""
    from nandseqgen.config.phase import build_phase_table
    fig = closure(build_space(cfg, build_phase_table(cfg, row["seed"])), {})
    old_n, new_n = row["allowed"] - row["unreachable"], fig.allowed - fig.unreachable
    entropy = row["entropy"] * math.log(old_n) / math.log(new_n) if new_n > 1 else 0.0
    return {**row, "allowed": fig.allowed, "unreachable": fig.unreachable,
            "closed": round((row["hit"] + fig.unreachable) / fig.allowed, 6),
            "entropy": round(entropy, 6), "pairs_unreachable": fig.pairs_unreachable}


def table(rows) -> str:
    """A Markdown table of the rows (docs/coverage.md)."""
    head = ("| config | seed | ops | mode | cells hit | of reachable | closed (hit + unreachable) "
            "| entropy | (key, name) pairs hit | sim time (s) | wall (s) |\n"
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        reach = r["allowed"] - r["unreachable"]
        lines.append(f"| {r['config']} | {r['seed']} | {r['ops']:,} | {r['mode']} | {r['hit']:,} | "
                     f"{r['hit'] / max(1, reach):.1%} | {r['closed']:.1%} | {r['entropy']:.3f} | "
                     f"{r['pairs_hit']:,} / {r['pairs_allowed'] - r['pairs_unreachable']:,} | "
                     f"{r['sim_us'] / 1e6:.1f} | {r['wall_s']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--ops", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--configs", nargs="+", default=["project", "flat"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--modes", nargs="+", default=["uniform", "directed"],
                   choices=["uniform", "directed"])
    p.add_argument("--json", default=None)
    p.add_argument("--plot", default=None, help="closure curves of the largest size (PNG)")
    p.add_argument("--from", dest="sources", nargs="+", default=None, metavar="JSON",
                   help="plot / tabulate rows written earlier with --json (no runs), "
                        "re-figured against the current model (see refigure)")
    args = p.parse_args()
    rows = []
    if args.sources:
        cfgs = configs()
        for path in args.sources:
            with open(path, encoding="utf-8") as fh:
                rows += [refigure(r, cfgs[r["config"]]) for r in json.load(fh)]
        args.configs = []
        print(table(rows))
    for name in args.configs:
        cfg = configs()[name]
        for n in args.ops:
            for mode, c in (("uniform", cfg), ("directed", directed(cfg))):
                if mode not in args.modes:
                    continue
                row = {"config": name, "mode": mode, "target_ops": n, "seed": args.seed,
                       **measure(c, args.seed, n)}
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "curve"}), flush=True)
                if args.json:  # after every row: a long benchmark keeps what it measured
                    with open(args.json, "w", encoding="utf-8") as fh:
                        json.dump(rows, fh, indent=1)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        from nandseqgen.plotting.coverage import closure_curves
        for name in sorted({r["config"] for r in rows}):
            ax = closure_curves([r for r in rows if r["config"] == name])
            ax.set_title(f"Coverage closure: {name}, seed {rows[0]['seed']}")
            ax.figure.savefig(args.plot.replace(".png", f"_{name}.png"), dpi=110,
                              bbox_inches="tight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
