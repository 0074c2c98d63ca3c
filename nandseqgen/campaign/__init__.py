"""Campaigns: many sites (configs x override sets x policy variants x seeds),
each run, checked and measured, on a local process pool or a Dask cluster,
summed up in one table (docs/campaigns.md).

>>> result = Campaign.from_yaml("campaign.yaml").run(workers=2)   # doctest: +SKIP
>>> result.table                                                 # doctest: +SKIP
"""
from .coverage import CoverageFigures
from .manifest import MANIFEST, Manifest
from .results import CampaignResult
from .run import Campaign
from .site import SiteOutcome, run_site
from .spec import CampaignError, CampaignSpec, Site, expand, load_campaign, make_spec

__all__ = ["Campaign", "CampaignError", "CampaignResult", "CampaignSpec", "CoverageFigures",
           "MANIFEST", "Manifest", "Site", "SiteOutcome", "expand", "load_campaign",
           "make_spec", "run_site"]
