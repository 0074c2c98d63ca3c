"""The run manifest: written last in an output folder, so a folder whose job
was interrupted (5 of 6 tables, no snapshot) is recognisable.

``manifest.json`` lists every file under the folder (relative name, size,
sha256), the seed, the config hash and ``complete: true``. A job first removes
the manifest of an earlier job and the temp files interrupted writes left
behind, and writes the new manifest only after every other file is in place.
"""
from __future__ import annotations

import contextlib
import json
import os

from .atomic import TMP_PATTERN, atomic_open, file_sha256, fsync_dir, remove_stale_tmp

MANIFEST = "manifest.json"
KIND = "nandseqgen.run_manifest"


def begin_outputs(out_dir: str) -> list:
    """Before a job writes: drop the old manifest and stale temp files
    (in the folder and its ``snapshots/``). Returns the removed temp names."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(out_dir, MANIFEST))
    removed = remove_stale_tmp(out_dir)
    removed += [os.path.join("snapshots", n)
                for n in remove_stale_tmp(os.path.join(out_dir, "snapshots"))]
    return removed



def _files(out_dir: str, known: dict) -> list:
    rows = []
    for root, dirs, names in os.walk(out_dir):
        dirs.sort()
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(root, name), out_dir)
            if rel == MANIFEST or TMP_PATTERN.match(name):
                continue
            full = os.path.join(root, name)
            size = os.path.getsize(full)
            got = known.get(os.path.abspath(full))
            sha = got[1] if got is not None and got[0] == size else file_sha256(full)
            rows.append({"name": rel.replace(os.sep, "/"), "bytes": size, "sha256": sha})
    return rows


def write_manifest(out_dir: str, known: dict | None = None, **meta) -> str:
    """Write ``manifest.json`` (atomically, last); ``meta``: seed, config_hash, ...;
    ``known``: {absolute path: (bytes, sha256)} hashed while they were written
    (streamed tables, decision 117): not read again."""
    known = {os.path.abspath(p): v for p, v in (known or {}).items()}
    data = {"kind": KIND, **meta, "files": _files(out_dir, known), "complete": True}
    path = os.path.join(out_dir, MANIFEST)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    fsync_dir(out_dir)
    return path


def verify_manifest(out_dir: str) -> list:
    """Problems of a folder against its manifest ([] when complete and intact)."""
    path = os.path.join(out_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return [f"{path}: no manifest: the job that wrote this folder did not finish"]
    except (OSError, ValueError) as exc:
        return [f"{path}: unreadable manifest ({exc})"]
    if not isinstance(data, dict) or data.get("complete") is not True:
        return [f"{path}: not marked complete"]
    problems = []
    for row in data.get("files", []):
        full = os.path.join(out_dir, row["name"])
        if not os.path.isfile(full):
            problems.append(f"{row['name']}: missing")
        elif os.path.getsize(full) != row["bytes"] or file_sha256(full) != row["sha256"]:
            problems.append(f"{row['name']}: changed since the manifest was written")
    return problems
