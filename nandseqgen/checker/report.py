"""What a check returns: the violations table and a per-rule summary.

:class:`Collector` is what the rule modules write into while they run;
:class:`CheckReport` is the frozen result handed to the caller.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field

if TYPE_CHECKING:  # imported where a DataFrame is built: check workers stay small
    import pandas as pd

#: Every rule the checker knows, in report order (docs/validation.md).
RULES = (
    "time_order", "epr_erase", "epr_program", "epr_read", "epr_celltype",
    "epr_suspended_block", "multiplane_group", "bus_overlap", "plane_overlap",
    "die_multiplicity", "op_state_exclusion", "latch", "read_latch_dout", "cache",
    "suspend_state", "suspend_order", "resume_time", "odt", "exp_val", "payload",
    "csv_json", "timeline_consistency",
)
COLUMNS = ("rule", "seq", "op_uid", "time", "die", "plane", "block", "page", "detail")
_INT_COLUMNS = ("seq", "op_uid", "die", "plane", "block", "page")


class Collector:
    """Accumulates violations and per-rule "items checked" counts."""

    def __init__(self) -> None:
        self.rows: list = []
        self.checked: dict[str, int] = {}
        self.skipped: dict = {}
        self.scope: set | None = None  # uids reported on (None: every op)
        self.scope_start: int | None = None  # unattributed violations before this are dropped
        self.carried: set = set()  # uids of ops carried from an earlier chunk (.stream): reported

    def limit_to(self, uids, start_tick: int | None) -> None:
        """Report only on the ops ``uids`` (earlier runs replayed as history)."""
        self.scope, self.scope_start = set(uids), start_tick

    def in_scope(self, rec) -> bool:
        return self.scope is None or rec is None or rec.uid in self.scope

    def check(self, rule: str, n: int = 1, rec=None) -> None:
        """Count ``n`` items examined by ``rule`` (nothing for an out-of-scope ``rec``)."""
        if self.scope is None or rec is None or rec.uid in self.scope:
            self.checked[rule] = self.checked.get(rule, 0) + n

    def merge(self, other: "Collector") -> None:
        """Add ``other``'s violations and counts (a chunk of a longer check)."""
        self.rows.extend(other.rows)
        for rule, n in other.checked.items():
            self.checked[rule] = self.checked.get(rule, 0) + n
        self.skipped.update(other.skipped)

    def skip(self, rule: str, reason: str) -> None:
        """Mark ``rule`` as not checked (a table it needs is missing)."""
        self.skipped[rule] = reason

    def flag(self, rule: str, rec=None, detail: str = "", *, plane=None, block=None,
             page=None, time_tick=None, die=None, seq=None, uid=None) -> None:
        """Record one violation of ``rule`` by op record ``rec`` (or by no op).

        Location fields default to the op's start time and first target.
        """
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}")
        if rec is not None:
            seq, uid = rec.seq, rec.uid
            die = rec.die if die is None else die
            time_tick = rec.start if time_tick is None else time_tick
            if plane is None and rec.planes:
                plane = rec.planes[0]
            if block is None and rec.blocks and plane in rec.planes:
                block = rec.blocks[rec.planes.index(plane)]
            page = rec.page if page is None else page
        if not self.keeps(uid, time_tick):
            return
        time_us = None if time_tick is None else time_tick / 100.0
        self.rows.append((rule, seq, uid, time_us, die, plane, block, page, detail))

    def keeps(self, uid, time_tick) -> bool:
        """In scope: an op of this run, or anything at/after this run's first op
        (e.g. the resumed remainder of an op issued in an earlier run)."""
        if self.scope is None or (uid is not None and (uid in self.scope or uid in self.carried)):
            return True
        if time_tick is not None and self.scope_start is not None:
            return time_tick >= self.scope_start
        return uid is None

    def report(self) -> "CheckReport":
        import pandas as pd
        df = pd.DataFrame(self.rows, columns=list(COLUMNS))
        for col in _INT_COLUMNS:
            df[col] = df[col].astype("Int64")
        df["time"] = df["time"].astype("float64")
        df["rule"] = df["rule"].astype("string")
        df["detail"] = df["detail"].astype("string")
        order = {r: i for i, r in enumerate(RULES)}
        if len(df):
            df = (df.assign(_r=df["rule"].map(order), _s=df["seq"].fillna(-1))
                  .sort_values(["_r", "time", "_s"], kind="stable")
                  .drop(columns=["_r", "_s"]).reset_index(drop=True))
        return CheckReport(df, dict(self.checked), dict(self.skipped))


@dataclass
class CheckReport:
    """Result of one check.

    ``violations``: one row per violation with columns ``rule, seq, op_uid,
    time, die, plane, block, page, detail`` (time in microseconds).
    ``checked``: rule -> number of items examined. ``skipped``: rule ->
    reason, for rules that could not run (a table was missing).
    """

    violations: pd.DataFrame
    checked: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no rule was violated."""
        return len(self.violations) == 0

    def summary(self) -> pd.DataFrame:
        """One row per rule: ``rule, checked, violations``.

        ``checked`` is the number of items the rule examined, or <NA> when the
        rule was skipped because a table it needs was not given.
        """
        import pandas as pd
        counts = self.violations["rule"].value_counts() if len(self.violations) else {}
        rows = [(r, None if r in self.skipped else int(self.checked.get(r, 0)),
                 int(counts.get(r, 0))) for r in RULES]
        df = pd.DataFrame(rows, columns=["rule", "checked", "violations"])
        df["checked"] = df["checked"].astype("Int64")
        df["violations"] = df["violations"].astype("int64")
        return df

    def format_summary(self, max_violations: int = 0) -> str:
        """A fixed-width text table of :meth:`summary` (plus the first
        ``max_violations`` violations) for the command line."""
        import pandas as pd
        lines = [f"{'rule':<22} {'checked':>9} {'violations':>10}"]
        for rule, checked, n in self.summary().itertuples(index=False):
            shown = "skipped" if pd.isna(checked) else str(int(checked))
            note = f"  ({self.skipped[rule]})" if rule in self.skipped else ""
            lines.append(f"{rule:<22} {shown:>9} {n:>10}{note}")
        total = len(self.violations)
        lines.append(f"{'total':<22} {'':>9} {total:>10}  -> {'OK' if self.ok else 'FAIL'}")
        if max_violations and total:
            lines.append("")
            lines.append(f"first {min(total, max_violations)} of {total} violations:")
            head = self.violations.head(max_violations)
            lines.append(head.to_string(index=False))
        return "\n".join(lines)
