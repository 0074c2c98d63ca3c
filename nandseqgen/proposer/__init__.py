"""Proposer: phase-conditional sampling, targets, follow-ups, preflight."""
from .proposer import Proposal, Proposer
from .table import PhaseSampler

__all__ = ["Proposer", "Proposal", "PhaseSampler"]
