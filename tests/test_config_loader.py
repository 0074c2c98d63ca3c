"""Config loading: SPEC 5.7 errors and warnings, on the real reference config."""
from __future__ import annotations

import collections

import pytest

from nandseqgen.config import ConfigError, load_config, load_config_text, with_changes
from nandseqgen.config.loader import check_doc
from nandseqgen.config.yamlio import read_yaml_text

from helpers import BAD_VALUE, PROJECT_CONFIG, fixed_reference_text, reference_text


def _codes(items):
    return collections.Counter((d.severity, d.code) for d in items)


def test_reference_fails_naming_exactly_the_malformed_value():
    with pytest.raises(ConfigError) as err:
        load_config_text(reference_text(), source="ref.yaml")
    errors = err.value.errors
    assert len(errors) == 1
    (e,) = errors
    assert e.path == "op_names.Temperature_Sensor_Slow_mode.durations.ISSUE"
    assert e.value == BAD_VALUE
    assert e.line == 3588
    assert "ref.yaml:3588" in str(err.value)


def test_fixed_reference_loads_with_the_documented_warnings():
    doc = read_yaml_text(fixed_reference_text(), "ref.yaml")
    cfg, items = check_doc(doc)
    assert cfg is not None
    codes = _codes(items)
    assert not [d for d in items if d.severity == "error"]
    alias_in_durations = [d for d in items if d.code == "state_alias" and ".durations." in d.path]
    assert len(alias_in_durations) == 149
    assert codes[("warning", "missing_duration")] == 16
    assert codes[("warning", "unknown_state_duration")] == 3
    never = sorted(d.path for d in items if d.code == "state_never_matches")
    assert never == ["exclusions_by_op_state.RESET.CORE_BUSY",
                     "exclusions_by_op_state.RESET_LUN.CORE_BUSY"]
    alias_keys = [d.path for d in items if d.code == "state_alias" and d.path.startswith("excl")]
    assert alias_keys == ["exclusions_by_op_state.CACHE_PROGRAM_SLC.DATA_IN"]
    assert len(cfg.bases) == 57 and len(cfg.ops) == 294


def test_every_warning_has_a_line(reference_cfg):
    assert reference_cfg.warnings
    assert all(w.line for w in reference_cfg.warnings)


def test_strict_turns_warnings_into_errors():
    with pytest.raises(ConfigError) as err:
        load_config_text(fixed_reference_text(), strict=True)
    assert len(err.value.errors) > 100


def test_missing_duration_uses_the_base_duration(reference_cfg):
    spec = reference_cfg.ops["Plane_Level_Read_Column_Enhanced"]
    base = {s.name: s.ticks for s in spec.base.states}
    got = {s.name: s.ticks for s in spec.states}
    assert got["CORE_BUSY"] == base["CORE_BUSY"] == 800
    assert got["ISSUE"] == 999  # 9.9944 us rounded half-up to 0.01 us


MINI = """
topology: {dies: 1, planes: 2, blocks_per_die: 4, pages_per_block: 4}
op_bases:
  ERASE: {scope: DIE_WIDE, affect_state: true, states: [{ISSUE: {bus: true, duration: 0.1}},
          {CORE_BUSY: {bus: false, duration: 10}}]}
op_names:
  E: {base: ERASE, multi: false, celltype: SLC, durations: {ISSUE: 0.1, CORE_BUSY: 10}}
exclusion_groups: {g: [ERASE]}
exclusions_by_op_state: {ERASE.CORE_BUSY: [g]}
"""


@pytest.mark.parametrize("change, code, path", [
    ("topology: {dies: 0, planes: 2, blocks_per_die: 4, pages_per_block: 4}",
     "not_a_positive_integer", "topology.dies"),
    ("exclusions_by_op_state: {ERASE.CORE_BUSY: [nope]}", "unknown_group",
     "exclusions_by_op_state.ERASE.CORE_BUSY[0]"),
    ("exclusion_groups: {g: [ERASE, FOO]}", "unknown_base", "exclusion_groups.g[1]"),
    ("phase_conditional: {ERASE.END: [1, 2]}", "not_a_mapping", "phase_conditional.ERASE.END"),
    ("op_names: {E: {base: ERASE, multi: false, celltype: SLC, durations: {ISSUE: -1, CORE_BUSY: 10}}}",
     "negative_duration", "op_names.E.durations.ISSUE"),
    ("op_names: {E: {base: NOPE, multi: false, celltype: SLC}}", "unknown_base", "op_names.E.base"),
])
def test_each_error_kind_names_its_key_path_and_line(change, code, path):
    with pytest.raises(ConfigError) as err:
        load_config_text(MINI + change + "\n", source="mini.yaml")
    hits = [e for e in err.value.errors if e.code == code]
    assert hits, err.value
    assert hits[0].path == path
    assert hits[0].line is not None


def test_all_errors_are_listed_at_once():
    bad = MINI + ("policies: {admission_window: fast}\n"
                  "topology: {dies: x, planes: 2, blocks_per_die: 4, pages_per_block: 4}\n")
    with pytest.raises(ConfigError) as err:
        load_config_text(bad)
    paths = {e.path for e in err.value.errors}
    assert {"policies.admission_window", "topology.dies"} <= paths


def test_unknown_base_without_role_is_an_error():
    text = MINI.replace("  ERASE: {scope", "  MYSTERY: {scope: NONE, states: [{ISSUE: {bus: true, duration: 1}}]}\n  ERASE: {scope")
    with pytest.raises(ConfigError) as err:
        load_config_text(text)
    assert any(e.code == "unknown_base" and "MYSTERY" in e.path for e in err.value.errors)
    declared = text.replace("MYSTERY: {scope: NONE,", "MYSTERY: {role: other, scope: NONE,")
    cfg = load_config_text(declared)
    assert cfg.bases["MYSTERY"].role.kind == "other"


def test_project_config_loads_clean():
    cfg = load_config(PROJECT_CONFIG)
    assert not cfg.warnings
    assert cfg.topology.dies >= 2 and cfg.topology.planes >= 4
    kinds = {b.role.kind for b in cfg.bases.values()}
    assert {"erase", "program_final", "program_step", "read", "cache_read_end", "dout",
            "suspend", "resume", "reset", "status_read", "odt_disable", "odt_enable"} <= kinds


def test_with_changes_rebuilds_and_rehashes(project_cfg):
    cfg2 = with_changes(project_cfg, {"policies": {"sequence_gap": 2.0}})
    assert cfg2.policies.sequence_gap == 200
    assert cfg2.config_hash != project_cfg.config_hash
    assert project_cfg.policies.sequence_gap == 50


def test_policies_in_config_units_round_trip(project_cfg):
    units = project_cfg.policies.in_config_units()
    again = with_changes(project_cfg, {"policies": units})
    assert again.policies == project_cfg.policies
    assert units["sequence_gap"] == 0.5 and units["queue_refill_period_us"] == 25.0


def test_phase_table_is_a_fresh_copy_each_time(project_cfg):
    from nandseqgen.config.phase import build_phase_table
    a = build_phase_table(project_cfg, 3)
    key = next(iter(a))
    a[key].clear()
    b = build_phase_table(project_cfg, 3)
    assert b[key] and abs(sum(b[key].values()) - 1.0) < 1e-9
