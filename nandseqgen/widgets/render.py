"""Pure rendering for the panel: a run's chosen plots and errors as notebook
outputs (``display_data`` / ``stream`` dicts for an ``Output`` widget).

Figures are made with :class:`matplotlib.figure.Figure`, not pyplot, so a
button callback never leaves a figure open for the notebook's inline backend
to show again in some later cell.
"""
from __future__ import annotations

import base64
import io
import traceback

from matplotlib.figure import Figure

from .. import plotting

# name -> (title, draw(result, ax), figsize in inches)
PLOTS = {
    "gantt": ("Gantt by die/plane",
              lambda r, ax: plotting.gantt(r, ax=ax), (11, 3.4)),
    "gantt_block": ("Gantt by die/block, first 5,000 us",
                    lambda r, ax: plotting.gantt(r, by="die_block", ax=ax,
                                                 window=(r.start_us, r.start_us + 5_000)),
                    (11, 7)),
    "rollbacks": ("Rollback reasons by op base",
                  lambda r, ax: plotting.rollback_reasons(r, by="op_base", ax=ax), (10, 3.6)),
    "coverage": ("Coverage heatmap (40 most proposed op names)",
                 lambda r, ax: plotting.coverage_heatmap(r, max_names=40, ax=ax), (11, 10)),
    "input_time": ("Input time histogram",
                   lambda r, ax: plotting.input_time_hist(r, ax=ax), (7, 3)),
    "address": ("Address touches per page",
                lambda r, ax: plotting.address_heatmap(r, ax=ax), (10, 6)),
    "bootstrap": ("Bootstrap progress",
                  lambda r, ax: plotting.bootstrap_progress(r, ax=ax), (10, 3.6)),
}
DEFAULT_PLOTS = ("gantt", "rollbacks")
DPI = 80


def figure(result, name: str) -> Figure:
    """The figure of plot ``name`` (a key of :data:`PLOTS`) for ``result``."""
    if name not in PLOTS:
        raise ValueError(f"unknown plot {name!r}; choose from {sorted(PLOTS)}")
    _title, draw, figsize = PLOTS[name]
    fig = Figure(figsize=figsize, layout="constrained")
    draw(result, fig.add_subplot())
    return fig


def png_output(fig: Figure, text: str) -> dict:
    """A ``display_data`` output holding ``fig`` as PNG (``text`` as plain text)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                     "text/plain": text}}


def text_output(text: str, stream: str = "stdout") -> dict:
    return {"output_type": "stream", "name": stream, "text": text.rstrip("\n") + "\n"}


def summary(result) -> str:
    """One line about a run: seed, span, ops, rollbacks, coverage."""
    cov = result.coverage()
    return (f"seed {result.seed}, {result.start_us:,.0f}-{result.end_us:,.0f} us: "
            f"{len(result.sequence):,} ops in the sequence, {len(result.rollbacks):,} rollbacks, "
            f"coverage {cov.filled:,}/{cov.possible:,} cells (evenness {cov.evenness:.3f})")


def run_outputs(result, names) -> tuple:
    """Outputs for ``result``: the summary line, then one PNG per plot name."""
    outputs = [text_output(summary(result))]
    for name in names:
        outputs.append(png_output(figure(result, name), f"<{PLOTS[name][0]}>"))
    return tuple(outputs)


def error_outputs(exc: BaseException, with_traceback: bool) -> tuple:
    """Outputs describing ``exc`` (its traceback too for unexpected errors)."""
    if with_traceback:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    else:
        text = f"{type(exc).__name__}: {exc}"
    return (text_output(text, "stderr"),)
