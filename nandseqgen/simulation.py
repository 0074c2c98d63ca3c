"""The ``Simulation`` facade: wires config, managers, proposer and scheduler.

>>> sim = Simulation("config.yaml", seed=42)          # doctest: +SKIP
>>> result = sim.run(100_000)                          # doctest: +SKIP
>>> result.sequence.head()                             # doctest: +SKIP
"""
from __future__ import annotations

import os

from .address import AddressManager
from .config import Config, load_config
from .config.phase import build_phase_table
from .config.values import check_run_until, us_to_ticks
from .core.clock import Clock
from .core.gcdefer import deferred_full_gc
from .core.ops import INF, Op
from .core.rng import stream
from .outputs import Recorder
from .proposer import PhaseSampler, Proposer
from .resources import ResourceManager
from .result import RunResult
from .run_end import flush_read_latches
from .scheduler import Scheduler
from .scheduler import commit as commit_mod


KEEP = ("auto", "memory", "files")
AUTO_FILES_US = 2_000_000.0  # keep="auto": longer runs stream to files


def _tqdm_progress(start: int, until: int, run_index: int, metrics):
    """A tqdm.auto bar over simulated microseconds, also showing ops and ops/s,
    and its update callback. On a terminal or in a notebook it redraws a few
    times a second; when stderr is a log file it writes one line a minute and
    keeps the last one."""
    import sys

    from tqdm import autonotebook, std
    from tqdm.auto import tqdm
    notebook = autonotebook.tqdm is not std.tqdm
    live = notebook or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    bar = tqdm(total=(until - start) // 100, unit="us", unit_scale=True, desc=f"run {run_index}",
               leave=not live, mininterval=0.2 if live else 60.0, postfix="ops=0",
               maxinterval=10.0 if live else 600.0, dynamic_ncols=live)

    def update(tick: int) -> None:
        ops = metrics.ops_committed
        elapsed = bar.format_dict.get("elapsed") or 0.0
        bar.set_postfix_str(f"ops={ops:,} ops/s={ops / elapsed if elapsed else 0:,.0f}",
                            refresh=False)
        bar.update(max(0, min(tick, until) - start) // 100 - bar.n)
    return bar, update


class Simulation:
    """One simulated NAND package. Runs continue from each other's state."""

    def __init__(self, config: Config | str | os.PathLike, *, seed: int = 42,
                 phase_table: dict | None = None, bootstrap: bool | None = None,
                 keep: str = "auto", out_dir: str | os.PathLike | None = None,
                 date: str = "000000", format: str = "csv"):
        cfg = config if isinstance(config, Config) else load_config(os.fspath(config))
        self.set_outputs(keep=keep, out_dir=out_dir, date=date, format=format)
        self.cfg, self.seed = cfg, int(seed)
        self.am = AddressManager(cfg)
        self.rm = ResourceManager(cfg, self.am, clock=Clock())
        self.phase_table = phase_table if phase_table is not None else build_phase_table(cfg, seed)
        self.sampler = PhaseSampler(cfg, self.phase_table)
        self.uid = 0
        self.proposer = Proposer(cfg, self.rm, self.am, self.sampler, self._next_uid)
        self.steer = self._make_steer()
        self.bootstrap = self._make_bootstrap(bootstrap)
        self.recorder = Recorder(cfg)  # replaced at each run start
        self.rm.segment_sink = self.recorder.segment
        self.scheduler = Scheduler(cfg, self.rm, self.am, self.proposer, self.recorder, self.seed,
                                   self.bootstrap)
        self.run_index = 0
        self.results: list = []
        self._active: tuple | None = None  # (recorder, start tick) while a run is active

    def set_outputs(self, *, keep: str = "auto", out_dir=None, date: str = "000000",
                    format: str = "csv", rollback_log: bool = True) -> None:
        """Where run tables live. ``keep="memory"``: rows stay in memory and
        ``result.write()`` writes them; ``"files"``: rows stream to
        ``out_dir`` (default: a new temporary folder) while the run goes on and
        the result reads them back lazily; ``"auto"``: files for runs longer
        than ``AUTO_FILES_US``. ``date`` names the files; ``format``: csv,
        parquet or both (the ATE sequence is always CSV too).
        ``rollback_log=False`` (files only): no row per rollback is kept, so
        ``result.rollbacks`` is empty; the counts by reason stay in
        ``result.metrics`` (the CLI's runs, docs/decisions.md 124)."""
        from .outputs.sinks import table_formats
        if keep not in KEEP:
            raise ValueError(f"keep must be one of {', '.join(KEEP)}, not {keep!r}")
        table_formats("operation_sequence", format)  # validates the format
        self.keep, self.date, self.format = keep, str(date), format
        self.rollback_log = rollback_log
        self.out_dir = os.fspath(out_dir) if out_dir is not None else None

    def _recorder(self, run_until_us: float, run_index: int):
        files = self.keep == "files" or (self.keep == "auto" and run_until_us > AUTO_FILES_US)
        if not files:
            return Recorder(self.cfg)
        if self.out_dir is None:
            import tempfile
            self.out_dir = tempfile.mkdtemp(prefix="nandseqgen-")
        from .outputs.stream import StreamRecorder
        return StreamRecorder(self.cfg, self.out_dir, self.date, run_index, self.format,
                              rollback_log=self.rollback_log)

    def _next_uid(self) -> int:
        self.uid += 1
        return self.uid

    def _make_steer(self):
        """The coverage-directed policy when ``policies.coverage_directed`` is on."""
        knobs = self.cfg.policies.coverage_directed
        if not knobs.enabled:
            return None
        from .coverage import DirectedSteer, build_space
        steer = DirectedSteer(self.cfg, self.sampler, self.rm,
                              build_space(self.cfg, self.phase_table), knobs, self.am)
        self.proposer.steer = steer
        return steer

    def _make_bootstrap(self, enabled):
        use = self.cfg.bootstrap.enabled if enabled is None else enabled
        if not use:
            return None
        from .bootstrap import BootstrapController
        return BootstrapController(self.cfg, self.am, self.sampler)

    # ------------------------------------------------------------- stepping
    def start(self, run_until_us: float) -> None:
        """Begin the next run, lasting ``run_until_us`` of simulated time."""
        if self._active is not None:
            raise RuntimeError("a run is active; call finish() first")
        check_run_until(run_until_us)
        s = self.scheduler
        rec = self.recorder = self._recorder(run_until_us, self.run_index + 1)
        core = getattr(rec, "core", rec)  # the compiled Recorder a streaming one owns
        self.rm.segment_sink = core.segment
        self.run_index += 1
        if self.bootstrap is not None:
            self.bootstrap.begin_run(self.run_index, core)
        if self.steer is not None:  # fresh tables: a resumed run starts from the same ones
            self.steer.refresh()
        start = s.now
        s.begin_run(core, start + us_to_ticks(run_until_us))
        s.prime(start)
        self._active = (rec, start)

    def tick(self) -> dict:
        """Process the next tick; returns committed, rolled_back, reason."""
        if self._active is None:
            raise RuntimeError("call start(run_until_us) first")
        return self.scheduler.tick()

    def finish(self, max_hooks: int | None = None, progress=None) -> RunResult:
        """Run to ``run_until``, drain, and return the run's result.

        ``progress``: ``True`` for a ``tqdm.auto`` bar over simulated time (a
        notebook widget in Jupyter), or a callable receiving the current tick.
        """
        if self._active is None:
            raise RuntimeError("call start(run_until_us) first")
        rec, start = self._active
        s = self.scheduler
        bar = None
        if progress is True:
            bar, progress = _tqdm_progress(start, s.run_until, self.run_index, s.metrics)
        elif not callable(progress):
            progress = None
        try:
            with deferred_full_gc():  # the engine makes no cycles (core/gcdefer.py)
                summary = s.run(None, max_hooks=max_hooks, progress=progress)
                if s.q.peek_tick() is None and flush_read_latches(self):  # rule 15 (run_end.py)
                    summary = {**s.run(None), "hooks_executed": summary["hooks_executed"]}
            rec.close()
        except BaseException:
            rec.abort()
            raise
        finally:
            if bar is not None:
                bar.close()
        self._active = None
        result = RunResult(rec, summary, self.run_index, self.cfg, self.seed, start / 100.0,
                           s.now / 100.0, self.bootstrap, self.phase_table)
        self.results.append(result)
        return result

    def run(self, run_until_us: float, *, max_hooks: int | None = None, progress=None) -> RunResult:
        """One run of ``run_until_us`` microseconds."""
        self.start(run_until_us)
        return self.finish(max_hooks=max_hooks, progress=progress)

    def run_many(self, num_runs: int, run_until_us: float, progress=None) -> list:
        return [self.run(run_until_us, progress=progress) for _ in range(num_runs)]

    # ----------------------------------------------------------- by hand
    def issue(self, op_name: str, *, die: int = 0, planes=(0,), blocks=None, page=None,
              celltype: str | None = None, at_us: float | None = None, window: bool = False,
              follow: bool = True):
        """Issue one command now (or at ``at_us``) through every rule, as if a
        hook had proposed it; its follow-ups come from its sequence unless
        ``follow=False``. Returns the Proposal (``.txn`` None and ``.reason``
        set when it was refused). ``window=True`` applies the admission window."""
        s = self.scheduler
        spec = self.cfg.ops[op_name]
        op = Op(self._next_uid(), spec, die, tuple(planes), tuple(blocks) if blocks else None,
                page, celltype or spec.celltype, source="manual")
        op.hook_plane = op.planes[0]
        now = max(s.now, us_to_ticks(at_us)) if at_us is not None else s.now
        bounded = window and not spec.base.instant_resv
        upper = now + self.cfg.policies.admission_window if bounded else INF
        rng = stream(self.seed, 0, salt=op.uid)
        prop = self.proposer.plan_explicit(op, now, upper, rng, follow)
        if prop.txn is not None:
            commit_mod.commit(s, prop, rng)
        return prop

    def advance(self, until_us: float) -> None:
        """Process queued events up to ``until_us`` (outside a run: no hooks fire)."""
        until = us_to_ticks(until_us)
        s = self.scheduler
        s.manual = self._active is None
        try:
            while True:
                t = s.q.peek_tick()
                if t is None or t > until:
                    break
                s.step()
        finally:
            s.manual = False
        s.advance_to(until)

    @property
    def active(self) -> bool:
        """True between start() and finish()."""
        return self._active is not None

    @property
    def now_us(self) -> float:
        return self.scheduler.now / 100.0
