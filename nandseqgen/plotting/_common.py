"""Helpers shared by the plot functions: input coercion, axes, colours."""
from __future__ import annotations

import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

# qualitative palettes chained, so up to 60 op bases get distinct colours
_PALETTES = ("tab20", "tab20b", "tab20c")


def frame(result_or_df, attr: str, columns, func: str) -> pd.DataFrame:
    """The DataFrame to plot: ``result_or_df`` itself, or its ``attr`` table.

    Raises ``ValueError`` naming the missing columns, so a wrong table is caught
    with a clear message instead of a ``KeyError`` deep inside matplotlib.
    """
    if isinstance(result_or_df, pd.DataFrame):
        df = result_or_df
    elif hasattr(result_or_df, attr):
        df = getattr(result_or_df, attr)
    else:
        raise TypeError(f"{func}: expected a RunResult or a DataFrame, "
                        f"got {type(result_or_df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{func}: the DataFrame lacks column(s) {missing}; "
                         f"it has {list(df.columns)}")
    return df


def new_axes(ax=None, figsize=(10, 4)):
    """``ax`` itself, or the axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: picking a backend is the caller's business

    _fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def palette(n: int) -> list:
    """``n`` distinct hex colours (qualitative, deterministic)."""
    colours = []
    for name in _PALETTES:
        cmap = colormaps[name]
        colours += [to_hex(cmap(i)) for i in range(cmap.N)]
    return [colours[i % len(colours)] for i in range(n)]


def op_base_colors(bases, config=None) -> dict:
    """{op_base: colour} over the sorted base names of ``config`` (when given)
    and ``bases``: with a config, one base has one colour in every plot."""
    seen = {str(b) for b in bases}
    seen.update(str(b) for b in getattr(config, "bases", None) or ())
    names = sorted(seen)
    return dict(zip(names, palette(len(names))))


def label_size(n: int, small: float = 5.0, large: float = 9.0) -> float:
    """A tick-label font size that keeps ``n`` labels readable."""
    return max(small, min(large, 420.0 / max(n, 1)))


def side_legend(ax, handles=None, title=None, entry_in: float = 0.17):
    """A legend right of the axes, in as many columns as the figure's height needs."""
    if handles is None:
        handles = ax.get_legend_handles_labels()[0]
    rows = max(4, int(ax.figure.get_figheight() / entry_in) - 2)
    return ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                     fontsize="x-small", title_fontsize="small", frameon=False,
                     ncol=max(1, -(-len(handles) // rows)))


def no_data(ax, message: str):
    """Write ``message`` in the middle of an empty plot."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            color="0.4")
    return ax


def die_lane(prefix: str, die, unit) -> list:
    """``D<die>/<prefix><unit>`` lane names (``D0/P3``, ``D1/B17``)."""
    return [f"D{d}/{prefix}{u}" for d, u in zip(die, unit)]
