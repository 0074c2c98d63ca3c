"""Gantt benchmark: draw 100,000 op-state segments and save the figure.

    python benchmarks/gantt_bench.py                 # 100,000 segments, 3 repeats
    python benchmarks/gantt_bench.py --segments 300000 --repeats 5

The segments are a real run's ``op_states`` (project config, seed 42), tiled
in time (each copy shifted by the run's length) until there are enough, so
lanes, op bases and durations look like a long run's. Each repeat times
``gantt()`` (building the one PolyCollection) and ``fig.savefig`` to an
in-memory PNG separately.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from nandseqgen.plotting import gantt  # noqa: E402
from nandseqgen.simulation import Simulation  # noqa: E402


def segments(n: int, seed: int = 42, run_us: float = 100_000) -> pd.DataFrame:
    """``n`` op_state rows: one run's table repeated, shifted in time."""
    states = Simulation(os.path.join(ROOT, "config.yaml"), seed=seed).run(run_us).op_states
    copies, span = [], float(states["end"].max())
    for k in range(-(-n // len(states))):
        shifted = states.copy()
        shifted[["start", "end"]] += k * span
        copies.append(shifted)
    return pd.concat(copies, ignore_index=True).iloc[:n]


def once(df: pd.DataFrame, dpi: int) -> tuple:
    """(seconds in gantt(), seconds in savefig, PNG bytes)."""
    t0 = time.perf_counter()
    ax = gantt(df)
    t1 = time.perf_counter()
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=dpi)
    t2 = time.perf_counter()
    plt.close(ax.figure)
    return t1 - t0, t2 - t1, buf.tell()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dpi", type=int, default=100)
    args = ap.parse_args(argv)
    df = segments(args.segments)
    print(f"{len(df):,} segments, {df['lane'].nunique()} lanes, "
          f"{df['op_state'].str.split('.').str[0].nunique()} op bases, "
          f"{df['start'].min():,.0f}-{df['end'].max():,.0f} us")
    rows = [once(df, args.dpi) for _ in range(args.repeats)]
    for i, (draw, save, size) in enumerate(rows, 1):
        print(f"  repeat {i}: gantt() {draw:.3f} s + savefig {save:.3f} s = {draw + save:.3f} s"
              f"  (PNG {size / 1024:.0f} KiB)")
    totals = [d + s for d, s, _ in rows]
    print(f"gantt + savefig, {len(df):,} segments: median {statistics.median(totals):.3f} s, "
          f"best {min(totals):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
