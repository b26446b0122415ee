#!/usr/bin/env bash
# Installs the Debian python packages needed to export random-weight benchmark models
# (torch, torchvision, onnx). Bench setup only: never a runtime dependency of tachyon.
# Idempotent: does nothing when /usr/bin/python3 can already import them.
set -euo pipefail

PY=/usr/bin/python3
PKGS=(python3-torch python3-torchvision python3-onnx libopenblas0-openmp)

log() { echo "[install-python-deps] $*" >&2; }

if "$PY" -c 'import torch, torchvision, onnx' >/dev/null 2>&1; then
  log "torch, torchvision and onnx already importable by $PY; nothing to do"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

log "running: apt-get update"
$SUDO apt-get update
log "running: apt-get install -y --no-install-recommends ${PKGS[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}"

if ! "$PY" -c 'import torch, torchvision, onnx' >/dev/null 2>&1; then
  log "error: $PY still cannot import torch, torchvision and onnx after install"
  "$PY" -c 'import torch, torchvision, onnx' || true
  exit 1
fi
log "ok: $("$PY" -c 'import torch, torchvision, onnx; print("torch", torch.__version__, "torchvision", torchvision.__version__, "onnx", onnx.__version__)')"
