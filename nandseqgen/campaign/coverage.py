"""The one place a campaign computes coverage (docs/campaigns.md).

Everything the campaign reports about coverage goes through
:func:`site_coverage` (in the worker, for one site folder),
:func:`merged_coverage` / :func:`merged_site_report` and :func:`closure` (in
the driver, over finished sites). They use the coverage model of
:mod:`nandseqgen.coverage` (docs/coverage.md): the same allowed cells,
unreachable reasons and normalised entropy as ``result.coverage()``. A site's
report is ``CoverageReport(build_space(cfg, phase_table), counts)`` with the
counts of the site's ``op_state_name_input_time_count_*.csv`` (all runs
summed) -- what :func:`nandseqgen.coverage.report_from_outputs` gives for the
folder. Across sites the spaces are united with
:func:`nandseqgen.coverage.merge_spaces` (sites with other configs, seeds or
variants allow other cells) and the counts summed.
"""
from __future__ import annotations

import glob
import os
from typing import NamedTuple

import pandas as pd

from ..coverage import CoverageReport, build_space, merge_counts
from ..coverage import merge_spaces
from .spec import PHASE_TABLE

INPUT_TIME = "op_state_name_input_time_count"
_TABLE_COLUMNS = ["op_state", "op_name", "input_time", "count"]


class CoverageFigures(NamedTuple):
    """``ratio``: hit / allowed cells; ``entropy``: normalised entropy of the
    counts over the reachable cells; ``filled``: hit cells; ``possible``:
    allowed cells; ``unreachable``: allowed cells shown unreachable;
    ``closed``: (hit + unreachable) / allowed (docs/coverage.md, "Figures")."""

    ratio: float
    entropy: float
    filled: int
    possible: int
    unreachable: int = 0
    closed: float = 0.0


NO_FIGURES = CoverageFigures(0.0, 0.0, 0, 0, 0, 0.0)


def figures(report: CoverageReport) -> CoverageFigures:
    """The figures of a report, rounded as ``report.as_dict()`` rounds them."""
    d = report.as_dict()
    return CoverageFigures(d["ratio"], d["evenness"], d["filled"], d["possible"],
                           d["unreachable"], d["closed"])


def read_counts(folder: str, bins: int):
    """Cell counts of a site folder: its input_time tables, all runs summed."""
    paths = sorted(glob.glob(os.path.join(folder, f"{INPUT_TIME}_*.csv")))
    return merge_counts(*(pd.read_csv(p) for p in paths), bins=bins)


def site_report(folder: str, cfg, phase_table: dict) -> CoverageReport:
    """The coverage report of the site whose run tables are in ``folder``,
    sampled from ``phase_table`` under ``cfg``."""
    counts = read_counts(folder, cfg.policies.input_time_bins)
    return CoverageReport(build_space(cfg, phase_table), counts)


def site_coverage(folder: str, cfg, phase_table: dict) -> CoverageFigures:
    """Figures of :func:`site_report` (the campaign table's coverage columns)."""
    return figures(site_report(folder, cfg, phase_table))


def _finished_report(site, configs: dict) -> CoverageReport:
    """Report of a finished site, from its folder and its config (loaded once
    per (config, overrides, policy variant))."""
    from ..config.phase_file import load_phase_table
    from .site import load_site_config
    key = (site.config, tuple(site.overrides), repr(site.policies), site.strict)
    if key not in configs:
        configs[key] = load_site_config(site)
    cfg = configs[key]
    table = load_phase_table(os.path.join(site.out_dir, PHASE_TABLE), cfg)
    return site_report(site.out_dir, cfg, table)


def _site_reports(sites: list) -> list:
    configs: dict = {}
    return [_finished_report(site, configs) for site in sites]


def _merged_space(reports: list, sites: list):
    try:
        return merge_spaces(*(r.space for r in reports))
    except ValueError as exc:
        names = ", ".join(s.name for s in sites)
        raise ValueError(f"merged coverage of sites {names}: {exc} "
                         "(policies.input_time_bins differs)") from exc


def merged_site_report(sites: list) -> CoverageReport | None:
    """One report over finished sites (``Site`` records; their folders are
    read): counts summed, spaces united. None when there is no site."""
    reports = _site_reports(sites)
    if not reports:
        return None
    space = _merged_space(reports, sites)
    return CoverageReport(space, merge_counts(*(r.counts for r in reports)))


def merged_coverage(sites: list) -> tuple:
    """(observed cells summed over finished sites: op_state, op_name,
    input_time, count; figures of :func:`merged_site_report`)."""
    report = merged_site_report(sites)
    if report is None:
        return pd.DataFrame(columns=_TABLE_COLUMNS), NO_FIGURES
    return report.table, figures(report)


def closure(sites: list) -> pd.DataFrame:
    """Coverage after the first k finished sites, k = 1..n (coverage closure):
    sites, coverage_ratio, coverage_entropy, filled, closed.

    The space is that of all n sites united, so the curve ends at the merged
    figures."""
    reports = _site_reports(sites)
    rows = []
    if reports:
        space, acc = _merged_space(reports, sites), merge_counts()
        for k, report in enumerate(reports, start=1):
            acc = merge_counts(acc, report.counts)
            fig = figures(CoverageReport(space, acc))
            rows.append((k, fig.ratio, fig.entropy, fig.filled, fig.closed))
    return pd.DataFrame(rows, columns=["sites", "coverage_ratio", "coverage_entropy", "filled",
                                       "closed"])
