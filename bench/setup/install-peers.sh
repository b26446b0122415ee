#!/usr/bin/env bash
# Installs what the peer servers of the peer benchmark need (`npm run bench -- --scenario NAME`): PyTorch eager
# with torchvision and Pillow behind FastAPI + uvicorn, all from Debian. Bench setup only: never a runtime
# dependency of tachyon. Idempotent: does nothing when /usr/bin/python3 already imports them.
# Usage: bash bench/setup/install-peers.sh
set -euo pipefail

PY=/usr/bin/python3
PKGS=(python3-torch python3-torchvision python3-pil python3-fastapi uvicorn libopenblas0-openmp)
CHECK='import torch, torchvision, PIL, fastapi, uvicorn'

log() { echo "[install-peers] $*" >&2; }

if "$PY" -c "$CHECK" >/dev/null 2>&1; then
  log "torch, torchvision, PIL, fastapi and uvicorn already importable by $PY; nothing to do"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

log "running: apt-get update"
$SUDO apt-get update
log "running: apt-get install -y --no-install-recommends ${PKGS[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}"

if ! "$PY" -c "$CHECK" >/dev/null 2>&1; then
  log "error: $PY still cannot import torch, torchvision, PIL, fastapi and uvicorn after install"
  "$PY" -c "$CHECK" || true
  exit 1
fi
log "ok: $("$PY" -c 'import torch, torchvision, PIL, fastapi, uvicorn; print("torch", torch.__version__, "torchvision", torchvision.__version__, "Pillow", PIL.__version__, "fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__)')"
