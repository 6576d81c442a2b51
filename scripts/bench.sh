#!/usr/bin/env bash
# Runs the benchmark scenarios (docs/performance.md) on loopback and writes results.json,
# results.md and PNG charts to bench/results (or --out DIR). Every scenario is bounded in time;
# all nine take about 14 minutes on 2 cores. Pass scenario ids (S1 .. S9) to run some only, and
# --scale 0.1 for a quick, smaller run. S5 needs the test control plane's binaries, which
# scripts/provision-k8s.sh builds once (about 6 minutes the first time).
set -euo pipefail
cd "$(dirname "$0")/.."

# S5 runs on the test control plane; every run without scenario ids includes it.
if ! printf '%s\n' "$@" | grep -qix 's[0-9]' || printf '%s\n' "$@" | grep -qix 's5'; then
  scripts/provision-k8s.sh
fi
echo "building..." >&2
./mvnw -B -q -ntp -pl bench -am install -DskipTests
classpath=bench/target/bench-classpath.txt
./mvnw -B -q -ntp -pl bench dependency:build-classpath -Dmdep.outputFile="$(pwd)/$classpath" >/dev/null

# A million small writes a second over loopback overflow the kernel's default receive backlog
# (net.core.netdev_max_backlog, 1000 packets): dropped packets wait for TCP's retransmission
# timer and show up as latency that has nothing to do with the relay. Raise it for the run when
# this user may, and put it back afterwards.
setting=/proc/sys/net/core/netdev_max_backlog
backlog=$(cat "$setting" 2>/dev/null || echo 0)
if (( backlog > 0 && backlog < 16384 )); then
  if { echo 16384 > "$setting"; } 2>/dev/null; then
    trap 'echo "$backlog" > "$setting"' EXIT
    echo "net.core.netdev_max_backlog is 16384 for this run (was $backlog)" >&2
  else
    echo "note: net.core.netdev_max_backlog is $backlog and cannot be raised here; S1 may see loopback drops" >&2
  fi
fi
# ZGC keeps the load generator's own pauses under a millisecond; they would count as latency.
java -Xmx4g -XX:+UseZGC -Xlog:gc:file=bench/target/bench-gc.log -cp "bench/target/classes:$(cat "$classpath")" io.sserelay.bench.BenchMain "$@"
