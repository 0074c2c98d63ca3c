"""A CSV file's rows as plain lists of strings (no DataFrame boxing)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import csv

if TYPE_CHECKING:  # imported where a DataFrame is built: check workers stay small
    import pandas as pd

from .load import CheckInputError

#: columns with few distinct values: their cells are shared, not one string per row
SHARED_COLUMNS = frozenset(("op_id", "op_name", "op_base", "die", "plane", "block", "page",
                            "source", "op_state", "lane"))


def read_csv_rows(path: str) -> tuple:
    """(header, rows) of a CSV file read with the standard csv module."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise CheckInputError(f"{path} is empty")
        shared = [i for i, name in enumerate(header) if name in SHARED_COLUMNS]
        cells: dict = {}
        rows = []
        for row in reader:
            if not row:
                continue
            for i in shared:
                if i < len(row):
                    row[i] = cells.setdefault(row[i], row[i])
            rows.append(row)
        return header, rows


class RowTable:
    """A CSV file's rows as read (strings), with the two DataFrame methods the
    loaders use (``columns``, ``to_dict("records")``) and none of its cost."""

    def __init__(self, header: list, rows: list):
        width = len(header)
        self.columns = list(header)
        self.rows = [row if len(row) == width else (row + [""] * width)[:width] for row in rows]

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self, orient: str = "records") -> list:
        cols = self.columns
        return [dict(zip(cols, row)) for row in self.rows]

    def frame(self) -> pd.DataFrame:
        import pandas as pd
        return pd.DataFrame(self.rows, columns=self.columns, dtype=object)

