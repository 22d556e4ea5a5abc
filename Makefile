# Shortcuts for the commands in README.md; CI runs .ci/run, which calls the same test command.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install lint test check evaluate bench build clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python  ## venv with the package (editable) and the test tools
	$(BIN)/pip install -e ".[test]"

lint:  ## ruff over the code, tests and scripts
	$(BIN)/ruff check graph tests scripts

test:  ## the whole test suite (pytest --update-goldens rewrites tests/golden/)
	$(BIN)/python -m pytest

check: lint test

build:  ## build the bundled corpus into out/
	$(BIN)/parkgraph build --out out

evaluate:  ## per-document entity/relation P/R/F1 against ../shared/eval/dev
	$(BIN)/python scripts/evaluate.py

bench:  ## every benchmark script in scripts/ (bench_*.py); not part of `make test`
	@set -e; for s in scripts/bench_*.py; do [ -e "$$s" ] || continue; echo "== $$s"; $(BIN)/python "$$s"; done

clean:
	rm -rf out build dist .pytest_cache .ruff_cache
