#!/usr/bin/env bash
# npm run demo: build, then two staged canaries against in-process demo services — one whose
# canary regresses (canary-gate must roll it back: exit 1) and one healthy (promoted: exit 0).
set -uo pipefail
cd "$(dirname "$0")/.."
npm run build --silent || exit 1
echo "== a canary with a p99 regression: expect ROLLBACK (exit 1)" >&2
node bin/canary-gate.js demo "$@"
regressed=$?
echo >&2
echo "== a healthy canary: expect PROMOTE (exit 0)" >&2
node bin/canary-gate.js demo --healthy "$@"
healthy=$?
if [ "$regressed" -eq 1 ] && [ "$healthy" -eq 0 ]; then
  echo "demo: both canaries ended as expected (rollback, promote)" >&2
  exit 0
fi
echo "demo: unexpected exits: regressed canary $regressed (want 1), healthy canary $healthy (want 0)" >&2
exit 1
