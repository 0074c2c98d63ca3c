"""Bad command lines, snapshots and output folders (issue 13)."""
from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from nandseqgen.cli import _parser, main
from nandseqgen.outputs.manifest import verify_manifest
from nandseqgen.simulation import Simulation
from nandseqgen.snapshot import SnapshotError, load_snapshot, save_snapshot
from nandseqgen.snapshot_schema import digest

from helpers import PROJECT_CONFIG


def _run(tmp_path, *extra, out="o"):
    return main(["run", "--config", PROJECT_CONFIG, "--out", str(tmp_path / out),
                 "--run-until", "300", "--date", "261122", "--no-progress", *extra])


def test_save_phase_table_writes_the_table_in_use(tmp_path, capsys):
    path = tmp_path / "op_state_probs.yaml"
    assert _run(tmp_path, "--save-phase-table", str(path)) == 0
    assert _run(tmp_path, "--phase-table", str(path), out="o2") == 0
    a = (tmp_path / "o" / "operation_sequence_261122_0000001.csv").read_bytes()
    assert a == (tmp_path / "o2" / "operation_sequence_261122_0000001.csv").read_bytes()


@pytest.mark.parametrize("option, value, message", [
    ("--run-until", "-5", "outside (0, 1,000,000,000,000]"), ("--run-until", "inf", "outside"),
    ("--run-until", "nan", "outside"), ("--run-until", "1e300", "outside"),
    ("--num-runs", "-3", "outside 1.."), ("--num-runs", "0", "outside 1.."),
    ("--sites", "0", "outside 1.."), ("--sites", "-4", "outside 1.."),
    ("--seed", "-1", "outside 0.."), ("--date", "a/b", "not yymmdd"),
    ("--date", "261340", "not a calendar date"), ("--out", PROJECT_CONFIG, "not a directory"),
    ("--config", "/nonexistent.yaml", "no such file"), ("--phase-table", "/", "is a directory"),
    ("--overrides", "/", "is a directory"), ("--save-phase-table", "/no/such/dir/t.yaml",
                                              "does not exist"),
])
def test_bad_command_line_values_exit_2_with_the_option_named(tmp_path, capsys, option, value,
                                                              message):
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, option, value)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_every_run_option_has_help_with_its_default_or_range():
    run = next(a for a in _parser()._actions if a.dest == "command").choices["run"]
    for action in run._actions:
        if action.dest == "help":
            continue
        assert action.help, action.dest
        assert "default" in action.help, (action.dest, action.help)
        if action.type is not None and action.dest in ("run_until", "seed", "num_runs", "sites"):
            assert ".." in action.help or "(0," in action.help, action.help


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    folder = tmp_path_factory.mktemp("snap")
    from nandseqgen.config import load_config
    sim = Simulation(load_config(PROJECT_CONFIG), seed=9)
    for _ in range(30):  # stop where something is suspended or backlogged
        sim.run(3_000)
        if any(sim.rm.stack) or any(sim.scheduler.backlog):
            break
    return save_snapshot(sim, str(folder), "261122")


def _edited(snap, tmp_path, edit, redigest=True):
    data = json.load(open(snap))
    edit(data)
    if redigest:
        data["digest"] = digest(data)
    folder = os.path.dirname(snap)
    path = os.path.join(folder, f"edited_{os.getpid()}_{id(edit)}.json")
    with open(path, "w") as fh:
        json.dump(data, fh)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("rng"), "rng: missing"),
    (lambda d: d["bootstrap"] or d.update(bootstrap={"stage": 0, "reads": []}),
     "bootstrap.completed: missing"),
    (lambda d: d.update(time=-10**9), "time: expected an integer >= 0"),
    (lambda d: d.update(timeline=d["timeline"][:-1]), "timeline: expected 8 items"),
    (lambda d: d["backlog"][0].append({"name": "Delay"}), "backlog[0]"),
    (lambda d: d.update(busy=[[0, 10**6, []]]), "busy[0][1]: 1000000 is out of range"),
    (lambda d: d["sidecars"].update(state="../../../../etc/hostname"),
     "expected a .npy file name"),
    (lambda d: d["sidecars"].update(state="../../../../tmp/x.npy"),
     "not a plain file name in the snapshot's folder"),
    (lambda d: d["sidecars"].update(state="escape.npy"), "leads outside the snapshot's folder"),
    (lambda d: d["sidecars"].update(state=d["sidecars"]["emode"]), "checksum mismatch"),
    (lambda d: d.update(sidecars={**d["sidecars"], "extra": d["sidecars"]["emode"]},
                        sidecar_sha256={**d["sidecar_sha256"],
                                        "extra": d["sidecar_sha256"]["emode"]}),
     "expected arrays"),
], ids=["no-rng", "no-completed", "negative-time", "short-timeline", "bad-backlog-op",
        "block-out-of-range", "sidecar-etc", "sidecar-dotdot", "sidecar-symlink", "swapped-sidecars", "extra-array"])
def test_a_snapshot_failing_its_schema_is_a_clean_error(snap, tmp_path, project_cfg, edit,
                                                        message):
    link = os.path.join(os.path.dirname(snap), "escape.npy")
    if not os.path.lexists(link):
        os.symlink(os.path.join(str(tmp_path), "outside.npy"), link)
    path = _edited(snap, tmp_path, edit)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path, project_cfg)
    assert message in str(err.value) and path in str(err.value)


