#!/usr/bin/env bash
# The whole CI in one command: system packages the tests need (only when missing), the Docker
# engine (only when not running), then npm ci (only when node_modules is not the lock file's),
# the build, and every test beside typecheck and lint (vitest projects: unit files in parallel,
# integration and e2e three at a time, the light timing-sensitive ones two at a time among
# themselves, the rest of those alone; see vitest.config.ts).
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
# Build, then typecheck and lint beside the tests: the tests need only the build, and the checks
# (about 8 s and 5 CPU seconds) end while the unit files run; their result is waited for and
# reported after the tests, and either failing fails CI. Both typecheck and build are incremental
# (state in .tmp/*.tsbuildinfo): only what changed since the last run is checked again, and
# `tsc -b` builds again whenever an output in dist/ is missing or older than its source.
log "build; typecheck and lint beside the tests"
mkdir -p .tmp
npm run build
npm run typecheck > .tmp/typecheck.log 2>&1 &
typecheck=$!
npm run lint > .tmp/lint.log 2>&1 &
lint=$!
log "test"
set +e
CI=true npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-report.json
status=$?
checks=0
if ! wait "$typecheck"; then log "typecheck failed"; cat .tmp/typecheck.log >&2; checks=1; fi
if ! wait "$lint"; then log "lint failed"; cat .tmp/lint.log >&2; checks=1; fi
set -e
# One plain closing line, whatever the runner prints above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest-report.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || echo "tests: no report written (vitest exit $status)"
[ "$checks" -eq 0 ] && echo "typecheck and lint: clean" || echo "typecheck or lint: failed (above)"
[ "$status" -ne 0 ] && exit "$status"
exit "$checks"
