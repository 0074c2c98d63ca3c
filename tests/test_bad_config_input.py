"""Bad config input never crashes and never passes silently (issue 13): one
test per class of the issue, each with a valid twin where one makes sense."""
from __future__ import annotations

import copy
import gzip

import pytest
import yaml

from nandseqgen.config import ConfigError, check_config, load_config, load_config_text

from helpers import PROJECT_CONFIG

with open(PROJECT_CONFIG, encoding="utf-8") as _fh:
    BASE = yaml.safe_load(_fh)
FIRST_OP = "Delay"  # base NOP: states ISSUE only


def _text(change) -> str:
    data = copy.deepcopy(BASE)
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def _errors(change) -> list:
    with pytest.raises(ConfigError) as err:
        load_config_text(_text(change), source="m.yaml")
    assert all(e.path or e.line for e in err.value.errors), err.value
    return err.value.errors


def _set(path, value):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _one(change, path: str, code: str | None = None, text: str | None = None):
    errors = _errors(change)
    hit = [e for e in errors if e.path == path]
    assert hit, [e.format() for e in errors]
    assert code is None or hit[0].code == code, hit[0].format()
    assert text is None or text in hit[0].message, hit[0].format()
    assert hit[0].line and "m.yaml" in hit[0].format()


NUMERIC = [("op_names", "Block_Erase_SLC", "durations", "CORE_BUSY"),
           ("policies", "admission_window"), ("policies", "queue_refill_period_us"),
           ("policies", "sequence_gap"), ("constraints", "epr", "offset_guard"),
           ("phase_conditional_overrides", "global", "Block_Erase_SLC")]


@pytest.mark.parametrize("path", NUMERIC, ids=lambda p: ".".join(p))
@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e300, -1.0])
def test_infinite_nan_huge_and_negative_numbers_are_named_errors(path, value):
    def change(data):
        data.setdefault("constraints", {}).setdefault("epr", {})
        _set(path, value)(data)
    _one(change, ".".join(path))


@pytest.mark.parametrize("key, limit", [("dies", "64"), ("planes", "64"),
                                        ("blocks_per_die", "131,072"),
                                        ("pages_per_block", "65,536")])
def test_topology_upper_bounds_name_the_limit(key, limit):
    _one(_set(("topology", key), 10**9), f"topology.{key}", "too_large", limit)


def test_topology_total_blocks_limit_and_a_valid_twin():
    _one(_set(("topology",), {**BASE["topology"], "dies": 64, "blocks_per_die": 100_000}),
         "topology.blocks_per_die", "too_large", "1,048,576")
    cfg = load_config_text(_text(_set(("topology", "dies"), 4)))
    assert cfg.topology.dies == 4


@pytest.mark.parametrize("change, path", [
    (_set(("op_names", FIRST_OP, "base"), ["READ"]), f"op_names.{FIRST_OP}.base"),
    (_set(("op_bases", "READ", "sequence", "inherit"), {"DOUT": ["same_page"]}),
     "op_bases.READ.sequence.inherit"),
    (_set(("op_bases", "READ", "sequence", "probs"), 5), "op_bases.READ.sequence.probs"),
    (_set(("payload_by_op_base",), ["die"]), "payload_by_op_base"),
    (_set(("topology", "bad_blocks"), 5), "topology.bad_blocks"),
    (_set(("op_bases", "ERASE_SUSPEND", "role"), "suspend"), "op_bases.ERASE_SUSPEND.role.axis"),
    (_set(("op_bases", "NOP", "states", 0), {"ISSUE": 1e300}), "op_bases.NOP.states[0].ISSUE"),
    (_set(("op_bases", "READ", "role"), {"kind": "read", "releases_latches": 5}),
     "op_bases.READ.role.releases_latches"),
], ids=["base-list", "inherit-mapping", "probs-scalar", "payload-list", "bad_blocks-scalar",
        "suspend-no-axis", "state-body-number", "role-field-type"])
def test_wrong_shapes_are_named_errors(change, path):
    _one(change, path)


