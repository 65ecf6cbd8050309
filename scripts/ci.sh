#!/usr/bin/env bash
# The whole CI in one command: system packages the tests need (only when missing), the Docker
# engine (only when not running), then npm ci (only when node_modules is not the lock file's),
# typecheck beside lint and build, and every test (vitest projects: unit files in parallel,
# integration and e2e two at a time, the timing-sensitive ones alone; see vitest.config.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n[ci] %s\n' "$*" >&2; }

# Debian packages the integration tests and benchmarks talk to. Each is checked by the binary it
# provides so a machine that already has them is never touched.
declare -A need=(
  [nginx]=nginx-light
  [wrk]=wrk
  [dockerd]=docker.io
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [prometheus-pushgateway]=prometheus-pushgateway
  [openssl]=openssl
  [chromium]=chromium
)
missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${need[$bin]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[ci] missing packages ${missing[*]} and not root: install them with apt-get" >&2
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packages' own services from starting: tests start what they need.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# The Docker engine, loopback only: no bridge, no iptables; containers use host networking.
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  # Without the descriptors this script inherited: run under `flock <lock> npm run ci`, dockerd
  # would otherwise keep the shared heavy lock's descriptor open, and hold the lock, for its life.
  (
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
    exec nohup dockerd --bridge=none --iptables=false >/var/log/canary-gate-dockerd.log 2>&1
  ) &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "[ci] dockerd did not start; see /var/log/canary-gate-dockerd.log" >&2; exit 1; }
fi
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export TESTCONTAINERS_RYUK_DISABLED=true

# A clean install, unless node_modules is already exactly what package-lock.json says: installed
# from this lock file by an earlier run (the stamp) and still whole (npm ls finds nothing missing).
stamp=node_modules/.canary-gate-lock.sha256
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock" ] && npm ls --all >/dev/null 2>&1; then
  log "npm ci: node_modules is package-lock.json's already; not reinstalled"
else
  log "npm ci"
  npm ci --no-audit --no-fund
  echo "$lock" > "$stamp"
fi
# Typecheck beside lint and build: each takes one core, and the tests need only the build. Both
# are incremental (state in .tmp/*.tsbuildinfo): only what changed since the last run is checked
# again, and `tsc -b` builds again whenever an output in dist/ is missing or older than its source.
log "typecheck, lint and build"
mkdir -p .tmp
npm run typecheck > .tmp/typecheck.log 2>&1 &
typecheck=$!
npm run lint
npm run build
if ! wait "$typecheck"; then cat .tmp/typecheck.log >&2; exit 1; fi
log "test"
mkdir -p .tmp
set +e
CI=true npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-report.json
status=$?
set -e
# One plain closing line, whatever the runner prints above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest-report.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || echo "tests: no report written (vitest exit $status)"
exit "$status"
