"""Config: YAML in, frozen typed objects out (SPEC 2 and 5.7)."""
from .diagnostics import ConfigError, Diagnostic, format_table
from .loader import check_config, load_config, load_config_text, with_changes
from .model import DEFAULT_KEY, END, Config, OpBase, OpSpec, Policies, StateSpec, Topology
from .roles import DEFAULT_ROLES, KINDS, Role
from .values import STATE_ALIASES, TICKS_PER_US, us_to_ticks

__all__ = [
    "ConfigError", "Diagnostic", "format_table", "check_config", "load_config",
    "load_config_text", "with_changes", "DEFAULT_KEY", "END", "Config", "OpBase", "OpSpec",
    "Policies", "StateSpec", "Topology", "DEFAULT_ROLES", "KINDS", "Role", "STATE_ALIASES",
    "TICKS_PER_US", "us_to_ticks",
]
