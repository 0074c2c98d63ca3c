"""Coverage-closure plots: closure curves (uniform vs directed on one axes),
the holes heatmap, and unreachable cells by reason (docs/coverage.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps

from ._common import label_size, new_axes, no_data
from .heatmaps import EMPTY_CELL

_MODE_STYLE = {"uniform": ("tab:gray", "--"), "directed": ("tab:blue", "-")}


def closure_curves(curves, *, ax=None, allowed: int | None = None):
    """Cells hit against ops, one line per run.

    ``curves``: ``{label: [(ops, cells_hit), ...]}``, or benchmark rows (dicts
    with ``config``, ``mode``, ``curve``; the largest ``target_ops`` of each
    config and mode is drawn). ``allowed`` draws the number of reachable cells
    as a dotted line. Returns the Axes.
    """
    if not isinstance(curves, dict):
        best: dict = {}
        for row in curves:
            k = (row["config"], row["mode"])
            if k not in best or row["target_ops"] > best[k]["target_ops"]:
                best[k] = row
        curves = {f"{c} / {m}": best[(c, m)]["curve"] for c, m in sorted(best)}
    ax = new_axes(ax, figsize=(8, 4.5))
    ax.set_xlabel("ops committed")
    ax.set_ylabel("cells hit (key x op name x input-time bin)")
    ax.set_title("Coverage closure")
    if not any(curves.values()):
        return no_data(ax, "no curve points")
    for label, points in curves.items():
        mode = label.rsplit("/", 1)[-1].strip()
        colour, style = _MODE_STYLE.get(mode, (None, "-"))
        xs, ys = zip(*points) if points else ((), ())
        ax.plot(xs, ys, style, color=colour if len(curves) <= 2 else None, label=label)
    if allowed:
        ax.axhline(allowed, color="0.5", linestyle=":", label="reachable cells")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def holes_heatmap(report, *, ax=None, max_states: int | None = None, max_names: int | None = None):
    """Phase key x op name: fraction of the reachable input-time bins hit.

    Dark = holes (0), bright = every bin hit; light grey = unreachable or not
    allowed. ``max_states`` / ``max_names`` keep the keys / names with the most
    holes. ``report`` is a CoverageReport (``result.coverage()``).
    """
    matrix = report.holes()
    if max_states is not None and len(matrix) > max_states:
        matrix = matrix.loc[(1 - matrix).sum(axis=1).nlargest(int(max_states)).index].sort_index()
    if max_names is not None and matrix.shape[1] > max_names:
        keep = (1 - matrix).sum().nlargest(int(max_names)).index
        matrix = matrix[sorted(keep)]
    nrows, ncols = matrix.shape
    ax = new_axes(ax, figsize=(max(6.0, 0.17 * ncols + 4), max(4.0, 0.15 * nrows + 2.5)))
    ax.set_xlabel("op_name")
    ax.set_ylabel("phase key (op_state)")
    ax.set_title("Coverage holes: share of reachable input-time bins hit")
    if matrix.size == 0:
        return no_data(ax, "no reachable cells")
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=float))
    cmap = colormaps["magma"].with_extremes(bad=EMPTY_CELL)
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0, vmax=1)
    ax.figure.colorbar(image, ax=ax, label="bins hit / reachable bins", fraction=0.04, pad=0.01)
    ax.set_xticks(np.arange(ncols), [str(c) for c in matrix.columns], rotation=90,
                  fontsize=label_size(ncols, large=8))
    ax.set_yticks(np.arange(nrows), [str(r) for r in matrix.index],
                  fontsize=label_size(nrows, large=8))
    return ax


def unreachable_reasons(report, *, ax=None, width: int = 60):
    """Horizontal bars: unreachable cells per reason (``report.reasons()``)."""
    df: pd.DataFrame = report.reasons()
    ax = new_axes(ax, figsize=(9, max(2.5, 0.45 * len(df) + 1.2)))
    ax.set_xlabel("unreachable cells")
    ax.set_ylabel("reason (decided from the config)")
    ax.set_title("Why cells can never be hit")
    if df.empty:
        return no_data(ax, "every allowed cell is reachable")
    labels = [r if len(r) <= width else r[:width - 1] + "\u2026" for r in df["reason"]]
    y = np.arange(len(df))
    ax.barh(y, df["cells"], color="tab:red", label="cells")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.legend(fontsize="small")
    return ax
