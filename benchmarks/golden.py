"""Golden-output comparison: same config + seed -> byte-identical files
before and after an engine change.

    python benchmarks/golden.py make DIR [--src TREE]   # write the outputs of the code in TREE
    python benchmarks/golden.py compare A B             # every file of A and B, byte by byte

``make`` runs ``python -m nandseqgen run`` of the source tree ``TREE``
(default: this repository) on ``config.yaml`` and on the fixed reference
config, for a few seeds, with a fixed date, into ``DIR/<config>-<seed>/``.
To compare against another commit: ``git archive COMMIT | tar -x -C /tmp/base``
then ``make /tmp/gold-base --src /tmp/base`` and ``make /tmp/gold-new``.
Files whose content depends on the wall clock (the run manifest's timings) are
compared with those fields removed.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = (1, 42, 7)
RUN_UNTIL = 300_000.0
WALL_KEYS = {"wall_s", "run_s", "write_s", "elapsed_s", "ops_per_s", "wall_time_s", "seconds"}


def _fixed_reference(tmp: str) -> str:
    text = open(os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml"),
                encoding="utf-8").read().replace("400.6036\u02dd", "400.6036")
    path = os.path.join(tmp, "reference_fixed.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def make(out: str, src: str, seeds=SEEDS, run_until: float = RUN_UNTIL) -> None:
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=src)
    with tempfile.TemporaryDirectory() as tmp:
        configs = {"project": os.path.join(src, "config.yaml"), "reference": _fixed_reference(tmp)}
        for name, path in configs.items():
            for seed in seeds:
                dest = os.path.join(out, f"{name}-{seed}")
                subprocess.run([sys.executable, "-m", "nandseqgen", "run", "--config", path,
                                "--out", dest, "--seed", str(seed), "--run-until",
                                str(run_until), "--date", "260101", "--no-progress"],
                               env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)


def _strip_wall(obj):
    if isinstance(obj, dict):
        return {k: _strip_wall(v) for k, v in obj.items() if k not in WALL_KEYS}
    if isinstance(obj, list):
        return [_strip_wall(v) for v in obj]
    return obj


def _same(a: str, b: str) -> bool:
    if filecmp.cmp(a, b, shallow=False):
        return True
    if a.endswith(".json"):
        with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
            return _strip_wall(json.load(fa)) == _strip_wall(json.load(fb))
    return False


def compare(a: str, b: str) -> list:
    """Differences between two output trees (empty when identical)."""
    diffs = []
    files_a = {os.path.relpath(os.path.join(d, f), a) for d, _, fs in os.walk(a) for f in fs}
    files_b = {os.path.relpath(os.path.join(d, f), b) for d, _, fs in os.walk(b) for f in fs}
    for rel in sorted(files_a ^ files_b):
        diffs.append(f"only in one tree: {rel}")
    for rel in sorted(files_a & files_b):
        if not _same(os.path.join(a, rel), os.path.join(b, rel)):
            diffs.append(f"differs: {rel}")
    return diffs


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--src", default=ROOT)
    m.add_argument("--run-until", type=float, default=RUN_UNTIL)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = p.parse_args()
    if args.cmd == "make":
        make(args.out, os.path.abspath(args.src), run_until=args.run_until)
        return 0
    diffs = compare(args.a, args.b)
    print("\n".join(diffs) if diffs else "identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
