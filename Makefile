# Two commands do everything on a fresh clone:
#   make run    install, index seeds/ into vectors/, start the UI on http://127.0.0.1:7860
#   make test   install (with test tools), lint, type-check, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run index test lint bench browser clean reader

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

# Rebuild the shipped reader from the SQuAD files in ../shared (never committed): one epoch
# over a seeded 50,000-question sample of SQuAD v1.1 train, scored on the v1.1 dev half, then
# its abstention fitted on two SQuAD 2.0 articles no other step uses. About 70 minutes on 2
# cores with bf16; --resume continues a run that was cut off.
SHARED ?= ../shared
READER_OUT ?= reader-v2
reader: install
	$(BIN)/qa train-reader --squad $(SHARED)/train/squad-v1.1-train.json --holdout 0 \
	  --eval $(SHARED)/eval/squad-v1.1-dev.json --max-questions 50000 --negatives 0.25 \
	  --epochs 1 --lr 1e-4 --batch-size 32 --out $(READER_OUT)
	$(BIN)/qa calibrate --squad $(SHARED)/eval/squad-v2.0-halfdev.json \
	  --articles 1973_oil_crisis Packet_switching --seeds-qa tests/data/seeds-qa.jsonl \
	  --reader $(READER_OUT)

clean:
	rm -rf $(VENV) vectors/manifest.json vectors/g* .pytest_cache .mypy_cache .ruff_cache
