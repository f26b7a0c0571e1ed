#!/bin/sh
# overhead.sh: the per-test overhead of the harness. The empty test
# (tests/bench/plugin/bench.c, BENCH-EMPTY: power on, BlinkUp, TLS session,
# one frame, stop) against the bare floor measured in the same run
# (tests/bench/floor.c: spawn refimp and wait for it, one OpenSSL TLS
# handshake on loopback with one record each way). The two take turns,
# 3 x BENCH_RUNS times. Target: the empty test under 2x the floor.
set -u
. tests/bench/lib/bench.sh
B=${BUILD:-build}
RUNS=$(( ${BENCH_RUNS:-5} * 3 ))
T=${BENCH_TMP:-$(mktemp -d)}
IC=$B/bin/impcert
FLOOR=$B/bench/floor
PLUG=$B/bench/plugins
DUT=harness/duts/refimp-native.conf

for f in "$IC" "$FLOOR" "$PLUG/bench.so" "$B/bin/refimp"; do
  if [ ! -e "$f" ]; then
    echo "overhead: missing $f (make all $B/bench/floor $PLUG/bench.so)"
    bench_line overhead.empty_test - ms - - 'ratio<2' 0 FAIL "missing $f"
    exit 1
  fi
done

: >"$T/test" ; : >"$T/floor"
ok=ok r=0
while [ $r -lt "$RUNS" ]; do
  # The floor: its own line says each part; the total is the figure.
  if ! "$FLOOR" 1 "$B/bin/refimp" --version >"$T/f.out" 2>&1; then
    echo "overhead: the floor failed:"; cat "$T/f.out"; ok=FAIL; break
  fi
  sed -n 's/.*total_ms=\([0-9.]*\).*/\1/p' "$T/f.out" >>"$T/floor"
  # The empty test: the runner prints "[ 1/1] BENCH-EMPTY  PASS  151 ms".
  "$IC" run --dut "$DUT" --plugins "$PLUG" --filter BENCH-EMPTY >"$T/t.out" 2>&1
  rc=$?
  ms=$(sed -n 's/.*BENCH-EMPTY *PASS *\([0-9][0-9]*\) ms.*/\1/p' "$T/t.out")
  if [ "$rc" -ne 0 ] || [ -z "$ms" ]; then
    echo "overhead: the empty test did not pass (exit $rc):"; cat "$T/t.out"; ok=FAIL; break
  fi
  echo "$ms" >>"$T/test"
  r=$((r + 1))
done
tst=$(bench_median <"$T/test")
flr=$(bench_median <"$T/floor")
echo "overhead: floor runs (ms):" $(cat "$T/floor")
echo "overhead: empty test runs (ms):" $(cat "$T/test")
bench_line overhead.empty_test "$tst" ms "$flr" "$(bench_ratio "$tst" "$flr")" 'ratio<2' \
  "$r" "$ok" "BENCH-EMPTY vs floor: spawn refimp + TLS handshake + 1 record"
[ "$ok" = ok ]
