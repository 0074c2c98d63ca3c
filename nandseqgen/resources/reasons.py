"""The one registry of rollback reasons (``docs/rules.md`` maps each to its
rule in ``docs/semantics.md``, the engine function and the checker rule).

A refused proposal records exactly one of these in ``rollbacks.csv`` /
``metrics.rollbacks``; tests check that nothing else is ever recorded.
"""
from __future__ import annotations

from typing import Literal, get_args

Reason = Literal[
    # resources (resources/manager.py, checks.py, suspend.py)
    "window",  # no feasible start inside the admission window
    "bus",  # rule 4
    "planescope",  # rule 5 (plane occupied; instant ops: state-changing op on a busy plane)
    "exclusion_multi",  # rule 6 (die multiplicity)
    "state_forbid",  # rule 7 (op-state exclusions)
    "latch",  # rule 8
    "cache",  # rule 9
    "suspend",  # rule 10 (suspend state, suspend/resume order)
    "odt",  # rule 11
    "no_candidate",  # nothing allowed to propose here, no target, or a follow-up impossible
    # address (address/rules.py: rules 2, 3, 16)
    "epr:multiplane_order", "epr:block_plane", "epr:multiplane_row", "epr:no_target",
    "epr:page_range", "epr:bad_block", "epr:suspended_block", "epr:program_before_erase",
    "epr:celltype", "epr:program_order", "epr:program_same_page", "epr:erase_aborted",
    "epr:program_aborted", "epr:recovery_page", "epr:read_unprogrammed",
]

REASONS: tuple[str, ...] = get_args(Reason)
EPR_REASONS = frozenset(r for r in REASONS if r.startswith("epr:"))
#: The proposer tries its next candidate after these (the op, not the moment, was wrong).
RETRY_REASONS = frozenset({"no_candidate"} | EPR_REASONS)


def is_reason(value: str) -> bool:
    return value in REASONS
