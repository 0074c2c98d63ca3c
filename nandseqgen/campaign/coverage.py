"""The one place a campaign computes coverage (docs/campaigns.md).

Everything the campaign reports about coverage goes through
:func:`site_coverage` and :func:`merged_coverage`; today they use the
op_state x op_name x input_time table of :mod:`nandseqgen.analysis`. To
switch to another coverage model, change these two functions only.
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from ..analysis import coverage

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


def site_coverage(input_time: pd.DataFrame, phase_table: dict, bins: int) -> CoverageFigures:
    """Coverage of one site (all its runs' input_time tables summed)."""
    return _figures(input_time, phase_table, bins)


def union_phase_table(tables: list) -> dict:
    """Every (phase key, op name) cell that any site could sample."""
    merged: dict = {}
    for table in tables:
        for key, row in table.items():
            dest = merged.setdefault(key, {})
            for name, p in row.items():
                dest[name] = max(dest.get(name, 0.0), float(p))
    return merged


def merged_coverage(input_times: list, phase_tables: list, bins: int) -> tuple:
    """(summed input_time table, figures) across sites: a cell is filled when
    any site filled it; the possible cells are the union over sites."""
    table = sum_input_time(input_times)
    return table, _figures(table, union_phase_table(phase_tables), bins)


def closure(input_times: list, phase_tables: list, bins: int) -> pd.DataFrame:
    """Coverage ratio after the first k sites, k = 1..n (coverage closure).

    The possible cells are those of all n sites, so the curve ends at the
    merged ratio."""
    possible = union_phase_table(phase_tables)
    rows, acc = [], None
    for k, frame in enumerate(input_times, start=1):
        acc = sum_input_time([acc, frame])
        fig = _figures(acc, possible, bins)
        rows.append((k, fig.ratio, fig.entropy, fig.filled))
    return pd.DataFrame(rows, columns=["sites", "coverage_ratio", "coverage_entropy", "filled"])
