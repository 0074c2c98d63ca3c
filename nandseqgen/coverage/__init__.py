"""Coverage closure: the cell space a config allows, counts, reports, and the
coverage-directed policy (docs/coverage.md)."""
from .counts import counts_of, merge_counts
from .directed import DirectedSteer
from .metrics import Closure, closure, entropy
from .space import CoverageSpace, build_space
from .variants import flat_mix

__all__ = ["CoverageSpace", "build_space", "DirectedSteer", "Closure", "closure", "entropy",
           "counts_of", "merge_counts", "flat_mix"]
