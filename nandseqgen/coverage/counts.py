"""Cell counts: ``{(key, op_name, bin): n}``, from a run, a CSV table or a
merge of several (runs of one simulation, sites, campaigns)."""
from __future__ import annotations

from collections import Counter

import pandas as pd


def counts_of(source, bins: int | None = None) -> Counter:
    """Counts of a RunResult, an ``input_time`` DataFrame (``op_state, op_name,
    input_time, count``; ``bins`` needed) or a mapping of cells."""
    rec = getattr(source, "recorder", None)
    if rec is not None:
        return Counter(rec.input_time)
    if isinstance(source, pd.DataFrame):
        if bins is None:
            raise ValueError("counts_of(DataFrame) needs bins (policies.input_time_bins)")
        out: Counter = Counter()
        for key, name, t, n in source[["op_state", "op_name", "input_time", "count"]].itertuples(
                index=False):
            out[(key, name, min(int(round(t * bins)), bins - 1))] += int(n)
        return out
    return Counter(dict(source))


def merge_counts(*sources, bins: int | None = None) -> Counter:
    """The sum of the counts of every source (see :func:`counts_of`)."""
    total: Counter = Counter()
    for src in sources:
        total.update(counts_of(src, bins))
    return total
