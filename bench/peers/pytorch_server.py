#!/usr/bin/python3
"""The PyTorch peer of the peer benchmark: torchvision eager model behind FastAPI + uvicorn, on 127.0.0.1.

Written the way a user without tachyon would serve an image classifier with PyTorch: PIL decode, torchvision
preprocessing (Resize(256), CenterCrop(224), ToTensor, Normalize with the ImageNet mean/std), the eager model under
torch.inference_mode(), softmax, top-5. Started by the benchmark (bench/src/peers/python-peer.ts) as a child process.

Weights: torch.manual_seed(SEED) then torchvision.models.<arch>(weights=None), exactly what
bench/setup/export-random-models.py does before exporting the random-weight ONNX files, so for those architectures
the PyTorch model holds the same weights as the ONNX file (the benchmark checks it through POST /logits).

int8 (--dtype int8): eager post-training static quantization (torch.ao.quantization: fuse_model, the quantized
engine's default qconfig, prepare, calibration on --calibration images, convert) of the quantizable torchvision
architecture holding the same seed weights.

Usage: pytorch_server.py --arch resnet50 [--dtype fp32|int8] [--threads N] [--seed 0] [--calibration a.jpg,b.jpg]
Prints one JSON line on stdout once it listens: {"ready": true, "port": N, ...}; logs go to stderr.
The request handler is `async def`: requests run one at a time on uvicorn's event loop, each with all the intra-op
threads (a sync handler would run up to 40 at once in FastAPI's thread pool, each asking for every core).
"""
import argparse
import asyncio
import io
import json
import os
import socket
import sys
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms

QUANTIZABLE = {"resnet50", "mobilenet_v2"}


def log(msg):
    print(f"[pytorch-peer] {msg}", file=sys.stderr, flush=True)


def build_model(arch, dtype, seed, calibration, preprocess):
    torch.manual_seed(seed)
    fp32 = getattr(torchvision.models, arch)(weights=None).eval()
    if dtype == "fp32":
        return fp32, {}
    if arch not in QUANTIZABLE:
        raise SystemExit(f"--dtype int8: torchvision has no quantizable '{arch}'")
    from torch.ao import quantization as tq
    import torchvision.models.quantization as qmodels

    engines = torch.backends.quantized.supported_engines
    engine = next((e for e in ("x86", "fbgemm", "onednn", "qnnpack") if e in engines), None)
    if engine is None:
        raise SystemExit(f"no quantized engine in this torch build (supported: {engines})")
    torch.backends.quantized.engine = engine
    model = getattr(qmodels, arch)(weights=None, quantize=False).eval()
    model.load_state_dict(fp32.state_dict())
    model.fuse_model()
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    with torch.inference_mode():
        for path in calibration:
            with Image.open(path) as img:
                model(preprocess(img.convert("RGB")).unsqueeze(0))
    tq.convert(model, inplace=True)
    return model, {"quantizedEngine": engine, "calibrationImages": len(calibration)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--dtype", choices=["fp32", "int8"], default="fp32")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calibration", default="")
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()

    import fastapi
    import uvicorn
    from fastapi import FastAPI, Request, Response

    torch.set_num_threads(args.threads)
    preprocess = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    started = time.monotonic()
    calibration = [p for p in args.calibration.split(",") if p]
    model, extra = build_model(args.arch, args.dtype, args.seed, calibration, preprocess)
    with torch.inference_mode():  # warm-up: first calls allocate and pick kernels
        for _ in range(3):
            model(torch.zeros(1, 3, 224, 224))
    load_s = time.monotonic() - started

    app = FastAPI()

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.post("/classify")
    async def classify(request: Request):
        body = await request.body()
        with Image.open(io.BytesIO(body)) as img:
            x = preprocess(img.convert("RGB")).unsqueeze(0)
        with torch.inference_mode():
            probs = torch.softmax(model(x)[0], dim=0)
        top = torch.topk(probs, 5)
        return {"top": [{"index": int(i), "score": float(s)} for s, i in zip(top.values, top.indices)]}

    @app.post("/logits")
    async def logits(request: Request):
        # Model only, on the caller's float32 NCHW tensor: lets the benchmark check that the weights match the ONNX file.
        body = await request.body()
        x = torch.frombuffer(bytearray(body), dtype=torch.float32).reshape(1, 3, 224, 224)
        with torch.inference_mode():
            out = model(x)[0]
        return Response(content=out.contiguous().numpy().tobytes(), media_type="application/octet-stream")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, 0))
    port = sock.getsockname()[1]
    ready = {
        "ready": True, "port": port, "arch": args.arch, "dtype": args.dtype, "threads": torch.get_num_threads(),
        "seed": args.seed, "torch": torch.__version__, "torchvision": torchvision.__version__,
        "fastapi": fastapi.__version__, "uvicorn": uvicorn.__version__, "loadSeconds": round(load_s, 1), **extra,
    }

    @app.on_event("startup")
    async def announce():
        print(json.dumps(ready), flush=True)

    # keep-alive longer than the benchmark's pauses (uvicorn's default 5 s closes idle pooled connections mid-run)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=75)
    server = uvicorn.Server(config)
    asyncio.run(server.serve(sockets=[sock]))


if __name__ == "__main__":
    main()
