"""The one place a campaign computes coverage (docs/campaigns.md).

Everything the campaign reports about coverage goes through
:func:`site_coverage` (in the worker, for one site folder),
:func:`merged_coverage` and :func:`closure` (in the driver, over finished
sites); today they use the op_state x op_name x input_time table of
:mod:`nandseqgen.analysis`. To switch to another coverage model, change this
module only: it reads what it needs from the site folders itself.
"""
from __future__ import annotations

import glob
import json
import os
from typing import NamedTuple

import pandas as pd
import yaml

from ..analysis import coverage
from .spec import PHASE_TABLE, SITE_JSON

INPUT_TIME = "op_state_name_input_time_count"


class CoverageFigures(NamedTuple):
    ratio: float  # filled cells / possible cells
    entropy: float  # normalised entropy of the counts (1 = perfectly even)
    filled: int
    possible: int


def _figures(input_time: pd.DataFrame, phase_table: dict, bins: int) -> CoverageFigures:
    cov = coverage(input_time, phase_table, bins)
    return CoverageFigures(round(cov.ratio, 6), round(cov.evenness, 6), cov.filled, cov.possible)


def sum_input_time(frames: list) -> pd.DataFrame:
    """Counts of several runs or sites added cell by cell."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=["op_state", "op_name", "input_time", "count"])
    df = pd.concat(frames, ignore_index=True)
    df["count"] = df["count"].astype("int64")
    return (df.groupby(["op_state", "op_name", "input_time"], as_index=False)["count"].sum()
            .sort_values(["op_state", "op_name", "input_time"], kind="stable")
            .reset_index(drop=True))


def read_input_time(folder: str) -> pd.DataFrame:
    """A site's input_time tables, all runs summed."""
    paths = sorted(glob.glob(os.path.join(folder, f"{INPUT_TIME}_*.csv")))
    return sum_input_time([pd.read_csv(p) for p in paths])


def _read_site(folder: str) -> tuple:
    """(input_time, phase table, bins) of a finished site folder."""
    with open(os.path.join(folder, PHASE_TABLE), encoding="utf-8") as fh:
        phase_table = yaml.safe_load(fh) or {}
    with open(os.path.join(folder, SITE_JSON), encoding="utf-8") as fh:
        bins = int(json.load(fh)["input_time_bins"])
    return read_input_time(folder), phase_table, bins


def site_coverage(folder: str, cfg, phase_table: dict) -> CoverageFigures:
    """Coverage of the site whose run tables are in ``folder`` (all runs
    summed), sampled from ``phase_table`` under ``cfg``."""
    return _figures(read_input_time(folder), phase_table, cfg.policies.input_time_bins)


def union_phase_table(tables: list) -> dict:
    """Every (phase key, op name) cell that any site could sample."""
    merged: dict = {}
    for table in tables:
        for key, row in table.items():
            dest = merged.setdefault(key, {})
            for name, p in row.items():
                dest[name] = max(dest.get(name, 0.0), float(p))
    return merged


def _read_sites(sites: list) -> tuple:
    parts = [_read_site(site.out_dir) for site in sites]
    bins = max((b for _, _, b in parts), default=1)
    return [p[0] for p in parts], union_phase_table([p[1] for p in parts]), bins


def merged_coverage(sites: list) -> tuple:
    """(summed input_time table, figures) across finished sites (``Site``
    records; their folders are read): a cell is filled when any site filled
    it; the possible cells are the union over sites."""
    input_times, possible, bins = _read_sites(sites)
    table = sum_input_time(input_times)
    return table, _figures(table, possible, bins)


def closure(sites: list) -> pd.DataFrame:
    """Coverage ratio after the first k sites, k = 1..n (coverage closure).

    The possible cells are those of all n sites, so the curve ends at the
    merged ratio."""
    input_times, possible, bins = _read_sites(sites)
    rows, acc = [], None
    for k, frame in enumerate(input_times, start=1):
        acc = sum_input_time([acc, frame])
        fig = _figures(acc, possible, bins)
        rows.append((k, fig.ratio, fig.entropy, fig.filled))
    return pd.DataFrame(rows, columns=["sites", "coverage_ratio", "coverage_entropy", "filled"])
