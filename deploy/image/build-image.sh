#!/usr/bin/env bash
# Builds the canary-gate container image from this checkout, without a registry:
#   canary-gate:<version> and canary-gate:latest  (ENTRYPOINT canary-gate; CMD serve --config /etc/canary-gate/serve.yaml)
# As scripts/build-demo-image.sh does for the demo image: the root filesystem holds only this
# machine's node binary, the shared libraries it links (from ldd), the built dist/, bin/ and the
# production node_modules (dev dependencies pruned, offline); `docker import` loads it. Idempotent:
# when the image carries the digest of its inputs, nothing is rebuilt (--force rebuilds).
# Needs `npm run build` first (dist/ is what runs).
set -euo pipefail
self=$(readlink -f "$0")
cd "$(dirname "$self")/../.."

repo=${CANARY_GATE_IMAGE:-canary-gate}
version=$(node -p 'require("./package.json").version')
force=0
[ "${1:-}" = "--force" ] && force=1
[ -f dist/index.js ] || { echo "build-image: no dist/; run npm run build first" >&2; exit 2; }

node_bin=$(readlink -f "$(command -v node)")
# Contents only (not paths, not times), so the same inputs match however the script is invoked.
digest=$( { cat "$node_bin" "$self" scripts/node-rootfs.sh package.json package-lock.json; find dist bin -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)
label_of() { docker image inspect --format '{{ index .Config.Labels "canary-gate.image.digest" }}' "$1" 2>/dev/null || true; }
if [ "$force" = 0 ] && [ "$(label_of "$repo:$version")" = "$digest" ]; then
  echo "build-image: $repo:$version is up to date ($digest)" >&2
  exit 0
fi

rootfs=$(mktemp -d)
tarball="$rootfs.tar"
trap 'rm -rf "$rootfs" "$tarball"' EXIT
# shellcheck source=../../scripts/node-rootfs.sh
. scripts/node-rootfs.sh
node_rootfs "$rootfs" "$node_bin"
mkdir -p "$rootfs/app" "$rootfs/etc/canary-gate" "$rootfs/var/lib/canary-gate"
cp -r dist bin package.json package-lock.json "$rootfs/app/"
# Production dependencies only: a copy of node_modules with the dev ones pruned (no network).
cp -r node_modules "$rootfs/app/node_modules"
(cd "$rootfs/app" && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts >/dev/null)
chown -R 65534:65534 "$rootfs/var/lib/canary-gate"
tar -C "$rootfs" -cf "$tarball" .

docker import \
  --change 'ENTRYPOINT ["/node", "/app/bin/canary-gate.js"]' \
  --change 'CMD ["serve", "--config", "/etc/canary-gate/serve.yaml"]' \
  --change 'WORKDIR /var/lib/canary-gate' \
  --change 'USER 65534:65534' \
  --change "LABEL canary-gate.image=1 canary-gate.image.digest=$digest org.opencontainers.image.version=$version" \
  "$tarball" "$repo:$version" >/dev/null
docker tag "$repo:$version" "$repo:latest"
docker image prune --force --filter label=canary-gate.image=1 >/dev/null
echo "build-image: built $repo:$version ($digest) from $node_bin" >&2
