"""Hypothesis-driven input fuzz (issue 13), reduced size; the full size is
benchmarks/fuzz_inputs.py (figures in docs/validation.md).

Every mutated copy of the shipped config.yaml must end in a clean run or a
ConfigError whose every item names a key path or file:line -- never another
exception, never a hostile value accepted without a diagnostic, never a clean
zero-op run. Every drawn command line must exit 0 exactly when all its values
are valid, and otherwise exit non-zero with a message and no traceback.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzkit as F

BASE = F.base_config()
PATHS = F.all_paths(BASE)
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


class HypothesisDrawer:
    """The fuzzkit drawer interface over Hypothesis' interactive ``data``."""

    def __init__(self, data):
        self.data = data

    def choice(self, seq):
        return self.data.draw(st.sampled_from(list(seq)))

    def index(self, n: int) -> int:
        return self.data.draw(st.integers(0, n - 1))


@FUZZ
@given(st.data())
def test_mutated_configs_run_or_fail_with_a_named_error(data):
    m = F.draw_mutation(HypothesisDrawer(data), BASE, PATHS)
    outcome = F.classify(F.apply(BASE, m), m)
    assert outcome.ok, f"{m}: {outcome.kind}: {outcome.detail}"


@FUZZ
@given(key=st.sampled_from(sorted(p for p in PATHS if p[0] not in F.UNUSED)),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(min_value=-(2**80), max_value=2**80), st.booleans(),
                       st.text(max_size=5), st.lists(st.integers(), max_size=2)))
def test_any_value_anywhere_is_never_a_traceback(key, value):
    m = F.Mutation("value", key, value, F.is_hostile(F._get(BASE, key), value))
    outcome = F.classify(F.apply(BASE, m), m)
    assert outcome.ok, f"{m}: {outcome.kind}: {outcome.detail}"


@pytest.fixture(scope="module")
def cli_fx(tmp_path_factory):
    return F.cli_fixtures(str(tmp_path_factory.mktemp("cli_fuzz")))


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_command_lines_exit_cleanly_and_never_accept_a_bad_value(cli_fx, data):
    argv, expected_ok = F.draw_argv(HypothesisDrawer(data), cli_fx)
    outcome = F.run_cli(argv, expected_ok)
    assert outcome.ok, f"{argv}: {outcome.kind}: {outcome.detail}"


NUMERIC_OPTIONS = {"--run-until": (lambda v: 0 < v <= 1e12), "--seed": (lambda v: 0 <= v < 2**32),
                   "--num-runs": (lambda v: 1 <= v <= 100_000), "--sites": (lambda v: 1 <= v <= 1024),
                   "--date": (lambda v: len(v) == 6 and v.isdigit())}


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(sorted(NUMERIC_OPTIONS)),
       text=st.one_of(st.text(max_size=12), st.floats().map(repr),
                      st.integers(-(2**70), 2**70).map(str),
                      st.sampled_from(["inf", "-inf", "nan", "1e300", "0", "-0", "1_0", " 5",
                                       "0x10", "a/b", "../x", "261122", "260230"])))
def test_any_text_for_a_valued_option_parses_in_range_or_is_a_clean_usage_error(option, text,
                                                                                 capsys):
    from nandseqgen.cli import _parser
    dest = option.lstrip("-").replace("-", "_")
    try:
        args = _parser().parse_args(["run", option, text])
    except SystemExit as exc:
        err = capsys.readouterr().err
        assert exc.code == 2 and f"argument {option}" in err and "Traceback" not in err
        return
    assert NUMERIC_OPTIONS[option](getattr(args, dest)), (option, text)


@pytest.fixture(scope="module")
def snap_fx(tmp_path_factory):
    return F.snapshot_fixture(str(tmp_path_factory.mktemp("snap_fuzz")))


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_edited_snapshots_resume_or_fail_with_a_clean_error(snap_fx, data):
    import os
    out = os.path.join(os.path.dirname(snap_fx), "edited.json")  # sidecars are relative
    path, value = F.mutate_snapshot(HypothesisDrawer(data), snap_fx, out)
    outcome = F.classify_snapshot(out)
    assert outcome.ok, f"{F._dotted(path)} = {value!r}: {outcome.kind}: {outcome.detail}"
