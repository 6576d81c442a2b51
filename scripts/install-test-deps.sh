#!/usr/bin/env bash
# Installs what the test suite needs beyond Java: Debian's headless Chromium for the
# browser tests, curl, which the demo's check (scripts/demo.sh --check) runs as printed, and
# podman with runc and mmdebstrap, with which the end-to-end tests build and run the images
# (scripts/build-images.sh), and promtool and the node modules of scripts/validate-monitoring,
# which check config/monitoring. Idempotent: does nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v curl >/dev/null 2>&1 || missing+=(curl)
containers=()
command -v podman >/dev/null 2>&1 || containers+=(podman)
command -v runc >/dev/null 2>&1 || containers+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || containers+=(mmdebstrap)

promtool=false
command -v promtool >/dev/null 2>&1 || promtool=true
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
validator=scripts/validate-monitoring
modules=false
if [ ! -d "$validator/node_modules" ] || [ "$validator/package-lock.json" -nt "$validator/node_modules" ]; then
  modules=true
fi

install_modules() {
  # Exactly the versions (and hashes) the lock file names, from the npm registry.
  (cd "$validator" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || { echo "install-test-deps: npm ci in $validator failed" >&2; exit 1; }
  touch "$validator/node_modules"
}

if [ ${#missing[@]} -eq 0 ] && [ ${#containers[@]} -eq 0 ] && ! $promtool; then
  if $modules; then
    install_modules
  fi
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: need ${missing[*]} ${containers[*]}$($promtool && echo ' promtool') but apt-get is not available; install them yourself" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

echo "install-test-deps: installing ${missing[*]} ${containers[*]}$($promtool && echo ' promtool')" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#containers[@]} -gt 0 ]; then
  # podman with what Debian recommends beside it (its network backend, catatonit, fuse-overlayfs).
  $sudo apt-get install -y -qq "${containers[@]}" >/dev/null
fi
if $promtool; then
  # Only promtool, taken out of Debian's package prometheus: installing the package would also
  # start a Prometheus server on port 9090 where systemd runs, the relays' admin port.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download prometheus >/dev/null 2>&1) \
    || { echo "install-test-deps: cannot download Debian's package prometheus for promtool" >&2; exit 1; }
  dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
  $sudo install -m 0755 "$work/root/usr/bin/promtool" /usr/local/bin/promtool
fi
if $modules; then
  install_modules
fi
