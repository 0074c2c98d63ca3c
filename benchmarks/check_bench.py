"""Checker benchmark: ``nandseqgen check`` ops per wall and per CPU second, peak RSS.

Each check runs in a fresh subprocess so its peak RSS (``ru_maxrss`` of the
child) and CPU time (user + system) belong to that check alone; CPU time is
the steadier figure on a shared machine. With ``--jobs N`` (N > 1) the check
forks N - 1 workers: peak RSS is then the *sum* of the peaks of the check
process and of each worker, CPU s the total of all of them, and "path CPU s"
the largest CPU time of one process (the wall time on N idle cores). The
folder to check is made with ``nandseqgen run`` (cached in the work folder)
unless one is given.

    python benchmarks/check_bench.py                        # config.yaml, 100k + 1M us
    python benchmarks/check_bench.py --until 1e6 2e7        # run lengths (us)
    python benchmarks/check_bench.py --out-dir OUT          # check an existing folder
    python benchmarks/check_bench.py --repeats 3 --json r.json
    python benchmarks/check_bench.py --out-dir OUT --jobs 1 2      # serial and 2 processes

The machine is shared: report the median of a few repeats.
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
CONFIG = os.path.join(ROOT, "config.yaml")


def make_run(config: str, until_us: float, seed: int, work: str) -> str:
    """A one-run output folder of ``config`` (reused when already there)."""
    out = os.path.join(work, f"run_{seed}_{int(until_us)}")
    if not os.path.isdir(out):
        subprocess.run([sys.executable, "-m", "nandseqgen", "run", "--config", config, "--out",
                        out, "--seed", str(seed), "--run-until", str(until_us), "--num-runs", "1",
                        "--date", "261130", "--no-progress"], check=True,
                       stdout=subprocess.DEVNULL, cwd=ROOT)
    return out


def ops_in(out: str) -> int:
    name = next(n for n in sorted(os.listdir(out)) if n.startswith("operation_sequence_"))
    with open(os.path.join(out, name), "rb") as fh:
        return sum(1 for _ in fh) - 1


_CHILD = ("import resource, sys\n"
          "from nandseqgen.checker import main, parallel\n"
          "rc = main(sys.argv[1:])\n"
          "ru = resource.getrusage(resource.RUSAGE_SELF)\n"
          "workers = parallel.LAST_WORKERS[1:]  # forked workers: (peak KiB, CPU s)\n"
          "peak = ru.ru_maxrss + sum(w[0] for w in workers)\n"
          "cpu = ru.ru_utime + ru.ru_stime\n"
          "path = max([cpu] + [w[1] for w in workers])\n"
          "print('PEAK_KIB', peak, cpu + sum(w[1] for w in workers), path, file=sys.stderr)\n"
          "sys.exit(rc)\n")


def check_once(out: str, config: str, jobs: int = 1) -> dict:
    """One ``nandseqgen check --jobs N`` in a child process: wall time, exit code,
    peak RSS (summed over its processes), CPU time (total and of the busiest process)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, out, "--config", config,
                           "--no-progress", "--show", "0", "--jobs", str(jobs)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    got = [line.split() for line in proc.stderr.splitlines() if line.startswith("PEAK_KIB")]
    if proc.returncode not in (0, 1) or not got:
        raise RuntimeError(f"check of {out} failed:\n{proc.stderr}")
    return {"wall_s": wall, "exit": proc.returncode, "peak_kib": int(got[0][1]),
            "cpu_s": float(got[0][2]), "path_cpu_s": float(got[0][3])}


def bench(out: str, config: str, repeats: int, jobs: int = 1) -> dict:
    ops = ops_in(out)
    runs = [check_once(out, config, jobs) for _ in range(repeats)]
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    path = statistics.median(r["path_cpu_s"] for r in runs)
    peaks = [r["peak_kib"] for r in runs if r["peak_kib"]]
    return {"out": out, "ops": ops, "jobs": jobs, "wall_s": round(wall, 2),
            "ops_per_s": round(ops / wall), "cpu_s": round(cpu, 2),
            "ops_per_cpu_s": round(ops / cpu), "path_cpu_s": round(path, 2),
            "ops_per_path_cpu_s": round(ops / path),
            "load_avg": round(os.getloadavg()[0], 1),
            "peak_rss_mib": round(max(peaks) / 1024, 1) if peaks else None,
            "exit_codes": sorted({r["exit"] for r in runs})}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=CONFIG)
    ap.add_argument("--until", type=float, nargs="*", default=[1e5, 1e6])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out-dir", nargs="*", default=None, help="folders to check instead")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "nandseqgen_check_bench"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--jobs", type=int, nargs="*", default=[1],
                    help="processes per check (nandseqgen check --jobs), one row each")
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    if args.out_dir:
        outs = [os.path.abspath(o) for o in args.out_dir]
    else:
        outs = [make_run(args.config, u, args.seed, args.work) for u in args.until]
    results = [bench(o, args.config, args.repeats, j) for o in sorted(outs, key=ops_in)
               for j in args.jobs]
    print(f"{'ops':>10} {'jobs':>4} {'wall s':>8} {'ops/s':>8} {'CPU s':>8} {'ops/CPU s':>9} "
          f"{'path CPU s':>10} {'ops/path s':>10} {'peak RSS MiB':>13} {'load':>5} exit  folder")
    for r in results:
        print(f"{r['ops']:>10} {r['jobs']:>4} {r['wall_s']:>8} {r['ops_per_s']:>8} "
              f"{r['cpu_s']:>8} {r['ops_per_cpu_s']:>9} {r['path_cpu_s']:>10} "
              f"{r['ops_per_path_cpu_s']:>10} {str(r['peak_rss_mib']):>13} {r['load_avg']:>5} "
              f"{r['exit_codes']}  {r['out']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
