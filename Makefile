# The two commands of README.md: `make run` and `make test`. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test lint format

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install.sh
	BBO_VENV=$(VENV) bash scripts/install.sh
	touch $@

run: install
	$(VENV)/bin/bbo run examples/branin.yaml

test: install
	BBO_VENV=$(VENV) bash scripts/test-deps.sh
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

# Benchmarks against peer libraries (dev only; see docs/benchmarks.md). The peers in
# benchmarks/requirements.txt do not depend on torch, so the CPU torch stays as installed.
.PHONY: bench bench-full
bench: install   # the small default preset: minutes
	$(PY) -m pip install -q -r benchmarks/requirements.txt
	$(PY) -m benchmarks.quality
	$(PY) -m benchmarks.speed

bench-full: install   # every problem, 5 seeds, n up to 5000: hours on 2 cores
	$(PY) -m pip install -q -r benchmarks/requirements.txt
	$(PY) -m benchmarks.quality --full
	$(PY) -m benchmarks.speed --full
