"""An explorable Gantt for interactive backends (ipympl: ``%matplotlib widget``).

:class:`GanttExplorer` draws the die/plane lanes of a run and redraws whenever
the x limits change (zoom, pan, :meth:`GanttExplorer.goto`), with level of
detail: a window that holds more segments than the axes has pixels is drawn as
busy bands (one per run of pixel columns where a lane is busy, coloured by the
family most present there); otherwise every segment is drawn exactly. Moving
the mouse over (or clicking) a segment shows its op name, uid, die / plane /
block / page, state and times. It works with any backend; on a static one
(inline) the redraws happen but nobody zooms.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba_array

from ._common import die_lane, label_size, new_axes, no_data
from .colours import FAMILIES, family_colors
from .gantt import _verts, family_legend


def _asof(seg: pd.DataFrame, ops: pd.DataFrame, by: list) -> pd.DataFrame:
    """``seg`` with the columns of the ``ops`` row of equal ``by`` that started
    last at or before each segment (start-sorted merge_asof)."""
    ops = ops.rename(columns={"start": "op_start"}).sort_values("op_start", kind="stable")
    out = pd.merge_asof(seg.sort_values("start", kind="stable"), ops, left_on="start",
                        right_on="op_start", by=by, direction="backward")
    return out.sort_values("_k", kind="stable").drop(columns="op_start").reset_index(drop=True)


def explorer_segments(result) -> pd.DataFrame:
    """One row per op-state segment with its op's uid, block and page: the
    ``op_states`` rows joined to the ``operations`` row of the same die,
    plane and op name that started last at or before the segment. A segment
    on a plane the op does not target (a die-wide state) gets the uid of the
    op of that name on its die, and no block or page."""
    seg = result.op_states[["start", "end", "die", "plane", "op_state", "op_name"]]
    seg = seg.assign(_k=np.arange(len(seg)))
    ops = result.operations[["start", "die", "plane", "op_name", "op_uid", "block", "page"]]
    joined = _asof(seg, ops, ["die", "plane", "op_name"])
    lost = joined["op_uid"].isna().to_numpy()
    if lost.any():
        by_die = _asof(seg[lost], ops.drop(columns=["plane", "block", "page"]), ["die", "op_name"])
        joined.loc[lost, "op_uid"] = by_die["op_uid"].to_numpy()
    joined["op_uid"] = joined["op_uid"].astype("Int64")
    parts = joined["op_state"].astype(str).str.split(".", n=1, expand=True)
    return joined.drop(columns="_k").assign(base=parts[0],
                                            state=parts[1] if parts.shape[1] > 1 else "")


def _family_runs(busy: np.ndarray) -> list:
    """(lane, first bin, last bin + 1, family index) runs of equal non-negative values."""
    runs = []
    for lane, row in enumerate(busy):
        change = np.flatnonzero(np.diff(row)) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change, [len(row)]))
        runs += [(lane, s, e, row[s]) for s, e in zip(starts, ends) if row[s] >= 0]
    return runs


class GanttExplorer:
    """Zoomable, hoverable Gantt of ``result`` by die/plane.

    ``window``: the first (start_us, end_us) shown (default: the whole run).
    Attributes: ``ax``; ``mode`` ("exact" or "bands") of the last redraw;
    ``shown`` (segments drawn exactly, or empty in band mode); ``info`` (the
    text of the last hovered / clicked / jumped-to segment).
    """

    def __init__(self, result, *, window=None, ax=None):
        self.seg = explorer_segments(result).sort_values("start", kind="stable")
        self.seg = self.seg.reset_index(drop=True)
        topo = result.config.topology
        self.lanes = [(d, p) for d in range(topo.dies) for p in range(topo.planes)]
        lane_of = {lp: i for i, lp in enumerate(self.lanes)}
        self.y = np.array([lane_of[(d, p)] for d, p in zip(self.seg["die"], self.seg["plane"])],
                          dtype=float)
        self.starts, self.ends = self.seg["start"].to_numpy(), self.seg["end"].to_numpy()
        self.longest = float((self.ends - self.starts).max()) if len(self.seg) else 0.0
        self.colors = family_colors(pd.unique(self.seg["base"]), result.config)
        fam_index = {f: i for i, f in enumerate(FAMILIES)}
        self.family = np.array([fam_index[self.colors[b][0]] for b in self.seg["base"]], dtype=int)
        self.rgba = to_rgba_array([self.colors[b][1] for b in self.seg["base"]]) \
            if len(self.seg) else np.zeros((0, 4))
        self.ax = new_axes(ax, figsize=(12, max(2.5, 0.25 * len(self.lanes) + 2.2)))
        self.mode, self.shown, self.info = "exact", self.seg.iloc[:0], ""
        self.listeners: list = []  # called with the info text on every hover / click / goto
        self.redraw_listeners: list = []  # called with the title after every redraw
        self._setup_axes(window)

    # ------------------------------------------------------------ drawing
    def _setup_axes(self, window) -> None:
        ax, n = self.ax, len(self.lanes)
        labels = die_lane("P", [d for d, _ in self.lanes], [p for _, p in self.lanes])
        ax.set_yticks(np.arange(n), labels, fontsize=label_size(n))
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlabel("time (us)")
        ax.set_ylabel("die / plane")
        self.bars = PolyCollection([], linewidths=0.3)
        ax.add_collection(self.bars, autolim=False)
        self.marker = ax.axvline(np.nan, color="k", lw=1, ls="--")
        self.note = ax.annotate("", xy=(0, 0), xytext=(12, 12), textcoords="offset points",
                                fontsize="small", visible=False, zorder=10,
                                bbox={"boxstyle": "round", "fc": "#ffffe0", "ec": "0.5"})
        if len(self.seg) == 0:
            no_data(ax, "no segments")
            return
        family_legend(ax, self.colors, set(self.seg["base"]))
        lo, hi = window if window is not None else (self.starts.min(), self.ends.max())
        ax.set_xlim(lo, hi)
        self.redraw()
        ax.callbacks.connect("xlim_changed", lambda _ax: self.redraw())
        canvas = ax.figure.canvas
        canvas.mpl_connect("motion_notify_event", self._on_mouse)
        canvas.mpl_connect("button_press_event", self._on_mouse)

    def pixels(self) -> int:
        """Width of the axes in pixels (at least 100)."""
        return max(100, int(self.ax.get_window_extent().width))

    def visible(self, lo: float, hi: float) -> np.ndarray:
        """Indices of the segments overlapping ``[lo, hi)`` (start-sorted search)."""
        first = np.searchsorted(self.starts, lo - self.longest, side="left")
        last = np.searchsorted(self.starts, hi, side="left")
        idx = np.arange(first, last)
        return idx[self.ends[idx] > lo]

    def redraw(self) -> None:
        """Draw the segments of the current x window: exact, or busy bands."""
        lo, hi = self.ax.get_xlim()
        idx = self.visible(lo, hi)
        bins = self.pixels()
        if len(idx) > bins:
            self._draw_bands(idx, lo, hi, bins)
        else:
            self._draw_exact(idx, lo, hi)
        title = (f"Gantt by die/plane, {lo:,.1f}-{hi:,.1f} us: {len(idx):,} segments"
                 + (f", drawn as busy bands ({bins} px); zoom in for exact segments"
                    if self.mode == "bands" else ""))
        self.ax.set_title(title, fontsize="medium")
        self.ax.figure.canvas.draw_idle()
        for listener in self.redraw_listeners:
            listener(title)

    def _draw_exact(self, idx, lo, hi) -> None:
        self.mode, self.shown = "exact", self.seg.iloc[idx]
        x0, x1 = np.clip(self.starts[idx], lo, hi), np.clip(self.ends[idx], lo, hi)
        self.bars.set_verts(_verts(x0, x1, self.y[idx]))  # type: ignore[arg-type]
        self.bars.set_facecolor(self.rgba[idx])
        self.bars.set_edgecolor(self.rgba[idx])

    def _draw_bands(self, idx, lo, hi, bins) -> None:
        """Per lane and pixel column, the family with most segments there (-1: idle)."""
        self.mode, self.shown = "bands", self.seg.iloc[:0]
        width = (hi - lo) / bins
        b0 = np.clip(((self.starts[idx] - lo) / width).astype(int), 0, bins - 1)
        b1 = np.clip(np.ceil((self.ends[idx] - lo) / width).astype(int), 1, bins)
        nfam, lanes = len(FAMILIES), len(self.lanes)
        diff = np.zeros((lanes, nfam, bins + 1))
        lane = self.y[idx].astype(int)
        np.add.at(diff, (lane, self.family[idx], b0), 1)
        np.add.at(diff, (lane, self.family[idx], b1), -1)
        count = np.cumsum(diff, axis=2)[:, :, :bins]
        busy = np.where(count.max(axis=1) > 0, count.argmax(axis=1), -1)
        runs = _family_runs(busy)
        fam_rgba = to_rgba_array([c for _k, c in FAMILIES.values()])
        x0 = np.array([lo + r[1] * width for r in runs])
        x1 = np.array([lo + r[2] * width for r in runs])
        y = np.array([r[0] for r in runs], dtype=float)
        colours = fam_rgba[[r[3] for r in runs]] if runs else np.zeros((0, 4))
        self.bars.set_verts(_verts(x0, x1, y) if runs else [])  # type: ignore[arg-type]
        self.bars.set_facecolor(colours)  # type: ignore[arg-type]
        self.bars.set_edgecolor(colours)  # type: ignore[arg-type]

    # ------------------------------------------------------- inspection
    def segment_at(self, x: float, y: float):
        """The segment row under data point (x, y), or None."""
        lane = int(round(y))
        if not 0 <= lane < len(self.lanes) or abs(y - lane) > 0.45:
            return None
        idx = self.visible(x, x + 1e-9)
        idx = idx[(self.y[idx] == lane) & (self.starts[idx] <= x)]
        return self.seg.iloc[idx[-1]] if len(idx) else None

    @staticmethod
    def describe(row) -> str:
        """Op name, uid, die/plane/block/page, state and times of one segment row."""
        def val(v):
            return "-" if pd.isna(v) else int(v)
        return (f"{row['op_name']}  (uid {val(row['op_uid'])})\n"
                f"die {row['die']} plane {row['plane']} block {val(row['block'])} "
                f"page {val(row['page'])}\n"
                f"{row['op_state']}: {row['start']:,.2f} - {row['end']:,.2f} us "
                f"({row['end'] - row['start']:,.2f} us)")

    def show_info(self, row, x: float, y: float) -> str:
        """Put ``row``'s description in the note at (x, y); returns the text."""
        self.info = self.describe(row)
        self.note.xy = (x, y)
        lo, hi = self.ax.get_xlim()
        right_half = x > (lo + hi) / 2  # the note opens towards the middle, never off the axes
        self.note.set_position((-12, 12) if right_half else (12, 12))
        self.note.set_horizontalalignment("right" if right_half else "left")
        self.note.set_text(self.info)
        self.note.set_visible(True)
        self.ax.figure.canvas.draw_idle()
        for listener in self.listeners:
            listener(self.info)
        return self.info

    def _on_mouse(self, event) -> None:
        if event.inaxes is not self.ax or event.xdata is None:
            return
        row = self.segment_at(event.xdata, event.ydata)
        if row is not None:
            self.show_info(row, event.xdata, event.ydata)
        elif self.note.get_visible():
            self.note.set_visible(False)
            self.ax.figure.canvas.draw_idle()

    def goto(self, time_us: float, die=None, plane=None, span_us: float = 200.0) -> str:
        """Centre a ``span_us`` window on ``time_us`` (a rollback, a violation),
        mark the time, and describe the segment on lane die/plane there."""
        self.marker.set_xdata([time_us, time_us])
        self.ax.set_xlim(time_us - span_us / 2, time_us + span_us / 2)  # redraws
        self.info = f"{time_us:,.2f} us: no segment on D{die}/P{plane}"
        if die is not None and plane is not None and (int(die), int(plane)) in self.lanes:
            lane = self.lanes.index((int(die), int(plane)))
            row = self.segment_at(time_us, lane)
            if row is not None:
                return self.show_info(row, time_us, lane)
        self.note.set_visible(False)
        return self.info
