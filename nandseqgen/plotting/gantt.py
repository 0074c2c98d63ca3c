"""Gantt chart of a run: one lane per die/plane or die/block, one bar per
segment, coloured by op base.

All bars go into a single :class:`~matplotlib.collections.PolyCollection`
built from one ``(n, 4, 2)`` vertex array, so 100,000 segments draw in about a
second (``benchmarks/gantt_bench.py``); there is never one call per bar.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.patches import Patch

from ._common import (die_lane, frame, label_size, new_axes, no_data, op_base_colors,
                      side_legend)

# by -> (RunResult attribute, required columns, lane prefix, y label)
_SOURCES = {
    "die_plane": ("op_states", ("start", "end", "die", "plane", "op_state"), "P", "die / plane"),
    "die_block": ("operations", ("start", "end", "die", "block", "op_base"), "B", "die / block"),
}
BAR_HEIGHT = 0.8


def _segments(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """start, end, die, unit, base: one row per bar (rows without a block dropped)."""
    if by == "die_plane":
        codes, states = pd.factorize(df["op_state"])
        bases = np.array([str(s).split(".", 1)[0] for s in states] + ["?"], dtype=object)
        unit, base = df["plane"], bases[codes]  # code -1 (missing state) -> "?"
    else:
        df = df[df["block"].notna()]
        unit, base = df["block"], df["op_base"].astype(str).to_numpy(dtype=object)
    return pd.DataFrame({"start": df["start"].to_numpy(dtype=float),
                         "end": df["end"].to_numpy(dtype=float),
                         "die": df["die"].to_numpy(dtype=np.int64),
                         "unit": unit.to_numpy(dtype=np.int64), "base": base})


def _clip(seg: pd.DataFrame, window) -> pd.DataFrame:
    """Segments overlapping ``[start_us, end_us)``, cut to it."""
    if window is None:
        return seg
    lo, hi = (float(v) for v in window)
    if not hi > lo:
        raise ValueError(f"gantt: window must be (start_us, end_us) with end > start, got {window}")
    seg = seg[(seg["end"] > lo) & (seg["start"] < hi)].copy()
    seg["start"] = seg["start"].clip(lower=lo)
    seg["end"] = seg["end"].clip(upper=hi)
    return seg


def _lanes(all_seg: pd.DataFrame, seg: pd.DataFrame, by: str, topology) -> pd.DataFrame:
    """die, unit of every lane, in order: all dies x planes of the topology (or
    of the table) for die/plane; the blocks busy in the window for die/block."""
    if by == "die_plane" and topology is not None:
        return pd.DataFrame([(d, p) for d in range(topology.dies) for p in range(topology.planes)],
                            columns=["die", "unit"])
    lanes = (all_seg if by == "die_plane" else seg)[["die", "unit"]].drop_duplicates()
    return lanes.sort_values(["die", "unit"]).reset_index(drop=True)


def _verts(x0, x1, y) -> np.ndarray:
    """(n, 4, 2) rectangle corners, lane ``y`` +- half the bar height."""
    lo, hi = y - BAR_HEIGHT / 2, y + BAR_HEIGHT / 2
    return np.stack([np.column_stack(p) for p in ((x0, lo), (x0, hi), (x1, hi), (x1, lo))], axis=1)


def _style_axes(ax, labels, by, window, seg) -> None:
    n = len(labels)
    ax.set_yticks(np.arange(n), labels, fontsize=label_size(n))
    ax.set_ylim(n - 0.5, -0.5)  # first lane on top
    if window is not None:
        ax.set_xlim(*window)
    elif len(seg):
        ax.set_xlim(seg["start"].min(), seg["end"].max())
    ax.set_xlabel("time (us)")
    ax.set_ylabel(_SOURCES[by][3])
    ax.set_title(f"Gantt by {by.replace('_', '/')}" + (f", {window[0]:g}-{window[1]:g} us"
                                                       if window is not None else ""))


def gantt(result_or_df, *, by: str = "die_plane", window=None, ax=None):
    """Gantt chart: lanes by die/plane or die/block, bars coloured by op base.

    ``result_or_df``: a :class:`~nandseqgen.RunResult` or its table;
    ``by="die_plane"`` uses ``op_states`` (columns ``start, end, die, plane,
    op_state``; the op base is the part of ``op_state`` before the dot) and
    shows every die/plane (of the run's topology; of the table for a
    DataFrame), idle ones too; ``by="die_block"`` uses ``operations``
    (columns ``start, end, die, block, op_base``; rows without a block, such as
    status reads, are left out) and shows the blocks busy in the window.
    ``window=(start_us, end_us)`` keeps the segments overlapping it, clipped.
    Colours depend on the op bases of the run's config (of the whole table
    for a DataFrame), so a window has the same colours as the full chart. Returns the Axes; the bars are its single
    ``PolyCollection`` (one path per segment).
    """
    if by not in _SOURCES:
        raise ValueError(f"gantt: by must be one of {sorted(_SOURCES)}, got {by!r}")
    attr, columns, prefix, _ = _SOURCES[by]
    all_seg = _segments(frame(result_or_df, attr, columns, "gantt"), by)
    config = getattr(result_or_df, "config", None)
    colors = op_base_colors(pd.unique(all_seg["base"]), config)
    seg = _clip(all_seg, window)
    lanes = _lanes(all_seg, seg, by, getattr(config, "topology", None))
    labels = die_lane(prefix, lanes["die"], lanes["unit"])
    ax = new_axes(ax, figsize=(12, max(2.5, 0.22 * len(labels) + 1.5)))
    _style_axes(ax, labels, by, window, seg)
    if seg.empty:
        return no_data(ax, "no segments in this window")
    lane_of = pd.Series(np.arange(len(lanes)), index=pd.MultiIndex.from_frame(lanes))
    y = lane_of.reindex(pd.MultiIndex.from_frame(seg[["die", "unit"]])).to_numpy(dtype=float)
    codes, bases = pd.factorize(seg["base"], sort=True)
    rgba = to_rgba_array([colors[b] for b in bases])[codes]
    bars = PolyCollection(_verts(seg["start"].to_numpy(), seg["end"].to_numpy(), y),  # type: ignore[arg-type]
                          facecolors=rgba, edgecolors=rgba, linewidths=0.3)
    ax.add_collection(bars, autolim=False)
    handles = [Patch(facecolor=colors[b], label=b) for b in bases]
    side_legend(ax, handles, "op base")
    return ax
