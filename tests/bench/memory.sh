#!/bin/sh
# memory.sh: how much memory refimp takes with a typical application
# (tests/bench/typical.nut), each figure against a baseline in the same run.
#  memory.refimp_rss_idle    peak RSS (VmHWM) of refimp in its normal mode:
#                            activated through the harness (TLS, jig), the
#                            application deployed, 2 s idle (BENCH-IDLE in
#                            tests/bench/plugin/bench.c); read from /proc.
#                            Baseline: the same binary's peak RSS for
#                            `refimp --version`.
#  memory.refimp_run_rss     peak RSS of `refimp run typical.nut` (simulated
#                            board, one device hour). Same baseline.
#  memory.sq_heap_typical    the Squirrel heap the application keeps after
#                            a collection: API_DEFAULT_MEM (256 KiB) minus
#                            imp.getmemoryfree(), in `refimp run`.
#                            Baseline: an empty application's heap.
# Memory figures are deterministic enough that one run is the figure.
set -u
. tests/bench/lib/bench.sh
B=${BUILD:-build}
T=${BENCH_TMP:-$(mktemp -d)}
IC=$B/bin/impcert
RF=$B/bin/refimp
EXEC=$B/bench/benchexec
APP=tests/bench/typical.nut
HEAP_LIMIT=262144 # API_DEFAULT_MEM, reference-fw/api/api.h
status=0

for f in "$IC" "$RF" "$EXEC" "$B/bench/plugins/bench.so"; do
  if [ ! -e "$f" ]; then
    echo "memory: missing $f"
    bench_line memory.refimp_rss_idle - KiB - - - 0 FAIL "missing $f"
    exit 1
  fi
done

# The bare binary: peak RSS of refimp --version.
m=$("$EXEC" -- "$RF" --version)
bare=$(echo "$m" | sed -n 's/.*maxrss=\([0-9]*\) status=0$/\1/p')
[ -n "$bare" ] || { echo "memory: refimp --version: $m"; bare=-; status=1; }

# refimps PID: the refimp processes descending from PID, one a line.
refimps() {
  ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
    { parent[$1] = $2; comm[$1] = $3 }
    END { for (p in parent) if (comm[p] == "refimp")
            for (q = parent[p]; q != "" && q > 1; q = parent[q])
              if (q == root) { print p; break } }'
}

# Normal mode, idle with the application, through the harness.
IMPCERT_BENCH_APP=$APP "$IC" run --dut harness/duts/refimp-native.conf \
  --plugins "$B/bench/plugins" --filter BENCH-IDLE --junit "$T/idle.xml" \
  >"$T/idle.out" 2>&1 &
icpid=$!
hwm=
while kill -0 "$icpid" 2>/dev/null; do
  for p in $(refimps "$icpid"); do
    h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$p"/status 2>/dev/null)
    [ -n "$h" ] && { [ -z "$hwm" ] || [ "$h" -gt "$hwm" ]; } && hwm=$h
  done
  sleep 0.1
done
wait "$icpid"
rc=$?
cat "$T/idle.out"
if [ "$rc" -ne 0 ] || ! grep -q 'BENCH-IDLE *PASS' "$T/idle.out" || [ -z "$hwm" ]; then
  echo "memory: BENCH-IDLE: exit $rc, peak RSS '${hwm:-none seen}'"
  bench_line memory.refimp_rss_idle - KiB "$bare" - - 0 FAIL "BENCH-IDLE did not pass"
  status=1
else
  # Whether refimp ran the application or only stored it.
  if grep -q 'typical app started' "$T/idle.xml"; then ran="application running"
  else ran="application stored, not run (native refimp runs no Squirrel yet)"; fi
  bench_line memory.refimp_rss_idle "$hwm" KiB "$bare" "$(bench_ratio "$hwm" "$bare")" - 1 ok \
    "VmHWM idle after activation, TLS session up, $ran; baseline refimp --version"
fi

# Run mode: the application runs for one device hour.
m=$("$EXEC" -o "$T/run.out" -e "$T/run.err" -- "$RF" run "$APP" --for 3600)
rss=$(echo "$m" | sed -n 's/.*maxrss=\([0-9]*\) status=0$/\1/p')
free=$(sed -n 's/.* server.log bench heap free \([0-9]*\)$/\1/p' "$T/run.out")
if [ -z "$rss" ] || [ -z "$free" ] || ! grep -q '360 samples, 60 batches sent' "$T/run.out"; then
  echo "memory: refimp run $APP: $m"; tail -n 5 "$T/run.out" "$T/run.err"
  bench_line memory.refimp_run_rss - KiB "$bare" - - 0 FAIL "refimp run did not finish the application"
  bench_line memory.sq_heap_typical - KiB - - - 0 FAIL "refimp run did not finish the application"
  exit 1
fi
bench_line memory.refimp_run_rss "$rss" KiB "$bare" "$(bench_ratio "$rss" "$bare")" - 1 ok \
  "refimp run typical.nut, 1 device hour; baseline refimp --version"

echo 'collectgarbage(); server.log("bench heap free " + imp.getmemoryfree());' >"$T/empty.nut"
"$RF" run "$T/empty.nut" --for 1 >"$T/empty.out" 2>&1
free0=$(sed -n 's/.* server.log bench heap free \([0-9]*\)$/\1/p' "$T/empty.out")
if [ -z "$free0" ]; then
  echo "memory: the empty application printed:"; cat "$T/empty.out"
  bench_line memory.sq_heap_typical - KiB - - - 0 FAIL "empty application failed"
  exit 1
fi
kib() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1024 }'; }
heap=$(kib $((HEAP_LIMIT - free)))
heap0=$(kib $((HEAP_LIMIT - free0)))
bench_line memory.sq_heap_typical "$heap" KiB "$heap0" "$(bench_ratio "$heap" "$heap0")" - 1 ok \
  "256 KiB - imp.getmemoryfree() after collectgarbage(); baseline an empty application"
exit $status
