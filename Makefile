# Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run once check test lint demo bench docker clean

$(VENV)/.run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[postgres]"
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.run

run: $(VENV)/.run            ## install and start the daemon with config.toml
	$(BIN)/raqib run --config $(CONFIG)

once: $(VENV)/.run           ## poll every feed once, deliver, exit
	$(BIN)/raqib run --once --config $(CONFIG)

check: $(VENV)/.run          ## validate config.toml and the watchlists
	$(BIN)/raqib check --config $(CONFIG)

test: $(VENV)/.dev           ## install and run the test suite
	$(BIN)/python -m pytest -n 2

lint: $(VENV)/.dev           ## ruff and mypy
	$(BIN)/ruff check daemon tests examples bench
	$(BIN)/ruff format --check daemon tests examples bench
	$(BIN)/mypy daemon

demo: $(VENV)/.run           ## the whole pipeline offline, on sample feeds served from 127.0.0.1
	$(BIN)/python examples/demo.py

docker:                      ## build the container image
	docker build -t raqib .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
