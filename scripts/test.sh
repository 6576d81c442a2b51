#!/usr/bin/env bash
# Runs every test of the project: installs what the tests need (idempotently), then the
# whole Maven build with its test suites. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
./mvnw -B -ntp verify "$@"
