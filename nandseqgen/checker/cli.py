"""``nandseqgen check OUT_DIR [--config CONFIG] [--run N]``."""
from __future__ import annotations

import argparse
import sys

from ..config import ConfigError
from .files import check_dir
from .load import CheckInputError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nandseqgen check",
                                description="Replay-check the CSV outputs of one run.")
    p.add_argument("out_dir", help="folder holding operation_sequence_<date>_<run>.csv etc.")
    p.add_argument("--config", default="config.yaml", help="config the run was made with")
    p.add_argument("--run", type=int, default=None, help="run index (default: the highest)")
    p.add_argument("--show", type=int, default=20, help="violations to print (default 20)")
    p.add_argument("--no-history", action="store_true",
                   help="do not replay the earlier runs of the folder first (start from the "
                        "snapshot of the previous run in OUT_DIR/snapshots when there is one)")
    p.add_argument("--from-snapshot", metavar="SNAPSHOT", default=None,
                   help="state_snapshot_*.json the checked runs started from (default: found "
                        "in OUT_DIR/snapshots when the folder's first run is not run 1)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="processes sharing the check (same report; default: one per CPU, at "
                        "most 2, for runs of more than ~40,000 ops; each holds its own chunk)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is shown only when stderr is a terminal)")
    return p


def main(argv=None) -> int:
    """Print the per-rule summary; exit 0 when valid, 1 on violations, 2 on bad input."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    if args.jobs is not None and args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        report = check_dir(args.out_dir, args.config, args.run, history=not args.no_history,
                           from_snapshot=args.from_snapshot, progress=not args.no_progress,
                           jobs=args.jobs)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except (CheckInputError, OSError) as exc:
        print(f"cannot check: {exc}", file=sys.stderr)
        return 2
    print(report.format_summary(max_violations=args.show))
    return 0 if report.ok else 1
