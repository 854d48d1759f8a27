#!/usr/bin/env bash
# Precomputes the "Why it works" results shipped beside each run in assets/runs (lesion study and
# loss landscape of the trained twins), so the page shows them offline without the data set.
#   bash scripts/precompute_why.sh DATA [RUN...]
# DATA: the data the runs were trained on: cifar10, or imagefolder:PATH (here: the JPEG copy of
# CIFAR-10 from ../shared/data). RUN: run folders (default: every shipped run in assets/runs).
set -euo pipefail
data=${1:?usage: precompute_why.sh DATA [RUN...]}
shift
py=${PYTHON:-python}
runs=("$@")
[ ${#runs[@]} -eq 0 ] && runs=(assets/runs/*/)
for run in "${runs[@]}"; do
  run=${run%/}
  model=$(basename "$run"); model=${model%%-*}
  # Lesion study (Veit et al. 2016): every single block, k random blocks (2 draws per k), reorderings,
  # on 1,000 class-balanced test images.
  $py -m resnet_viz lesion --model "$model" --weights "$run/model.safetensors" --data "$data" --limit 1000 \
      --random-draws 2 --swaps 1,2,4,8 --quiet --out "$run/lesion.json" > /dev/null
  echo "lesion: $run/lesion.json"
  # Loss landscape (Li et al. 2018): 2-D slice, filter-normalised directions, on training images.
  $py -m resnet_viz landscape --model "$model" --weights "$run/model.safetensors" --data "$data" \
      ${LANDSCAPE_ARGS:-} --quiet --out "$run/landscape.json" > /dev/null
  echo "landscape: $run/landscape.json"
done
