"""The control panel: explicit ipywidgets controls for policies, seed, run
length and phase-table weights; a Run button; plots in an ``Output`` widget.

The logic lives in plain methods that tests call directly (:meth:`config`,
:meth:`apply_weights`, :meth:`run`, :meth:`show`); the ``_on_*`` callbacks only
wire buttons to them and turn every exception into a message in the panel.
"""
from __future__ import annotations

import html
import logging
import math
import os
import time

import ipywidgets as w

from ..config import Config, ConfigError, load_config, with_changes
from ..config.phase import build_phase_table
from ..simulation import Simulation
from . import render

log = logging.getLogger(__name__)

# policy key (as written in a config) -> (widget class, shown in microseconds)
POLICIES = {
    "admission_window": (w.FloatText, True),
    "sequence_gap": (w.FloatText, True),
    "maxplanes": (w.IntText, False),
    "queue_refill_period_us": (w.FloatText, True),
}
_EXPECTED = (ConfigError, ValueError, TypeError)  # shown without a traceback
_LABEL = {"description_width": "170px"}
_WEIGHT_LABEL = {"description_width": "300px"}


def _text(cls, value, description: str, **kw):
    return cls(value=value, description=description, continuous_update=False,
               style=_LABEL, layout=w.Layout(width="300px"), **kw)


