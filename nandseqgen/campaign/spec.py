"""What a campaign is: a grid of configs x override sets x policy variants x
seeds, a run length and an output root (docs/campaigns.md).

:func:`expand` turns a :class:`CampaignSpec` into its :class:`Site` list, in a
fixed order (config, overrides, variant, seed), so site names are stable.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import NamedTuple

import yaml

#: Files of a finished site folder besides the run tables (docs/campaigns.md).
SITE_JSON = "site.json"
VIOLATIONS = "violations.csv"
PHASE_TABLE = "op_state_probs.yaml"

#: Keys a campaign file may have (anything else is an error naming the key).
KEYS = ("configs", "overrides", "seeds", "policy_variants", "run_until_us", "num_runs",
        "out", "date", "strict")


class CampaignError(ValueError):
    """A bad campaign file or call; the message names the file and key."""


class Site(NamedTuple):
    """One cell of the grid: everything a worker needs to run it."""

    name: str  # site_NNNN, 1-based in grid order
    config: str  # config file path
    overrides: tuple  # override file paths, deep-merged in order
    variant: str  # policy variant name ("" = config as written)
    policies: tuple  # ((policies key, value), ...) merged into ``policies``
    seed: int
    run_until_us: float
    num_runs: int
    date: str  # yymmdd in file names
    strict: bool
    out_dir: str

    def key(self) -> str:
        """A digest of every parameter that shapes the site's files (the
        manifest compares it to decide whether a finished site still counts)."""
        fields = self._asdict()
        fields.pop("out_dir")
        fields["config_sha"] = _file_sha(self.config)
        fields["overrides_sha"] = [_file_sha(p) for p in self.overrides]
        text = json.dumps(fields, sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _file_sha(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None  # the site itself will fail and report the missing file


@dataclass(frozen=True)
class CampaignSpec:
    """The grid. ``overrides``: each entry is one override set (a tuple of
    files, possibly empty). ``policy_variants``: name -> {policies key: value}
    (an empty dict is the config as written)."""

    configs: tuple
    seeds: tuple
    out: str
    run_until_us: float = 100_000.0
    overrides: tuple = ((),)
    policy_variants: dict = field(default_factory=lambda: {"": {}})
    num_runs: int = 1
    date: str = "000000"
    strict: bool = False

    def sites(self) -> list:
        return expand(self)


def expand(spec: CampaignSpec) -> list:
    """Every site of the grid, in order config, overrides, variant, seed."""
    sites: list[Site] = []
    for config in spec.configs:
        for ovr in spec.overrides:
            for variant, policies in spec.policy_variants.items():
                for seed in spec.seeds:
                    name = f"site_{len(sites) + 1:04d}"
                    sites.append(Site(name, config, tuple(ovr), variant,
                                      tuple(sorted(policies.items())), int(seed),
                                      float(spec.run_until_us), int(spec.num_runs), spec.date,
                                      bool(spec.strict), os.path.join(spec.out, name)))
    return sites


def make_spec(*, configs, seeds, out, overrides=None, policy_variants=None,
              run_until_us: float = 100_000.0, num_runs: int = 1, date: str = "000000",
              strict: bool = False, where: str = "campaign") -> CampaignSpec:
    """Validate and normalise the Python-call form (``where`` names the source
    in error messages)."""
    configs = _as_list(configs, f"{where}: configs")
    if not configs:
        raise CampaignError(f"{where}: configs: at least one config file is needed")
    return CampaignSpec(
        configs=tuple(os.fspath(c) for c in configs),
        seeds=_seeds(seeds, f"{where}: seeds"),
        out=os.fspath(out),
        run_until_us=_positive(run_until_us, f"{where}: run_until_us"),
        overrides=_override_sets(overrides, f"{where}: overrides"),
        policy_variants=_variants(policy_variants, f"{where}: policy_variants"),
        num_runs=int(_positive(num_runs, f"{where}: num_runs")),
        date=_date(date, f"{where}: date"), strict=bool(strict))


def _date(value, where: str) -> str:
    text = str(value)
    if not (text.isdigit() and len(text) == 6):
        raise CampaignError(f"{where}: expected yymmdd (6 digits, quoted in YAML), got {value!r}")
    return text


def load_campaign(path: str, *, out: str | None = None, date: str | None = None) -> CampaignSpec:
    """Read a campaign YAML file. Relative paths are relative to the file's
    folder; ``out`` / ``date`` (e.g. from the command line) win over the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise CampaignError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise CampaignError(f"{path}: a campaign file is a mapping of {', '.join(KEYS)}")
    unknown = sorted(set(doc) - set(KEYS))
    if unknown:
        raise CampaignError(f"{path}: unknown key(s) {unknown}; known: {list(KEYS)}")
    base = os.path.dirname(os.path.abspath(path))
    rel = lambda p: p if p is None else os.path.normpath(os.path.join(base, p))  # noqa: E731
    ovr = doc.get("overrides")
    if ovr is not None:
        ovr = [[rel(p) for p in _as_list(o, f"{path}: overrides")] for o in
               _as_list(ovr, f"{path}: overrides")]
    return make_spec(
        configs=[rel(c) for c in _as_list(doc.get("configs"), f"{path}: configs")],
        seeds=doc.get("seeds"), out=out or rel(doc.get("out", "campaign_out")),
        overrides=ovr, policy_variants=doc.get("policy_variants"),
        run_until_us=doc.get("run_until_us", 100_000.0), num_runs=doc.get("num_runs", 1),
        date=date or str(doc.get("date", "000000")), strict=doc.get("strict", False),
        where=path)


def _as_list(value, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise CampaignError(f"{where}: expected a file name or a list, got {value!r}")


def _seeds(value, where: str) -> tuple:
    """A list of ints, a ``range``, or ``{start: S, count: N}``."""
    if isinstance(value, dict):
        if set(value) != {"start", "count"}:
            raise CampaignError(f"{where}: a seed range is {{start: S, count: N}}, got {value}")
        value = range(int(value["start"]), int(value["start"]) + int(value["count"]))
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    try:
        seeds = tuple(int(s) for s in value)
    except (TypeError, ValueError) as exc:
        raise CampaignError(f"{where}: expected integers, a range or "
                            f"{{start: S, count: N}}, got {value!r}") from exc
    if not seeds:
        raise CampaignError(f"{where}: at least one seed is needed")
    if len(set(seeds)) != len(seeds):
        raise CampaignError(f"{where}: repeated seeds in {list(seeds)}")
    return seeds


def _positive(value, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise CampaignError(f"{where}: expected a positive number, got {value!r}") from exc
    if number <= 0:
        raise CampaignError(f"{where}: expected a positive number, got {value!r}")
    return number


def _override_sets(value, where: str) -> tuple:
    """None -> one empty set; each entry: None/[] (no overrides), a file, or a list."""
    if value is None:
        return ((),)
    sets = tuple(tuple(os.fspath(p) for p in _as_list(v, where)) for v in value)
    return sets or ((),)


def _variants(value, where: str) -> dict:
    if value is None:
        return {"": {}}
    if not isinstance(value, dict) or not value:
        raise CampaignError(f"{where}: expected a mapping name -> {{policies key: value}}")
    for name, changes in value.items():
        if changes is not None and not isinstance(changes, dict):
            raise CampaignError(f"{where}: {name}: expected a mapping of policies keys")
    return {str(k): dict(v or {}) for k, v in value.items()}
