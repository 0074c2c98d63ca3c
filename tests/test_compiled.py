"""The mypyc-compiled hot path and the pure-Python path (docs/decisions.md 90-91, 99).

``make test`` installs the package with ``pip install -e``, which compiles the
hot modules and the checker's per-op modules (setup.py); ``NANDSEQGEN_PURE=1``
makes a process load the ``.py`` sources instead. Both must write the same bytes
and give the same check report.
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


def _python(code: str, args: list, pure: bool) -> dict:
    """Run ``code`` in a fresh interpreter (pure or compiled path); -> its last JSON line."""
    env = {k: v for k, v in os.environ.items() if k != "NANDSEQGEN_PURE"}
    if pure:
        env["NANDSEQGEN_PURE"] = "1"
    run = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env,
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _child(config: str, out: str, until: float, pure: bool) -> dict:
    return _python(CHILD, [config, out, until], pure)


def _files(folder: str) -> dict:
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            out[name] = fh.read()
    return out


def test_the_test_install_runs_the_compiled_hot_path():
    # a failed build falls back to pure Python silently for users; here it must fail
    import nandseqgen.checker.sweep as sweep  # the checker's group (setup.py CHECKER)
    if os.environ.get("NANDSEQGEN_PURE"):
        assert not nandseqgen.compiled()
        assert sweep.__file__.endswith(".py")
    else:
        assert nandseqgen.compiled(), "pip install -e . did not build the mypyc extensions"
        assert not sweep.__file__.endswith(".py"), "the checker's modules were not compiled"


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


CHECK_CHILD = r"""
import json, sys
import nandseqgen
from nandseqgen.checker import check_dir
import nandseqgen.checker.sweep as sweep
out, config, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = check_dir(out, config, chunk_ops=chunk)
print(json.dumps({"compiled": nandseqgen.compiled(), "sweep": sweep.__file__,
                  "checked": report.checked,
                  "counts": report.violations["rule"].value_counts().to_dict(),
                  "violations": report.violations.to_csv(index=False)}))
"""


def _check_child(out: str, config: str, chunk: int, pure: bool) -> dict:
    return _python(CHECK_CHILD, [out, config, chunk], pure)


def _broken_run(tmp_path) -> str:
    """A run folder of the project config with rule violations written into it."""
    from nandseqgen.config import load_config
    from nandseqgen.simulation import Simulation
    out = tmp_path / "run"
    Simulation(load_config(PROJECT_CONFIG), seed=42, keep="memory").run(60_000).write(
        str(out), "260101")
    seq = next(out.glob("operation_sequence_*.csv"))
    lines = seq.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) > 400 and lines[200].endswith(']"\n')
    lines[300], lines[301] = lines[301], lines[300]  # time_order (and what follows from it)
    lines[200] = lines[200][:lines[200].index(',"[')] + ",\"[{'die': 9}]\"\n"  # csv_json
    seq.write_text("".join(lines), encoding="utf-8")
    return str(out)


@pytest.mark.parametrize("chunk", [500, 1 << 40])
def test_pure_and_compiled_checkers_give_the_same_report(chunk, tmp_path):
    out = _broken_run(tmp_path)
    compiled = _check_child(out, PROJECT_CONFIG, chunk, pure=False)
    pure = _check_child(out, PROJECT_CONFIG, chunk, pure=True)
    assert compiled["compiled"] is True and compiled["sweep"].endswith(".so")
    assert pure["compiled"] is False and pure["sweep"].endswith(".py")
    assert compiled["counts"].get("time_order", 0) >= 1  # the broken rows are reported
    assert compiled["counts"].get("csv_json", 0) >= 1
    assert compiled["checked"]["time_order"] > 400
    for key in ("checked", "counts", "violations"):
        assert compiled[key] == pure[key], key


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
