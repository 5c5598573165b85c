PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared
DEVICE ?= cpu
MINUTES ?= 120

.PHONY: install run test bench pack train-default device-bundle clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/scriptio sample --out samples/page.jpg
	$(BIN)/scriptio read samples/page.jpg --debug-dir samples/debug

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/recognition.py --shared $(SHARED)

# The normalized lines of every set in $(SHARED)/data/htr (train, dev carved out of train, val).
work/lines.tar: | $(STAMP)
	$(BIN)/scriptio data pack --shared $(SHARED) --out work/lines.tar
pack: work/lines.tar

# The recognizer recipe (scriptio recipe recognizer): 100k synthetic lines faded into the real
# ones, chosen on the dev split. DEVICE=cuda on a GPU machine; MINUTES sets the budget.
train-default: install work/lines.tar
	$(BIN)/scriptio recipe recognizer --pack work/lines.tar --out runs/default --device $(DEVICE) \
		--minutes $(MINUTES) --synth 100000 --synth-cache work/synth100k.npz --fonts $(SHARED)/data/fonts \
		--text $(SHARED)/data/text/en-brown.txt --text $(SHARED)/data/text/en-misc.txt

# What a lent GPU machine needs (it cannot see $(SHARED)): work/gpu and .whl, ~53 MB;
# tools/device/smoke.sh and tools/device/recognizers.sh say how to run them there.
device-bundle: install
	$(BIN)/scriptio data pack --shared $(SHARED) --out work/gpu/lines.tar --splits train,dev --quality 50
	mkdir -p work/gpu/fonts work/gpu/text
	cp $(SHARED)/data/fonts/*.woff work/gpu/fonts/
	head -c 3000000 $(SHARED)/data/text/en-brown.txt > work/gpu/text/en-brown.txt
	head -c 1500000 $(SHARED)/data/text/en-misc.txt > work/gpu/text/en-misc.txt
	$(BIN)/pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .whl \
		rapidfuzz==$$($(BIN)/python -c "import rapidfuzz; print(rapidfuzz.__version__)")

clean:
	rm -rf $(VENV) build *.egg-info
