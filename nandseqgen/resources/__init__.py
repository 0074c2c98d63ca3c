"""ResourceManager: reservations, transactions, timelines and states."""
from .manager import ResourceManager, SpecInfo
from .txn import Txn

__all__ = ["ResourceManager", "SpecInfo", "Txn"]
