#!/usr/bin/env bash
# Provisions the binaries of the tests' Kubernetes control plane without downloading any
# release binary: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd
# are built from their published Go modules (scripts/k8s-build/kubernetes), kwok and helm from
# their tagged modules (scripts/k8s-build/kwok, scripts/k8s-build/helm). The Go module proxy
# is the only source.
#
# Idempotent and cached: the binaries are built once into the cache directory and a stamp
# records what they were built from; a later run whose stamp matches builds nothing. Then the
# binaries are linked where fabric8 kube-api-test and the testplane module look for them.
#
# Environment (all optional):
#   SSE_RELAY_K8S_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/sse-relay/k8s)
#   KUBE_API_TEST_DIR    kube-api-test's directory (default $HOME/.kubeapitest); the binaries
#                        land in $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64/
#   GOFLAGS              passed to go as usual, e.g. GOFLAGS=-p=1 to build on one core
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="$root/scripts/k8s-build"

say() { echo "provision-k8s: $*" >&2; }
fail() { say "error: $*"; exit 1; }

if [ $# -gt 0 ]; then
  fail "takes no arguments (got: $*); configure it with the environment variables listed at the top of $0"
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) platform=linux-amd64 ;;
  *) fail "builds for Linux on x86_64 only; this is $(uname -s)/$(uname -m)" ;;
esac

