"""Bounded-memory helpers of the streaming recorder: a spill file for
rollbacks (docs/performance.md, "Streaming outputs")."""
from __future__ import annotations

import marshal
import os
import pickle
import struct
import tempfile
from array import array
from itertools import chain
from typing import Callable

_pack: Callable[[list], bytes] | None = None  # the C packer of flat rows (decision 122)
if not os.environ.get("NANDSEQGEN_PURE"):  # the pure package: nandseqgen/_pure.py
    try:  # optional, like the mypyc modules (setup.py)
        from ._flatpack import pack as _pack
    except ImportError:  # pragma: no cover - no C compiler at build time
        pass

TAIL = 4096  # rows Recorder.unpiece may still remove (its lookback)


_RECORD = struct.Struct("<BQ")  # codec (0 marshal, 1 pickle, 2 flat marshal, 3 flat int64), length
NONE = -(1 << 63)  # None in packed flat rows (codec 3)


def dumps_rows(obj) -> tuple:
    """``(0, marshal bytes)`` of rows of ints, strings and None (about a third
    of pickle's time to write); ``(1, pickle bytes)`` when a value is not one
    ``marshal`` takes. Rows never hold bytes: ``marshal`` writes any object
    with the buffer protocol (a numpy integer, say) as bytes, so
    :func:`loads_rows` refuses rows that come back with bytes in them."""
    try:
        return 0, marshal.dumps(obj)
    except ValueError:
        return 1, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def dumps_flat(flat: list) -> tuple:
    """``(3, int64 bytes)`` of a flat list of ints and None (:mod:`.flat`),
    packed in C, None as ``NONE`` (docs/decisions.md 122); without the C
    packer, ``(2, marshal version 2 bytes)``: version 2 keeps no reference
    table, the cheapest form of a list of ints in Python (decision 115)."""
    if _pack is not None:
        return 3, _pack(flat)
    return 2, marshal.dumps(flat, 2)


def _unpack(data) -> list:
    """The list :func:`dumps_flat` packed as int64 (codec 3)."""
    arr = array("q")
    arr.frombytes(data)
    out: list = arr.tolist()
    if NONE in arr:
        out = [None if v == NONE else v for v in out]
    return out


def loads_rows(codec: int, data):
    """What :func:`dumps_rows` made (rows, or a list of row lists or of dicts
    keyed by rows), checked one level deep for values ``marshal`` turned
    into bytes (nested tuples, e.g. payload fields, end in JSON, which
    refuses bytes); codecs 2 and 3: :func:`dumps_flat`."""
    if codec == 3:  # the C packer refused anything but ints and None
        return _unpack(data)
    out = (pickle if codec == 1 else marshal).loads(data)
    if codec == 2:  # flat ints (dumps_flat)
        if bytes in set(map(type, out)):
            raise TypeError("a streamed flat row held a value marshal cannot carry as itself "
                            "(e.g. a numpy integer); flat rows hold ints and None only")
        return out
    if not codec and isinstance(out, list):
        parts = [p for p in out if isinstance(p, (list, dict))] or [out]
        if any(bytes in set(map(type, chain.from_iterable(p))) for p in parts):
            raise TypeError("a streamed row held a value marshal cannot carry as itself "
                            "(e.g. a numpy integer); rows must hold ints, strings and None")
    return out


class RowSpill:
    """Append-only list of rows in a temp file, in chunks (rollbacks), each
    chunk stored with :func:`dumps_rows`."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.count = 0

    def add(self, rows: list, flat: bool = False) -> None:
        """``flat``: a flat list of ints (:func:`dumps_flat`); :meth:`read` then
        gives the flat lists joined."""
        if rows:
            codec, data = dumps_flat(rows) if flat else dumps_rows(rows)
            self.file.seek(0, 2)
            self.file.write(_RECORD.pack(codec, len(data)))
            self.file.write(data)
            self.count += len(rows)

    def read(self) -> list:
        out: list = []
        f = self.file
        f.flush()
        f.seek(0)
        while True:
            head = f.read(_RECORD.size)
            if len(head) < _RECORD.size:
                return out
            codec, n = _RECORD.unpack(head)
            out += loads_rows(codec, f.read(n))
