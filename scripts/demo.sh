#!/usr/bin/env bash
# The whole product on this machine: a local Kubernetes control plane with simulated nodes,
# the operator, the sample SseRelay applied with kubectl, and real relays for its pods.
# Provisions the control plane's binaries once (see docs/testing.md). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/provision-k8s.sh
echo "building..." >&2
./mvnw -B -q -ntp -pl e2e -am install -DskipTests
classpath=e2e/target/demo-classpath.txt
./mvnw -B -q -ntp -pl e2e dependency:build-classpath -Dmdep.outputFile="$(pwd)/$classpath" >/dev/null
exec java -cp "e2e/target/classes:$(cat "$classpath")" io.sserelay.e2e.LocalDemo
