"""Bootstrap: fill the device with erased, programmed and read blocks first
(seed 000, SPEC 5.6).

Stages ERASE -> PROGRAM -> READ -> DONE. While a stage is on, the proposer
samples from an *overlay* table: for every phase key, only the stage's
multi-plane op names that the key allows, weighted by
``bootstrap.celltype_weights``. Stages advance on thresholds measured from the
address manager's committed state and from ended reads. When the last stage
completes the overlay is removed, so the base distribution is used exactly as
before. Bootstrap only runs in the first run.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

STAGES = ("ERASE", "PROGRAM", "READ", "DONE")
PROGRESS_COLUMNS = ("time", "stage", "erase_volume", "program_volume", "read_coverage",
                    "read_volume")


def _stage_roles(stage: str):
    if stage == "ERASE":
        return lambda r: r.kind == "erase"
    if stage == "PROGRAM":
        return lambda r: r.kind in ("program_final", "program_step") and not r.consumes_read_latch
    return lambda r: r.kind == "read"


def overlay_table(cfg, stage: str, starters: set) -> dict:
    """{phase_key: {op_name: weight}} of the stage's multi-plane ops.

    Only op names the base distribution proposes on their own (``starters``:
    positive weight under some key) qualify, so a recipe-only step such as a
    one-shot cache program never starts a batch.
    """
    keep = _stage_roles(stage)
    weights = cfg.bootstrap.celltype_weights
    names = [o for o in cfg.ops.values()
             if o.multi and o.name in starters and keep(o.base.role)
             and o.base.role.address in ("erase", "program", "read")
             and (not weights or weights.get(o.celltype, 0) > 0)]
    if not names:
        raise ValueError(f"bootstrap stage {stage}: no multi-plane op name with a positive "
                         f"weight in phase_conditional (and bootstrap.celltype_weights)")
    table = {}
    for key in cfg.phase_keys():
        forbidden = cfg.exclusions.by_op_state.get(key, frozenset())
        row = {o.name: (weights.get(o.celltype, 1.0) if weights else 1.0)
               for o in names if o.base.name not in forbidden}
        total = sum(row.values())
        table[key] = {n: w / total for n, w in row.items()} if total > 0 else {}
    return table


class BootstrapController:
    def __init__(self, cfg, am, sampler):
        b = cfg.bootstrap
        missing = [k for k in ("erase_volume", "program_volume", "read_coverage", "read_volume")
                   if getattr(b, k) is None]
        if missing:
            raise ValueError("bootstrap needs bootstrap.thresholds / bootstrap.minimums: "
                             + ", ".join(missing) + f" missing in {cfg.source}")
        self.cfg, self.am, self.sampler = cfg, am, sampler
        self.stage = 0
        self.completed = False
        self.reads: set = set()  # (die, block) read at least once
        self.recorder = None
        starters = {spec.name for specs, _w in sampler.base_rows.values() for spec in specs}
        self._tables = {s: overlay_table(cfg, s, starters) for s in STAGES[:3]}
        self._apply()

    # -------------------------------------------------------------- measures
    def measures(self) -> dict:
        state = self.am.state
        erased = int(np.count_nonzero(state >= -1))
        programmed = int(np.count_nonzero(state >= 0))
        reads = len(self.reads)
        coverage = reads / programmed if programmed else 0.0
        return {"erase_volume": erased, "program_volume": programmed,
                "read_coverage": coverage, "read_volume": reads}

    def _done(self, m: dict) -> bool:
        b = self.cfg.bootstrap
        stage = STAGES[self.stage]
        if stage == "ERASE":
            return m["erase_volume"] >= b.erase_volume
        if stage == "PROGRAM":
            return m["program_volume"] >= b.program_volume
        return m["read_coverage"] >= b.read_coverage and m["read_volume"] >= b.read_volume

    def _apply(self) -> None:
        stage = STAGES[self.stage]
        if stage == "DONE":
            self.completed = True
            self.sampler.set_overlay(None)
        else:
            self.sampler.set_overlay(self._tables[stage])

    # ------------------------------------------------------------- callbacks
    def begin_run(self, run_index: int, recorder) -> None:
        self.recorder = recorder
        if run_index > 1 and not self.completed:  # first run only
            self.stage = STAGES.index("DONE")
            self._apply()
        if not self.completed:
            self._record(0 if run_index == 1 else None)

    def op_ended(self, op, now: int) -> None:
        if self.completed:
            return
        role = op.role
        if role.kind == "read" and op.blocks:
            self.reads.update((op.die, b) for b in op.blocks)
        elif not (role.kind == "erase" or role.kind == "program_final"):
            return
        m = self.measures()
        while not self.completed and self._done(m):
            self.stage += 1
            self._apply()
        self._record(now, m)

    def _record(self, now, m=None) -> None:
        if self.recorder is None or now is None:
            return
        m = m or self.measures()
        self.recorder.bootstrap_rows.append(
            (now / 100.0, STAGES[self.stage], m["erase_volume"], m["program_volume"],
             m["read_coverage"], m["read_volume"]))

    # -------------------------------------------------------------- snapshot
    def state(self) -> dict:
        return {"stage": self.stage, "completed": self.completed,
                "reads": sorted([list(x) for x in self.reads])}

    def restore(self, data: dict) -> None:
        self.stage, self.completed = data["stage"], data["completed"]
        self.reads = {tuple(x) for x in data["reads"]}
        self._apply()


def progress_frame(rows) -> pd.DataFrame:
    """time, stage, erase_volume, program_volume, read_coverage, read_volume."""
    df = pd.DataFrame(list(rows), columns=list(PROGRESS_COLUMNS))
    df["time"] = df["time"].astype("float64")
    df["stage"] = pd.Categorical(df["stage"], categories=list(STAGES))
    for col in ("erase_volume", "program_volume", "read_volume"):
        df[col] = df[col].astype("int64")
    df["read_coverage"] = df["read_coverage"].astype("float64")
    return df
