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

# Later: `shotreel demo --render --export FILE` once generate and export exist.
demo: $(VENV)/.base
	@test -f $(DEMO)/project.db || $(VENV)/bin/shotreel demo $(DEMO)
	$(VENV)/bin/shotreel shots $(DEMO)

test: $(VENV)/.full
	@packaging/debian-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests --ignore=tests/bench

bench: $(VENV)/.full
	@packaging/debian-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.bench

clean-venv:
	rm -rf $(VENV)
