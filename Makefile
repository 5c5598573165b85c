PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test train-default train-default-gpu finetune-default finetune-default-gpu bench clean

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

# The recipe of the shipped model: 10.5 min on one GPU (4x width downsampling), from a pack of
# normalized lines small enough to travel to a GPU machine (see README, "The default model").
GPU_RECIPE = --packed work/htr48.tar --device cuda --out runs/default-gpu --batch-size 24 --lr 1e-3 \
	--loader-threads 12 --patience 40 --augment-probability 0.7 --arch '{"pools": [[2,2],[2,2],[2,1],[2,1]]}'
train-default-gpu: install
	$(BIN)/python -m scriptio.train.pack --shared ../shared --out work/htr48.tar
	$(BIN)/python -m scriptio.train.default_recipe $(GPU_RECIPE) --minutes 6
	$(BIN)/python -m scriptio.train.default_recipe $(GPU_RECIPE) --minutes 10.5 --resume

# The line pack the fine-tuning stages read (built once; train-default-gpu rebuilds it).
work/htr48.tar: | $(STAMP)
	$(BIN)/python -m scriptio.train.pack --shared ../shared --out work/htr48.tar

# Second stage of the shipped model: 2 h on the 2-core CPU from the GPU model (INIT), then the
# mean of the weights of the last 3 epochs.
INIT ?= runs/default-gpu/best.safetensors
FINETUNE = $(BIN)/python -m scriptio.train.default_recipe --packed work/htr48.tar --lr 3e-4 --augment-probability 0.7
finetune-default: install work/htr48.tar
	$(FINETUNE) --init $(INIT) --out runs/default-ft --minutes 120 --loader-threads 1 --patience 40 --keep-epochs
	$(BIN)/python -m scriptio.train.average runs/default-ft/averaged.safetensors \
		$$(ls runs/default-ft/epochs/epoch-*.safetensors | tail -3)

# Third stage: the same fine-tuning for 7.8 min on one GPU (27 epochs on an H200) from the
# second stage's mean (GPU_INIT); runs/default-ft-gpu/best.safetensors is the shipped model.
GPU_INIT ?= runs/default-ft/averaged.safetensors
finetune-default-gpu: install work/htr48.tar
	$(FINETUNE) --init $(GPU_INIT) --out runs/default-ft-gpu --minutes 7.8 --device cuda --batch-size 24 \
		--loader-threads 14 --threads 1 --patience 60

bench: install
	$(BIN)/python benchmarks/recognition.py --shared ../shared

clean:
	rm -rf $(VENV) build *.egg-info
