# Two commands do everything on a fresh clone:
#   make run    install, index seeds/ into vectors/, start the UI on http://127.0.0.1:7860
#   make test   install (with test tools), lint, type-check, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run index test lint bench browser clean

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

# The browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install lint browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_index.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_update.py
	$(BIN)/python benchmarks/bench_scale.py --quick

clean:
	rm -rf $(VENV) vectors/manifest.json vectors/g* .pytest_cache .mypy_cache .ruff_cache
