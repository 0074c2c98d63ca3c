"""Tables read back from a run's files, whole or by time window, in chunks
(docs/architecture.md, "Reading long runs"). Dtypes are those of the
in-memory frames, so a notebook cannot tell the two apart."""
from __future__ import annotations

from bisect import bisect_left

import pandas as pd

from .frames import typed
from .sinks import FLOAT_COLUMNS, INT_COLUMNS, NULLABLE_INT
from .tables import NAMES, TABLES, TIME_AXIS, TIME_SORTED, table_of


def _dtypes(columns) -> dict:
    out = {}
    for c in columns:
        if c in FLOAT_COLUMNS:
            out[c] = "float64"
        elif c in NULLABLE_INT:
            out[c] = "Int64"
        elif c in INT_COLUMNS:
            out[c] = "int64"
        else:
            out[c] = "string"
    return out


def _window(df: pd.DataFrame, axis, start_us, end_us) -> pd.DataFrame:
    if axis is None or (start_us is None and end_us is None):
        return df
    mask = pd.Series(True, index=df.index)
    if start_us is not None:
        mask &= df[axis] >= start_us
    if end_us is not None:
        mask &= df[axis] < end_us
    return df[mask].reset_index(drop=True) if not mask.all() else df


def _csv_chunks(path, table, chunksize, start_us, end_us, index):
    columns = TABLES[table]
    axis = TIME_AXIS[table]
    offset = None
    if table in TIME_SORTED and start_us is not None and index:
        i = bisect_left([e[0] for e in index], start_us) - 1
        if i > 0:
            offset = index[i][1]
    with open(path, "rb") as fh:
        if offset:
            fh.seek(offset)
        reader = pd.read_csv(fh, header=None if offset else 0, names=list(columns),
                             dtype=_dtypes(columns), keep_default_na=False, na_values=[""],
                             chunksize=chunksize)
        for df in reader:
            if (table in TIME_SORTED and end_us is not None and len(df)
                    and df[axis].iloc[0] >= end_us):
                break
            yield _window(df, axis, start_us, end_us)


def _parquet_chunks(path, table, chunksize, start_us, end_us, columns):
    import pyarrow.parquet as pq
    axis = TIME_AXIS[table]
    pf = pq.ParquetFile(path)
    for g in range(pf.num_row_groups):
        if axis is not None and (start_us is not None or end_us is not None):
            st = pf.metadata.row_group(g).column(TABLES[table].index(axis)).statistics
            if st is not None and st.has_min_max and (
                    (end_us is not None and st.min >= end_us)
                    or (start_us is not None and st.max < start_us)):
                continue
        tbl = pf.read_row_group(g)
        for i in range(0, max(tbl.num_rows, 1), chunksize):
            df = typed(tbl.slice(i, chunksize).to_pandas())
            yield _window(df, axis, start_us, end_us)


def iter_file_chunks(files: dict, table: str, chunksize: int = 100_000, start_us=None,
                     end_us=None, columns=None, index=None):
    """DataFrames of at most ``chunksize`` rows, rows with their time axis
    (``time``, ``start`` or ``propose_time``) in ``[start_us, end_us)``."""
    if "parquet" in files:
        chunks = _parquet_chunks(files["parquet"], table, chunksize, start_us, end_us, columns)
    else:
        chunks = _csv_chunks(files["csv"], table, chunksize, start_us, end_us, index)
    for df in chunks:
        if len(df):
            yield df[list(columns)] if columns else df


def read_file_table(files: dict, table: str, start_us=None, end_us=None, columns=None,
                    index=None) -> pd.DataFrame:
    parts = list(iter_file_chunks(files, table, 1_000_000, start_us, end_us, columns, index))
    if not parts:
        return typed(pd.DataFrame(columns=list(columns or TABLES[table])))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def iter_frame_chunks(df: pd.DataFrame, table: str, chunksize: int = 100_000, start_us=None,
                      end_us=None, columns=None):
    df = _window(df, TIME_AXIS[table], start_us, end_us)
    if columns:
        df = df[list(columns)]
    for i in range(0, len(df), chunksize):
        yield df.iloc[i:i + chunksize].reset_index(drop=True)


class RunFiles:
    """The tables of a run already on disk (e.g. written by ``nandseqgen run``),
    with the attributes and methods of a RunResult kept in files:
    ``open_run("out", run_index=1).read("operations", 2_220e6, 2_280e6)``."""

    def __init__(self, files: dict):
        self.files = files

    def __getattr__(self, name: str):
        if name in NAMES:
            frame = read_file_table(self.files[NAMES[name]], NAMES[name])
            setattr(self, name, frame)
            return frame
        raise AttributeError(name)

    def read(self, name: str, start_us=None, end_us=None, columns=None) -> pd.DataFrame:
        table = table_of(name)
        return read_file_table(self.files[table], table, start_us, end_us, columns)

    def iter_chunks(self, name: str, chunksize: int = 100_000, start_us=None, end_us=None,
                    columns=None):
        table = table_of(name)
        return iter_file_chunks(self.files[table], table, chunksize, start_us, end_us, columns)


def open_run(folder: str, run_index: int = 1, date: str | None = None) -> RunFiles:
    """A run's tables in ``folder`` (``date``: yymmdd of the file names, needed
    only when the folder holds several dates)."""
    import glob
    import os
    files: dict = {}
    for table in TABLES:
        pattern = os.path.join(folder, f"{table}_{date or '*'}_{run_index:07d}.*")
        for path in sorted(glob.glob(pattern)):
            ext = path.rsplit(".", 1)[1]
            if ext in ("csv", "parquet"):
                files.setdefault(table, {})[ext] = path
    missing = [t for t in TABLES if t not in files]
    if missing:
        raise FileNotFoundError(f"{folder}: no {', '.join(missing)} file for run {run_index}")
    dates = {os.path.basename(p).rsplit("_", 2)[-2] for f in files.values() for p in f.values()}
    if len(dates) > 1:
        raise ValueError(f"{folder}: run {run_index} has files of dates {sorted(dates)}; "
                         "pass date=")
    return RunFiles(files)
