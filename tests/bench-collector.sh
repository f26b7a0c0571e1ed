#!/bin/sh
# bench-collector.sh: checks tests/bench/run.sh, the collector of `make bench`
# (docs/bench.md), on fake benchmarks: the table, the JSON, the targets and
# every way a benchmark can fail. Runs no real benchmark (fast, no timing).
set -u
B=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-collector.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { # check WHAT COND...: one assertion
  what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
# collect DIR: run the collector on the scripts in DIR; sets rc, out, json.
collect() {
  BENCH_DIR=$1 BENCH_JSON=$T/out.json BUILD=$T/build BENCH_RUNS=3 \
    sh tests/bench/run.sh >"$T/stdout" 2>"$T/stderr"
  rc=$?
}
mk() { mkdir -p "$T/$1"; cat >"$T/$1/$2.sh"; }

# A good benchmark: a met target, a missed one, a skip.
mk good a <<'X'
. tests/bench/lib/bench.sh
m=$(printf '3\n1\n2\n' | bench_median)
bench_line x.one "$m" s 1 "$(bench_ratio "$m" 1)" 'ratio<=2.5' 3 ok lua5.4
bench_line x.two 5 s 1 5 'ratio<=2' 3 ok
bench_skip x.three us 'not measured: needs "api"'
echo some log line
X
collect "$T/good"
check "good: exit 0 with a missed target" [ "$rc" -eq 0 ]
check "good: row met" grep -Eq '^x\.one +2 s +1 +2 ratio<=2\.5 +met +3 ok +lua5\.4$' "$T/stdout"
check "good: row MISS" grep -Eq '^x\.two .* MISS ' "$T/stdout"
check "good: row skip" grep -Eq '^x\.three +- us .* skip not measured' "$T/stdout"
check "good: log kept" grep -q 'some log line' "$T/build/bench-logs/a.log"
check "good: JSON valid" python3 -c "
import json, sys
d = json.load(open('$T/out.json'))
f = {x['name']: x for x in d['figures']}
assert d['runs'] == 3
assert f['x.one']['value'] == 2 and f['x.one']['met'] is True
assert f['x.one']['source'] == 'a' and f['x.one']['note'] == 'lua5.4'
assert f['x.two']['met'] is False and f['x.two']['ratio'] == 5
assert f['x.three']['value'] is None and f['x.three']['status'] == 'skip'
assert f['x.three']['note'] == 'not measured: needs \"api\"'
"
BENCH_STRICT=1 BENCH_DIR=$T/good BENCH_JSON=$T/out.json BUILD=$T/build \
  sh tests/bench/run.sh >/dev/null 2>&1
check "strict: a missed target fails" [ $? -eq 1 ]

# A wrong answer fails the run.
mk wrong w <<'X'
echo "bench: x.bad 1 s baseline=1 ratio=1 target=ratio<=2 runs=3 FAIL fib(30) gave 7"
X
collect "$T/wrong"
check "FAIL: exit 1" [ "$rc" -eq 1 ]
check "FAIL: still in the table" grep -q '^x\.bad .* FAIL' "$T/stdout"

# Malformed lines, no line at all, a non-zero exit: each fails the run.
for body in 'echo "bench: x 1 s baseline=1 ratio=1 runs=3 ok"' \
            'echo "bench: x abc s baseline=1 ratio=1 target=- runs=3 ok"' \
            'echo "bench: x 1 s baseline=1 ratio=1 target=ratio~2 runs=3 ok"' \
            'echo "bench: x 1 s baseline=1 ratio=1 target=- runs=3 fine"' \
            'echo nothing' \
            'echo "bench: x 1 s baseline=- ratio=- target=- runs=1 ok"; exit 3'; do
  rm -rf "$T/m"
  printf '%s\n' "$body" | mk m m
  collect "$T/m"
  check "bad benchmark fails: $body" [ "$rc" -eq 1 ]
done
rm -rf "$T/m"
echo 'echo "bench: x abc s baseline=1 ratio=1 target=- runs=3 ok"' | mk m m
collect "$T/m"
check "malformed line named" grep -q 'bench: m: malformed line (value abc)' "$T/stderr"

# BENCH_RUNS is checked.
BENCH_RUNS=x BENCH_DIR=$T/good BENCH_JSON=$T/out.json BUILD=$T/build \
  sh tests/bench/run.sh >/dev/null 2>"$T/stderr"
check "BENCH_RUNS=x: exit 2" [ $? -eq 2 ]
check "BENCH_RUNS=x: named" grep -q "BENCH_RUNS='x'" "$T/stderr"

echo "bench-collector: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
