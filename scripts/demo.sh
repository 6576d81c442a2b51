#!/usr/bin/env bash
# The whole product on this machine: a local Kubernetes control plane with simulated nodes,
# the operator, the sample SseRelay applied with kubectl, real relays for its pods, and the
# relays' Service answering on a loopback address. Provisions the control plane's binaries
# once (see docs/testing.md). Ctrl-C stops everything.
#
# usage: scripts/demo.sh [--check]
#   --check  walks through the demo without waiting for Ctrl-C: checks every step, runs the
#            commands the demo prints exactly as printed and checks their output, then stops
#            everything and exits 0 (non-zero, with the step that failed, on any failure).
#            Bounded by SSE_RELAY_DEMO_CHECK_TIMEOUT (default 10m, as for timeout(1)) once built.
#            scripts/test.sh, and so CI, runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/demo.sh [--check]" >&2
  exit 2
}
check=false
case $# in
  0) ;;
  1) [ "$1" = --check ] || usage; check=true ;;
  *) usage ;;
esac

scripts/provision-k8s.sh
mkdir -p target
build_log=target/demo-build.log
echo "building (log: $build_log)..." >&2
if ! ./mvnw -B -ntp -pl e2e -am install -DskipTests >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  echo "demo: the build failed; its whole log is $build_log" >&2
  exit 1
fi
classpath=e2e/target/demo-classpath.txt
./mvnw -B -q -ntp -pl e2e dependency:build-classpath -Dmdep.outputFile="$(pwd)/$classpath" >>"$build_log" 2>&1
demo=(java -cp "e2e/target/classes:$(cat "$classpath")" io.sserelay.e2e.LocalDemo)

if [ "$check" = false ]; then
  exec "${demo[@]}"
fi
# A hang must not stall the test suite: SIGTERM lets the demo stop everything it started,
# SIGKILL follows 30 s later if it could not.
limit="${SSE_RELAY_DEMO_CHECK_TIMEOUT:-10m}"
status=0
timeout --kill-after=30s "$limit" "${demo[@]}" --check || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "demo: --check ran over $limit and was stopped" >&2
fi
exit "$status"
