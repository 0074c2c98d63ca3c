"""Campaigns (docs/campaigns.md): grid expansion, pool vs Dask LocalCluster
byte-identical, restart, failing sites, the campaign table."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from helpers import PROJECT_CONFIG, ROOT

from nandseqgen.campaign import MANIFEST, Campaign, CampaignError, load_campaign, make_spec
from nandseqgen.campaign.site import checksums
from nandseqgen.cli import main

SHORT = 10_000.0  # us per site: about half a second of work


def _small(out, **kw) -> Campaign:
    args = dict(configs=[PROJECT_CONFIG], seeds=[3, 4], out=str(out), run_until_us=SHORT,
                policy_variants={"base": {}, "explore": {"epsilon_greedy": 0.2}})
    return Campaign(**{**args, **kw})


def _tree(root) -> dict:
    """{site: {file: sha256}} of every finished site folder under ``root``."""
    return {d: checksums(os.path.join(root, d)) for d in sorted(os.listdir(root))
            if d.startswith("site_") and os.path.isdir(os.path.join(root, d))}


# --- grid expansion -------------------------------------------------------------------------

def test_grid_is_configs_x_overrides_x_variants_x_seeds_in_a_fixed_order(tmp_path):
    heavy = os.path.join(ROOT, "configs", "suspend_heavy.yaml")
    spec = make_spec(configs=[PROJECT_CONFIG, "other.yaml"], overrides=[None, heavy],
                     policy_variants={"a": {}, "b": {"topN": 2}},
                     seeds={"start": 10, "count": 3}, out=str(tmp_path), run_until_us=5)
    sites = spec.sites()
    assert len(sites) == 2 * 2 * 2 * 3
    assert [s.name for s in sites[:2]] == ["site_0001", "site_0002"]
    assert [s.seed for s in sites[:4]] == [10, 11, 12, 10]
    assert [s.variant for s in sites[2:4]] == ["a", "b"]
    assert sites[5].policies == (("topN", 2),)
    assert sites[6].overrides == (heavy,) and sites[5].overrides == ()
    assert sites[12].config == "other.yaml"
    assert sites[-1].out_dir == os.path.join(str(tmp_path), "site_0024")
    assert len({s.key() for s in sites}) == len(sites)


def test_campaign_file_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "camp.yaml"
    path.write_text("configs: [../cfg.yaml]\noverrides: [null, [a.yaml, b.yaml]]\n"
                    "seeds: [5, 7]\nrun_until_us: 1000\nout: runs\n")
    spec = load_campaign(str(path))
    assert spec.configs == (str(tmp_path / "cfg.yaml"),)
    assert spec.overrides == ((), (str(tmp_path / "sub" / "a.yaml"),
                                   str(tmp_path / "sub" / "b.yaml")))
    assert spec.out == str(tmp_path / "sub" / "runs") and spec.seeds == (5, 7)
    assert len(spec.sites()) == 4


@pytest.mark.parametrize("text, words", [
    ("configs: [c.yaml]\nseeds: [1]\nsedes: [2]\n", "unknown key(s) ['sedes']"),
    ("configs: [c.yaml]\nseeds: [1, 1]\n", "seeds: repeated"),
    ("configs: [c.yaml]\nseeds: {start: 1}\n", "seeds: a seed range"),
    ("configs: [c.yaml]\nseeds: [1]\nrun_until_us: -5\n", "run_until_us: expected a positive"),
    ("seeds: [1]\n", "configs: at least one"),
    ("configs: [c.yaml]\nseeds: [1]\ndate: 2026-11-30\n", "date: expected yymmdd"),
])
def test_bad_campaign_files_name_the_file_and_key(tmp_path, text, words):
    path = tmp_path / "camp.yaml"
    path.write_text(text)
    with pytest.raises(CampaignError) as err:
        load_campaign(str(path))
    assert str(path) in str(err.value) and words in str(err.value)


# --- where sites run ------------------------------------------------------------------------

def test_process_pool_and_dask_local_cluster_give_byte_identical_sites(tmp_path):
    """The same grid on a process pool, on a LocalCluster through a Client, and
    through the command line's --scheduler address: the same bytes."""
    from dask.distributed import Client, LocalCluster
    pool = _small(tmp_path / "pool").run(workers=2, progress=False)
    camp = tmp_path / "camp.yaml"
    camp.write_text(f"configs: [{PROJECT_CONFIG}]\nseeds: [3, 4]\nrun_until_us: {SHORT}\n"
                    "policy_variants: {base: {}, explore: {epsilon_greedy: 0.2}}\nout: cli\n")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = _small(tmp_path / "dask").run(client=client, progress=False)
        assert main(["campaign", str(camp), "--scheduler", cluster.scheduler_address,
                     "--no-progress"]) == 0
    assert list(pool.table["status"]) == ["done"] * 4 == list(dask.table["status"])
    a, b = _tree(tmp_path / "pool"), _tree(tmp_path / "dask")
    assert len(a) == 4 and a == b == _tree(tmp_path / "cli")
    assert all(len(files) == 10 and "manifest.json" in files for files in a.values())
    for site in a:  # compare the bytes too, not only the digests
        for name in a[site]:
            assert ((tmp_path / "pool" / site / name).read_bytes()
                    == (tmp_path / "dask" / site / name).read_bytes())
    same = [c for c in pool.table.columns if c not in ("wall_s", "out_dir")]
    pd.testing.assert_frame_equal(pool.table[same], dask.table[same])


