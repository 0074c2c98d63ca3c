"""Config errors and warnings: collected, never raised one at a time."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .yamlio import Path, YamlDoc, path_str

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    code: str  # short machine-readable kind, e.g. "not_a_number"
    path: str  # dotted key path
    value: Any
    line: int | None
    message: str
    source: str = ""

    def format(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        if not self.path:  # a whole-file problem: one line naming the file
            return f"{self.severity}: {where}: {self.message}"
        return f"{self.severity}: {where}: {self.path}: {self.message} (value: {_short(self.value)})"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ConfigError(ValueError):
    """Raised once per load with every error found (and the warnings)."""

    def __init__(self, errors: list, warnings: list | None = None):
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        lines = [f"{len(self.errors)} config error(s):"]
        lines += ["  " + d.format() for d in self.errors]
        super().__init__("\n".join(lines))

    def __reduce__(self):  # crosses process boundaries (run --sites) intact
        return (type(self), (self.errors, self.warnings))


@dataclass
class Diagnostics:
    """Collector handed to every build step."""

    doc: YamlDoc
    items: list = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def _add(self, severity: str, code: str, path: Path, value: Any, message: str) -> None:
        key = (severity, code, tuple(path), message)
        if key in self._seen:  # each problem listed once
            return
        self._seen.add(key)
        self.items.append(
            Diagnostic(severity, code, path_str(path), value, self.doc.line(path), message,
                       self.doc.source_of(path))
        )

    def error(self, code: str, path: Path, value: Any, message: str) -> None:
        self._add(ERROR, code, path, value, message)

    def warn(self, code: str, path: Path, value: Any, message: str) -> None:
        self._add(WARNING, code, path, value, message)

    @property
    def errors(self) -> list:
        return [d for d in self.items if d.severity == ERROR]

    @property
    def warnings(self) -> list:
        return [d for d in self.items if d.severity == WARNING]


def format_table(items: list) -> str:
    """Fixed-width table of diagnostics for the CLI."""
    if not items:
        return "no errors, no warnings"
    rows = [("severity", "where", "code", "path", "value", "message")]
    for d in items:
        value = repr(d.value)
        if len(value) > 30:
            value = value[:27] + "..."
        where = f"{os.path.basename(d.source)}:{d.line or ''}"
        rows.append((d.severity, where, d.code, d.path, value, d.message))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for r in rows:
        out.append("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5])
    return "\n".join(out)
