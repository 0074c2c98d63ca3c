"""CSV files of a run (SPEC 6): RFC 4180 through the standard csv module."""
from __future__ import annotations

import csv
import os

from .atomic import atomic_open, fsync_dir
from .tables import BUILDERS, TIME_COLUMNS


def file_name(table: str, date: str, run_index: int) -> str:
    return f"{table}_{date}_{run_index:07d}.csv"


def _cell(value, is_time: bool) -> str:
    if value is None:
        return ""
    if is_time:
        return f"{value:.2f}"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_table(path: str, columns, rows) -> None:
    timecols = [c in TIME_COLUMNS for c in columns]
    with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(columns)
        w.writerows([_cell(v, tc) for v, tc in zip(row, timecols)] for row in rows)


def write_run(recorder, out_dir: str, date: str, run_index: int) -> dict:
    """Write the six tables; returns {table: path}."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for table, build in BUILDERS.items():
        columns, rows = build(recorder)
        path = os.path.join(out_dir, file_name(table, date, run_index))
        write_table(path, columns, rows)
        paths[table] = path
    fsync_dir(out_dir)
    return paths
