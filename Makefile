# Set-up and everyday commands. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install model run test lint bench docker-smoke clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Train only when models/ holds no valid model for the current training data.
model: install
	$(BIN)/python training/train.py --if-needed

run: install model
	$(BIN)/framing serve

test: install model
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Throughput, latency and memory; writes docs/benchmarks.md (takes a few minutes).
bench: install model
	@command -v wrk >/dev/null || echo "wrk not found (apt-get install wrk): using the httpx load client"
	$(BIN)/python -m benchmarks.run

docker-smoke:
	bash scripts/docker-smoke.sh

clean:
	rm -rf $(VENV) $(filter-out models/README.md,$(wildcard models/*)) .pytest_cache .mypy_cache .ruff_cache
