# The two commands of the README, for a fresh clone:
#   make demo   installs everything and opens JupyterLab on the demo notebook
#   make test   installs everything and runs every test: jest, pytest, Galata (ui-tests)
# Everything is local to the clone (.venv, node_modules, ui-tests/node_modules) except Debian's
# Chromium, which `make test` installs with apt when /usr/bin/chromium is missing.
# Stamp files make a second run quick: each step reruns only when its inputs changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV := .venv
# The build (`jupyter labextension build`) and the ui-tests' server must find the venv's jupyter.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Galata drives Debian's Chromium; Playwright must not download its own browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO := $(firstword $(wildcard examples/demo.ipynb) $(wildcard examples) .)
# JupyterLab refuses to run as root unless told to (containers and CI machines often are root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
CLI := bin/jupyterlab-gradcam.js
# The static JupyterLite site (`make lite`) and the contents it serves.
LITE_CONTENTS := build/lite-contents
LITE_SITE := build/lite

LABEXTENSION := jupyterlab_gradcam/labextension/package.json
# `npm run build` builds the extension (lib/, the labextension) and the command line (lib-cli/).
FRONTEND_SOURCES := $(shell find src style schema -type f -not -path '*/__tests__/*') \
	package.json tsconfig.json tsconfig.cli.json webpack.config.js

.PHONY: demo test lite

demo: $(VENV)/.develop
	jupyter lab $(ALLOW_ROOT) $(DEMO)

test: $(CHROMIUM) $(VENV)/.develop ui-tests/node_modules/.installed $(LITE_SITE)/.built
	@echo '--- jupyter labextension list'
	extensions="$$(jupyter labextension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"; \
	echo "$$extensions"; \
	grep -Eq '^\s*jupyterlab-gradcam v\S+ enabled OK' <<< "$$extensions"
	@echo '--- node $(CLI) --help'
	node $(CLI) --help > /dev/null
	@echo '--- lint (prettier, eslint)'
	npm run lint:check
	@# Every runner runs even when one fails, so that their own summaries end the output.
	status=0; \
	echo '--- jest'; npm test || status=1; \
	echo '--- pytest'; $(VENV)/bin/python -m pytest tests -q || status=1; \
	echo '--- Galata (ui-tests)'; (cd ui-tests && npx playwright test) || status=1; \
	echo '--- Notebook 7 (ui-tests/frontends)'; \
	(cd ui-tests && npx playwright test -c playwright-notebook.config.js) || status=1; \
	echo '--- JupyterLite (ui-tests/frontends, the site of make lite)'; \
	(cd ui-tests && npx playwright test -c playwright-lite.config.js) || status=1; \
	exit $$status

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y chromium

# The editable install skips the build hook (SKIP_JUPYTER_BUILDER): the rules below build the
# extension with this venv's jupyterlab, and `labextension develop` links it into the venv.
$(VENV)/.installed: pyproject.toml
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	SKIP_JUPYTER_BUILDER=1 $(VENV)/bin/pip install -e ".[test]"
	touch $@

node_modules/.installed: package-lock.json
	npm ci
	touch $@

$(LABEXTENSION): node_modules/.installed $(VENV)/.installed $(FRONTEND_SOURCES)
	npm run build

# After a reinstall too: pip may have replaced the link with a copy of the extension.
$(VENV)/.develop: $(LABEXTENSION) $(VENV)/.installed
	jupyter labextension develop --overwrite .
	touch $@

ui-tests/node_modules/.installed: ui-tests/package-lock.json
	cd ui-tests && npm ci
	touch $@

# The static JupyterLite site: JupyterLab in the browser with the extension, the demo models and
# two pictures (scripts/lite_contents.py), no server and no kernel. `make lite` writes build/lite;
# serve it with any static file server, e.g. `python3 -m http.server -d build/lite`.

lite: $(LITE_SITE)/.built

$(LITE_SITE)/.built: $(VENV)/.develop scripts/lite_contents.py scripts/shapes.py $(wildcard examples/models/*)
	rm -rf $(LITE_CONTENTS) $(LITE_SITE)
	$(VENV)/bin/python scripts/lite_contents.py $(LITE_CONTENTS)
	@# Run from build/, where jupyter lite keeps its cache; it takes the extension from the venv.
	cd build && jupyter lite build --contents lite-contents --output-dir lite
	touch $@
