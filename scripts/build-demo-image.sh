#!/usr/bin/env bash
# Builds the demo service images for `canary-gate regress` without a registry:
#   canary-gate-demo:baseline  the demo service (log-normal latency, median LATENCY_MS=4)
#   canary-gate-demo:slow      the same image with EXTRA_DELAY_MS=20: a clearly slower build
# The root filesystem holds only this machine's node binary, the shared libraries it links
# (from ldd) and scripts/demo-image/service.mjs; `docker import` loads it as an image. Idempotent:
# when both images carry the digest of their inputs, nothing is rebuilt (--force rebuilds).
set -euo pipefail
# Resolved before the cd: a relative $0 would name another file (or none) afterwards.
self=$(readlink -f "$0")
cd "$(dirname "$self")/.."

repo=${CANARY_GATE_DEMO_IMAGE:-canary-gate-demo}
extra_ms=${CANARY_GATE_DEMO_SLOW_MS:-20}
force=0
[ "${1:-}" = "--force" ] && force=1

node_bin=$(readlink -f "$(command -v node)")
service=scripts/demo-image/service.mjs
# Contents only (not paths), so the same inputs match however the script is invoked.
digest=$( { cat "$node_bin" "$service" "$self" scripts/node-rootfs.sh; echo "$extra_ms"; } | sha256sum | cut -c1-16)

label_of() { docker image inspect --format '{{ index .Config.Labels "canary-gate.demo.digest" }}' "$1" 2>/dev/null || true; }
if [ "$force" = 0 ] && [ "$(label_of "$repo:baseline")" = "$digest" ] && [ "$(label_of "$repo:slow")" = "$digest" ]; then
  echo "build-demo-image: $repo:baseline and $repo:slow are up to date ($digest)" >&2
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
# shellcheck source=node-rootfs.sh
. scripts/node-rootfs.sh
node_rootfs "$rootfs" "$node_bin"
mkdir -p "$rootfs/app"
cp "$service" "$rootfs/app/service.mjs"

tarball="$rootfs.tar"
trap 'rm -rf "$rootfs" "$tarball"' EXIT
tar -C "$rootfs" -cf "$tarball" .

common=(
  --change 'CMD ["/node", "/app/service.mjs"]'
  --change 'ENV PORT=8080 LATENCY_MS=4 LATENCY_SIGMA=0.3'
  --change "LABEL canary-gate.demo=1 canary-gate.demo.digest=$digest"
)
docker import "${common[@]}" --change 'ENV EXTRA_DELAY_MS=0' "$tarball" "$repo:baseline" >/dev/null
docker import "${common[@]}" --change "ENV EXTRA_DELAY_MS=$extra_ms" "$tarball" "$repo:slow" >/dev/null
# The images these tags pointed to before are left untagged: remove them (ours only, by label).
docker image prune --force --filter label=canary-gate.demo=1 >/dev/null
echo "build-demo-image: built $repo:baseline and $repo:slow (+${extra_ms} ms) from $node_bin ($digest)" >&2
