#!/bin/bash
# Runs on a lent GPU machine (the device tool), from the repository root, carrying work/gpu and .whl
# (`make device-bundle` builds both here: the train/dev line pack, fonts, English text and the
# rapidfuzz wheel the machine's Python lacks; ~53 MB). The repository's LM and model files would
# push a call over its 64 MiB: take them out of the index for the call and put them back after:
#   git rm -r -q --cached scriptio/lm/models scriptio/models/default/model.safetensors
#   printf '/scriptio/lm/models/\n/scriptio/models/default/model.safetensors\n' >> .git/info/exclude
#   ... run ...;  git reset -q HEAD -- scriptio/lm/models scriptio/models/default/model.safetensors
#   (and drop the two lines from .git/info/exclude)
# Device run: render 100k synthetic lines once, then five recognizer runs share the GPU.
#   A base (2.6 M) + synth, B S1 (4.7 M) + synth, C S2 (6.2 M) + synth, D S1 without synth,
#   E S1 + synth at twice the learning rate. Each run's best (16-bit) model is copied to $OUT
#   every minute, so a run cut short still returns its best so far.
export PYTHONUNBUFFERED=1
set -o pipefail
DEV=${DEV:-cuda}; PREC=${PREC:-auto}
T0=$(date +%s)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD
G=work/gpu
SYN="--synth ${SYNTH:-100000} --synth-cache /tmp/synth${SYNTH:-100000}.npz"
python3 -m scriptio.cli recipe recognizer --pack $G/lines.tar --out /tmp/x $SYN --render-only \
  --fonts $G/fonts --text $G/text/en-brown.txt --text $G/text/en-misc.txt --workers ${WORKERS:-15} $EXTRA 2>&1 | tee $OUT/synth.log || exit 1
NOW=$(date +%s)
# 545 s for everything: what synthesis left, less 40 s to load and 25 s to finish.
MIN=$(python3 -c "print(round(min(7.0, (545 - ($NOW - $T0) - 65) / 60), 2))")
echo "training minutes: $MIN"
S1='{"stage_blocks":[0,0,1,1],"hidden":256}'
S2='{"stage_blocks":[0,0,1,1],"hidden":256,"layers":4}'
C="--pack $G/lines.tar --device $DEV --precision $PREC --minutes $MIN --eval-minutes 1 --threads 2 $EXTRA"
R="python3 -m scriptio.cli recipe recognizer"
$R $C --out /tmp/runs/A $SYN > /tmp/runs-A.log 2>&1 &
$R $C --out /tmp/runs/B $SYN --arch "$S1" > /tmp/runs-B.log 2>&1 &
$R $C --out /tmp/runs/C $SYN --arch "$S2" > /tmp/runs-C.log 2>&1 &
$R $C --out /tmp/runs/D --arch "$S1" > /tmp/runs-D.log 2>&1 &
$R $C --out /tmp/runs/E $SYN --arch "$S1" --lr 3e-3 > /tmp/runs-E.log 2>&1 &
collect() {
  for r in A B C D E; do
    [ -f /tmp/runs/$r/best.safetensors ] && cp /tmp/runs/$r/best.safetensors $OUT/$r.safetensors
  done
  tar czf $OUT/logs.tar.gz -C /tmp runs-A.log runs-B.log runs-C.log runs-D.log runs-E.log \
    $(cd /tmp && ls runs/*/history.json 2>/dev/null) 2>/dev/null
}
while [ $(jobs -r | wc -l) -gt 0 ]; do sleep 30; collect; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null; done
collect
for r in A B C D E; do echo "== $r"; grep -E "eval at|best_score|network|Error|error" /tmp/runs-$r.log | tail -n 4; done
echo "total $(( $(date +%s) - T0 )) s"
