"""Test helpers shared by the test modules (import as ``from helpers import ...``)."""
from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT_CONFIG = os.path.join(ROOT, "config.yaml")
# a copy of ../shared/reference/nandseqgen_v2_config.yaml, so CI needs nothing outside the repo
REFERENCE = os.path.join(ROOT, "tests", "data", "nandseqgen_v2_config.yaml")
BAD_VALUE = "400.6036\u02dd"


def reference_text() -> str:
    """The earlier generator's real config, as published (one malformed value)."""
    with open(REFERENCE, encoding="utf-8") as fh:
        return fh.read()


def fixed_reference_text() -> str:
    return reference_text().replace(BAD_VALUE, "400.6036")


SMALL = {"topology": {"dies": 2, "planes": 4, "blocks_per_die": 16, "pages_per_block": 8,
                      "bad_blocks": [[0, 13]]}}


def small_sim(seed: int = 7, **changes):
    """A Simulation of the project config on a small topology (no run active)."""
    from nandseqgen.config import load_config, with_changes
    from nandseqgen.simulation import Simulation
    cfg = with_changes(load_config(PROJECT_CONFIG), {**SMALL, **changes})
    return Simulation(cfg, seed=seed)


def erase_and_program(sim, die, block, pages, mode="SLC"):
    """Erase ``block`` and program pages 0..pages-1 (single plane), draining each."""
    plane = block % sim.cfg.topology.planes
    erase = {"SLC": "Block_Erase_SLC", "TLC": "Block_Erase_TLC"}[mode]
    assert sim.issue(erase, die=die, planes=(plane,), blocks=(block,)).txn is not None
    sim.advance(sim.now_us + 4000)
    for page in range(pages):
        p = sim.issue("Page_Program_SLC", die=die, planes=(plane,), blocks=(block,), page=page)
        assert p.txn is not None, p.reason
        sim.advance(sim.now_us + 300)


def FirstChoiceRng():  # noqa: N802 (reads like the class it used to be)
    """A hook RNG stream that always takes the first choice (every draw is 0).
    A real :class:`~nandseqgen.core.rng.Stream`: the compiled engine accepts
    no stand-in of another type."""
    from nandseqgen.core.rng import FirstChoice
    return FirstChoice(0)


def stretch_last_resume(uid):
    """An editor of operation_timeline CSV lines (a list of str): the last
    resumed piece of the suspended op ``uid`` lasts 1 us more."""
    def edit(lines):
        hits = [i for i, ln in enumerate(lines) if f",resume,{uid}," in ln]
        last = lines[hits[-1]].split(",")[0]
        for i in hits:
            cells = lines[i].split(",")
            if cells[0] == last:
                cells[1] = f"{float(cells[1]) + 1:.2f}"
                lines[i] = ",".join(cells)
        return lines
    return edit


def two_run_dir(tmp_path_factory, cfg, name: str, run_until_us: int) -> str:
    """A folder with two runs of ``cfg`` (seed 42) written by ``run_job``: what
    the chunked and parallel checker tests check."""
    from nandseqgen.runner import run_job
    out = tmp_path_factory.mktemp(name) / "run"
    run_job(cfg, out_dir=str(out), seed=42, run_until_us=run_until_us, date="261130",
            num_runs=2)
    return str(out)
