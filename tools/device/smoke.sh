#!/bin/bash
# Runs on a lent GPU machine (the device tool), from the repository root, carrying work/gpu and .whl
# (`make device-bundle` builds both here: the train/dev line pack, fonts, English text and the
# rapidfuzz wheel the machine's Python lacks; ~53 MB). The repository's LM and model files would
# push a call over its 64 MiB: take them out of the index for the call and put them back after:
#   git rm -r -q --cached scriptio/lm/models scriptio/models/default/model.safetensors
#   printf '/scriptio/lm/models/\n/scriptio/models/default/model.safetensors\n' >> .git/info/exclude
#   ... run ...;  git reset -q HEAD -- scriptio/lm/models scriptio/models/default/model.safetensors
#   (and drop the two lines from .git/info/exclude)
# Smoke test (~2 min): environment, synthetic rendering speed, training speed of three sizes alone
# (benchmarks/train_speed.py), three short runs at once. Then, while the machine is warm (30 s),
# tools/device/recognizers.sh.
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD
G=work/gpu
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, cv2, PIL; print('torch', torch.__version__, torch.cuda.is_available(), 'cv2', cv2.__version__, 'PIL', PIL.__version__)"
echo "cores $(nproc)"
SYN="--fonts $G/fonts --text $G/text/en-brown.txt --text $G/text/en-misc.txt"
time python3 -m scriptio.cli recipe recognizer --pack $G/lines.tar --out /tmp/x --synth 3000 \
  --synth-cache /tmp/synth-smoke.npz --render-only $SYN --workers 15 || exit 1
python3 benchmarks/train_speed.py --pack $G/lines.tar --device cuda --seconds 8 --arch '{}' \
  --arch '{"stage_blocks":[0,0,1,1],"hidden":256}' --arch '{"stage_blocks":[0,0,1,1],"hidden":256,"layers":4}' \
  2>&1 | tee $OUT/train_speed.md
S1='{"stage_blocks":[0,0,1,1],"hidden":256}'
COMMON="--pack $G/lines.tar --device cuda --minutes 0.3 --eval-minutes 0.15 --threads 2"
python3 -m scriptio.cli recipe recognizer $COMMON --out /tmp/runs/A --synth 3000 --synth-cache /tmp/synth-smoke.npz > $OUT/A.log 2>&1 &
python3 -m scriptio.cli recipe recognizer $COMMON --out /tmp/runs/B --synth 3000 --synth-cache /tmp/synth-smoke.npz --arch "$S1" > $OUT/B.log 2>&1 &
python3 -m scriptio.cli recipe recognizer $COMMON --out /tmp/runs/D --arch "$S1" > $OUT/D.log 2>&1 &
wait
tail -n 4 $OUT/*.log
ls -la /tmp/runs/*
nvidia-smi --query-gpu=memory.used --format=csv
