"""A time-ordered CSV file read row by row for the chunked check (:mod:`.stream`).

Compiled with the checker's per-op modules (setup.py ``CHECKER``): every row
of the three files passes through :meth:`CsvStream.take_before` or
:meth:`CsvStream.take_many`, which convert its time cells once (memoised,
:func:`.values.to_tick`) and compare them with the cut.
"""
from __future__ import annotations

import csv
from itertools import chain, islice
from typing import Any

from .load import CheckInputError
from .values import plain_tick, to_tick


class Fallback(Exception):
    """The files cannot be cut into chunks: check them whole instead."""


def tick_at(row: list, i: int) -> int | None:
    """The time cell ``row[i]`` in ticks; None when missing or malformed."""
    if i >= len(row):
        return None
    try:
        return to_tick(row[i])
    except (TypeError, ValueError):
        return None


class CsvStream:
    """A CSV file read row by row (lists of strings), with each row's time in ticks."""

    def __init__(self, path: str, time_column: str, end_column: str | None = None) -> None:
        self.path = path
        self.fh: Any = open(path, newline="", encoding="utf-8")
        self.reader: Any = csv.reader(self.fh)
        header = next(self.reader, None)
        if header is None:
            self.fh.close()
            raise CheckInputError(f"{path} is empty")
        self.header: list[str] = header
        if time_column not in header or (end_column and end_column not in header):
            self.fh.close()
            raise Fallback(f"{path}: no {time_column}/{end_column} column")
        self.ti: int = header.index(time_column)
        self.ei: int = header.index(end_column) if end_column else -1
        self.line = 1
        self.head: tuple[int, list[str]] | None = None  # (time tick, row) read ahead
        self._advance()

    def _next_row(self) -> list | None:
        """The next non-empty row, or None at the end."""
        reader = self.reader
        while True:
            row = next(reader, None)
            if row is None:
                return None
            self.line += 1
            if row:
                return row

    def _advance(self) -> None:
        row = self._next_row()
        if row is None:
            self.head = None
            return
        t = tick_at(row, self.ti)
        if t is None:
            raise Fallback(f"{self.path} line {self.line}: no time")
        self.head = (t, row)

    def take(self) -> tuple[int, list[str]]:
        got = self.head
        assert got is not None, "take() past the end"
        self._advance()
        return got

    def take_many(self, n: int, out: list) -> int | None:
        """Move the head row and up to ``n - 1`` rows after it to ``out``
        (in one block: no per-row bookkeeping); the time of the last one."""
        if self.head is None or n <= 0:
            return None
        block: list = [self.head[1]]
        block.extend(islice(self.reader, n - 1))
        ti, last = self.ti, None
        for r in block:
            if r:
                last = tick_at(r, ti)
                if last is None:
                    raise Fallback(f"{self.path} before line {self.reader.line_num}: "
                                   "a row without time")
                out.append(r)
        self.line = self.reader.line_num
        self._advance()
        return last

    def take_before(self, t: int, out: list) -> int:
        """Move the rows starting before ``t`` to ``out``; returns their greatest end."""
        hz, ei = -1, self.ei
        head = self.head
        while head is not None and head[0] < t:
            row = head[1]
            self._advance()
            head = self.head
            out.append(row)
            if ei >= 0:
                e = tick_at(row, ei)
                if e is None:
                    raise Fallback(f"{self.path}: row without end")
                if e > hz:
                    hz = e
        return hz

    def skim_before(self, t: int, out: list) -> None:
        """:meth:`take_before` for a file read only for a carried chunk (:mod:`.stream`):
        the rows before ``t`` go to ``out`` as their text lines, not split into
        cells (:func:`.gather.segment_rows` splits the few it needs). A line's
        time is read from its first cell when that is a plain ``123.45``; any
        other line is read by the csv module, as :meth:`take_before` does."""
        head = self.head
        if head is None or head[0] >= t:
            return
        if self.ti != 0 or self.ei >= 0:
            self.take_before(t, out)
            return
        out.append(head[1])
        fh = self.fh
        for line in fh:
            self.line += 1
            i = line.find(",")
            tick = plain_tick(line[:i]) if i > 0 and '"' not in line else None
            if tick is None:  # not a plain time: read by the csv module (quotes may span lines)
                row = next(csv.reader(chain((line,), fh)), [])
                if not row:
                    continue
                tick = tick_at(row, 0)
                if tick is None:
                    raise Fallback(f"{self.path} line {self.line}: no time")
                if tick >= t:
                    self.head = (tick, row)
                    return
                out.append(row)
            elif tick >= t:
                self.head = (tick, next(csv.reader((line,))))
                return
            else:
                out.append(line)
        self.head = None

    def close(self) -> None:
        self.fh.close()

