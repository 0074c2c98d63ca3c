"""Full-length runs of both configs, the phase table file, and the CLI end to end."""
from __future__ import annotations

import csv
import filecmp
import os

import pytest
from helpers import PROJECT_CONFIG, ROOT, fixed_reference_text

from nandseqgen.cli import main
from nandseqgen.config.phase import build_phase_table
from nandseqgen.config.phase_file import load_phase_table, save_phase_table
from nandseqgen.simulation import Simulation

SPEC_HEADERS = {
    "operation_sequence": ["seq", "time", "op_id", "op_name", "op_uid", "payload"],
    "address_touch_count": ["op_base", "cell_type", "die", "block", "page", "count"],
    "operation_timeline": ["start", "end", "die", "plane", "block", "page", "op_name", "op_base",
                           "source", "op_uid", "op_state"],
    "op_state_timeline": ["start", "end", "die", "plane", "op_state", "lane", "op_name",
                          "duration"],
    "op_state_name_input_time_count": ["op_state", "op_name", "input_time", "count"],
    "phase_proposal_counts": ["phase_key_used", "phase_key_virtual", "die", "plane",
                              "propose_time", "op_name", "count"],
}


@pytest.mark.parametrize("which", ["project", "reference"])
def test_one_second_runs_write_all_six_tables(which, tmp_path, project_cfg, reference_cfg):
    cfg = project_cfg if which == "project" else reference_cfg
    result = Simulation(cfg, seed=42).run(1_000_000)
    assert result.end_us >= 1_000_000
    paths = result.write(str(tmp_path), "261122")
    for table, path in paths.items():
        with open(path, newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            assert next(rows) == SPEC_HEADERS[table]
            assert next(rows, None) is not None, f"{table} is empty"
    assert len(result.sequence) > 10_000


def test_phase_table_file_round_trip(tmp_path, project_cfg):
    table = build_phase_table(project_cfg, 5)
    path = tmp_path / "op_state_probs.yaml"
    save_phase_table(table, str(path))
    loaded = load_phase_table(str(path), project_cfg)
    assert loaded == table
    a = Simulation(project_cfg, seed=5).run(10_000)
    b = Simulation(project_cfg, seed=5, phase_table=loaded).run(10_000)
    assert a.sequence.equals(b.sequence)
    path.write_text("NOT.A_KEY: {Delay: 1.0}\n")
    with pytest.raises(ValueError, match="NOT.A_KEY"):
        load_phase_table(str(path), project_cfg)


def _cli_run(out, *extra):
    argv = ["run", "--config", PROJECT_CONFIG, "--out", str(out), "--run-until", "8000",
            "--seed", "9", "--date", "261122", "--no-progress", *extra]
    assert main(argv) == 0


def test_cli_resume_from_snapshot_continues_byte_identically(tmp_path, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    _cli_run(straight, "--num-runs", "3", "--bootstrap")
    _cli_run(split, "--num-runs", "1", "--bootstrap")
    snap = split / "snapshots" / "state_snapshot_20261122_000000_0000001.json"
    assert snap.exists()
    _cli_run(split, "--num-runs", "2", "--resume-from", str(snap))
    names = sorted(n for n in os.listdir(straight) if n.endswith(".csv"))
    assert len(names) == 18
    match, mismatch, errors = filecmp.cmpfiles(straight, split, names, shallow=False)
    assert mismatch == [] and errors == []


def test_cli_config_check_reports_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(fixed_reference_text().replace("400.6036", "400.6036x", 1))
    assert main(["config", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.yaml:3588" in out and "Temperature_Sensor_Slow_mode" in out
    assert main(["config", "check", PROJECT_CONFIG]) == 0


def test_cli_config_check_of_a_clean_config_says_it_once(capsys):
    assert main(["config", "check", PROJECT_CONFIG]) == 0
    assert capsys.readouterr().out.strip().splitlines() == ["0 error(s), 0 warning(s)"]


def test_cli_help_has_no_restructuredtext(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "``" not in capsys.readouterr().out


def test_cli_check_passes_on_a_run_and_fails_on_a_tampered_file(tmp_path, capsys):
    out = tmp_path / "out"
    _cli_run(out)
    assert main(["check", str(out), "--config", PROJECT_CONFIG]) == 0
    seq = next(p for p in out.iterdir() if p.name.startswith("operation_sequence"))
    rows = list(csv.reader(open(seq, newline="")))
    rows[5], rows[6] = rows[6], rows[5]  # swap two ops: time order breaks
    with open(seq, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    assert main(["check", str(out), "--config", PROJECT_CONFIG]) == 1


def test_sites_are_independent_and_match_single_runs(tmp_path):
    _cli_run(tmp_path / "sites", "--sites", "2")
    _cli_run(tmp_path / "alone")  # seed 9 == site 1
    a = tmp_path / "sites" / "site_001"
    names = sorted(n for n in os.listdir(tmp_path / "alone") if n.endswith(".csv"))
    match, mismatch, errors = filecmp.cmpfiles(a, tmp_path / "alone", names, shallow=False)
    assert len(match) == 6 and not mismatch and not errors
    b = tmp_path / "sites" / "site_002"
    assert not filecmp.cmp(a / names[0], b / names[0], shallow=False)


def test_tick_by_tick_stepping_matches_a_plain_run(project_cfg):
    plain = Simulation(project_cfg, seed=13).run(3_000)
    sim = Simulation(project_cfg, seed=13)
    sim.start(3_000)
    seen = []
    for _ in range(200):
        out = sim.tick()
        assert set(out) == {"time_us", "committed", "rolled_back", "reason"}
        seen.append(out)
    assert any(o["committed"] for o in seen) and any(o["rolled_back"] for o in seen)
    assert all(a["time_us"] <= b["time_us"] for a, b in zip(seen, seen[1:]))
    stepped = sim.finish()
    assert stepped.sequence.equals(plain.sequence)


def test_max_hooks_bounds_a_run(project_cfg):
    sim = Simulation(project_cfg, seed=13)
    sim.start(100_000)
    summary = sim.scheduler.run(None, max_hooks=50)
    assert summary["hooks_executed"] == 50 and summary["success"]
    assert sim.scheduler.now < 100_000 * 100


def test_default_mix_exercises_every_command_family(project_cfg):
    used = set()
    for seed in (0, 1):
        used |= set(Simulation(project_cfg, seed=seed).run(300_000).metrics["per_base_commits"])
    assert used == set(project_cfg.bases), set(project_cfg.bases) - used


def test_cli_refuses_a_bad_snapshot_cleanly(tmp_path, capsys):
    bad = tmp_path / "state_snapshot_x.json"
    bad.write_text('{"kind": "something else"}')
    argv = ["run", "--config", PROJECT_CONFIG, "--out", str(tmp_path / "o"), "--run-until",
            "1000", "--no-progress", "--resume-from", str(bad)]
    assert main(argv) == 2
    assert "not a nandseqgen snapshot" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_op_repr_is_in_microseconds(project_cfg):
    sim = Simulation(project_cfg, seed=1)
    op = sim.issue("Block_Erase_SLC", die=0, planes=(0,), blocks=(0,)).ops[0]
    assert f"[{op.start / 100:.2f}, {op.end / 100:.2f}) us" in repr(op)


def test_python_m_nandseqgen_ends_with_its_code_and_full_output(tmp_path):
    """``python -m nandseqgen`` ends its process without the interpreter's
    teardown (``cli.exit_now``, decision 123): the exit code, stdout and the
    files are complete."""
    import json
    import subprocess
    import sys
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "nandseqgen", "run", "--config", PROJECT_CONFIG,
                          "--out", str(out), "--run-until", "20000", "--date", "261130",
                          "--no-progress"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["runs"][0]["ops"] > 0 and (out / "manifest.json").exists()
    bad = subprocess.run([sys.executable, "-m", "nandseqgen", "run", "--config",
                          str(tmp_path / "missing.yaml")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "missing.yaml" in bad.stderr


def test_exit_now_waits_for_a_live_thread(tmp_path):
    """With a non-daemon thread alive, ``exit_now`` takes the usual exit,
    which waits for it: nothing it does is cut short."""
    import subprocess
    import sys
    mark = tmp_path / "mark"
    code = ("import sys, threading, time\n"
            "from nandseqgen.cli import exit_now\n"
            "def late():\n"
            "    time.sleep(0.3)\n"
            f"    open({str(mark)!r}, 'w').write('done')\n"
            "threading.Thread(target=late).start()\n"
            "print('bye')\n"
            "exit_now(3)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 3 and run.stdout == "bye\n"
    assert mark.read_text() == "done"