def test_a_site_is_the_plain_run_of_its_seed(tmp_path):
    from nandseqgen.config import load_config
    from nandseqgen.runner import run_job
    result = _small(tmp_path / "c", seeds=[9], policy_variants=None).run(progress=False)
    run_job(load_config(PROJECT_CONFIG), out_dir=str(tmp_path / "plain"), seed=9,
            run_until_us=SHORT, date="000000", snapshots=False)
    name = "operation_sequence_000000_0000001.csv"
    assert ((tmp_path / "c" / "site_0001" / name).read_bytes()
            == (tmp_path / "plain" / name).read_bytes())
    assert result.table.loc[0, "ops"] > 0


# --- restart and failures -------------------------------------------------------------------

def test_restart_skips_finished_sites_and_redoes_partial_ones(tmp_path):
    out = tmp_path / "c"
    _small(out, policy_variants=None, seeds=[1, 2, 3]).run(workers=2, progress=False)
    before = _tree(out)
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "site_0001").iterdir()}
    # site 2: a file damaged after the fact; site 3: interrupted mid-way
    seq = out / "site_0002" / "operation_sequence_000000_0000001.csv"
    seq.write_text(seq.read_text()[:-40])
    lines = (out / MANIFEST).read_text().splitlines(keepends=True)
    (out / MANIFEST).write_text("".join(x for x in lines if '"site_0003"' not in x)
                                + '{"version": 1, "site": "site_00')  # torn mid-write
    os.rename(out / "site_0003", out / "site_0003.partial")
    (out / "site_0003.partial" / "site.json").unlink()

    again = _small(out, policy_variants=None, seeds=[1, 2, 3]).run(workers=2, progress=False)
    assert again.reused == ["site_0001"]
    assert list(again.table["reused"]) == [True, False, False]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "site_0001").iterdir()} == kept
    assert _tree(out) == before
    assert not (out / "site_0003.partial").exists()
    assert list(again.table["status"]) == ["done"] * 3
    # another run length is another campaign for every site: nothing is reused
    longer = _small(out, policy_variants=None, seeds=[1, 2, 3], run_until_us=SHORT + 1000)
    assert longer.run(workers=2, progress=False).reused == []


