#!/usr/bin/env bash
# Builds the relay and operator images from relay/Dockerfile and operator/Dockerfile with podman,
# with no container registry: the base image (a Java 17 runtime, no shell, no package manager)
# is assembled from Debian's packages with mmdebstrap (which needs Debian's archive) and imported.
#
#   scripts/build-images.sh [--no-jars]
#
# Builds the jars first (./mvnw package) unless --no-jars says they are built. Idempotent: the
# base is cached under ${XDG_CACHE_HOME:-~/.cache}/sse-relay and made again when this script's
# package list changes or it is a week old (so the runtime gets Debian's security updates); an
# image whose jar, JVM options, Dockerfile and base have not changed is not built again. Prints the two image names. Needs root for podman and mmdebstrap (as in CI); installs
# them with apt-get when they are missing.
#
# With Docker and a registry instead, the Dockerfiles build as they are, on their default base:
#   docker build -f relay/Dockerfile -t sserelay/relay:0.1.0-SNAPSHOT .
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.1.0-SNAPSHOT
relay_image=localhost/sserelay/relay:$version
operator_image=localhost/sserelay/operator:$version

build_jars=true
for arg in "$@"; do
  case "$arg" in
    --no-jars) build_jars=false ;;
    *) echo "build-images: unknown argument '$arg' (usage: scripts/build-images.sh [--no-jars])" >&2; exit 2 ;;
  esac
done

log() { echo "build-images: $*" >&2; }
fail() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: podman here runs rootful with runc, and mmdebstrap needs root to install packages"

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || fail "need ${missing[*]} but apt-get is not available; install them yourself"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null # with what Debian recommends beside podman
fi
# crun, podman's default runtime, refuses hosts with hybrid cgroups; runc runs everywhere.
podman=(podman --runtime runc)

# The base: Debian bookworm's OpenJDK 17 runtime and its certificates, then every shell, the
# package tools and documentation removed. Java needs none of them, and an image without a shell
# gives an intruder less to work with. The cache key covers everything that shapes the base.
suite=bookworm
packages=openjdk-17-jre-headless
strip=(usr/bin/bash usr/bin/dash usr/bin/sh usr/bin/rbash usr/bin/apt usr/bin/apt-get usr/bin/apt-cache
  usr/bin/apt-config usr/bin/apt-mark usr/bin/dpkg usr/bin/dpkg-deb usr/bin/dpkg-query usr/bin/perl
  usr/bin/su usr/bin/login usr/bin/passwd usr/share/doc usr/share/man usr/share/info var/cache/apt
  var/lib/apt/lists var/log)
key=$(printf '%s\n' "$suite" "$packages" "${strip[@]}" 1 | sha256sum | cut -c1-12)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/sse-relay"
mkdir -p "$cache"
rootfs="$cache/jre-base-$key.tar"
if [ -s "$rootfs" ] && [ -n "$(find "$rootfs" -mtime +7)" ]; then
  log "the cached base is more than a week old; assembling it again for Debian's updates"
  rm -f "$rootfs"
fi
if [ ! -s "$rootfs" ]; then
  log "assembling the base from Debian's packages ($packages on $suite)"
  remove=$(printf '"$1"/%s ' "${strip[@]}")
  # /usr/share/man/man1 must exist while packages install: update-alternatives links the JRE's
  # manual pages there, even though dpkg leaves the pages themselves out.
  mmdebstrap --quiet --format=tar --variant=essential --include="$packages" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
    --customize-hook="rm -rf $remove" \
    "$suite" "$rootfs.partial" \
    "deb http://deb.debian.org/debian $suite main" \
    "deb http://deb.debian.org/debian-security $suite-security main"
  mv "$rootfs.partial" "$rootfs"
fi
# Named by what shaped it and when it was assembled, so that images built on an older base rebuild.
base_image=localhost/sserelay/jre-base:$key-$(date -u -r "$rootfs" +%Y%m%d%H%M)
if ! "${podman[@]}" image exists "$base_image"; then
  log "importing the base as $base_image"
  "${podman[@]}" import --quiet "$rootfs" "$base_image" >/dev/null
  # Earlier bases are not needed any more (images built on them are rebuilt below).
  "${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' localhost/sserelay/jre-base \
    | { grep -vxF "$base_image" || true; } | while read -r old; do
      "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true
    done
fi

if $build_jars; then
  log "building the jars"
  ./mvnw -B -q -ntp -pl relay,operator -am package -DskipTests
fi
for jar in relay/target/sse-relay.jar operator/target/sse-relay-operator.jar; do
  [ -s "$jar" ] || fail "$jar is missing; run without --no-jars, or ./mvnw -pl relay,operator -am package"
done

# Builds $2 from the Dockerfile $1 unless an image of that name was built from the same inputs.
build() {
  local dockerfile=$1 image=$2; shift 2
  local inputs
  inputs=$(cat "$dockerfile" "$@" | sha256sum | cut -c1-16)
  if [ "$("${podman[@]}" image inspect --format '{{index .Labels "io.sserelay.inputs"}}' "$image" 2>/dev/null)" \
      = "$inputs-$base_image" ]; then
    log "$image is up to date"
    return
  fi
  log "building $image"
  local previous
  previous=$("${podman[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  "${podman[@]}" build --quiet --build-arg "BASE=$base_image" --label "io.sserelay.inputs=$inputs-$base_image" \
    -f "$dockerfile" -t "$image" . >/dev/null
  # The image this one replaces, now untagged, would otherwise stay in storage.
  if [ -n "$previous" ]; then
    "${podman[@]}" rmi "$previous" >/dev/null 2>&1 || true
  fi
}
build relay/Dockerfile "$relay_image" relay/target/sse-relay.jar relay/jvm.options
build operator/Dockerfile "$operator_image" operator/target/sse-relay-operator.jar

echo "$relay_image"
echo "$operator_image"
