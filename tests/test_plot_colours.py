"""Op colours by family (from roles, never names) and the explorable Gantt."""
from __future__ import annotations

import colorsys

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from nandseqgen.config.roles import DEFAULT_ROLES
from nandseqgen.plotting.colours import FAMILIES, family_colors, family_of
from nandseqgen.plotting.explore import GanttExplorer, explorer_segments
from nandseqgen.simulation import Simulation

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def result(project_cfg):
    return Simulation(project_cfg, seed=5).run(20_000)


def _hue(colour):
    return colorsys.rgb_to_hls(*to_rgb(colour))[0]


def test_family_comes_from_the_role_not_the_name(project_cfg):
    assert family_of("ERASE", project_cfg) == "erase"
    assert family_of("DOUT4K", project_cfg) == "data in/out"
    assert family_of("ODTENABLE", project_cfg) == "ODT"
    # a base named like an erase but declared as a status read is a status read

    class Base:  # a config stand-in: bases with declared roles
        role = DEFAULT_ROLES["SR"]

    class Cfg:
        bases = {"ERASE_LOOKALIKE": Base()}
    assert family_of("ERASE_LOOKALIKE", Cfg()) == "status"
    assert family_of("NEVER_DECLARED") == "feature & other"


def test_one_hue_per_family_distinct_shades_inside(project_cfg):
    colors = family_colors([], project_cfg)
    assert set(colors) == set(project_cfg.bases)
    by_family = {}
    for base, (fam, colour) in colors.items():
        by_family.setdefault(fam, []).append(colour)
    for fam, colours in by_family.items():
        assert len(set(colours)) == len(colours), fam  # no two bases share a colour
        hues = {round(_hue(c), 2) for c in colours if max(to_rgb(c)) - min(to_rgb(c)) > 0.05}
        assert len(hues) <= 1, fam  # shades of the family's one hue
    family_hues = [_hue(c) for _k, c in FAMILIES.values() if max(to_rgb(c)) - min(to_rgb(c)) > .05]
    gaps = np.diff(sorted(family_hues))
    assert gaps.min() > 0.02  # family hues stay apart


def test_explorer_segments_carry_the_op(result):
    seg = explorer_segments(result)
    assert len(seg) == len(result.op_states)
    assert seg["op_uid"].notna().all()
    ops = result.operations
    for _i, row in seg[seg["block"].notna()].iloc[::50].iterrows():
        mine = ops[(ops["op_uid"] == row["op_uid"]) & (ops["die"] == row["die"])
                   & (ops["plane"] == row["plane"])]
        assert (mine["op_name"] == row["op_name"]).all() and (mine["block"] == row["block"]).any()
        assert (mine["start"] <= row["start"]).any()


def test_explorer_level_of_detail_and_hover(result):
    g = GanttExplorer(result)
    assert g.mode == "bands"  # the whole run: more segments than pixels
    lo, hi = g.ax.get_xlim()
    assert len(g.visible(lo, hi)) > g.pixels()
    bands = [p.vertices for p in g.bars.get_paths()]
    assert 0 < len(bands) < len(g.visible(lo, hi))  # fewer shapes than segments
    assert all(lo - 1e-6 <= v[:, 0].min() and v[:, 0].max() <= hi + 1e-6 for v in bands)
    assert {int(round(v[:, 1].mean())) for v in bands} == set(range(len(g.lanes)))
    row = explorer_segments(result).iloc[100]
    mid = (row["start"] + row["end"]) / 2
    g.ax.set_xlim(mid - 20, mid + 20)  # zoom: exact segments, redrawn by the callback
    assert g.mode == "exact"
    assert len(g.bars.get_paths()) == len(g.shown) == len(g.visible(mid - 20, mid + 20))
    lane = g.lanes.index((row["die"], row["plane"]))
    found = g.segment_at(mid, lane)
    assert found["op_uid"] == row["op_uid"] and found["op_state"] == row["op_state"]
    text = g.show_info(found, mid, lane)
    assert row["op_name"] in text and f"uid {row['op_uid']}" in text and "us" in text
    assert g.segment_at(mid, lane + 0.49) is None  # between lanes: nothing


def test_explorer_goto_a_rollback(result):
    g = GanttExplorer(result)
    rb = result.rollbacks.iloc[len(result.rollbacks) // 2]
    text = g.goto(rb["time"], rb["die"], rb["plane"], span_us=100)
    lo, hi = g.ax.get_xlim()
    assert lo == pytest.approx(rb["time"] - 50) and hi == pytest.approx(rb["time"] + 50)
    assert g.marker.get_xdata()[0] == rb["time"]
    assert g.mode == "exact" and text == g.info
    assert "uid" in text or f"{rb['time']:,.2f} us: no segment" in text


def test_linked_gantt_jumps_to_a_rollback_and_a_violation(result):
    import pandas as pd

    from nandseqgen.widgets import linked_gantt

    rb = result.rollbacks
    row = result.op_states.iloc[len(result.op_states) // 2]
    violations = pd.DataFrame({"rule": ["bus_overlap"], "time": [row["start"] + 0.01],
                               "die": [row["die"]], "plane": [row["plane"]],
                               "detail": ["made up for the test"]})
    view = linked_gantt(result, violations, span_us=60)
    assert len(view.rollback_list.options) == min(len(rb), 500) + 1
    first = view.rollback_list.options[1]
    view.rollback_list.value = first[1]  # picking jumps
    rrow = rb.iloc[first[1]]
    assert view.explorer.ax.get_xlim() == pytest.approx((rrow["time"] - 30, rrow["time"] + 30))
    view.violation_list.value = 0
    lo, hi = view.explorer.ax.get_xlim()
    assert lo < violations["time"][0] < hi
    assert row["op_name"] in view.info.value and row["op_state"] in view.info.value
    assert f"{lo:,.1f}-{hi:,.1f} us" in view.window.value  # the window line follows redraws
