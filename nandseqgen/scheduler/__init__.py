"""Scheduler: time, events, atomic commits."""
from .metrics import Metrics
from .scheduler import Scheduler

__all__ = ["Scheduler", "Metrics"]
