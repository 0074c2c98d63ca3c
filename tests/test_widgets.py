"""The control panel: controls -> config/seed/weights -> run -> plots in the
Output; every error ends up in the panel, never raised from a callback."""
from __future__ import annotations

import pytest
from helpers import PROJECT_CONFIG, SMALL

from nandseqgen.config import with_changes
from nandseqgen.simulation import Simulation
from nandseqgen.widgets import ControlPanel, panel
from nandseqgen.widgets import render

KEY = "ERASE.CORE_BUSY"


@pytest.fixture
def small_cfg(project_cfg):
    return with_changes(project_cfg, SMALL)


@pytest.fixture
def p(small_cfg):
    return panel(small_cfg, seed=3, run_until_us=5_000)


def _edit_two_weights(p, key=KEY):
    p.phase_key.value = key
    names = list(p.weight_inputs)
    for box in p.weight_inputs.values():
        box.value = 0.0
    p.weight_inputs[names[0]].value = 3.0
    p.weight_inputs[names[1]].value = 1.0
    return names


def _output_types(p):
    return [o["output_type"] for o in p.output.outputs]


def test_panel_from_a_path_shows_the_config_values():
    p = panel(PROJECT_CONFIG, seed=11)
    pol = p.cfg.policies
    assert isinstance(p, ControlPanel)
    assert p.controls["admission_window"].value == pol.admission_window / 100
    assert p.controls["sequence_gap"].value == pol.sequence_gap / 100
    assert p.controls["queue_refill_period_us"].value == pol.queue_refill_period / 100
    assert p.controls["maxplanes"].value == pol.maxplanes
    assert p.controls["seed"].value == 11
    assert all(not c.continuous_update for k, c in p.controls.items() if k != "bootstrap")
    assert list(p.phase_key.options) == sorted(p.cfg.phase_keys())
    assert "application/vnd.jupyter.widget-view+json" in p._repr_mimebundle_()


def test_weight_editor_shows_the_selected_key(p, small_cfg):
    from nandseqgen.config.phase import build_phase_table

    p.phase_key.value = KEY
    row = build_phase_table(small_cfg, 3)[KEY]
    assert list(p.weight_inputs) == list(row)
    assert [b.value for b in p.weight_inputs.values()] == [round(v, 6) for v in row.values()]


def test_apply_weights_normalises_and_keeps_zeroed_names_editable(p):
    names = _edit_two_weights(p)
    row = p.apply_weights()
    assert row == {names[0]: 0.75, names[1]: 0.25}
    assert p.weights == {KEY: row}
    assert list(p.weight_inputs) == names  # the zeroed names stay in the editor
    assert p.weight_inputs[names[0]].value == 0.75 and p.weight_inputs[names[2]].value == 0.0
    p.reset_weights()
    assert p.weights == {} and p.weight_inputs[names[2]].value > 0


def test_run_button_uses_the_new_policy_seed_and_weights(p):
    p.controls["maxplanes"].value = 2
    p.controls["admission_window"].value = 2.5
    p.controls["seed"].value = 9
    p.controls["run_until"].value = 4_000
    p.plots.value = ("gantt", "rollbacks", "input_time")
    names = _edit_two_weights(p)
    p.apply_button.click()
    p.run_button.click()
    assert p.error is None, p.output.outputs
    r = p.result
    assert r.config.policies.maxplanes == 2
    assert r.config.policies.admission_window == 250  # ticks
    assert r.seed == 9
    assert r.phase_table[KEY] == {names[0]: 0.75, names[1]: 0.25}
    same = Simulation(r.config, seed=9, phase_table=r.phase_table).run(4_000)
    assert r.sequence.equals(same.sequence)  # the run lasted run_until = 4,000 us
    assert _output_types(p) == ["stream", "display_data", "display_data", "display_data"]
    assert all("image/png" in o["data"] for o in p.output.outputs[1:])
    assert "ops in the sequence" in p.status.value and "error" not in p.status.value
    assert not p.run_button.disabled and p.run_button.description == "Run"
    # the applied row is what the proposer sampled from in that key
    used = r.input_time[r.input_time["op_state"] == KEY]["op_name"].unique()
    assert set(used) <= {names[0], names[1]}


