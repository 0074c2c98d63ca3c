"""Execute notebooks in place (kernel cwd = their folder) so their stored
outputs match the current engine; report run times. ``make notebooks``."""
from __future__ import annotations

import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def run(path: str) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
    elapsed = time.perf_counter() - t0
    nb.metadata.pop("widgets", None)  # widget state embeds the panel's images: not kept
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{os.path.basename(p)}: {run(p):.1f} s, {os.path.getsize(p) / 1024:.0f} KiB",
              flush=True)
