#!/usr/bin/env bash
# Builds the relay (when needed) and runs one standalone relay on 127.0.0.1:8080.
# Any RELAY_* variable you set is passed on (see docs/relay.md); Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=relay/target/sse-relay.jar
if [ ! -f "$jar" ] || [ -n "$(find relay/src relay/pom.xml pom.xml -newer "$jar" -print -quit)" ]; then
  echo "building the relay..." >&2
  ./mvnw -B -q -ntp -pl relay -am package -DskipTests
fi

export RELAY_BIND_ADDRESS="${RELAY_BIND_ADDRESS:-127.0.0.1}"
export RELAY_HTTP_PORT="${RELAY_HTTP_PORT:-8080}"
exec java -XX:+ExitOnOutOfMemoryError -jar "$jar"
