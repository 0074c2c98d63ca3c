"""Command line: nandseqgen run, nandseqgen config check, nandseqgen check,
nandseqgen campaign.

The library never reads the clock; the CLI passes today's date for file names
unless --date is given.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import logging
import os
import sys
import time
from typing import NoReturn

from . import cli_types as T
from .config.sections import MAX_RUNS
from .config.values import MAX_RUN_US


def _today() -> str:
    return _dt.date.today().strftime("%y%m%d")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nandseqgen", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="generate sequences and write the output tables")
    _run_options(run)
    cfg = sub.add_parser("config", help="config tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    chk = cfg_sub.add_parser("check", help="list config errors and warnings")
    chk.add_argument("path", type=T.existing_file, help="the config file to check")
    chk.add_argument("--overrides", action="append", default=[], metavar="YAML",
                     type=T.existing_file,
                     help="a YAML file deep-merged into the config (repeatable; default: none)")
    chk.add_argument("--strict", action="store_true",
                     help="count warnings as errors (exit 1 on any; default: off)")
    sub.add_parser("check", help="replay-check written outputs (see: nandseqgen check -h)")
    sub.add_parser("campaign", help="run a campaign file: many sites, checked and summed up "
                                    "(see: nandseqgen campaign -h)")
    return p


def _run_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--config", default="config.yaml", type=T.existing_file, metavar="YAML",
                     help="config file (default: %(default)s)")
    run.add_argument("--overrides", action="append", default=[], metavar="YAML",
                     type=T.existing_file,
                     help="a YAML file deep-merged into the config (repeatable; default: none)")
    run.add_argument("--out", default="out", type=T.out_dir, metavar="DIR",
                     help="output folder, created if absent (default: %(default)s)")
    run.add_argument("--run-until", type=T.time_us, default=1_000_000.0, metavar="US",
                     help=f"simulated microseconds per run, in (0, {MAX_RUN_US:,.0f}] "
                          "(default: %(default)s)")
    run.add_argument("--seed", type=T.SEED, default=None, metavar="N",
                     help=f"random seed, 0..{T.MAX_SEED} (default: 42; on --resume-from the "
                          "snapshot's seed, and a different one is an error)")
    run.add_argument("--num-runs", type=T.NUM_RUNS, default=None, metavar="N",
                     help=f"runs, each continuing the previous state, 1..{MAX_RUNS:,} "
                          "(default: config num_runs, else 1)")
    run.add_argument("--date", default=None, type=T.date_yymmdd, metavar="YYMMDD",
                     help="date in file names (default: today)")
    run.add_argument("--bootstrap", action=argparse.BooleanOptionalAction, default=None,
                     help="force the bootstrap phase on or off (default: config bootstrap.enabled;"
                          " on --resume-from it must match the snapshot)")
    run.add_argument("--resume-from", default=None, type=T.existing_file, metavar="JSON",
                     help="continue from a state snapshot (default: start fresh)")
    run.add_argument("--phase-table", default=None, type=T.existing_file, metavar="YAML",
                     help="op_state_probs.yaml to use instead of the autofill (default: autofill)")
    run.add_argument("--save-phase-table", default=None, type=T.new_file, metavar="YAML",
                     help="write the phase table in use to this file (default: not written)")
    run.add_argument("--sites", type=T.SITES, default=1, metavar="N",
                     help=f"independent ATE sites (seed, seed+1, ...) in parallel into "
                          f"DIR/site_NNN, 1..{T.MAX_SITES} (default: %(default)s)")
    run.add_argument("--strict", action="store_true",
                     help="config warnings are errors (default: off)")
    run.add_argument("--directed", action="store_true",
                     help="coverage-directed generation: policies.coverage_directed.enabled "
                          "(docs/coverage.md; default: the config's setting, off)")
    run.add_argument("--no-progress", action="store_true",
                     help="no progress bar (default: a bar on the terminal)")
    run.add_argument("--format", choices=("csv", "parquet", "both"), default="csv",
                     help="analysis tables as CSV, Parquet (needs the [parquet] extra) or both; "
                          "the ATE sequence is always CSV (default: %(default)s)")


def _config_check(args) -> int:
    from .config import check_config, format_table
    items = check_config(args.path, args.overrides)
    errors = [d for d in items if d.severity == "error"]
    warnings = [d for d in items if d.severity == "warning"]
    if items:  # an empty list prints only the count line
        print(format_table(items) + "\n")
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def _run(args) -> int:
    from .config import ConfigError, load_config
    from .runner import run_job, run_sites
    if args.directed:  # an override file, so sites and --resume-from see the same config
        from .coverage import DIRECTED_OVERRIDE
        args.overrides = [*args.overrides, DIRECTED_OVERRIDE]
    try:
        cfg = load_config(args.config, strict=args.strict, overrides=args.overrides)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for w in cfg.warnings:
        print(w.format(), file=sys.stderr)
    if args.resume_from and args.sites > 1:
        print("error: --sites cannot be honoured with --resume-from (a snapshot continues "
              "one site's seed)", file=sys.stderr)
        return 2
    if args.seed is not None and args.seed + args.sites - 1 > T.MAX_SEED:
        print(f"error: --seed {args.seed} with --sites {args.sites} goes past {T.MAX_SEED}",
              file=sys.stderr)
        return 2
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
    except ConfigError as exc:  # a bad phase table
        print(exc, file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:  # bad snapshot, bootstrap setup, I/O
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:  # the checker owns its options (--show, --no-history, ...)
        from .checker import main as check_main
        return check_main(argv[1:])
    if argv[:1] == ["campaign"]:  # the campaign owns its options (--workers, --scheduler, ...)
        from .campaign.cli import main as campaign_main
        return campaign_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "config":
        return _config_check(args)
    return _run(args)


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once stdout, stderr and logging are
    flushed, without the interpreter's teardown (numpy's and every module's,
    ~25 ms of each command; docs/decisions.md 123). Everything the commands
    write is closed, fsynced and renamed before they return. With a live
    non-daemon thread or child process, the usual exit (which waits for them)."""
    import threading
    pool = sys.modules.get("multiprocessing")
    if (pool is not None and pool.active_children()) or any(
            t.is_alive() and not t.daemon for t in threading.enumerate()
            if t is not threading.main_thread()):
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what the interpreter reports as 120
            code = code or 120
    os._exit(code)


def entry() -> NoReturn:
    """``nandseqgen`` (the console script) and ``python -m nandseqgen``."""
    exit_now(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
