"""Where sites run: a local process pool, or a Dask distributed cluster
(docs/campaigns.md). Both yield :class:`SiteOutcome` as sites end, in
completion order; the driver (:mod:`nandseqgen.campaign.run`) records them.

A site's own errors come back inside its outcome (see
:func:`~nandseqgen.campaign.site.run_site`); a worker that dies is turned
into a failed outcome here, so one site never stops the others.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Iterator

from .site import SiteOutcome, run_site


def _lost(site, exc: BaseException) -> SiteOutcome:
    return SiteOutcome(site.name, "failed", error=f"worker lost: {type(exc).__name__}: {exc}")


def in_pool(fn, args: list, workers: int | None = None) -> Iterator[tuple]:
    """``fn(*a)`` for every ``a`` in ``args`` in a local process pool; yields
    ``(index, future)`` as they complete (shared with ``run --sites``).

    On an interrupt (Ctrl-C) or when the caller stops iterating, queued
    calls are cancelled; the ones already yielded are finished."""
    if not args:
        return
    pool = ProcessPoolExecutor(max_workers=workers or min(len(args), os.cpu_count() or 1))
    try:
        futures = {pool.submit(fn, *a): i for i, a in enumerate(args)}
        for fut in as_completed(futures):
            yield futures[fut], fut
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def pool_outcomes(sites: list, *, workers: int | None = None, clock=None,
                  fn=run_site) -> Iterator[SiteOutcome]:
    """Run ``fn(site, clock)`` for every site in a local process pool."""
    for i, fut in in_pool(fn, [(site, clock) for site in sites], workers):
        try:
            yield fut.result()
        except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool
            yield _lost(sites[i], exc)


def dask_outcomes(sites: list, *, client=None, scheduler: str | None = None, clock=None,
                  fn=run_site) -> Iterator[SiteOutcome]:
    """Run the sites on a Dask cluster: ``client`` (a ``dask.distributed.Client``)
    or a new client connected to ``scheduler`` (``tcp://host:8786``), closed
    afterwards. Needs the ``[distributed]`` extra."""
    try:
        from dask.distributed import Client, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - [distributed] is in [dev]
        raise ImportError("a Dask scheduler needs: pip install 'nandseqgen[distributed]'") from exc
    if not sites:
        return
    own = client is None
    client = client or Client(scheduler)
    futures = []
    try:
        futures = [client.submit(fn, site, clock, pure=False) for site in sites]
        by_key = {fut.key: site for fut, site in zip(futures, sites)}
        for fut in dask_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker
                yield _lost(by_key[fut.key], exc)
    finally:
        client.cancel([f for f in futures if not f.done()])
        if own:
            client.close()
