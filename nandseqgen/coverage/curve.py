"""Closure curves: cells hit against ops committed, in one uninterrupted run."""
from __future__ import annotations

from ..simulation import Simulation
from .metrics import closure
from .space import build_space


def closure_curve(cfg, seed: int, ops_target: int, points: int = 50):
    """Run ``cfg`` until ``ops_target`` ops are committed (then drain, no more
    hooks); -> (``[(ops, cells hit), ...]``, the RunResult, the space).

    A point is taken every ``ops_target / points`` ops. The run is not cut in
    pieces: a run's end drains every long op, which changes coverage itself.
    """
    sim = Simulation(cfg, seed=seed)
    space = build_space(cfg, sim.phase_table)
    s = sim.scheduler
    sim.start(1e12)  # stopped below, once the ops target is reached
    step, nxt, curve = max(1, ops_target // points), 0, []
    while s.metrics.ops_committed < ops_target and s.q.peek_tick() is not None:
        sim.tick()
        if s.metrics.ops_committed >= nxt:
            curve.append((s.metrics.ops_committed, closure(space, sim.recorder.input_time).hit))
            nxt += step
    s.run_until = s.now  # no more hooks: drain what is reserved
    result = sim.finish()
    curve.append((result.ops_committed, closure(space, result.recorder.input_time).hit))
    return curve, result, space
