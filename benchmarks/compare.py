"""Back-to-back engine throughput of two source trees, for a shared machine.

    python benchmarks/compare.py BASE_TREE [--config reference] [--until 1000000] [--repeats 5]

``BASE_TREE`` is another checkout of the repository (for example
``git archive <commit> | tar -x -C /tmp/base``). Runs alternate base / this
tree, each in a fresh process, and time ``Simulation.run`` both in wall time
and in the process's CPU time (less sensitive to other jobs on the machine).
Prints the median ops/s of each and the ratio this / base.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from throughput import load
from nandseqgen.simulation import Simulation
sim = Simulation(load(sys.argv[2]), seed=int(sys.argv[4]))
w, c = time.perf_counter(), time.process_time()
result = sim.run(float(sys.argv[3]))
w, c = time.perf_counter() - w, time.process_time() - c
n = len(result.recorder.sequence)
print(json.dumps({"ops": n, "wall": n / w, "cpu": n / c}))
"""


def one(tree: str, config: str, until: float, seed: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, tree, config, str(until), str(seed)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--config", default="reference", choices=["reference", "project"])
    p.add_argument("--until", type=float, default=1_000_000.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    runs: dict = {"base": [], "this": []}
    for _ in range(args.repeats):
        runs["base"].append(one(os.path.abspath(args.base), args.config, args.until, args.seed))
        runs["this"].append(one(ROOT, args.config, args.until, args.seed))
    if {r["ops"] for r in runs["base"]} != {r["ops"] for r in runs["this"]}:
        print("note: the two trees issue different numbers of ops")
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu")}
           for k, v in runs.items()}
    for k in ("base", "this"):
        print(f"{k}: {runs[k][0]['ops']:,} ops, median {med[k]['wall']:,.0f} ops/s wall, "
              f"{med[k]['cpu']:,.0f} ops/s cpu")
    print(f"ratio this/base: wall {med['this']['wall'] / med['base']['wall']:.3f}, "
          f"cpu {med['this']['cpu'] / med['base']['cpu']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
