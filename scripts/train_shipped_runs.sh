#!/usr/bin/env bash
# Regenerates the training runs shipped in assets/runs (the degradation experiment, paper Figure 6):
# plain/ResNet 20 and 56 on CIFAR-10 with the same fast schedule, then exports them (fp16 weights).
#   bash scripts/train_shipped_runs.sh DATA [WORKDIR]
# DATA: cifar10, or imagefolder:PATH (here: the JPEG copy of CIFAR-10 from ../shared/data).
# EPOCHS (default 12) sets the schedule; runs are named <model>-fast<EPOCHS>.
# LANES=2 trains two nets at a time with one thread each (on a 2-core CPU that is ~1.6x the
# throughput of one net on two threads). Measured on a 2-core CPU (with other work running): the
# 20-layer nets 22-26 minutes each (one at a time, 2 threads), the 56-layer nets about 60 minutes
# each with LANES=2. A GPU does it in minutes. Interrupted runs resume where they stopped.
set -euo pipefail
data=${1:?usage: train_shipped_runs.sh DATA [WORKDIR]}
work=${2:-runs-shipped}
py=${PYTHON:-python}
epochs=${EPOCHS:-12}
tag=fast$epochs
lanes=${LANES:-1}

train() {  # train MODEL [MODEL...]: one after the other, skipping finished runs
  for model in "$@"; do
    out="$work/$model-$tag"
    if [ ! -f "$out/status.json" ] || ! grep -q '"finished"' "$out/status.json"; then
      resume=""; [ -f "$out/resume.pt" ] && resume="--resume"
      $py -m resnet_viz train --model "$model" --data "$data" --preset fast --epochs "$epochs" --seed 0 \
          --out "$out" --quiet $resume
    fi
  done
}

if [ "$lanes" = 2 ]; then
  RESNET_VIZ_THREADS=1 train resnet20 resnet56 & a=$!
  RESNET_VIZ_THREADS=1 train plain20 plain56 & b=$!
  wait $a; wait $b
else
  train resnet20 plain20 resnet56 plain56
fi
# Export: fp16 weights (about 1.1 MB per 20-layer net, 3.4 MB per 56-layer one), metrics, provenance and the
# layer responses (paper Figure 7) on 1,000 test images.
for model in resnet20 plain20 resnet56 plain56; do
  $py -m resnet_viz runs --export "$work/$model-$tag" --to assets/runs --data-label "${DATA_LABEL:-CIFAR-10}" \
      --responses-data "$data" --responses-images 1000 \
      --note "trained by scripts/train_shipped_runs.sh $data (EPOCHS=$epochs LANES=$lanes); ${NOTE:-}"
done
