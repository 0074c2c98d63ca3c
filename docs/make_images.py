"""Write the documentation's plot images to ``docs/images/``.

    python docs/make_images.py            # seed 42, 100,000 us, bootstrap on

One seeded run of the shipped ``config.yaml`` (bootstrap on, so every table
has rows), then one PNG per plot function of :mod:`nandseqgen.plotting`.
"""
from __future__ import annotations

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import matplotlib.pyplot as plt  # noqa: E402

from nandseqgen import plotting  # noqa: E402
from nandseqgen.simulation import Simulation  # noqa: E402

# file name -> draw(result) -> Axes
IMAGES = {
    "gantt.png": lambda r: plotting.gantt(r, window=(40_000, 43_000)),
    "rollbacks.png": lambda r: plotting.rollback_reasons(r, by="op_base"),
    "bootstrap.png": lambda r: plotting.bootstrap_progress(r),
    "coverage.png": lambda r: plotting.coverage_heatmap(r, max_names=40),
    "input_time.png": lambda r: plotting.input_time_hist(r),
    "address_heatmap.png": lambda r: plotting.address_heatmap(r),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--run-until", type=float, default=100_000)
    ap.add_argument("--out", default=os.path.join(HERE, "images"))
    ap.add_argument("--dpi", type=int, default=90)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    result = Simulation(os.path.join(ROOT, "config.yaml"), seed=args.seed,
                        bootstrap=True).run(args.run_until)
    for name, draw in IMAGES.items():
        ax = draw(result)
        path = os.path.join(args.out, name)
        ax.figure.savefig(path, dpi=args.dpi)
        plt.close(ax.figure)
        print(f"{path}: {os.path.getsize(path) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
