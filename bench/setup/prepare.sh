#!/usr/bin/env bash
# Bench setup: make sure the random-weight benchmark models exist in bench/models/.
#   1. install torch/torchvision/onnx from Debian if /usr/bin/python3 lacks them
#   2. export resnet50, resnet152, densenet121, vgg16 (random weights, seed 0) to ONNX
# Idempotent: fast when the packages are installed and the files match manifest.json.
# Usage: bench/setup/prepare.sh [--outdir DIR] [--models a,b] [--force]   (args go to the exporter)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[prepare] $*" >&2; }

log "step 1/2: $HERE/install-python-deps.sh"
"$HERE/install-python-deps.sh"

log "step 2/2: /usr/bin/python3 $HERE/export-random-models.py $*"
/usr/bin/python3 "$HERE/export-random-models.py" "$@"

log "done"
