"""Full-size input fuzz (issue 13): >= 500 mutated copies of config.yaml and
>= 100 command lines; every outcome must be a clean run or a clean error.

    .venv/bin/python benchmarks/fuzz_inputs.py [--configs 500] [--cli 100] [--seed 0]

Then >= 300 snapshots with one value edited and the digest recomputed (an
edit the digest cannot catch) must resume and run, or fail with a
SnapshotError; and >= 100 mutated copies of the fixed reference config
(tests/data). Each mutated config is loaded; a config that loads runs 1,000 us and its
tables are replay-checked against the mutated config. Outcomes (see
tests/fuzzkit.py): run, error | traceback, unnamed_error, silent, zero_ops,
wrong_result, false_error. Exit 1 when any failure is seen. Figures go in
docs/validation.md ("Input fuzz").
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
import fuzzkit as F  # noqa: E402


def fuzz_configs(n: int, seed: int, text: str | None = None) -> tuple:
    data = F.base_config(text)
    paths = F.all_paths(data)
    counts, kinds, failures = collections.Counter(), collections.Counter(), []
    hostile = 0
    for i in range(n):
        m = F.draw_mutation(F.RandomDrawer(seed * 1_000_003 + i), data, paths)
        kinds[m.kind] += 1
        hostile += m.hostile
        out = F.classify(F.apply(data, m), m, replay_check=True)
        counts[out.kind] += 1
        if not out.ok:
            failures.append((i, m, out))
    return counts, kinds, hostile, failures


def fuzz_cli(n: int, seed: int) -> tuple:
    counts, failures = collections.Counter(), []
    with tempfile.TemporaryDirectory() as tmp:
        fx = F.cli_fixtures(tmp)
        expected_bad = 0
        for i in range(n):
            argv, ok = F.draw_argv(F.RandomDrawer(seed * 1_000_003 + i), fx)
            expected_bad += not ok
            out = F.run_cli(argv, ok)
            counts[out.kind] += 1
            if not out.ok:
                failures.append((i, argv, out))
    return counts, expected_bad, failures


def fuzz_snapshots(n: int, seed: int) -> tuple:
    counts, failures = collections.Counter(), []
    with tempfile.TemporaryDirectory() as tmp:
        snap = F.snapshot_fixture(tmp)
        for i in range(n):
            out = os.path.join(tmp, "edited.json")
            path, value = F.mutate_snapshot(F.RandomDrawer(seed * 1_000_003 + i), snap, out)
            res = F.classify_snapshot(out)
            counts[res.kind] += 1
            if not res.ok:
                failures.append((i, (F._dotted(path), value), res))
    return counts, failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", type=int, default=500, help="mutated configs (default: 500)")
    ap.add_argument("--cli", type=int, default=100, help="command lines (default: 100)")
    ap.add_argument("--snapshots", type=int, default=300,
                    help="edited snapshots, digest recomputed (default: 300)")
    ap.add_argument("--reference", type=int, default=100,
                    help="mutated copies of the fixed reference config (default: 100)")
    ap.add_argument("--seed", type=int, default=0, help="fuzz seed (default: 0)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    counts, kinds, hostile, cfg_fail = fuzz_configs(args.configs, args.seed)
    t1 = time.perf_counter()
    cli_counts, cli_bad, cli_fail = fuzz_cli(args.cli, args.seed)
    t2 = time.perf_counter()
    snap_counts, snap_fail = fuzz_snapshots(args.snapshots, args.seed)
    t3 = time.perf_counter()
    from helpers import fixed_reference_text
    ref_counts, _k, ref_hostile, ref_fail = fuzz_configs(args.reference, args.seed,
                                                         fixed_reference_text())
    t4 = time.perf_counter()
    print(f"configs: {args.configs} in {t1 - t0:.1f} s; mutation kinds {dict(kinds)}; "
          f"{hostile} hostile values")
    print(f"  outcomes: {dict(counts)}")
    print(f"command lines: {args.cli} in {t2 - t1:.1f} s; {cli_bad} with an invalid value")
    print(f"  outcomes: {dict(cli_counts)}")
    print(f"snapshots: {args.snapshots} in {t3 - t2:.1f} s; outcomes: {dict(snap_counts)}")
    print(f"reference configs: {args.reference} in {t4 - t3:.1f} s; {ref_hostile} hostile; "
          f"outcomes: {dict(ref_counts)}")
    for i, what, out in cfg_fail + cli_fail + snap_fail + ref_fail:
        print(f"FAIL #{i}: {what}: {out.kind}: {out.detail}")
    print(f"failures: {len(cfg_fail)} configs, {len(cli_fail)} command lines, "
          f"{len(snap_fail)} snapshots, {len(ref_fail)} reference configs")
    return 1 if cfg_fail or cli_fail or snap_fail or ref_fail else 0


if __name__ == "__main__":
    sys.exit(main())
