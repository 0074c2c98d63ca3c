"""Files of a run kept in memory (SPEC 6): every table through the same sinks
the streaming recorder uses, in chunks."""
from __future__ import annotations

import os

from .atomic import fsync_dir
from .sinks import TableOut, file_name
from .tables import BUILDERS

CHUNK = 50_000  # rows per write (and per Parquet row group)

__all__ = ["write_run", "file_name", "CHUNK"]


def write_run(recorder, out_dir: str, date: str, run_index: int, fmt: str = "csv") -> dict:
    """Write the six tables; returns {table: csv path (or parquet path)}."""
    os.makedirs(out_dir, exist_ok=True)
    outs = []
    try:
        for table, build in BUILDERS.items():
            _columns, rows = build(recorder)
            out = TableOut(out_dir, table, date, run_index, fmt)
            outs.append(out)
            for i in range(0, len(rows), CHUNK):
                out.write(rows[i:i + CHUNK])
    except BaseException:
        for out in outs:
            out.abort()
        raise
    paths = {}
    for out in outs:
        files = out.commit()
        paths[out.table] = files.get("csv") or files["parquet"]
    fsync_dir(out_dir)
    return paths