def test_a_failing_site_is_reported_and_the_others_finish(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("topology:\n  dies: -1\n")
    camp = tmp_path / "camp.yaml"
    camp.write_text(f"configs: [{PROJECT_CONFIG}]\noverrides: [null, bad.yaml]\n"
                    f"seeds: [1, 2]\nrun_until_us: {SHORT}\nout: out\n")
    assert main(["campaign", str(camp), "--workers", "2", "--no-progress"]) == 1
    err = capsys.readouterr().err
    result = Campaign.from_yaml(str(camp)).run(workers=2, progress=False)
    table = result.table
    assert list(table["status"]) == ["done", "done", "failed", "failed"]
    assert result.reused == ["site_0001", "site_0002"]  # failed sites are retried
    assert "site_0003 failed" in err and "site_0004 failed" in err
    assert all("bad.yaml" in e and "dies" in e for e in result.failed["error"])
    assert (table.loc[:1, "ops"] > 0).all() and table.loc[2:, "ops"].isna().all()
    assert not (tmp_path / "out" / "site_0003").exists()


# --- results --------------------------------------------------------------------------------

def test_campaign_table_parquet_and_merged_coverage(tmp_path):
    result = _small(tmp_path / "c").run(workers=2, progress=False)
    table = result.table
    back = pd.read_parquet(tmp_path / "c" / "campaign.parquet")
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    for col in ("site", "config", "overrides", "seed", "ops", "coverage_ratio",
                "coverage_entropy", "wall_s", "out_dir", "violations_bus_overlap"):
        assert col in table.columns
    reasons = [c for c in table.columns if c.startswith("rollbacks_")]
    assert reasons and (table[reasons].sum(axis=1) == table["rollbacks"]).all()
    assert (table["violations"] == 0).all() and result.ok
    _, merged = result.coverage()
    assert merged.ratio >= table["coverage_ratio"].max()
    curve = result.closure()
    assert list(curve["sites"]) == [1, 2, 3, 4]
    assert curve["filled"].is_monotonic_increasing
    assert curve["coverage_ratio"].iloc[-1] == merged.ratio

    assert curve["coverage_entropy"].iloc[-1] == merged.entropy
    assert curve["closed"].iloc[-1] == merged.closed


def test_site_coverage_is_result_coverage_of_the_same_seed_and_config(tmp_path):
    """The campaign's site figures are those of ``result.coverage()`` (the
    model of docs/coverage.md) for the same config, variant and seed, runs
    summed; the merged report over sites is the merge of the runs' reports."""
    from nandseqgen.campaign.site import load_site_config
    from nandseqgen.coverage import merged_report
    from nandseqgen.simulation import Simulation
    camp = _small(tmp_path / "c", seeds=[5, 6], num_runs=2,
                  policy_variants={"explore": {"epsilon_greedy": 0.2}})
    result = camp.run(workers=1, progress=False)
    assert result.ok
    everything = []
    for site, row in zip(result.sites, result.table.itertuples(index=False)):
        sim = Simulation(load_site_config(site), seed=site.seed)
        runs = [sim.run(SHORT, progress=False) for _ in range(2)]
        everything += runs
        want = merged_report(runs).as_dict()
        assert want["filled"] > 0 and want["unreachable"] > 0
        assert (row.coverage_ratio, row.coverage_entropy) == (want["ratio"], want["evenness"])
        assert (row.coverage_filled, row.coverage_possible, row.coverage_unreachable,
                row.coverage_closed) == (want["filled"], want["possible"],
                                         want["unreachable"], want["closed"])
    table, merged = result.coverage()
    want = merged_report(everything)
    assert (merged.ratio, merged.entropy, merged.filled, merged.possible) == (
        round(want.ratio, 6), round(want.evenness, 6), want.filled, want.possible)
    assert int(table["count"].sum()) == sum(want.counts.values())
    pd.testing.assert_frame_equal(result.coverage_report().cells, want.cells)


def test_ctrl_c_keeps_finished_sites_and_a_rerun_goes_on(tmp_path):
    """SIGINT to the command's process group (what Ctrl-C sends) once a site
    is recorded: exit 130, finished sites intact, the next run reuses them."""
    camp = tmp_path / "camp.yaml"
    camp.write_text(f"configs: [{PROJECT_CONFIG}]\nseeds: {{start: 1, count: 5}}\n"
                    f"run_until_us: {SHORT}\nout: out\n")
    proc = subprocess.Popen([sys.executable, "-m", "nandseqgen", "campaign", str(camp),
                             "--workers", "1", "--no-progress"], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    manifest = tmp_path / "out" / MANIFEST
    deadline = time.monotonic() + 120
    while not manifest.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    entries = {e["site"]: e for e in map(json.loads, manifest.read_text().splitlines())}
    done = sorted(n for n, e in entries.items() if e["status"] == "done")
    assert 1 <= len(done) < 5
    for name in done:
        assert checksums(str(tmp_path / "out" / name)) == entries[name]["files"]
    result = Campaign.from_yaml(str(camp)).run(workers=2, progress=False)
    assert result.reused == done
    assert list(result.table["status"]) == ["done"] * 5


# --- plots ----------------------------------------------------------------------------------

def _fake_table() -> pd.DataFrame:
    """A campaign table of three sites, the last one failed (plots only read it)."""
    from nandseqgen.checker import RULES
    rows = []
    for i, (status, variant, ops) in enumerate([("done", "a", 100), ("done", "b", 250),
                                                ("failed", "b", None)], start=1):
        row = {"site": f"site_{i:04d}", "status": status, "variant": variant, "ops": ops,
               "coverage_ratio": 0.1 * i if ops else None}
        row.update({f"violations_{r}": (0 if ops else None) for r in RULES})
        rows.append(row)
    rows[1]["violations_latch"] = 3
    return pd.DataFrame(rows)


def test_campaign_plots_label_their_axes_and_show_failures():
    from nandseqgen.plotting import coverage_closure, ops_per_site, violations_by_rule
    table = _fake_table()
    ax = ops_per_site(table, by="variant")
    assert ax.get_ylabel() == "committed ops" and ax.get_xlabel() == "site"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a", "b", "failed"]
    heights = sorted(round(p.get_height()) for p in ax.patches)
    assert heights == [100, 250, 250]  # the failed site: a hatched bar of the tallest height
    ax = violations_by_rule(table)
    widths = {t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches)}
    assert widths["latch"] == 3 and widths["bus_overlap"] == 0
    assert "1 failed" in ax.get_title() and "2 finished" in ax.get_xlabel()
    curve = pd.DataFrame({"sites": [1, 2], "coverage_ratio": [0.1, 0.15]})
    ax = coverage_closure(curve, per_site=table[table["status"] == "done"])
    assert list(ax.lines[0].get_ydata()) == pytest.approx([10.0, 15.0])
    assert ax.get_ylabel().startswith("coverage ratio")


def test_a_campaign_whose_every_site_fails_still_gives_its_table(tmp_path):
    result = Campaign(configs=[str(tmp_path / "missing.yaml")], seeds=[1, 2],
                      out=str(tmp_path / "c"), run_until_us=SHORT).run(progress=False)
    assert list(result.table["status"]) == ["failed", "failed"]
    assert result.table["coverage_ratio"].isna().all() and not result.ok
    assert all("missing.yaml" in e for e in result.failed["error"])
    assert result.coverage()[1].filled == 0
