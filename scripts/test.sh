#!/usr/bin/env bash
# Runs every test of the project: installs what the tests need (idempotently), builds the
# test control plane's Kubernetes binaries when they are not cached yet (see docs/testing.md),
# then the whole Maven build with its test suites. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/provision-k8s.sh
./mvnw -B -ntp verify "$@"
