"""Table files written in chunks: CSV (RFC 4180, standard csv module) and
Parquet (pyarrow, the ``[parquet]`` extra).

A sink writes into a temp file beside its final name; ``commit()`` fsyncs and
renames it, ``abort()`` removes it. An interrupted run thus never leaves a
partial file under a final name (the previous version, if any, stays).
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import tempfile

from .atomic import file_mode
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
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    os.chmod(tmp, file_mode())  # as open() would create it, not mkstemp's 0600
    return fd, tmp


class CsvSink:
    """Written through its raw file descriptor only, so that the forked writer
    (:mod:`.forkwrite`) and the parent share one file offset."""

    def __init__(self, path: str, columns: tuple):
        self.path, self.columns = path, columns
        self.fd, self.tmp = _temp(path)
        self.closed = False
        # sha256 of the bytes written through this object, for the manifest
        # (decision 117); a forked writer keeps its own and reports it
        self.sha = hashlib.sha256()
        self.lines = line_formatter(columns)
        head = io.StringIO()
        csv.writer(head, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerow(columns)
        self._put(head.getvalue())

    def _put(self, text: str) -> None:
        raw = text.encode("utf-8")
        self.sha.update(raw)
        data = memoryview(raw)
        while data:
            data = data[os.write(self.fd, data):]

    def write(self, rows: list) -> None:
        if rows:
            self._put(self.lines(rows))

    def offset(self) -> int:
        """Byte offset where the next row starts (for windowed reading)."""
        return os.lseek(self.fd, 0, os.SEEK_CUR)

    def commit(self) -> str:
        os.fsync(self.fd)
        os.close(self.fd)
        self.closed = True
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        if not self.closed:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.closed = True
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
        """Converted rows, written here and now (counter tables, in-memory runs)."""
        self.note(self.first_time(rows), self.offset(), len(rows))
        self.write_rows(rows)

    # The streaming recorder splits ``write`` in two (docs/decisions.md 101):
    # the writer process formats and writes (``write_rows``), the engine
    # process keeps the index (``offset`` before the chunk, ``note`` after).
    def write_rows(self, rows: list) -> None:
        """Converted rows to every file of the table."""
        if rows:
            for sink in self.sinks.values():
                sink.write(rows)

    def first_time(self, rows: list):
        """The time of the first of ``rows`` (None: no time axis or no rows)."""
        return rows[0][self._time_col] if rows and self._time_col is not None else None

    def offset(self) -> int:
        """Byte offset where the CSV's next row starts (-1: no CSV)."""
        csv_sink = self.sinks.get("csv")
        return csv_sink.offset() if csv_sink is not None else -1

    def note(self, first_time, offset: int, n: int) -> None:
        """``n`` rows were written from ``offset`` on, the first at ``first_time``."""
        if n and first_time is not None and offset >= 0:
            self.index.append((first_time, offset, self.rows))
        self.rows += n

    def commit(self) -> dict:
        return {ext: sink.commit() for ext, sink in self.sinks.items()}

    def fds(self) -> list:
        """The open CSV files' descriptors (the writer process syncs them in
        the background, docs/decisions.md 125)."""
        return [sink.fd for sink in self.sinks.values() if isinstance(sink, CsvSink)]

    def digests(self) -> dict:
        """{ext: sha256 hex} of the CSV bytes written through this object."""
        return {ext: sink.sha.hexdigest() for ext, sink in self.sinks.items()
                if isinstance(sink, CsvSink)}

    def known_digests(self, written: dict | None = None) -> dict:
        """{path: (bytes, sha256 hex)} of this table's committed CSV, from the
        hash kept while writing; ``written``: the digests a forked writer
        reported for it (it wrote the rows), else this object's own."""
        out = {}
        for ext, sha in (written if written is not None else self.digests()).items():
            path = self.sinks[ext].path
            out[path] = (os.path.getsize(path), sha)
        return out

    def abort(self) -> None:
        for sink in self.sinks.values():
            sink.abort()
