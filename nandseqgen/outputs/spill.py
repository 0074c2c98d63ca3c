"""Bounded-memory helpers of the streaming recorder: a spill file for
rollbacks (docs/performance.md, "Streaming outputs")."""
from __future__ import annotations

import marshal
import tempfile

TAIL = 4096  # rows Recorder.unpiece may still remove (its lookback)


class RowSpill:
    """Append-only list of rows in a temp file, in chunks (rollbacks); rows
    are tuples of ints, strings and None, stored with ``marshal`` (about a
    third of pickle's time to write, docs/performance.md)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.count = 0

    def add(self, rows: list) -> None:
        if rows:
            self.file.seek(0, 2)
            marshal.dump(rows, self.file)
            self.count += len(rows)

    def read(self) -> list:
        out: list = []
        f = self.file
        f.flush()
        f.seek(0)
        while True:
            try:
                out += marshal.load(f)
            except EOFError:
                return out
