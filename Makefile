# Set-up and everyday commands. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install model evaluate run test lint bench docker-smoke clean

install: $(STAMP)

# Everything the README's commands need: the service, batch runs, training, PostgreSQL
# for corrections, and the tests.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[batch,train,dev,postgres]'
	touch $(STAMP)

# Train each language whose folder in models/ holds no valid model of the current data:
# the same 5 folds as `make evaluate`, so the model built is the one the README measures,
# and the C that evaluation chose when its report is of the same data (--reuse-c).
# No leave-one-domain-out and no tracked report: that is `make evaluate`.
model: install
	$(BIN)/python -m training.train --if-needed --reuse-c

# The full evaluation: retrains with leave-one-domain-out, writes training/reports/ and
# the README's metric tables and examples (tracked files), and compares a joint model.
evaluate: install
	$(BIN)/python -m training.train --evaluate
	$(BIN)/python -m training.compare_multilingual
	$(BIN)/python -m scripts.readme_metrics
	$(BIN)/python -m scripts.readme_examples

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
