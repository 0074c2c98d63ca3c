"""Checker: payload, csv_json and timeline_consistency rules, the CSV round
trip through files, the CLI, missing tables and independence from the engine."""
from __future__ import annotations

import ast
import csv
import os

import pandas as pd
import pytest
from test_checker_kit import (Op, describe, dout, erase, erased_and_programmed, flagged, frames,
                              kit_config, read)

from nandseqgen import checker
from nandseqgen.checker import COLUMNS, CheckInputError, check_dir, check_frames, main


def _ops() -> list:
    return erased_and_programmed(2) + [
        Op("Read_Status", 45, 0, (0,), exp_val="busy"),
        read(100, 0, 1), dout(110, 0, 1),
        Op("Erase_SLC", 120, 0, (0,), (2,), pieces=[(120, 125, "proposer"), (143, 149, "resume")]),
        Op("Erase_Suspend", 125), Op("Erase_Resume", 140)]


def _check(seq, tl, st):
    return check_frames(seq, tl, kit_config(), st)


def test_reference_sequence_is_valid_and_the_report_has_its_columns():
    report = _check(*frames(_ops()))
    assert report.ok, describe(report)
    assert tuple(report.violations.columns) == COLUMNS
    assert "OK" in report.format_summary()


# ---------------------------------------------------------------- payload
def test_payload_value_disagreeing_with_the_timeline_is_flagged():
    seq, tl, st = frames(_ops())
    seq.loc[4, "payload"] = seq.loc[4, "payload"].replace('"block":0', '"block":2')
    report = _check(seq, tl, st)
    assert flagged(report, "payload") == {5}, describe(report)


def test_payload_with_wrong_keys_or_shape_is_flagged():
    seq, tl, st = frames(_ops())
    seq.loc[0, "payload"] = '[{"die":0,"plane":0,"block":0,"page":null}]'  # no celltype
    seq.loc[2, "payload"] = '{"die":0,"plane":0,"block":0,"page":1,"celltype":"SLC"}'
    report = _check(seq, tl, st)
    assert flagged(report, "payload") == {1, 3}, describe(report)


def test_multi_plane_payload_needs_one_object_per_plane():
    ops = [Op("Erase_SLC_2P", 0, 0, (0, 1), (0, 1))]
    seq, tl, st = frames(ops)
    assert _check(seq, tl, st).ok
    seq.loc[0, "payload"] = '[{"die":0,"plane":0,"block":0,"page":null,"celltype":"SLC"}]'
    assert flagged(_check(seq, tl, st), "payload") == {1}


# --------------------------------------------------------------- csv_json
def test_non_compact_payload_json_is_flagged():
    seq, tl, st = frames(_ops())
    seq.loc[1, "payload"] = '[{"die": 0, "plane": 0, "block": 0, "page": 0, "celltype": "SLC"}]'
    report = _check(seq, tl, st)
    assert flagged(report, "csv_json") == {2}, describe(report)
    assert not flagged(report, "payload")


def test_single_quoted_payload_is_flagged():
    seq, tl, st = frames(_ops())
    seq.loc[1, "payload"] = "[{'die': 0}]"
    report = _check(seq, tl, st)
    assert flagged(report, "csv_json") == {2}
    assert flagged(report, "payload") == {2}


def test_unknown_op_name_is_reported_not_raised():
    seq, tl, st = frames(_ops())
    seq.loc[3, "op_name"] = "No_Such_Op"
    report = _check(seq, tl, st)
    assert "csv_json" in set(report.violations["rule"])


# --------------------------------------------------- timeline_consistency
def test_missing_or_shifted_operation_timeline_rows_are_flagged():
    seq, tl, st = frames(_ops())
    shifted = tl.copy()
    shifted.loc[shifted["op_uid"] == 2, "end"] += 1.0
    assert flagged(_check(seq, shifted, st), "timeline_consistency") == {2}
    dropped = tl[~((tl["op_uid"] == 7) & (tl["source"] == "resume"))]
    report = _check(seq, dropped, st)
    assert 7 in flagged(report, "timeline_consistency"), describe(report)


