PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared
DEVICE ?= cpu
MINUTES ?= 120

BENCH_STAMP := $(VENV)/.bench-installed
MUTATION_STAMP := $(VENV)/.mutation-installed
# make mutation MODULE=scriptio/text: one module (a file or folder under scriptio/); empty: every core module
MODULE ?=
MUTATION_MINUTES ?= 30

.PHONY: install install-bench run test bench mutation pack train-default device-bundle device-bundle-paragraph clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The `bench` extra, which the KenLM and pyctcdecode parity tests need (kenlm compiles from
# source: about 1.5 minutes on 2 cores). Installed without pip's resolver: pyctcdecode 0.5.0
# declares numpy<2, which would downgrade numpy under opencv (that needs numpy>=2); it runs on
# numpy 2, as the parity tests show. Keep these pins equal to the `bench` extra's.
install-bench: $(BENCH_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install -q --no-deps pyctcdecode==0.5.0 kenlm==0.3.0 'pygtrie>=2.1,<3'
	$(BIN)/python -c "import kenlm, pyctcdecode"
	touch $(BENCH_STAMP)

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/pip install -q 'mutmut==3.8.1'   # the `mutation` extra
	touch $(MUTATION_STAMP)

run: install
	$(BIN)/scriptio sample --out samples/page.jpg
	$(BIN)/scriptio read samples/page.jpg --debug-dir samples/debug

# SCRIPTIO_REQUIRE_PARITY=1: a missing kenlm or pyctcdecode fails the parity tests instead of skipping them.
test: install install-bench
	SCRIPTIO_REQUIRE_PARITY=1 $(BIN)/python -m pytest -q

# Mutation testing (docs/testing.md), in scratch copies under work/mutation/; the table goes to
# the terminal and, with each module's surviving mutants, to runs/mutation/.
mutation: $(MUTATION_STAMP)
	$(BIN)/python benchmarks/mutation.py $(MODULE) --minutes $(MUTATION_MINUTES)

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

# What tools/device/paragraph.sh needs on a lent GPU machine: the train pages of every set (no val page)
# with their pages.jsonl, and the rapidfuzz wheel (built by device-bundle).
device-bundle-paragraph: install
	$(BIN)/python tools/device/pack_pages.py $(SHARED) work/gpu-para
	du -sh work/gpu-para
