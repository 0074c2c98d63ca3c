"""AddressManager: address state, EPR rules, target sampling."""
from .manager import BAD, ERASED, UNERASED, AddressManager
from .rules import check_epr, check_group
from .sampling import sample

__all__ = ["AddressManager", "BAD", "ERASED", "UNERASED", "check_epr", "check_group", "sample"]
