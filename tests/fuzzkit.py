"""Input fuzzing shared by tests/test_fuzz_inputs.py (Hypothesis, reduced) and
benchmarks/fuzz_inputs.py (full size): mutate the shipped config.yaml and
classify what nandseqgen does with it (issue 13).

A mutation is drawn through a ``Drawer`` (Hypothesis ``data.draw`` or a seeded
``random.Random``), so both drivers share every mutation kind:

* ``value``  -- a leaf or branch replaced by a hostile value (inf, NaN, 1e300,
  negative, wrong type, huge int, empty, nested);
* ``shape``  -- a value wrapped in a list / mapping, a mapping turned into a list;
* ``delete`` -- a key or list item removed;
* ``duplicate`` -- a YAML line repeated in the text (duplicate keys, shifted items);
* ``rename`` -- a key renamed to an unknown name.

Outcomes: ``run`` (loaded and ran), ``error`` (ConfigError whose every item
names a key path or file:line), and the failures ``traceback`` (any other
exception), ``unnamed_error`` (a ConfigError item naming nothing), ``silent``
(a hostile value loaded without any error or warning about its path) and
``zero_ops`` (a clean load whose run generated nothing, without a warning).
"""
from __future__ import annotations

import copy
import math
import os
import random
import traceback as tb
from dataclasses import dataclass

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "config.yaml")
#: Top-level keys the engine accepts but does not use: changes there are legitimately silent.
UNUSED = ("latencies", "features", "pattern_export")
HOSTILE = [float("inf"), float("-inf"), float("nan"), 1e300, -1.0, -5, 0, 10**9, 2**70, 1e12,
           "lots", "", True, None, [], {}, [1, 2], {"a": 1}, [[True, 1]], 0.001, "1e3"]
RUN_US = 1000.0
MAX_HOOKS = 20_000


@dataclass
class Mutation:
    kind: str
    path: tuple
    value: object = None
    hostile: bool = False  # the change must be noticed (error or warning naming the path)


@dataclass
class Outcome:
    kind: str  # run | error | traceback | unnamed_error | silent | zero_ops
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind in ("run", "error")


def base_config(text: str | None = None) -> dict:
    """The shipped config (or ``text``, e.g. the fixed reference config) as data."""
    if text is None:
        with open(CONFIG, encoding="utf-8") as fh:
            text = fh.read()
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def all_paths(data, prefix=()) -> list:
    """Every key path of ``data`` (mapping keys and list indices), depth first."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for key, value in items:
        out.append(prefix + (key,))
        out += all_paths(value, prefix + (key,))
    return out


def _get(data, path):
    for key in path:
        data = data[key]
    return data


def _kind_of(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def is_hostile(old, new) -> bool:
    """A replacement the loader must not accept silently: another JSON type
    (null excepted: it means "not given" and often selects a default), a
    non-finite or huge number, or a negative number where one >= 0 was."""
    if old is None or new is None:
        return False
    if _kind_of(old) != _kind_of(new):
        return True
    if _kind_of(new) == "number":
        if isinstance(new, float) and not math.isfinite(new):
            return True
        return abs(new) > 1e12 or (new < 0 <= old)
    return False


class RandomDrawer:
    """The benchmark's drawer: a seeded ``random.Random``."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def choice(self, seq):
        return self.rng.choice(list(seq))

    def index(self, n: int) -> int:
        return self.rng.randrange(n)


def draw_mutation(draw, data: dict, paths: list) -> Mutation:
    kind = draw.choice(("value", "value", "value", "shape", "delete", "duplicate", "rename"))
    path = paths[draw.index(len(paths))]
    old = _get(data, path)
    if kind == "value":
        new = draw.choice(HOSTILE)
        return Mutation(kind, path, new, is_hostile(old, new))
    if kind == "shape":
        new = draw.choice(([old], {"x": old}, list(old) if isinstance(old, dict) else 5))
        return Mutation(kind, path, new, is_hostile(old, new) or isinstance(new, list)
                        and not isinstance(old, list))
    if kind == "duplicate":
        return Mutation(kind, (), draw.index(10_000))
    return Mutation(kind, path, "Zz_unknown" if kind == "rename" else None)


def apply(data: dict, m: Mutation) -> str:
    """The mutated YAML text."""
    data = copy.deepcopy(data)
    if m.kind == "duplicate":
        lines = _dump(data).splitlines()
        i = m.value % len(lines)
        lines.insert(i, lines[i])
        return "\n".join(lines) + "\n"
    parent, key = (_get(data, m.path[:-1]), m.path[-1])
    if m.kind in ("value", "shape"):
        parent[key] = m.value
    elif m.kind == "delete":
        del parent[key]
    elif m.kind == "rename" and isinstance(parent, dict):
        parent["Zz_unknown"] = parent.pop(key)
    return _dump(data)