def test_timeline_rows_of_an_unknown_op_are_flagged():
    seq, tl, st = frames(_ops())
    extra = tl.iloc[[0]].assign(op_uid=99)
    report = _check(seq, pd.concat([tl, extra], ignore_index=True), st)
    assert flagged(report, "timeline_consistency") == {99}, describe(report)


def test_op_state_segment_missing_or_mislabelled_is_flagged():
    seq, tl, st = frames(_ops())
    assert _check(seq, tl, st).ok
    core = st.index[(st["op_state"] == "ERASE.CORE_BUSY") & (st["start"] == 1.0)]
    report = _check(seq, tl, st.drop(core[:1]))
    assert flagged(report, "timeline_consistency") == {1}, describe(report)
    bad_lane = st.copy()
    bad_lane.loc[0, "lane"] = "D9/P9"
    assert "timeline_consistency" in set(_check(seq, tl, bad_lane).violations["rule"])


def test_lane_right_on_one_plane_and_reused_on_another_is_flagged():
    # the lane check remembers lane texts found right (decision 114): a text right
    # for one (die, plane) must still be flagged on a row of another
    seq, tl, st = frames(_ops())
    lanes = st["lane"].unique()
    assert len(lanes) >= 2, lanes
    other = st.index[st["lane"] != lanes[0]][-1]
    reused = st.copy()
    reused.loc[other, "lane"] = lanes[0]
    report = _check(seq, tl, reused)
    rows = report.violations[report.violations["rule"] == "timeline_consistency"]
    assert list(rows["detail"]) == [f"lane {lanes[0]!r} != '{st.loc[other, 'lane']}'"], describe(report)


def test_op_state_segment_twice_is_flagged_and_the_count_kept():
    # the segments are compared as multisets: a duplicate row is one extra segment
    seq, tl, st = frames(_ops())
    ok = _check(seq, tl, st)
    twice = pd.concat([st, st.iloc[[0]]], ignore_index=True).sort_values("start", kind="stable")
    report = _check(seq, tl, twice)
    rows = report.violations[report.violations["rule"] == "timeline_consistency"]
    assert len(rows) == 1 and "not in the replay" in rows["detail"].iloc[0], describe(report)
    count = report.summary().set_index("rule").loc["timeline_consistency", "checked"]
    assert count == ok.summary().set_index("rule").loc["timeline_consistency", "checked"]


# ------------------------------------------------------ files and the CLI
def _write(path: str, df: pd.DataFrame) -> None:
    """Write like the engine: csv module, times with two decimals, None as empty."""
    times = {"time", "start", "end", "duration"}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(list(df.columns))
        for row in df.itertuples(index=False):
            w.writerow(["" if pd.isna(v) else (f"{v:.2f}" if c in times else str(v))
                        for c, v in zip(df.columns, row)])


def _write_run(folder, run: int, ops: list, date: str = "250101") -> None:
    seq, tl, st = frames(ops)
    for name, df in (("operation_sequence", seq), ("operation_timeline", tl),
                     ("op_state_timeline", st)):
        _write(os.path.join(folder, f"{name}_{date}_{run:07d}.csv"), df)


def test_csv_round_trip_through_files(tmp_path):
    _write_run(tmp_path, 1, _ops())
    report = check_dir(tmp_path, kit_config())
    assert report.ok, describe(report)
    assert report.summary().set_index("rule").loc["csv_json", "checked"] == len(_ops())


