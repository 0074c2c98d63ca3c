"""Engine-core structure (issue 11): one registry of rollback reasons, one
rounding rule, one clock, no import circle, typed records in resources/."""
from __future__ import annotations

import ast
import os
import re

import pytest
from helpers import ROOT

from nandseqgen.config.units import TICKS_PER_US, us_to_ticks
from nandseqgen.resources.reasons import REASONS, RETRY_REASONS
from nandseqgen.simulation import Simulation

PKG = os.path.join(ROOT, "nandseqgen")


def _source(*parts: str) -> str:
    with open(os.path.join(PKG, *parts), encoding="utf-8") as fh:
        return fh.read()


def test_every_reason_the_engine_can_return_is_registered():
    found = set(re.findall(r'"(epr:[a-z_]+)"', _source("address", "rules.py")))
    for mod in ("manager.py", "checks.py", "suspend.py"):
        found |= set(re.findall(r'return "([a-z_]+)"', _source("resources", mod)))
    found |= set(re.findall(r'return "([a-z_]+)", ', _source("proposer", "proposer.py")))
    assert found and found <= set(REASONS), sorted(found - set(REASONS))
    assert "no_candidate" in RETRY_REASONS and "window" not in RETRY_REASONS


@pytest.mark.parametrize("which", ["project_cfg", "reference_cfg"])
def test_runs_record_only_registered_reasons(which, request):
    result = Simulation(request.getfixturevalue(which), seed=3).run(100_000)
    seen = set(result.metrics["rollbacks"])
    assert seen, "a run this long refuses something"
    assert seen <= set(REASONS), sorted(seen - set(REASONS))


@pytest.mark.parametrize("us, ticks", [(0.185, 19), (0.184, 18), (2.675, 268), (1e7, 10**9),
                                       (12345678.905, 1234567891), (0.004999, 0), (400.6036, 40060)])
def test_one_rounding_rule_half_up_on_the_written_decimal(us, ticks):
    assert us_to_ticks(us) == ticks
    assert us_to_ticks(-us) == -ticks  # half away from zero, symmetric
    assert TICKS_PER_US == 100


def test_scheduler_and_resources_share_one_clock(project_cfg):
    sim = Simulation(project_cfg, seed=1)
    sim.run(2_000)
    assert sim.scheduler.clock is sim.rm.clock and sim.rm.now == sim.scheduler.now > 0
    sim.advance(sim.now_us + 50)
    assert sim.rm.now == sim.scheduler.now
    with pytest.raises(AttributeError):
        sim.rm.now = 5  # read-only outside the scheduler


def _imports(path: str) -> set:
    """Sibling modules imported at run time (``if TYPE_CHECKING:`` blocks excluded)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    out = set()
    for node in ast.walk(tree):  # module-level and function-level imports alike
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_no_import_circle_inside_a_package():
    for pkg in ("checker", "resources", "scheduler", "proposer", "config", "address"):
        folder = os.path.join(PKG, pkg)
        mods = {f[:-3] for f in os.listdir(folder) if f.endswith(".py")}
        graph = {m: _imports(os.path.join(folder, m + ".py")) & mods for m in mods}
        for a, deps in graph.items():
            for b in deps:
                assert a not in _reach(graph, b), f"{pkg}: {a} <-> {b}"


def _reach(graph: dict, start: str) -> set:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_no_positional_records_in_resources():
    """Records are named: no ``x[N]`` indexing of entries, no tag tuples."""
    for name in os.listdir(os.path.join(PKG, "resources")):
        if not name.endswith(".py"):
            continue
        src = _source("resources", name)
        assert not re.search(r'\b(x|entry|item)\[\d\]', src), name
        assert not re.search(r'append\(\("[a-z_]+"', src), name  # no tag tuples
