# Two commands: `make run` (set up, then run the main job on config.yaml -> out/)
# and `make test` (set up, then run every test). Both create .venv from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SEED   ?= 42
UNTIL  ?= 1000000

CHROMIUM ?= /usr/bin/chromium

# pip install compiles the engine's hot path with mypyc (setup.py, docs/decisions.md 90):
# the .so files sit next to the sources, so editing a hot module rebuilds them.
BUILD_INPUTS := pyproject.toml setup.py $(shell $(PYTHON) setup.py --print-hot 2>/dev/null)

.PHONY: run test bench notebooks images clean lab chromium

$(VENV)/.stamp-run: $(BUILD_INPUTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	$(PY) -m compileall -q nandseqgen   # bytecode now: start-up does not compile (docs/decisions.md 123)
	touch $@

$(VENV)/.stamp-dev: $(BUILD_INPUTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m compileall -q nandseqgen
	touch $(VENV)/.stamp-run $@

$(VENV)/.stamp-lab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[notebook]'
	touch $@

# tests/test_browser.py drives the OS Chromium (Playwright's own browser download is not used)
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

run: $(VENV)/.stamp-run
	$(PY) -m nandseqgen run --config config.yaml --out out --seed $(SEED) --run-until $(UNTIL)

test: $(VENV)/.stamp-dev chromium
	$(PY) -m pytest -q -p no:cacheprovider tests notebooks --nbval-lax

bench: $(VENV)/.stamp-dev
	$(PY) benchmarks/throughput.py

notebooks: $(VENV)/.stamp-dev   # re-execute notebooks/*.ipynb in place (stored outputs)
	$(PY) notebooks/run_notebooks.py notebooks/*.ipynb

lab: $(VENV)/.stamp-lab         # JupyterLab on notebooks/ (ipywidgets, ipympl): open the URL it prints
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

images: $(VENV)/.stamp-dev      # regenerate docs/images/*.png
	$(PY) docs/make_images.py

clean:
	rm -rf $(VENV) out build *.egg-info
	find . -path ./.venv -prune -o -name '*.so' -print | grep -E '(nandseqgen|__mypyc)' | xargs rm -f