# The versions are the ones the build modules pin; go.mod is their single source.
module_version() { # <go.mod> <module path>
  local v
  v="$(awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$1")"
  [ -n "$v" ] || fail "$1 does not require $2"
  echo "$v"
}
kube_tag="$(module_version "$build_dir/kubernetes/go.mod" k8s.io/kubernetes)"
etcd_tag="$(module_version "$build_dir/kubernetes/go.mod" go.etcd.io/etcd/server/v3)"
kwok_tag="$(module_version "$build_dir/kwok/go.mod" sigs.k8s.io/kwok)"
helm_tag="$(module_version "$build_dir/helm/go.mod" helm.sh/helm/v4)"
kube_version="${kube_tag#v}"
[[ "$kube_version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] \
  || fail "k8s.io/kubernetes version '$kube_tag' in $build_dir/kubernetes/go.mod is not vMAJOR.MINOR.PATCH"
kube_major="${BASH_REMATCH[1]}"
kube_minor="${BASH_REMATCH[2]}"

for var in SSE_RELAY_K8S_CACHE KUBE_API_TEST_DIR XDG_CACHE_HOME; do
  value="${!var:-}"
  if [ -n "$value" ] && [ "${value#/}" = "$value" ]; then
    fail "$var must be an absolute path, got '$value'"
  fi
done
cache_root="${SSE_RELAY_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sse-relay/k8s}"
cache="$cache_root/$kube_version"
bin="$cache/bin"
stamp="$cache/stamp"
install_dir="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/$kube_version-$platform"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

# What the binaries were built from: a change to any build input makes the stamp stale.
# Bump the recipe number when the build commands below change in a way that matters.
recipe=1
expected_stamp="$(
  echo "recipe $recipe"
  echo "kubernetes $kube_tag"
  echo "etcd $etcd_tag"
  echo "kwok $kwok_tag"
  # Comments in go.mod change nothing that is built.
  cat "$build_dir"/kubernetes/go.mod "$build_dir"/kubernetes/go.sum \
      "$build_dir"/kwok/go.mod "$build_dir"/kwok/go.sum | grep -v '^[[:space:]]*//' | sha256sum | cut -d' ' -f1
)"

built() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$expected_stamp" ] || return 1
  local b
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

install_binaries() {
  mkdir -p "$install_dir"
  local b
  for b in "${binaries[@]}"; do
    if [ "$bin/$b" -ef "$install_dir/$b" ]; then continue; fi
    # A copy made earlier (another file system) is current when size and time match.
    if [ -f "$install_dir/$b" ] && [ "$(stat -c '%s %Y' "$bin/$b")" = "$(stat -c '%s %Y' "$install_dir/$b")" ]; then
      continue
    fi
    # A hard link costs no space and, unlike a symlink, survives a cleared cache.
    ln -f "$bin/$b" "$install_dir/$b" 2>/dev/null || cp -fp "$bin/$b" "$install_dir/$b"
    say "installed $install_dir/$b"
  done
}

# Two runs at once (say, two terminals) would build into the same directory.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

# helm, for the chart's tests: cached apart from the control plane, so that a new helm version
# does not rebuild Kubernetes.
helm_cache="$cache_root/helm-$helm_tag"
helm_stamp="$(cat "$build_dir"/helm/go.mod "$build_dir"/helm/go.sum | grep -v '^[[:space:]]*//' | sha256sum | cut -d' ' -f1)"
mkdir -p "$helm_cache"
exec 8>"$helm_cache/.lock" # shared by every Kubernetes version's provisioning
flock 8
if ! { [ -x "$helm_cache/helm" ] && [ "$(cat "$helm_cache/stamp" 2>/dev/null)" = "$helm_stamp" ]; }; then
  command -v go >/dev/null 2>&1 || fail "needs Go to build helm (none on PATH); install Go 1.26 or newer"
  say "building helm $helm_tag from the Go module proxy into $helm_cache"
  rm -f "$helm_cache/stamp"
  (
    cd "$build_dir/helm"
    export GOMODCACHE="$helm_cache/go/mod" GOCACHE="$helm_cache/go/build" GOTOOLCHAIN=local CGO_ENABLED=0
    export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath"
    # The version stamp helm's own Makefile sets; the module zip carries no git metadata.
    go build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_tag" -o "$helm_cache/helm" \
      helm.sh/helm/v4/cmd/helm
    go clean -cache -modcache
  )
  rm -rf "$helm_cache/go"
  echo "$helm_stamp" > "$helm_cache/stamp"
fi
exec 8>&-
mkdir -p "$install_dir"
if ! [ "$helm_cache/helm" -ef "$install_dir/helm" ]; then
  ln -f "$helm_cache/helm" "$install_dir/helm" 2>/dev/null || cp -fp "$helm_cache/helm" "$install_dir/helm"
  say "installed $install_dir/helm"
fi

if built; then
  install_binaries
  say "Kubernetes $kube_version, etcd $etcd_tag, kwok $kwok_tag ready in $install_dir (cached)"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "needs Go to build the control plane (none on PATH); install Go 1.26 or newer"

say "building Kubernetes $kube_version, etcd $etcd_tag and kwok $kwok_tag from the Go module proxy into $bin"
say "a cold build takes a while (see docs/testing.md); later runs reuse it"
started=$SECONDS
rm -f "$stamp"
mkdir -p "$bin"

# Own module and build caches, so the build neither depends on nor litters the user's, and
# so they can be removed once the binaries exist. GOTOOLCHAIN=local: never fetch a toolchain.
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath"
export CGO_ENABLED=0

build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# The version stamp Kubernetes' own build sets (hack/lib/version.sh). The module zip carries
# no git metadata, hence no commit and the tree state "archive" that upstream uses for
# builds from a source archive.
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X $pkg.gitVersion=$kube_tag -X $pkg.gitMajor=$kube_major -X $pkg.gitMinor=$kube_minor"
  version_ldflags+=" -X $pkg.gitTreeState=archive -X $pkg.buildDate=$build_date"
done

(
  cd "$build_dir/kubernetes"
  say "go build kube-apiserver kube-controller-manager kube-scheduler kubectl"
  go build -ldflags "-s -w$version_ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  say "go build etcd"
  go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
)
(
  cd "$build_dir/kwok"
  say "go build kwok"
  go build -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_tag#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$kube_version" \
    -o "$bin/kwok" sigs.k8s.io/kwok/cmd/kwok
)

reported="$("$bin/kube-apiserver" --version)"
[ "$reported" = "Kubernetes $kube_tag" ] || fail "built kube-apiserver reports '$reported', expected 'Kubernetes $kube_tag'"

echo "$expected_stamp" > "$stamp"
# The binaries are all a test needs; the Go caches are several GiB.
say "removing the Go build and module caches ($(du -sh "$cache/go" | cut -f1))"
go clean -cache -modcache
rm -rf "$cache/go"

install_binaries
say "built in $((SECONDS - started))s; Kubernetes $kube_version, etcd $etcd_tag, kwok $kwok_tag ready in $install_dir ($(du -sh "$bin" | cut -f1))"
