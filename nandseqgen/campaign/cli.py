"""``nandseqgen campaign CAMPAIGN.yaml``: run a campaign file (docs/campaigns.md).

Exit status: 0 when every site finished without violations, 1 when a site
failed or a violation was found, 2 for a bad campaign file, 130 on Ctrl-C
(finished sites are kept; run the same command again to go on).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nandseqgen campaign", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("campaign", help="campaign YAML file (configs, overrides, seeds, "
                                    "policy_variants, run_until_us, num_runs, out, date)")
    p.add_argument("--out", default=None, help="output root (default: the file's 'out')")
    p.add_argument("--date", default=None,
                   help="yymmdd in file names (default: the file's 'date', else 000000)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="local worker processes (default: min(sites, CPUs))")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://host:8786 (extra [distributed])")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    from .run import Campaign
    from .spec import CampaignError
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        camp = Campaign.from_yaml(args.campaign, out=args.out, date=args.date)
    except (CampaignError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = camp.run(workers=args.workers, scheduler=args.scheduler,
                          progress=not args.no_progress, clock=time.perf_counter)
    except KeyboardInterrupt:
        print("interrupted: finished sites are kept; run again to go on", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:  # unreadable manifest, I/O
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for row in result.failed.itertuples(index=False):
        print(f"{row.site} failed: {row.error.splitlines()[0]}", file=sys.stderr)
    _, cov = result.coverage()
    print(json.dumps({**result.summary(), "coverage_ratio": cov.ratio,
                      "coverage_entropy": cov.entropy}, indent=2))
    return 0 if result.ok else 1
