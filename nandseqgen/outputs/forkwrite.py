"""Formatting CSV chunks off the engine's core: one writer process, forked at
the first chunk of a run, turns raw rows into text and appends them while the
parent simulates on (docs/performance.md, "Streaming outputs";
docs/decisions.md 100).

The parent hands a chunk over as bytes: the converters (pickled, a few
hundred bytes) and the raw rows (``marshal``, the cheapest serialiser of
tuples of ints and strings; pickle if a value is not one marshal takes,
:func:`.spill.dumps_rows`) in a memory file, and their lengths through a
pipe; the child answers with the first time and the number of rows it wrote
per table, and the byte offset each table's rows started at (the parent
keeps the index). Two chunks in flight, in two memory files used in turn
(docs/decisions.md 119): the parent sends a chunk while the writer is still
writing the previous one, and waits only before reusing a memory file whose
chunk has not been answered yet; the writer takes chunks in order, so the
bytes are exactly those the parent would write itself. The converters may keep state on the
writer's side (the timelines' reorder buffers, decision 101). A child
forked per chunk (the first design) made the engine process pay a
copy-on-write fault for every page it wrote after each fork. Where
``os.fork`` is missing, or ``fork`` is off, the parent writes the chunks
itself.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
import sys
import tempfile
import traceback

from .spill import dumps_flat, dumps_rows, loads_rows
from .syncer import Syncer

_HEAD = struct.Struct("<QQB")  # head's length (names, converters, codecs), rows' length (0: stop), memory file
IN_FLIGHT = 2  # chunks sent and not answered yet, at most (one memory file each)
_ANSWER = struct.Struct("<QB")  # an answer's length and codec


def _memory_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("nandseqgen-chunks", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() as fh:  # pragma: no cover - no memfd (not Linux)
        return os.dup(fh.fileno())


def _read_exact(fd: int, n: int, offset: int | None = None) -> bytes:
    """``n`` bytes from a pipe (``offset`` None) or a file at ``offset``; fewer at EOF."""
    parts, got = [], 0
    while got < n:
        part = os.read(fd, n - got) if offset is None else os.pread(fd, n - got, offset + got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _write_all(fd: int, data, offset: int | None = None) -> None:
    view = memoryview(data)
    pos = 0
    while pos < len(view):
        part = view[pos:]
        pos += os.write(fd, part) if offset is None else os.pwrite(fd, part, offset + pos)


class ChunkWriter:
    """``outs``: table name -> :class:`.sinks.TableOut`, fixed for the writer's
    life (the child is forked with them)."""

    def __init__(self, outs: dict, fork: bool = True):
        self.outs = outs
        self.fork = fork and hasattr(os, "fork")
        self.pid: int | None = None
        self.inflight = 0  # chunks sent, not answered yet
        self.chunks = 0
        self.forks = 0  # writer processes started (one per run)
        self.state: dict = {}  # table -> the converter's own state (writer side)
        self.names: list = []  # every name of flat rows sent so far, by id (writer side)
        self.written: set = set()  # tables the writer process wrote to (child side)
        self.digests: dict = {}  # table -> {ext: sha256 hex} the writer process reported
        self._fds: tuple = ()  # control pipe (write end), answer pipe (read end), the memory files

    def submit(self, jobs: list, names: list | tuple = ()) -> None:
        """``jobs``: ``(table, convert, raw)`` or ``(table, convert, raw, True)`` for
        flat rows (ints and None only: :mod:`.flat`): ``convert(raw, state)``
        gives the rows to write to ``outs[table]`` (``state``: a dict per table,
        kept where the writing happens; ``state["names"]`` is every name sent so
        far, ``names`` being the new ones, in id order). ``convert`` must pickle
        (module-level functions and ``partial`` of them); ``raw`` is a list (or
        dict) of tuples, fastest with ints, strings and None only. A flat
        ``raw`` is emptied when the writer is another process (it is packed
        into bytes at once)."""
        while self.inflight >= IN_FLIGHT:
            self._answer()
        if not jobs and not names:
            return
        self.chunks += 1
        if not self.fork:
            self.names.extend(names)
            self._note(self._apply([job[:3] for job in jobs]))
            return
        if self.pid is None:
            self._start()
        blobs = [self._pack(job) for job in jobs]
        head = pickle.dumps((list(names), [(job[0], job[1], codec, len(body)) for job, (codec, body)
                                           in zip(jobs, blobs)]), protocol=pickle.HIGHEST_PROTOCOL)
        slot = self.chunks % IN_FLIGHT  # its previous chunk was answered above
        ctrl, data = self._fds[0], self._fds[2 + slot]
        _write_all(data, head, 0)
        pos = len(head)
        for _codec, body in blobs:
            _write_all(data, body, pos)
            pos += len(body)
        self.inflight += 1
        _write_all(ctrl, _HEAD.pack(len(head), pos - len(head), slot))

    @staticmethod
    def _pack(job: tuple) -> tuple:
        """(codec, bytes) of a job's rows; flat rows are emptied once packed,
        while their ints are still in the cache (docs/decisions.md 122)."""
        raw = job[2]
        if len(job) > 3 and job[3]:
            out = dumps_flat(raw)
            raw.clear()
            return out
        return dumps_rows(raw if type(raw) in (list, dict) else dict(raw))

    def _apply(self, jobs) -> list:
        """Write the chunk (here, or in the child) -> [(table, offset before,
        first time, rows)] per job."""
        done = []
        for name, convert, raw in jobs:
            self.written.add(name)
            out = self.outs[name]
            state = self.state.get(name)
            if state is None:
                state = self.state[name] = {"names": self.names}
            rows = convert(raw, state)
            offset = out.offset()
            out.write_rows(rows)
            done.append((name, offset, out.first_time(rows), len(rows)))
        return done

    def _note(self, done: list) -> None:
        for name, offset, first, n in done:
            self.outs[name].note(first, offset, n)

    def wait(self) -> None:
        """Until every chunk in flight is written (the child's answers)."""
        while self.inflight:
            self._answer()

    def _answer(self) -> None:
        """The oldest chunk in flight is written: its index entries."""
        self.inflight -= 1
        head = _read_exact(self._fds[1], _ANSWER.size)
        if len(head) < _ANSWER.size:  # EOF: the child is gone
            status = self._reap()
            raise RuntimeError(f"output writer process failed (wait status {status})")
        size, codec = _ANSWER.unpack(head)
        self._note(loads_rows(codec, _read_exact(self._fds[1], size)))

    def close(self) -> None:
        """Wait for the last chunk, then stop the child, which answers with the
        sha256 of every file it wrote to (``digests``)."""
        if self.pid is None:
            return
        self.wait()
        with contextlib.suppress(OSError):  # a dead child is reported below
            _write_all(self._fds[0], _HEAD.pack(0, 0, 0))
            head = _read_exact(self._fds[1], _ANSWER.size)
            if len(head) == _ANSWER.size:
                size, codec = _ANSWER.unpack(head)
                self.digests = loads_rows(codec, _read_exact(self._fds[1], size))
        status = self._reap()
        if status != 0:
            raise RuntimeError(f"output writer process failed (wait status {status})")

    def kill(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap()

    # ----------------------------------------------------------- the child
    def _start(self) -> None:
        ctrl_r, ctrl_w = os.pipe()
        ans_r, ans_w = os.pipe()
        data = tuple(_memory_file() for _ in range(IN_FLIGHT))
        pid = os.fork()
        self.forks += 1
        if pid == 0:  # pragma: no cover - runs in the child (coverage cannot see it)
            os.close(ctrl_w)
            os.close(ans_r)
            self._serve(ctrl_r, ans_w, data)
        os.close(ctrl_r)
        os.close(ans_w)
        self.pid, self._fds = pid, (ctrl_w, ans_r, *data)

    def _serve(self, ctrl: int, answer: int, data: tuple) -> None:  # pragma: no cover - child
        code = 1
        try:
            gc.disable()  # a full collection would touch (and copy) every page shared with the parent
            syncer = Syncer([fd for out in self.outs.values() for fd in out.fds()])
            while True:
                head = _read_exact(ctrl, _HEAD.size)
                n_head, n_rows, slot = _HEAD.unpack(head) if len(head) == _HEAD.size else (0, 0, 0)
                if n_head == 0:  # stop, or EOF: the parent is gone
                    code = 0 if head else 1
                    syncer.stop()
                    if head:
                        codec, sums = dumps_rows({t: self.outs[t].digests() for t in self.written})
                        _write_all(answer, _ANSWER.pack(len(sums), codec) + sums)
                    break
                blob = _read_exact(data[slot], n_head + n_rows, 0)
                names, parts = pickle.loads(blob[:n_head])
                self.names.extend(names)
                jobs, pos = [], n_head
                for name, convert, codec, size in parts:
                    jobs.append((name, convert, loads_rows(codec, blob[pos:pos + size])))
                    pos += size
                del blob
                codec, done = dumps_rows(self._apply(jobs))
                del jobs
                _write_all(answer, _ANSWER.pack(len(done), codec) + done)
                syncer.chunk_written()  # pages to disk in the background (decision 125)
        except BaseException:
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(code)

    def _reap(self) -> int:
        pid, self.pid, self.inflight = self.pid, None, 0
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = ()
        if pid is None:
            return 0
        _pid, status = os.waitpid(pid, 0)
        return status
