PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test train-default bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/scriptio sample --out samples/sample-line.png
	$(BIN)/scriptio read --level line samples/sample-line.png

test: install
	$(BIN)/python -m pytest -q

train-default: install
	$(BIN)/python -m scriptio.train.default_recipe --shared ../shared --out runs/default

bench: install
	$(BIN)/python benchmarks/recognition.py --shared ../shared

clean:
	rm -rf $(VENV) build *.egg-info
