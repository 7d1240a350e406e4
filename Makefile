# The README's two commands: `make run` and `make test`. Both build .venv once and reuse it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# onnxruntime-web for the page (ui/avatar_render.js), pinned by ui/web/package-lock.json. npm ci
# rewrites node_modules/.package-lock.json, so that file is the stamp of a finished install.
WEB := ui/web
WEB_STAMP := $(WEB)/node_modules/.package-lock.json
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test lint setup clean-venv

setup: $(STAMP) $(WEB_STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Python 3.11 is required" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: a CPU build of exactly this release lies on local disk.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 18+ with npm (apt-get install npm)" >&2; exit 1; }
	npm ci --prefix $(WEB) --omit=dev --ignore-scripts --no-audit --no-fund
	touch $(WEB_STAMP)

run: $(STAMP) $(WEB_STAMP)
	$(PY) -m ui.app $(ARGS)

lint: $(STAMP) $(WEB_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy tutor affect gan ui

test: lint
	$(VENV)/bin/pytest -q

clean-venv:
	rm -rf $(VENV)