def _dump(data) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False)


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _mentions(items, path) -> bool:
    """Some diagnostic is about ``path``, an ancestor or a descendant of it."""
    want = _dotted(path)
    for d in items:
        if not d.path or want.startswith(d.path) or d.path.startswith(want):
            return True
    return False


def classify(text: str, m: Mutation | None = None, seed: int = 1,
             replay_check: bool = False) -> Outcome:
    """``replay_check``: also replay-check a clean run's tables against the
    mutated config (``wrong_result`` when a rule is violated)."""
    from nandseqgen.config import ConfigError, load_config_text
    from nandseqgen.simulation import Simulation
    try:
        cfg = load_config_text(text, source="fuzz.yaml")
    except ConfigError as exc:
        unnamed = [d for d in exc.errors if not (d.path or d.line)]
        if unnamed:
            return Outcome("unnamed_error", unnamed[0].format())
        return Outcome("error", exc.errors[0].format())
    except Exception:  # noqa: BLE001 - the point of the fuzz
        return Outcome("traceback", tb.format_exc(limit=-4))
    if m is not None and m.hostile and m.path and m.path[0] not in UNUSED \
            and not _mentions(cfg.warnings, m.path):
        return Outcome("silent", f"{_dotted(m.path)} = {m.value!r} loaded without a diagnostic")
    try:
        result = Simulation(cfg, seed=seed).run(RUN_US, max_hooks=MAX_HOOKS)
    except Exception:  # noqa: BLE001
        return Outcome("traceback", tb.format_exc(limit=-4))
    if len(result.sequence) == 0 and not cfg.warnings:
        return Outcome("zero_ops", "a clean config generated no ops")
    if replay_check:
        from nandseqgen.checker.check import check_frames
        report = check_frames(result.sequence, result.operations, cfg, result.op_states)
        if not report.ok:
            return Outcome("wrong_result", str(report.violations.head(3).to_dict("records")))
    return Outcome("run", f"{len(result.sequence)} ops")


# ----------------------------------------------------------------- command line
def cli_fixtures(tmp: str) -> dict:
    """Files the command-line fuzz points options at: option -> [(value, valid)]."""
    import gzip
    import json
    from nandseqgen.config import load_config
    from nandseqgen.runner import run_job
    os.makedirs(tmp, exist_ok=True)
    files = {"dir": tmp, "missing": os.path.join(tmp, "missing.yaml")}
    for name, content in (("list.yaml", b"- a\n- b\n"), ("junk.yaml", b"\x00\x01\x02binary"),
                          ("utf16.yaml", "a: 1\n".encode("utf-16")),
                          ("latin1.yaml", "a: caf\xe9\n".encode("latin-1")),
                          ("ok_override.yaml", b"policies: {topN: 3}\n"),
                          ("bad_override.yaml", b"policies: {topN: .inf}\n"),
                          ("zero_table.yaml", b"DEFAULT: {Delay: 0}\n"),
                          ("a_file", b"x")):
        with open(os.path.join(tmp, name), "wb") as fh:
            fh.write(content)
    with open(CONFIG, "rb") as src, open(os.path.join(tmp, "cfg.yaml.gz"), "wb") as dst:
        dst.write(gzip.compress(src.read()))
    out = os.path.join(tmp, "seed_out")
    run_job(load_config(CONFIG), out_dir=out, seed=7, run_until_us=200.0, date="261122",
            save_phase_table=os.path.join(tmp, "table.yaml"))
    snap = os.path.join(out, "snapshots", "state_snapshot_20261122_000000_0000001.json")
    data = json.load(open(snap))
    data["time"] = -10**9
    with open(os.path.join(tmp, "edited.json"), "w") as fh:
        json.dump(data, fh)
    t = lambda name: os.path.join(tmp, name)  # noqa: E731
    bad_files = [(files["missing"], False), (tmp, False), (t("junk.yaml"), False),
                 (t("utf16.yaml"), False), (t("latin1.yaml"), False), (t("cfg.yaml.gz"), False)]
    return {
        "--config": [(CONFIG, True), (CONFIG, True), (t("list.yaml"), False)] + bad_files,
        "--overrides": [(t("ok_override.yaml"), True), (t("bad_override.yaml"), False),
                        (t("list.yaml"), False)] + bad_files,
        "--phase-table": [(t("table.yaml"), True), (t("zero_table.yaml"), False),
                          (t("list.yaml"), False)] + bad_files,
        "--resume-from": [(snap, True), (t("edited.json"), False)] + bad_files,
        "--save-phase-table": [(t("saved.yaml"), True), (tmp, False),
                               (os.path.join(tmp, "no", "dir", "t.yaml"), False)],
        "--out": [(t("o1"), True), (t("o2/deeper"), True), (t("a_file"), False), ("", False)],
        "--run-until": [("50", True), ("120.5", True), ("-5", False), ("0", False),
                        ("inf", False), ("nan", False), ("1e300", False), ("abc", False),
                        ("", False)],
        "--seed": [("7", True), ("0", True), ("-1", False), (str(2**40), False), ("x", False),
                   ("1.5", False)],
        "--num-runs": [("1", True), ("2", True), ("0", False), ("-3", False), ("many", False),
                       ("1e9", False)],
        "--sites": [("1", True), ("2", True), ("0", False), ("-4", False), ("99999", False)],
        "--date": [("261122", True), ("a/b", False), ("991399", False), ("", False),
                   ("../x", False), ("2611222", False)],
        "--bootstrap": [(None, True)], "--no-bootstrap": [(None, True)],
        "--strict": [(None, True)], "--bogus": [(None, False)],
    }


