#!/usr/bin/env python3
"""Classify one image with Python `requests` (Debian: python3-requests): the raw-image endpoint and KServe v2 JSON.

Environment: TACHYON_URL (default http://127.0.0.1:8000), TACHYON_KEY (omit for a --no-auth server),
TACHYON_MODEL (default mnv2), TACHYON_IMAGE (a JPEG/PNG/WebP file), TACHYON_CA (PEM CA for an https URL, optional).
Prints one JSON line per protocol: {"via": ..., "label": ..., "score": ...}.
"""
import base64
import json
import os
import sys

import requests

url = os.environ.get("TACHYON_URL", "http://127.0.0.1:8000").rstrip("/")
model = os.environ.get("TACHYON_MODEL", "mnv2")
image_path = os.environ["TACHYON_IMAGE"]
session = requests.Session()
if os.environ.get("TACHYON_KEY"):
    session.headers["Authorization"] = "Bearer " + os.environ["TACHYON_KEY"]
# The CA to trust for https (default: the system's). Passed on every call: requests lets REQUESTS_CA_BUNDLE override
# a Session-wide `verify`.
verify = os.environ.get("TACHYON_CA") or True
session.headers["x-request-timeout-ms"] = "10000"  # the server gives up on work nobody waits for


def check(response):
    if not response.ok:  # errors are {"error", "code", "requestId", "details"?}
        body = response.json()
        sys.exit(f"HTTP {response.status_code} {body['code']}: {body['error']} (request {body.get('requestId')})")
    return response.json()


with open(image_path, "rb") as f:
    image = f.read()
content_type = {"png": "image/png", "webp": "image/webp"}.get(image_path.rsplit(".", 1)[-1].lower(), "image/jpeg")

# 1. Raw image: the body is the file; ?top=K classes per image.
result = check(session.post(f"{url}/v1/services/{model}/classify", params={"top": 3}, data=image,
                            headers={"Content-Type": content_type}, timeout=10, verify=verify))
best = result["results"][0]["top"][0]
print(json.dumps({"via": "raw", "index": best["index"], "label": best["label"], "score": best["score"]}))

# 2. KServe v2 JSON: a BYTES tensor of base64 images; the classification extension returns "score:index:label".
request = {
    "inputs": [{"name": "images", "datatype": "BYTES", "shape": [1],
                "parameters": {"content_type": "base64"}, "data": [base64.b64encode(image).decode("ascii")]}],
    "outputs": [{"name": "scores", "parameters": {"classification": 3}}],
}
response = check(session.post(f"{url}/v2/models/{model}/infer", json=request, timeout=10, verify=verify))
score, index, label = response["outputs"][0]["data"][0].split(":", 2)
print(json.dumps({"via": "kserve-json", "index": int(index), "label": label, "score": float(score)}))

# 3. KServe v2 JSON without the extension: every class confidence (FP32, shape [1, classes]); the best index here.
request["outputs"] = [{"name": "scores"}]
scores = check(session.post(f"{url}/v2/models/{model}/infer", json=request, timeout=10, verify=verify))["outputs"][0]["data"]
index = max(range(len(scores)), key=scores.__getitem__)
print(json.dumps({"via": "kserve-json-scores", "index": index, "score": scores[index]}))
