# Shotreel developer entry points. Every target sets up what it needs on a fresh Debian machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
DEMO   ?= projects/demo.shotreel


.PHONY: run demo test bench clean-venv

$(VENV)/.base: pyproject.toml
	@packaging/debian-deps.sh demo
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	@touch $@

# torch==2.13.0 first: it is the CPU build on this machine's disk; the gen extra's range then installs nothing more.
$(VENV)/.full: $(VENV)/.base
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[gen,dev]'
	@touch $@

run: $(VENV)/.base
	@packaging/debian-deps.sh run
	@test -f $(DEMO)/project.db || $(VENV)/bin/shotreel demo $(DEMO)
	$(VENV)/bin/shotreel open $(DEMO)

# Headless: build the demo (if needed), render every shot with the built-in previs engine, export a signed MP4.
demo: $(VENV)/.base
	$(VENV)/bin/shotreel demo $(DEMO) --render --export $(DEMO)/media/exports/demo.mp4
	$(VENV)/bin/shotreel verify $(DEMO)/media/exports/demo.mp4 --trust-own

test: $(VENV)/.full
	@packaging/debian-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests --ignore=tests/bench --durations=10

bench: $(VENV)/.full
	@packaging/debian-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.bench

clean-venv:
	rm -rf $(VENV)
