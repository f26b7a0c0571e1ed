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

# Simulated device time: the JUnit report has no figure for it (testcase
# time is wall time; no property gives device time), so it is not measured.
if grep -q 'name="device_time' "$T/junit-j2.xml" 2>/dev/null; then
  bench_skip suite.device_time s "not measured: JUnit has device_time properties but this script does not read them yet"
else
  bench_skip suite.device_time s "not measured: the JUnit report gives no device time (testcase time is wall time)"
fi
[ "$ok" = ok ]
