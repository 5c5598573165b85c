PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test device-bundle train-default train-default-gpu finetune-default finetune-default-gpu finetune-default-packed finetune-default-cpu finetune-default-cpu-again bench clean

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
# second stage's mean (GPU_INIT); its runs/default-ft-gpu/best.safetensors starts the fourth stage.
GPU_INIT ?= runs/default-ft/averaged.safetensors
finetune-default-gpu: install work/htr48.tar
	$(FINETUNE) --init $(GPU_INIT) --out runs/default-ft-gpu --minutes 7.8 --device cuda --batch-size 24 \
		--loader-threads 14 --threads 1 --patience 60

# Fourth stage: the BLSTM reads packed lines with a 16-px blank end margin (each line as if
# alone). Two fine-tunes from the third stage (PACKED_INIT) share one GPU for 7.9 min (16 epochs
# each on an H200): A as before, B with augmentation 0.5 and hooker and peraire drawn 1.5x as
# often. Each keeps the mean of its last 3 epochs; the mean of those two, given the "width"
# and "stroke_mask" normalization steps (no retraining), starts the fifth stage:
# runs/default-packed/model-strokes.safetensors.
PACKED_INIT ?= runs/default-ft-gpu/best.safetensors
PACKED = $(FINETUNE) --init $(PACKED_INIT) --minutes 7.9 --device cuda --batch-size 24 --loader-threads 7 \
	--threads 1 --patience 60 --keep-epochs --arch '{"packed": true, "end_margin": 16}'
finetune-default-packed: install work/htr48.tar
	$(PACKED) --out runs/default-packed/A & a=$$!; \
	$(PACKED) --out runs/default-packed/B --augment-probability 0.5 --weights '{"hooker": 1.5, "peraire": 1.5}' & b=$$!; \
	wait $$a && wait $$b
	for run in A B; do $(BIN)/python -m scriptio.train.average runs/default-packed/$$run/averaged.safetensors \
		$$(ls runs/default-packed/$$run/epochs/epoch-*.safetensors | tail -3) || exit 1; done
	$(BIN)/python -m scriptio.train.average runs/default-packed/model.safetensors \
		runs/default-packed/A/averaged.safetensors runs/default-packed/B/averaged.safetensors
	$(BIN)/python -m scriptio.train.add_step runs/default-packed/model.safetensors \
		runs/default-packed/model-width.safetensors --step width
	$(BIN)/python -m scriptio.train.add_step runs/default-packed/model-width.safetensors \
		runs/default-packed/model-strokes.safetensors --step stroke_mask

# Fifth stage: two 95-min fine-tunes on the 2-core CPU (one thread each) from the fourth stage
# (CPU_INIT) on stroke_mask lines with frozen batch-norm statistics; the mean of epochs 3-5 of
# both starts the sixth stage: runs/default-cpu-ft/model.safetensors.
CPU_INIT ?= runs/default-packed/model-strokes.safetensors
CPU_FINETUNE = $(BIN)/python -m scriptio.train.default_recipe --packed work/htr48.tar --threads 1 --keep-epochs \
	--patience 60 --freeze-norm
CPU_FT = $(CPU_FINETUNE) --init $(CPU_INIT) --minutes 95
finetune-default-cpu: install work/htr48.tar
	$(CPU_FT) --out runs/default-cpu-ft/A --lr 5e-5 --augment-probability 0.5 --weights '{"hooker": 1.5}' --seed 11 & a=$$!; \
	$(CPU_FT) --out runs/default-cpu-ft/B --lr 1.5e-4 --augment-probability 0.6 \
		--weights '{"hooker": 2.0, "peraire": 1.2}' --seed 12 & b=$$!; \
	wait $$a && wait $$b
	$(BIN)/python -m scriptio.train.average runs/default-cpu-ft/model.safetensors \
		$$(for run in A B; do for epoch in 3 4 5; do echo runs/default-cpu-ft/$$run/epochs/epoch-00$$epoch.safetensors; done; done)

# Sixth stage: the fifth stage's recipe again, from its mean (CPU_AGAIN_INIT), for 120 min with
# more weight on hooker; the mean of the last 3 epoch files of both runs (the last may be a part
# epoch cut by the time limit) is the shipped model:
# runs/default-cpu-ft2/model.safetensors.
CPU_AGAIN_INIT ?= runs/default-cpu-ft/model.safetensors
CPU_AGAIN = $(CPU_FINETUNE) --init $(CPU_AGAIN_INIT) --minutes 120
finetune-default-cpu-again: install work/htr48.tar
	$(CPU_AGAIN) --out runs/default-cpu-ft2/A --lr 8e-5 --augment-probability 0.5 --weights '{"hooker": 2.0}' --seed 21 & a=$$!; \
	$(CPU_AGAIN) --out runs/default-cpu-ft2/B --lr 1.5e-4 --augment-probability 0.6 \
		--weights '{"hooker": 2.5, "peraire": 1.2}' --seed 22 & b=$$!; \
	wait $$a && wait $$b
	$(BIN)/python -m scriptio.train.average runs/default-cpu-ft2/model.safetensors \
		$$(for run in A B; do ls runs/default-cpu-ft2/$$run/epochs/epoch-*.safetensors | tail -3; done)

bench: install
	$(BIN)/python benchmarks/recognition.py --shared ../shared

clean:
	rm -rf $(VENV) build *.egg-info

# What a lent GPU machine needs to train recognizers (it cannot see ../shared): work/gpu and .whl,
# ~53 MB; tools/device/smoke.sh and tools/device/recognizers.sh say how to run them there.
device-bundle: install
	$(BIN)/python -m scriptio.train.pack --shared ../shared --out work/gpu/lines.tar --splits train,dev --quality 50
	mkdir -p work/gpu/fonts work/gpu/text
	cp ../shared/data/fonts/*.woff work/gpu/fonts/
	head -c 3000000 ../shared/data/text/en-brown.txt > work/gpu/text/en-brown.txt
	head -c 1500000 ../shared/data/text/en-misc.txt > work/gpu/text/en-misc.txt
	$(BIN)/pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .whl \
		rapidfuzz==$$($(BIN)/python -c "import rapidfuzz; print(rapidfuzz.__version__)")
