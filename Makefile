# The README's two commands: `make validate` (the release validation) and `make test` (ruff + pytest).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: validate test lint install install-test clean up load doctor images

# Works without Debian's python3-venv too (pip is bootstrapped from PyPI), and checks Python >= 3.11.
$(BIN)/python:
	$(PYTHON) .ci/make_venv.py $(VENV)

# Stamps re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Profile quick by default (the CI one); e.g. `make validate ARGS="--profile standard"`.
validate: install
	$(BIN)/hotelero validate $(ARGS)

# After the two commands: the stack on 8080-8082, a load run, what serves Postgres/Redis, offline images.
# e.g. `make load ARGS="--shape steady --rate 2.8 --duration 5m"`; every other command is .venv/bin/hotelero.
up: install
	$(BIN)/hotelero up $(ARGS)

load: install
	$(BIN)/hotelero load $(ARGS)

doctor: install
	$(BIN)/hotelero doctor $(ARGS)

images: install
	$(BIN)/hotelero images build $(ARGS)

lint: install-test
	$(BIN)/ruff check .

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis reports
