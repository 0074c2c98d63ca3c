"""The package ships py.typed and is mypy clean (configuration in pyproject.toml)."""
from __future__ import annotations

import os
import subprocess
import sys

from helpers import ROOT


def test_py_typed_is_shipped():
    assert os.path.isfile(os.path.join(ROOT, "nandseqgen", "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as fh:
        assert 'nandseqgen = ["py.typed"' in fh.read()


def test_mypy_is_clean_on_the_package():
    out = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir=/dev/null"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Success: no issues found" in out.stdout
