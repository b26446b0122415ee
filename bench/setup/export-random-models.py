#!/usr/bin/python3
"""Export architecture-exact torchvision models with RANDOM weights to ONNX for benchmarks.

Bench setup only (never a runtime dependency of tachyon). Real weights cannot be
downloaded here, so each model is built with weights=None after torch.manual_seed(0):
the graph (ops, shapes, parameter count) is exact, the accuracy is meaningless.

Usage: /usr/bin/python3 export-random-models.py [--outdir DIR] [--models a,b] [--force]
Writes DIR/<name>-random-fp32.onnx and DIR/manifest.json. Progress goes to stderr.
A model whose file exists with the sha256 recorded in manifest.json is not re-exported.
"""
import argparse
import hashlib
import inspect
import json
import os
import sys
import time

DEFAULT_OUTDIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
MODELS = ["resnet50", "resnet152", "densenet121", "vgg16"]
SEED = 0
OPSET = 13
INPUT_NAME = "data"
OUTPUT_NAME = "logits"
NOTE = "random weights: architecture-exact, accuracy meaningless"


def log(msg):
    print(f"[export-random-models] {msg}", file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_manifest(path):
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) and isinstance(data.get("models"), dict) else {"models": {}}
    except (OSError, ValueError):
        return {"models": {}}


def write_manifest(path, manifest):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def deb_versions():
    """Debian package versions (torch reports e.g. 1.13.0a0 for Debian's 1.13.1+dfsg); best effort."""
    import subprocess
    pkgs = ["python3-torch", "python3-torchvision", "python3-onnx", "libopenblas0-openmp"]
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *pkgs],
                             capture_output=True, text=True, timeout=30).stdout
        return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    except (OSError, subprocess.SubprocessError):
        return {}


def export_model(name, out_path):
    import torch
    import torchvision

    torch.manual_seed(SEED)
    model = getattr(torchvision.models, name)(weights=None)
    model.eval()
    dummy = torch.randn(1, 3, 224, 224)
    kwargs = dict(
        export_params=True,
        opset_version=OPSET,
        do_constant_folding=True,
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
    )
    # Newer torch defaults to the dynamo exporter; ask for the classic TorchScript one.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    tmp = out_path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, dummy, tmp, **kwargs)
    os.replace(tmp, out_path)


def dim_list(value_info):
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return dims


def inspect_graph(path):
    """check_model, then find io shapes and the pooled-feature tensor (input of the last Gemm)."""
    import onnx

    onnx.checker.check_model(path)
    model = onnx.load(path)
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    gemms = [n for n in graph.node if n.op_type == "Gemm"]
    if not gemms:
        raise RuntimeError(f"no Gemm node in '{path}'")
    last_gemm = gemms[-1]
    feature = last_gemm.input[0]
    flatten = [n for n in graph.node if n.op_type == "Flatten"]
    flatten_out = flatten[-1].output[0] if flatten else None

    inferred = onnx.shape_inference.infer_shapes(model).graph
    shapes = {vi.name: dim_list(vi) for vi in list(inferred.value_info) + list(inferred.output) + list(inferred.input)}
    return {
        "input": {"name": inputs[0].name, "shape": dim_list(inputs[0])},
        "output": {"name": graph.output[0].name, "shape": dim_list(graph.output[0])},
        "featureTensor": feature,
        "featureShape": shapes.get(feature),
        "flattenTensor": flatten_out,
        "flattenShape": shapes.get(flatten_out) if flatten_out else None,
        "gemmCount": len(gemms),
        "nodeCount": len(graph.node),
        "opset": [{"domain": o.domain, "version": o.version} for o in model.opset_import],
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", default=DEFAULT_OUTDIR)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--force", action="store_true", help="re-export even when the recorded sha256 matches")
    args = ap.parse_args()

    import onnx
    import torch
    import torchvision

    names = [m for m in args.models.split(",") if m]
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model '{n}' (known: {', '.join(MODELS)})")
    os.makedirs(args.outdir, exist_ok=True)
    manifest_path = os.path.join(args.outdir, "manifest.json")
    manifest = load_manifest(manifest_path)
    log(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}; outdir {args.outdir}")

    skipped = []
    for name in names:
        fname = f"{name}-random-fp32.onnx"
        path = os.path.join(args.outdir, fname)
        prev = manifest["models"].get(name)
        if not args.force and prev and os.path.isfile(path):
            if os.path.getsize(path) == prev.get("size") and sha256_file(path) == prev.get("sha256"):
                log(f"{name}: {fname} present with recorded sha256, skipping export")
                skipped.append(name)
                continue
            log(f"{name}: {fname} differs from the manifest, re-exporting")
        log(f"{name}: exporting (seed {SEED}, opset {OPSET}) ...")
        t0 = time.monotonic()
        export_model(name, path)
        export_s = time.monotonic() - t0
        log(f"{name}: exported in {export_s:.1f}s; checking graph ...")
        t1 = time.monotonic()
        info = inspect_graph(path)
        check_s = time.monotonic() - t1
        size = os.path.getsize(path)
        digest = sha256_file(path)
        manifest["models"][name] = {
            "file": fname,
            "sha256": digest,
            "size": size,
            "input": INPUT_NAME,
            "output": OUTPUT_NAME,
            "inputShape": ["N", 3, 224, 224],
            "outputShape": ["N", 1000],
            "featureTensor": info["featureTensor"],
            "featureShape": info["featureShape"],
            "flattenTensor": info["flattenTensor"],
            "flattenShape": info["flattenShape"],
            "opset": OPSET,
            "exporter": "torch.onnx.export (TorchScript)",
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "onnx": onnx.__version__,
            "seed": SEED,
            "exportSeconds": round(export_s, 1),
            "note": NOTE,
        }
        manifest.update({"generator": "bench/setup/export-random-models.py", "note": NOTE,
                         "debianPackages": deb_versions()})
        write_manifest(manifest_path, manifest)
        log(f"{name}: ok ({size / 1e6:.1f} MB, sha256 {digest[:16]}..., feature '{info['featureTensor']}' "
            f"{info['featureShape']}, check {check_s:.1f}s)")

    # Exported models were checked above; check the skipped ones too.
    for name in skipped:
        entry = manifest["models"][name]
        path = os.path.join(args.outdir, entry["file"])
        onnx.checker.check_model(path)
        log(f"{name}: onnx.checker.check_model ok")
    write_manifest(manifest_path, manifest)
    log(f"manifest: {manifest_path}")


if __name__ == "__main__":
    main()
