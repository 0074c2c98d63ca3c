"""The mypyc-compiled hot path and the pure-Python path (docs/decisions.md 90-91).

``make test`` installs the package with ``pip install -e``, which compiles the
hot modules (setup.py); ``NANDSEQGEN_PURE=1`` makes a process load the ``.py``
sources instead. Both must write the same bytes.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest
from helpers import PROJECT_CONFIG, ROOT, fixed_reference_text

import nandseqgen
from nandseqgen.core.gcdefer import OLDEST_THRESHOLD, deferred_full_gc

CHILD = r"""
import json, os, sys
import nandseqgen
from nandseqgen.config import load_config
from nandseqgen.simulation import Simulation
import nandseqgen.resources.manager as manager
config, out, until = sys.argv[1], sys.argv[2], float(sys.argv[3])
result = Simulation(load_config(config), seed=42, keep="memory").run(until)
result.write(out, "260101")
print(json.dumps({"compiled": nandseqgen.compiled(), "manager": manager.__file__,
                  "ops": result.ops_issued}))
"""


def _child(config: str, out: str, until: float, pure: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NANDSEQGEN_PURE"}
    if pure:
        env["NANDSEQGEN_PURE"] = "1"
    run = subprocess.run([sys.executable, "-c", CHILD, config, out, str(until)], env=env,
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _files(folder: str) -> dict:
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            out[name] = fh.read()
    return out


def test_the_test_install_runs_the_compiled_hot_path():
    # a failed build falls back to pure Python silently for users; here it must fail
    if os.environ.get("NANDSEQGEN_PURE"):
        assert not nandseqgen.compiled()
    else:
        assert nandseqgen.compiled(), "pip install -e . did not build the mypyc extensions"


@pytest.mark.parametrize("which", ["reference", "project"])
def test_pure_and_compiled_paths_write_identical_bytes(which, tmp_path):
    if which == "reference":
        config = tmp_path / "reference_fixed.yaml"
        config.write_text(fixed_reference_text(), encoding="utf-8")
    else:
        config = PROJECT_CONFIG
    runs = {}
    for pure in (False, True):
        out = tmp_path / ("pure" if pure else "default")
        runs[pure] = (_child(str(config), str(out), 60_000.0, pure), _files(str(out)))
    info_default, files_default = runs[False]
    info_pure, files_pure = runs[True]
    assert info_default["compiled"] is True and info_default["manager"].endswith(".so")
    assert info_pure["compiled"] is False and info_pure["manager"].endswith(".py")
    assert info_default["ops"] == info_pure["ops"] > 100
    assert files_default.keys() == files_pure.keys() and len(files_default) >= 6
    for name in files_default:
        assert files_default[name] == files_pure[name], name


def test_engine_run_leaves_no_cyclic_garbage():
    # why deferring full collections during a run costs no memory (core/gcdefer.py)
    from nandseqgen.config import load_config
    from nandseqgen.simulation import Simulation
    sim = Simulation(load_config(PROJECT_CONFIG), seed=3, keep="memory")
    gc.collect()
    gc.disable()
    try:
        result = sim.run(30_000)
        assert result.ops_issued > 100
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0


def test_deferred_full_gc_restores_the_thresholds():
    before = gc.get_threshold()
    with deferred_full_gc():
        during = gc.get_threshold()
        assert during[:2] == before[:2] and during[2] == max(before[2], OLDEST_THRESHOLD)
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError):
        with deferred_full_gc():
            raise RuntimeError("boom")
    assert gc.get_threshold() == before
