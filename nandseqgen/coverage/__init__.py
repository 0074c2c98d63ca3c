"""Coverage closure: the cell space a config allows, counts, reports, and the
coverage-directed policy (docs/coverage.md)."""
import os

from .counts import counts_of, merge_counts
from .curve import closure_curve
from .directed import DirectedSteer
from .metrics import Closure, closure, entropy
from .report import (CoverageReport, coverage_report, merge_spaces, merged_report,
                     report_from_outputs)
from .space import CoverageSpace, build_space
from .variants import flat_mix

#: ``policies.coverage_directed.enabled: true`` as an override file (``run --directed``)
DIRECTED_OVERRIDE = os.path.join(os.path.dirname(__file__), "directed_on.yaml")

__all__ = ["DIRECTED_OVERRIDE", "CoverageSpace", "build_space", "DirectedSteer", "Closure", "closure", "entropy",
           "counts_of", "merge_counts", "flat_mix", "CoverageReport", "coverage_report",
           "merge_spaces", "merged_report", "report_from_outputs", "closure_curve"]
