#!/usr/bin/env bash
# Debian packages the test suite needs beyond `npm ci`, installed only when missing (a second run does nothing):
# - postgresql: the registry tests start a throwaway server from /usr/lib/postgresql/<version>/bin
#   (packages/test-support/src/postgres-server.ts);
# - curl, openssl, python3-requests, python3-grpcio, python3-grpc-tools: the consume examples of docs/consume.md,
#   run by packages/server/test/serve/consume-examples.test.ts (openssl also makes the test CA);
# - chromium: the dashboard's browser tests (packages/dashboard/test), driven by playwright-core (Playwright's own
#   browser download is not used); /usr/bin/chromium, or $TACHYON_CHROMIUM.
# - prometheus: only for its `promtool check metrics`, run on a live server's /metrics by
#   packages/server/test/observability/server-metrics.test.ts (or $TACHYON_PROMTOOL). The Prometheus server the package
#   also holds is neither started nor enabled (a policy-rc.d refuses service starts during the install).
# - haproxy: the balancer of the multi-replica test (`npm run test:scale`) and `haproxy -c` on the rendered config
#   (packages/core/test/controller/swarm-render.test.ts); the tests start their own, the package's service is not.
# Needs root or sudo, and apt-get.
set -euo pipefail

packages=(postgresql curl openssl python3 python3-requests python3-grpcio python3-grpc-tools chromium prometheus haproxy)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2> /dev/null | grep -q 'install ok installed'; then missing+=("$pkg"); fi
done
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null && [[ ! " ${missing[*]} " =~ " postgresql " ]]; then
  missing+=(postgresql)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "ci-deps: all system packages present" >&2
  exit 0
fi
if ! command -v apt-get > /dev/null; then
  echo "ci-deps: apt-get not found; install ${missing[*]} with your package manager (set TACHYON_PG_BIN_DIR to PostgreSQL's bin folder)" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo > /dev/null; then as_root=(sudo); else echo "ci-deps: installing ${missing[*]} needs root (or sudo)" >&2; exit 1; fi
fi
echo "ci-deps: installing ${missing[*]}" >&2
# Debian starts the services a package installs unless /usr/sbin/policy-rc.d exits 101: keep prometheus, haproxy (and
# postgresql's cluster service) from starting; the tests run their own throwaway servers.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | ${as_root[@]+"${as_root[@]}"} tee "$policy" > /dev/null
  ${as_root[@]+"${as_root[@]}"} chmod 755 "$policy"
  trap '${as_root[@]+"${as_root[@]}"} rm -f "$policy"' EXIT
fi
${as_root[@]+"${as_root[@]}"} apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
if [[ " ${missing[*]} " =~ " prometheus " ]] && command -v systemctl > /dev/null && [ -d /run/systemd/system ]; then
  ${as_root[@]+"${as_root[@]}"} systemctl disable --now prometheus.service > /dev/null 2>&1 || true
fi
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null; then
  echo "ci-deps: postgresql was installed but /usr/lib/postgresql/*/bin/initdb is missing" >&2
  exit 1
fi
if ! command -v promtool > /dev/null; then
  echo "ci-deps: prometheus was installed but promtool is not on PATH" >&2
  exit 1
fi
if ! command -v chromium > /dev/null; then
  echo "ci-deps: chromium was installed but is not on PATH" >&2
  exit 1
fi
echo "ci-deps: done" >&2
