#!/bin/sh
# suite.sh: wall time of the whole conformance suite against refimp native
# (harness/duts/refimp-native.conf, the plugins of the build) at -j1 and -j2,
# the two taking turns, BENCH_SUITE_RUNS times (default 1: a round of the
# suite takes a minute or more; BENCH_SUITE_RUNS=3 gives a median). Every
# run must pass: the runner exits 0 and passes as many tests as `impcert
# list` selects minus the ones it skips.
# Target: under 10 s at -j2 (issue 9). The baseline of -j2 is -j1 in the
# same run, so its ratio is what the second job buys.
set -u
. tests/bench/lib/bench.sh
B=${BUILD:-build}
RUNS=${BENCH_SUITE_RUNS:-1}
T=${BENCH_TMP:-$(mktemp -d)}
IC=$B/bin/impcert
DUT=harness/duts/refimp-native.conf

case $RUNS in '' | *[!0-9]* | 0)
  echo "suite: BENCH_SUITE_RUNS='$RUNS' is not a positive integer"
  bench_line suite.wall.j2 - s - - 'value<10' 0 FAIL "bad BENCH_SUITE_RUNS"
  exit 1 ;;
esac
if [ ! -x "$IC" ] || [ ! -x "$B/bin/refimp" ]; then
  echo "suite: missing $IC or $B/bin/refimp (make all)"
  bench_line suite.wall.j1 - s - - - 0 FAIL "not built"
  bench_line suite.wall.j2 - s - - 'value<10' 0 FAIL "not built"
  exit 1
fi
ntests=$("$IC" list --plugins "$B/plugins" | grep -c .)

# suite J: one run at -j J; appends the wall time (s) to $T/jJ.
suite() {
  j=$1
  t0=$(bench_now)
  "$IC" run --dut "$DUT" --plugins "$B/plugins" -j "$j" -q \
    --junit "$T/junit-j$j.xml" >"$T/out-j$j" 2>&1
  rc=$?
  t1=$(bench_now)
  # "impcert: 55 tests: 52 pass, 0 fail, 0 error, 0 inconclusive, 3 skip"
  sum=$(grep -E '^impcert: [0-9]+ tests: ' "$T/out-j$j" | tail -n 1)
  pass=$(echo "$sum" | sed -n 's/.* \([0-9]*\) pass,.*/\1/p')
  skip=$(echo "$sum" | sed -n 's/.* \([0-9]*\) skip.*/\1/p')
  if [ "$rc" -ne 0 ] || [ -z "$pass" ] || [ $((pass + skip)) -ne "$ntests" ]; then
    echo "suite: -j$j: exit $rc, '$sum' for $ntests tests:"
    tail -n 30 "$T/out-j$j"
    return 1
  fi
  echo "suite: -j$j: $sum"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$T/j$j"
}

: >"$T/j1"; : >"$T/j2"
ok=ok r=0
while [ $r -lt "$RUNS" ]; do
  suite 1 && suite 2 || { ok=FAIL; break; }
  r=$((r + 1))
done
w1=$(bench_median <"$T/j1")
w2=$(bench_median <"$T/j2")
bench_line suite.wall.j1 "$w1" s - - - "$r" "$ok" "$ntests tests, refimp native, -j1"
bench_line suite.wall.j2 "$w2" s "$w1" "$(bench_ratio "$w2" "$w1")" 'value<10' "$r" "$ok" \
  "$ntests tests, refimp native, -j2; baseline -j1"

# device_seconds FILE: the sum of the device_time.<case> properties of a
# JUnit report (specs/junit.md), or nothing when it has none.
device_seconds() {
  sed -n 's/.*<property name="device_time\.[^"]*" value="\([0-9.]*\)".*/\1/p' \
    "$1" | awk '{ s += $1; n++ } END { if (n) printf "%.3f\n", s }'
}

# Simulated device time: what the -j2 run's cases covered (the sum of
# their device_time properties) against its wall time. refimp native runs
# in real time, so this is at most about 2 at -j2: each case's device
# time is its wall time from power-on.
dev=$(device_seconds "$T/junit-j2.xml")
if [ "$ok" = ok ] && [ -n "$dev" ]; then
  bench_line suite.device_time "$dev" s "$w2" "$(bench_ratio "$dev" "$w2")" \
    'ratio>100' 1 ok "device time covered by the last -j2 run; baseline its wall time (refimp native: real time)"
else
  bench_line suite.device_time - s - - 'ratio>100' 0 FAIL \
    "no device_time properties in $T/junit-j2.xml"
  ok=FAIL
fi

# The same on the virtual clock, for the tests that drive it (TIME-*,
# refimp-virtual.conf): there device time is what the tests advance.
t0=$(bench_now)
"$IC" run --dut harness/duts/refimp-virtual.conf --plugins "$B/plugins" \
  --filter 'TIME-*' -j 2 -q --junit "$T/junit-virtual.xml" >"$T/out-virtual" 2>&1
rc=$?
t1=$(bench_now)
wv=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }')
devv=$(device_seconds "$T/junit-virtual.xml")
nv=$(grep -c '<testcase ' "$T/junit-virtual.xml" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$devv" ]; then
  bench_line suite.device_time.virtual "$devv" s "$wv" \
    "$(bench_ratio "$devv" "$wv")" 'ratio>100' 1 ok \
    "$nv TIME-* tests on refimp-virtual, -j2; baseline their wall time"
else
  echo "suite: the virtual-clock run failed (exit $rc):"; tail -n 20 "$T/out-virtual"
  bench_line suite.device_time.virtual - s - - 'ratio>100' 0 FAIL \
    "the TIME-* run on refimp-virtual failed"
  ok=FAIL
fi
[ "$ok" = ok ]