class ControlPanel:
    """Re-run a config with other policies, seed, length and weights; see plots.

    ``controls``: the policy, ``seed``, ``run_until`` and ``bootstrap``
    widgets by name; ``directed`` / ``strength``: coverage-directed toggle and
    strength (docs/coverage.md); ``phase_key``: the Dropdown of phase keys;
    ``weight_inputs``: {op_name: FloatText} for the selected key;
    ``weights``: the applied (normalised) rows, {phase_key: {op_name: p}};
    ``result``: the last successful RunResult; ``error``: the last error
    (None after a success); ``widget``: the whole panel (displaying the
    ControlPanel displays it).
    """

    def __init__(self, cfg: Config, seed: int = 42, *, run_until_us: float = 100_000,
                 plots=render.DEFAULT_PLOTS, clock=None):
        self.cfg = cfg
        self.clock = clock  # e.g. time.perf_counter: the status line shows the run's wall time
        self.weights: dict = {}
        self.result = None
        self.error: BaseException | None = None
        self.controls = self._make_controls(seed, run_until_us)
        self._make_directed()
        self.plots = w.SelectMultiple(options=list(render.PLOTS), value=tuple(plots),
                                      description="plots", rows=len(render.PLOTS), style=_LABEL)
        self.phase_key = w.Dropdown(options=sorted(self._base_table(seed)), description="phase key",
                                    style={"description_width": "80px"},
                                    layout=w.Layout(width="440px"))
        self.weight_box = w.VBox(layout=w.Layout(max_height="280px", overflow="auto",
                                                 width="460px"))
        self.weight_inputs: dict = {}
        self.apply_button = w.Button(description="Apply", tooltip="normalise and keep these weights")
        self.reset_button = w.Button(description="Reset key", tooltip="back to the config's row")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.status = w.HTML()
        self.output = w.Output(layout=w.Layout(border="1px solid #ddd", min_height="60px"))
        self.widget = self._layout()
        self._wire()
        self.show_weights()

    # ------------------------------------------------------------ building
    def _make_controls(self, seed: int, run_until_us: float) -> dict:
        pol = self.cfg.policies.in_config_units()
        controls = {}
        for key, (cls, in_us) in POLICIES.items():
            label = key if key.endswith("_us") or not in_us else key + " (us)"
            controls[key] = _text(cls, pol[key], label)
        controls["seed"] = _text(w.IntText, int(seed), "seed")
        controls["run_until"] = _text(w.FloatText, float(run_until_us), "run_until (us)")
        controls["bootstrap"] = w.Checkbox(value=bool(self.cfg.bootstrap.enabled),
                                           description="bootstrap", indent=False)
        return controls

    def _make_directed(self) -> None:
        """``directed`` toggle and ``strength`` slider: policies.coverage_directed."""
        knobs = self.cfg.policies.coverage_directed  # docs/coverage.md
        self.directed = w.Checkbox(value=knobs.enabled, description="coverage-directed",
                                   indent=False)
        self.strength = w.FloatSlider(value=knobs.strength, min=0.0, max=4.0, step=0.25,
                                      description="directed strength", style=_LABEL,
                                      continuous_update=False)

    def _layout(self) -> w.VBox:
        c = self.controls
        left = w.VBox([w.HTML("<b>policies</b>")] + [c[k] for k in POLICIES])
        middle = w.VBox([w.HTML("<b>run</b>"), c["seed"], c["run_until"], c["bootstrap"],
                         self.directed, self.strength, self.plots])
        right = w.VBox([w.HTML("<b>phase_conditional weights</b>"), self.phase_key,
                        self.weight_box, w.HBox([self.apply_button, self.reset_button])])
        return w.VBox([w.HBox([left, middle, right]), w.HBox([self.run_button, self.status]),
                       self.output])

    def _wire(self) -> None:
        self.phase_key.observe(lambda _change: self._guard(self.show_weights), names="value")
        self.controls["seed"].observe(lambda _change: self._guard(self.show_weights),
                                      names="value")
        self.apply_button.on_click(lambda _b: self._guard(self._on_apply))
        self.reset_button.on_click(lambda _b: self._guard(self._on_reset))
        self.run_button.on_click(lambda _b: self._guard(self._on_run))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --------------------------------------------------------------- logic
    def _seed(self) -> int:
        seed = self.controls["seed"].value
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        return int(seed)

    def _base_table(self, seed: int, cfg: Config | None = None) -> dict:
        return build_phase_table(cfg or self.cfg, seed)

    def policy_changes(self) -> dict:
        """{"policies": {...}} from the policy controls (config units: us)."""
        pol = {key: self.controls[key].value for key in POLICIES}
        knobs = self.cfg.policies.coverage_directed
        if (self.directed.value, self.strength.value) != (knobs.enabled, knobs.strength):
            pol["coverage_directed"] = {"enabled": self.directed.value,
                                        "strength": self.strength.value}
        return {"policies": pol}

    def config(self) -> Config:
        """A new Config with the controls' policies (raises ConfigError on bad values)."""
        return with_changes(self.cfg, self.policy_changes())

    def row(self, key: str | None = None) -> dict:
        """The weights of ``key`` (default: the selected key) the next run uses."""
        key = key or self.phase_key.value
        if key in self.weights:
            return dict(self.weights[key])
        return dict(self._base_table(self._seed()).get(key, {}))

    def apply_weights(self) -> dict:
        """Normalise the selected key's edited weights and keep them for the next runs.

        Raises ValueError when a weight is negative or not finite, or all are 0.
        """
        key = self.phase_key.value
        raw = {name: float(box.value) for name, box in self.weight_inputs.items()}
        bad = {n: v for n, v in raw.items() if not math.isfinite(v) or v < 0}
        if bad:
            raise ValueError(f"{key}: weights must be finite and >= 0, got {bad}")
        total = sum(raw.values())
        if total <= 0:
            raise ValueError(f"{key}: at least one weight must be > 0")
        row = {n: v / total for n, v in raw.items() if v > 0}
        self.weights[key] = row
        self.show_weights()
        return row

    def reset_weights(self, key: str | None = None) -> None:
        """Forget the edits of ``key`` (default: the selected key)."""
        self.weights.pop(key or self.phase_key.value, None)
        self.show_weights()

    def phase_table(self, cfg: Config, seed: int) -> dict | None:
        """The run's phase table: the config's, with the applied rows; None without edits."""
        if not self.weights:
            return None
        table = {k: dict(v) for k, v in self._base_table(seed, cfg).items()}
        table.update({k: dict(v) for k, v in self.weights.items()})
        return table

    def run(self):
        """Run the simulation the controls describe; returns (and keeps) the RunResult."""
        cfg, seed = self.config(), self._seed()
        until = float(self.controls["run_until"].value)
        if not until > 0 or not math.isfinite(until):
            raise ValueError(f"run_until must be a positive number of us, got {until}")
        sim = Simulation(cfg, seed=seed, phase_table=self.phase_table(cfg, seed),
                         bootstrap=self.controls["bootstrap"].value)
        self.result = sim.run(until)
        return self.result

    # ------------------------------------------------------------ display
    def show_weights(self) -> None:
        """Fill the weight editor with the selected key's row (the config's op
        names of that key, 0 for the ones an applied edit removed)."""
        key = self.phase_key.value
        base = self._base_table(self._seed()).get(key, {})
        edited = self.weights.get(key)
        row = {n: (edited.get(n, 0.0) if edited is not None else p) for n, p in base.items()}
        row.update(edited or {})
        self.weight_inputs = {name: w.FloatText(value=round(p, 6), description=name, step=0.01,
                                                continuous_update=False, style=_WEIGHT_LABEL,
                                                layout=w.Layout(width="430px"))
                              for name, p in row.items()}
        note = " (edited)" if edited is not None else ""
        self.weight_box.children = [w.HTML(f"{len(row)} op names{note}")] + list(
            self.weight_inputs.values())

    def show(self, result, elapsed: float | None = None) -> None:
        """Replace the Output's content with ``result``'s plots."""
        self.output.outputs = render.run_outputs(result, self.plots.value)
        took = f" in {elapsed:.2f} s" if elapsed is not None else ""
        self.set_status(f"ran{took}: {render.summary(result)}")

    def show_error(self, exc: BaseException) -> None:
        """Put ``exc`` in the status line and the Output (never lost, never raised)."""
        self.error = exc
        expected = isinstance(exc, _EXPECTED)
        self.output.outputs = render.error_outputs(exc, with_traceback=not expected)
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        last = lines[-1].strip()
        last = last[len("error:"):].strip() if last.startswith("error:") else last
        more = f" (+{len(lines) - 2} more, see below)" if len(lines) > 2 else ""
        self.set_status(f"error: {last}{more}", error=True)
        log.log(logging.INFO if expected else logging.ERROR, "panel error", exc_info=exc)

    def set_status(self, text: str, error: bool = False) -> None:
        color = "#b00020" if error else "#1b5e20"
        self.status.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    # ----------------------------------------------------------- callbacks
    def _guard(self, action) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - every error goes to the panel
            self.show_error(exc)

    def _on_apply(self) -> None:
        row = self.apply_weights()
        self.set_status(f"{self.phase_key.value}: {len(row)} weights normalised; used by the "
                        f"next run")

    def _on_reset(self) -> None:
        self.reset_weights()
        self.set_status(f"{self.phase_key.value}: back to the config's weights")

    def _on_run(self) -> None:
        self.run_button.disabled, self.run_button.description = True, "Running..."
        self.set_status("running...")
        try:
            start = self.clock() if self.clock else None
            result = self.run()
            self.error = None
            self.show(result, self.clock() - start if self.clock else None)
        finally:
            self.run_button.disabled, self.run_button.description = False, "Run"


def panel(config_path_or_cfg, seed: int = 42, **kwargs) -> ControlPanel:
    """A :class:`ControlPanel` for a config file path or a loaded Config.

    Extra keywords go to ControlPanel (``run_until_us``, ``plots``, ``clock``;
    the clock defaults to ``time.perf_counter``, for the wall time in the
    status line: this is the user-facing entry point, like the CLI).
    """
    cfg = config_path_or_cfg
    if not isinstance(cfg, Config):
        cfg = load_config(os.fspath(cfg))
    kwargs.setdefault("clock", time.perf_counter)
    return ControlPanel(cfg, seed, **kwargs)
