"""Plot functions: labels, legends, one artist per segment/bar, filters.

Figures are closed by conftest (Agg backend)."""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from nandseqgen.simulation import Simulation
from nandseqgen.plotting import (address_heatmap, bootstrap_progress, coverage_heatmap, gantt,
                                 input_time_hist, rollback_reasons)
from nandseqgen.plotting.progress import stage_spans


@pytest.fixture(scope="module")
def result(project_cfg):
    """A seeded run with bootstrap on: every table has rows."""
    return Simulation(project_cfg, seed=5, bootstrap=True).run(30_000)


def _ticklabels(ax, axis="y"):
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def _legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, "expected a legend"
    return [t.get_text() for t in legend.get_texts()]


def _legend_bases(ax):
    """The op-base entries of a family-grouped legend (family headers end with ':')."""
    return [t.strip() for t in _legend_texts(ax) if not t.endswith(":")]


# --------------------------------------------------------------- packaging
def test_importing_the_engine_imports_no_plotting_or_widgets():
    code = ("import sys, nandseqgen, nandseqgen.simulation, nandseqgen.analysis;"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'ipywidgets', 'IPython', 'nandseqgen.plotting', 'nandseqgen.widgets')"
            " or m.startswith(('nandseqgen.plotting', 'nandseqgen.widgets')));"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_plotting_does_not_import_widgets():
    code = ("import sys, nandseqgen.plotting;"
            "sys.exit(1 if any(m.split('.')[0] == 'ipywidgets' for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_no_plot_function_calls_show(result, monkeypatch):
    import matplotlib.pyplot as plt

    def refuse(*_a, **_k):
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", refuse)
    for draw in (gantt, rollback_reasons, bootstrap_progress, coverage_heatmap,
                 input_time_hist, address_heatmap):
        assert draw(result) is not None


# ------------------------------------------------------------------ gantt
def test_gantt_by_die_plane_one_collection_one_path_per_segment(result):
    ax = gantt(result)
    states = result.op_states
    assert len(ax.collections) == 1 and not ax.patches  # never one artist per bar
    assert len(ax.collections[0].get_paths()) == len(states)
    topo = result.config.topology
    assert _ticklabels(ax) == [f"D{d}/P{p}" for d in range(topo.dies) for p in range(topo.planes)]
    assert ax.get_xlabel() == "time (us)" and ax.get_ylabel() == "die / plane"
    bases = sorted(states["op_state"].str.split(".").str[0].unique())
    assert sorted(_legend_bases(ax)) == bases


def test_gantt_window_keeps_and_clips_overlapping_segments(result):
    lo, hi = 5_000.0, 6_500.0
    ax = gantt(result, window=(lo, hi))
    states = result.op_states
    inside = states[(states["end"] > lo) & (states["start"] < hi)]
    paths = ax.collections[0].get_paths()
    assert 0 < len(paths) == len(inside) < len(states)
    xs = np.concatenate([p.vertices[:, 0] for p in paths])
    assert xs.min() >= lo and xs.max() <= hi
    assert ax.get_xlim() == (lo, hi)
    assert "5000-6500 us" in ax.get_title()


def test_gantt_window_keeps_the_full_run_colours(result):
    full = gantt(result).collections[0].get_facecolors()
    states = result.op_states
    first = states.index[(states["end"] > 5_000) & (states["start"] < 6_500)][0]
    window = gantt(result, window=(5_000, 6_500)).collections[0].get_facecolors()
    assert np.allclose(window[0], full[first])


def test_gantt_by_die_block_uses_operations_with_a_block(result):
    ax = gantt(result, by="die_block")
    ops = result.operations
    with_block = ops[ops["block"].notna()]
    assert len(ax.collections[0].get_paths()) == len(with_block)
    labels = _ticklabels(ax)
    assert labels and all(re.fullmatch(r"D\d+/B\d+", t) for t in labels)
    assert len(labels) == len(with_block[["die", "block"]].drop_duplicates())
    assert ax.get_ylabel() == "die / block"
    assert set(_legend_bases(ax)) == set(with_block["op_base"])


def test_gantt_accepts_a_dataframe_and_an_axes(result):
    import matplotlib.pyplot as plt

    _fig, given = plt.subplots()
    df = result.op_states.head(40)
    ax = gantt(df, ax=given)
    assert ax is given
    assert len(ax.collections[0].get_paths()) == 40


def test_gantt_empty_window_says_so(result):
    ax = gantt(result, window=(10_000_000, 10_000_100))
    assert not ax.collections
    assert any("no segments" in t.get_text() for t in ax.texts)


@pytest.mark.parametrize("kwargs, message", [
    ({"by": "die"}, "by must be one of"),
    ({"window": (100, 50)}, "end > start"),
])
def test_gantt_refuses_bad_options(result, kwargs, message):
    with pytest.raises(ValueError, match=message):
        gantt(result, **kwargs)


def test_gantt_names_missing_columns(result):
    with pytest.raises(ValueError, match="op_state"):
        gantt(result.op_states.drop(columns=["op_state"]))


# -------------------------------------------------------------- rollbacks
def test_rollback_reasons_overall(result):
    ax = rollback_reasons(result)
    rb = result.rollbacks
    counts = rb["reason"].value_counts()
    assert len(ax.patches) == len(counts)
    assert sum(p.get_width() for p in ax.patches) == len(rb)
    assert _ticklabels(ax)[0] == counts.index[0]  # most frequent on top
    assert ax.get_xlabel() == "rolled-back proposals" and ax.get_ylabel() == "reason"
    assert _legend_texts(ax) == ["rollbacks"]


def test_rollback_reasons_stacked_by_op_base(result):
    ax = rollback_reasons(result, by="op_base")
    rb = result.rollbacks
    groups = rb["op_base"].fillna("(none)").nunique()
    assert len(ax.patches) == rb["reason"].nunique() * groups
    assert sum(p.get_width() for p in ax.patches) == len(rb)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "op_base"
    assert len(_legend_texts(ax)) == groups


def test_rollback_legend_keeps_the_largest_groups_and_fits(result):
    from nandseqgen.plotting.distributions import MAX_GROUPS

    rb = result.rollbacks
    ax = rollback_reasons(rb, by="phase_key")
    keys = rb["phase_key"].nunique()
    texts = _legend_texts(ax)
    assert len(texts) == min(keys, MAX_GROUPS)
    if keys > MAX_GROUPS:
        assert texts[-1] == f"others ({keys - MAX_GROUPS + 1} phase_key values)"
    assert sum(p.get_width() for p in ax.patches) == len(rb)
    fig = ax.figure
    fig.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.width <= fig.bbox.width  # under the axes, never wider than the figure


def test_rollback_reasons_without_rollbacks(result):
    ax = rollback_reasons(result.rollbacks.iloc[:0])
    assert any("no rollbacks" in t.get_text() for t in ax.texts)


# -------------------------------------------------------------- bootstrap
def test_bootstrap_progress_lines_and_stage_bands(result):
    progress = result.bootstrap_progress
    assert len(progress) > 1
    ax = bootstrap_progress(result)
    assert [line.get_label() for line in ax.get_lines()[:3]] == [
        "erased blocks", "programmed blocks", "read blocks"]
    spans = stage_spans(progress, result.end_us)
    assert len(ax.patches) == len(spans)  # one shaded band per stage stretch
    twin = [a for a in ax.figure.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds]
    assert twin and twin[0].get_ylabel() == "read coverage"
    assert ax.get_xlabel() == "time (us)" and ax.get_ylabel() == "unique blocks"
    texts = _legend_texts(ax)
    assert "read coverage (right axis)" in texts and "threshold" in texts
    assert any(t.startswith("stage ") for t in texts)


def test_stage_spans_are_contiguous():
    df = pd.DataFrame({"time": [0.0, 5.0, 9.0, 12.0], "stage": ["ERASE", "ERASE", "PROGRAM",
                                                                 "DONE"]})
    assert stage_spans(df, 20.0) == [("ERASE", 0.0, 9.0), ("PROGRAM", 9.0, 12.0),
                                     ("DONE", 12.0, 20.0)]


def test_bootstrap_progress_of_a_run_without_bootstrap(project_cfg):
    plain = Simulation(project_cfg, seed=5).run(2_000)
    ax = bootstrap_progress(plain)
    assert any("no bootstrap" in t.get_text() for t in ax.texts)


# --------------------------------------------------------------- coverage
def test_coverage_heatmap_from_input_time(result):
    ax = coverage_heatmap(result)
    image = ax.images[0].get_array()
    names = result.input_time["op_name"].nunique()
    assert image.shape == (len(result.phase_table), names)
    assert image.sum() == result.input_time["count"].sum()
    assert _ticklabels(ax)[:2] == sorted(result.phase_table)[:2]
    assert ax.get_xlabel() == "op_name" and ax.get_ylabel().startswith("phase key")
    assert len(ax.figure.axes) == 2  # the colorbar


def test_coverage_heatmap_max_names_keeps_the_most_proposed(result):
    ax = coverage_heatmap(result, max_names=5)
    top = result.input_time.groupby("op_name")["count"].sum().nlargest(5).index
    assert sorted(_ticklabels(ax, "x")) == sorted(top)


def test_coverage_heatmap_from_proposals(result):
    ax = coverage_heatmap(result.proposals)
    props = result.proposals
    assert ax.images[0].get_array().shape == (props["phase_key_used"].nunique(),
                                              props["op_name"].nunique())
    assert ax.get_ylabel() == "phase key (used)"


# ------------------------------------------------------------- input time
def test_input_time_hist_all_states(result):
    ax = input_time_hist(result)
    bins = result.config.policies.input_time_bins
    assert len(ax.patches) == bins
    assert sum(p.get_height() for p in ax.patches) == result.input_time["count"].sum()
    assert ax.get_xlabel().startswith("input time") and ax.get_ylabel() == "proposals"
    assert _legend_texts(ax) == ["all states"]


def test_input_time_hist_filters_and_stacks_states(result):
    it = result.input_time
    top2 = it.groupby("op_state")["count"].sum().nlargest(2).index.tolist()
    one = input_time_hist(result, op_state=top2[0])
    assert sum(p.get_height() for p in one.patches) == it.loc[it["op_state"] == top2[0],
                                                              "count"].sum()
    stacked = input_time_hist(it, op_state=top2)  # a DataFrame: bins inferred
    assert len(stacked.patches) == 2 * result.config.policies.input_time_bins
    assert _legend_texts(stacked) == top2


def test_input_time_hist_puts_each_decile_in_its_own_bin():
    # 0.3, 0.6 and 0.7 are not exact in binary: float edges put them one bin low
    starts = [round(b / 10, 6) for b in range(10)]
    df = pd.DataFrame({"op_state": "S.X", "op_name": "n", "input_time": starts,
                       "count": list(range(1, 11))})
    ax = input_time_hist(df)
    assert [p.get_height() for p in ax.patches] == list(range(1, 11))
    assert [round(p.get_x(), 6) for p in ax.patches] == starts


def test_input_time_hist_unknown_state(result):
    ax = input_time_hist(result, op_state="NO_SUCH.STATE")
    assert any("no proposals" in t.get_text() for t in ax.texts)


# ---------------------------------------------------------------- address
def test_address_heatmap_block_by_page(result):
    ax = address_heatmap(result)
    touches = result.touches
    paged = touches[touches["page"].notna()]
    image = ax.images[0].get_array()
    blocks = paged[["die", "block"]].drop_duplicates()
    pages = paged["page"].astype(int)
    assert image.shape == (len(blocks), pages.max() - pages.min() + 1)  # touched range only
    assert ax.images[0].get_extent()[:2] == [pages.min() - 0.5, pages.max() + 0.5]
    assert image.sum() == paged["count"].sum()
    labels = _ticklabels(ax)
    assert labels[0] == "D{}/B{}".format(*blocks.sort_values(["die", "block"]).iloc[0])
    assert ax.get_xlabel().startswith("page (touched range") and ax.get_ylabel() == "die / block"
    assert len(ax.figure.axes) == 2  # the colorbar


def test_gantt_shows_idle_planes_of_the_topology(result):
    states = result.op_states
    busy_elsewhere = states[~((states["die"] == 1) & (states["plane"] == 3))]
    from_frame = gantt(busy_elsewhere)  # a DataFrame: lanes of the table only
    assert "D1/P3" not in _ticklabels(from_frame)

    class Partial:  # a RunResult whose op_states lack one plane
        config, op_states = result.config, busy_elsewhere

    ax = gantt(Partial())
    assert "D1/P3" in _ticklabels(ax) and len(_ticklabels(ax)) == 8
