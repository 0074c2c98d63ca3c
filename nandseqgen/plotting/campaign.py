"""Campaign summary plots (docs/campaigns.md): coverage closure across sites,
violations by rule, ops per site. Each takes a
:class:`~nandseqgen.campaign.CampaignResult` or the relevant DataFrame and
returns the Axes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import label_size, new_axes, no_data, palette, side_legend


def _table(result_or_df, func: str) -> pd.DataFrame:
    if isinstance(result_or_df, pd.DataFrame):
        return result_or_df
    if hasattr(result_or_df, "table"):
        return result_or_df.table
    raise TypeError(f"{func}: expected a CampaignResult or its table, "
                    f"got {type(result_or_df).__name__}")


def coverage_closure(result_or_df, *, per_site=None, ax=None):
    """Merged coverage ratio (%) after the first k sites: a line that flattens
    when new sites stop filling new cells. ``result_or_df``: a CampaignResult
    or its :meth:`closure` frame (sites, coverage_ratio); ``per_site``: the
    campaign table, to draw each site's own ratio as dots (taken from the
    result when a CampaignResult is given)."""
    ax = new_axes(ax, figsize=(8, 3.5))
    if isinstance(result_or_df, pd.DataFrame):
        curve = result_or_df
    else:
        curve = result_or_df.closure()
        per_site = result_or_df.done if per_site is None else per_site
    if curve.empty:
        return no_data(ax, "no finished site")
    ax.plot(curve["sites"], 100 * curve["coverage_ratio"], marker="o", ms=3,
            label="merged over the first k sites")
    if per_site is not None and len(per_site):
        x = np.arange(1, len(per_site) + 1)
        ax.scatter(x, 100 * per_site["coverage_ratio"].to_numpy(dtype=float), s=12,
                   color="0.5", label="site alone", zorder=3)
    ax.set_xlabel("finished sites (grid order)")
    ax.set_ylabel("coverage ratio (% of cells)")
    ax.set_ylim(bottom=0)
    ax.set_title("Coverage closure across sites")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def violations_by_rule(result_or_df, *, ax=None):
    """Horizontal bars: violations per checker rule summed over the finished
    sites (every rule listed, zeros included), failed sites in the title."""
    t = _table(result_or_df, "violations_by_rule")
    ax = new_axes(ax, figsize=(8, 5))
    cols = [c for c in t.columns if c.startswith("violations_")]
    done = t[t["status"] == "done"]
    totals = done[cols].fillna(0).sum().astype(int)
    rules = [c.removeprefix("violations_") for c in cols]
    ax.barh(rules, totals.to_numpy(), color=["tab:red" if v else "tab:green" for v in totals])
    for y, v in enumerate(totals):
        ax.text(v, y, f" {v}", va="center", fontsize="x-small")
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=label_size(len(rules), large=8))
    ax.set_xlabel(f"violations over {len(done)} finished site(s)")
    ax.set_ylabel("checker rule")
    failed = int((t["status"] == "failed").sum())
    ax.set_title(f"Violations by rule ({failed} failed site(s) not run to the end)")
    if totals.sum() == 0:
        ax.set_xlim(0, 1)
    return ax


def ops_per_site(result_or_df, *, by: str = "variant", ax=None):
    """Bars: committed ops per site, coloured by ``by`` (variant, config,
    overrides or seed); failed sites drawn as hatched empty bars."""
    t = _table(result_or_df, "ops_per_site").reset_index(drop=True)
    ax = new_axes(ax, figsize=(9, 3.5))
    if t.empty:
        return no_data(ax, "no site")
    groups = [str(g) for g in pd.unique(t[by].astype(str))]
    colours = dict(zip(groups, palette(len(groups))))
    ops = t["ops"].fillna(0).to_numpy(dtype=float)
    failed = (t["status"] != "done").to_numpy()
    for group in groups:
        sel = (t[by].astype(str) == group).to_numpy() & ~failed
        ax.bar(np.flatnonzero(sel), ops[sel], color=colours[group], label=group or "(config)")
    if failed.any():
        top = max(ops.max(), 1.0)
        ax.bar(np.flatnonzero(failed), top, fill=False, hatch="//", edgecolor="tab:red",
               label="failed")
    ax.set_xticks(range(len(t)), t["site"].str.removeprefix("site_"),
                  fontsize=label_size(len(t)), rotation=90)
    ax.set_xlabel("site")
    ax.set_ylabel("committed ops")
    ax.set_title("Ops per site")
    side_legend(ax, title=by)
    return ax
