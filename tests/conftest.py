"""Shared fixtures: the shipped config, the fixed reference config."""
from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from helpers import PROJECT_CONFIG, fixed_reference_text  # noqa: E402

from nandseqgen.config import load_config, load_config_text  # noqa: E402

@pytest.fixture(scope="session")
def project_cfg():
    return load_config(PROJECT_CONFIG)


@pytest.fixture(scope="session")
def reference_cfg():
    return load_config_text(fixed_reference_text(), source="nandseqgen_v2_config.yaml")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")
