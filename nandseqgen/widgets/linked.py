"""A Gantt linked to lists of rollbacks and checker violations: pick one and
the explorable Gantt (:class:`~nandseqgen.plotting.explore.GanttExplorer`)
jumps to its time and lane and describes the segment there.

With ipympl (``%matplotlib widget``) the figure is a live canvas: zoom and pan
with the toolbar, hover or click a segment for its details. With a static
backend the figure is redrawn into an Output after each jump.
"""
from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from ..plotting.explore import GanttExplorer

MAX_ITEMS = 500  # entries per list (the first ones in time)


def _options(df: pd.DataFrame | None, label) -> list:
    """(label, row position) for the first MAX_ITEMS rows of ``df`` by time."""
    if df is None or len(df) == 0:
        return []
    order = df["time"].to_numpy().argsort(kind="stable")[:MAX_ITEMS]
    return [(label(df.iloc[i]), int(i)) for i in order]


def _rollback_label(row) -> str:
    return (f"{row['time']:,.2f} us  D{row['die']}/P{row['plane']}  {row['reason']}  "
            f"{row['op_name'] if pd.notna(row['op_name']) else '-'}")


def _violation_label(row) -> str:
    return f"{row['time']:,.2f} us  D{row['die']}/P{row['plane']}  {row['rule']}: {row['detail']}"


class LinkedGantt:
    """Rollback and violation lists beside a Gantt that jumps to the chosen one.

    ``result``: a RunResult; ``violations``: a checker report's ``violations``
    (or any table with ``time, die, plane, rule, detail``; None: not shown);
    ``span_us``: the width of the window shown around a jump. ``explorer``
    is the GanttExplorer; ``info`` the HTML lines describing the segment;
    ``window`` the line saying what is drawn (window, segments, bands or exact).
    """

    def __init__(self, result, violations: pd.DataFrame | None = None, *,
                 span_us: float = 200.0, figsize=(9.5, 4.6)):
        import matplotlib.pyplot as plt  # the notebook's backend (ipympl: live canvas)

        self.span_us = span_us
        self.rollbacks = result.rollbacks
        self.violations = violations
        with plt.ioff():
            fig = plt.figure(figsize=figsize, layout="constrained")
        self.explorer = GanttExplorer(result, ax=fig.add_subplot())
        self.window = w.HTML(html.escape(self.explorer.ax.get_title()))  # what is drawn now
        self.window.add_class("nsg-gantt-window")
        self.explorer.redraw_listeners.append(
            lambda title: setattr(self.window, "value", html.escape(title)))
        self.info = w.HTML("pick a rollback or a violation, or hover over a segment")
        self.info.add_class("nsg-gantt-info")
        self.explorer.listeners.append(self._show_info)
        self.rollback_list = self._list("rollback", self.rollbacks, _rollback_label)
        self.violation_list = self._list("violation", violations, _violation_label)
        self.canvas, self._static = self._canvas(fig)
        lists = [self.rollback_list] + ([self.violation_list] if violations is not None else [])
        self.widget = w.VBox(lists + [self.info, self.window, self.canvas],
                             layout=w.Layout(width="100%"))

    def _list(self, what: str, df, label) -> w.Dropdown:
        options = _options(df, label)
        none = f"({len(df) if df is not None else 0} {what}s; pick one to jump to it)"
        box = w.Dropdown(options=[(none, None)] + options, value=None, description=what,
                         style={"description_width": "70px"},
                         layout=w.Layout(width="100%", max_width="900px"))
        box.observe(lambda change: self.jump(df, change["new"]), names="value")
        return box

    @staticmethod
    def _canvas(fig):
        if isinstance(fig.canvas, w.DOMWidget):  # ipympl
            fig.canvas.header_visible = False
            fig.canvas.toolbar_position = "right"  # not over the lane labels
            return fig.canvas, False
        out = w.Output()
        with out:
            from IPython.display import display
            display(fig)
        return out, True

    def _show_info(self, text: str) -> None:
        self.info.value = "<pre style='margin:0'>" + html.escape(text) + "</pre>"

    def jump(self, df: pd.DataFrame | None, position) -> str:
        """Centre the Gantt on row ``position`` of ``df`` (time, die, plane)."""
        if df is None or position is None:
            return ""
        row = df.iloc[int(position)]
        text = self.explorer.goto(float(row["time"]), row["die"], row["plane"], self.span_us)
        self._show_info(text)
        if self._static:
            from IPython.display import display
            self.canvas.clear_output(wait=True)
            with self.canvas:
                display(self.explorer.ax.figure)
        return text

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def linked_gantt(result, violations: pd.DataFrame | None = None, **kwargs) -> LinkedGantt:
    """A :class:`LinkedGantt` of ``result`` (and a checker report's violations)."""
    return LinkedGantt(result, violations, **kwargs)
