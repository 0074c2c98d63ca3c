"""The notebooks as a user meets them: JupyterLab in a real Chromium.

A JupyterLab server started here (127.0.0.1, a free port, a token, the
notebooks copied to a temporary folder so that nothing is saved into the
repository) and the OS Chromium (``/usr/bin/chromium``; ``make test`` installs
it) driven by Playwright: every notebook of ``notebooks/`` is opened and run
with Run > Run All Cells and must end without an error output; then the panel
of notebook 06 is operated with the mouse and keyboard (a policy and a weight
changed, Run: the plots are redrawn; a bad value: the error is shown by the
control and the last good plots stay). Screenshots go to ``docs/images/``.

A browser that cannot start is a failure, never a skip.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IMAGES = ROOT / "docs" / "images"
CHROMIUM = os.environ.get("NANDSEQGEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}  # the window of the report, file browser open
RUN_ALL_TIMEOUT_MS = 240_000
SETTINGS = {  # JupyterLab user settings: no news toasts, every cell in the DOM
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen
# every code cell has run: a number in its prompt; or an error output showed up
_DONE_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) '
                                              + '.jp-CodeCell .jp-InputPrompt')];
  const ran = prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
  const errors = [...document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .some(e => /Traceback|Error/.test(e.textContent));
  return ran || errors;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc, log_path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}: "
                               f"{log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token, temporary folder) of a JupyterLab serving a copy of notebooks/."""
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "notebooks"
    work.mkdir()
    for nb in NOTEBOOKS:  # without stored outputs: every prompt starts as [ ]
        book = nbformat.read(nb, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(book, work / nb.name)
    settings = tmp / "settings"
    for name, value in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    env.pop("MPLBACKEND", None)  # the notebooks pick their backends
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--ServerApp.open_browser=False", "--ServerApp.allow_root=True",
         "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", proc, tmp / "lab.log")
        yield base, token, tmp
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """The OS Chromium; an exception here fails the tests (no skip)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs it with apt-get"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _shutdown_kernels(lab) -> None:
    base, token, _tmp = lab
    req = urllib.request.Request(f"{base}/api/sessions?token={token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        sessions = json.load(resp)
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE"), timeout=10)


def _open_and_run_all(browser, lab, name: str):
    """A page with notebook ``name`` opened and Run All finished; returns the page."""
    base, token, _tmp = lab
    page = browser.new_page(viewport=VIEWPORT)
    # a workspace of its own, reset: only this notebook's tab
    page.goto(f"{base}/lab/workspaces/{name.split('.')[0]}/tree/{name}?token={token}&reset")
    page.locator(f"{PANEL} .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    _wait_for_kernel(page)
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(_DONE_JS, timeout=RUN_ALL_TIMEOUT_MS, polling=500)
    return page


def _wait_for_kernel(page) -> None:
    """Until the status bar says the kernel is idle (answering a kernel dialog)."""
    idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle"))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        select = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
        if select.count():
            select.click()
        if idle.count():
            return
        page.wait_for_timeout(300)
    raise AssertionError("the notebook's kernel did not become idle in 90 s")


def _menu(page, menu: str, item: str) -> None:
    """Click ``menu`` in the menu bar, then its ``item`` (a kernel dialog is answered first)."""
    select = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
    if select.count():
        select.click()
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def _error_outputs(page) -> list:
    texts = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    return [t for t in texts.all_inner_texts() if "Traceback" in t or "Error" in t]


@pytest.mark.parametrize("notebook", [nb.name for nb in NOTEBOOKS])
def test_run_all_cells_in_the_browser_without_errors(browser, lab, notebook):
    page = _open_and_run_all(browser, lab, notebook)
    try:
        assert _error_outputs(page) == []
        prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        assert prompts and all("[" in p and "*" not in p and p.strip() != "[ ]:" for p in prompts)
        if notebook.startswith("02_"):
            _explore_gantt(page)
        if notebook.startswith("06_"):
            _operate_panel(page)
    except Exception:
        page.screenshot(path=str(lab[2] / f"failed_{notebook}.png"))  # for the failure report
        raise
    finally:
        page.close()
        _shutdown_kernels(lab)


_DRAWN_JS = """(c) => { const ctx = c.getContext('2d');
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4 * 97) if (d[i + 3] && (d[i] < 200 || d[i + 2] < 200)) return true;
  return false; }"""


def _explore_gantt(page) -> None:
    """The linked Gantt on an ipympl canvas: drawn by the kernel; hovering a
    segment describes it (op name, uid, ...) under the lists."""
    canvas = page.locator(".jupyter-matplotlib-canvas-div canvas").first
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible(timeout=30_000)
    page.wait_for_function(_DRAWN_JS, arg=canvas.element_handle(), timeout=60_000, polling=500)
    box = canvas.bounding_box()
    info = page.locator(".nsg-gantt-info")
    found = ""
    for fy in (0.12, 0.2, 0.28, 0.36, 0.44, 0.52, 0.6):
        for fx in (0.45, 0.6, 0.75, 0.3):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            page.wait_for_timeout(250)
            found = info.inner_text()
            if "uid" in found:
                break
        if "uid" in found:
            break
    assert "uid" in found and "die" in found and " us" in found, found
    page.wait_for_timeout(2_000)  # the kernel draws the hover note into the canvas
    page.screenshot(path=str(IMAGES / "gantt_explorer.png"))
    # zoom to a rectangle with the toolbar: the kernel redraws that window
    window = page.locator(".nsg-gantt-window")
    before = window.inner_text()
    page.locator(".jupyter-matplotlib-toolbar button[title^='Zoom']").first.click()
    y = box["y"] + 0.4 * box["height"]
    page.mouse.move(box["x"] + 0.35 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.55 * box["width"], y + 40, steps=8)
    page.mouse.up()
    expect(window).not_to_have_text(before, timeout=30_000)
    assert _window_width(window.inner_text()) < _window_width(before)


def _window_width(title: str) -> float:
    """end - start of "Gantt by die/plane, 22,850.0-23,050.0 us: ..."."""
    lo, hi = re.search(r"([\d,.]+)-([\d,.]+) us", title).groups()
    return float(hi.replace(",", "")) - float(lo.replace(",", ""))


def _img_sources(panel) -> list:
    return panel.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.map(i => i.src.slice(-200))")


def _fill(page, control, value: str) -> None:
    control.click()
    control.fill(value)
    control.press("Enter")


def _operate_panel(page) -> None:
    assert _error_outputs(page) == []
    panel = page.locator(".nsg-panel").first
    panel.scroll_into_view_if_needed()
    status = panel.locator(".widget-html", has_text="ran in").first
    expect(status).to_be_visible(timeout=30_000)  # the notebook ends on a good run
    before = _img_sources(panel)
    assert len(before) >= 2  # gantt and rollbacks
    notebook = page.locator(PANEL).first.bounding_box()
    weights = panel.locator(".nsg-weight-row .widget-text input")
    last = weights.last.bounding_box()
    assert last["x"] + last["width"] <= notebook["x"] + notebook["width"]  # nothing cut off
    # a policy and a weight, then Run: the plots are redrawn
    maxplanes = panel.locator(".widget-text", has=page.locator("label", has_text="maxplanes"))
    _fill(page, maxplanes.locator("input"), "3")
    _fill(page, weights.first, "5")
    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator(".widget-html", has_text="weights normalised")).to_be_visible()
    panel.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "([sel, old]) => { const i = [...document.querySelectorAll(sel)].map(x => x.src.slice(-200));"
        " return i.length >= 2 && i.join() !== old.join(); }",
        arg=[".widget-vbox .jp-OutputArea-output img", before], timeout=120_000)
    expect(panel.locator(".widget-html", has_text="ran in").first).to_be_visible(timeout=30_000)
    good = _img_sources(panel)
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(IMAGES / "panel.png"))  # the 1,400 px window, file browser open
    # a bad value: the error names the control, borders it, and the plots stay
    window = panel.locator(".widget-text", has=page.locator("label", has_text="admission_window"))
    _fill(page, window.locator("input"), "-1")
    panel.get_by_role("button", name="Run").click()
    error = panel.locator(".widget-html", has_text="error: admission_window (us)").first
    expect(error).to_be_visible(timeout=60_000)
    assert "last good run" in error.inner_text()
    assert _img_sources(panel) == good
    border = window.evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(176, 0, 32)"
    panel.get_by_role("button", name="Run").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(IMAGES / "panel_error.png"))
