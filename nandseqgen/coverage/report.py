"""Coverage reports as DataFrames: every allowed cell with its count and
status, per-key figures, holes, and the unreachable cells with reasons.

>>> report = result.coverage()                       # doctest: +SKIP
>>> report.as_dict()                                 # doctest: +SKIP
>>> report.unreachable().head()                      # doctest: +SKIP
"""
from __future__ import annotations

import glob
import os
from functools import cached_property

import pandas as pd

from .counts import counts_of, merge_counts
from .metrics import closure
from .space import CoverageSpace, build_space

HIT, NOT_YET, UNREACHABLE = "hit", "not yet", "unreachable"
CELL_COLUMNS = ("op_state", "op_name", "bin", "input_time", "count", "status", "reason")


class CoverageReport:
    """Counts (``{(key, op_name, bin): n}``) against a :class:`CoverageSpace`.

    ``possible`` / ``filled`` / ``ratio`` / ``evenness`` keep the names of the
    earlier summary: allowed cells, hit cells, hit / allowed, and the
    normalised entropy over the reachable cells (docs/coverage.md).
    """

    def __init__(self, space: CoverageSpace, counts):
        self.space = space
        self.counts = dict(counts)

    @cached_property
    def figures(self):
        return closure(self.space, self.counts)

    @property
    def possible(self) -> int:
        return self.figures.allowed

    @property
    def filled(self) -> int:
        return self.figures.hit

    @property
    def ratio(self) -> float:
        return self.figures.hit / max(1, self.figures.allowed)

    @property
    def evenness(self) -> float:
        return self.figures.entropy

    def as_dict(self) -> dict:
        return {"possible": self.possible, "filled": self.filled,
                "ratio": round(self.ratio, 6), "evenness": round(self.evenness, 6),
                **self.figures.as_dict()}

    @cached_property
    def cells(self) -> pd.DataFrame:
        """One row per allowed cell: op_state, op_name, bin, input_time (bin's
        lower edge), count, status (hit / not yet / unreachable), reason."""
        nb, counts = self.space.nbins, self.counts
        rows = []
        for key, name, b, reason in self.space.cells():
            n = counts.get((key, name, b), 0)
            status = UNREACHABLE if reason is not None else (HIT if n > 0 else NOT_YET)
            rows.append((key, name, b, round(b / nb, 6), n, status, reason or ""))
        return pd.DataFrame(rows, columns=list(CELL_COLUMNS))

    @property
    def table(self) -> pd.DataFrame:
        """The observed cells only (op_state, op_name, input_time, count)."""
        df = self.cells[self.cells["count"] > 0]
        return df[["op_state", "op_name", "input_time", "count"]].reset_index(drop=True)

    def by_key(self) -> pd.DataFrame:
        """op_state, cells, hit, not_yet, unreachable, count; emptiest first."""
        df = self.cells
        out = pd.crosstab(df["op_state"], df["status"]).reindex(
            columns=[HIT, NOT_YET, UNREACHABLE], fill_value=0)
        out.columns = ["hit", "not_yet", "unreachable"]
        out.insert(0, "cells", out.sum(axis=1))
        out["count"] = df.groupby("op_state")["count"].sum()
        out = out.reset_index().rename_axis(None, axis=1)
        return out.sort_values(["not_yet", "op_state"], ascending=[False, True],
                               kind="stable").reset_index(drop=True)

    def holes(self) -> pd.DataFrame:
        """op_state x op_name matrix: fraction of the pair's reachable bins hit
        (0 = a hole); NaN where the pair is unreachable or not allowed."""
        df = self.cells[self.cells["status"] != UNREACHABLE]
        if df.empty:
            return pd.DataFrame()
        frac = (df["count"] > 0).groupby([df["op_state"], df["op_name"]]).mean()
        return frac.unstack("op_name").sort_index().sort_index(axis=1)

    def unreachable(self) -> pd.DataFrame:
        """op_state, op_name, cells, reason: the (key, name) pairs that can never
        be hit, and why (decided from the config)."""
        df = self.cells[self.cells["status"] == UNREACHABLE]
        out = df.groupby(["op_state", "op_name", "reason"]).size().rename("cells").reset_index()
        return out[["op_state", "op_name", "cells", "reason"]]

    def reasons(self) -> pd.DataFrame:
        """reason, pairs, cells: how many cells each reason rules out."""
        u = self.unreachable()
        out = u.groupby("reason").agg(pairs=("cells", "size"), cells=("cells", "sum"))
        return out.sort_values("cells", ascending=False).reset_index()

    def merge(self, *others: "CoverageReport") -> "CoverageReport":
        """Counts summed; a cell is reachable when it is in any report's space."""
        space = merge_spaces(self.space, *(o.space for o in others))
        return CoverageReport(space, merge_counts(self.counts, *(o.counts for o in others)))

    def __repr__(self) -> str:
        f = self.figures
        return (f"CoverageReport(hit {f.hit:,}/{f.allowed:,} cells, {f.unreachable:,} "
                f"unreachable, closed {f.closed:.1%}, entropy {f.entropy:.3f})")


def merge_spaces(first: CoverageSpace, *rest: CoverageSpace) -> CoverageSpace:
    """The union: a pair is reachable if any space says so (sites with other
    seeds autofill other weights); bins of a key are united."""
    pairs, bins = dict(first.pairs), {k: set(v) for k, v in first.bins.items()}
    for sp in rest:
        if sp.nbins != first.nbins:
            raise ValueError(f"cannot merge coverage with {sp.nbins} and {first.nbins} bins")
        for pair, reason in sp.pairs.items():
            pairs[pair] = None if reason is None or pairs.get(pair, reason) is None \
                else pairs.get(pair, reason)
        for k, v in sp.bins.items():
            bins.setdefault(k, set()).update(v)
    key_why = {k: r for k, r in first.key_reason.items()
               if all(k in sp.key_reason for sp in rest)}
    late = {k: set(v) for k, v in first.late_bins.items()}
    windowed = set(first.windowed)
    for sp in rest:
        for k, v in sp.late_bins.items():
            late.setdefault(k, set()).update(v)
        windowed &= sp.windowed
    return CoverageSpace(pairs, {k: frozenset(v) for k, v in bins.items()}, first.nbins, key_why,
                         {k: frozenset(v) for k, v in late.items()}, frozenset(windowed))


def coverage_report(result) -> CoverageReport:
    """The report of a RunResult (its config and phase table)."""
    return CoverageReport(build_space(result.config, result.phase_table), counts_of(result))


def merged_report(results) -> CoverageReport:
    """One report over several RunResults (runs of a simulation, or sites)."""
    reports = [coverage_report(r) for r in results]
    return reports[0].merge(*reports[1:])


def report_from_outputs(out_dir: str, cfg, phase_table: dict) -> CoverageReport:
    """Merge every ``op_state_name_input_time_count_*.csv`` under ``out_dir``
    (runs and ``site_*`` folders) against ``cfg`` and ``phase_table``."""
    pattern = os.path.join(out_dir, "**", "op_state_name_input_time_count_*.csv")
    paths = sorted(glob.glob(pattern, recursive=True))
    if not paths:
        raise FileNotFoundError(f"{out_dir}: no op_state_name_input_time_count_*.csv")
    bins = cfg.policies.input_time_bins
    counts = merge_counts(*(pd.read_csv(p) for p in paths), bins=bins)
    return CoverageReport(build_space(cfg, phase_table), counts)
