"""Bootstrap progress over time: the stage measures, with the stages shaded."""
from __future__ import annotations

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from ._common import frame, new_axes, no_data

STAGE_COLORS = {"ERASE": "#f4cccc", "PROGRAM": "#cfe2f3", "READ": "#d9ead3", "DONE": "#eeeeee"}
# measure -> (colour, label, Config.bootstrap threshold field)
VOLUMES = {
    "erase_volume": ("tab:red", "erased blocks", "erase_volume"),
    "program_volume": ("tab:blue", "programmed blocks", "program_volume"),
    "read_volume": ("tab:green", "read blocks", "read_volume"),
}
COVERAGE = ("read_coverage", "black", "read coverage (right axis)", "read_coverage")
COLUMNS = ("time", "stage") + tuple(VOLUMES) + (COVERAGE[0],)


def stage_spans(progress: pd.DataFrame, end_us: float) -> list:
    """[(stage, start_us, end_us)]: contiguous stretches of one stage."""
    stage = progress["stage"].astype(str).to_numpy()
    time = progress["time"].to_numpy(dtype=float)
    starts = [i for i in range(len(stage)) if i == 0 or stage[i] != stage[i - 1]]
    ends = [time[j] for j in starts[1:]] + [max(end_us, time[-1])]
    return [(stage[i], time[i], e) for i, e in zip(starts, ends)]


def _shade(ax, spans) -> list:
    text_at = blended_transform_factory(ax.transData, ax.transAxes)
    for stage, lo, hi in spans:
        ax.axvspan(lo, hi, color=STAGE_COLORS.get(stage, "#eeeeee"), alpha=0.8, zorder=0, lw=0)
        ax.text((lo + hi) / 2, 0.98, stage, transform=text_at, ha="center", va="top",
                fontsize="x-small", color="0.3", clip_on=True)
    seen = dict.fromkeys(s for s, _, _ in spans)
    return [Patch(color=STAGE_COLORS.get(s, "#eeeeee"), label=f"stage {s}") for s in seen]


def _thresholds(ax, twin, config) -> None:
    boot = getattr(config, "bootstrap", None)
    for col, (color, _label, field) in VOLUMES.items():
        value = getattr(boot, field, None)
        if value is not None:
            ax.axhline(value, color=color, ls=":", lw=1)
    value = getattr(boot, COVERAGE[3], None)
    if value is not None:
        twin.axhline(value, color=COVERAGE[1], ls=":", lw=1)


def bootstrap_progress(result_or_df, *, ax=None):
    """Bootstrap measures over time, on shaded stage bands.

    Needs the ``bootstrap_progress`` table: ``time, stage, erase_volume,
    program_volume, read_volume`` (unique blocks, left axis, step lines) and
    ``read_coverage`` (fraction of programmed blocks read, right axis, dashed).
    A RunResult also gives the run's end time (the last band runs to it) and the
    config's thresholds (dotted lines). A run without bootstrap gives an empty
    table and an empty plot saying so. Returns the left Axes (the coverage axis
    is its twin).
    """
    df = frame(result_or_df, "bootstrap_progress", COLUMNS, "bootstrap_progress")
    ax = new_axes(ax, figsize=(10, 4))
    ax.set_xlabel("time (us)")
    ax.set_ylabel("unique blocks")
    ax.set_title("Bootstrap progress")
    if df.empty:
        return no_data(ax, "no bootstrap progress (bootstrap disabled or not in this run)")
    end_us = float(getattr(result_or_df, "end_us", df["time"].max()))
    handles = _shade(ax, stage_spans(df, end_us))
    time = df["time"].to_numpy(dtype=float)
    for col, (color, label, _field) in VOLUMES.items():
        ax.step(time, df[col], where="post", color=color, label=label)
    twin = ax.twinx()
    twin.step(time, df[COVERAGE[0]], where="post", color=COVERAGE[1], ls="--", label=COVERAGE[2])
    twin.set_ylabel("read coverage")
    twin.set_ylim(0, 1.05)
    _thresholds(ax, twin, getattr(result_or_df, "config", None))
    ax.set_xlim(time[0], end_us)
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    if getattr(result_or_df, "config", None) is not None:
        lines.append(Line2D([], [], color="0.3", ls=":", lw=1, label="threshold"))
    ax.legend(handles=lines + handles, loc="upper left", bbox_to_anchor=(1.08, 1.0),
              fontsize="x-small", frameon=False)
    return ax
