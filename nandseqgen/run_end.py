"""End of a run: read data left in a plane's latch goes out through a DOUT
(docs/semantics.md rule 15; docs/decisions.md 95).

A read-family op whose batch has no DOUT follow-up (a ``cache_read_end``
without a sequence, as in the reference config) leaves ``LATCH_ON_READ`` set
until a later proposal outputs it. When the run ends first, the sequence would
end with read data never output. After the drain, each plane still holding
such a latch gets one DOUT, planned through every rule exactly like a hook's
proposal (targets from the latch, preflight, commit), then drained too.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config.units import INF, LATCH_ON_READ
from .core.ops import Op
from .core.rng import stream
from .proposer.targets import first_targets
from .scheduler import commit as commit_mod

if TYPE_CHECKING:
    from .simulation import Simulation


def _douts(cfg) -> list:
    """Single-plane op names that output a read latch (role ``dout``, address
    ``latch``), in config order."""
    return [spec for spec in cfg.ops.values()
            if spec.base.role.kind == "dout" and spec.base.role.address == "latch"
            and LATCH_ON_READ in spec.base.role.releases_latches and not spec.multi]


def flush_read_latches(sim: Simulation) -> int:
    """One DOUT per plane still holding read data, after the drain; -> how many
    were committed (the caller drains them). The first DOUT name that plans
    wins; a plane where none plans keeps its latch (the checker reports it)."""
    s, px = sim.scheduler, sim.proposer
    douts, n = _douts(sim.cfg), 0
    planes = sim.cfg.topology.planes
    for pi in range(sim.cfg.topology.dies * planes):
        die, plane = divmod(pi, planes)
        for spec in douts:
            got = first_targets(px, spec, die, plane, stream(sim.seed, 0, salt=pi))  # the latch
            if got is None:
                break  # no read data on this plane
            d, pls, blocks, page, celltype = got
            op = Op(sim._next_uid(), spec, d, pls, blocks, page, celltype, source="run_end")
            op.hook_plane = plane
            rng = stream(sim.seed, 0, salt=op.uid)
            prop = px.plan_explicit(op, s.now, INF, rng, follow=False)
            if prop.txn is not None:
                commit_mod.commit(s, prop, rng)
                n += 1
                break
    return n
