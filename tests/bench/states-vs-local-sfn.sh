#!/usr/bin/env bash
# Runs the reference definitions in tests/bench/states through the embedded
# engine (go test -bench BenchmarkEngine) and through npm aws-local-stepfunctions
# (states-vs-local-sfn.mjs, its JS API in one process), then prints
# executions/second for both and the ratios (Go with history stored and
# with history only counted).
#
#   tests/bench/states-vs-local-sfn.sh [SECONDS [NAME...]]   (default 3 s per definition, all definitions)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-3}
defs="$root/tests/bench/states"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$root/node_modules/aws-local-stepfunctions/package.json" ]; then
  echo "aws-local-stepfunctions is not installed: run make deps" >&2
  exit 1
fi

echo "machine: $(nproc) cores, $(uname -sm), $(go version | cut -d' ' -f3), node $(node --version)"
echo "aws-local-stepfunctions $(node -p "require('$root/node_modules/aws-local-stepfunctions/package.json').version")"
echo

# Build the Go benchmark once, then measure each definition on both engines
# back to back, so load from elsewhere on the machine hits both alike.
(cd "$root" && go test -c -o "$tmp/states.test" ./shared/states/)
names=$(cd "$defs" && ls *.asl.json | sed 's/\.asl\.json$//')
if [ $# -gt 1 ]; then
  shift
  names="$*"
fi

# Two Go figures per definition: BenchmarkEngine stores the full execution
# history (as GetExecutionHistory returns it); BenchmarkEngineCounted only
# counts history events (the 25,000-event limit still applies), which is the
# like-for-like comparison since aws-local-stepfunctions records no history.
printf '%-14s %14s %14s %8s %14s %8s %14s %12s\n' definition "local-sfn ex/s" "history ex/s" ratio "counted ex/s" ratio "ns/transition" "allocs/trans"
status=0
for name in $names; do
  line=$(node "$root/tests/bench/states-vs-local-sfn.mjs" "$defs" "$secs" "$name")
  theirs=$(node -e 'console.log(JSON.parse(process.argv[1]).execPerSec.toFixed(1))' "$line")
  (cd "$root/shared/states" && "$tmp/states.test" -test.run '^$' -test.bench "^BenchmarkEngine(Counted)?/$name\$" -test.benchtime "${secs}s") >>"$tmp/go.txt"
  full=$(grep -E "^BenchmarkEngine/$name(-[0-9]+)? " "$tmp/go.txt" || true)
  counted=$(grep -E "^BenchmarkEngineCounted/$name(-[0-9]+)? " "$tmp/go.txt" || true)
  if [ -z "$full" ] || [ -z "$counted" ]; then
    echo "no Go benchmark result for $name" >&2
    status=1
    continue
  fi
  metric() { echo "$1" | awk -v unit="$2" '{for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1)}'; }
  ours=$(metric "$full" executions/s)
  oursc=$(metric "$counted" executions/s)
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1fx", a / b }')
  ratioc=$(awk -v a="$oursc" -v b="$theirs" 'BEGIN { printf "%.1fx", a / b }')
  printf '%-14s %14.1f %14.1f %8s %14.1f %8s %14s %12s\n' "$name" "$theirs" "$ours" "$ratio" "$oursc" "$ratioc" "$(metric "$counted" ns/transition)" "$(metric "$counted" allocs/transition)"
done
echo
grep -E '^BenchmarkEngine/' "$tmp/go.txt"
exit $status
