#!/bin/bash
# Runs on a lent GPU machine (the device tool), from the repository root, carrying work/gpu-para and .whl
# (`make device-bundle-paragraph` builds them here: the train pages of every set with their pages.jsonl —
# no val page travels — 1,000 train line images for synthetic paragraphs, and the rapidfuzz wheel; ~45 MB).
# With the CPU reader as init.safetensors (12 MB) the call is over 64 MiB unless the LM files and the
# bundled line model leave the index for the call, as recognizers.sh says (INIT replaces the line model).
# Device run: the paragraph reader's joint stage (everything learns, on block images) from INIT (a paragraph
# model from the CPU stages, carried in work/gpu-para/init.safetensors, or the bundled line model), for
# MINUTES; the best model is copied to $OUT every 30 s, so a run cut short still returns its best so far.
# Resume in a later session: carry the returned checkpoint as work/gpu-para/checkpoint.pt (RESUME=1).
export PYTHONUNBUFFERED=1
set -o pipefail
T0=$(date +%s)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD
G=work/gpu-para
INIT=${INIT:-$([ -f $G/init.safetensors ] && echo $G/init.safetensors || echo default)}
mkdir -p /tmp/para
[ "${RESUME:-0}" = 1 ] && cp $G/checkpoint.pt /tmp/para/checkpoint.pt && R=--resume
python3 -m scriptio.cli train --arch attention --stage joint --init $INIT $G/*/pages.jsonl --out /tmp/para \
  --device cuda --minutes ${MINUTES:-7} --lr ${LR:-1e-4} --threads 8 $R > /tmp/para.log 2>&1 &
while [ $(jobs -r | wc -l) -gt 0 ]; do
  sleep 30
  cp /tmp/para/best.safetensors /tmp/para/checkpoint.pt $OUT/ 2>/dev/null
  tail -n 2 /tmp/para.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null
done
cp /tmp/para/best.safetensors /tmp/para/checkpoint.pt /tmp/para/history.json /tmp/para.log $OUT/ 2>/dev/null
grep -E "eval at|Error|error" /tmp/para.log | tail -n 6
echo "total $(( $(date +%s) - T0 )) s"
