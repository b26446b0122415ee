#!/usr/bin/env bash
# Classify one image with curl, twice: the raw-image endpoint and KServe v2 JSON (the classification extension).
#   TACHYON_URL    server URL (default http://127.0.0.1:8000), as printed by `tachyon serve` ("http")
#   TACHYON_KEY    primary or secondary key (omit for a --no-auth server)
#   TACHYON_MODEL  model name (default mnv2)
#   TACHYON_IMAGE  a JPEG, PNG or WebP file
#   TACHYON_CA     PEM CA to trust for an https URL (optional)
set -euo pipefail
url="${TACHYON_URL:-http://127.0.0.1:8000}"
model="${TACHYON_MODEL:-mnv2}"
image="${TACHYON_IMAGE:?set TACHYON_IMAGE to an image file}"
case "${image,,}" in *.png) type=image/png ;; *.webp) type=image/webp ;; *) type=image/jpeg ;; esac

tachyon_curl() {
  local opts=(--silent --show-error --fail-with-body)
  [ -n "${TACHYON_CA:-}" ] && opts+=(--cacert "$TACHYON_CA")
  # The key goes in through a file descriptor, never on the command line (where `ps` would show it).
  if [ -n "${TACHYON_KEY:-}" ]; then
    curl "${opts[@]}" -H @<(printf 'Authorization: Bearer %s\n' "$TACHYON_KEY") "$@"
  else
    curl "${opts[@]}" "$@"
  fi
}

# 1. Raw image: the body is the file itself -> {"results": [{"file": null, "top": [{"index", "label", "score"}, ...]}]}
tachyon_curl -H "Content-Type: $type" --data-binary "@$image" "$url/v1/services/$model/classify?top=3"
echo

# 2. KServe v2 JSON: the image base64 in a BYTES tensor; the top 3 come back as "score:index:label" strings.
{
  printf '{"inputs":[{"name":"images","datatype":"BYTES","shape":[1],"parameters":{"content_type":"base64"},"data":["'
  base64 -w0 "$image"
  printf '"]}],"outputs":[{"name":"scores","parameters":{"classification":3}}]}'
} | tachyon_curl -H 'Content-Type: application/json' --data-binary @- "$url/v2/models/$model/infer"
echo
