"""environment.yml (conda) and pyproject.toml list the same packages."""
from __future__ import annotations

import os
import re
import sys

import pytest
import yaml
from helpers import ROOT

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

ALLOWED_EXTRA = {"python", "pip"}  # conda-only entries; "-e ." is the pip line
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def _split(spec: str) -> tuple:
    """('name', 'version constraint'), name normalised (PEP 503)."""
    match = _SPEC.match(spec.split(";")[0])
    assert match, f"cannot parse requirement {spec!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower(), match.group(2).replace(" ", "")


def _pyproject() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        project = tomllib.load(fh)["project"]
    specs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    out: dict = {}
    for spec in specs:
        name, version = _split(spec)
        assert out.setdefault(name, version) == version, f"{name}: two versions in pyproject"
    return out


def _environment() -> tuple:
    with open(os.path.join(ROOT, "environment.yml"), encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    conda, pip = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip += item.get("pip", [])
        else:
            name, version = _split(str(item))
            conda[name] = version
    return conda, pip


def test_every_pyproject_package_is_in_environment_yml():
    conda, _pip = _environment()
    missing = sorted(set(_pyproject()) - set(conda))
    assert not missing, f"add to environment.yml: {missing}"


def test_environment_yml_has_nothing_pyproject_lacks():
    conda, pip = _environment()
    extra = sorted(set(conda) - set(_pyproject()) - ALLOWED_EXTRA)
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"
    assert pip == ["-e ."], f"the pip section should only install the project: {pip}"


def test_minimum_versions_agree():
    conda, _pip = _environment()
    differ = {n: (v, conda[n]) for n, v in _pyproject().items() if n in conda and v != conda[n]}
    assert not differ, f"pyproject vs environment.yml versions differ: {differ}"


def test_python_version_matches_requires_python():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        requires = tomllib.load(fh)["project"]["requires-python"].replace(" ", "")
    conda, _pip = _environment()
    assert conda["python"] == requires
