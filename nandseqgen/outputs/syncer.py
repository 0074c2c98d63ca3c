"""Background ``fdatasync`` in the writer process (docs/decisions.md 125).

Each streamed file is fsynced before it is renamed into place (atomic,
durable outputs). Left alone, every byte of a run stays dirty in the page
cache until then, so the fsync at the end writes the whole run's output while
the CLI waits (~0.03 s for the 60 MB of a 10,000,000-us reference run, seconds
for the gigabytes of a 10-million-op run). The writer process instead hands
its files to a thread every ``EVERY`` chunks; the thread's ``fdatasync``
calls release the GIL, so the disk writes go on while the writer formats the
next chunks, and the final fsync finds little left to write.
"""
from __future__ import annotations

import os
import queue
import threading

EVERY = 4  # chunks written between two background syncs (~3 MB of CSV)


class Syncer:
    """``fds``: the files the writer appends to (still open, not renamed)."""

    def __init__(self, fds: list, every: int = EVERY):
        self.fds = list(fds)
        self.every = every
        self.chunks = 0
        self.syncs = 0  # rounds started (tests)
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._loop, name="nandseqgen-fdatasync",
                                        daemon=True)
        self._thread.start()

    def chunk_written(self) -> None:
        """Called after each chunk: every ``every`` chunks, a sync round starts
        unless the previous one is still on (the disk is the bottleneck then)."""
        self.chunks += 1
        if self.chunks % self.every == 0 and self._idle.is_set():
            self._idle.clear()
            self.syncs += 1
            self._todo.put(True)

    def _loop(self) -> None:
        while self._todo.get():
            for fd in self.fds:
                try:
                    os.fdatasync(fd)
                except OSError:  # the final fsync (in the parent) reports real errors
                    pass
            self._idle.set()

    def stop(self) -> None:
        """Wait for the round in progress, then end the thread."""
        self._todo.put(False)
        self._thread.join()
