"""Command line: ``nandseqgen run``, ``nandseqgen config check``, ``nandseqgen check``.

The library never reads the clock; the CLI passes today's date for file names
unless ``--date`` is given.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time


def _today() -> str:
    return _dt.date.today().strftime("%y%m%d")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nandseqgen", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="generate sequences and write the output tables")
    run.add_argument("--config", default="config.yaml")
    run.add_argument("--overrides", action="append", default=[], metavar="YAML",
                     help="a YAML file deep-merged into the config (repeatable)")
    run.add_argument("--out", default="out")
    run.add_argument("--run-until", type=float, default=1_000_000.0,
                     help="simulated microseconds per run")
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--num-runs", type=int, default=None, help="default: config num_runs")
    run.add_argument("--date", default=None, help="yymmdd for file names (default: today)")
    run.add_argument("--bootstrap", action=argparse.BooleanOptionalAction, default=None,
                     help="force the bootstrap phase on or off (default: config)")
    run.add_argument("--resume-from", default=None, help="continue from a state snapshot")
    run.add_argument("--phase-table", default=None,
                     help="op_state_probs.yaml to use instead of the autofill")
    run.add_argument("--save-phase-table", default=None, help="write the autofilled table here")
    run.add_argument("--sites", type=int, default=1,
                     help="independent ATE sites (seed, seed+1, ...) in parallel: out/site_NNN")
    run.add_argument("--strict", action="store_true", help="config warnings are errors")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--format", choices=("csv", "parquet", "both"), default="csv",
                     help="analysis tables as CSV, Parquet (needs the [parquet] extra) or both; "
                          "the ATE sequence is always CSV")
    cfg = sub.add_parser("config", help="config tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    chk = cfg_sub.add_parser("check", help="list config errors and warnings")
    chk.add_argument("path")
    chk.add_argument("--overrides", action="append", default=[], metavar="YAML")
    chk.add_argument("--strict", action="store_true")
    sub.add_parser("check", help="replay-check written outputs (see: nandseqgen check -h)")
    return p


def _config_check(args) -> int:
    from .config import check_config, format_table
    items = check_config(args.path, args.overrides)
    print(format_table(items))
    errors = [d for d in items if d.severity == "error"]
    warnings = [d for d in items if d.severity == "warning"]
    print(f"\n{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def _run(args) -> int:
    from .config import ConfigError, load_config
    from .runner import run_job, run_sites
    try:
        cfg = load_config(args.config, strict=args.strict, overrides=args.overrides)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for w in cfg.warnings:
        print(w.format(), file=sys.stderr)
    kwargs = dict(out_dir=args.out, seed=args.seed, run_until_us=args.run_until,
                  num_runs=args.num_runs, date=args.date or _today(), bootstrap=args.bootstrap,
                  resume_from=args.resume_from, phase_table=args.phase_table,
                  save_phase_table=args.save_phase_table,
                  progress=not args.no_progress, clock=time.perf_counter, fmt=args.format)
    try:
        if args.sites > 1:
            summary = run_sites((args.config, args.overrides, args.strict), sites=args.sites,
                                **kwargs)
        else:
            summary = run_job(cfg, **kwargs)
    except (ValueError, OSError) as exc:  # bad snapshot, phase table, bootstrap setup, I/O
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:  # the checker owns its options (--show, --no-history, ...)
        from .checker import main as check_main
        return check_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "config":
        return _config_check(args)
    if not os.path.exists(args.config):
        print(f"config file not found: {args.config}", file=sys.stderr)
        return 2
    return _run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
