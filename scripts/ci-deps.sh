#!/usr/bin/env bash
# System packages the test suite needs beyond `npm ci`, each section installing only what is missing (so a second
# run does nothing): the consume examples' tools, and the PostgreSQL server (initdb, postgres) that the registry
# tests start in a temp folder (packages/core/test/support/postgres-server.ts), skipped when
# /usr/lib/postgresql/<version>/bin/initdb is already there. Debian/Ubuntu (apt-get); needs root or sudo.
set -euo pipefail

# --- consume examples (docs/consume.md, examples/consume/*, packages/server/test/serve/consume-examples.test.ts) ---
# curl, openssl (test CA) and Debian's Python packages the examples import: requests, grpcio, grpc_tools (generates the
# KServe v2 stubs from packages/protocol/proto at run time; pulls python3-protobuf). Installs only what is missing.
consume_packages=(curl openssl python3 python3-requests python3-grpcio python3-grpc-tools)
consume_missing=()
for pkg in "${consume_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2> /dev/null | grep -q 'install ok installed'; then consume_missing+=("$pkg"); fi
done
if [ "${#consume_missing[@]}" -eq 0 ]; then
  echo "ci-deps: consume-example packages already installed" >&2
elif ! command -v apt-get > /dev/null; then
  echo "ci-deps: apt-get not found; install ${consume_missing[*]} (or pip: requests grpcio grpcio-tools) for the consume examples" >&2
  exit 1
else
  consume_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo > /dev/null; then consume_root=(sudo); else echo "ci-deps: installing ${consume_missing[*]} needs root (or sudo)" >&2; exit 1; fi
  fi
  echo "ci-deps: installing ${consume_missing[*]}" >&2
  ${consume_root[@]+"${consume_root[@]}"} apt-get update
  ${consume_root[@]+"${consume_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${consume_missing[@]}"
fi
# --- end of consume examples ---

have_postgres() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null
}

if have_postgres; then
  echo "ci-deps: PostgreSQL server already installed: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')" >&2
  exit 0
fi

if ! command -v apt-get > /dev/null; then
  echo "ci-deps: apt-get not found; install the PostgreSQL server (initdb, postgres) with your package manager and set TACHYON_PG_BIN_DIR to its bin folder" >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo > /dev/null; then
    as_root=(sudo)
  else
    echo "ci-deps: installing postgresql needs root (or sudo)" >&2
    exit 1
  fi
fi

echo "ci-deps: installing Debian's postgresql package" >&2
${as_root[@]+"${as_root[@]}"} apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql

if ! have_postgres; then
  echo "ci-deps: postgresql was installed but /usr/lib/postgresql/*/bin/initdb is still missing" >&2
  exit 1
fi
echo "ci-deps: PostgreSQL server installed: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')" >&2
