"""What the panel tells its user: errors and warnings worded by the control
that is wrong (not by the config file), and the look of a control in error.

The panel's controls have labels ("admission_window (us)", "seed", "weight
Read_Status_70h of ERASE.CORE_BUSY"); a config error on ``policies.<key>`` is
reported against the control of ``<key>``.
"""
from __future__ import annotations

import html

from ..config import ConfigError

ERROR_COLOUR, WARNING_COLOUR, OK_COLOUR = "#b00020", "#8a5300", "#1b5e20"
BAD_BORDER = f"2px solid {ERROR_COLOUR}"


class ControlError(ValueError):
    """A bad value in one panel control; ``control`` is the control's key."""

    def __init__(self, control: str, label: str, message: str):
        self.control = control
        super().__init__(f"{label}: {message}")


def _policy_key(path: str, keys) -> str | None:
    """The policy control key of a config key path (``policies.maxplanes`` -> maxplanes)."""
    head, _, key = path.partition(".")
    return key if head == "policies" and key in keys else None


def diagnostic_lines(items, labels: dict) -> list:
    """(control key or None, text) per config diagnostic, naming the control
    by its label when the key path is one of the panel's policies."""
    out = []
    for d in items:
        key = _policy_key(d.path, labels)
        where = f"{labels[key]}" if key else d.path
        out.append((key, f"{where}: {d.message} (value: {d.value!r})"))
    return out


def error_lines(exc: BaseException, labels: dict) -> list:
    """(control key or None, text) lines describing ``exc``."""
    if isinstance(exc, ConfigError):
        return diagnostic_lines(exc.errors, labels)
    if isinstance(exc, ControlError):
        return [(exc.control, str(exc))]
    text = str(exc).strip() or type(exc).__name__
    return [(None, text)]


def html_lines(lines: list, colour: str, prefix: str) -> str:
    """Escaped, coloured lines (one ``<div>`` each)."""
    return "".join(f'<div style="color:{colour}">{prefix}{html.escape(text)}</div>'
                   for _key, text in lines)


def mark(controls: dict, bad) -> None:
    """Red border on the controls whose keys are in ``bad``; none on the others."""
    bad = set(bad)
    for key, control in controls.items():
        control.layout.border = BAD_BORDER if key in bad else None
