"""The campaign driver: :class:`Campaign` (docs/campaigns.md).

>>> camp = Campaign(configs=["config.yaml"], seeds=range(1, 9), out="camp",
...                 run_until_us=100_000)                      # doctest: +SKIP
>>> result = camp.run(workers=2)                               # doctest: +SKIP
>>> result.table, result.coverage()                            # doctest: +SKIP
"""
from __future__ import annotations

import logging
import os

from .execute import dask_outcomes, pool_outcomes
from .manifest import Manifest
from .results import CampaignResult
from .spec import CampaignSpec, expand, load_campaign, make_spec

log = logging.getLogger(__name__)


class Campaign:
    """A grid of sites (see :func:`~nandseqgen.campaign.spec.make_spec` for
    the arguments) and the way to run it."""

    def __init__(self, *, configs, seeds, out, overrides=None, policy_variants=None,
                 run_until_us: float = 100_000.0, num_runs: int = 1, date: str = "000000",
                 strict: bool = False, spec: CampaignSpec | None = None):
        self.spec = spec or make_spec(configs=configs, seeds=seeds, out=out,
                                      overrides=overrides, policy_variants=policy_variants,
                                      run_until_us=run_until_us, num_runs=num_runs, date=date,
                                      strict=strict)

    @classmethod
    def from_yaml(cls, path: str, *, out: str | None = None,
                  date: str | None = None) -> "Campaign":
        """A campaign file; ``out`` / ``date`` override the file's."""
        spec = load_campaign(path, out=out, date=date)
        return cls(configs=None, seeds=None, out=None, spec=spec)

    def sites(self) -> list:
        return expand(self.spec)

    def run(self, *, workers: int | None = None, client=None, scheduler: str | None = None,
            progress: bool = True, clock=None) -> CampaignResult:
        """Run every site not already finished; returns the campaign table.

        Local process pool of ``workers`` processes by default; a Dask
        ``client`` or ``scheduler`` address sends the sites to that cluster.
        ``clock`` (e.g. ``time.perf_counter``) adds wall times.
        """
        sites = self.sites()
        os.makedirs(self.spec.out, exist_ok=True)
        manifest = Manifest.load(self.spec.out)
        keys = {s.name: s.key() for s in sites}
        todo = [s for s in sites if not manifest.is_finished(s, keys[s.name])]
        todo_names = {s.name for s in todo}
        reused = [s.name for s in sites if s.name not in todo_names]
        log.info("campaign %s: %d sites, %d already finished", self.spec.out, len(sites),
                 len(reused))
        if client is not None or scheduler:
            outcomes = dask_outcomes(todo, client=client, scheduler=scheduler, clock=clock)
        else:
            outcomes = pool_outcomes(todo, workers=workers, clock=clock)
        by_name = {s.name: s for s in todo}
        with _bar(len(sites), len(reused), progress) as bar:
            for outcome in outcomes:  # Ctrl-C here: the manifest keeps finished sites
                site = by_name[outcome.name]
                manifest.record(site, keys[site.name], outcome)
                if outcome.status == "failed":
                    log.warning("%s failed: %s", site.name,
                                (outcome.error or "?").splitlines()[0])
                bar.update(1)
        result = CampaignResult(self.spec, sites, manifest, reused=reused)
        result.paths = result.write()
        return result


def _bar(total: int, done: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=done, disable=not enabled, desc="sites", unit="site")