def test_check_dir_picks_the_highest_run_and_the_cli_exit_codes(tmp_path, capsys):
    _write_run(tmp_path, 1, _ops())
    bad = erase(200, 7)  # a bad block
    bad.uid = 100
    _write_run(tmp_path, 2, [bad], date="250102")
    assert flagged(check_dir(tmp_path, kit_config()), "epr_erase") == {100}
    assert check_dir(tmp_path, kit_config(), run_index=1).ok
    cfg_path = tmp_path / "config.yaml"
    from test_checker_kit import CONFIG_YAML
    cfg_path.write_text(CONFIG_YAML)
    assert main([str(tmp_path), "--config", str(cfg_path)]) == 1
    assert "epr_erase" in capsys.readouterr().out
    assert main([str(tmp_path), "--config", str(cfg_path), "--run", "1"]) == 0
    assert main([str(tmp_path / "nowhere"), "--config", str(cfg_path)]) == 2
    assert main([str(tmp_path), "--config", str(cfg_path), "--run", "7"]) == 2


def test_sequence_file_with_an_unexpected_header_is_flagged(tmp_path):
    _write_run(tmp_path, 1, _ops())
    path = tmp_path / "operation_sequence_250101_0000001.csv"
    lines = path.read_text().splitlines()
    lines = [lines[0] + ",note"] + [line + ",x" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n")
    report = check_dir(tmp_path, kit_config())
    assert set(report.violations["rule"]) == {"csv_json"}, describe(report)


def test_sequence_file_without_payload_column_is_bad_input(tmp_path):
    _write_run(tmp_path, 1, _ops())
    path = tmp_path / "operation_sequence_250101_0000001.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace("payload", "data")] + lines[1:]) + "\n")
    with pytest.raises(CheckInputError):
        check_dir(tmp_path, kit_config())


def test_a_run_continues_from_the_earlier_runs_state(tmp_path):
    _write_run(tmp_path, 1, erased_and_programmed(1))
    later = [read(100, 0, 0), dout(110, 0, 0)]
    for i, op in enumerate(later):
        op.uid = 10 + i
    _write_run(tmp_path, 2, later)
    report = check_dir(tmp_path, kit_config())
    assert report.ok, describe(report)
    assert report.summary().set_index("rule").loc["epr_read", "checked"] == 1
    alone = check_dir(tmp_path, kit_config(), history=False)
    assert flagged(alone, "epr_read") == {10}, describe(alone)


# ------------------------------------------------------- missing tables
def test_missing_timelines_skip_their_rules_without_crashing():
    seq, _tl, _st = frames(_ops())
    report = check_frames(seq, None, kit_config())
    summary = report.summary().set_index("rule")
    assert pd.isna(summary.loc["timeline_consistency", "checked"])
    assert pd.isna(summary.loc["resume_time", "checked"])
    assert summary.loc["epr_program", "checked"] == 2
    assert report.ok, describe(report)
    assert "skipped" in report.format_summary()


def test_lenient_payload_shape_of_the_earlier_generator():
    seq = pd.DataFrame([
        (1, 0.0, 0, "Erase_SLC", 10, '{"die":0,"pl":1,"block":3,"page":null,"celltype":"SLC"}'),
        (2, 20.0, 0, "Program_SLC", 11, '[{"die":0,"pl":1,"block":3,"page":0,"celltype":"SLC"}]'),
    ], columns=["seq", "time", "op_id", "op_name", "op_uid", "payload"])
    report = check_frames(seq, None, kit_config())
    assert flagged(report, "payload") == {10}  # an object, not a list
    assert not flagged(report, "epr_program"), describe(report)


# ------------------------------------------------------------ independence
FORBIDDEN = ("resources", "address", "proposer", "scheduler", "events", "simulation",
             "outputs", "core")


def test_checker_imports_nothing_from_the_engine():
    folder = os.path.dirname(checker.__file__)
    for name in os.listdir(folder):
        if not name.endswith(".py"):
            continue
        tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                parts = mod.lstrip(".").split(".")
                if node.level >= 2 or mod.startswith("nandseqgen."):
                    top = parts[1] if mod.startswith("nandseqgen.") else parts[0]
                    assert top not in FORBIDDEN, f"{name} imports {mod}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not any(alias.name.startswith(f"nandseqgen.{f}") for f in FORBIDDEN)
