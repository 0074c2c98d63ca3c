"""The campaign manifest: ``<out>/campaign_manifest.json`` (docs/campaigns.md).

One entry per site that ended (done or failed), written atomically after
each site, so an interrupted campaign keeps every finished site. A site
counts as finished on a re-run only when its entry says done, its
parameters' key is unchanged and every file in its folder still has the
recorded checksum; anything else is redone.
"""
from __future__ import annotations

import json
import os

from ..outputs.atomic import atomic_open
from .site import SiteOutcome, checksums
from .spec import Site

MANIFEST = "campaign_manifest.json"
VERSION = 1


class Manifest:
    """Owner of the manifest file of one output root."""

    def __init__(self, out: str, sites: dict | None = None):
        self.out = out
        self.path = os.path.join(out, MANIFEST)
        self.sites: dict = sites or {}  # site name -> entry

    @classmethod
    def load(cls, out: str) -> "Manifest":
        path = os.path.join(out, MANIFEST)
        if not os.path.exists(path):
            return cls(out)
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: unreadable campaign manifest ({exc}); "
                             "move it away to start the campaign afresh") from exc
        if doc.get("version") != VERSION:
            raise ValueError(f"{path}: manifest version {doc.get('version')!r}, "
                             f"expected {VERSION}")
        return cls(out, doc.get("sites", {}))

    def save(self) -> None:
        doc = {"version": VERSION, "sites": dict(sorted(self.sites.items()))}
        with atomic_open(self.path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
            fh.write("\n")

    def record(self, site: Site, key: str, outcome: SiteOutcome) -> None:
        self.sites[site.name] = {
            "key": key, "status": outcome.status, "out_dir": site.out_dir,
            "files": outcome.files, "row": outcome.row, "wall_s": outcome.wall_s,
            "error": outcome.error}

    def is_finished(self, site: Site, key: str) -> bool:
        """Done with the same parameters, and its files intact."""
        entry = self.sites.get(site.name)
        if not entry or entry["status"] != "done" or entry["key"] != key:
            return False
        if not os.path.isdir(site.out_dir):
            return False
        return checksums(site.out_dir) == entry["files"]
