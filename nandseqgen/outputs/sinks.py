"""Table files written in chunks: CSV (RFC 4180, standard csv module) and
Parquet (pyarrow, the ``[parquet]`` extra).

A sink writes into a temp file beside its final name; ``commit()`` fsyncs and
renames it, ``abort()`` removes it. An interrupted run thus never leaves a
partial file under a final name (the previous version, if any, stays).
"""
from __future__ import annotations

import contextlib
import csv
import os
import tempfile

from .csvfmt import line_formatter
from .tables import TABLES, TIME_AXIS, TIME_SORTED

from .columns import FLOAT_COLUMNS, INT_COLUMNS, NULLABLE_INT

FORMATS = ("csv", "parquet", "both")
GROUP = 65_536  # Parquet rows per row group


def file_name(table: str, date: str, run_index: int, ext: str = "csv") -> str:
    return f"{table}_{date}_{run_index:07d}.{ext}"


def table_formats(table: str, fmt: str) -> tuple:
    """Which files a table gets: the ATE sequence is always CSV (SPEC 6.1);
    ``parquet`` adds a Parquet copy of it for notebooks (docs/decisions.md)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "both" or table == "operation_sequence" and fmt == "parquet":
        return ("csv", "parquet")
    return (fmt,)


def _temp(path: str):
    directory = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(directory, exist_ok=True)
    return tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                            dir=directory)


class CsvSink:
    def __init__(self, path: str, columns: tuple):
        self.path, self.columns = path, columns
        fd, self.tmp = _temp(path)
        self.fh = os.fdopen(fd, "w", newline="", encoding="utf-8")
        csv.writer(self.fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerow(columns)
        self.lines = line_formatter(columns)

    def write(self, rows: list) -> None:
        self.fh.write(self.lines(rows))

    def offset(self) -> int:
        """Byte offset where the next row starts (for windowed reading)."""
        self.fh.flush()
        return self.fh.tell()

    def commit(self) -> str:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def arrow_schema(columns: tuple):
    import pyarrow as pa
    fields = []
    for c in columns:
        if c in FLOAT_COLUMNS:
            t = pa.float64()
        elif c in NULLABLE_INT or c in INT_COLUMNS:
            t = pa.int64()
        else:
            t = pa.string()
        fields.append(pa.field(c, t, nullable=c not in INT_COLUMNS and c not in FLOAT_COLUMNS))
    return pa.schema(fields)


class ParquetSink:
    """Row groups of exactly ``GROUP`` rows (the last one shorter), whatever the
    chunks written, so a streamed and an in-memory run give the same bytes; a
    time-range read skips whole groups by their statistics."""

    def __init__(self, path: str, columns: tuple):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - the [parquet] extra is missing
            raise RuntimeError("Parquet output needs pyarrow: pip install 'nandseqgen[parquet]'") \
                from exc
        self.pa = pa
        self.path, self.columns = path, columns
        self.schema = arrow_schema(columns)
        fd, self.tmp = _temp(path)
        self.fh = os.fdopen(fd, "wb")
        self.w = pq.ParquetWriter(self.fh, self.schema, compression="zstd")
        self.pending: list = []

    def write(self, rows: list) -> None:
        self.pending += rows
        while len(self.pending) >= GROUP:
            self._group(self.pending[:GROUP])
            del self.pending[:GROUP]

    def _group(self, rows: list) -> None:
        cols = list(zip(*rows))
        arrays = [self.pa.array(col, type=f.type) for col, f in zip(cols, self.schema)]
        self.w.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))

    def offset(self) -> int:
        return -1

    def commit(self) -> str:
        if self.pending:
            self._group(self.pending)
        self.pending = []
        self.w.close()
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.w.close()
        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


class TableOut:
    """Every file of one table (CSV and/or Parquet), fed the same chunks.

    ``index`` collects ``(first_time_us, csv_byte_offset)`` per chunk, so a
    time window can seek into the CSV without reading what lies before it."""

    def __init__(self, out_dir: str, table: str, date: str, run_index: int, fmt: str):
        self.table = table
        self.columns = TABLES[table]
        self.sinks = {}
        for ext in table_formats(table, fmt):
            path = os.path.join(out_dir, file_name(table, date, run_index, ext))
            self.sinks[ext] = (CsvSink if ext == "csv" else ParquetSink)(path, self.columns)
        self.index: list = []
        self.rows = 0
        self._time_col = None
        if table in TIME_SORTED:
            self._time_col = self.columns.index(TIME_AXIS[table])

    def write(self, rows: list) -> None:
        if not rows:
            return
        csv_sink = self.sinks.get("csv")
        if self._time_col is not None and csv_sink is not None:
            self.index.append((rows[0][self._time_col], csv_sink.offset(), self.rows))
        for sink in self.sinks.values():
            sink.write(rows)
        self.rows += len(rows)

    def commit(self) -> dict:
        return {ext: sink.commit() for ext, sink in self.sinks.items()}

    def abort(self) -> None:
        for sink in self.sinks.values():
            sink.abort()