def test_run_without_edits_equals_a_plain_simulation(p, small_cfg):
    r = p.run()
    plain = Simulation(small_cfg, seed=3).run(5_000)
    assert r.sequence.equals(plain.sequence)


@pytest.mark.parametrize("control, value, message", [
    ("admission_window", -1.0, "admission_window (us): "),
    ("maxplanes", 0, "maxplanes: "),
    ("run_until", 0.0, "run_until (us): must be a positive"),
    ("seed", -4, "seed: must be &gt;= 0"),
])
def test_a_bad_value_names_its_control_and_keeps_the_plots(p, control, value, message):
    p.run_button.click()
    good, plots = p.result, p.output.outputs
    p.controls[control].value = value  # the seed observer reports too, without raising
    p.run_button.click()  # must not raise
    assert message in p.status.value and "error" in p.status.value
    assert "config.yaml" not in p.status.value and "warning" not in p.messages.value
    assert "last good run" in p.status.value
    assert p.result is good  # the last good result is kept
    assert p.output.outputs == plots  # and its plots
    assert p.controls[control].layout.border and "solid" in p.controls[control].layout.border
    assert not any(c.layout.border for k, c in p.controls.items() if k != control)
    assert p.error is not None
    assert not p.run_button.disabled


def test_fixing_the_value_clears_the_error(p):
    p.controls["admission_window"].value = -1.0
    p.run_button.click()
    assert p.controls["admission_window"].layout.border
    p.controls["admission_window"].value = 2.0
    p.run_button.click()
    assert p.error is None and not p.controls["admission_window"].layout.border
    assert "error" not in p.messages.value and "ops in the sequence" in p.status.value


def test_config_warnings_are_shown_by_control(p):
    import dataclasses

    from nandseqgen.config.diagnostics import Diagnostic

    warn = Diagnostic("warning", "capped", "policies.maxplanes", 999, 3, "more than the planes",
                      "config.yaml")
    other = Diagnostic("warning", "state_alias", "op_bases.ERASE", "x", 9, "an alias")
    p.show_warnings(dataclasses.replace(p.cfg, warnings=(warn, other)))
    text = p.messages.value
    assert "warning: maxplanes: more than the planes (value: 999)" in text
    assert "warning: op_bases.ERASE: an alias" in text
    p.run_button.click()  # the run's config: its own warnings only
    assert ("warning" in p.messages.value) == bool(p.result.config.warnings)


def test_a_bad_weight_names_the_weight_and_keeps_the_old_weights(p):
    names = _edit_two_weights(p)
    p.apply_button.click()
    before = dict(p.weights)
    p.weight_inputs[names[0]].value = -1.0
    p.apply_button.click()
    assert f"weight {names[0]} of {KEY}: weights must be finite and &gt;= 0" in p.status.value
    assert p.weight_inputs[names[0]].layout.border
    assert p.weights == before
    for box in p.weight_inputs.values():
        box.value = 0.0
    p.apply_button.click()
    assert "at least one weight must be &gt; 0" in p.status.value


def test_an_unexpected_error_shows_its_traceback(p, monkeypatch):
    def broken(result, name):
        raise RuntimeError("plot exploded")

    monkeypatch.setattr(render, "figure", broken)
    p.run_button.click()
    assert "plot exploded" in p.status.value
    text = p.messages.value
    assert "Traceback" in text and "RuntimeError: plot exploded" in text


def test_bootstrap_checkbox_and_plot(p):
    p.controls["bootstrap"].value = True
    p.plots.value = ("bootstrap",)
    p.run_button.click()
    assert p.error is None
    assert len(p.result.bootstrap_progress) > 0
    assert _output_types(p) == ["stream", "display_data"]


def test_out_of_range_policies_warn_or_fail_by_control(p):
    p.controls["maxplanes"].value = 64  # more than the 4 planes: a config warning
    p.controls["admission_window"].value = 1e6  # 1 s: bounds nothing, a warning
    p.run_button.click()
    assert p.error is None
    text = p.messages.value
    assert "warning: maxplanes: larger than topology.planes" in text
    assert "warning: admission_window (us): an admission window over" in text
    p.controls["maxplanes"].value = 999  # over the limit: an error naming the control
    p.run_button.click()
    assert "error: maxplanes: expected an integer &lt;= 64" in p.status.value
    assert p.controls["maxplanes"].layout.border
