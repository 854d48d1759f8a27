#!/usr/bin/env bash
# Regenerates the training runs shipped in assets/runs (the degradation experiment, paper Figure 6):
# plain/ResNet 20 and 56 on CIFAR-10 with the same fast schedule, then exports them (fp16 weights).
#   bash scripts/train_shipped_runs.sh DATA [WORKDIR]
# DATA: cifar10, or imagefolder:PATH (here: the JPEG copy of CIFAR-10 from ../shared/data).
# Took about 100 minutes on 2 CPU cores; a GPU does it in a few minutes.
set -euo pipefail
data=${1:?usage: train_shipped_runs.sh DATA [WORKDIR]}
work=${2:-runs-shipped}
py=${PYTHON:-python}
for model in resnet20 plain20 resnet56 plain56; do
  if [ ! -f "$work/$model-fast12/status.json" ] || ! grep -q '"finished"' "$work/$model-fast12/status.json"; then
    resume=""; [ -f "$work/$model-fast12/resume.pt" ] && resume="--resume"
    $py -m resnet_viz train --model "$model" --data "$data" --preset fast --epochs 12 --seed 0 \
        --out "$work/$model-fast12" --quiet $resume
  fi
done
# Export: fp16 weights (about 1.1 MB per 20-layer net, 3.4 MB per 56-layer one), metrics, provenance and the
# layer responses (paper Figure 7) on 1,000 test images.
for model in resnet20 plain20 resnet56 plain56; do
  $py -m resnet_viz runs --export "$work/$model-fast12" --to assets/runs --data-label "${DATA_LABEL:-CIFAR-10}" \
      --responses-data "$data" --responses-images 1000 \
      --note "trained by scripts/train_shipped_runs.sh $data; ${NOTE:-}"
done
