"""Analyses of a run's tables: small functions that take DataFrames and return
DataFrames (compute only; drawing lives in :mod:`nandseqgen.plotting`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Coverage:
    """How evenly ``op_state x op_name x input_time`` was filled.

    ``table``: op_state, op_name, input_time, count (observed cells).
    ``ratio``: filled cells / possible cells, where the possible cells are, for
    every phase key of the sampling table, its op names with positive
    probability times the number of input-time bins.
    ``evenness``: normalised entropy of the counts over the possible cells
    (1 = perfectly even, 0 = all in one cell).
    """

    table: pd.DataFrame
    possible: int
    filled: int
    ratio: float
    evenness: float

    def as_dict(self) -> dict:
        return {"possible": self.possible, "filled": self.filled,
                "ratio": round(self.ratio, 6), "evenness": round(self.evenness, 6)}


def possible_cells(phase_table: dict, bins: int) -> int:
    return bins * sum(sum(1 for p in row.values() if p > 0) for row in phase_table.values())


def coverage(input_time: pd.DataFrame, phase_table: dict, bins: int) -> Coverage:
    counts = input_time["count"].to_numpy(dtype=float)
    possible = max(possible_cells(phase_table, bins), len(counts), 1)
    filled = int((counts > 0).sum())
    total = counts.sum()
    if total > 0 and possible > 1:
        p = counts[counts > 0] / total
        evenness = float(-(p * np.log(p)).sum() / math.log(possible))
    else:
        evenness = 0.0
    return Coverage(input_time, possible, filled, filled / possible, evenness)


def coverage_summary(result, bins: int | None = None) -> Coverage:
    """Coverage of a :class:`~nandseqgen.result.RunResult`."""
    bins = bins or result.config.policies.input_time_bins
    return coverage(result.input_time, result.phase_table, bins)


def coverage_matrix(input_time: pd.DataFrame) -> pd.DataFrame:
    """op_state x op_name matrix of counts (all input-time bins summed)."""
    if input_time.empty:
        return pd.DataFrame()
    return input_time.pivot_table(index="op_state", columns="op_name", values="count",
                                  aggfunc="sum", fill_value=0)


def rollback_counts(rollbacks: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """reason, [by], count — sorted by count, largest first."""
    keys = ["reason"] + ([by] if by else [])
    if rollbacks.empty:
        return pd.DataFrame(columns=keys + ["count"])
    out = rollbacks.groupby(keys, dropna=False).size().rename("count").reset_index()
    return out.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
