"""Rows of a table as tuples of chosen columns, for the loaders and rules:
a :class:`.rows.RowTable` (CSV cells, no boxing) or a DataFrame alike."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any


def column_tuples(table: Any, names: Sequence[str]) -> Iterable[tuple]:
    """The rows of ``table`` (a :class:`.rows.RowTable` or a DataFrame) as tuples of
    the columns ``names``, in order; None for a column the table lacks."""
    present = [n for n in names if n in table.columns]
    if not present:
        return ((None,) * len(names) for _ in range(len(table)))
    pandas = sys.modules.get("pandas")  # not imported: the table cannot be a DataFrame
    if pandas is None or not isinstance(table, pandas.DataFrame):  # a .rows.RowTable
        idx = [table.columns.index(n) for n in present]
        got: Iterable[tuple] = (map(itemgetter(*idx), table.rows) if len(idx) > 1
                                else ((r[idx[0]],) for r in table.rows))
    else:
        got = zip(*(table[n].tolist() for n in present))
    if len(present) == len(names):
        return got
    where = [present.index(n) if n in present else None for n in names]
    return (tuple(None if i is None else row[i] for i in where) for row in got)
