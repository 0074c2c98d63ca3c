"""Formatting CSV chunks off the engine's core: each chunk of raw rows is
turned into text and appended by a short-lived forked child, while the
parent simulates on (docs/performance.md, "Streaming outputs").

One child at a time: the parent waits for the previous one before it forks
the next, so chunks of a file land in order and the bytes are exactly those
the parent would write itself. Where ``os.fork`` is missing, or ``inline``
is asked for, the parent writes them.
"""
from __future__ import annotations

import contextlib
import gc
import os
import signal


class ChunkWriter:
    def __init__(self, fork: bool = True):
        self.fork = fork and hasattr(os, "fork")
        self.pid: int | None = None
        self.chunks = 0
        self.held: list = []

    def submit(self, jobs: list) -> None:
        """``jobs``: ``(sink, convert, raw_rows)``; writes ``sink.write(convert(raw))``."""
        self.wait()
        if not jobs:
            return
        self.chunks += 1
        if not self.fork:
            for sink, convert, raw in jobs:
                sink.write(convert(raw))
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (coverage cannot see it)
            code = 1
            try:
                gc.disable()  # touching every object would copy the parent's pages
                for sink, convert, raw in jobs:
                    sink.write(convert(raw))
                code = 0
            finally:
                os._exit(code)
        self.pid = pid
        self.held = jobs  # freed once the child is gone (no copy-on-write copies then)

    def wait(self) -> None:
        if self.pid is None:
            return
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        self.held = []
        if status != 0:
            raise RuntimeError(f"output writer process failed (wait status {status})")

    def kill(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.pid = None
