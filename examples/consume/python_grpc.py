#!/usr/bin/env python3
"""Classify one image over gRPC with `grpcio` (Debian: python3-grpcio, python3-grpc-tools): KServe v2 ModelInfer.

The stubs are generated at run time from tachyon's published .proto files with grpc_tools (what
`python3 -m grpc_tools.protoc -I packages/protocol/proto --python_out=. --grpc_python_out=. kserve/grpc_service.proto`
would write once, ahead of time). Any KServe v2 / Triton gRPC client works the same way.

Environment: TACHYON_GRPC (default 127.0.0.1:8001), TACHYON_KEY (omit for a --no-auth server), TACHYON_MODEL
(default mnv2), TACHYON_IMAGE (a JPEG/PNG/WebP file), TACHYON_CA (PEM CA: use TLS, optional), TACHYON_PROTO_DIR
(default: packages/protocol/proto of this repository). Prints {"via": "grpc", "index", "label", "score"}.
"""
import atexit
import json
import os
import shutil
import sys
import tempfile

import grpc
from grpc_tools import protoc

here = os.path.dirname(os.path.abspath(__file__))
proto_dir = os.environ.get("TACHYON_PROTO_DIR", os.path.join(here, "..", "..", "packages", "protocol", "proto"))
out_dir = tempfile.mkdtemp(prefix="tachyon-stubs-")
atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
if protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", "kserve/grpc_service.proto"]) != 0:
    sys.exit(f"grpc_tools could not compile kserve/grpc_service.proto from {proto_dir}")
sys.path.insert(0, out_dir)
from kserve import grpc_service_pb2 as pb, grpc_service_pb2_grpc as pb_grpc  # noqa: E402

target = os.environ.get("TACHYON_GRPC", "127.0.0.1:8001")
model = os.environ.get("TACHYON_MODEL", "mnv2")
with open(os.environ["TACHYON_IMAGE"], "rb") as f:
    image = f.read()

if os.environ.get("TACHYON_CA"):
    with open(os.environ["TACHYON_CA"], "rb") as f:
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=f.read()))
else:
    channel = grpc.insecure_channel(target)
metadata = [("authorization", "Bearer " + os.environ["TACHYON_KEY"])] if os.environ.get("TACHYON_KEY") else []

stub = pb_grpc.GRPCInferenceServiceStub(channel)
request = pb.ModelInferRequest(
    model_name=model,
    inputs=[pb.ModelInferRequest.InferInputTensor(
        name="images", datatype="BYTES", shape=[1], contents=pb.InferTensorContents(bytes_contents=[image]))],
    # The classification extension: the top 3 as BYTES "score:index:label"; without it, FP32 [1, classes] scores.
    outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(
        name="scores", parameters={"classification": pb.InferParameter(int64_param=3)})],
)
try:
    response = stub.ModelInfer(request, metadata=metadata, timeout=10)
except grpc.RpcError as error:  # the tachyon code is in the trailing metadata "tachyon-code"
    codes = [v for k, v in (error.trailing_metadata() or []) if k == "tachyon-code"]
    sys.exit(f"gRPC {error.code().name} {codes[0] if codes else ''}: {error.details()}")
score, index, label = response.outputs[0].contents.bytes_contents[0].decode("utf-8").split(":", 2)
print(json.dumps({"via": "grpc", "index": int(index), "label": label, "score": float(score)}))
channel.close()
