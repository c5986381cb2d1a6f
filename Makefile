# `make run` and `make test` do all set-up on a fresh machine.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: install run test lint bench clean screenshots browser

$(STAMP): pyproject.toml
	@echo "==> creating virtualenv in $(VENV) and installing okrbot"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/okrbot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@$(BIN)/python -m tests.sizes

# The sandbox's browser tests use Debian's chromium; install it where apt can.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  export DEBIAN_FRONTEND=noninteractive && \
	  (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null)) \
	  || echo "==> chromium is not installed: the browser tests will be skipped (apt-get install chromium)"; }

test: lint browser
	$(BIN)/python -m pytest

screenshots: $(STAMP) browser
	@fc-list 2>/dev/null | grep -qi "color emoji" || apt-get install -y fonts-noto-color-emoji >/dev/null 2>&1 || true
	$(BIN)/python -m bot.sandbox.screenshots

bench: $(STAMP)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.scheduler
	$(BIN)/python -m benchmarks.senders
	$(BIN)/python -m benchmarks.api
	$(BIN)/python -m benchmarks.boards
	$(BIN)/python -m benchmarks.log_cost
	$(BIN)/python -m benchmarks.ramp
	$(BIN)/python -m benchmarks.soak
	$(BIN)/python -m benchmarks.digest_scale
	$(BIN)/python -m benchmarks.teamless_rank
	$(BIN)/python -m benchmarks.hang

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
