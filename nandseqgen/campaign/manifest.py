"""The campaign manifest: ``<out>/campaign_manifest.jsonl`` (docs/campaigns.md).

An append-only journal: one JSON line per site that ended (done or failed),
appended and fsynced as soon as the site ends, so an interrupted campaign
keeps every finished site and a campaign of thousands of sites never
rewrites the whole file. On reading, the last line of a site wins; an
unreadable line (the process was killed while writing it) is skipped with a
warning, which at worst makes that site run again.

A site counts as finished on a re-run only when its entry says done, its
parameters' key is unchanged and every file in its folder still has the
recorded checksum; anything else is redone.
"""
from __future__ import annotations

import json
import logging
import os

from .site import SiteOutcome, checksums
from .spec import Site

log = logging.getLogger(__name__)

MANIFEST = "campaign_manifest.jsonl"
VERSION = 1


class Manifest:
    """Owner of the manifest file of one output root."""

    def __init__(self, out: str, sites: dict | None = None):
        self.out = out
        self.path = os.path.join(out, MANIFEST)
        self.sites: dict = sites or {}  # site name -> latest entry

    @classmethod
    def load(cls, out: str) -> "Manifest":
        path = os.path.join(out, MANIFEST)
        if not os.path.exists(path):
            return cls(out)
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        sites: dict = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                log.warning("%s:%d: unreadable manifest line skipped (%s)", path, number, exc)
                continue
            if entry.get("version") != VERSION:
                raise ValueError(f"{path}:{number}: manifest version "
                                 f"{entry.get('version')!r}, expected {VERSION}")
            sites[entry["site"]] = entry
        return cls(out, sites)

    def record(self, site: Site, key: str, outcome: SiteOutcome) -> None:
        """Append the site's entry and fsync it."""
        entry = {"version": VERSION, "site": site.name, "key": key, "status": outcome.status,
                 "out_dir": site.out_dir, "files": outcome.files, "row": outcome.row,
                 "wall_s": outcome.wall_s, "error": outcome.error}
        line = json.dumps(entry, sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            if fh.tell() and not self._ends_with_newline():
                fh.write("\n")  # after a torn line, start afresh on a line of our own
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.sites[site.name] = entry

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def is_finished(self, site: Site, key: str) -> bool:
        """Done with the same parameters, and its files intact."""
        entry = self.sites.get(site.name)
        if not entry or entry["status"] != "done" or entry["key"] != key:
            return False
        if not os.path.isdir(site.out_dir):
            return False
        return checksums(site.out_dir) == entry["files"]
