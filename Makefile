# Two commands do everything on a fresh clone:
#   make run    install, index seeds/ into vectors/, start qa
#   make test   install (with test tools), lint, type-check, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run index test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml, so this one command takes the local CPU wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/qa index seeds/

run: index
	$(BIN)/python app.py

lint: install
	$(BIN)/ruff check qa tests benchmarks app.py
	$(BIN)/ruff format --check qa tests benchmarks app.py
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_index.py

clean:
	rm -rf $(VENV) vectors/manifest.json vectors/g* .pytest_cache .mypy_cache .ruff_cache