@pytest.mark.parametrize("text, message", [
    ("topology: {dies: 1}\nnull: 3\n", "mapping key None is not a name"),
    ("topology: {dies: 1}\n5: 3\n", "mapping key 5 is not a name"),
    ("topology: {dies: 1}\n[a, b]: 3\n", "not a list or mapping"),
    ("a: &a [*a]\n", "recursive YAML alias"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
])
def test_bad_keys_and_recursive_aliases_are_one_line_errors(text, message):
    with pytest.raises(ConfigError) as err:
        load_config_text(text, source="k.yaml")
    (e,) = err.value.errors
    assert message in e.message and e.line and "k.yaml:" in e.format()


def test_an_alias_bomb_is_refused_without_expanding_it():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    with pytest.raises(ConfigError, match="alias bomb"):  # 10**10 values if expanded
        load_config_text("\n".join(lines) + "\n")


FILES = {
    "utf8.yaml": ("caf\xe9: 1\n".encode("latin-1"), "not UTF-8 text"),
    "utf16.yaml": ("topology: {dies: 1}\n".encode("utf-16"), "UTF-16"),
    "utf16nobom.yaml": ("topology: {dies: 1}\n".encode("utf-16-le"), "UTF-16"),
    "binary.yaml": (b"\x00\x01\x02\x03", "binary"),
    "config.yaml.gz": (None, "gzip"),
    "list.yaml": (b"- a\n- b\n", "must be a YAML mapping"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_problems_are_one_clear_line(tmp_path, name):
    content, message = FILES[name]
    if content is None:
        content = gzip.compress(open(PROJECT_CONFIG, "rb").read())
    path = tmp_path / name
    path.write_bytes(content)
    for call in (lambda: load_config(str(path)),
                 lambda: load_config(PROJECT_CONFIG, overrides=[str(path)])):
        with pytest.raises(ConfigError) as err:
            call()
        (e,) = err.value.errors
        assert message in e.message and str(path) in e.format()
        assert "\n" not in e.format()
    (d,) = check_config(str(path))
    assert message in d.message


def test_missing_file_and_directory(tmp_path):
    for path, message in ((tmp_path / "nope.yaml", "no such file"), (tmp_path, "is a directory")):
        with pytest.raises(ConfigError, match=message):
            load_config(str(path))
        with pytest.raises(ConfigError, match=message):
            load_config(PROJECT_CONFIG, overrides=[str(path)])


@pytest.mark.parametrize("change, path, code", [
    (_set(("op_bases", "READ", "role"), {"kind": "read", "cache_enter": ["X"]}),
     "op_bases.READ.role.cache_enter", "bad_role"),
    (lambda d: d["generate_seq_rules"].__setitem__("READ.SEQ", {
        "sequences": [{"READ": ["none"]}, {"DOUT": ["same_page"]}],
        "name_weights": {"DOUT": {"Random_Data_Output": "lots"}}}),
     "generate_seq_rules.READ.SEQ.name_weights.DOUT.Random_Data_Output", "not_a_number"),
    (_set(("phase_conditional_overrides",), {"global": {"READ": float("inf")}}),
     "phase_conditional_overrides.global.READ", "not_finite"),
    (_set(("phase_conditional_overrides",), {"global": {b: 0 for b in BASE["op_bases"]}}),
     "phase_conditional_overrides.global", "nothing_to_start"),
    (_set(("op_names",), {}), "op_names", "no_ops"),
], ids=["cache_enter-list", "name_weights-text", "override-inf", "all-zero", "no-op-names"])
def test_values_that_used_to_fail_later_fail_at_load(change, path, code):
    _one(change, path, code)


def _recipe_weights(weights):
    def change(data):
        data["generate_seq_rules"]["READ.SEQ"] = {
            "sequences": [{"READ": ["none"]}, {"DOUT": ["same_page"]}],
            "name_weights": {"DOUT": weights}}
    return change


def test_name_weights_negative_unknown_and_wrong_base_are_errors_with_a_valid_twin():
    dout = sorted(n for n, o in BASE["op_names"].items() if o["base"] == "DOUT")
    _one(_recipe_weights({dout[0]: -1}), f"generate_seq_rules.READ.SEQ.name_weights.DOUT.{dout[0]}",
         "out_of_range")
    _one(_recipe_weights({"No_Such_Op": 1}),
         "generate_seq_rules.READ.SEQ.name_weights.DOUT.No_Such_Op", "unknown_name")
    _one(_recipe_weights({FIRST_OP: 1}), f"generate_seq_rules.READ.SEQ.name_weights.DOUT.{FIRST_OP}",
         "wrong_base")
    cfg = load_config_text(_text(_recipe_weights({dout[0]: 2.0})))
    assert cfg.recipes["READ.SEQ"].name_weights["DOUT"][dout[0]] == 2.0


@pytest.mark.parametrize("change, path, code", [
    (_set(("policies", "epsilon_greedy"), 2), "policies.epsilon_greedy", "too_large"),
    (_set(("topology", "bad_blocks"), [[True, 1]]), "topology.bad_blocks[0]", "bad_block"),
    (_set(("exclusions_by_cache_state", "ON_NOTHING"), ["after_cache_read"]),
     "exclusions_by_cache_state.ON_NOTHING", "unknown_state"),
    (_set(("exclusions_by_suspend_state", "SUSPENDED"), ["erase_suspended"]),
     "exclusions_by_suspend_state.SUSPENDED", "unknown_state"),
    (_set(("policies", "maxplanes"), 999), "policies.maxplanes", "too_large"),
    (_set(("policies", "admission_window"), 1e12), "policies.admission_window", "too_large"),
    (_set(("policies", "queue_refill_period_us"), 0.001), "policies.queue_refill_period_us",
     "out_of_range"),
], ids=["epsilon-2", "bad_block-bool", "cache-key", "suspend-key", "maxplanes-999",
        "window-1e12", "refill-0.001"])
def test_formerly_silent_values_are_errors(change, path, code):
    _one(change, path, code)


@pytest.mark.parametrize("key, value, code", [
    ("maxplanes", 8, "capped"), ("admission_window", 2e5, "wide_window"),
    ("queue_refill_period_us", 0.01, "slow_run"), ("no_such_policy", 1, "unknown_key"),
])
def test_legal_but_suspicious_policies_warn_with_the_reason(key, value, code):
    cfg = load_config_text(_text(_set(("policies", key), value)), source="w.yaml")
    hit = [w for w in cfg.warnings if w.path == f"policies.{key}"]
    assert hit and hit[0].code == code and hit[0].line, [w.format() for w in cfg.warnings]
    plain = load_config(PROJECT_CONFIG)
    assert not [w for w in plain.warnings if w.path.startswith("policies")]


def test_phase_table_files_get_the_same_guards(tmp_path, project_cfg):
    from nandseqgen.config.phase_file import load_phase_table
    cases = {"zero.yaml": (b"DEFAULT: {Delay: 0}\n", "DEFAULT row"),
             "inf.yaml": (b"DEFAULT: {Delay: .inf}\n", "DEFAULT.Delay"),
             "list.yaml": (b"- 1\n", "must be a YAML mapping"),
             "bin.yaml": (b"\x1f\x8b\x08\x00", "gzip")}
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ConfigError, match=message):
            load_phase_table(str(tmp_path / name), project_cfg)
    with pytest.raises(ConfigError, match="is a directory"):
        load_phase_table(str(tmp_path), project_cfg)
    (tmp_path / "ok.yaml").write_bytes(b"DEFAULT: {Delay: 1}\n")
    assert load_phase_table(str(tmp_path / "ok.yaml"), project_cfg) == {"DEFAULT": {"Delay": 1.0}}


def test_bootstrap_that_cannot_start_a_stage_is_a_load_error_with_a_valid_twin():
    def change(weights):
        def go(data):
            data["bootstrap"].update(enabled=True, celltype_weights=weights)
        return go
    _one(change({"SLC": 0, "TLC": 0}), "bootstrap.celltype_weights", "bootstrap_impossible")
    cfg = load_config_text(_text(change({"SLC": 1})))
    assert cfg.bootstrap.enabled and cfg.bootstrap.celltype_weights == {"SLC": 1.0}


def test_a_lun_status_read_beyond_the_dies_warns_that_it_is_never_issued():
    cfg = load_config_text(_text(_set(("op_names", "LUN_Status_Read_for_LUN1", "status"),
                                      {"mode": "lun", "lun": 7})), source="w.yaml")
    (w,) = [w for w in cfg.warnings if w.code == "never_issued"]
    assert w.path == "op_names.LUN_Status_Read_for_LUN1" and "LUN 7" in w.message and w.line
    assert not [w for w in load_config(PROJECT_CONFIG).warnings if w.code == "never_issued"]


def test_unknown_and_unused_keys_of_fixed_sections_warn():
    def change(data):
        data["topology"]["die"] = 2
        data.setdefault("constraints", {})["enable_epr"] = False
        data["bootstrap"]["thresholds"]["erase_volum"] = 3
    cfg = load_config_text(_text(change), source="w.yaml")
    got = {(w.code, w.path) for w in cfg.warnings}
    assert ("unknown_key", "topology.die") in got
    assert ("not_used", "constraints.enable_epr") in got
    assert ("unknown_key", "bootstrap.thresholds.erase_volum") in got