def draw_argv(draw, fx: dict) -> tuple:
    """(argv, expected_ok): ``run`` with 2-5 options drawn from ``fx``."""
    argv, ok, chosen = ["run", "--no-progress"], True, {}
    options = sorted(fx)
    for _ in range(2 + draw.index(4)):
        opt = options[draw.index(len(options))]
        if opt in chosen or ("bootstrap" in opt and any("bootstrap" in c for c in chosen)):
            continue
        want = draw.index(3) > 0  # two in three values are valid ones
        pool = [v for v in fx[opt] if v[1] == want] or fx[opt]
        value, valid = pool[draw.index(len(pool))]
        chosen[opt] = value
        argv += [opt] if value is None else [opt, value]
        ok &= valid
    if "--run-until" not in chosen:
        argv += ["--run-until", "60"]
    if "--out" not in chosen:
        argv += ["--out", os.path.join(fx["--out"][0][0], "default")]
    return argv, ok and _combination_ok(chosen)


def _combination_ok(chosen: dict) -> bool:
    """Valid values that cannot be honoured together (docs/decisions.md, issue 13)."""
    if "--resume-from" not in chosen:
        return True
    # the snapshot was taken with seed 7, without bootstrap, with config.yaml alone
    return (chosen.get("--sites", "1") == "1" and chosen.get("--seed", "7") == "7"
            and "--bootstrap" not in chosen and "--overrides" not in chosen)


def run_cli(argv: list, expected_ok: bool) -> Outcome:
    """Run ``nandseqgen`` in-process; stdout/stderr captured."""
    import contextlib
    import io
    from nandseqgen.cli import main
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except Exception:  # noqa: BLE001
        return Outcome("traceback", tb.format_exc(limit=-4))
    text = err.getvalue()
    if "Traceback" in text:
        return Outcome("traceback", text[-800:])
    if code == 0:
        return Outcome("run") if expected_ok else Outcome("silent", f"exit 0 for {argv}")
    if not text.strip():
        return Outcome("unnamed_error", f"exit {code} without a message")
    if expected_ok:
        return Outcome("false_error", text.strip().splitlines()[-1])
    return Outcome("error", text.strip().splitlines()[-1])


# ------------------------------------------------------------------- snapshots
def snapshot_fixture(folder: str) -> str:
    """A snapshot of config.yaml taken where something is suspended or backlogged."""
    from nandseqgen.config import load_config
    from nandseqgen.simulation import Simulation
    from nandseqgen.snapshot import save_snapshot
    sim = Simulation(load_config(CONFIG), seed=9)
    for _ in range(30):
        sim.run(3_000)
        if any(sim.rm.stack) or any(sim.scheduler.backlog):
            break
    return save_snapshot(sim, folder, "261122")


def mutate_snapshot(draw, snap: str, out_path: str) -> tuple:
    """Write a copy of ``snap`` with one value replaced and the digest
    recomputed (a deliberate edit the digest cannot catch); -> (path, value)."""
    import json
    from nandseqgen.snapshot_schema import digest
    with open(snap, encoding="utf-8") as fh:
        data = json.load(fh)
    paths = [p for p in all_paths(data) if p[0] not in ("digest", "kind", "schema", "config_hash")]
    path = paths[draw.index(len(paths))]
    value = draw.choice(HOSTILE[4:] + [-10**9, 10**12, "DOUT", ["x"], {"k": 1}])
    parent = _get(data, path[:-1])
    parent[path[-1]] = value if not (isinstance(value, float) and not math.isfinite(value)) else 0
    data["digest"] = digest(data)
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    return path, value


def classify_snapshot(path: str) -> Outcome:
    from nandseqgen.config import load_config
    from nandseqgen.snapshot import SnapshotError, load_snapshot
    try:
        sim = load_snapshot(path, load_config(CONFIG))
    except SnapshotError as exc:
        return Outcome("error", str(exc).splitlines()[0])
    except Exception:  # noqa: BLE001
        return Outcome("traceback", tb.format_exc(limit=-4))
    try:
        sim.run(2_000, max_hooks=MAX_HOOKS)
    except Exception:  # noqa: BLE001
        return Outcome("traceback", tb.format_exc(limit=-4))
    return Outcome("run")
