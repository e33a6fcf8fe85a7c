#!/usr/bin/env bash
# Runs the serving benchmark of docs/benchmarks.md (dev.peregrine.server.bench.ServerBenchmark).
# Usage: scripts/server-benchmark.sh [seconds-per-point [parts [rounds]]]
#        (defaults 8, abcd, 2; the whole run takes about 45 x seconds-per-point)
#
# The class path goes through a manifest-only jar: ONNX Runtime 1.29's native start-up crashes the
# JVM (SIGSEGV) when java.class.path is longer than about 4000 characters, which a plain -cp of
# this module's test class path is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -q -B -pl peregrine-server -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
target="$root/peregrine-server/target"
{
  printf 'Manifest-Version: 1.0\nMain-Class: dev.peregrine.server.bench.ServerBenchmark\n'
  entries="file:$target/test-classes/ file:$target/classes/"
  for e in $(tr ':' ' ' < "$target/cp.txt"); do
    if [ -d "$e" ]; then entries="$entries file:$e/"; else entries="$entries file:$e"; fi
  done
  printf 'Class-Path: %s\n' "$entries" | fold -w 70 | sed '2,$s/^/ /'
  printf '\n'
} > "$target/bench-manifest.txt"
(cd "$target" && rm -f bench.jar && jar cfm bench.jar bench-manifest.txt)
cd "$target/.."
echo "date: $(date -u)"; echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"; echo "load: $(uptime)"
exec java -Xmx4g -jar "$target/bench.jar" "${1:-8}" "${2:-abcd}" "${3:-2}"
