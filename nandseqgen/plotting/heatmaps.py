"""Heatmaps: phase key x op name proposal counts (coverage), and die/block x
page touch counts (addresses)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm

from ..analysis import coverage_matrix
from ._common import die_lane, frame, label_size, new_axes, no_data

EMPTY_CELL = "#f2f2f2"  # colour of zero cells (masked)


def _draw_matrix(ax, matrix: pd.DataFrame, cbar_label: str, log: bool):
    """imshow of ``matrix`` with zeros masked; returns the image."""
    values = np.ma.masked_less_equal(matrix.to_numpy(dtype=float), 0)
    vmax = max(float(values.max()) if values.count() else 1.0, 1.0)
    norm = LogNorm(vmin=1, vmax=max(vmax, 2.0)) if log else None
    cmap = colormaps["viridis"].with_extremes(bad=EMPTY_CELL)
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=cmap, norm=norm,
                      vmin=None if log else 0, vmax=None if log else vmax)
    ax.figure.colorbar(image, ax=ax, label=cbar_label, fraction=0.04, pad=0.01)
    return image


def _key_matrix(result_or_df) -> tuple:
    """(matrix, row label): proposals from ``proposals`` or ``input_time``."""
    if isinstance(result_or_df, pd.DataFrame) and "phase_key_used" in result_or_df.columns:
        df = frame(result_or_df, "proposals", ("phase_key_used", "op_name", "count"),
                   "coverage_heatmap")
        matrix = df.pivot_table(index="phase_key_used", columns="op_name", values="count",
                                aggfunc="sum", fill_value=0)
        return matrix, "phase key (used)"
    df = frame(result_or_df, "input_time", ("op_state", "op_name", "count"), "coverage_heatmap")
    matrix = coverage_matrix(df)
    table = getattr(result_or_df, "phase_table", None)
    if table:  # every key of the sampling table, also the ones never proposed in
        matrix = matrix.reindex(sorted(set(matrix.index) | set(table)), fill_value=0)
    return matrix, "phase key (op_state)"


def coverage_heatmap(result_or_df, *, ax=None, max_names=None):
    """Heatmap of proposal counts, phase key x op name (log colour scale).

    Needs the ``input_time`` table (``op_state, op_name, count``; the default
    for a RunResult, whose phase-table keys are all shown, proposed in or not)
    or the ``proposals`` table (``phase_key_used, op_name, count``). Empty
    cells are light grey. ``max_names`` keeps the op names with the most
    proposals. Rows and columns are sorted by name. Returns the Axes; the
    matrix is its image.
    """
    matrix, row_label = _key_matrix(result_or_df)
    if max_names is not None and matrix.shape[1] > max_names:
        top = matrix.sum().sort_values(ascending=False, kind="stable").index[:int(max_names)]
        matrix = matrix[top]
    matrix = matrix.sort_index().sort_index(axis=1)
    nrows, ncols = matrix.shape
    ax = new_axes(ax, figsize=(max(6.0, 0.17 * ncols + 4), max(4.0, 0.15 * nrows + 2.5)))
    ax.set_xlabel("op_name")
    ax.set_ylabel(row_label)
    ax.set_title("Coverage: proposals per phase key and op name")
    if matrix.size == 0:
        return no_data(ax, "no proposals")
    _draw_matrix(ax, matrix, "proposals (log scale)", log=True)
    ax.set_xticks(np.arange(ncols), [str(c) for c in matrix.columns], rotation=90,
                  fontsize=label_size(ncols, large=8))
    ax.set_yticks(np.arange(nrows), [str(r) for r in matrix.index],
                  fontsize=label_size(nrows, large=8))
    return ax


def address_heatmap(result_or_df, *, ax=None):
    """Heatmap of touch counts: one row per touched die/block, one column per page.

    Needs the ``touches`` table (``die, block, page, count``; counts of every
    op base and cell type are summed). Rows without a page (block operations
    such as erase) are left out. The page axis spans the touched pages only
    (first to last touched; the x label gives that range and, for a
    RunResult, the block's 0..pages_per_block-1).
    Untouched cells are light grey. Returns the Axes; the matrix is its image.
    """
    df = frame(result_or_df, "touches", ("die", "block", "page", "count"), "address_heatmap")
    df = df[df["page"].notna()]
    grid = df.groupby(["die", "block", "page"])["count"].sum().unstack("page", fill_value=0)
    topology = getattr(getattr(result_or_df, "config", None), "topology", None)
    first, last = (int(grid.columns.min()), int(grid.columns.max())) if len(grid.columns) \
        else (0, -1)
    grid = grid.reindex(columns=range(first, last + 1), fill_value=0)
    labels = die_lane("B", grid.index.get_level_values("die"),
                      grid.index.get_level_values("block"))
    ax = new_axes(ax, figsize=(10, max(3.0, 0.12 * len(labels) + 1.5)))
    of = f" of 0-{topology.pages_per_block - 1}" if topology else ""
    ax.set_xlabel(f"page (touched range {first}-{last}{of})" if last >= first else "page")
    ax.set_ylabel("die / block")
    ax.set_title("Address touches per page")
    if grid.empty:
        return no_data(ax, "no page touches")
    image = _draw_matrix(ax, grid, "touches", log=False)
    image.set_extent((first - 0.5, last + 0.5, len(labels) - 0.5, -0.5))  # x = page number
    ax.set_yticks(np.arange(len(labels)), labels, fontsize=label_size(len(labels), large=8))
    return ax
