# otswatch: `make run` starts the daemon, `make test` runs the whole suite, `make demo` is the
# offline tour. Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# pytest workers for `make test` (pytest-xdist): most tests wait on daemons, servers and crawls,
# so two workers on a 2-core machine nearly halve the wall time. PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2

.PHONY: run demo test lint check-config bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Bytecode of our own packages, written once: with PYTHONDONTWRITEBYTECODE set (CI machines,
# container images) Python never caches it, and every process (each `run --once`, each daemon
# restart of the crash tests, each parsing worker) compiled our ~100 imported modules again:
# 0.15 s of CPU per start. compileall writes .pyc files whatever the variable says; a file
# edited later is compiled in memory until the next `make`, as before.
BYTECODE = $(BIN)/python -m compileall -q -j 0 crawler alerts otswatch

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BYTECODE)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BYTECODE)
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BYTECODE)
	$(BIN)/otswatch run

demo: $(VENV)/.installed
	$(BIN)/otswatch demo

check-config: $(VENV)/.installed
	$(BIN)/otswatch config check

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BYTECODE)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

bench: $(VENV)/.installed
	$(BYTECODE)
	$(BIN)/python benchmarks/bench_classify.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-out build *.egg-info
