"""Gathering one chunk of a run's files up to a candidate cut (:mod:`.stream`).

Compiled with the checker's per-op modules (setup.py ``CHECKER``): every
sequence row passes through :func:`next_cut`, and the rows of the ops
suspended at a cut through :func:`rows_of` / :func:`segment_rows`. Which cut
is taken, and what a chunk is checked from, is decided in :mod:`.stream`.
"""
from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from .csvstream import CsvStream
from .values import to_int, to_tick


@dataclass(slots=True)
class Files:
    """The open files of one run and the rows of the chunk being gathered."""

    seq: CsvStream
    tl: CsvStream
    st: CsvStream | None
    rows: list = dataclasses.field(default_factory=list)
    tl_rows: list = dataclasses.field(default_factory=list)
    st_rows: list = dataclasses.field(default_factory=list)
    first_line: int = 2
    prev_row: tuple = (None, None)
    horizon: int = -1  # greatest end of the operation_timeline rows taken so far
    last_t: int = -1  # time tick of the last gathered sequence row
    carried: set = dataclasses.field(default_factory=set)  # uids suspended at the last cut
    foreign: set = dataclasses.field(default_factory=set)  # suspended before this file began
    open_suspends: dict = dataclasses.field(default_factory=dict)  # die -> not resumed
    index: int = 0  # chunks of this file done
    skim: bool = False  # the chunk is carried: op_state_timeline rows kept as text lines

    def close(self) -> None:
        self.seq.close()
        self.tl.close()
        if self.st is not None:
            self.st.close()


def cuts_at(cfg: Any, row: list) -> bool:
    """A suspend or reset: it cuts the ops running at its time, so the
    timeline looks quiet there while the chunk before it would not be."""
    spec = cfg.ops.get(row[3]) if len(row) > 3 else None
    return spec is not None and spec.base.role.kind in ("suspend", "reset")


def count_suspends(f: Files, cfg: Any, row: list) -> None:
    """Track suspends not yet resumed per die from the names and payloads
    (only to prefer cuts with nothing suspended; the replay decides)."""
    spec = cfg.ops.get(row[3]) if len(row) > 5 else None
    if spec is None:
        return
    kind: str = spec.base.role.kind
    if kind not in ("suspend", "resume", "reset"):
        return
    die: Any
    try:
        items = json.loads(row[5])
        die = (items[0] if isinstance(items, list) else items).get("die")
    except (ValueError, TypeError, IndexError, AttributeError):
        die = None
    if kind == "suspend":
        f.open_suspends[die] = f.open_suspends.get(die, 0) + 1
    elif kind == "resume":
        f.open_suspends[die] = max(0, f.open_suspends.get(die, 0) - 1)
    elif spec.base.role.reset_scope == "all":
        f.open_suspends.clear()
    else:
        f.open_suspends[die] = 0


def _take_row(f: Files, cfg: Any, t: int) -> None:
    row = f.seq.take()[1]
    count_suspends(f, cfg, row)
    f.rows.append(row)
    f.last_t = t


def next_cut(f: Files, cfg: Any, chunk_ops: int, special: set) -> int | None:
    """Gather sequence rows, and the timeline rows starting before them, up to
    the next candidate cut: a sequence row's time ``t`` after at least
    ``chunk_ops`` rows, later than the last row, not a suspend or reset, that
    no gathered operation_timeline row spans (and with no suspend open, unless
    the chunk reached twice ``chunk_ops``). Returns ``t`` (its rows not
    taken), or None at the end of the file. ``special``: the op names of
    suspends, resumes and resets."""
    while f.seq.head is not None:
        n = len(f.rows)
        if n + 1 < chunk_ops:  # far from a cut: a block of rows at once
            t_last = f.seq.take_many(chunk_ops - 1 - n, f.rows)
            if t_last is not None:
                f.last_t = t_last
            rows = f.rows
            for i in range(n, len(rows)):
                row = rows[i]
                if len(row) > 5 and row[3] in special:
                    count_suspends(f, cfg, row)
            continue
        head = f.seq.head
        t = head[0]
        if n >= chunk_ops and t > f.last_t and not cuts_at(cfg, head[1]):
            f.horizon = max(f.horizon, f.tl.take_before(t, f.tl_rows))
            if f.horizon <= t and (not any(f.open_suspends.values()) or n >= 2 * chunk_ops):
                if f.st is not None:
                    take_states(f, t)
                return t
        _take_row(f, cfg, t)
    return None


def take_states(f: Files, t: int) -> None:
    """The op_state_timeline rows before ``t`` (as text lines in a carried chunk)."""
    assert f.st is not None
    if f.skim:
        f.st.skim_before(t, f.st_rows)
    else:
        f.st.take_before(t, f.st_rows)


def take_head(f: Files, cfg: Any) -> None:
    """The candidate cut was not quiet: its row joins the chunk."""
    head = f.seq.head
    assert head is not None
    _take_row(f, cfg, head[0])


def _int(text: Any) -> int | None:
    try:
        return to_int(text)
    except (TypeError, ValueError):
        return None


def rows_of(stream: CsvStream, rows: list, uids: set) -> list:
    """The operation_timeline ``rows`` of the ops ``uids``."""
    if not uids:
        return []
    i = stream.header.index("op_uid")
    return [r for r in rows if i < len(r) and _int(r[i]) in uids]


def segment_rows(stream: CsvStream, rows: list, runs: list) -> list:
    """The op_state_timeline ``rows`` of the replayed segments of ``runs``."""
    keys: set[tuple] = set()
    for run in runs:
        rec = run.rec
        if rec.base.affect_state:
            keys.update((s.start, s.end, rec.die, p, f"{rec.base.name}.{s.state}", rec.name)
                        for s in run.segs() for p in rec.occupied)
    if not keys:
        return []
    names = {k[5] for k in keys}
    h = stream.header
    try:
        idx = [h.index(c) for c in ("start", "end", "die", "plane", "op_state", "op_name")]
    except ValueError:
        return []
    out = []
    for r in rows:
        if type(r) is str:  # a line of a carried chunk (CsvStream.skim_before)
            if not any(name in r for name in names):
                continue
            r = next(csv.reader((r,)))
        if len(r) > idx[5] and r[idx[5]] in names:
            try:
                key = (to_tick(r[idx[0]]), to_tick(r[idx[1]]), to_int(r[idx[2]]),
                       to_int(r[idx[3]]), r[idx[4]], r[idx[5]])
            except (TypeError, ValueError):
                continue
            if key in keys:
                out.append(r)
    return out
