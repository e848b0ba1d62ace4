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
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .
