"""Distributions: why proposals were rolled back; where in a state proposals
landed (input time)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import rollback_counts
from ._common import bottom_legend, frame, new_axes, no_data, op_base_colors, palette


NO_VALUE = "(none)"
MAX_GROUPS = 12  # more stack groups than this: the smallest ones are summed as "others"


def _stack_colors(by: str, groups, config) -> dict:
    if by == "op_base":
        colors = op_base_colors(groups, config)
        colors[NO_VALUE] = "white"  # drawn hatched, unlike any base
        return colors
    return dict(zip(groups, palette(len(groups))))


def _stacked(ax, counts: pd.DataFrame, by: str, reasons: list, config) -> None:
    """One horizontal bar per reason, stacked by ``by`` (largest group first)."""
    table = counts.pivot_table(index="reason", columns=by, values="count", aggfunc="sum",
                               fill_value=0).reindex(reasons)
    order = table.sum().sort_values(ascending=False, kind="stable").index
    if len(order) > MAX_GROUPS:  # keep the legend short: the tail becomes one group
        rest = order[MAX_GROUPS - 1:]
        others = f"others ({len(rest)} {by} values)"
        table = table[order[:MAX_GROUPS - 1]].assign(**{others: table[rest].sum(axis=1)})
        order = table.columns
    groups = [str(g) for g in order]
    colors = _stack_colors(by, groups, config)
    colors.update({g: "0.8" for g in groups if g.startswith("others (")})
    left = np.zeros(len(reasons))
    for group, name in zip(order, groups):
        width = table[group].to_numpy(dtype=float)
        none = name == NO_VALUE
        ax.barh(reasons, width, left=left, color=colors[name], label=name,
                hatch="///" if none else None, edgecolor="0.55" if none else None,
                linewidth=0.5 if none else 0)
        left += width
    bottom_legend(ax, title=by, col_in=2.7)


def rollback_reasons(result_or_df, *, by: str | None = None, ax=None):
    """Horizontal bars: how many proposals were rolled back, per reason.

    Needs the ``rollbacks`` table (column ``reason``, plus the ``by`` column,
    e.g. ``op_base``, ``phase_key``, ``die``). ``by=None`` draws one bar per
    reason with its count written at the end; ``by="op_base"`` stacks each
    reason's bar by op base, with a legend (rows without a value, such as
    ``no_candidate`` ones without an op, form the group ``(none)``). Reasons are sorted, most frequent
    on top. Returns the Axes.
    """
    df = frame(result_or_df, "rollbacks", ("reason",) + ((by,) if by else ()),
               "rollback_reasons")
    counts = rollback_counts(df, by)
    totals = counts.groupby("reason", sort=False)["count"].sum()
    totals = totals.sort_values(ascending=False, kind="stable")
    reasons = [str(r) for r in totals.index]
    ax = new_axes(ax, figsize=(9, max(2.5, 0.4 * len(reasons) + 1.2)))
    ax.set_xlabel("rolled-back proposals")
    ax.set_ylabel("reason")
    ax.set_title("Rollback reasons" + (f" by {by}" if by else ""))
    if counts.empty:
        return no_data(ax, "no rollbacks")
    counts = counts.assign(reason=counts["reason"].astype(str))
    if by is not None:  # e.g. no_candidate has no op: its own group
        counts[by] = counts[by].astype(object).where(counts[by].notna(), NO_VALUE).astype(str)
    if by is None:
        bars = ax.barh(reasons, totals.to_numpy(dtype=float), color="tab:red", label="rollbacks")
        ax.bar_label(bars, fmt="%d", padding=2, fontsize="small")
        ax.legend(loc="lower right", fontsize="small")
    else:
        _stacked(ax, counts, by, reasons, getattr(result_or_df, "config", None))
    ax.invert_yaxis()  # most frequent on top
    return ax


def _bin_count(values: np.ndarray, bins: int | None) -> int:
    """``bins``, or the count inferred from the bin starts (1 / smallest gap)."""
    if bins is not None:
        return int(bins)
    gaps = np.diff(np.unique(values))
    gaps = gaps[gaps > 1e-9]
    return int(round(1.0 / gaps.min())) if len(gaps) else 10


def bin_index(values: np.ndarray, bins: int) -> np.ndarray:
    """The integer bin of each bin start (``0.3`` -> 3 of 10), robust to float
    noise: ``floor(x * bins + 1e-6)`` clipped to ``[0, bins - 1]``. Binning the
    float starts against float edges put 0.3, 0.6 and 0.7 in the bin below."""
    return np.clip(np.floor(np.asarray(values, dtype=float) * bins + 1e-6), 0,
                   bins - 1).astype(np.int64)


def input_time_hist(result_or_df, *, op_state=None, ax=None):
    """Histogram of proposals by input time (position inside the state, 0..1).

    Needs the ``input_time`` table (columns ``op_state, input_time, count``;
    ``input_time`` is a bin start). ``op_state=None`` sums every state;
    a string keeps that state (``"ERASE.CORE_BUSY"``); a list draws one
    stacked histogram per state. The bin count is the run's
    ``policies.input_time_bins`` for a RunResult, else inferred from the
    table. Returns the Axes.
    """
    df = frame(result_or_df, "input_time", ("op_state", "input_time", "count"),
               "input_time_hist")
    cfg = getattr(result_or_df, "config", None)
    bins = _bin_count(df["input_time"].to_numpy(dtype=float),
                      cfg.policies.input_time_bins if cfg is not None else None)
    edges = np.arange(bins + 1) / bins
    states = [op_state] if isinstance(op_state, str) else op_state
    ax = new_axes(ax, figsize=(7, 3.5))
    ax.set_xlabel("input time (position inside the state, 0 = start, 1 = end)")
    ax.set_ylabel("proposals")
    ax.set_xlim(0.0, 1.0)
    ax.set_title("Input time" + (f": {op_state}" if isinstance(op_state, str) else ""))
    groups = [df] if states is None else [df[df["op_state"] == s] for s in states]
    labels = ["all states"] if states is None else [str(s) for s in states]
    if sum(len(g) for g in groups) == 0:
        return no_data(ax, "no proposals for this state")
    # each count drawn at its bin's centre, so no value sits on an edge
    centres = [(bin_index(g["input_time"].to_numpy(), bins) + 0.5) / bins for g in groups]
    ax.hist(centres, bins=edges,
            weights=[g["count"].to_numpy(dtype=float) for g in groups], stacked=True,
            label=labels, color=palette(len(groups)), edgecolor="white", linewidth=0.5)
    ax.legend(fontsize="small", title="op_state")
    return ax
