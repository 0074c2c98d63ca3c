"""Memory and end-to-end speed of the whole ``nandseqgen run`` process
(issue 10): peak RSS by run length, and end-to-end ops/s (writing included)
against the engine's own ops/s, measured back to back.

    python benchmarks/memory.py                       # 1M and 10M us, reference config
    python benchmarks/memory.py --until 1e6 1e7 1e8   # other lengths
    python benchmarks/memory.py --engine --repeat 3   # + engine-only ops/s, median of 3
    python benchmarks/memory.py --config config.yaml --until 1.4e8   # a 10M-op run

Peak RSS comes from ``wait4`` on each child (its own high-water mark, not
disturbed by other processes); wall times are noisy on a shared machine, so
the ratio is taken from runs made in turn under the same conditions, and
also on CPU time, which the load distorts less: ``ratio_cpu`` counts the
whole process and its writer against ``Simulation.run`` alone;
``ratio_cpu_main`` only the engine process (start-up, config, run, writing
hand-over, snapshot; its writer formats on the other core), which is what
the wall-clock ratio comes to on an idle 2-core machine. The CLI runs as
``python -m nandseqgen`` does (``cli.main``), with its own CPU time noted
just before it exits.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REFERENCE = os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml")

ENGINE = """
import json, sys, time
from nandseqgen.config import load_config
from nandseqgen.simulation import Simulation
cfg = load_config(sys.argv[1])
sim = Simulation(cfg, seed=int(sys.argv[3]), keep="memory")
t0, c0 = time.perf_counter(), time.process_time()
res = sim.run(float(sys.argv[2]))
run_s, run_cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"ops": res.ops_issued, "run_s": run_s, "run_cpu": run_cpu}))
"""


# ``python -m nandseqgen`` (``cli.entry``: ``main``, then ``exit_now``) that
# also leaves its own CPU time (the engine process alone, not its writer) in
# the file named by NANDSEQGEN_BENCH_CPU
MAIN = """
import os, resource, sys
from nandseqgen.cli import exit_now, main
code = main(sys.argv[1:])
ru = resource.getrusage(resource.RUSAGE_SELF)
with open(os.environ["NANDSEQGEN_BENCH_CPU"], "w") as fh:
    fh.write(repr(ru.ru_utime + ru.ru_stime))
exit_now(code)
"""


def fixed_reference(tmp: str) -> str:
    text = open(REFERENCE, encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    path = os.path.join(tmp, "nandseqgen_v2_config_fixed.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def child(argv: list, env: dict | None = None) -> tuple:
    """Run ``argv``; -> (stdout, wall seconds, peak RSS MiB of that process alone,
    CPU seconds of it and of the children it waited for, e.g. its writer)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT, env=env)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{argv} failed with {proc.returncode}")
    return out, wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def run_cli(config: str, until: float, seed: int, fmt: str, tmp: str) -> dict:
    out_dir = tempfile.mkdtemp(dir=tmp)
    argv = [sys.executable, "-c", MAIN, "run", "--config", config, "--out", out_dir,
            "--seed", str(seed), "--run-until", str(until), "--date", "261130",
            "--no-progress", "--format", fmt]
    cpu_file = os.path.join(tmp, "main_cpu")
    out, wall, rss, cpu = child(argv, {**os.environ, "NANDSEQGEN_BENCH_CPU": cpu_file})
    with open(cpu_file, encoding="utf-8") as fh:
        main_cpu = float(fh.read())
    ops = json.loads(out)["runs"][0]["ops"]
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir)
               if os.path.isfile(os.path.join(out_dir, f)))
    subprocess.run(["rm", "-rf", out_dir], check=True)
    return {"run_until_us": until, "ops": ops, "wall_s": round(wall, 2),
            "e2e_ops_per_s": round(ops / wall), "e2e_ops_per_cpu_s": round(ops / cpu),
            "e2e_main_ops_per_cpu_s": round(ops / main_cpu),
            "peak_rss_mib": round(rss, 1),
            "output_mib": round(size / 2**20, 1), "format": fmt}


def run_engine(config: str, until: float, seed: int) -> dict:
    out, _wall, rss, _cpu = child([sys.executable, "-c", ENGINE, config, str(until), str(seed)])
    r = json.loads(out)
    return {"engine_ops_per_s": round(r["ops"] / r["run_s"]),
            "engine_ops_per_cpu_s": round(r["ops"] / r["run_cpu"]), "engine_rss_mib": round(rss, 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--config", default=None, help="default: the fixed reference config")
    p.add_argument("--until", type=float, nargs="+", default=[1e6, 1e7])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--format", default="csv")
    p.add_argument("--engine", action="store_true", help="also the engine's own ops/s")
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = args.config or fixed_reference(tmp)
        for until in args.until:
            rows = []
            for _ in range(args.repeat):
                row = run_cli(config, until, args.seed, args.format, tmp)
                if args.engine:
                    row.update(run_engine(config, until, args.seed))
                    row["ratio"] = round(row["e2e_ops_per_s"] / row["engine_ops_per_s"], 3)
                    row["ratio_cpu"] = round(row["e2e_ops_per_cpu_s"]
                                             / row["engine_ops_per_cpu_s"], 3)
                    row["ratio_cpu_main"] = round(row["e2e_main_ops_per_cpu_s"]
                                                  / row["engine_ops_per_cpu_s"], 3)
                rows.append(row)
                print(json.dumps(row), flush=True)
            if args.repeat > 1:
                keys = [k for k, v in rows[0].items() if isinstance(v, (int, float))]
                med = {k: statistics.median(r[k] for r in rows) for k in keys}
                print("median", json.dumps(med), flush=True)


if __name__ == "__main__":
    main()