def test_a_sidecar_of_the_wrong_shape_is_refused(snap, project_cfg, tmp_path):
    data = json.load(open(snap))
    folder = os.path.dirname(snap)
    fname = "wrong_shape.state.npy"
    np.save(os.path.join(folder, fname), np.zeros((1, 1), dtype=np.int32))
    from nandseqgen.outputs.atomic import file_sha256
    data["sidecars"]["state"] = fname
    data["sidecar_sha256"]["state"] = file_sha256(os.path.join(folder, fname))
    data["digest"] = digest(data)
    path = os.path.join(folder, "wrong_shape.json")
    json.dump(data, open(path, "w"))
    with pytest.raises(SnapshotError, match=r"sidecars.state: array int32\[1, 1\]"):
        load_snapshot(path, project_cfg)


def test_hand_edits_are_refused_by_the_digest_and_the_original_loads(snap, tmp_path,
                                                                      project_cfg):
    path = _edited(snap, tmp_path, lambda d: d["rng"].update(seed=12345), redigest=False)
    with pytest.raises(SnapshotError, match="digest mismatch"):
        load_snapshot(path, project_cfg)
    assert load_snapshot(snap, project_cfg).seed == 9


def test_resume_flags_that_cannot_be_honoured_are_errors(snap, tmp_path, capsys, project_cfg):
    with pytest.raises(SnapshotError, match="--seed 10 cannot be honoured"):
        load_snapshot(snap, project_cfg, seed=10)
    with pytest.raises(SnapshotError, match="--bootstrap cannot be honoured"):
        load_snapshot(snap, project_cfg, bootstrap=True)
    assert load_snapshot(snap, project_cfg, seed=9, bootstrap=False).seed == 9
    assert _run(tmp_path, "--resume-from", snap, "--seed", "10") == 2
    assert "--seed 10 cannot be honoured" in capsys.readouterr().err
    assert _run(tmp_path, "--resume-from", snap, "--sites", "2") == 2
    assert "--sites cannot be honoured" in capsys.readouterr().err
    assert _run(tmp_path, "--resume-from", snap) == 0


def test_output_folder_has_a_manifest_written_last(tmp_path):
    assert _run(tmp_path, "--num-runs", "2", "--seed", "3") == 0
    out = tmp_path / "o"
    manifest = json.load(open(out / "manifest.json"))
    assert manifest["complete"] is True and manifest["seed"] == 3
    assert manifest["config_hash"] and manifest["runs"] == [1, 2]
    names = {f["name"] for f in manifest["files"]}
    assert len([n for n in names if n.endswith(".csv")]) == 12
    assert any(n.startswith("snapshots/") and n.endswith(".json") for n in names)
    assert verify_manifest(str(out)) == []
    victim = next(out.glob("operation_timeline_*"))
    victim.unlink()  # 5 of 6 tables of a run: no longer looks complete
    assert any("missing" in p for p in verify_manifest(str(out)))
    (out / "manifest.json").unlink()
    assert "did not finish" in verify_manifest(str(out))[0]


def test_stale_temp_files_are_removed_and_modes_follow_the_umask(tmp_path):
    out = tmp_path / "o"
    (out / "snapshots").mkdir(parents=True)
    stale = [out / ".operation_sequence_261122_0000001.csv.k2j4h5g6.tmp",
             out / "snapshots" / ".state_snapshot_x.json.abcd_123.tmp"]
    for p in stale:
        p.write_text("half a file")
    keep = out / "notes.txt"
    keep.write_text("mine")
    old = os.umask(0o027)
    try:
        assert _run(tmp_path) == 0
    finally:
        os.umask(old)
    assert not any(p.exists() for p in stale) and keep.exists()
    for p in list(out.glob("*.csv")) + [out / "manifest.json"]:
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o640, p


def test_errors_in_site_processes_come_back_as_one_clean_message(tmp_path, capsys):
    table = tmp_path / "zero.yaml"
    table.write_text("DEFAULT: {Delay: 0}\n")
    assert _run(tmp_path, "--sites", "2", "--phase-table", str(table)) == 2
    err = capsys.readouterr().err
    assert "zero.yaml:1: DEFAULT" in err and "Traceback" not in err


@pytest.mark.parametrize("until", [-5, 0, float("inf"), float("nan"), 1e300, "10"])
def test_library_runs_refuse_bad_lengths(project_cfg, until):
    sim = Simulation(project_cfg, seed=1)
    with pytest.raises(ValueError, match="run_until_us"):
        sim.run(until)
    assert len(sim.run(50).sequence) >= 0 and sim.run_index == 1


def test_deeply_nested_snapshot_json_is_a_clean_error(tmp_path, project_cfg):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(SnapshotError, match="not a readable snapshot"):
        load_snapshot(str(path), project_cfg)
    path.write_bytes(b"\x1f\x8b\x08\x00")
    with pytest.raises(SnapshotError, match="gzip"):
        load_snapshot(str(path), project_cfg)


def test_the_checker_never_reads_a_sidecar_outside_the_snapshot_folder(snap, tmp_path,
                                                                        project_cfg):
    from nandseqgen.checker.start_state import CheckInputError, read_start_state
    assert read_start_state(snap, project_cfg) is not None
    path = _edited(snap, tmp_path, lambda d: d["sidecars"].update(state="../../../etc/hostname"))
    with pytest.raises(CheckInputError, match="not a file in its folder"):
        read_start_state(path, project_cfg)
