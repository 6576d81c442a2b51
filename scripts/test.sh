#!/usr/bin/env bash
# Runs every test of the project: installs what the tests need (idempotently), builds the
# test control plane's Kubernetes binaries when they are not cached yet (see docs/testing.md),
# runs the README's demo as a user runs it (scripts/demo.sh --check), then the whole Maven
# build with its test suites, last, so that Surefire's summary ends the output. This is what
# CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/provision-k8s.sh
scripts/demo.sh --check
./mvnw -B -ntp verify "$@"
