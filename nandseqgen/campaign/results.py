"""What a campaign returns: the campaign table, merged coverage, closure
(docs/campaigns.md). Compute only; the plots are in
:mod:`nandseqgen.plotting.campaign`."""
from __future__ import annotations

import os

import pandas as pd

from ..outputs.atomic import atomic_open
from .coverage import closure, merged_coverage, merged_site_report

TABLE = "campaign"  # <out>/campaign.parquet and campaign.csv
_FIRST = ["site", "config", "overrides", "variant", "seed", "status", "runs", "ops",
          "rollbacks"]
_LAST = ["coverage_ratio", "coverage_entropy", "wall_s", "out_dir", "reused", "error"]


def _rule_names() -> tuple:
    from ..checker import RULES
    return RULES


class CampaignResult:
    """``table``: one row per site, in grid order (see :meth:`build_table`);
    ``failed``: the rows of failed sites; ``reused``: names of the sites a
    re-run found finished and skipped."""

    def __init__(self, spec, sites: list, manifest, reused=()):
        self.spec = spec
        self.sites = sites
        self.manifest = manifest
        self.reused = list(reused)
        self.table = self.build_table()
        self.paths: dict = {}  # {format: path} of the written table (see write)

    def _row(self, site) -> dict:
        entry = self.manifest.sites.get(site.name)
        base = {"site": site.name, "config": site.config, "overrides": ";".join(site.overrides),
                "variant": site.variant, "seed": site.seed, "out_dir": site.out_dir,
                "reused": site.name in self.reused}
        if entry is None:
            return {**base, "status": "pending"}
        row = dict(entry["row"])
        flat = {f"rollbacks_{k}": v for k, v in row.pop("rollbacks_by_reason", {}).items()}
        flat.update({f"violations_{k}": v for k, v in row.pop("violations_by_rule", {}).items()})
        return {**row, **flat, **base, "status": entry["status"], "wall_s": entry["wall_s"],
                "error": entry["error"]}

    def build_table(self) -> pd.DataFrame:
        """site, config, overrides, variant, seed, status, runs, ops, rollbacks,
        rollbacks_<reason>..., violations, violations_<rule>..., coverage_ratio,
        coverage_entropy, wall_s, out_dir, reused, error, coverage_filled,
        coverage_possible, coverage_unreachable, coverage_closed, input_time_bins
        (coverage figures: docs/coverage.md)."""
        df = pd.DataFrame([self._row(s) for s in self.sites])
        reasons = sorted(c for c in df.columns if c.startswith("rollbacks_"))
        rules = [f"violations_{r}" for r in _rule_names()]
        for col in _FIRST + reasons + ["violations"] + rules + _LAST:
            if col not in df.columns:
                df[col] = pd.NA
        counts = ["runs", "ops", "rollbacks", "violations"] + reasons + rules
        done = df["status"] == "done"
        df.loc[done, reasons] = df.loc[done, reasons].fillna(0)
        for col in counts:
            df[col] = df[col].astype("Int64")
        for col in ("coverage_ratio", "coverage_entropy", "wall_s", "coverage_closed"):
            if col not in df.columns:
                df[col] = pd.NA
            df[col] = pd.Series([float("nan") if pd.isna(v) else float(v) for v in df[col]],
                                index=df.index, dtype="float64")
        counts_extra = ["coverage_filled", "coverage_possible", "coverage_unreachable",
                        "input_time_bins"]
        extra = counts_extra[:3] + ["coverage_closed", "input_time_bins"]
        for col in counts_extra:
            if col not in df.columns:
                df[col] = pd.NA
            df[col] = df[col].astype("Int64")
        return df[_FIRST + reasons + ["violations"] + rules + _LAST + extra]

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "failed"]

    @property
    def done(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "done"]

    @property
    def ok(self) -> bool:
        """Every site finished and no violation anywhere."""
        return bool((self.table["status"] == "done").all()
                    and (self.table["violations"] == 0).all())

    def _done_sites(self) -> list:
        done = set(self.done["site"])
        return [s for s in self.sites if s.name in done]

    def coverage(self) -> tuple:
        """(observed cells summed over finished sites, CoverageFigures); the
        model of docs/coverage.md, site spaces united."""
        return merged_coverage(self._done_sites())

    def coverage_report(self):
        """The merged :class:`~nandseqgen.coverage.CoverageReport` of the
        finished sites (cells, by_key(), holes(), unreachable()...), or None
        when no site finished."""
        return merged_site_report(self._done_sites())

    def closure(self) -> pd.DataFrame:
        """Merged coverage after the first k finished sites, k = 1..n."""
        return closure(self._done_sites())

    def write(self, out: str | None = None) -> dict:
        """Write ``campaign.csv`` and, when pyarrow is installed (extra
        ``[parquet]``), ``campaign.parquet``; returns {format: path}."""
        out = out or self.spec.out
        paths = {"csv": os.path.join(out, f"{TABLE}.csv")}
        with atomic_open(paths["csv"], "w", newline="", encoding="utf-8") as fh:
            self.table.to_csv(fh, index=False, lineterminator="\n")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return paths
        paths["parquet"] = os.path.join(out, f"{TABLE}.parquet")
        with atomic_open(paths["parquet"], "wb") as fh:
            self.table.to_parquet(fh, index=False)
        return paths

    def summary(self) -> dict:
        """Counts for the command line."""
        t = self.table
        return {"out": self.spec.out, "sites": len(t), "done": int((t["status"] == "done").sum()),
                "failed": int((t["status"] == "failed").sum()), "reused": len(self.reused),
                "table": self.paths.get("parquet", self.paths.get("csv")),
                "ops": int(t["ops"].fillna(0).sum()),
                "violations": int(t["violations"].fillna(0).sum())}
